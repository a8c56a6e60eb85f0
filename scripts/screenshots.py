"""Regenerate the screenshots in docs/screenshots/ (``make screenshots``).

Serves the example app and the WeChat emulator on loopback, as ``make demo`` does,
and photographs the pages people meet with Debian's Chromium through Playwright:
the sign-in page in each language on a desktop (1280x800) and a phone (375x740),
the page after declining on WeChat's side, an error page, and the emulator's page.
Viewport-sized PNGs (the emulator's taller page whole), so they stay small.

    python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from example_app import create_app  # noqa: E402
from flask_wechat.emulator import WEBSITE_APP_ID, EmulatorServer  # noqa: E402
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 740}
#: File-name tag -> the browser's preferred language (sent as Accept-Language).
LOCALES = {"en": "en-US", "zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


def serve(app: Any) -> tuple[str, Any]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator is plain http
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer() as emulator:
        app = create_app(
            {
                "DATABASE": str(Path(tmp) / "users.sqlite3"),
                **emulator.config,
            }
        )
        site, server = serve(app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

            def shoot(
                name: str, language: str, viewport: dict[str, int], go: Any, full: bool = False
            ) -> None:
                context = browser.new_context(locale=LOCALES[language], viewport=viewport)
                page = context.new_page()
                go(page)
                page.evaluate("document.fonts.ready")
                path = args.out / f"{name}.png"
                page.screenshot(path=str(path), animations="disabled", full_page=full)
                context.close()
                print(f"{path.relative_to(ROOT)}  ({path.stat().st_size // 1024} KB)")

            def sign_in_page(page: Any) -> None:
                page.goto(f"{site}/wechat/login?next=/account")

            def declined(page: Any) -> None:
                sign_in_page(page)
                page.locator("a.wechat-button").click()
                page.locator("button[value=deny]").click()
                page.wait_for_url(f"{site}/wechat/callback?*")

            def expired(page: Any) -> None:
                page.goto(f"{site}/wechat/callback?code=x&state=expired")

            def wechat(page: Any) -> None:
                # WeChat's page as the demo's button opens it, with a fixed state: its
                # QR pattern is drawn from the request, so the PNG only changes with the page.
                page.goto(
                    f"{emulator.url}/connect/qrconnect?appid={WEBSITE_APP_ID}"
                    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fwechat%2Fcallback"
                    "&response_type=code&scope=snsapi_login&state=screenshot#wechat_redirect"
                )

            for language in LOCALES:
                shoot(f"sign-in-{language}-desktop", language, DESKTOP, sign_in_page)
                shoot(f"sign-in-{language}-mobile", language, MOBILE, sign_in_page)
            for language in ("en", "zh-Hans"):
                shoot(f"declined-{language}", language, DESKTOP, declined)
                shoot(f"error-{language}", language, DESKTOP, expired)
            shoot("wechat-emulator", "zh-Hans", DESKTOP, wechat, full=True)  # taller than 800
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
