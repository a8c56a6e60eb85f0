"""The bundled dark theme (wechat/dark.css, documented properties only) on every page.

The example app links it with ``media="(prefers-color-scheme: dark)"``, as docs/theming.md
shows; Chromium here asks for dark pages, and axe-core (contrast included) must find
nothing on any page flask-wechat can show, on a desktop and on a phone, nor on the example
app's own pages. tests/test_theming.py checks that the theme sets documented properties only.
"""

from __future__ import annotations

import pytest

from flask_wechat.i18n import LANGUAGES

from .conftest import DESKTOP, MOBILE
from .test_accessibility import SITE_PAGES, _back_from_wechat

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "phone": MOBILE}
#: The dark theme's page and card colours (--wechat-background, --wechat-surface).
DARK = {"rgb(18, 22, 20)", "rgb(28, 34, 32)"}
#: Each page in one language, the three languages taking turns.
CASES = [(kind, list(LANGUAGES)[i % len(LANGUAGES)]) for i, kind in enumerate(SITE_PAGES)]


def _assert_dark(page):
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background in DARK, f"the dark theme is not applied: {background}"
    heading = page.locator("h1").first
    ink = heading.evaluate("element => getComputedStyle(element).color")
    assert ink == "rgb(238, 242, 240)", ink  # --wechat-ink, so the heading reads on the card


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("kind, language", CASES)
def test_dark_theme_on_every_page(pages, make_site, assert_accessible, kind, language, viewport):
    pages.defaults.update(color_scheme="dark", viewport=VIEWPORTS[viewport])
    page = SITE_PAGES[kind](pages, make_site, language)
    _assert_dark(page)
    assert_accessible(page)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_dark_theme_on_the_example_apps_own_pages(pages, site, assert_accessible, viewport):
    page = pages.open("zh_Hans", VIEWPORTS[viewport], color_scheme="dark")
    page.goto(site.url)
    _assert_dark(page)
    assert_accessible(page)
    _back_from_wechat(page, site, "confirm")
    page.wait_for_url(f"{site.url}/account")
    _assert_dark(page)
    assert_accessible(page)


def test_a_light_device_keeps_the_light_theme(pages, site):
    page = pages.open("en", color_scheme="light")
    page.goto(f"{site.url}/wechat/login")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") not in DARK
