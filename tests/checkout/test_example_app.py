"""example_app.py: signs in against the emulator and keeps its users across restarts."""

from __future__ import annotations

import re
import sqlite3

import pytest

from example_app import create_app
from flask_wechat.testing import sign_out

from ..helpers import sign_in


@pytest.fixture
def make_example(tmp_path, wechat_emulator):
    def make():
        return create_app(
            {
                "TESTING": True,
                "DATABASE": str(tmp_path / "users.sqlite3"),
                **wechat_emulator.config,
            }
        )

    return make


def test_example_signs_in_and_persists_users(make_example, wechat_emulator, tmp_path):
    app = make_example()
    client = app.test_client()
    home = client.get("/").data.decode()
    assert ">Sign in<" in home
    login = client.get("/wechat/login").data.decode()
    assert "Teahouse 茶馆" in login and "/static/example.css" in login  # the app's override
    assert sign_in(client, wechat_emulator, user="hanmeimei").location == "/"
    home = client.get("/").data.decode()
    assert "Han Meimei 🐼" in home and "/mmopen/hanmeimei/" in home
    # A restarted app (same database, same secret key) still knows the person.
    restarted = make_example()
    cookie = client.get_cookie("session")
    fresh_client = restarted.test_client()
    fresh_client.set_cookie("session", cookie.value)
    assert "Han Meimei 🐼" in fresh_client.get("/account").data.decode()
    with sqlite3.connect(tmp_path / "users.sqlite3") as db:
        assert db.execute("SELECT nickname FROM users WHERE demo = 0").fetchall() == [
            ("Han Meimei 🐼",)
        ]


def test_account_page_requires_sign_in(make_example):
    response = make_example().test_client().get("/account")
    assert response.status_code == 302
    assert response.location.startswith("/wechat/login?next=")


REAL_CREDENTIALS = {
    "WECHAT_APP_ID": "wx1234567890abcdef",
    "WECHAT_APP_SECRET": "s" * 32,
    "WECHAT_OPEN_BASE_URL": "https://open.weixin.qq.com",
    "WECHAT_API_BASE_URL": "https://api.weixin.qq.com",
}


def test_with_real_credentials_and_no_secret_key_the_example_refuses_to_start(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**REAL_CREDENTIALS, "DATABASE": str(tmp_path / "u.sqlite3")})


def test_with_real_credentials_and_a_secret_key_it_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app({**REAL_CREDENTIALS, "DATABASE": str(tmp_path / "u.sqlite3")})
    assert app.secret_key == "k" * 40


def test_every_page_of_the_example_names_an_icon_that_loads(make_example, wechat_emulator):
    client = make_example().test_client()
    pages = [client.get("/"), client.get("/wechat/login")]
    sign_in(client, wechat_emulator)
    pages += [client.get("/"), client.get("/account")]
    for page in pages:
        assert page.status_code == 200
        (href,) = re.findall(r'<link rel="icon" href="([^"]+)"', page.data.decode())
        icon = client.get(href)
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml", href


@pytest.mark.parametrize(
    "language, html_lang, words",
    [
        ("zh-CN", "zh-Hans", ["欢迎，", "你已用微信登录。", "你的账号", "退出登录"]),
        ("zh-TW", "zh-Hant", ["歡迎，", "你已用微信登入。", "你的帳號", "登出"]),
        ("en", "en", ["Welcome, ", "You are signed in with WeChat.", "Your account", "Sign out"]),
    ],
)
def test_the_examples_own_pages_speak_the_persons_language(
    make_example, wechat_emulator, language, html_lang, words
):
    client = make_example().test_client()
    headers = {"Accept-Language": language}
    home = client.get("/", headers=headers).data.decode()
    assert f'<html lang="{html_lang}">' in home
    sign_in(client, wechat_emulator)
    home = client.get("/", headers=headers).data.decode()
    assert f'<html lang="{html_lang}">' in home
    for text in words:
        assert text in home
    account = client.get("/account", headers=headers).data.decode()
    assert f'<html lang="{html_lang}">' in account


def test_a_language_chosen_on_the_sign_in_page_stays_on_the_examples_pages(
    make_example, wechat_emulator
):
    client = make_example().test_client()
    client.get("/wechat/login?lang=zh-Hant")  # the switch on the sign-in page
    sign_in(client, wechat_emulator)
    home = client.get("/", headers={"Accept-Language": "en"}).data.decode()
    assert '<html lang="zh-Hant">' in home and "你已用微信登入。" in home
    footer = client.get("/wechat/callback?code=x&state=y").data.decode()
    assert "flask-wechat 範例應用" in footer


# -- accounts: demo accounts without WeChat, connect and disconnect ---------------------


def _form(html: str, action: str, button: str | None = None) -> dict[str, str]:
    """The hidden fields of the form posting to ``action`` (holding ``button``, if given)."""
    for form in re.findall(r"<form[^>]*>.*?</form>", html, flags=re.S):
        if f'action="{action}"' in form and (button is None or button in form):
            return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    raise AssertionError(f"no form to {action} ({button}) in:\n{html[:3000]}")


def demo_sign_in(client, name: str = "Mei 小梅"):
    home = client.get("/").data.decode()
    return client.post("/demo-sign-in", data=_form(home, "/demo-sign-in", name))


def test_demo_accounts_sign_in_without_wechat_and_only_with_the_forms_token(make_example):
    client = make_example().test_client()
    home = client.get("/").data.decode()
    assert "Mei 小梅" in home and "Tao 小涛" in home
    forged = client.post("/demo-sign-in", data={"account": "demo-mei"})
    assert forged.status_code == 400
    assert client.get("/").data.decode().count("Sign in as") == 2  # still signed out
    response = demo_sign_in(client)
    assert (response.status_code, response.location) == (302, "/account")
    account = client.get("/account").data.decode()
    assert "Mei 小梅" in account and "Not connected" in account
    assert 'href="/wechat/connect?next=/account"' in account
    assert "You are signed in with a demo account." in client.get("/").data.decode()


def test_connect_then_sign_in_with_wechat_lands_in_the_demo_account(make_example, wechat_emulator):
    client = make_example().test_client()
    demo_sign_in(client)
    to_wechat = client.get("/wechat/connect?next=/account").location
    back = client.get(wechat_emulator.approve(to_wechat, user="lilei"))
    assert back.location == "/account"
    account = client.get("/account").data.decode()
    assert "WeChat is now connected to your account." in account  # the connected signal's flash
    assert "李雷" in account and 'action="/wechat/disconnect"' in account
    sign_out(client)
    sign_in(client, wechat_emulator, user="lilei")
    account = client.get("/account").data.decode()
    assert '<h1 class="teahouse-nickname">Mei 小梅</h1>' in account


def test_a_wechat_connected_elsewhere_is_refused_in_the_examples_look(
    make_example, wechat_emulator
):
    app = make_example()
    mei, tao = app.test_client(), app.test_client()
    demo_sign_in(mei)
    mei.get(wechat_emulator.approve(mei.get("/wechat/connect").location, user="lilei"))
    demo_sign_in(tao, "Tao 小涛")
    to_wechat = tao.get("/wechat/connect?next=/account").location
    page = tao.get(wechat_emulator.approve(to_wechat), headers={"Accept-Language": "zh-CN"})
    html = page.data.decode()
    assert page.status_code == 409
    assert "此微信已绑定其他账号" in html and "Teahouse 茶馆" in html and "example.css" in html
    assert "Not connected" in tao.get("/account").data.decode()


def test_the_example_refuses_to_disconnect_an_accounts_only_way_in(make_example, wechat_emulator):
    client = make_example().test_client()
    sign_in(client, wechat_emulator, user="hanmeimei")  # an account made by WeChat alone
    account = client.get("/account").data.decode()
    refused = client.post(
        "/wechat/disconnect",
        data=_form(account, "/wechat/disconnect"),
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 409
    assert "微信是你登录此账号的唯一方式" in refused.data.decode()
    assert "Han Meimei 🐼" in client.get("/account").data.decode()
    assert 'action="/wechat/disconnect"' in client.get("/account").data.decode()


def test_a_demo_account_disconnects_wechat(make_example, wechat_emulator):
    client = make_example().test_client()
    demo_sign_in(client)
    client.get(wechat_emulator.approve(client.get("/wechat/connect").location, user="lilei"))
    account = client.get("/account").data.decode()
    done = client.post("/wechat/disconnect", data=_form(account, "/wechat/disconnect"))
    assert done.location == "/account"
    account = client.get("/account").data.decode()
    assert "WeChat is disconnected from your account." in account and "Not connected" in account
    sign_out(client)
    sign_in(client, wechat_emulator, user="lilei")  # 李雷 is a newcomer again
    assert "李雷" in client.get("/account").data.decode()


def test_with_real_credentials_there_are_no_shared_demo_accounts(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app({**REAL_CREDENTIALS, "DATABASE": str(tmp_path / "u.sqlite3")})
    client = app.test_client()
    assert "Sign in as" not in client.get("/").data.decode()
    assert client.post("/demo-sign-in", data={"account": "demo-mei"}).status_code == 404
