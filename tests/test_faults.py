"""The fault matrix: each way WeChat can fail, driven through a whole sign-in.

Each fault is produced by the emulator over real HTTP. Every one must end in
the right status, a page in the person's language, one log line naming the
error (with a hint for the site owner where the site's setup is at fault),
and nobody signed in.
"""

from __future__ import annotations

import logging
import re

import pytest

from .helpers import sign_in

TOKEN, USERINFO = "/sns/oauth2/access_token", "/sns/userinfo"
BUSY = ("WeChat is busy", "微信繁忙")
EXPIRED = ("This sign-in link has expired", "此登录链接已过期")
UNUSABLE = ("This sign-in link can’t be used", "此登录链接无法使用")
MISCONFIGURED = ("WeChat sign-in is unavailable", "微信登录暂不可用")
UNREADABLE = ("WeChat is not responding", "微信没有响应")
SIGN_IN_AGAIN = ("Please sign in again", "请重新登录")

# (path, fault, status, error class, titles, hint in the log line or None)
MATRIX = [
    (TOKEN, {"kind": "errcode", "errcode": -1}, 503, "SystemBusy", BUSY, None),
    (TOKEN, {"kind": "errcode", "errcode": 45011}, 503, "RateLimited", BUSY, "quota"),
    (TOKEN, {"kind": "errcode", "errcode": 40164}, 503, "IPNotWhitelisted", MISCONFIGURED, "IP"),
    (TOKEN, {"kind": "errcode", "errcode": 40125}, 503, "InvalidSecret", MISCONFIGURED, "secret"),
    (TOKEN, {"kind": "errcode", "errcode": 40013}, 503, "InvalidAppID", MISCONFIGURED, "app id"),
    (
        TOKEN,
        {"kind": "errcode", "errcode": 40001},
        503,
        "InvalidCredentials",
        MISCONFIGURED,
        "secret",
    ),
    (TOKEN, {"kind": "errcode", "errcode": 40002}, 503, "InvalidRequest", MISCONFIGURED, "report"),
    (TOKEN, {"kind": "errcode", "errcode": 40029}, 400, "InvalidCode", UNUSABLE, None),
    (TOKEN, {"kind": "errcode", "errcode": 40163}, 400, "CodeUsed", UNUSABLE, None),
    (TOKEN, {"kind": "errcode", "errcode": 42003}, 400, "CodeExpired", EXPIRED, None),
    (TOKEN, {"kind": "errcode", "errcode": 41008}, 400, "InvalidCode", UNUSABLE, None),
    (TOKEN, {"kind": "http_status", "status": 502}, 502, "BadResponse", UNREADABLE, None),
    (TOKEN, {"kind": "html"}, 502, "BadResponse", UNREADABLE, None),
    (TOKEN, {"kind": "truncated"}, 502, "BadResponse", UNREADABLE, None),
    (TOKEN, {"kind": "empty"}, 502, "BadResponse", UNREADABLE, None),
    (TOKEN, {"kind": "delay", "seconds": 1.0}, 503, "UnavailableError", UNREADABLE, None),
    (USERINFO, {"kind": "errcode", "errcode": -1, "times": 2}, 503, "SystemBusy", BUSY, None),
    (USERINFO, {"kind": "errcode", "errcode": 45011}, 503, "RateLimited", BUSY, "quota"),
    (
        USERINFO,
        {"kind": "errcode", "errcode": 40003},
        401,
        "InvalidAccessToken",
        SIGN_IN_AGAIN,
        None,
    ),
    (
        USERINFO,
        {"kind": "errcode", "errcode": 40014},
        401,
        "InvalidAccessToken",
        SIGN_IN_AGAIN,
        None,
    ),
    (
        USERINFO,
        {"kind": "errcode", "errcode": 42001},
        401,
        "AccessTokenExpired",
        SIGN_IN_AGAIN,
        None,
    ),
    (
        USERINFO,
        {"kind": "errcode", "errcode": 48001},
        503,
        "ScopeNotAuthorized",
        MISCONFIGURED,
        "scope",
    ),
    (
        USERINFO,
        {"kind": "http_status", "status": 500, "times": 2},
        502,
        "BadResponse",
        UNREADABLE,
        None,
    ),
    (USERINFO, {"kind": "html", "times": 2}, 502, "BadResponse", UNREADABLE, None),
    (USERINFO, {"kind": "truncated", "times": 2}, 502, "BadResponse", UNREADABLE, None),
    (
        USERINFO,
        {"kind": "delay", "seconds": 1.0, "times": 2},
        503,
        "UnavailableError",
        UNREADABLE,
        None,
    ),
]


@pytest.mark.parametrize("lang", [0, 1], ids=["en", "zh"])
@pytest.mark.parametrize(
    "path, fault, status, error, titles, hint",
    MATRIX,
    ids=[
        f"{path.rsplit('/', 1)[1]}-{f['kind']}-{f.get('errcode', f.get('status', ''))}"
        for path, f, *_ in MATRIX
    ],
)
def test_fault(make_app, wechat_emulator, caplog, lang, path, fault, status, error, titles, hint):
    client = make_app(WECHAT_TIMEOUT=0.3).test_client()
    client.get("/wechat/login", query_string={"lang": ["en", "zh"][lang]})
    wechat_emulator.world.add_fault(path, **fault)
    with caplog.at_level(logging.INFO, logger="flask_wechat"):
        response = sign_in(client, wechat_emulator)
    page = response.data.decode()
    assert response.status_code == status
    assert titles[lang] in page
    assert titles[1 - lang] not in page
    (line,) = [r for r in caplog.records if r.name == "flask_wechat"]
    assert error in line.getMessage()
    # The person gets a reference to quote; the log line holds it beside WeChat's code.
    reference = re.search(r"\[ref ([0-9A-Z]{4}-[0-9A-Z]{4})\]", line.getMessage()).group(1)
    assert reference in page
    if "errcode" in fault:
        assert f"errcode {fault['errcode']}" in line.getMessage()
        assert fault["errcode"] < 0 or str(fault["errcode"]) not in page
    if hint:
        assert line.levelno == logging.ERROR and hint in line.getMessage()
    assert client.get("/").data == b"anonymous"
    with client.session_transaction() as stored:
        assert "_user_id" not in stored and "_wechat_token" not in stored


def test_a_busy_userinfo_is_retried_once_and_the_sign_in_succeeds(client, wechat_emulator):
    wechat_emulator.world.add_fault(USERINFO, "errcode", errcode=-1, times=1)
    response = sign_in(client, wechat_emulator)
    assert response.status_code == 302
    assert client.get("/").data.decode() == "signed in as 李雷"
    calls = [call["path"] for call in wechat_emulator.world.requests]
    assert calls.count(USERINFO) == 2


@pytest.mark.parametrize("kind", ["truncated", "delay"])
def test_a_code_exchange_is_never_retried(make_app, wechat_emulator, kind):
    # The emulator used the code up before the answer went wrong; a retry
    # would only earn 40163 and hide what happened.
    client = make_app(WECHAT_TIMEOUT=0.3).test_client()
    wechat_emulator.world.add_fault(TOKEN, kind, seconds=1.0)
    assert sign_in(client, wechat_emulator).status_code in (502, 503)
    calls = [call["path"] for call in wechat_emulator.world.requests]
    assert calls.count(TOKEN) == 1 and USERINFO not in calls


def test_every_documented_errcode_has_its_own_typed_error_and_translations():
    from flask_wechat.errors import ERRCODES, WeChatError
    from flask_wechat.i18n import translations
    from flask_wechat.pages import presentation_for

    chinese = translations("zh_Hans")
    for errcode, error in ERRCODES.items():
        assert issubclass(error, WeChatError) and error is not WeChatError, errcode
        shown = presentation_for(error())
        for message in (shown.title, shown.reason):
            assert chinese.gettext(message) != message, (errcode, message)
