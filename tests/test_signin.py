"""The sign-in flow over real HTTP against the emulator (snsapi_login)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from flask_wechat import signals
from flask_wechat.emulator import USER_HANMEIMEI, WEBSITE_APP_ID, WEBSITE_APP_SECRET
from flask_wechat.errors import StateError, StateExpired, StateUnknown
from flask_wechat.pages import presentation_for
from flask_wechat.testing import sign_out

from .helpers import logout_field, sign_in, start, state_of, stored_token


def test_happy_path_signs_in_and_follows_next(client, wechat_emulator):
    response = sign_in(client, wechat_emulator, next_url="/private/page")
    assert response.status_code == 302
    assert response.location == "/private/page"
    assert client.get("/").data.decode() == "signed in as 李雷"


def test_emoji_nickname_survives_decoding(client, wechat_emulator, app):
    sign_in(client, wechat_emulator, user=USER_HANMEIMEI)
    assert client.get("/").data.decode() == "signed in as Han Meimei 🐼"
    (user,) = app.users.values()
    assert user.avatar_url.startswith(wechat_emulator.url + "/mmopen/")


def test_authorize_url_is_exactly_what_wechat_documents(client, wechat_emulator):
    location = start(client)
    state = state_of(location)
    assert location == (
        f"{wechat_emulator.url}/connect/qrconnect?appid={WEBSITE_APP_ID}"
        "&redirect_uri=http%3A%2F%2Flocalhost%2Fwechat%2Fcallback"
        f"&response_type=code&scope=snsapi_login&state={state}"
        "&lang=en#wechat_redirect"  # the page is in English: WeChat's QR page too
    )
    assert state.isalnum() and 16 <= len(state) <= 128


def test_exactly_two_calls_to_wechat_with_documented_parameters(client, wechat_emulator):
    callback = wechat_emulator.approve(start(client))
    code = parse_qs(urlsplit(callback).query)["code"][0]
    wechat_emulator.world.clear_requests()
    client.get(callback)
    token_call, userinfo_call = wechat_emulator.world.requests
    assert (token_call["method"], token_call["path"]) == ("GET", "/sns/oauth2/access_token")
    assert token_call["query"] == [
        ("appid", WEBSITE_APP_ID),
        ("secret", WEBSITE_APP_SECRET),
        ("code", code),
        ("grant_type", "authorization_code"),
    ]
    assert (userinfo_call["method"], userinfo_call["path"]) == ("GET", "/sns/userinfo")
    sent = dict(userinfo_call["query"])
    assert sorted(sent) == ["access_token", "openid"]
    token = stored_token(client)
    assert sent == {"access_token": token["access_token"], "openid": token["openid"]}


def test_token_is_stored_with_expiry(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    token = stored_token(client)
    assert token["openid"] and token["unionid"] and token["refresh_token"]
    assert token["expires_in"] == 7200 and token["expires_at"] > 0


@pytest.mark.parametrize(
    "query",
    [{"code": "x"}, {"code": "x", "state": "forged"}, {"code": "x", "state": ""}],
    ids=["missing", "mismatched", "empty"],
)
def test_bad_state_is_refused_before_calling_wechat(client, wechat_emulator, query):
    start(client)
    wechat_emulator.world.clear_requests()
    response = client.get("/wechat/callback", query_string=query)
    assert response.status_code == 400
    page = response.data.decode()
    # Nobody is told their link "expired" when it never existed or was used already.
    assert "This sign-in link can’t be used" in page and "expired" not in page
    assert wechat_emulator.world.requests == []
    assert client.get("/").data == b"anonymous"


def test_replayed_callback_is_refused(client, wechat_emulator):
    callback = wechat_emulator.approve(start(client))
    assert client.get(callback).status_code == 302
    wechat_emulator.world.clear_requests()
    replayed = client.get(callback)
    assert replayed.status_code == 400
    assert "This sign-in link can’t be used" in replayed.data.decode()
    assert wechat_emulator.world.requests == []


def test_state_from_another_browser_is_refused(app, wechat_emulator):
    attacker, victim = app.test_client(), app.test_client()
    callback = wechat_emulator.approve(start(attacker))
    assert victim.get(callback).status_code == 400
    assert victim.get("/").data == b"anonymous"


def test_expired_state_is_refused(make_app, wechat_emulator, caplog):
    caplog.set_level(logging.INFO, "flask_wechat")
    client = make_app(WECHAT_STATE_MAX_AGE=0.001).test_client()
    callback = wechat_emulator.approve(start(client))
    response = client.get(callback)
    assert response.status_code == 400
    assert "This sign-in link has expired" in response.data.decode()
    assert "StateExpired" in caplog.text


def test_state_errors_are_two_kinds_of_state_error():
    assert issubclass(StateExpired, StateError) and issubclass(StateUnknown, StateError)
    unknown, expired = presentation_for(StateUnknown()), presentation_for(StateExpired())
    assert "expired" in expired.title and "expired" not in unknown.title


def test_declining_shows_a_friendly_page_with_a_way_back(client, wechat_emulator):
    callback = wechat_emulator.approve(start(client, "/private/page"), action="deny")
    assert "code=" not in callback
    response = client.get(callback)
    page = response.data.decode()
    assert response.status_code == 200
    assert "You cancelled the sign-in" in page
    assert 'href="/wechat/login?next=/private/page"' in page
    assert client.get("/").data == b"anonymous"


def test_code_used_twice_shows_40163(client, wechat_emulator):
    first = wechat_emulator.approve(start(client))
    code = parse_qs(urlsplit(first).query)["code"][0]
    client.get(first)
    sign_out(client)
    fresh_state = state_of(start(client))
    response = client.get("/wechat/callback", query_string={"code": code, "state": fresh_state})
    assert response.status_code == 400
    assert "This WeChat confirmation was already used" in response.data.decode()
    assert client.get("/").data == b"anonymous"


def test_wrong_secret_is_a_configuration_error_without_the_secret(
    make_app, wechat_emulator, caplog
):
    secret = "0123456789abcdef0123456789abcdef"
    client = make_app(WECHAT_APP_ID=WEBSITE_APP_ID, WECHAT_APP_SECRET=secret).test_client()
    with caplog.at_level("DEBUG"):
        response = sign_in(client, wechat_emulator)
    page = response.data.decode()
    assert response.status_code == 503
    assert "WeChat sign-in is unavailable" in page and "40125" not in page  # in the log only
    assert "40125" in caplog.text
    assert secret not in page and secret not in caplog.text
    assert "WECHAT_APP_SECRET" in caplog.text  # the hint for the site owner
    assert client.get("/").data == b"anonymous"


def test_userinfo_error_signs_nobody_in(client, wechat_emulator):
    wechat_emulator.world.add_fault("/sns/userinfo", "errcode", errcode=40003)
    response = sign_in(client, wechat_emulator)
    assert response.status_code == 401
    assert "Please sign in again" in response.data.decode()
    assert client.get("/").data == b"anonymous"


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
        "//[",  # not even a URL: urllib cannot split it
        "//[::1:80/",
    ],
)
def test_open_redirect_next_falls_back_to_login_redirect(make_app, wechat_emulator, evil):
    client = make_app(WECHAT_LOGIN_REDIRECT="/home").test_client()
    response = sign_in(client, wechat_emulator, next_url=evil)
    assert response.status_code == 302
    assert response.location == "/home"


def test_profile_handler_returning_none_refuses(client, app, wechat_emulator):
    app.refused.add(wechat_emulator.world.openid(WEBSITE_APP_ID, "lilei"))
    response = sign_in(client, wechat_emulator)
    assert response.status_code == 403
    assert "Sign-in not allowed" in response.data.decode()
    assert client.get("/").data == b"anonymous"


def test_session_is_renewed_at_sign_in(client, wechat_emulator):
    with client.session_transaction() as planted:
        planted["planted_by_attacker"] = "x"
    sign_in(client, wechat_emulator)
    with client.session_transaction() as after:
        assert "planted_by_attacker" not in after
        assert "_user_id" in after


def test_signals_are_sent(app, client, wechat_emulator):
    seen = []
    with signals.signed_in.connected_to(lambda sender, **kw: seen.append(kw["profile"]), app):
        sign_in(client, wechat_emulator)
    assert [profile.nickname for profile in seen] == ["李雷"]


def test_logout_needs_post_and_csrf(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    explained = client.get("/wechat/logout")  # a GET explains, and changes nothing
    assert explained.status_code == 200 and '<form method="post"' in explained.data.decode()
    assert client.get("/").data.decode().startswith("signed in")
    name, token = logout_field(client)
    refused = client.post("/wechat/logout", data={name: "wrong"})
    assert refused.status_code == 400
    assert client.get("/").data.decode().startswith("signed in")
    done = client.post("/wechat/logout", data={name: token, "next": "/x"})
    assert (done.status_code, done.location) == (302, "/x")
    assert client.get("/").data == b"anonymous"
    with client.session_transaction() as stored:
        assert "_wechat_token" not in stored


def test_an_overlong_next_is_dropped_so_pending_sign_ins_fit_in_a_cookie(client, wechat_emulator):
    for _ in range(5):
        start(client, "/" + "x" * 2000)
    cookie = client.get_cookie("session")
    assert len(cookie.value) < 4000
    response = sign_in(client, wechat_emulator, next_url="/" + "x" * 2000)
    assert response.location == "/"
