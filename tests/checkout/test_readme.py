"""The README and the docs: the front page opens with the two commands and links into the
docs, and the quirks page names tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_block and "make test" in first_block


def test_every_file_the_readme_links_to_exists():
    targets = re.findall(r"\]\(([^)#\s]+)\)", README)
    local = [target for target in targets if "://" not in target]
    assert len(local) > 10
    missing = [target for target in local if not (ROOT / target).is_file()]
    assert not missing, missing


def test_every_test_the_quirks_page_names_exists():
    page = (ROOT / "docs" / "wechat-quirks.md").read_text(encoding="utf-8")
    named = re.findall(r"`(test_\w+\.py)::(\w+)", page)
    shorthand = re.findall(r"`…::(\w+)", page)
    assert len(named) > 20
    sources = {name: (ROOT / "tests" / name).read_text(encoding="utf-8") for name, _ in named}
    for name, function in named:
        assert f"def {function}(" in sources[name], (name, function)
    everything = "\n".join(sources.values())
    for function in shorthand:
        assert f"def {function}(" in everything, function
