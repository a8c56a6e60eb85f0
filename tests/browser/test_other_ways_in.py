"""The embedded QR code (WECHAT_QR_MODE = "embedded") and WeChat's own browser, in Chromium.

axe-core checks these pages in test_accessibility.py.
"""

from __future__ import annotations

import re

import pytest

from .conftest import MOBILE, WEBSITE_ONLY
from .test_sign_in import (
    CONFIRM,
    FLOW_LANGUAGES,
    LANGUAGES,
    TEXT,
    heading,
    on_wechat,
    sideways_scroll,
)

pytestmark = pytest.mark.browser

IN_WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x28003133) NetType/WIFI"
)
ALLOW = re.compile("^(Allow|允许)$")


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_embedded_qr_code_signs_in_under_the_pages_own_csp(pages, make_site, language):
    site = make_site(WECHAT_QR_MODE="embedded")
    page = pages.open(language, csp=True)  # frame-src must let exactly the emulator in
    page.goto(f"{site.url}/wechat/login?next=/account")
    frame = page.frame_locator("iframe.wechat-qr-frame")
    expected = "en" if language == "en" else "zh-CN"  # WeChat's frame: English or Chinese
    assert frame.locator("html").get_attribute("lang") == expected
    frame.locator("select").select_option("hanmeimei")
    frame.get_by_role("button", name=CONFIRM).click()
    page.wait_for_url(f"{site.url}/account")  # the whole page moved, not the frame
    assert page.locator(".teahouse-nickname").inner_text() == "Han Meimei 🐼"


@pytest.mark.parametrize("language", LANGUAGES)
def test_embedded_qr_code_fits_a_phone(pages, make_site, language):
    site = make_site(WECHAT_QR_MODE="embedded")
    page = pages.open(language, MOBILE)
    page.goto(f"{site.url}/wechat/login?next=/account")
    page.frame_locator("iframe.wechat-qr-frame").locator("select").wait_for()
    assert sideways_scroll(page) <= 0
    box = page.locator("iframe.wechat-qr-frame").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"]


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_inside_wechat_with_an_official_account(pages, site, language):
    # The emulator's settings configure its official account too.
    page = pages.open(language, MOBILE, user_agent=IN_WECHAT_UA)
    page.goto(f"{site.url}/wechat/login?next=/account")
    page.get_by_role("link", name=TEXT[language]["button"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/oauth2/authorize?*")
    assert sideways_scroll(page) <= 0
    on_wechat(page, "李雷", ALLOW)
    page.wait_for_url(f"{site.url}/account")
    assert page.locator(".teahouse-nickname").inner_text() == "李雷"


@pytest.mark.parametrize("language", LANGUAGES)
def test_inside_wechat_without_an_official_account(pages, make_site, language):
    site = make_site(**WEBSITE_ONLY)
    page = pages.open(language, MOBILE, user_agent=IN_WECHAT_UA)
    page.goto(f"{site.url}/wechat/login?next=/account")
    assert heading(page) in ("Sign in from a computer", "请在电脑上登录", "請在電腦上登入")
    address = page.locator(".wechat-address").inner_text()
    assert address == f"{site.url}/wechat/login?next=/account"  # to open on a computer
    assert sideways_scroll(page) <= 0
