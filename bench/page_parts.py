"""Where the sign-in page's CPU goes beyond a bare render: each piece replaced by its result.

``python -m bench.page_parts [--rounds N]``

The benchmark's page app (``bench.run._page_app``: the flask-wechat app and its ``/bare``
yardstick) is built once per variant. In each variant one piece of the sign-in page's work
is replaced by what it produces, so the page's bytes stay the same (checked against
``/bare``): the template's strings written out in English instead of ``_()``, the mark's
SVG instead of the macro, and so on. The variants take turns in every round, each
alternating its page with its own ``/bare``, so that a busy moment of the machine hits them
all alike. A variant's ratio minus the shipped page's is what that piece costs, in units
of a bare render. This is a measuring device, not a way to serve the page: every piece
replaced here is work the page must do (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import os
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

from flask import Flask
from jinja2 import ChoiceLoader

import flask_wechat.i18n as i18n
import flask_wechat.views as views

from .emulator_process import EmulatorProcess
from .run import SENTINEL_NEXT, _page_app

TEMPLATES = Path(views.__file__).parent / "templates"
STATIC_URLS = {
    f"{{{{ url_for('wechat.static', filename='wechat/{name}') }}}}": f"/wechat/static/wechat/{name}"
    for name in ("icon.svg", "wechat.css")
}

#: (template file, text, replacement); a callable replacement rewrites the whole file.
Edit = tuple[str, str | None, Any]


def _english(source: str) -> str:
    source = source.replace(
        '{{ _("Sign in to %(site)s", site=site_name) }}', "Sign in to {{ site_name }}"
    )
    source = re.sub(r'\{\{ _\("([^"%]*)"\) \}\}', r"\1", source)
    return re.sub(r"\{\{ _\('([^'%]*)'\) \}\}", r"\1", source)


def _template_edits(app: Flask) -> dict[str, list[Edit]]:
    page = app.test_client().get("/wechat/login", query_string={"next": SENTINEL_NEXT})
    html = page.data.decode()
    mark = i18n_mark(app)
    links = re.search(r"<ul>.*?</ul>", html, re.S)
    assert links is not None
    links_html = links.group(0).replace(SENTINEL_NEXT, "{{ next_url }}")
    strings: list[Edit] = [("login.html", None, _english), ("base.html", None, _english)]
    marks: list[Edit] = [
        ("login.html", "{{ wechat_mark(40) }}", str(mark(40))),
        ("login.html", "{{ wechat_mark(22) }}", str(mark(22))),
    ]
    statics: list[Edit] = [("base.html", call, url) for call, url in STATIC_URLS.items()]
    switch: list[Edit] = [
        ("base.html", None, lambda s: re.sub(r"<ul>.*?</ul>", lambda _: links_html, s, flags=re.S))
    ]
    return {
        "strings written out (no `_()`)": strings,
        "the mark's SVG written out (no macro calls)": marks,
        "static URLs written out (no `url_for` in the template)": statics,
        "language switch written out (no loop)": switch,
        "all four above": strings + marks + statics + switch,
        "one flat template (the page's bytes; the view's work only)": [
            ("login.html", None, html.replace(SENTINEL_NEXT, "{{ next_url }}"))
        ],
    }


def i18n_mark(app: Flask) -> Any:
    with app.test_request_context():
        return i18n.mark_macro()


def _copy_templates(edits: list[Edit]) -> str:
    folder = tempfile.mkdtemp(prefix="page-parts-")
    shutil.copytree(TEMPLATES, folder, dirs_exist_ok=True)
    for name, old, new in edits:
        path = Path(folder, "wechat", name)
        source = path.read_text("utf-8")
        if old is None:
            source = new(source) if callable(new) else new
        else:
            assert old in source, (name, old)
            source = source.replace(old, new)
        path.write_text(source, "utf-8")
    return folder


@contextlib.contextmanager
def _patched(*changes: tuple[Any, str, Any]) -> Iterator[None]:
    saved = [(owner, name, getattr(owner, name)) for owner, name, _value in changes]
    for owner, name, value in changes:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


@contextlib.contextmanager
def _swapped(mapping: Any, key: str, value: Any) -> Iterator[None]:
    saved = mapping[key]
    mapping[key] = value
    try:
        yield
    finally:
        mapping[key] = saved


def _view_variants() -> dict[str, Callable[[Flask], Any]]:
    real_url_for = views.url_for

    def built_urls(endpoint: str, **values: Any) -> str:
        # The view's two url_for (the button, the language switch), as they come out here.
        if endpoint in (".authorize", "wechat.login"):
            path = "/wechat/authorize" if endpoint == ".authorize" else "/wechat/login"
            return f"{path}?next={values['next']}"
        return real_url_for(endpoint, **values)

    return {
        "no security headers (bytes same, 5 headers fewer)": lambda app: _swapped(
            app.after_request_funcs, "wechat", []
        ),
        "the view's two `url_for` written out": lambda app: _patched(
            (views, "url_for", built_urls), (i18n, "url_for", built_urls)
        ),
        "language fixed (no `select_locale`)": lambda app: _patched(
            (i18n, "select_locale", lambda: "en"), (views, "select_locale", lambda: "en")
        ),
    }


def measure(rounds: int, per_round: int) -> list[tuple[str, float]]:
    with EmulatorProcess() as emulator:
        probe = _page_app(emulator.url).app
        template_edits = _template_edits(probe)
        setups: dict[str, tuple[Flask, Callable[[Flask], Any]]] = {}
        # A second, identical app shows how far two apps differ by chance (memory layout).
        shipped: dict[str, list[Edit]] = {"as shipped": [], "as shipped, a second app": []}
        for name, edits in {**shipped, **template_edits}.items():
            app = _page_app(emulator.url).app
            if edits:  # this app's copy of the templates first (the blueprint is shared)
                variant = views.BundledTemplates(_copy_templates(edits))
                app.jinja_env.loader = ChoiceLoader([variant, app.jinja_env.loader])
            setups[name] = (app, lambda app: contextlib.nullcontext())
        for name, change in _view_variants().items():
            setups[name] = (_page_app(emulator.url).app, change)
        clients = {}
        for name, (app, change) in setups.items():
            client = app.test_client()
            with change(app):
                pages = [
                    client.get(p, query_string={"next": "/page/0"})
                    for p in ("/wechat/login", "/bare")
                ]
                if pages[0].data != pages[1].data:
                    raise SystemExit(f"{name}: the page's bytes changed")
                for number in range(50):  # warm-up
                    for path in ("/wechat/login", "/bare"):
                        client.get(path, query_string={"next": f"/warm/{number}"})
            clients[name] = client
        cpu: dict[str, dict[str, list[int]]] = {name: {"page": [], "bare": []} for name in setups}
        numbers = itertools.count()
        names = list(setups)
        for round_no in range(rounds):
            turn = names[round_no % len(names) :] + names[: round_no % len(names)]
            for name in turn:
                app, change = setups[name]
                paths = [("page", "/wechat/login"), ("bare", "/bare")]
                with change(app):
                    for kind, path in paths if round_no % 2 == 0 else paths[::-1]:
                        for _ in range(per_round):
                            query = {"next": f"/page/{next(numbers)}"}
                            start = time.thread_time_ns()
                            clients[name].get(path, query_string=query)
                            cpu[name][kind].append(time.thread_time_ns() - start)
            gc.collect()
    return [
        (name, statistics.median(cpu[name]["page"]) / statistics.median(cpu[name]["bare"]))
        for name in names
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.page_parts", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=40, help="rounds (default 40)")
    parser.add_argument("--per-round", type=int, default=10, help="requests per page per round")
    args = parser.parse_args(argv)
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    rows = measure(args.rounds, args.per_round)
    shipped = rows[0][1]
    print(f"{args.rounds} rounds × {args.per_round} requests per page and variant\n")
    print("| variant | CPU ×bare | change |\n|---|--:|--:|")
    for name, ratio in rows:
        change = "—" if name == "as shipped" else f"{ratio - shipped:+.3f}"
        print(f"| {name} | {ratio:.3f} | {change} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
