"""Every message has its translation, and the shipped .mo matches its .po."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import flask_wechat
from flask_wechat.i18n import LANGUAGES, TRANSLATIONS_DIR

#: The package as imported: the checkout, or the installed wheel in CI's wheel run.
PACKAGE = Path(flask_wechat.__file__).parent
CATALOGS = [locale for locale in LANGUAGES if locale != "en"]


def _source_messages() -> set[str]:
    """Extract with the same configuration as `make translations` (babel.cfg)."""
    method_map = [
        ("*.py", "python"),
        ("templates/wechat/**.html", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    messages = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map, keywords=keywords
        )
    }
    assert len(messages) > 20, f"extraction found almost nothing in {PACKAGE}"
    return messages


@pytest.mark.parametrize("locale", CATALOGS)
def test_every_message_is_translated(locale):
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "flask_wechat.po", "rb") as po:
        catalog = read_po(po)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = _source_messages() - translated
    assert not missing, f"untranslated in {locale}: {sorted(missing)}"


@pytest.mark.parametrize("locale", CATALOGS)
def test_compiled_catalog_is_current(locale):
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    with open(folder / "flask_wechat.po", "rb") as po, open(folder / "flask_wechat.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(io.BytesIO(mo.read()))
    expected = {m.id: m.string for m in source if m.id and m.string and not m.fuzzy}
    shipped = {m.id: m.string for m in compiled if m.id}
    assert shipped == expected, "run `make translations` to recompile"


def test_placeholders_survive_translation():
    for locale in CATALOGS:
        with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "flask_wechat.po", "rb") as po:
            for message in read_po(po):
                if message.id and message.string:
                    for name in ("%(site)s", "%(code)s"):
                        assert (name in message.id) == (name in message.string), message.id
