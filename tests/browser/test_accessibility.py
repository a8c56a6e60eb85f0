"""axe-core on every page a sign-in or a connect can show, in every language; each page's CSP.

The flow tests (test_sign_in.py, test_other_ways_in.py) walk through these pages;
here each one is reached and handed to axe-core, which fails on any violation.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from flask_wechat.emulator import WEBSITE_APP_ID
from flask_wechat.i18n import LANGUAGES

from .conftest import MOBILE, WEBSITE_ONLY, Pages, Site
from .test_accounts import WORDS, app_switches_account, connect, demo_sign_in

pytestmark = pytest.mark.browser

IN_WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x28003133) NetType/WIFI"
)


def _to_wechat(page: Any, site: Site) -> None:
    """The site's sign-in page, then its button: the emulator's (WeChat's) page."""
    page.goto(f"{site.url}/wechat/login?next=/account")
    page.locator("a.wechat-button").click()
    page.wait_for_url(f"{site.emulator.url}/connect/**")


def _back_from_wechat(page: Any, site: Site, action: str) -> None:
    _to_wechat(page, site)
    page.locator(f"button[value={action}]").click()
    page.wait_for_url(f"{site.url}/**")


# -- flask-wechat's own pages, in every language ------------------------------------


def _login(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    page = pages.open(language)
    page.goto(f"{make_site().url}/wechat/login?next=/account")
    return page


def _embedded_login(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """WECHAT_QR_MODE = "embedded": axe checks inside WeChat's frame too."""
    page = pages.open(language)
    page.goto(f"{make_site(WECHAT_QR_MODE='embedded').url}/wechat/login?next=/account")
    page.frame_locator("iframe.wechat-qr-frame").locator("select").wait_for()
    return page


def _in_wechat_login(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """Inside WeChat's browser, with an official account: a button, no QR code."""
    page = pages.open(language, MOBILE, user_agent=IN_WECHAT_UA)
    page.goto(f"{make_site().url}/wechat/login?next=/account")
    return page


def _in_wechat_without_account(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """Inside WeChat's browser, website app only: "sign in from a computer"."""
    site = make_site(**WEBSITE_ONLY)
    page = pages.open(language, MOBILE, user_agent=IN_WECHAT_UA)
    page.goto(f"{site.url}/wechat/login?next=/account")
    return page


PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _phone_login(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """A phone's own browser: the address to open in WeChat, and the computer path."""
    page = pages.open(language, MOBILE, user_agent=PHONE_UA, is_mobile=True, has_touch=True)
    page.goto(f"{make_site().url}/wechat/login?next=/account")
    page.locator(".wechat-copy-button").wait_for()  # its script has run
    return page


def _phone_without_account(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """A phone's own browser, website app only: the computer path alone."""
    site = make_site(**WEBSITE_ONLY)
    page = pages.open(language, MOBILE, user_agent=PHONE_UA, is_mobile=True, has_touch=True)
    page.goto(f"{site.url}/wechat/login?next=/account")
    page.locator(".wechat-copy-button").wait_for()
    return page


def _declined(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    page = pages.open(language)
    _back_from_wechat(page, make_site(), "deny")
    return page


def _refused(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    page, site = pages.open(language), make_site()
    site.refuse_everyone()
    _back_from_wechat(page, site, "confirm")
    return page


def _expired(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    page = pages.open(language)
    page.goto(f"{make_site().url}/wechat/callback?code=x&state=forged")
    return page


def _wechat_error_code(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """WeChat answers the code exchange with errcode 40125 (wrong AppSecret)."""
    page, site = pages.open(language), make_site()
    site.emulator.world.add_fault("/sns/oauth2/access_token", "errcode", errcode=40125)
    _back_from_wechat(page, site, "confirm")
    assert page.locator(".wechat-reference").is_visible()
    assert "40125" not in page.content()
    return page


def _form_expired(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """A sign-out form sent without its CSRF token."""
    page, site = pages.open(language), make_site()
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
    return page


def _account_not_connected(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """The example's account page of a demo account: Connect WeChat."""
    page = pages.open(language)
    demo_sign_in(page, make_site(), language)
    return page


def _account_connected(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """The account page after connecting WeChat: the status line and Disconnect WeChat."""
    page, site = pages.open(language), make_site()
    demo_sign_in(page, site, language)
    connect(page, site, language)
    page.wait_for_url(f"{site.url}/account")
    page.get_by_role("status").wait_for()
    return page


def _already_connected(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """Connecting a WeChat that another account has: the example's hook says so."""
    site = make_site()
    first = pages.open(language)
    demo_sign_in(first, site, language)
    connect(first, site, language)
    first.wait_for_url(f"{site.url}/account")
    page = pages.open(language)
    demo_sign_in(page, site, language, "demo_tao")
    connect(page, site, language)
    page.wait_for_url(f"{site.url}/wechat/callback?*")
    return page


def _connect_user_changed(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """The connect comes back to another signed-in person: refused."""
    page, site = pages.open(language), make_site()
    switch = app_switches_account(site)
    demo_sign_in(page, site, language)
    page.get_by_role("link", name=WORDS[language]["connect"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/**")
    page.context.new_page().goto(site.url + switch)
    page.locator("button[value=confirm]").click()
    page.wait_for_url(f"{site.url}/**")
    return page


def _disconnect_refused(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """WeChat is the account's only way in: the example's hook refuses, and says why."""
    page, site = pages.open(language), make_site()
    _back_from_wechat(page, site, "confirm")
    page.wait_for_url(f"{site.url}/account")
    page.get_by_role("button", name=WORDS[language]["disconnect"]).click()
    page.wait_for_url(f"{site.url}/wechat/disconnect")
    return page


def _disconnect_get(pages: Pages, make_site: Callable[..., Site], language: str) -> Any:
    """A link to /wechat/disconnect: the page with the button."""
    page = pages.open(language)
    page.goto(f"{make_site().url}/wechat/disconnect?next=/account")
    return page


SITE_PAGES: dict[str, Callable[[Pages, Callable[..., Site], str], Any]] = {
    "login": _login,
    "login-embedded-qr": _embedded_login,
    "login-in-wechat": _in_wechat_login,
    "in-wechat-no-official-account": _in_wechat_without_account,
    "login-phone": _phone_login,
    "login-phone-no-official-account": _phone_without_account,
    "declined": _declined,
    "refused": _refused,
    "expired": _expired,
    "wechat-error-code": _wechat_error_code,
    "form-expired": _form_expired,
    "account-not-connected": _account_not_connected,
    "account-connected": _account_connected,
    "already-connected": _already_connected,
    "connect-user-changed": _connect_user_changed,
    "disconnect-refused": _disconnect_refused,
    "disconnect-get": _disconnect_get,
}


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("kind", list(SITE_PAGES))
def test_site_pages_have_no_axe_violations(pages, make_site, assert_accessible, kind, language):
    page = SITE_PAGES[kind](pages, make_site, language)
    assert page.locator("html").get_attribute("lang") == LANGUAGES[language][0]
    assert_accessible(page)


# -- the example app's own pages ------------------------------------------------------


def test_example_app_pages_have_no_axe_violations(pages, site, assert_accessible):
    page = pages.open("en")
    page.goto(site.url)
    assert_accessible(page)  # signed out
    _back_from_wechat(page, site, "confirm")
    page.wait_for_url(f"{site.url}/account")
    assert_accessible(page)
    page.goto(site.url)
    assert_accessible(page)  # signed in


# -- the emulator's pages (WeChat's), in its two languages ----------------------------


def _emulator_qrconnect(page: Any, site: Site, lang: str) -> None:
    _to_wechat(page, site)
    page.goto(page.url.replace("#wechat_redirect", f"&lang={lang}#wechat_redirect"))


def _emulator_consent(page: Any, site: Site, lang: str) -> None:
    """An official account's snsapi_userinfo consent page, inside WeChat."""
    _to_wechat(page, site)
    assert "/connect/oauth2/authorize?" in page.url
    page.goto(page.url.replace("#wechat_redirect", f"&lang={lang}#wechat_redirect"))


def _emulator_error(page: Any, site: Site, lang: str) -> None:
    """WeChat refuses a redirect_uri outside the app's callback domains."""
    page.goto(
        f"{site.emulator.url}/connect/qrconnect?appid={WEBSITE_APP_ID}"
        "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=code&scope=snsapi_login"
        f"&state=s&lang={lang}#wechat_redirect"
    )
    assert page.locator(".error-message").is_visible()


EMULATOR_PAGES: dict[str, tuple[Callable[[Any, Site, str], None], dict[str, Any]]] = {
    "qrconnect": (_emulator_qrconnect, {}),
    "oauth2-consent": (_emulator_consent, {"viewport": MOBILE, "user_agent": IN_WECHAT_UA}),
    "error": (_emulator_error, {}),
}


@pytest.mark.parametrize("lang", ["cn", "en"])
@pytest.mark.parametrize("kind", list(EMULATOR_PAGES))
def test_emulator_pages_have_no_axe_violations(pages, site, assert_accessible, kind, lang):
    reach, browser_options = EMULATOR_PAGES[kind]
    page = pages.open("en" if lang == "en" else "zh_Hans", **browser_options)
    reach(page, site, lang)
    assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-CN")
    assert_accessible(page)


# -- the real Content-Security-Policy ---------------------------------------------------


@pytest.mark.parametrize("kind", ["login", "declined", "expired"])
def test_pages_work_under_their_own_content_security_policy(pages, site, kind):
    """No bypass here: the stylesheet loads, nothing is blocked, nothing logs an error."""
    page = pages.open("en", csp=True)
    documents: list[Any] = []
    page.on("response", lambda r: r.request.resource_type == "document" and documents.append(r))
    if kind == "login":
        page.goto(f"{site.url}/wechat/login?next=/account")
    elif kind == "declined":
        _back_from_wechat(page, site, "deny")
    else:
        page.goto(f"{site.url}/wechat/callback?code=x&state=forged")
    assert "default-src 'none'" in documents[-1].headers["content-security-policy"]
    button = page.locator(".wechat-button")
    background = button.evaluate("element => getComputedStyle(element).backgroundColor")
    assert background == "rgb(6, 122, 61)"  # --wechat-button: wechat.css is applied
