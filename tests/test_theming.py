"""Theming: every custom property the pages use is in docs/theming.md, and only there.

The browser suite (tests/browser/test_theming.py) checks that a dark theme made of
these properties alone passes axe-core's contrast check; here the stylesheets are read
as text, so a colour written into a rule instead of a property fails at once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import flask_wechat

ROOT = Path(__file__).resolve().parents[1]
#: The package as imported: the checkout, or the installed wheel in CI's wheel run.
STATIC = Path(flask_wechat.__file__).parent / "static" / "wechat"
THEMING = (ROOT / "docs" / "theming.md").read_text(encoding="utf-8")

DEFINED = re.compile(r"(--wechat-[a-z0-9-]+)\s*:\s*([^;]+);")
USED = re.compile(r"var\((--wechat-[a-z0-9-]+)")
#: A colour written as a value: #hex, rgb()/hsl()/…, or a named colour a theme could not reach.
COLOUR = re.compile(
    r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|"
    r"(?<![\w-])(?:white|black|gr[ae]y|silver)(?![\w-])"
)


def _css(name: str) -> str:
    text = (STATIC / name).read_text(encoding="utf-8")
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments may name anything


def _table() -> dict[str, str]:
    """The documented properties: name -> default, from the table's rows."""
    rows = {}
    for line in THEMING.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `--wechat-") and len(cells) >= 3:
            rows[cells[0].strip("`")] = cells[1].strip("`").replace("\\|", "|")
    return rows


def _root_blocks(css: str) -> list[str]:
    return re.findall(r":root[^{]*\{([^}]*)\}", css)


def test_every_property_the_stylesheet_defines_or_uses_is_documented():
    css = _css("wechat.css")
    named = {name for name, _value in DEFINED.findall(css)} | set(USED.findall(css))
    assert named == set(_table())


def test_the_documented_defaults_are_the_stylesheets():
    root = _root_blocks(_css("wechat.css"))[0]
    defaults = {name: " ".join(value.split()) for name, value in DEFINED.findall(root)}
    documented = _table()
    for name, value in defaults.items():
        assert documented[name] == value, name


def test_no_colour_is_written_outside_the_properties():
    css = _css("wechat.css")
    rules = re.sub(r":root[^{]*\{[^}]*\}", "", css)
    assert not COLOUR.findall(rules), "a colour in a rule: make it a documented property"


@pytest.mark.parametrize("name", ["dark.css"])
def test_bundled_themes_set_documented_properties_only(name):
    css = _css(name)
    documented = set(_table())
    blocks = re.findall(r"\{([^}]*)\}", css)
    assert blocks
    for block in blocks:
        for declaration in filter(None, (d.strip() for d in block.split(";"))):
            prop = declaration.split(":", 1)[0].strip()
            assert prop in documented, f"{name} sets {prop}, which is not documented"
