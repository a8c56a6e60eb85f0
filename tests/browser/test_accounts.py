"""Connecting WeChat to an account and disconnecting it, as people do it in Chromium.

The example app's demo accounts sign in without WeChat; from the account page a person
connects WeChat (绑定微信) and disconnects it (解绑). axe-core checks each page these
flows show, in every language, in test_accessibility.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from .test_sign_in import CONFIRM, FLOW_LANGUAGES, TEXT, heading, on_wechat

pytestmark = pytest.mark.browser

#: What a person reads on these pages, per language (catalog name).
WORDS = {
    "en": {
        "demo_mei": "Sign in as Mei 小梅",
        "demo_tao": "Sign in as Tao 小涛",
        "connect": "Connect WeChat",
        "disconnect": "Disconnect WeChat",
        "not_connected": "Not connected",
        "connected": "WeChat is now connected to your account.",
        "disconnected": "WeChat is disconnected from your account.",
        "already": "This WeChat is already connected to another account",
        "changed": "WeChat was not connected",
        "refused": "WeChat was not disconnected",
        "only_way": "WeChat is the only way you sign in to this account, so it stays connected.",
        "back": "Back to your account",
    },
    "zh_Hans": {
        "demo_mei": "以 Mei 小梅 登录",
        "demo_tao": "以 Tao 小涛 登录",
        "connect": "绑定微信",
        "disconnect": "解绑微信",
        "not_connected": "未绑定",
        "connected": "微信已绑定到你的账号。",
        "disconnected": "已解绑微信。",
        "already": "此微信已绑定其他账号",
        "changed": "未绑定微信",
        "refused": "未解绑微信",
        "only_way": "微信是你登录此账号的唯一方式，因此不能解绑。",
        "back": "返回你的账号",
    },
    "zh_Hant": {
        "demo_mei": "以 Mei 小梅 登入",
        "demo_tao": "以 Tao 小涛 登入",
        "connect": "綁定微信",
        "disconnect": "解除綁定微信",
        "not_connected": "未綁定",
        "connected": "微信已綁定到你的帳號。",
        "disconnected": "已解除綁定微信。",
        "already": "此微信已綁定其他帳號",
        "changed": "未綁定微信",
        "refused": "未解除綁定微信",
        "only_way": "微信是你登入此帳號的唯一方式，因此無法解除綁定。",
        "back": "返回你的帳號",
    },
}


def demo_sign_in(page: Any, site: Any, language: str, who: str = "demo_mei") -> None:
    """The home page's password-less demo button: the account page, WeChat not connected."""
    page.goto(site.url)
    page.get_by_role("button", name=WORDS[language][who]).click()
    page.wait_for_url(f"{site.url}/account")


def connect(page: Any, site: Any, language: str, nickname: str = "李雷") -> None:
    """The account page's Connect WeChat button, then Confirm on WeChat's page."""
    page.get_by_role("link", name=WORDS[language]["connect"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")
    on_wechat(page, nickname, CONFIRM)


def status(page: Any) -> str:
    return page.get_by_role("status").inner_text().strip()


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_connect_then_sign_in_with_wechat_then_disconnect(pages, site, language):
    words = WORDS[language]
    page = pages.open(language)
    demo_sign_in(page, site, language)
    assert words["not_connected"] in page.locator(".teahouse-wechat").inner_text()

    connect(page, site, language)
    page.wait_for_url(f"{site.url}/account")
    assert status(page) == words["connected"]
    assert "李雷" in page.locator(".teahouse-wechat").inner_text()
    assert page.locator(".teahouse-nickname").inner_text() == "Mei 小梅"  # the same account

    # Signed out, WeChat now signs in to the demo account.
    page.get_by_role("button", name=TEXT[language]["example_sign_out"]).click()
    page.goto(f"{site.url}/wechat/login?next=/account")
    page.get_by_role("link", name=TEXT[language]["button"]).click()
    on_wechat(page, "李雷", CONFIRM)
    page.wait_for_url(f"{site.url}/account")
    assert page.locator(".teahouse-nickname").inner_text() == "Mei 小梅"

    page.get_by_role("button", name=words["disconnect"]).click()
    page.wait_for_url(f"{site.url}/account")
    assert status(page) == words["disconnected"]
    assert words["not_connected"] in page.locator(".teahouse-wechat").inner_text()
    assert page.get_by_role("link", name=words["connect"]).is_visible()


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_a_wechat_connected_to_another_account_is_refused(pages, site, language):
    words = WORDS[language]
    mei = pages.open(language)
    demo_sign_in(mei, site, language)
    connect(mei, site, language)
    mei.wait_for_url(f"{site.url}/account")

    tao = pages.open(language)
    demo_sign_in(tao, site, language, "demo_tao")
    connect(tao, site, language)
    tao.wait_for_url(f"{site.url}/wechat/callback?*")
    assert heading(tao) == words["already"]
    tao.get_by_role("link", name=words["back"]).click()
    tao.wait_for_url(f"{site.url}/account")
    assert tao.locator(".teahouse-nickname").inner_text() == "Tao 小涛"
    assert words["not_connected"] in tao.locator(".teahouse-wechat").inner_text()


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_a_connect_finished_after_a_change_of_account_is_refused(pages, site, language):
    """Mei starts connecting; in another tab the browser signs out and in as Tao; WeChat
    comes back. Signing out ended Mei's connect: its link no longer works."""
    words = WORDS[language]
    page = pages.open(language)
    demo_sign_in(page, site, language)
    page.get_by_role("link", name=words["connect"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")

    other_tab = page.context.new_page()
    other_tab.goto(site.url)
    other_tab.get_by_role("button", name=TEXT[language]["example_sign_out"]).click()
    demo_sign_in(other_tab, site, language, "demo_tao")

    on_wechat(page, "李雷", CONFIRM)
    page.wait_for_url(f"{site.url}/wechat/callback?*")
    assert heading(page) == TEXT[language]["unusable"]
    other_tab.goto(f"{site.url}/account")
    assert other_tab.locator(".teahouse-nickname").inner_text() == "Tao 小涛"
    assert words["not_connected"] in other_tab.locator(".teahouse-wechat").inner_text()


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_a_connect_finished_by_another_signed_in_person_is_refused(pages, make_site, language):
    """The app's own logout_user() and login_user() keep the session, and the pending
    connect in it: the extension sees that the person changed."""
    site = make_site()
    switch_to_tao = app_switches_account(site)
    words = WORDS[language]
    page = pages.open(language)
    demo_sign_in(page, site, language)
    page.get_by_role("link", name=words["connect"]).click()
    page.wait_for_url(f"{site.emulator.url}/connect/qrconnect?*")
    page.context.new_page().goto(site.url + switch_to_tao)

    on_wechat(page, "李雷", CONFIRM)
    page.wait_for_url(f"{site.url}/wechat/callback?*")
    assert heading(page) == words["changed"]
    page.get_by_role("link", name=words["back"]).click()
    page.wait_for_url(f"{site.url}/account")
    assert page.locator(".teahouse-nickname").inner_text() == "Tao 小涛"
    assert words["not_connected"] in page.locator(".teahouse-wechat").inner_text()


def app_switches_account(site: Any) -> str:
    """Give the served example app a route that signs in as Tao with Flask-Login alone
    (no fresh session), as many apps' own sign-in views do; returns its path."""
    from flask import redirect
    from flask_login import login_user

    app = site.app

    def switch() -> Any:
        login_user(app.login_manager._user_callback("demo-tao"))
        return redirect("/account")

    app.add_url_rule("/test/switch-to-tao", "test_switch_to_tao", switch)
    return "/test/switch-to-tao"


@pytest.mark.parametrize("language", FLOW_LANGUAGES)
def test_wechat_as_the_only_way_in_is_not_disconnected(pages, site, language):
    words = WORDS[language]
    page = pages.open(language)
    page.goto(f"{site.url}/wechat/login?next=/account")
    page.get_by_role("link", name=TEXT[language]["button"]).click()
    on_wechat(page, "Han Meimei 🐼", CONFIRM)
    page.wait_for_url(f"{site.url}/account")

    page.get_by_role("button", name=words["disconnect"]).click()
    page.wait_for_url(f"{site.url}/wechat/disconnect")
    assert heading(page) == words["refused"]
    assert page.locator(".wechat-lead").inner_text() == words["only_way"]
    page.get_by_role("link", name=words["back"]).click()
    page.wait_for_url(f"{site.url}/account")
    assert "Han Meimei 🐼" in page.locator(".teahouse-wechat").inner_text()  # still connected
