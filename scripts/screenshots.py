"""Regenerate the screenshots in docs/screenshots/ (``make screenshots``).

Serves the example app and the WeChat emulator on loopback, as ``make demo`` does,
and photographs the pages people meet with Debian's Chromium through Playwright:
the sign-in page in each language on a desktop (1280x800) and in a phone's own
browser (375x740, an iPhone's User-Agent: the page that offers what works there),
the sign-in page inside WeChat, the page after declining on WeChat's side, an error
page, the dark theme (a device that asks for dark pages) on a desktop and a phone,
the example's account page with WeChat connected to a demo account, the page for a
WeChat already connected to another account, and the emulator's page. Viewport-sized
PNGs (taller pages whole), so they stay small.

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
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI"
)
#: A phone's browser as Playwright plays one; inside WeChat, the same phone.
PHONE = {"viewport": MOBILE, "user_agent": PHONE_UA, "is_mobile": True, "has_touch": True}
IN_WECHAT = {**PHONE, "user_agent": WECHAT_UA}
DEMO_PORT = 5000
#: File-name tag -> the browser's preferred language (sent as Accept-Language).
LOCALES = {"en": "en-US", "zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


def serve(app: Any, port: int = 0) -> tuple[str, Any]:
    """Serve ``app`` on 127.0.0.1: on ``port`` if it is free, else on one the system picks."""
    try:
        server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
    except OSError:
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
        # The phone pages show their own address: the demo's port when it is free keeps
        # them the same from run to run (and the same as `make demo` shows).
        site, server = serve(app, DEMO_PORT)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

            def shoot(
                name: str,
                language: str,
                device: dict[str, Any],
                go: Any,
                full: bool = False,
                **options: Any,
            ) -> None:
                context = browser.new_context(locale=LOCALES[language], **device, **options)
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

            def expired(page: Any) -> None:  # a state nobody issued: "can't be used"
                page.goto(f"{site}/wechat/callback?code=x&state=unknown")

            def wechat(page: Any) -> None:
                # WeChat's page as the demo's button opens it, with a fixed state: its
                # QR pattern is drawn from the request, so the PNG only changes with the page.
                page.goto(
                    f"{emulator.url}/connect/qrconnect?appid={WEBSITE_APP_ID}"
                    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fwechat%2Fcallback"
                    "&response_type=code&scope=snsapi_login&state=screenshot#wechat_redirect"
                )

            def demo_account(page: Any, who: str = "demo-mei") -> None:
                """A demo account's button on the home page: its account page."""
                page.goto(site)
                page.locator(f"form:has(input[value={who}]) button").click()
                page.wait_for_url(f"{site}/account")

            def connect_wechat(page: Any, person: str) -> None:
                page.locator(".teahouse-wechat a.wechat-button").click()
                page.locator(f"input[value={person}]").check()
                page.locator("button[value=confirm]").click()

            def account(page: Any) -> None:  # Mei's, with 李雷's WeChat just connected
                demo_account(page)
                connected = page.locator(".teahouse-disconnect button")
                if connected.count():  # by an earlier shot: disconnect, to connect again
                    connected.click()
                    page.wait_for_url(f"{site}/account")
                connect_wechat(page, "lilei")
                page.wait_for_url(f"{site}/account")

            def already_connected(page: Any) -> None:  # Tao tries 李雷's WeChat, which Mei has
                demo_account(page, "demo-tao")
                connect_wechat(page, "lilei")
                page.wait_for_url(f"{site}/wechat/callback?*")

            desktop = {"viewport": DESKTOP}
            for language in LOCALES:
                shoot(f"sign-in-{language}-desktop", language, desktop, sign_in_page)
                shoot(f"sign-in-{language}-mobile", language, PHONE, sign_in_page, full=True)
            shoot("sign-in-in-wechat-zh-Hans", "zh-Hans", IN_WECHAT, sign_in_page)
            for language in ("en", "zh-Hans"):
                shoot(f"declined-{language}", language, desktop, declined)
                shoot(f"error-{language}", language, desktop, expired)
            dark = {"color_scheme": "dark"}
            shoot("dark-desktop", "en", desktop, sign_in_page, **dark)
            shoot("dark-mobile", "zh-Hant", PHONE, sign_in_page, full=True, **dark)
            shoot("dark-error-zh-Hans", "zh-Hans", desktop, expired, **dark)
            for language in ("en", "zh-Hans"):
                # Mei connects 李雷's WeChat, then Tao is refused it.
                shoot(f"account-{language}", language, desktop, account)
                shoot(f"already-connected-{language}", language, desktop, already_connected)
            shoot("wechat-emulator", "zh-Hans", desktop, wechat, full=True)  # taller than 800
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
