"""The README's config table is the one in the code."""

from __future__ import annotations

from pathlib import Path

from flask_wechat.config import CONFIG_KEYS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


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
