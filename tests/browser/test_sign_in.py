"""The sign-in as people meet it, in Chromium: every language, keyboard, phone.

axe-core checks each page these flows show in test_accessibility.py.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flask_wechat.i18n import LANGUAGES as CATALOGS

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
        "unusable": "This sign-in link can’t be used",
        "unavailable": "WeChat sign-in is unavailable",
        "retry": "Try again",
        "home": "Back to the home page",
        "example_sign_in": "Sign in",
        "example_sign_out": "Sign out",
        "example_lead": "You are signed in with WeChat.",
    },
    "zh_Hans": {
        "html_lang": "zh-Hans",
        "heading": "登录 Teahouse 茶馆",
        "button": "微信登录",
        "declined": "你已取消登录",
        "refused": "不允许登录",
        "unusable": "此登录链接无法使用",
        "unavailable": "微信登录暂不可用",
        "retry": "重试",
        "home": "返回首页",
        "example_sign_in": "登录",
        "example_sign_out": "退出登录",
        "example_lead": "你已用微信登录。",
    },
    "zh_Hant": {
        "html_lang": "zh-Hant",
        "heading": "登入 Teahouse 茶馆",
        "button": "微信登入",
        "declined": "你已取消登入",
        "refused": "不允許登入",
        "unusable": "此登入連結無法使用",
        "unavailable": "微信登入暫時無法使用",
        "retry": "重試",
        "home": "返回首頁",
        "example_sign_in": "登入",
        "example_sign_out": "登出",
        "example_lead": "你已用微信登入。",
    },
}
LANGUAGES = sorted(TEXT)
#: The long flows run in English and Simplified Chinese; Traditional Chinese shares
#: their templates and is covered by the switch, the phone width and axe-core.
FLOW_LANGUAGES = ["en", "zh_Hans"]
#: Each language's own name, as the language switch shows it.
NAMES = {code: name for code, (_tag, name) in CATALOGS.items()}

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


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_sign_in_and_out(pages, site, language):
    text = TEXT[language]
    page = pages.open(language)
    page.goto(site.url)
    page.get_by_role("link", name=text["example_sign_in"], exact=True).click()
    assert heading(page) == text["heading"]

    page.get_by_role("link", name=text["button"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")
    # WeChat's QR page in the reader's language: lang=en for English, Chinese otherwise.
    english = language == "en"
    assert page.locator("html").get_attribute("lang") == ("en" if english else "zh-CN")
    on_wechat(page, "Han Meimei 🐼", re.compile("^Confirm$" if english else "^确认登录$"))

    page.wait_for_url(f"{site.url}/account")
    assert page.locator(".teahouse-nickname").inner_text() == "Han Meimei 🐼"
    assert page.locator("html").get_attribute("lang") == text["html_lang"]  # the app's own page
    avatar = page.locator("img.teahouse-avatar")
    assert avatar.is_visible()
    assert avatar.evaluate("img => img.complete && img.naturalWidth > 0")

    page.goto(site.url)
    assert page.locator(".wechat-lead").inner_text() == text["example_lead"]
    page.get_by_role("button", name=text["example_sign_out"]).click()
    page.wait_for_url(f"{site.url}/")
    assert page.get_by_role("link", name=text["example_sign_in"], exact=True).is_visible()
    page.goto(f"{site.url}/account")  # signed out for real: the account asks to sign in
    assert urlsplit(page.url).path == "/wechat/login"


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_decline_then_try_again(pages, site, language):
    text = TEXT[language]
    page = pages.open(language)
    to_wechat(page, site, language)
    on_wechat(page, "李雷", DENY)

    page.wait_for_url(f"{site.url}/wechat/callback?*")
    assert heading(page) == text["declined"]
    page.get_by_role("link", name=text["retry"]).click()

    assert urlsplit(page.url).path == "/wechat/login"
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/account"]
    page.get_by_role("link", name=text["button"]).click()
    on_wechat(page, "李雷", CONFIRM)
    page.wait_for_url(f"{site.url}/account")
    assert page.locator(".teahouse-nickname").inner_text() == "李雷"


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_switch_keeps_next(pages, site, language):
    other = LANGUAGES[(LANGUAGES.index(language) + 1) % len(LANGUAGES)]
    page = pages.open(language)
    page.goto(f"{site.url}/wechat/login?next=/account")
    switch = page.get_by_role("navigation")
    assert switch.locator("a[aria-current]").inner_text() == NAMES[language]
    switch.get_by_role("link", name=NAMES[other]).click()

    assert page.locator("html").get_attribute("lang") == TEXT[other]["html_lang"]
    assert heading(page) == TEXT[other]["heading"]
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/account"]
    assert switch.locator("a[aria-current]").inner_text() == NAMES[other]

    page.get_by_role("link", name=TEXT[other]["button"]).click()
    on_wechat(page, "李雷", CONFIRM)
    page.wait_for_url(f"{site.url}/account")  # next survived the switch
    # The choice is remembered for the rest of the visit.
    page.goto(f"{site.url}/wechat/callback?code=x&state=forged")
    assert heading(page) == TEXT[other]["unusable"]


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
def test_keyboard_skip_link_then_wechat_button_with_visible_focus(pages, site, language):
    page = pages.open(language)
    page.goto(f"{site.url}/wechat/login?next=/account")
    page.keyboard.press("Tab")  # first the skip link, shown when focused
    skip = page.locator(".wechat-skip")
    assert skip.evaluate("element => element === document.activeElement")
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0  # on screen, no longer parked at left: -999px
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


def test_emoji_draw_in_colour(pages, site):
    """🍵 and 🐼 need an emoji font (make browser-deps installs fonts-noto-color-emoji)."""
    page = pages.open("en")
    page.goto(site.url)
    coloured = page.evaluate(
        """() => {
            const canvas = document.createElement("canvas");
            canvas.width = canvas.height = 64;
            const context = canvas.getContext("2d");
            context.font = "48px " + getComputedStyle(document.body).fontFamily;
            context.fillText("🍵🐼", 0, 52);  // a missing glyph is a box in fillStyle: black
            const pixels = context.getImageData(0, 0, 64, 64).data;
            let count = 0;
            for (let i = 0; i < pixels.length; i += 4) {
                const [r, g, b, a] = pixels.slice(i, i + 4);
                if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) count++;
            }
            return count;
        }"""
    )
    assert coloured > 100, f"{coloured} coloured pixels: is fonts-noto-color-emoji installed?"


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_layout_starts_under_the_header_with_an_even_language_switch(pages, site, language):
    page = pages.open(language, MOBILE)
    page.goto(f"{site.url}/wechat/login?next=/account")
    header = page.locator(".wechat-header").bounding_box()
    card = page.locator(".wechat-card").bounding_box()
    # No empty band: the card begins right under the header, not mid-screen.
    assert card["y"] - (header["y"] + header["height"]) <= 16
    switch = page.locator(".wechat-languages ul").bounding_box()
    left, right = switch["x"], MOBILE["width"] - (switch["x"] + switch["width"])
    assert abs(left - right) <= 1, (left, right)  # centred on the screen
    widths = [
        box["width"]
        for box in (li.bounding_box() for li in page.locator(".wechat-languages li").all())
    ]
    assert max(widths) - min(widths) <= 1, widths  # three equal segments
    brand = page.locator(".wechat-brand").bounding_box()
    assert abs(brand["x"] + brand["width"] / 2 - MOBILE["width"] / 2) <= 1  # the brand above it
