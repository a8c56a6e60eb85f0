"""Tests of the WeChat emulator itself, over real HTTP against a started EmulatorServer."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import pytest
import requests

from flask_wechat.emulator import (
    MP_APP_ID,
    MP_APP_SECRET,
    OFFICIAL_ACCOUNT,
    OPEN_ACCOUNT,
    USER_BAD_BYTE,
    USER_CONTROL_CHAR,
    USER_HANMEIMEI,
    USER_HTTP_AVATAR,
    USER_LILEI,
    USER_NO_AVATAR,
    USER_SNAPSHOT,
    USERINFO_40001_ONE_IN,
    WEBSITE_APP_ID,
    WEBSITE_APP_SECRET,
    WECHAT_IMAGE_URL,
    App,
    EmulatorError,
    EmulatorServer,
    World,
    make_openid,
    make_unionid,
)

CALLBACK = "http://127.0.0.1:5000/auth/wechat/callback"
#: Official-account authorize refuses a port: its sites are on the default one.
MP_CALLBACK = "http://127.0.0.1/auth/wechat/callback"
_RID = r"[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}"
#: WeChat's request-id suffixes: ", rid: …", " rid: …", " hints: [ req_id: … ]".
RID_RE = re.compile(rf"(?:, rid: {_RID}| rid: {_RID}| hints: \[ req_id: {_RID} \])$")
JSON_UTF8 = "application/json; encoding=utf-8"
TEXT_PLAIN = "text/plain"


# -- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_server():
    with EmulatorServer() as server:
        yield server


@pytest.fixture()
def emu(shared_server, request):
    """The shared server with its world back in the seeded state (as harsh as WeChat;
    ``@pytest.mark.kind_wechat`` turns off the transient 40001 on userinfo)."""
    shared_server.world.reset()
    if request.node.get_closest_marker("kind_wechat"):
        shared_server.world.userinfo_40001_one_in = 0
    return shared_server


@pytest.fixture()
def http():
    with requests.Session() as session:
        yield session


def qr_params(**overrides):
    params = {
        "appid": WEBSITE_APP_ID,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "snsapi_login",
        "state": "s1",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def mp_params(**overrides):
    params = {
        "appid": MP_APP_ID,
        "redirect_uri": MP_CALLBACK,
        "response_type": "code",
        "scope": "snsapi_userinfo",
        "state": "s2",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def confirm(http, emu, flow="qrconnect", action="confirm", user=USER_LILEI, **overrides):
    params = qr_params(**overrides) if flow == "qrconnect" else mp_params(**overrides)
    form = {"flow": flow, "action": action, "user": user, **params}
    return http.post(f"{emu.url}/connect/confirm", data=form, allow_redirects=False)


def wechat_json(response) -> dict:
    """What a WeChat client must do: UTF-8 whatever the label, control characters allowed."""
    return wechat_json_bytes(response.content)


def wechat_json_bytes(raw: bytes) -> dict:
    return json.loads(raw.decode("utf-8", "replace"), strict=False)


def code_from(response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def qr_code(http, emu, user=USER_LILEI) -> str:
    return code_from(confirm(http, emu, user=user))


def mp_code(http, emu, user=USER_LILEI, scope="snsapi_userinfo") -> str:
    if scope == "snsapi_base":
        params = mp_params(scope=scope, emulator_user=user)
        response = http.get(
            f"{emu.url}/connect/oauth2/authorize", params=params, allow_redirects=False
        )
        return code_from(response)
    return code_from(confirm(http, emu, flow="oauth2", user=user, scope=scope))


def exchange(http, emu, code, appid=WEBSITE_APP_ID, secret=WEBSITE_APP_SECRET, **extra):
    params = {"appid": appid, "secret": secret, "code": code, "grant_type": "authorization_code"}
    params.update(extra)
    params = {k: v for k, v in params.items() if v is not None}
    return http.get(f"{emu.url}/sns/oauth2/access_token", params=params)


def token_for(http, emu, user=USER_LILEI, app="website", scope="snsapi_userinfo") -> dict:
    if app == "website":
        body = exchange(http, emu, qr_code(http, emu, user)).json()
    else:
        code = mp_code(http, emu, user, scope)
        body = exchange(http, emu, code, MP_APP_ID, MP_APP_SECRET).json()
    assert "access_token" in body, body
    return body


def assert_errcode(response, errcode: int, text: str | None = None) -> None:
    assert response.status_code == 200
    body = json.loads(response.content.decode("utf-8"))
    assert body["errcode"] == errcode, body
    assert RID_RE.search(body["errmsg"]), body
    if text is not None:
        assert body["errmsg"][: -len(RID_RE.search(body["errmsg"]).group())] == text, body
    assert set(body) == {"errcode", "errmsg"}


def assert_error_page(response, slug: str, code: int | None, message: str) -> None:
    assert response.status_code == 200  # WeChat shows its error pages with HTTP 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["X-Emulator-Error"] == slug
    assert message in response.text
    if code is not None:
        assert f'<span class="code">{code}</span>' in response.text
    assert "Location" not in response.headers


# -- seeded state ------------------------------------------------------------------------


def test_seeded_credentials_look_like_wechat():
    for appid in (WEBSITE_APP_ID, MP_APP_ID):
        assert re.fullmatch(r"wx[0-9a-f]{16}", appid)
    for secret in (WEBSITE_APP_SECRET, MP_APP_SECRET):
        assert re.fullmatch(r"[0-9a-f]{32}", secret)
    world = World()
    kinds = {app.appid: app.kind for app in world.apps}
    assert kinds == {WEBSITE_APP_ID: "website", MP_APP_ID: OFFICIAL_ACCOUNT}
    assert all(app.open_account == OPEN_ACCOUNT for app in world.apps)
    assert [u.key for u in world.users][:3] == [USER_LILEI, USER_HANMEIMEI, USER_SNAPSHOT]


def test_openid_and_unionid_shapes():
    a = make_openid(WEBSITE_APP_ID, USER_LILEI)
    b = make_openid(MP_APP_ID, USER_LILEI)
    assert len(a) == len(b) == 28 and a.startswith("o") and a != b
    assert a == make_openid(WEBSITE_APP_ID, USER_LILEI)  # deterministic
    u = make_unionid(OPEN_ACCOUNT, USER_LILEI)
    assert len(u) == 28 and u != make_unionid(OPEN_ACCOUNT, USER_HANMEIMEI)


def test_index_page_labels_test_credentials(emu, http):
    response = http.get(emu.url + "/")
    assert response.status_code == 200
    assert WEBSITE_APP_SECRET in response.text and MP_APP_ID in response.text
    assert "emulator-only test credentials" in response.text


# -- qrconnect ---------------------------------------------------------------------------


def test_qrconnect_page_chinese_by_default(emu, http):
    response = http.get(f"{emu.url}/connect/qrconnect", params=qr_params())
    assert response.status_code == 200
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert "微信登录" in html and "确认登录" in html and "拒绝" in html
    assert 'action="/connect/confirm"' in html and 'method="post"' in html
    assert '<div class="qr" aria-hidden="true">' in html
    assert response.headers["X-Frame-Options"] == "DENY"
    # Every test person is a labelled radio; the first is chosen by default.
    for key in (USER_LILEI, USER_HANMEIMEI, USER_SNAPSHOT):
        assert f'id="user-{key}" name="user" value="{key}"' in html
        assert f'<label for="user-{key}">' in html
    assert 'value="lilei" checked' in html
    assert "Han Meimei 🐼" in html
    assert '<input type="hidden" name="state" value="s1">' in html
    assert 'target="_top"' not in html


def test_qrconnect_page_english(emu, http):
    response = http.get(f"{emu.url}/connect/qrconnect", params=qr_params(lang="en"))
    assert '<html lang="en">' in response.text
    assert ">Confirm</button>" in response.text and ">Deny</button>" in response.text


def test_qrconnect_page_primary_button_meets_wcag_aa(emu, http):
    html = http.get(f"{emu.url}/connect/qrconnect", params=qr_params()).text
    green = re.search(r"--green: (#[0-9a-fA-F]{6});", html).group(1)

    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    ratio = (1.05) / (luminance(green) + 0.05)  # white text on the green button
    assert ratio >= 4.5
    assert ":focus-visible" in html


@pytest.mark.parametrize(
    ("overrides", "slug", "code", "message"),
    [
        ({"appid": None}, "appid_empty", 10012, "appid"),
        ({"appid": "wx0000000000000000"}, "appid_invalid", 40013, "appid 参数错误"),
        ({"redirect_uri": None}, "redirect_uri_empty", 10011, "redirect_uri 参数错误"),
        (
            {"redirect_uri": "https://evil.example/cb"},
            "redirect_uri_domain",
            10003,
            "redirect_uri 参数错误",
        ),
        # Double encoding: after one decoding there is no scheme or host left.
        (
            {"redirect_uri": quote(CALLBACK, safe="")},
            "redirect_uri_domain",
            10003,
            "redirect_uri 参数错误",
        ),
        ({"response_type": "token"}, "response_type", None, "response_type"),
        ({"scope": "snsapi_userinfo"}, "scope_invalid", 10005, "Scope 参数错误或没有 Scope 权限"),
        ({"scope": None}, "scope_invalid", 10005, "Scope 参数错误或没有 Scope 权限"),
        # An official-account appid has no snsapi_login permission.
        ({"appid": MP_APP_ID}, "scope_invalid", 10005, "Scope 参数错误或没有 Scope 权限"),
        ({"state": "has-dash"}, "state_invalid", None, "state"),
        ({"state": "a" * 129}, "state_invalid", None, "state"),
    ],
)
def test_qrconnect_errors(emu, http, overrides, slug, code, message):
    response = http.get(f"{emu.url}/connect/qrconnect", params=qr_params(**overrides))
    assert_error_page(response, slug, code, message)


def test_qrconnect_accepts_128_byte_state_and_localhost(emu, http):
    params = qr_params(state="Ab1" * 42 + "xy", redirect_uri="http://localhost:8000/cb")
    assert len(params["state"]) == 128
    response = http.get(f"{emu.url}/connect/qrconnect", params=params)
    assert response.status_code == 200 and "X-Emulator-Error" not in response.headers


def test_confirm_redirects_with_code_and_state_keeping_query(emu, http):
    response = confirm(http, emu, redirect_uri=CALLBACK + "?next=%2Fhome", state="xyz")
    location = response.headers["Location"]
    assert location.startswith(CALLBACK + "?next=%2Fhome&code=")
    pairs = parse_qsl(urlsplit(location).query)
    assert [k for k, _ in pairs] == ["next", "code", "state"]
    assert dict(pairs)["state"] == "xyz"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", dict(pairs)["code"])
    assert "wechat_emulator_user=lilei" in response.headers["Set-Cookie"]
    assert "Path=/connect/" in response.headers["Set-Cookie"]


def test_confirm_omits_empty_state(emu, http):
    response = confirm(http, emu, state="")
    assert response.status_code == 302
    assert set(parse_qs(urlsplit(response.headers["Location"]).query)) == {"code"}


def test_deny_redirects_with_state_and_no_code(emu, http):
    response = confirm(http, emu, action="deny", state="abc")
    assert response.status_code == 302
    assert response.headers["Location"] == CALLBACK + "?state=abc"


def test_confirm_revalidates_the_hidden_fields(emu, http):
    response = confirm(http, emu, redirect_uri="https://evil.example/steal")
    assert_error_page(response, "redirect_uri_domain", 10003, "redirect_uri 参数错误")
    response = confirm(http, emu, user="nobody")
    assert_error_page(response, "emulator_user", None, "未知的测试用户")


def test_embedded_variant_targets_top_window_and_allows_framing(emu, http):
    params = qr_params(login_type="jssdk", self_redirect="false", style="black")
    response = http.get(f"{emu.url}/connect/qrconnect", params=params)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    html = response.text
    assert 'target="_top"' in html
    assert '<label for="user">' in html and '<select id="user" name="user">' in html
    assert 'class="footer"' not in html  # no outer chrome inside the 300x400 iframe
    assert '<main class="embed"' in html
    # The hidden fields carry the variant, so the confirm step answers the same way.
    assert '<input type="hidden" name="login_type" value="jssdk">' in html


def test_embedded_variant_options(emu, http):
    params = qr_params(login_type="jssdk", self_redirect="true", style="white", lang="en")
    html = http.get(f"{emu.url}/connect/qrconnect", params=params).text
    assert 'target="_self"' in html and '<main class="embed dark"' in html
    assert ">Confirm</button>" in html
    params = qr_params(login_type="jssdk", href="https://example.com/wx.css")
    html = http.get(f"{emu.url}/connect/qrconnect", params=params).text
    assert '<link rel="stylesheet" href="https://example.com/wx.css">' in html
    params = qr_params(login_type="jssdk", href="javascript:alert(1)")
    html = http.get(f"{emu.url}/connect/qrconnect", params=params).text
    assert '<link rel="stylesheet"' not in html  # only https: or data:text/css is applied


def test_embedded_error_page_can_be_framed(emu, http):
    params = qr_params(login_type="jssdk", scope="snsapi_base")
    response = http.get(f"{emu.url}/connect/qrconnect", params=params)
    assert_error_page(response, "scope_invalid", 10005, "Scope")
    assert "X-Frame-Options" not in response.headers


# -- official-account authorize ----------------------------------------------------------


def test_oauth2_snsapi_base_is_silent(emu, http):
    params = mp_params(scope="snsapi_base", state="q1")
    response = http.get(f"{emu.url}/connect/oauth2/authorize", params=params, allow_redirects=False)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["q1"]
    body = exchange(http, emu, query["code"][0], MP_APP_ID, MP_APP_SECRET).json()
    assert body["openid"] == make_openid(MP_APP_ID, USER_LILEI)  # first seeded person
    assert body["scope"] == "snsapi_base"
    assert "unionid" not in body  # WeChat returns unionid only for snsapi_userinfo


def test_oauth2_user_from_param_then_cookie(emu, http):
    code = mp_code(http, emu, user=USER_HANMEIMEI, scope="snsapi_base")
    body = exchange(http, emu, code, MP_APP_ID, MP_APP_SECRET).json()
    assert body["openid"] == make_openid(MP_APP_ID, USER_HANMEIMEI)
    # A confirmed choice is remembered in a cookie for later silent authorizations.
    confirm(http, emu, flow="oauth2", user=USER_SNAPSHOT)
    params = mp_params(scope="snsapi_base")
    response = http.get(f"{emu.url}/connect/oauth2/authorize", params=params, allow_redirects=False)
    body = exchange(http, emu, code_from(response), MP_APP_ID, MP_APP_SECRET).json()
    assert body["openid"] == make_openid(MP_APP_ID, USER_SNAPSHOT)
    params = mp_params(scope="snsapi_base", emulator_user="nobody")
    response = http.get(f"{emu.url}/connect/oauth2/authorize", params=params, allow_redirects=False)
    assert_error_page(response, "emulator_user", None, "未知的测试用户")


def test_oauth2_snsapi_userinfo_asks_consent(emu, http):
    params = mp_params(emulator_user=USER_HANMEIMEI)
    response = http.get(f"{emu.url}/connect/oauth2/authorize", params=params, allow_redirects=False)
    assert response.status_code == 200
    html = response.text
    assert "允许" in html and "拒绝" in html and 'value="hanmeimei" checked' in html
    assert '<input type="hidden" name="flow" value="oauth2">' in html
    allowed = confirm(http, emu, flow="oauth2", user=USER_HANMEIMEI, state="z9")
    assert parse_qs(urlsplit(allowed.headers["Location"]).query)["state"] == ["z9"]
    denied = confirm(http, emu, flow="oauth2", action="deny", state="z9")
    assert denied.headers["Location"] == MP_CALLBACK + "?state=z9"


@pytest.mark.parametrize(
    ("overrides", "slug", "code"),
    [
        ({"redirect_uri": "https://other.example/cb"}, "redirect_uri_domain", 10003),
        ({"scope": "snsapi_login"}, "scope_invalid", 10005),
        ({"scope": None}, "scope_empty", 10010),
        ({"redirect_uri": None}, "redirect_uri_empty", 10011),
        ({"appid": None}, "appid_empty", 10012),
        ({"appid": WEBSITE_APP_ID}, "appid_not_official_account", 10016),
        ({"appid": "wx0000000000000000"}, "appid_invalid", 40013),
        ({"response_type": "token"}, "response_type", None),
    ],
)
def test_oauth2_errors(emu, http, overrides, slug, code):
    params = mp_params(**overrides)
    response = http.get(f"{emu.url}/connect/oauth2/authorize", params=params, allow_redirects=False)
    assert_error_page(response, slug, code, "")


# -- /sns/oauth2/access_token -----------------------------------------------------------


def test_access_token_website_app(emu, http):
    response = exchange(http, emu, qr_code(http, emu))
    # WeChat labels this JSON text/plain without a charset.
    assert response.headers["Content-Type"] == "text/plain"
    body = json.loads(response.content.decode("utf-8"))
    assert set(body) == {
        "access_token",
        "expires_in",
        "refresh_token",
        "openid",
        "scope",
        "unionid",
    }
    assert body["expires_in"] == 7200 and body["scope"] == "snsapi_login"
    assert body["openid"] == make_openid(WEBSITE_APP_ID, USER_LILEI)
    assert body["unionid"] == make_unionid(OPEN_ACCOUNT, USER_LILEI)
    assert "token_type" not in body


@pytest.mark.parametrize(
    ("overrides", "errcode", "text"),
    [
        ({"appid": None}, 41002, "appid missing"),
        ({"appid": "wx0000000000000000"}, 40013, "invalid appid"),
        ({"secret": None}, 41004, "appsecret missing"),
        ({"secret": "0" * 32}, 40125, "invalid appsecret"),
        ({"code": None}, 41008, "missing code"),
        ({"grant_type": "client_credentials"}, 40002, "invalid grant_type"),
        ({"code": "notacode"}, 40029, "invalid code"),
    ],
)
def test_access_token_errors(emu, http, overrides, errcode, text):
    args = {"code": qr_code(http, emu), **overrides}
    code = args.pop("code")
    response = exchange(http, emu, code, **args)
    assert response.headers["Content-Type"] == "text/plain"
    assert_errcode(response, errcode, text)


def test_credentials_checked_before_code_so_a_bad_secret_keeps_it(emu, http):
    code = qr_code(http, emu)
    assert_errcode(exchange(http, emu, code, secret="f" * 32), 40125)
    assert_errcode(exchange(http, emu, code, grant_type="password"), 40002)
    assert "access_token" in exchange(http, emu, code).json()


def test_code_is_single_use(emu, http):
    code = qr_code(http, emu)
    assert "access_token" in exchange(http, emu, code).json()
    assert_errcode(exchange(http, emu, code), 40163, "code been used")


def test_code_issued_to_another_app_is_invalid(emu, http):
    code = mp_code(http, emu)
    assert_errcode(exchange(http, emu, code), 40029, "invalid code")
    # ...and the failed attempt did not burn it for its own app.
    assert "access_token" in exchange(http, emu, code, MP_APP_ID, MP_APP_SECRET).json()


def test_code_single_use_under_concurrency(emu):
    code = emu.world.issue_code(WEBSITE_APP_ID, USER_LILEI, "snsapi_login")
    results = []

    def attempt():
        with requests.Session() as session:
            results.append(exchange(session, emu, code).json())

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("access_token" in r for r in results) == 1
    assert sorted(r.get("errcode", 0) for r in results) == [0] + [40163] * 7


@pytest.mark.parametrize(
    ("appid", "secret", "lifetime"),
    [(WEBSITE_APP_ID, WEBSITE_APP_SECRET, 600), (MP_APP_ID, MP_APP_SECRET, 300)],
)
def test_code_expiry_follows_the_clock(emu, http, appid, secret, lifetime):
    control = f"{emu.url}/_emulator"

    def new_code():
        response = http.post(f"{control}/codes", json={"appid": appid, "user": USER_LILEI})
        assert response.status_code == 201
        return response.json()["code"]

    fresh, stale = new_code(), new_code()
    http.post(f"{control}/clock/advance", json={"seconds": lifetime - 5})
    assert "access_token" in exchange(http, emu, fresh, appid, secret).json()
    http.post(f"{control}/clock/advance", json={"seconds": 10})
    assert_errcode(exchange(http, emu, stale, appid, secret), 42003, "code expired")


def test_unionid_shared_across_bound_apps_openid_differs(emu, http):
    website = token_for(http, emu, USER_HANMEIMEI, app="website")
    mp = token_for(http, emu, USER_HANMEIMEI, app="mp")
    assert website["unionid"] == mp["unionid"] == make_unionid(OPEN_ACCOUNT, USER_HANMEIMEI)
    assert website["openid"] != mp["openid"]
    assert mp["scope"] == "snsapi_userinfo"


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_unbound_app_gets_no_unionid(emu, http):
    emu.world.add_app(App("wx00000000000000aa", "a" * 32, "website", ("127.0.0.1",), None))
    response = confirm(http, emu, appid="wx00000000000000aa")
    body = exchange(http, emu, code_from(response), "wx00000000000000aa", "a" * 32).json()
    assert "openid" in body and "unionid" not in body
    info = wechat_json(
        http.get(
            f"{emu.url}/sns/userinfo",
            params={"access_token": body["access_token"], "openid": body["openid"]},
        )
    )
    assert info["nickname"] == "李雷" and "unionid" not in info


def test_snapshot_user_flag_only_on_official_account(emu, http):
    mp = token_for(http, emu, USER_SNAPSHOT, app="mp")
    assert mp["is_snapshotuser"] == 1
    website = token_for(http, emu, USER_SNAPSHOT, app="website")
    assert "is_snapshotuser" not in website
    assert "is_snapshotuser" not in token_for(http, emu, USER_LILEI, app="mp")


# -- /sns/oauth2/refresh_token -----------------------------------------------------------


def refresh(http, emu, refresh_token, appid=WEBSITE_APP_ID, **extra):
    params = {"appid": appid, "grant_type": "refresh_token", "refresh_token": refresh_token}
    params.update(extra)
    params = {k: v for k, v in params.items() if v is not None}
    return http.get(f"{emu.url}/sns/oauth2/refresh_token", params=params)


def check(http, emu, access_token, openid):
    params = {"access_token": access_token, "openid": openid}
    return http.get(f"{emu.url}/sns/auth", params=params)


def test_refresh_extends_a_live_token_and_replaces_an_expired_one(emu, http):
    token = token_for(http, emu)
    response = refresh(http, emu, token["refresh_token"])
    assert response.headers["Content-Type"] == TEXT_PLAIN
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "refresh_token", "openid", "scope"}
    assert body["access_token"] == token["access_token"]  # unexpired: same, extended
    assert body["refresh_token"] == token["refresh_token"]
    emu.world.advance(7000)
    refresh(http, emu, token["refresh_token"])
    emu.world.advance(7000)  # 14000 s after issue, but extended at 7000 s
    assert check(http, emu, token["access_token"], token["openid"]).json()["errcode"] == 0
    emu.world.advance(7300)
    assert_errcode(check(http, emu, token["access_token"], token["openid"]), 42001)
    renewed = refresh(http, emu, token["refresh_token"]).json()
    assert renewed["access_token"] != token["access_token"]
    assert check(http, emu, renewed["access_token"], token["openid"]).json()["errcode"] == 0


@pytest.mark.parametrize(
    ("overrides", "errcode", "text"),
    [
        ({"appid": None}, 41002, "appid missing"),
        ({"appid": "wx0000000000000000"}, 40013, "invalid appid"),
        ({"refresh_token": None}, 41003, "refresh_token missing"),
        ({"grant_type": "authorization_code"}, 40002, "invalid grant_type"),
        ({"refresh_token": "nope"}, 40030, "invalid refresh_token"),
        ({"appid": MP_APP_ID}, 40030, "invalid refresh_token"),  # another app's token
    ],
)
def test_refresh_errors(emu, http, overrides, errcode, text):
    args = {"refresh_token": token_for(http, emu)["refresh_token"], **overrides}
    response = refresh(http, emu, args.pop("refresh_token"), **args)
    assert response.headers["Content-Type"] == TEXT_PLAIN
    assert_errcode(response, errcode, text)


def test_refresh_token_expires_after_30_days(emu, http):
    token = token_for(http, emu)
    emu.world.advance(30 * 24 * 3600 - 60)
    assert "access_token" in refresh(http, emu, token["refresh_token"]).json()
    emu.world.advance(120)
    assert_errcode(refresh(http, emu, token["refresh_token"]), 42002, "refresh_token expired")


# -- /sns/auth and /sns/userinfo ---------------------------------------------------------


def test_auth_ok_and_errors(emu, http):
    token = token_for(http, emu)
    response = check(http, emu, token["access_token"], token["openid"])
    assert response.headers["Content-Type"] == JSON_UTF8
    assert response.json() == {"errcode": 0, "errmsg": "ok"}
    assert_errcode(check(http, emu, None, token["openid"]), 41001, "access_token missing")
    assert_errcode(check(http, emu, "bogus", token["openid"]), 40014, "invalid access_token")
    assert_errcode(check(http, emu, token["access_token"], "o" * 28), 40003, "invalid openid")
    assert_errcode(check(http, emu, token["access_token"], None), 41009, "missing openid")
    emu.world.advance(7200)
    assert_errcode(check(http, emu, token["access_token"], token["openid"]), 42001)


def userinfo(http, emu, token, **params):
    query = {"access_token": token["access_token"], "openid": token["openid"], **params}
    query = {k: v for k, v in query.items() if v is not None}
    return http.get(f"{emu.url}/sns/userinfo", params=query)


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_userinfo_profile_with_emoji(emu, http):
    token = token_for(http, emu, USER_HANMEIMEI)
    response = userinfo(http, emu, token, lang="zh_CN")
    assert response.headers["Content-Type"] == TEXT_PLAIN  # no charset, as WeChat sends it
    raw = response.content
    assert "Han Meimei 🐼".encode() in raw and b"\\u" not in raw  # not ASCII-escaped
    body = json.loads(raw.decode("utf-8"))
    assert list(body) == [  # WeChat's order, with the "language" it still sends
        "openid",
        "nickname",
        "sex",
        "language",
        "city",
        "province",
        "country",
        "headimgurl",
        "privilege",
        "unionid",
    ]
    assert body["language"] == ""
    assert body["nickname"] == "Han Meimei 🐼"
    assert body["sex"] == 0 and body["province"] == body["city"] == body["country"] == ""
    assert body["privilege"] == [] and body["openid"] == token["openid"]
    assert body["unionid"] == token["unionid"]
    assert body["headimgurl"] == f"{emu.url}/mmopen/{USER_HANMEIMEI}/132"
    avatar = http.get(body["headimgurl"])
    assert avatar.status_code == 200 and avatar.headers["Content-Type"].startswith("image/svg+xml")
    assert avatar.text.startswith("<svg") and ">H</text>" in avatar.text
    assert wechat_json(userinfo(http, emu, token, lang="en"))["nickname"] == "Han Meimei 🐼"


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_userinfo_chinese_nickname_and_special_people(emu, http):
    lilei = wechat_json(userinfo(http, emu, token_for(http, emu, USER_LILEI)))
    assert lilei["nickname"] == "李雷"
    snapshot = wechat_json(userinfo(http, emu, token_for(http, emu, USER_SNAPSHOT)))
    assert snapshot["nickname"] == "微信用户"
    # On the official-account path a snapshot-mode token is refused, as WeChat has done.
    snapshot_mp = userinfo(http, emu, token_for(http, emu, USER_SNAPSHOT, app="mp"))
    assert_errcode(snapshot_mp, 48001, "api unauthorized")
    no_avatar = wechat_json(userinfo(http, emu, token_for(http, emu, USER_NO_AVATAR)))
    assert no_avatar["headimgurl"] == ""


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_userinfo_errors(emu, http):
    token = token_for(http, emu)
    assert_errcode(userinfo(http, emu, token, access_token=None), 41001)
    assert_errcode(userinfo(http, emu, token, access_token="bogus"), 40014)
    assert_errcode(userinfo(http, emu, token, openid="o" * 28), 40003)
    base = token_for(http, emu, app="mp", scope="snsapi_base")
    assert_errcode(userinfo(http, emu, base), 48001, "api unauthorized")
    emu.world.advance(7201)
    assert_errcode(userinfo(http, emu, token), 42001, "access_token expired")


@pytest.mark.parametrize("size", [0, 46, 64, 96, 132])
def test_avatar_sizes(emu, http, size):
    response = http.get(f"{emu.url}/mmopen/{USER_LILEI}/{size}")
    expected = 640 if size == 0 else size
    assert response.status_code == 200 and f'width="{expected}"' in response.text


def test_avatar_unknown_size_or_person(emu, http):
    assert http.get(f"{emu.url}/mmopen/{USER_LILEI}/100").status_code == 404
    assert http.get(f"{emu.url}/mmopen/nobody/132").status_code == 404


# -- authorize rules as WeChat's --------------------------------------------------------


def authorize(http, emu, query, **headers):
    """GET oauth2/authorize with ``query`` (pairs, in the order given)."""
    url = f"{emu.url}/connect/oauth2/authorize?" + "&".join(
        f"{k}={quote(v, safe='')}" for k, v in query
    )
    return http.get(url, headers=headers, allow_redirects=False)


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:5000/cb", "https://localhost:8443/cb", "http://localhost:81/cb"],
)
def test_oauth2_refuses_a_port_unless_that_host_port_is_registered(emu, http, redirect_uri):
    response = authorize(http, emu, list(mp_params(redirect_uri=redirect_uri).items()))
    assert_error_page(response, "redirect_uri_domain", 10003, "redirect_uri 参数错误")
    host_port = urlsplit(redirect_uri).netloc
    emu.world.add_callback_domain(host_port)
    response = authorize(http, emu, list(mp_params(redirect_uri=redirect_uri).items()))
    assert response.status_code == 200 and "X-Emulator-Error" not in response.headers
    # Registering one port allows that port only.
    other = redirect_uri.replace(host_port, host_port.split(":")[0] + ":6000")
    response = authorize(http, emu, list(mp_params(redirect_uri=other).items()))
    assert_error_page(response, "redirect_uri_domain", 10003, "redirect_uri 参数错误")


@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1:80/cb", "https://localhost:443/cb", "http://localhost/cb"]
)
def test_oauth2_accepts_the_default_ports(emu, http, redirect_uri):
    response = authorize(http, emu, list(mp_params(redirect_uri=redirect_uri).items()))
    assert response.status_code == 200 and "X-Emulator-Error" not in response.headers


def test_qrconnect_takes_any_port_on_a_registered_host(emu, http):
    response = http.get(f"{emu.url}/connect/qrconnect", params=qr_params())  # :5000
    assert response.status_code == 200 and "X-Emulator-Error" not in response.headers


@pytest.mark.parametrize("flow", ["qrconnect", "oauth2"])
def test_a_redirect_uri_on_another_domain_is_refused(emu, http, flow):
    other = "https://www.example.com/wechat/callback"
    if flow == "oauth2":
        response = authorize(http, emu, list(mp_params(redirect_uri=other).items()))
    else:
        params = qr_params(redirect_uri=other)
        response = http.get(f"{emu.url}/connect/qrconnect", params=params)
    assert_error_page(response, "redirect_uri_domain", 10003, "redirect_uri 参数错误")
    emu.world.add_callback_domain("www.example.com")
    if flow == "oauth2":
        response = authorize(http, emu, list(mp_params(redirect_uri=other).items()))
    else:
        response = http.get(f"{emu.url}/connect/qrconnect", params=params)
    assert response.status_code == 200 and "X-Emulator-Error" not in response.headers


@pytest.mark.parametrize(
    "order",
    [
        ["redirect_uri", "appid", "response_type", "scope", "state"],
        ["appid", "redirect_uri", "scope", "response_type", "state"],
        ["state", "appid", "redirect_uri", "response_type", "scope"],
        ["emulator_user", "appid", "redirect_uri", "response_type", "scope", "state"],
    ],
)
def test_oauth2_refuses_parameters_out_of_order(emu, http, order):
    params = mp_params(emulator_user=USER_LILEI)
    response = authorize(http, emu, [(name, params[name]) for name in order])
    assert_error_page(response, "link_pattern", None, "链接参数顺序错误")


def test_oauth2_accepts_the_documented_order_with_extras_after_it(emu, http):
    params = mp_params(emulator_user=USER_LILEI)
    order = ["appid", "redirect_uri", "response_type", "scope", "state", "emulator_user"]
    response = authorize(http, emu, [(name, params[name]) for name in order])
    assert response.status_code == 200 and "X-Emulator-Error" not in response.headers


@pytest.mark.parametrize(
    "accept_language, english",
    [
        ("en-US,en;q=0.9", True),
        ("zh-CN,zh;q=0.9,en;q=0.5", False),
        ("zh-TW", False),
        ("fr-FR,en;q=0.5", True),
        (None, False),
    ],
)
def test_the_consent_page_follows_the_phones_language(emu, http, accept_language, english):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = authorize(http, emu, list(mp_params().items()), **headers)
    html = response.text
    if english:
        assert '<html lang="en">' in html and ">Allow<" in html and ">Deny<" in html
    else:
        assert '<html lang="zh-CN">' in html and ">允许<" in html and ">拒绝<" in html


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _without_nicknames(html: str, emu) -> str:
    """What a person reads on the page, less the test people's (Chinese) names."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    for user in emu.world.users:
        html = html.replace(user.label, "")
    return html


@pytest.mark.parametrize("page", ["qrconnect", "embedded", "consent", "error"])
def test_every_string_of_the_english_pages_is_english(emu, http, page):
    if page == "qrconnect":
        response = http.get(f"{emu.url}/connect/qrconnect", params=qr_params(lang="en"))
    elif page == "embedded":
        params = qr_params(lang="en", login_type="jssdk", self_redirect="false")
        response = http.get(f"{emu.url}/connect/qrconnect", params=params)
    elif page == "consent":
        response = authorize(http, emu, list(mp_params().items()), **{"Accept-Language": "en"})
    else:
        response = http.get(f"{emu.url}/connect/qrconnect", params=qr_params(lang="en", scope="x"))
    assert '<html lang="en">' in response.text
    assert not _CJK.findall(_without_nicknames(response.text, emu)), page


def test_both_languages_have_every_string():
    from flask_wechat.emulator.connect import PAGE_ERRORS, TEXT

    assert set(TEXT["cn"]) == set(TEXT["en"])
    for key in TEXT["cn"]:
        assert TEXT["cn"][key] and TEXT["en"][key] and TEXT["cn"][key] != TEXT["en"][key], key
    for slug, (_code, chinese, english) in PAGE_ERRORS.items():
        assert _CJK.search(chinese) and not _CJK.search(english), slug


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_snapshot_users_get_48001_from_userinfo_on_the_official_account(emu, http):
    token = token_for(http, emu, USER_SNAPSHOT, app="mp")
    assert token["is_snapshotuser"] == 1
    assert_errcode(userinfo(http, emu, token), 48001, "api unauthorized")
    # The same person on the website path is no snapshot user.
    assert wechat_json(userinfo(http, emu, token_for(http, emu, USER_SNAPSHOT)))["nickname"]


# -- WeChat as it really answers (the realistic defaults) --------------------------------


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_labels_as_wechat_sends_them(emu, http):
    token = token_for(http, emu)
    assert exchange(http, emu, "nope").headers["Content-Type"] == TEXT_PLAIN
    assert refresh(http, emu, token["refresh_token"]).headers["Content-Type"] == TEXT_PLAIN
    assert userinfo(http, emu, token).headers["Content-Type"] == TEXT_PLAIN
    assert userinfo(http, emu, token, openid="x").headers["Content-Type"] == TEXT_PLAIN
    check_answer = check(http, emu, token["access_token"], token["openid"])
    assert check_answer.headers["Content-Type"] == JSON_UTF8
    # What a client that trusts the label gets: ISO-8859-1 mojibake.
    garbled = userinfo(http, emu, token).json()["nickname"]
    assert garbled == "李雷".encode().decode("latin-1") != "李雷"


def test_errmsg_suffixes_vary_like_wechats(emu, http):
    seen = set()
    for _ in range(30):
        body = json.loads(check(http, emu, "bogus", "o").content)
        match = RID_RE.search(body["errmsg"])
        assert match and body["errmsg"][: match.start()] == "invalid access_token", body
        seen.add(match.group().split(":")[0])
    assert seen == {", rid", " rid", " hints"}


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_nickname_with_a_raw_control_character(emu, http):
    raw = userinfo(http, emu, token_for(http, emu, USER_CONTROL_CHAR)).content
    assert '"nickname":"小明\b"'.encode() in raw  # the byte 0x08 itself, not \\b
    with pytest.raises(ValueError):
        json.loads(raw.decode("utf-8"))  # strict JSON refuses it
    assert json.loads(raw.decode("utf-8"), strict=False)["nickname"] == "小明\b"


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_nickname_with_an_invalid_utf8_byte(emu, http):
    raw = userinfo(http, emu, token_for(http, emu, USER_BAD_BYTE)).content
    assert '"nickname":"李娜'.encode() + b'\xff"' in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert wechat_json_bytes(raw)["nickname"] == "李娜\ufffd"


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_avatars_http_on_wechats_image_host_and_none(emu, http):
    http_avatar = wechat_json(userinfo(http, emu, token_for(http, emu, USER_HTTP_AVATAR)))
    assert http_avatar["headimgurl"] == WECHAT_IMAGE_URL
    assert WECHAT_IMAGE_URL.startswith("http://thirdwx.qlogo.cn/mmopen/")
    assert WECHAT_IMAGE_URL.endswith("/132")
    none = wechat_json(userinfo(http, emu, token_for(http, emu, USER_NO_AVATAR)))
    assert none["headimgurl"] == ""


def test_transient_40001_once_per_token_and_sns_auth_accepts_it(emu, http):
    emu.world.userinfo_40001_one_in = 1  # every fresh token meets it
    token = token_for(http, emu)
    assert check(http, emu, token["access_token"], token["openid"]).json()["errcode"] == 0
    assert_errcode(
        userinfo(http, emu, token),
        40001,
        "invalid credential, access_token is invalid or not latest",
    )
    for _ in range(3):  # never twice for the same token
        assert wechat_json(userinfo(http, emu, token))["openid"] == token["openid"]
    # A refreshed token is not fresh from an exchange: no hiccup.
    emu.world.advance(7201)
    renewed = refresh(http, emu, token["refresh_token"]).json()
    assert wechat_json(userinfo(http, emu, renewed))["openid"] == token["openid"]


def _hiccups(world, tokens: int) -> list[bool]:
    """For each of ``tokens`` fresh tokens: whether its first userinfo call met 40001."""
    met = []
    for _ in range(tokens):
        code = world.issue_code(WEBSITE_APP_ID, USER_LILEI, "snsapi_login")
        token = world.exchange_code(WEBSITE_APP_ID, WEBSITE_APP_SECRET, code, "authorization_code")
        try:
            world.userinfo(token["access_token"], token["openid"], "http://127.0.0.1/")
            met.append(False)
        except EmulatorError as error:
            assert error.errcode == 40001
            met.append(True)
            world.userinfo(token["access_token"], token["openid"], "http://127.0.0.1/")
    return met


def test_transient_40001_is_seeded_and_met_regularly_by_default():
    assert USERINFO_40001_ONE_IN == 4
    first = _hiccups(World(seed="a test id"), 200)
    assert first == _hiccups(World(seed="a test id"), 200)  # the same every run
    assert first != _hiccups(World(seed="another test id"), 200)
    assert 25 <= sum(first) <= 75  # about one in four
    assert not any(_hiccups(World(seed="a test id", userinfo_40001_one_in=0), 50))
    world = World(seed="x")
    world.userinfo_40001_one_in = 0
    world.reset()  # reset brings the constructor's realism back
    assert world.userinfo_40001_one_in == USERINFO_40001_ONE_IN
    with pytest.raises(ValueError):
        World(userinfo_40001_one_in=-1)


def test_realism_control_api(emu, http):
    control = f"{emu.url}/_emulator"
    assert http.get(f"{control}/realism").json() == {"userinfo_40001_one_in": 4}
    answer = http.post(f"{control}/realism", json={"userinfo_40001_one_in": 0})
    assert answer.json() == {"userinfo_40001_one_in": 0}
    assert emu.world.userinfo_40001_one_in == 0
    for bad in (-1, 1.5, "2", None, True):
        response = http.post(f"{control}/realism", json={"userinfo_40001_one_in": bad})
        assert response.status_code == 400, bad
    assert http.post(f"{control}/reset", json={"seed": "s"}).json() == {"ok": True}
    assert emu.world.userinfo_40001_one_in == 4
    assert http.post(f"{control}/reset", json={"seed": [1]}).status_code == 400


def test_a_posted_refresh_is_answered_like_the_get_and_logged(emu, http):
    token = token_for(http, emu)
    emu.world.clear_requests()
    form = {"appid": WEBSITE_APP_ID, "grant_type": "refresh_token"}
    form["refresh_token"] = token["refresh_token"]
    response = http.post(f"{emu.url}/sns/oauth2/refresh_token", data=form)
    assert response.headers["Content-Type"] == TEXT_PLAIN
    assert response.json()["access_token"] == token["access_token"]
    (logged,) = emu.world.requests
    assert (logged["method"], logged["query"]) == ("POST", [])
    assert dict(logged["form"]) == form  # what the client put in the body, for tests


@pytest.mark.kind_wechat  # reads a first answer
def test_a_scripted_malformed_body(emu, http):
    add_fault(http, emu, path="/sns/oauth2/access_token", kind="body", body='{"errcode":"x"}')
    response = exchange(http, emu, qr_code(http, emu))
    assert response.content == b'{"errcode":"x"}'
    assert response.headers["Content-Type"] == TEXT_PLAIN


def test_non_get_methods_are_refused(emu, http):
    response = http.post(f"{emu.url}/sns/oauth2/access_token", data={"appid": WEBSITE_APP_ID})
    assert response.status_code == 405


# -- faults ------------------------------------------------------------------------------


def add_fault(http, emu, **fault):
    response = http.post(f"{emu.url}/_emulator/faults", json=fault)
    assert response.status_code == 201, response.text
    return response.json()["fault"]


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_fault_errcode_then_normal(emu, http):
    token = token_for(http, emu)
    add_fault(http, emu, path="/sns/userinfo", kind="errcode", errcode=-1)
    assert_errcode(userinfo(http, emu, token), -1, "system error")
    assert userinfo(http, emu, token).json()["openid"] == token["openid"]


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_fault_http_status_repeats_times(emu, http):
    token = token_for(http, emu)
    add_fault(http, emu, path="/sns/userinfo", kind="http_status", status=502, times=2)
    for _ in range(2):
        response = userinfo(http, emu, token)
        assert response.status_code == 502 and "<html>" in response.text
    assert userinfo(http, emu, token).status_code == 200


def test_fault_html_and_empty(emu, http):
    token = token_for(http, emu)
    add_fault(http, emu, path="/sns/auth", kind="html")
    response = check(http, emu, token["access_token"], token["openid"])
    assert response.status_code == 200 and response.text.startswith("<!doctype html>")
    add_fault(http, emu, path="/sns/oauth2/access_token", kind="empty")
    response = exchange(http, emu, qr_code(http, emu))
    assert response.status_code == 200 and response.content == b""
    assert response.headers["Content-Type"] == "text/plain"


def test_fault_truncated_body_still_consumes_the_code(emu, http):
    code = qr_code(http, emu)
    emu.world.add_fault("/sns/oauth2/access_token", "truncated")
    response = exchange(http, emu, code)
    assert response.status_code == 200
    assert response.content.startswith(b'{"access_token":"')
    with pytest.raises(ValueError):
        json.loads(response.content)
    # The server did the work before the body was cut: a retry finds the code used.
    assert_errcode(exchange(http, emu, code), 40163)


@pytest.mark.kind_wechat  # reads userinfo's first answer
def test_fault_delay(emu, http):
    token = token_for(http, emu)
    add_fault(http, emu, path="/sns/userinfo", kind="delay", seconds=0.3)
    started = time.monotonic()
    assert userinfo(http, emu, token).json()["openid"] == token["openid"]
    assert time.monotonic() - started >= 0.3
    emu.world.add_fault("/sns/userinfo", "delay", seconds=2)
    with pytest.raises(requests.Timeout):
        http.get(
            f"{emu.url}/sns/userinfo",
            params={"access_token": token["access_token"], "openid": token["openid"]},
            timeout=0.3,
        )


def test_fault_on_a_page_and_clearing(emu, http):
    add_fault(http, emu, path="/connect/qrconnect", kind="errcode", errcode=-1)
    response = http.get(f"{emu.url}/connect/qrconnect", params=qr_params())
    assert_error_page(response, "fault", -1, "system error")
    add_fault(http, emu, path="/sns/auth", kind="empty", times=3)
    assert http.get(f"{emu.url}/_emulator/faults").json()["faults"][0]["times"] == 3
    assert http.delete(f"{emu.url}/_emulator/faults").status_code == 200
    assert http.get(f"{emu.url}/_emulator/faults").json() == {"faults": []}
    assert_errcode(check(http, emu, "x", "y"), 40014)


@pytest.mark.parametrize(
    "fault",
    [
        {"path": "/sns/auth", "kind": "explode"},
        {"path": "sns/auth", "kind": "empty"},
        {"path": "/sns/auth", "kind": "empty", "times": 0},
        {"path": "/sns/auth", "kind": "http_status", "status": 1000},
        {"path": "/sns/auth", "kind": "errcode", "errcode": "forty"},
        {"kind": "empty"},
    ],
)
def test_fault_validation(emu, http, fault):
    response = http.post(f"{emu.url}/_emulator/faults", json=fault)
    assert response.status_code == 400 and "error" in response.json()


# -- request log, control API, connections -----------------------------------------------


def test_request_log_keeps_order_and_pairs(emu, http):
    http.post(f"{emu.url}/_emulator/requests/clear")
    url = (
        f"{emu.url}/sns/oauth2/access_token?grant_type=authorization_code&code=C"
        f"&appid={WEBSITE_APP_ID}&secret=S&code=D&empty="
    )
    http.get(url)
    http.get(f"{emu.url}/sns/auth?openid=o&access_token=t")
    http.get(f"{emu.url}/_emulator/faults")  # control calls are not logged
    http.get(f"{emu.url}/mmopen/{USER_LILEI}/132")  # nor avatars
    log = http.get(f"{emu.url}/_emulator/requests").json()["requests"]
    assert [(r["method"], r["path"]) for r in log] == [
        ("GET", "/sns/oauth2/access_token"),
        ("GET", "/sns/auth"),
    ]
    assert log[0]["query"] == [
        ["grant_type", "authorization_code"],
        ["code", "C"],
        ["appid", WEBSITE_APP_ID],
        ["secret", "S"],
        ["code", "D"],
        ["empty", ""],
    ]
    assert log[0]["time"] <= log[1]["time"]
    python_log = emu.world.requests
    assert python_log[1]["query"] == [("openid", "o"), ("access_token", "t")]
    python_log.clear()  # a copy: the world's log is untouched
    assert len(emu.world.requests) == 2
    emu.world.clear_requests()
    assert emu.world.requests == []


def test_request_log_keeps_what_wechat_answered(emu, http):
    # The load test counts expired tokens presented (42001) and refreshes from the log.
    token = token_for(http, emu)
    http.post(f"{emu.url}/_emulator/requests/clear")
    check(http, emu, token["access_token"], token["openid"])
    http.post(f"{emu.url}/_emulator/clock/advance", json={"seconds": 7200})
    params = {"access_token": token["access_token"], "openid": token["openid"]}
    http.get(f"{emu.url}/sns/userinfo", params=params)
    http.post(f"{emu.url}/_emulator/faults", json={"path": "/sns/auth", "kind": "html"})
    check(http, emu, token["access_token"], token["openid"])
    http.get(f"{emu.url}/connect/qrconnect", params={"appid": WEBSITE_APP_ID})
    log = http.get(f"{emu.url}/_emulator/requests").json()["requests"]
    assert [(r["path"], r["errcode"]) for r in log] == [
        ("/sns/auth", 0),
        ("/sns/userinfo", 42001),
        ("/sns/auth", None),  # not WeChat's JSON: no answer to read
        ("/connect/qrconnect", None),  # a page, not an API answer
    ]


def test_control_clock_reset_codes_users(emu, http):
    control = f"{emu.url}/_emulator"
    before = emu.world.now()
    now = http.post(f"{control}/clock/advance", json={"seconds": 3600}).json()["now"]
    assert now >= before + 3600
    assert http.post(f"{control}/clock/advance", json={"seconds": -1}).status_code == 400
    assert http.post(f"{control}/clock/advance", json={}).status_code == 400
    token = token_for(http, emu)
    assert http.post(f"{control}/reset").json() == {"ok": True}
    assert emu.world.now() < before + 60  # the offset is gone
    assert emu.world.requests == []
    assert_errcode(check(http, emu, token["access_token"], token["openid"]), 40014)
    users = http.get(f"{control}/users").json()["users"]
    lilei = next(u for u in users if u["key"] == USER_LILEI)
    assert lilei["openids"][MP_APP_ID] == make_openid(MP_APP_ID, USER_LILEI)
    assert lilei["unionids"][OPEN_ACCOUNT] == make_unionid(OPEN_ACCOUNT, USER_LILEI)
    assert next(u for u in users if u["key"] == USER_HANMEIMEI)["nickname"] == "Han Meimei 🐼"
    issued = http.post(
        f"{control}/codes", json={"appid": MP_APP_ID, "user": USER_SNAPSHOT, "scope": "snsapi_base"}
    )
    assert issued.status_code == 201 and issued.json()["scope"] == "snsapi_base"
    bad = http.post(f"{control}/codes", json={"appid": WEBSITE_APP_ID, "scope": "snsapi_base"})
    assert bad.status_code == 400


def test_connection_counter_shows_reuse():
    with EmulatorServer() as server:
        assert server.connections_opened == 0
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        with requests.Session() as session:
            for _ in range(5):
                response = session.get(f"{server.url}/sns/auth")
                assert response.headers["Connection"] == "keep-alive"
        assert server.connections_opened == 1
        for _ in range(3):
            response = requests.get(
                f"{server.url}/sns/auth", headers={"Connection": "close"}, timeout=5
            )
            assert response.headers["Connection"] == "close"
        assert server.connections_opened == 4
        assert len(server.world.requests) == 8
    assert not server.running


def test_server_stop_closes_kept_alive_connections():
    server = EmulatorServer().start()
    url = server.url
    with requests.Session() as session:
        assert session.get(f"{url}/sns/auth").status_code == 200
        server.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{url}/sns/auth", timeout=2)


def test_module_entry_point_prints_url_and_credentials():
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask_wechat.emulator", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        first = proc.stdout.readline()
        match = re.match(r"WeChat emulator running at (http://127\.0\.0\.1:\d+)/", first)
        assert match, first
        rest = "".join(proc.stdout.readline() for _ in range(4))
        assert "Emulator-only test credentials" in rest
        assert WEBSITE_APP_ID in rest and WEBSITE_APP_SECRET in rest and MP_APP_SECRET in rest
        assert requests.get(f"{match.group(1)}/sns/auth", timeout=5).json()["errcode"] == 41001
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


def test_callback_domains_of_the_world_survive_a_reset_and_added_ones_do_not():
    world = World(callback_domains=("127.0.0.1", "127.0.0.1:5000"))
    world.add_callback_domain("WWW.Example.com", appid=MP_APP_ID)
    assert world.get_app(MP_APP_ID).callback_domains[-1] == "www.example.com"
    assert "www.example.com" not in world.get_app(WEBSITE_APP_ID).callback_domains
    world.reset()
    assert world.get_app(MP_APP_ID).callback_domains == ("127.0.0.1", "127.0.0.1:5000")
    for bad in ("", "https://x.example/cb"):
        with pytest.raises(ValueError):
            world.add_callback_domain(bad)


def test_latency_with_jitter_set_at_run_time_delays_every_sns_call(wechat_emulator):
    import time

    import requests

    url = wechat_emulator.url
    refused = requests.post(f"{url}/_emulator/latency", json={"seconds": -1}, timeout=5)
    assert refused.status_code == 400
    answer = requests.post(
        f"{url}/_emulator/latency", json={"seconds": 0.15, "jitter": 0.05}, timeout=5
    )
    assert answer.json() == {"seconds": 0.15, "jitter": 0.05}
    waits = []
    for _ in range(4):
        started = time.perf_counter()
        requests.get(f"{url}/sns/auth", params={"access_token": "x", "openid": "y"}, timeout=5)
        waits.append(time.perf_counter() - started)
    assert all(0.15 <= wait < 1.0 for wait in waits), waits
    started = time.perf_counter()
    requests.get(f"{url}/_emulator/latency", timeout=5)  # the control API is never delayed
    assert time.perf_counter() - started < 0.15
    wechat_emulator.world.set_latency(0)
    started = time.perf_counter()
    requests.get(f"{url}/sns/auth", params={"access_token": "x", "openid": "y"}, timeout=5)
    assert time.perf_counter() - started < 0.15


def test_latency_is_set_at_start_too():
    from flask_wechat.emulator import World

    world = World(latency=0.08, jitter=0.02)
    delays = [world.next_delay() for _ in range(50)]
    assert all(0.08 <= delay <= 0.1 for delay in delays) and len(set(delays)) > 1
    with pytest.raises(ValueError):
        World(latency=float("nan"))
