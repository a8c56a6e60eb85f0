"""The README's config table is the one in the code."""

from __future__ import annotations

import re
from pathlib import Path

from flask_wechat.config import CONFIG_KEYS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_config_key_is_in_the_readme_table_with_its_default():
    rows = {
        line.split("|")[1].strip(" `"): line.split("|")[2].strip(" `")
        for line in README.splitlines()
        if line.startswith("| `WECHAT_")
    }
    assert set(rows) == set(CONFIG_KEYS)
    for key, (default, _meaning) in CONFIG_KEYS.items():
        assert rows[key] == repr(default), key


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_block and "make test" in first_block


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
