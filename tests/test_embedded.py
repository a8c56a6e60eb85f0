"""WECHAT_QR_MODE = "embedded": WeChat's QR code inside the sign-in page."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from flask_wechat.emulator import WEBSITE_APP_ID


@pytest.fixture
def client(make_app):
    return make_app(WECHAT_QR_MODE="embedded", WECHAT_QR_STYLE="white").test_client()


def _frame(page: str) -> tuple[str, str, str]:
    match = re.search(
        r'<iframe class="wechat-qr-frame" src="([^"]+)" width="(\d+)" height="(\d+)"', page
    )
    assert match, page
    return html.unescape(match.group(1)), match.group(2), match.group(3)


def test_the_page_embeds_wechats_qr_frame_with_a_state_of_its_own(client, wechat_emulator):
    page = client.get("/wechat/login?next=/private/page").data.decode()
    src, width, height = _frame(page)
    assert src.startswith(f"{wechat_emulator.url}/connect/qrconnect?")
    assert parse_qsl(urlsplit(src).query) == [
        ("appid", WEBSITE_APP_ID),
        ("scope", "snsapi_login"),
        ("redirect_uri", "http://localhost/wechat/callback"),
        ("state", dict(parse_qsl(urlsplit(src).query))["state"]),
        ("login_type", "jssdk"),
        ("self_redirect", "false"),
        ("style", "white"),
        ("lang", "en"),  # the frame follows the page's language
    ]
    assert (width, height) == ("300", "400")  # fixed: no layout shift when it loads
    assert 'href="/wechat/authorize?next=/private/page"' in page  # the button stays as fallback
    with client.session_transaction() as stored:
        assert dict(parse_qsl(urlsplit(src).query))["state"] in stored["_wechat_pending"]


def test_the_frame_is_chinese_on_a_chinese_page(client):
    src, _, _ = _frame(client.get("/wechat/login?lang=zh").data.decode())
    assert "lang=" not in src  # WeChat's default language is Chinese


def test_csp_allows_exactly_the_wechat_origin_for_the_frame(client, wechat_emulator):
    policy = client.get("/wechat/login").headers["Content-Security-Policy"]
    assert f"frame-src {wechat_emulator.url}" in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert policy.count("frame-src") == 1


def test_redirect_mode_allows_no_frames(make_app):
    policy = make_app().test_client().get("/wechat/login").headers["Content-Security-Policy"]
    assert "frame-src" not in policy


def test_scanning_the_embedded_code_signs_in(client, wechat_emulator):
    src, _, _ = _frame(client.get("/wechat/login?next=/private/page").data.decode())
    frame = __import__("requests").get(src, timeout=10)
    assert 'target="_top"' in frame.text  # WeChat moves the top window, not the frame
    callback = wechat_emulator.approve(src, user="lilei")
    response = client.get(callback)
    assert (response.status_code, response.location) == (302, "/private/page")
    assert client.get("/").data.decode() == "signed in as 李雷"


def test_embedded_mode_inside_wechat_shows_the_button_not_a_qr_code(make_app, wechat_emulator):
    from .test_in_wechat import BOTH_APPS, IN_WECHAT

    client = make_app(WECHAT_QR_MODE="embedded", **BOTH_APPS).test_client()
    page = client.get("/wechat/login", headers=IN_WECHAT).data.decode()
    assert "<iframe" not in page and "Continue with your WeChat account" in page
