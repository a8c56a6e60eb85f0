"""A phone's own browser (not WeChat's): a page that offers what works there.

WeChat's website sign-in shows a QR code to scan with WeChat on a phone, and its
official-account sign-in runs inside WeChat's own browser; a phone's own browser is on
neither path (see the README, "Phones outside WeChat"). So on a phone the sign-in page
offers the page's address to copy and open inside WeChat (when the site has an official
account), and the computer path; the browser suite (tests/browser/test_phone.py) signs
in that way, under the page's real Content-Security-Policy.
"""

from __future__ import annotations

import re

import pytest

from flask_wechat.browsers import on_phone
from flask_wechat.emulator import WEBSITE_APP_ID, WEBSITE_APP_SECRET

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
ANDROID_FIREFOX = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
HUAWEI_BROWSER = (
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Version/4.0 Chrome/114.0.5735.196 HuaweiBrowser/15.0.4.312 Mobile Safari/537.36"
)
QQ_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Mobile/15E148 QQ/9.0.20.613 V1_IPH_SQ_9.0.20_1_APP_A Pixel/1170"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/12.1 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_TABLET = "Mozilla/5.0 (Android 14; Tablet; rv:128.0) Gecko/128.0 Firefox/128.0"
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
IN_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI"
)
WEBSITE_ONLY = {
    "WECHAT_APP_ID": WEBSITE_APP_ID,
    "WECHAT_APP_SECRET": WEBSITE_APP_SECRET,
    "WECHAT_MP_APP_ID": None,  # no official account
    "WECHAT_MP_APP_SECRET": None,
}

HEADINGS = {"en": "Sign in to localhost", "zh": "登录 localhost", "zh-TW": "登入 localhost"}
OPEN_IN_WECHAT = {
    "en": "Open WeChat and paste it into a chat",
    "zh": "打开微信，把它粘贴到一个聊天里",
    "zh-TW": "打開微信，把它貼到一個聊天裡",
}
ON_A_COMPUTER = {
    "en": "scan the QR code with WeChat on this phone",
    "zh": "用这部手机上的微信扫描二维码",
    "zh-TW": "用這支手機上的微信掃描 QR碼",
}


@pytest.mark.parametrize(
    "user_agent", [IPHONE, ANDROID_CHROME, ANDROID_FIREFOX, HUAWEI_BROWSER, QQ_APP]
)
def test_phones_are_recognised(user_agent):
    assert on_phone(user_agent)


@pytest.mark.parametrize(
    "user_agent", [IPAD, ANDROID_TABLET, FIREFOX_TABLET, DESKTOP, IN_WECHAT, ""]
)
def test_tablets_computers_and_wechat_are_not_phones(user_agent):
    # A tablet's screen can be scanned by the phone beside it: the QR code works there.
    assert not on_phone(user_agent)


def _csp(response):
    return dict(
        (directive.split(" ", 1) + [""])[:2]
        for directive in (d.strip() for d in response.headers["Content-Security-Policy"].split(";"))
    )


@pytest.mark.parametrize("lang", sorted(HEADINGS))
def test_a_phone_gets_the_address_to_open_in_wechat_and_the_computer_path(client, lang):
    response = client.get(
        "/wechat/login?next=/private/page", headers={"User-Agent": IPHONE, "Accept-Language": lang}
    )
    page = response.data.decode()
    assert response.status_code == 200
    assert HEADINGS[lang] in page
    assert OPEN_IN_WECHAT[lang] in page and ON_A_COMPUTER[lang] in page
    # The address to copy is this page's own, next included.
    assert '<code class="wechat-address" id="wechat-address">' in page
    assert "http://localhost/wechat/login?next=/private/page</code>" in page
    # No WeChat button: WeChat's QR page would show a code this phone cannot scan.
    assert "/wechat/authorize" not in page


def test_a_phone_without_an_official_account_is_sent_to_a_computer(make_app):
    client = make_app(**WEBSITE_ONLY).test_client()
    page = client.get("/wechat/login", headers={"User-Agent": ANDROID_CHROME}).data.decode()
    assert ON_A_COMPUTER["en"] in page
    assert OPEN_IN_WECHAT["en"] not in page  # without an official account WeChat cannot sign in
    assert "/wechat/authorize" not in page


def test_the_copy_script_and_only_it_is_allowed(client):
    response = client.get("/wechat/login", headers={"User-Agent": IPHONE})
    page = response.data.decode()
    (src,) = re.findall(r'<script src="([^"]+)"', page)
    assert src == "/wechat/static/wechat/copy.js"
    assert "<script>" not in page and " on" + "click=" not in page  # nothing inline
    csp = _csp(response)
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "localhost/wechat/static/wechat/copy.js"  # one file, exactly
    script = client.get(src)
    assert script.status_code == 200 and b"clipboard" in script.data


@pytest.mark.parametrize("user_agent", [DESKTOP, IPAD])
def test_pages_without_the_script_allow_no_script(client, user_agent):
    response = client.get("/wechat/login", headers={"User-Agent": user_agent})
    assert "<script" not in response.data.decode()
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "/wechat/authorize" in response.data.decode()


def test_the_script_is_allowed_at_the_host_the_page_was_asked_for(make_app):
    client = make_app(SERVER_NAME=None).test_client()
    response = client.get(
        "/wechat/login", base_url="https://shop.example:8443", headers={"User-Agent": IPHONE}
    )
    assert _csp(response)["script-src"] == "shop.example:8443/wechat/static/wechat/copy.js"


def test_a_host_header_cannot_write_into_the_policy(client):
    response = client.get(
        "/wechat/login", headers={"User-Agent": IPHONE, "Host": "evil.example;script-src *"}
    )
    assert response.status_code in (200, 400)
    assert "*" not in response.headers.get("Content-Security-Policy", "")


def test_inside_wechat_without_an_official_account_the_address_can_be_copied(make_app):
    client = make_app(**WEBSITE_ONLY).test_client()
    response = client.get("/wechat/login", headers={"User-Agent": IN_WECHAT})
    assert 'data-wechat-copy="wechat-address"' in response.data.decode()
    assert _csp(response)["script-src"] == "localhost/wechat/static/wechat/copy.js"


def test_embedded_qr_mode_shows_no_qr_code_on_a_phone(make_app):
    client = make_app(WECHAT_QR_MODE="embedded").test_client()
    response = client.get("/wechat/login", headers={"User-Agent": IPHONE})
    assert "wechat-qr-frame" not in response.data.decode()
    assert "frame-src" not in response.headers["Content-Security-Policy"]
