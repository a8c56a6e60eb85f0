"""axe-core on every page a sign-in can show, in every language, and each page's own CSP."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from flask_wechat.emulator import WEBSITE_APP_ID
from flask_wechat.i18n import LANGUAGES

pytestmark = pytest.mark.browser


def _wechat_page(page: Any, site: Any, emulator_lang: str | None = None) -> None:
    """The emulator's QR page, reached through the site's button."""
    page.goto(f"{site.url}/wechat/login?next=/account")
    page.locator("a.wechat-button").click()
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")
    if emulator_lang:  # WeChat's own page speaks cn (the default) or en
        page.goto(page.url.replace("#wechat_redirect", f"&lang={emulator_lang}#wechat_redirect"))


def _after_wechat(page: Any, site: Any, action: str) -> None:
    _wechat_page(page, site)
    page.locator(f"button[value={action}]").click()
    page.wait_for_url(f"{site.url}/**")


def _login(page: Any, site: Any) -> None:
    page.goto(f"{site.url}/wechat/login?next=/account")


def _declined(page: Any, site: Any) -> None:
    _after_wechat(page, site, "deny")


def _refused(page: Any, site: Any) -> None:
    site.refuse_everyone()
    _after_wechat(page, site, "confirm")


def _expired(page: Any, site: Any) -> None:
    page.goto(f"{site.url}/wechat/callback?code=x&state=forged")


def _wechat_error_code(page: Any, site: Any) -> None:
    """WeChat answers the code exchange with errcode 40125 (wrong AppSecret)."""
    site.emulator.world.add_fault("/sns/oauth2/access_token", "errcode", errcode=40125)
    _after_wechat(page, site, "confirm")
    assert page.locator(".wechat-code").is_visible()


def _form_expired(page: Any, site: Any) -> None:
    """A sign-out form sent without its CSRF token."""
    page.goto(f"{site.url}/wechat/login")
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/wechat/logout";
            document.body.append(form);
            form.submit();
        }"""
    )
    page.wait_for_url(f"{site.url}/wechat/logout")


SITE_PAGES: dict[str, Callable[[Any, Any], None]] = {
    "login": _login,
    "declined": _declined,
    "refused": _refused,
    "expired": _expired,
    "wechat-error-code": _wechat_error_code,
    "form-expired": _form_expired,
}


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("kind", list(SITE_PAGES))
def test_site_pages_have_no_axe_violations(pages, site, assert_accessible, kind, language):
    page = pages.open(language)
    SITE_PAGES[kind](page, site)
    assert page.locator("html").get_attribute("lang") == LANGUAGES[language][0]
    assert_accessible(page)


def _emulator_qrconnect(page: Any, site: Any, lang: str) -> None:
    _wechat_page(page, site, lang)


def _emulator_embedded(page: Any, site: Any, lang: str) -> None:
    """The compact page wxLogin.js puts in an iframe on the site's own page."""
    _wechat_page(page, site, lang)
    page.goto(page.url.replace("#wechat_redirect", "&login_type=jssdk&self_redirect=false"))


def _emulator_error(page: Any, site: Any, lang: str) -> None:
    """WeChat refuses a redirect_uri outside the app's callback domains."""
    page.goto(
        f"{site.emulator.url}/connect/qrconnect?appid={WEBSITE_APP_ID}"
        f"&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=code&scope=snsapi_login"
        f"&state=s&lang={lang}#wechat_redirect"
    )
    assert page.locator(".error-message").is_visible()


EMULATOR_PAGES: dict[str, Callable[[Any, Any, str], None]] = {
    "qrconnect": _emulator_qrconnect,
    "qrconnect-embedded": _emulator_embedded,
    "error": _emulator_error,
}


@pytest.mark.parametrize("lang", ["cn", "en"])
@pytest.mark.parametrize("kind", list(EMULATOR_PAGES))
def test_emulator_pages_have_no_axe_violations(pages, site, assert_accessible, kind, lang):
    page = pages.open("en" if lang == "en" else "zh_Hans")
    EMULATOR_PAGES[kind](page, site, lang)
    assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-CN")
    assert_accessible(page)


@pytest.mark.parametrize("kind", ["login", "declined", "expired"])
def test_pages_work_under_their_own_content_security_policy(pages, site, kind):
    """No bypass here: the stylesheet loads, nothing is blocked, nothing logs an error."""
    page = pages.open("en", csp=True)
    documents: list[Any] = []
    page.on("response", lambda r: r.request.resource_type == "document" and documents.append(r))
    SITE_PAGES[kind](page, site)
    assert "default-src 'none'" in documents[-1].headers["content-security-policy"]
    button = page.locator(".wechat-button")
    background = button.evaluate("element => getComputedStyle(element).backgroundColor")
    assert background == "rgb(6, 122, 61)"  # --wechat-button: wechat.css is applied
