"""A real browser: Debian's Chromium, driven by Playwright, against real servers on loopback.

The example app (``example_app.py``, its own SQLite file per test) and the WeChat
emulator are both served over HTTP on 127.0.0.1; the browser goes from one to the
other exactly as a person's browser goes from a site to WeChat and back.

``make test`` installs what these tests need (``make browser-deps``): Debian's
``chromium``, ``fonts-noto-cjk`` and ``fonts-noto-color-emoji``, and axe-core from npm
into ``.cache/axe``. Playwright's own browser download is not used. Without them the
tests are skipped, except under ``CI=true``, where a missing piece is a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from example_app import create_app
from flask_wechat.emulator import WEBSITE_APP_ID, WEBSITE_APP_SECRET

from ..helpers import IN_CI
from .chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]

AXE_JS = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"

DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 740}

#: The website app alone, without an official account (the emulator's config has both).
WEBSITE_ONLY = {
    "WECHAT_APP_ID": WEBSITE_APP_ID,
    "WECHAT_APP_SECRET": WEBSITE_APP_SECRET,
    "WECHAT_MP_APP_ID": None,
    "WECHAT_MP_APP_SECRET": None,
}

#: The browser's languages (sent as Accept-Language) for each language under test.
LOCALES = {"en": "en-US", "zh_Hans": "zh-CN", "zh_Hant": "zh-TW"}


def missing(what: str) -> None:
    """Skip a test for lack of ``what``; under CI=true, fail instead."""
    message = f"{what}: run `make browser-deps` (make test does)"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


@dataclass
class Site:
    """The example app served on loopback, and the emulator it signs in against."""

    url: str
    app: Any
    emulator: Any

    def refuse_everyone(self) -> None:
        """Make the app's profile handler return None (the "refused" page)."""
        self.app.extensions["wechat"].extension.profile_handler(lambda profile, token: None)


@pytest.fixture
def make_site(tmp_path: Path, wechat_emulator: Any) -> Iterator[Callable[..., Site]]:
    """``make_site(**config)``: the example app with extra config, served on loopback."""
    servers: list[tuple[Any, threading.Thread]] = []

    def serve(**config: Any) -> Site:
        app = create_app(
            {
                "SECRET_KEY": "browser-tests",
                "DATABASE": str(tmp_path / f"users-{len(servers)}.sqlite3"),
                **wechat_emulator.config,
                **config,
            }
        )
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="example-app",
            daemon=True,
        )
        thread.start()
        servers.append((server, thread))
        # Official-account authorize refuses a port; registering this loopback one is
        # the emulator's one leniency (real WeChat needs the site on 80/443).
        wechat_emulator.world.add_callback_domain(f"127.0.0.1:{server.server_port}")
        return Site(f"http://127.0.0.1:{server.server_port}", app, wechat_emulator)

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    """The example app as ``make demo`` runs it (redirect to WeChat's QR page)."""
    return make_site()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package playwright is not installed")
    if not CHROMIUM.exists():
        missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class Pages:
    """Opens pages in fresh browser contexts (own cookies), closed after the test."""

    browser: Any
    contexts: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Browser options for every page opened, unless the call says otherwise
    #: (for instance ``{"color_scheme": "dark"}``, or a phone's viewport).
    defaults: dict[str, Any] = field(default_factory=dict)

    def open(
        self,
        language: str = "en",
        viewport: dict[str, int] | None = None,
        *,
        csp: bool = False,
        user_agent: str | None = None,
        **options: Any,
    ) -> Any:
        """A new page whose browser prefers ``language`` (a catalog name).

        The pages' Content-Security-Policy allows no script but their own copy
        button's, so axe-core needs it bypassed, unless ``csp=True``. Console errors
        (a CSP violation is one) are collected in :attr:`problems` with failed loads,
        which the fixture checks after the test. ``options`` go to Playwright's
        ``new_context`` (``color_scheme``, ``permissions``, ``is_mobile``, …).
        """
        settings = {**self.defaults, **options}
        settings["viewport"] = viewport or settings.get("viewport") or DESKTOP
        if user_agent:
            settings["user_agent"] = user_agent
        context = self.browser.new_context(locale=LOCALES[language], bypass_csp=not csp, **settings)
        context.set_default_timeout(5000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))
        page.on("response", self._response)
        return page

    def _console(self, page: Any, message: Any) -> None:
        # A failed load is reported, with its URL, by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"{page.url}: console error: {message.text}")

    def _response(self, response: Any) -> None:
        # Error pages are documents with an error status on purpose; what they
        # load (CSS, images, the icon) must load.
        request = response.request
        if response.status >= 400 and request.resource_type != "document":
            self.problems.append(f"{request.url}: HTTP {response.status}")


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    opened = Pages(browser)
    yield opened
    for context in opened.contexts:
        context.close()
    assert not opened.problems, "\n".join(opened.problems)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; every violation, of every rule axe runs."""
    if not AXE_JS.exists():
        missing(f"axe-core is not installed ({AXE_JS.relative_to(ROOT)})")
    for frame in page.frames:  # an embedded QR code is checked inside its frame too
        if not frame.evaluate("typeof window.axe === 'object'"):
            frame.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary),
            }));
        }"""
    )


@pytest.fixture
def assert_accessible() -> Callable[[Any], None]:
    """``assert_accessible(page)``: axe-core finds nothing wrong with the page."""

    def check(page: Any) -> None:
        violations = axe_violations(page)
        report = "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
            for v in violations
        )
        assert not violations, f"axe-core on {page.url}:\n{report}"

    return check
