"""The ``wechat-config-table`` directive: the WECHAT_* table, read from the code.

The table in :doc:`configuration` is built from :data:`flask_wechat.config.CONFIG_KEYS`
at every build, so the documentation cannot drift from the keys the extension reads.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive


def _cell(text: str, literal: bool = False) -> nodes.entry:
    entry = nodes.entry()
    paragraph = nodes.paragraph()
    paragraph += nodes.literal(text, text) if literal else nodes.Text(text)
    entry += paragraph
    return entry


class ConfigTable(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from flask_wechat.config import CONFIG_KEYS

        table = nodes.table(classes=["wechat-config"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (30, 20, 50):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        row = nodes.row()
        for title in ("key", "default", "meaning"):
            row += _cell(title)
        head += row
        group += head
        body = nodes.tbody()
        for key, (default, meaning) in CONFIG_KEYS.items():
            row = nodes.row(ids=[nodes.make_id(key)])
            row += _cell(key, literal=True)
            row += _cell(repr(default), literal=True)
            row += _cell(meaning)
            body += row
        group += body
        return [table]


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("wechat-config-table", ConfigTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
