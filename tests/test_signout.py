"""Sign-out signs out: the remember cookie goes, and a token belongs to its owner only."""

from __future__ import annotations

from flask import jsonify
from flask_login import UserMixin, login_user, logout_user

from flask_wechat.errors import TokenError
from flask_wechat.testing import sign_out

from .helpers import sign_in


def _deletes_remember_cookie(response) -> bool:
    return any(
        header.startswith("remember_token=;") and "Expires=Thu, 01 Jan 1970" in header
        for header in response.headers.getlist("Set-Cookie")
    )


def test_sign_out_deletes_the_remember_cookie(make_app, wechat_emulator):
    app = make_app(WECHAT_REMEMBER=True)
    client = app.test_client()
    sign_in(client, wechat_emulator)
    assert client.get_cookie("remember_token") is not None
    response = sign_out(client)
    assert response.status_code == 302
    assert _deletes_remember_cookie(response)
    assert client.get_cookie("remember_token") is None
    assert client.get("/").data == b"anonymous"


def test_an_earlier_persons_remember_cookie_does_not_outlive_a_later_sign_in(
    make_app, wechat_emulator
):
    remembering = make_app(WECHAT_REMEMBER=True)
    client = remembering.test_client()
    sign_in(client, wechat_emulator, user="lilei")
    left_behind = client.get_cookie("remember_token").value
    # Another person, same browser, on a site that does not remember anyone.
    app = make_app()
    browser = app.test_client()
    browser.set_cookie("remember_token", left_behind)
    sign_in(browser, wechat_emulator, user="hanmeimei")
    assert browser.get("/").data.decode() == "signed in as Han Meimei 🐼"
    sign_out(browser)
    assert browser.get_cookie("remember_token") is None
    assert browser.get("/").data == b"anonymous"


class PasswordUser(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id
        self.nickname = user_id


def test_a_token_in_the_session_belongs_to_its_owner_only(make_app, wechat_emulator):
    app = make_app()
    wechat = app.extensions["wechat"].extension

    @app.post("/password-login")
    def password_login():
        user = app.users.setdefault("alice", PasswordUser("alice"))
        login_user(user)
        return "ok"

    @app.post("/app-logout")
    def app_logout():
        logout_user()  # the app's own sign-out, not the blueprint's
        return "ok"

    @app.get("/me/token")
    def my_token():
        token = wechat.token
        return jsonify(openid=token and token["openid"])

    @app.get("/me/session")
    def my_session():
        try:
            wechat.session  # noqa: B018 - raises when there is no token of this person's
        except TokenError:
            return "no token"
        return "a session as somebody"

    client = app.test_client()
    sign_in(client, wechat_emulator, user="lilei")
    assert client.get("/me/token").json["openid"]
    client.post("/app-logout")
    client.post("/password-login")
    assert client.get("/").data.decode() == "signed in as alice"
    assert client.get("/me/token").json == {"openid": None}
    assert client.get("/me/session").data == b"no token"  # no API calls as the previous person
    with client.session_transaction() as stored:
        assert "_wechat_token" not in stored


def test_a_different_person_signing_in_drops_the_previous_token(make_app, wechat_emulator):
    app = make_app()

    @app.post("/password-login")
    def password_login():
        login_user(app.users.setdefault("alice", PasswordUser("alice")))
        return "ok"

    client = app.test_client()
    sign_in(client, wechat_emulator, user="lilei")
    client.post("/password-login")  # without signing out first
    with client.session_transaction() as stored:
        assert "_wechat_token" not in stored
