"""WeChat's answers as they really come (docs/wechat-quirks.md), through whole sign-ins.

The emulator answers as WeChat does by default; each test here shows one quirk's
outcome over real HTTP: signed in, signed in after one retry, or the 502 page.
"""

from __future__ import annotations

import json
import logging

import pytest

from flask_wechat.client import WeChatClient
from flask_wechat.emulator import (
    USER_BAD_BYTE,
    USER_CONTROL_CHAR,
    USER_HANMEIMEI,
    USER_HTTP_AVATAR,
    USER_LILEI,
    USER_NO_AVATAR,
    WEBSITE_APP_ID,
    WEBSITE_APP_SECRET,
    WECHAT_IMAGE_URL,
)
from flask_wechat.errors import BadResponse

from .helpers import sign_in

TOKEN, REFRESH, AUTH, USERINFO = (
    "/sns/oauth2/access_token",
    "/sns/oauth2/refresh_token",
    "/sns/auth",
    "/sns/userinfo",
)
UNREADABLE = "WeChat sent an answer this site could not read"


def _api_calls(emulator):
    return [call for call in emulator.world.requests if call["path"].startswith("/sns/")]


def _paths(emulator):
    return [call["path"] for call in _api_calls(emulator)]


# -- people as WeChat sends them --------------------------------------------------------


@pytest.mark.parametrize(
    "user, nickname, avatar",
    [
        (USER_LILEI, "李雷", "emulator"),
        (USER_HANMEIMEI, "Han Meimei 🐼", "emulator"),
        # A raw backspace inside the JSON string: dropped from the nickname.
        (USER_CONTROL_CHAR, "小明", "emulator"),
        # A byte that is not UTF-8: U+FFFD in its place.
        (USER_BAD_BYTE, "李娜\ufffd", "emulator"),
        # http:// on WeChat's image host: the same picture over https.
        (USER_HTTP_AVATAR, "王芳", "https://" + WECHAT_IMAGE_URL.removeprefix("http://")),
        (USER_NO_AVATAR, "张伟", None),
    ],
)
def test_every_test_person_signs_in(app, client, wechat_emulator, user, nickname, avatar):
    response = sign_in(client, wechat_emulator, user=user)
    assert response.status_code == 302, response.data.decode()
    assert client.get("/").data.decode() == f"signed in as {nickname}"
    (signed_in,) = app.users.values()
    if avatar == "emulator":
        assert signed_in.avatar_url == f"{wechat_emulator.url}/mmopen/{user}/132"
    else:
        assert signed_in.avatar_url == avatar


def test_the_readme_example_decodes_wechats_text_plain_as_utf8(client, wechat_emulator):
    # wechat.session.get("/sns/userinfo").json(), as the README shows it.
    sign_in(client, wechat_emulator, user=USER_HANMEIMEI)
    assert client.get("/me/wechat").json["nickname"] == "Han Meimei 🐼"


@pytest.mark.parametrize(
    "user, nickname", [(USER_CONTROL_CHAR, "小明\b"), (USER_BAD_BYTE, "李娜\ufffd")]
)
def test_wechat_session_reads_raw_control_characters_and_invalid_bytes(
    client, wechat_emulator, user, nickname
):
    sign_in(client, wechat_emulator, user=user)
    # The session's .json() keeps what WeChat sent (decoded); the profile drops controls.
    assert client.get("/me/wechat").json["nickname"] == nickname


# -- the transient 40001 ----------------------------------------------------------------


def test_a_transient_40001_after_the_exchange_is_retried_once_with_the_same_token(
    client, wechat_emulator
):
    wechat_emulator.world.userinfo_40001_one_in = 1  # this sign-in meets it
    response = sign_in(client, wechat_emulator)
    assert response.status_code == 302
    assert client.get("/").data.decode() == "signed in as 李雷"
    token_call, first, second = _api_calls(wechat_emulator)
    assert [token_call["path"], first["path"], second["path"]] == [TOKEN, USERINFO, USERINFO]
    assert first["query"] == second["query"]  # the same token, no refresh


def test_the_default_emulator_meets_the_40001_and_every_sign_in_survives(make_app, wechat_emulator):
    app = make_app()
    retried = 0
    for number in range(12):
        client = app.test_client()
        wechat_emulator.world.clear_requests()
        assert sign_in(client, wechat_emulator).status_code == 302, number
        retried += _paths(wechat_emulator).count(USERINFO) - 1
    assert 1 <= retried < 12  # one fresh token in four, seeded with this test's id


@pytest.mark.kind_wechat  # scripts its own 40001s
def test_a_persistent_40001_asks_to_try_again_and_blames_no_secret(
    make_app, wechat_emulator, caplog
):
    client = make_app().test_client()
    wechat_emulator.world.add_fault(USERINFO, "errcode", errcode=40001, times=2)
    with caplog.at_level(logging.INFO, logger="flask_wechat"):
        response = sign_in(client, wechat_emulator)
    page = response.data.decode()
    assert response.status_code == 503
    assert "WeChat is busy" in page and "not set up correctly" not in page
    (line,) = [r for r in caplog.records if r.name == "flask_wechat"]
    assert line.levelno == logging.INFO and "secret" not in line.getMessage().lower()
    assert _paths(wechat_emulator) == [TOKEN, USERINFO, USERINFO]
    assert client.get("/").data == b"anonymous"


@pytest.mark.kind_wechat  # counts calls
def test_check_token_is_false_on_40001(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    wechat_emulator.world.add_fault(AUTH, "errcode", errcode=40001)
    assert client.get("/me/check").data == b"invalid"
    assert client.get("/me/check").data == b"valid"  # the next answer is WeChat's own


@pytest.mark.kind_wechat  # counts calls
def test_wechat_session_refreshes_and_retries_on_40001_like_42001(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    wechat_emulator.world.add_fault(USERINFO, "errcode", errcode=40001)
    wechat_emulator.world.clear_requests()
    assert client.get("/me/wechat").json["nickname"] == "李雷"
    assert _paths(wechat_emulator) == [USERINFO, REFRESH, USERINFO]


# -- malformed answers: the 502 page, never a 500 ----------------------------------------

_GOOD_TOKEN = {
    "access_token": "A" * 86,
    "expires_in": 7200,
    "refresh_token": "R" * 86,
    "openid": "o" * 28,
    "scope": "snsapi_login",
}

MALFORMED_TOKENS = {
    "errcode-not-a-number": {"errcode": "abc", "errmsg": "x"},
    "errcode-a-string": {"errcode": "40029", "errmsg": "invalid code"},
    "errcode-a-float": {"errcode": 1.5, "errmsg": "x"},
    "expires_in-not-a-number": {**_GOOD_TOKEN, "expires_in": "abc"},
    "expires_in-negative": {**_GOOD_TOKEN, "expires_in": -5},
    "scope-a-number": {**_GOOD_TOKEN, "scope": 5},
    "unknown-token_type": {**_GOOD_TOKEN, "token_type": "mac"},
    "rfc-style-error": {"error": "invalid_grant"},
    "rfc-style-error-with-token": {**_GOOD_TOKEN, "error": "invalid_grant"},
    "access_token-a-number": {**_GOOD_TOKEN, "access_token": 5},
    "openid-a-list": {**_GOOD_TOKEN, "openid": ["o"]},
    "unionid-an-object": {**_GOOD_TOKEN, "unionid": {"a": 1}},
    "refresh_token-null": {**_GOOD_TOKEN, "refresh_token": None},
    "a-list": [1, 2],
    "a-string": "ok",
}


@pytest.mark.parametrize("body", MALFORMED_TOKENS.values(), ids=MALFORMED_TOKENS)
def test_a_malformed_token_answer_is_the_502_page(make_app, wechat_emulator, caplog, body):
    client = make_app().test_client()
    wechat_emulator.world.add_fault(TOKEN, "body", body=json.dumps(body))
    with caplog.at_level(logging.INFO, logger="flask_wechat"):
        response = sign_in(client, wechat_emulator)
    assert response.status_code == 502, response.data.decode()[:300]
    assert UNREADABLE in response.data.decode()
    (line,) = [r for r in caplog.records if r.name == "flask_wechat"]
    assert "BadResponse" in line.getMessage()
    assert client.get("/").data == b"anonymous"


MALFORMED_USERINFO = {
    "nickname-a-number": {"openid": "o", "nickname": 5, "headimgurl": ""},
    "headimgurl-a-list": {"openid": "o", "nickname": "x", "headimgurl": ["x"]},
    "unionid-a-number": {"openid": "o", "nickname": "x", "unionid": 7},
    "openid-an-object": {"openid": {"a": 1}, "nickname": "x"},
    "errcode-null-and-nothing-else": {"errcode": None},
}


@pytest.mark.kind_wechat  # the scripted body is userinfo's first answer
@pytest.mark.parametrize("body", MALFORMED_USERINFO.values(), ids=MALFORMED_USERINFO)
def test_a_malformed_userinfo_answer_is_the_502_page(make_app, wechat_emulator, body):
    client = make_app().test_client()
    wechat_emulator.world.add_fault(USERINFO, "body", body=json.dumps(body), times=2)
    response = sign_in(client, wechat_emulator)
    assert response.status_code == 502, response.data.decode()[:300]
    assert UNREADABLE in response.data.decode()
    assert client.get("/").data == b"anonymous"


@pytest.mark.kind_wechat  # the scripted body is the refresh's first answer
@pytest.mark.parametrize(
    "body",
    [{**_GOOD_TOKEN, "expires_in": "abc"}, {"errcode": "x"}, {**_GOOD_TOKEN, "access_token": 1}],
    ids=["expires_in", "errcode", "access_token"],
)
def test_a_malformed_refresh_answer_is_a_bad_response(wechat_emulator, body):
    world = wechat_emulator.world
    client = WeChatClient(
        WEBSITE_APP_ID, WEBSITE_APP_SECRET, api_base_url=wechat_emulator.url, timeout=2
    )
    token = client.fetch_token(world.issue_code(WEBSITE_APP_ID, USER_LILEI, "snsapi_login"))
    world.add_fault(REFRESH, "body", body=json.dumps(body), times=2)
    with pytest.raises(BadResponse):
        client.refresh_token(token)


# -- avatar_url: https or None ------------------------------------------------------------

EMULATOR = "http://127.0.0.1:5051"


@pytest.mark.parametrize(
    "headimgurl, emulator, expected",
    [
        (
            "https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132",
            None,
            "https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132",
        ),
        (
            "http://thirdwx.qlogo.cn/mmopen/vi_32/abc/132",
            None,
            "https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132",
        ),
        ("http://wx.qlogo.cn/mmopen/abc/0", None, "https://wx.qlogo.cn/mmopen/abc/0"),
        ("HTTP://WX.QLOGO.CN/mmopen/abc/0", None, "https://wx.qlogo.cn/mmopen/abc/0"),
        ("https://cdn.example.com/a.png", None, "https://cdn.example.com/a.png"),
        ("http://cdn.example.com/a.png", None, None),  # mixed content, not WeChat's host
        ("http://qlogo.cn.evil.example/a", None, None),
        ("http://evilqlogo.cn/a", None, None),
        ("javascript:alert(1)", None, None),
        ("data:image/png;base64,AAAA", None, None),
        ("//thirdwx.qlogo.cn/mmopen/abc/132", None, None),  # relative
        ("/mmopen/abc/132", None, None),
        ("mmopen/abc/132", None, None),
        ("https://user:pass@thirdwx.qlogo.cn/a", None, None),
        ("https:///nohost", None, None),
        ("https://thirdwx.qlogo.cn/a b", None, None),
        ("https://thirdwx.qlogo.cn/a\nb", None, None),
        ("", None, None),
        (None, None, None),
        (f"{EMULATOR}/mmopen/lilei/132", EMULATOR, f"{EMULATOR}/mmopen/lilei/132"),
        (f"{EMULATOR}/mmopen/lilei/132", None, None),  # only while it is the WeChat
        ("http://127.0.0.1:9999/mmopen/lilei/132", EMULATOR, None),  # another port
    ],
)
def test_avatar_url_is_https_or_none(headimgurl, emulator, expected):
    from flask_wechat.profile import WeChatProfile

    userinfo = {"openid": "o", "nickname": "x", "headimgurl": headimgurl}
    profile = WeChatProfile.from_userinfo(userinfo, {"openid": "o"}, avatar_origin=emulator)
    assert profile.avatar_url == expected


def test_nickname_drops_control_characters_and_raw_keeps_them():
    from flask_wechat.profile import WeChatProfile

    raw = {"openid": "o", "nickname": "\x07小\x00明\b\u200d🐼\x7f"}
    profile = WeChatProfile.from_userinfo(raw, {"openid": "o"})
    assert profile.nickname == "小明\u200d🐼"
    assert profile.raw["nickname"] == raw["nickname"]
    assert WeChatProfile.from_userinfo({"nickname": "\b\b"}, {"openid": "o"}).nickname is None
