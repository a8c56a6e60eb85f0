"""Sphinx configuration of the flask-wechat documentation (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))  # this folder's own Sphinx extension

import flask_wechat  # noqa: E402

project = "flask-wechat"
author = "the flask-wechat authors"
copyright = author
release = flask_wechat.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "pallets_sphinx_themes",
    "wechat_config_table",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True

html_theme = "flask"
html_theme_options = {"index_sidebar_logo": False}
html_title = f"flask-wechat {release}"
html_context = {}
html_static_path: list[str] = []
html_show_sourcelink = False
