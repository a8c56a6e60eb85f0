"""Rendered sign-in pages, kept for reuse when that is provably safe.

The sign-in page is the most requested page of a sign-in (people, crawlers,
uptime checks), and its HTML usually depends only on what the blueprint
passes to it: the language, ``next``, the host. The templates that make it,
bundled or overridden by the app, are read once: if none of them uses any
other name (``current_user``, ``config``, ``request``, flashed messages,
anything an app's context processor adds), the HTML is kept in a small LRU
and served again for the same inputs. A template that reads anything else is
rendered every time, and nothing is kept while templates auto-reload (debug).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable

from jinja2 import Environment, meta

#: Globals whose output depends only on their arguments (and, for url_for, on
#: the host and script root, which are part of every key).
PURE_GLOBALS = frozenset({"url_for", "range", "dict", "namespace", "cycler", "joiner"})


class PageCache:
    """An LRU of rendered pages for one Jinja environment."""

    def __init__(self, env: Environment, size: int = 256) -> None:
        self.env = env
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._pure: dict[tuple[str, frozenset[str]], bool] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: Hashable, html: str, template: str, names: Iterable[str]) -> None:
        """Keep ``html`` if ``template`` reads nothing but ``names`` and pure globals."""
        if not self.reads_only(template, frozenset(names) | PURE_GLOBALS):
            return
        with self._lock:
            self._pages[key] = html
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def reads_only(self, template: str, allowed: frozenset[str]) -> bool:
        """Whether ``template`` and every template it extends or includes use only ``allowed``."""
        known = self._pure.get((template, allowed))
        if known is None:
            known = self._pure[(template, allowed)] = self._check(template, allowed, set())
        return known

    def _check(self, name: str, allowed: frozenset[str], seen: set[str]) -> bool:
        if name in seen:
            return True
        seen.add(name)
        source, _filename, _uptodate = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        tree = self.env.parse(source)
        if not meta.find_undeclared_variables(tree) <= allowed:
            return False
        for referenced in meta.find_referenced_templates(tree):
            # A template chosen at render time (None) could be anything.
            if referenced is None or not self._check(referenced, allowed, seen):
                return False
        return True
