"""A phone's own browser (not WeChat's), in Chromium at phone size with a phone's User-Agent.

The sign-in page offers the page's address to open inside WeChat: here the address is
copied with the page's own button, under the page's real Content-Security-Policy, then
opened in WeChat's browser, where the official account signs the person in. axe-core
checks the page in test_accessibility.py (and in the dark theme in test_theming.py).
"""

from __future__ import annotations

import re

import pytest

from .conftest import MOBILE, WEBSITE_ONLY
from .test_other_ways_in import ALLOW, IN_WECHAT_UA
from .test_sign_in import LANGUAGES, TEXT, heading, on_wechat, sideways_scroll

pytestmark = pytest.mark.browser

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
#: A phone as Playwright plays one: its size, its User-Agent, touch.
PHONE = {"viewport": MOBILE, "user_agent": PHONE_UA, "is_mobile": True, "has_touch": True}
COPY = {"en": "Copy address", "zh_Hans": "复制地址", "zh_Hant": "複製地址"}
COPIED = {"en": "Address copied", "zh_Hans": "地址已复制", "zh_Hant": "地址已複製"}


def open_phone(pages, language, **options):
    return pages.open(
        language, csp=True, permissions=["clipboard-read", "clipboard-write"], **PHONE, **options
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_copy_the_address_then_sign_in_inside_wechat(pages, site, language):
    page = open_phone(pages, language)
    documents = []
    page.on("response", lambda r: r.request.resource_type == "document" and documents.append(r))
    page.goto(f"{site.url}/wechat/login?next=/account")
    assert heading(page) == TEXT[language]["heading"]
    csp = documents[-1].headers["content-security-policy"]
    assert f"script-src {site.url.removeprefix('http://')}/wechat/static/wechat/copy.js" in csp
    # No WeChat button here: it would open a QR code this phone cannot scan.
    assert page.get_by_role("link", name=TEXT[language]["button"]).count() == 0
    assert sideways_scroll(page) <= 0

    page.get_by_role("button", name=COPY[language]).click()  # the script ran under the CSP
    expect_status = page.get_by_role("status")
    expect_status.filter(has_text=COPIED[language]).wait_for()
    address = page.evaluate("navigator.clipboard.readText()")
    assert address == f"{site.url}/wechat/login?next=/account"

    # In WeChat: the pasted link, tapped in a chat, opens in WeChat's own browser.
    in_wechat = pages.open(language, MOBILE, user_agent=IN_WECHAT_UA)
    in_wechat.goto(address)
    in_wechat.get_by_role("link", name=TEXT[language]["button"]).click()
    in_wechat.wait_for_url(f"{site.emulator.url}/connect/oauth2/authorize?*")
    on_wechat(in_wechat, "李雷", ALLOW)
    in_wechat.wait_for_url(f"{site.url}/account")
    assert in_wechat.locator(".teahouse-nickname").inner_text() == "李雷"


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_without_an_official_account_the_phone_is_sent_to_a_computer(pages, make_site, language):
    site = make_site(**WEBSITE_ONLY)
    page = open_phone(pages, language)
    page.goto(f"{site.url}/wechat/login?next=/account")
    steps = page.locator(".wechat-steps li")
    assert steps.count() == 2
    assert re.search("computer|电脑", steps.first.inner_text())
    page.get_by_role("button", name=COPY[language]).click()
    page.get_by_role("status").filter(has_text=COPIED[language]).wait_for()
    assert page.evaluate("navigator.clipboard.readText()").endswith("/wechat/login?next=/account")
    assert sideways_scroll(page) <= 0


def test_without_its_script_the_address_is_still_there_to_select(pages, site):
    page = pages.open("en", csp=True, java_script_enabled=False, **PHONE)
    page.goto(f"{site.url}/wechat/login")
    assert page.locator(".wechat-address").is_visible()
    assert not page.locator(".wechat-copy-button").is_visible()  # a button that did nothing


def test_a_tablet_gets_the_qr_code_path(pages, site):
    ipad = (
        "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/12.1 Mobile/15E148 Safari/604.1"
    )
    page = pages.open("en", {"width": 820, "height": 1180}, user_agent=ipad, has_touch=True)
    page.goto(f"{site.url}/wechat/login")
    page.get_by_role("link", name=TEXT["en"]["button"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")
