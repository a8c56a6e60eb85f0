"""The sign-in as people meet it, in Chromium: both languages, keyboard, phone, axe-core.

Every page the flow shows is checked with axe-core (``assert_accessible``), which
fails on any violation of any rule it runs.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import MOBILE

pytestmark = pytest.mark.browser

#: What a person reads on the site's pages, per language (catalog name).
TEXT = {
    "en": {
        "html_lang": "en",
        "heading": "Sign in to Teahouse 茶馆",
        "button": "Sign in with WeChat",
        "declined": "You cancelled the sign-in",
        "refused": "Sign-in not allowed",
        "expired": "This sign-in link has expired",
        "unavailable": "WeChat sign-in is unavailable",
        "retry": "Try again",
        "home": "Back to the home page",
        "switch_to": "简体中文",
    },
    "zh_Hans": {
        "html_lang": "zh-Hans",
        "heading": "登录 Teahouse 茶馆",
        "button": "微信登录",
        "declined": "你已取消登录",
        "refused": "不允许登录",
        "expired": "此登录链接已失效",
        "unavailable": "微信登录暂不可用",
        "retry": "重试",
        "home": "返回首页",
        "switch_to": "English",
    },
}
LANGUAGES = sorted(TEXT)

#: The emulator's buttons, in whichever of its two languages it shows.
CONFIRM = re.compile("^(Confirm|确认登录)$")
DENY = re.compile("^(Deny|拒绝)$")


def to_wechat(page: Any, site: Any, language: str, next_url: str = "/account") -> None:
    """Open the site's sign-in page and press the WeChat button."""
    page.goto(f"{site.url}/wechat/login?next={next_url}")
    assert page.locator("html").get_attribute("lang") == TEXT[language]["html_lang"]
    page.get_by_role("link", name=TEXT[language]["button"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")


def on_wechat(page: Any, nickname: str, button: re.Pattern[str]) -> None:
    """On the emulator's page: pick the test person, press Confirm or Deny."""
    page.get_by_label(nickname).check()
    page.get_by_role("button", name=button).click()


def heading(page: Any) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_and_out(pages, site, assert_accessible, language):
    text = TEXT[language]
    page = pages.open(language)
    page.goto(site.url)
    assert_accessible(page)
    page.get_by_role("link", name="Sign in · 登录").click()
    assert heading(page) == text["heading"]
    assert_accessible(page)

    page.get_by_role("link", name=text["button"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")
    assert_accessible(page)
    on_wechat(page, "Han Meimei 🐼", CONFIRM)

    page.wait_for_url(f"{site.url}/account")
    assert page.locator(".teahouse-nickname").inner_text() == "Han Meimei 🐼"
    avatar = page.locator("img.teahouse-avatar")
    assert avatar.is_visible()
    assert avatar.evaluate("img => img.complete && img.naturalWidth > 0")
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.url}/")
    assert page.get_by_role("link", name="Sign in · 登录").is_visible()
    page.goto(f"{site.url}/account")  # signed out for real: the account asks to sign in
    assert urlsplit(page.url).path == "/wechat/login"


@pytest.mark.parametrize("language", LANGUAGES)
def test_decline_then_try_again(pages, site, assert_accessible, language):
    text = TEXT[language]
    page = pages.open(language)
    to_wechat(page, site, language)
    on_wechat(page, "李雷", DENY)

    page.wait_for_url(f"{site.url}/wechat/callback?*")
    assert heading(page) == text["declined"]
    assert_accessible(page)
    page.get_by_role("link", name=text["retry"]).click()

    assert urlsplit(page.url).path == "/wechat/login"
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/account"]
    page.get_by_role("link", name=text["button"]).click()
    on_wechat(page, "李雷", CONFIRM)
    page.wait_for_url(f"{site.url}/account")
    assert page.locator(".teahouse-nickname").inner_text() == "李雷"


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_switch_keeps_next(pages, site, assert_accessible, language):
    other = next(code for code in LANGUAGES if code != language)
    page = pages.open(language)
    page.goto(f"{site.url}/wechat/login?next=/account")
    switch = page.get_by_role("navigation").get_by_role("link", name=TEXT[language]["switch_to"])
    switch.click()

    assert page.locator("html").get_attribute("lang") == TEXT[other]["html_lang"]
    assert heading(page) == TEXT[other]["heading"]
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/account"]
    current = page.locator("nav a[aria-current]")
    assert current.inner_text() == TEXT[language]["switch_to"]
    assert_accessible(page)

    page.get_by_role("link", name=TEXT[other]["button"]).click()
    on_wechat(page, "李雷", CONFIRM)
    page.wait_for_url(f"{site.url}/account")  # next survived the switch
    # The choice is remembered for the rest of the visit.
    page.goto(f"{site.url}/wechat/callback?code=x&state=forged")
    assert heading(page) == TEXT[other]["expired"]


def sideways_scroll(page: Any) -> int:
    """How far the page scrolls horizontally, in CSS pixels (0: it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_width_has_no_horizontal_scroll(pages, site, assert_accessible, language):
    text = TEXT[language]
    page = pages.open(language, MOBILE)
    to_wechat(page, site, language)
    assert sideways_scroll(page) <= 0, "the emulator's page"
    on_wechat(page, "李雷", DENY)
    page.wait_for_url(f"{site.url}/wechat/callback?*")
    assert sideways_scroll(page) <= 0, "the declined page"
    page.get_by_role("link", name=text["retry"]).click()
    assert sideways_scroll(page) <= 0, "the sign-in page"
    button = page.get_by_role("link", name=text["button"]).bounding_box()
    assert button["x"] >= 0 and button["x"] + button["width"] <= MOBILE["width"]
    assert button["height"] >= 44  # a comfortable touch target
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_keyboard_reaches_the_wechat_button_with_visible_focus(pages, site, language):
    page = pages.open(language)
    page.goto(f"{site.url}/wechat/login?next=/account")
    button = page.get_by_role("link", name=TEXT[language]["button"])
    for _press in range(10):
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("ten presses of Tab never reached the WeChat button")
    focus = button.evaluate(
        """element => {
            const style = getComputedStyle(element);
            return {
                visible: element.matches(":focus-visible"),
                outline: style.outlineStyle,
                width: parseFloat(style.outlineWidth),
                color: style.outlineColor,
            };
        }"""
    )
    assert focus["visible"] and focus["outline"] != "none" and focus["width"] >= 2, focus
    page.keyboard.press("Enter")  # and Enter follows it
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")


@pytest.mark.parametrize("language", LANGUAGES)
def test_skip_link_is_first_and_shows_on_focus(pages, site, language):
    page = pages.open(language)
    page.goto(f"{site.url}/wechat/login")
    page.keyboard.press("Tab")
    skip = page.locator(".wechat-skip")
    assert skip.evaluate("element => element === document.activeElement")
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0  # on screen, not parked at left: -999px
