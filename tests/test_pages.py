"""What a person reads: every page in English and Chinese, branding, overrides, headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_login import LoginManager

from flask_wechat import WeChat

from .helpers import sign_in, start

ENGLISH = {
    "login": ["Sign in with WeChat", "Scan a QR code with WeChat on your phone."],
    "declined": ["You cancelled the sign-in", "Try again"],
    "refused": ["Sign-in not allowed", "Back to the home page"],
    "error": ["This sign-in link can’t be used", "Try again"],
}
CHINESE = {
    "login": ["微信登录", "用手机微信扫描二维码即可登录"],
    "declined": ["你已取消登录", "重试"],
    "refused": ["不允许登录", "返回首页"],
    "error": ["此登录链接无法使用", "重试"],
}


def _page(kind, app, client, emulator, lang):
    """Reach one kind of page the way a person would, in ``lang``."""
    client.get("/wechat/login", query_string={"lang": lang})  # the switch, remembered
    if kind == "login":
        return client.get("/wechat/login")
    if kind == "declined":
        return client.get(emulator.approve(start(client), action="deny"))
    if kind == "refused":
        app.refused.add(emulator.world.openid(app.extensions["wechat"].settings.app_id, "lilei"))
        return sign_in(client, emulator)
    return client.get("/wechat/callback?code=x&state=forged")


@pytest.mark.parametrize("kind", sorted(ENGLISH))
@pytest.mark.parametrize(
    "lang, html_lang, expected, absent",
    [("en", "en", ENGLISH, CHINESE), ("zh", "zh-Hans", CHINESE, ENGLISH)],
)
def test_every_page_in_both_languages(
    app, client, wechat_emulator, kind, lang, html_lang, expected, absent
):
    page = _page(kind, app, client, wechat_emulator, lang).data.decode()
    assert f'<html lang="{html_lang}">' in page
    for text in expected[kind]:
        assert text in page
    for text in absent[kind]:
        assert text not in page


@pytest.mark.parametrize(
    "header, html_lang",
    [("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"), ("en-GB,en;q=0.9", "en"), ("fr-FR", "en")],
)
def test_accept_language_picks_the_language(client, header, html_lang):
    page = client.get("/wechat/login", headers={"Accept-Language": header}).data.decode()
    assert f'<html lang="{html_lang}">' in page


def test_explicit_choice_beats_accept_language_and_is_remembered(client):
    client.get("/wechat/login?lang=zh-CN", headers={"Accept-Language": "en"})
    page = client.get("/wechat/login", headers={"Accept-Language": "en"}).data.decode()
    assert '<html lang="zh-Hans">' in page


def test_language_switch_keeps_next(client):
    page = client.get("/wechat/login?next=/private/page").data.decode()
    links = re.findall(r'<a href="([^"]+)" hreflang="([^"]+)" lang="[^"]+"', page)
    assert ("/wechat/login?next=/private/page&amp;lang=zh-Hans", "zh-Hans") in links
    assert ("/wechat/login?next=/private/page&amp;lang=en", "en") in links


def test_language_links_read_as_attributes_or_keys(app):
    from flask_wechat.i18n import language_links

    with app.test_request_context("/wechat/login?lang=zh-TW"):
        links = language_links("/private/page")
    assert [(link.tag, link["tag"]) for link in links] == [
        ("en", "en"),
        ("zh-Hans", "zh-Hans"),
        ("zh-Hant", "zh-Hant"),
    ]
    assert [link["current"] for link in links] == [False, False, True]
    assert links[0].url == links[0]["url"] == "/wechat/login?next=/private/page&lang=en"
    with pytest.raises(KeyError):
        links[0]["href"]


def test_button_and_page_need_nothing_from_outside(client):
    page = client.get("/wechat/login").data.decode()
    assert 'class="wechat-button" href="/wechat/authorize"' in page
    assert "<svg" in page
    external = re.findall(r'(?:src|href)="(https?:)?//', page)
    assert external == []
    css = client.get("/wechat/static/wechat/wechat.css")
    assert css.status_code == 200 and b"--wechat-button" in css.data


@pytest.mark.parametrize("kind", sorted(ENGLISH))
def test_every_page_links_its_icon_from_the_blueprint(app, client, wechat_emulator, kind):
    """An extension must not take the app's /favicon.ico: the pages name their own icon."""
    page = _page(kind, app, client, wechat_emulator, "en").data.decode()
    (href,) = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert href.startswith("/wechat/static/")
    icon = client.get(href)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data


def test_security_headers(client, wechat_emulator):
    login = client.get("/wechat/login")
    assert login.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]
    assert login.headers["Referrer-Policy"] == "same-origin"  # never to another site
    callback = client.get("/wechat/callback?code=x&state=y")
    assert callback.headers["Cache-Control"] == "no-store"
    assert callback.headers["Referrer-Policy"] == "no-referrer"  # its URL holds code and state


def test_app_templates_override_the_bundled_ones(wechat_emulator, make_app):
    app = make_app()
    app.template_folder = str(Path(__file__).parent / "override_templates")
    client = app.test_client()
    login = client.get("/wechat/login?lang=zh").data.decode()
    assert "Acme Tea House" in login and "微信登录" in login
    declined = client.get(wechat_emulator.approve(start(client), action="deny")).data.decode()
    assert "(acme)" in declined
    assert "你没有允许本网站使用你的微信账号" in declined  # still translated


def test_site_name_from_config(make_app):
    page = make_app(WECHAT_SITE_NAME="Acme").test_client().get("/wechat/login").data.decode()
    assert "Sign in to Acme" in page


def test_signed_in_person_skips_the_login_page(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    response = client.get("/wechat/login?next=/private/page")
    assert (response.status_code, response.location) == (302, "/private/page")


def test_flask_babel_locale_is_respected(wechat_emulator):
    flask_babel = pytest.importorskip("flask_babel")
    from flask import Flask

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="k",
        **wechat_emulator.config,
    )
    flask_babel.Babel(app, locale_selector=lambda: "zh_Hans_CN")
    LoginManager(app).user_loader(lambda user_id: None)
    WeChat(app)
    page = app.test_client().get("/wechat/login").data.decode()
    assert '<html lang="zh-Hans">' in page
