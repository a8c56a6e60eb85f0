"""wechat_compliance_fix on a plain OAuth2Session, no Flask, against the emulator."""

from __future__ import annotations

import socket

import pytest
from requests_oauthlib import OAuth2Session

from flask_wechat import WeChatError, wechat_compliance_fix
from flask_wechat.client import WeChatClient
from flask_wechat.emulator import WEBSITE_APP_ID, WEBSITE_APP_SECRET
from flask_wechat.errors import (
    AccessTokenExpired,
    BadResponse,
    CodeError,
    InvalidCredentials,
    UnavailableError,
)


@pytest.fixture
def code(wechat_emulator):
    return wechat_emulator.world.issue_code(WEBSITE_APP_ID, "lilei", "snsapi_login")


def _session():
    return wechat_compliance_fix(OAuth2Session(WEBSITE_APP_ID, scope=["snsapi_login"]))


def _fetch(session, emulator, code, secret=WEBSITE_APP_SECRET):
    return session.fetch_token(
        f"{emulator.url}/sns/oauth2/access_token",
        code=code,
        client_secret=secret,
        method="GET",
        include_client_id=True,
    )


@pytest.mark.kind_wechat  # reads userinfo's first answer without a retry
def test_plain_session_fetches_token_and_userinfo(wechat_emulator, code):
    session = _session()
    token = _fetch(session, wechat_emulator, code)
    assert token["token_type"] == "Bearer"  # WeChat sends none
    assert token["openid"] and token["unionid"]
    response = session.get(f"{wechat_emulator.url}/sns/userinfo")
    assert response.json()["nickname"] == "李雷"
    assert "Authorization" not in response.request.headers
    assert f"access_token={token['access_token']}" in response.request.url
    assert f"openid={token['openid']}" in response.request.url


def test_token_request_is_a_get_with_appid_and_secret(wechat_emulator, code):
    response_seen = []
    session = _session()
    session.register_compliance_hook(
        "access_token_response", lambda r: response_seen.append(r) or r
    )
    _fetch(session, wechat_emulator, code)
    request = response_seen[0].request
    assert request.method == "GET" and not request.body
    assert "Authorization" not in request.headers
    assert "client_id" not in request.url and "redirect_uri" not in request.url


@pytest.mark.parametrize(
    "secret, code_key, error",
    [("0" * 32, None, InvalidCredentials), (WEBSITE_APP_SECRET, "bogus", CodeError)],
)
def test_errcode_body_becomes_a_typed_error(wechat_emulator, code, secret, code_key, error):
    with pytest.raises(error) as caught:
        _fetch(_session(), wechat_emulator, code_key or code, secret)
    assert isinstance(caught.value, WeChatError)
    assert caught.value.errcode in (40125, 40029)
    assert caught.value.errmsg.startswith(("invalid appsecret", "invalid code"))
    assert secret not in str(caught.value)


@pytest.mark.parametrize("kind", ["html", "truncated", "empty", "http_status"])
def test_unreadable_token_answer_is_bad_response(wechat_emulator, code, kind):
    wechat_emulator.world.add_fault("/sns/oauth2/access_token", kind)
    with pytest.raises(BadResponse):
        _fetch(_session(), wechat_emulator, code)


def test_client_userinfo_error_and_expiry(wechat_emulator, code):
    client = WeChatClient(
        WEBSITE_APP_ID,
        WEBSITE_APP_SECRET,
        open_base_url=wechat_emulator.url,
        api_base_url=wechat_emulator.url,
    )
    token = client.fetch_token(code)
    wechat_emulator.world.advance(7201)
    # WeChat's own verdict (42001) when the token has no local expiry...
    with pytest.raises(AccessTokenExpired) as caught:
        client.fetch_userinfo({k: v for k, v in token.items() if k != "expires_at"})
    assert caught.value.errcode == 42001
    # ...and the same typed error, without a round trip, when it has one.
    wechat_emulator.world.clear_requests()
    with pytest.raises(AccessTokenExpired):
        client.fetch_userinfo({**token, "expires_at": 1})
    assert wechat_emulator.world.requests == []


def test_timeout_is_unavailable_not_a_crash(wechat_emulator, code):
    from flask_wechat.errors import UnavailableError

    client = WeChatClient(
        WEBSITE_APP_ID,
        WEBSITE_APP_SECRET,
        api_base_url=wechat_emulator.url,
        timeout=0.2,
    )
    wechat_emulator.world.add_fault("/sns/oauth2/access_token", "delay", seconds=1)
    with pytest.raises(UnavailableError, match="in time"):
        client.fetch_token(code)


def test_proxy_variables_are_honoured_at_each_call_as_requests_does(monkeypatch, wechat_emulator):
    client = WeChatClient(
        WEBSITE_APP_ID, WEBSITE_APP_SECRET, api_base_url=wechat_emulator.url, timeout=2
    )
    token = {"access_token": "not-a-token", "openid": "nobody"}
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert client.check_token(token) is False  # WeChat answered: the token is unknown
    with socket.socket() as probe:  # a proxy address where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead_proxy = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", dead_proxy)  # set after the client was made
    with pytest.raises(UnavailableError, match="could not reach"):
        client.check_token(token)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert client.check_token(token) is False
