"""Nothing secret reaches a log line, a page, an exception or a repr, even at DEBUG."""

from __future__ import annotations

import logging
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from flask_wechat.emulator import MP_APP_SECRET, WEBSITE_APP_ID, WEBSITE_APP_SECRET
from flask_wechat.redact import redact

from .helpers import sign_in, start, stored_token


def test_debug_logs_of_a_whole_sign_in_hold_no_secret(client, wechat_emulator, caplog):
    callback = wechat_emulator.approve(start(client))
    code = parse_qs(urlsplit(callback).query)["code"][0]
    with caplog.at_level(logging.DEBUG):
        page = client.get(callback)
    token = stored_token(client)
    # The libraries did log the token URL and the token: redaction, not silence.
    assert "Request url was" in caplog.text and "Obtained token" in caplog.text
    for secret in (WEBSITE_APP_SECRET, code, token["access_token"], token["refresh_token"]):
        assert secret not in caplog.text
        assert secret not in page.data.decode()


def test_redact_covers_queries_dicts_and_json():
    text = (
        "GET /sns/oauth2/access_token?appid=wx1&secret=S3CRET&code=C0DE&grant_type=x "
        "{'client_secret': 'S3CRET', 'access_token': 'T0KEN'} "
        '{"refresh_token": "R3FRESH", "errcode": 40029}'
    )
    clean = redact(text)
    for secret in ("S3CRET", "C0DE", "T0KEN", "R3FRESH"):
        assert secret not in clean
    assert "appid=wx1" in clean and '"errcode": 40029' in clean and "grant_type=x" in clean


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _secrets_of(world) -> set[str]:
    state = world._state
    return (
        {WEBSITE_APP_SECRET, MP_APP_SECRET}
        | set(state.codes)
        | set(state.access_tokens)
        | set(state.refresh_tokens)
    )


# Each path a sign-in or an API call can take, as (config, faults, steps after sign-in).
PATHS = {
    "success": ({}, [], []),
    "wrong secret": ({}, [("/sns/oauth2/access_token", {"kind": "errcode", "errcode": 40125})], []),
    "userinfo busy, then retried": (
        {},
        [("/sns/userinfo", {"kind": "errcode", "errcode": -1})],
        [],
    ),
    "userinfo busy twice": (
        {},
        [("/sns/userinfo", {"kind": "errcode", "errcode": -1, "times": 2})],
        [],
    ),
    "timeout": (
        {"WECHAT_TIMEOUT": 0.2},
        [("/sns/oauth2/access_token", {"kind": "delay", "seconds": 0.6})],
        [],
    ),
    "refresh after expiry": ({}, [], ["expire", "/me/wechat"]),
    "refresh refused": (
        {},
        [],
        [
            "expire",
            ("/sns/oauth2/refresh_token", {"kind": "errcode", "errcode": 42002}),
            "/me/wechat",
        ],
    ),
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_no_secret_on_any_logger_at_debug(path, make_app, wechat_emulator, every_log_line):
    config, faults, after = PATHS[path]
    app = make_app(**config)
    client = app.test_client()
    for where, fault in faults:
        wechat_emulator.world.add_fault(where, **fault)
    sign_in(client, wechat_emulator)
    for step in after:
        if step == "expire":
            wechat_emulator.world.advance(7201)
        elif isinstance(step, tuple):
            wechat_emulator.world.add_fault(step[0], **step[1])
        else:
            client.get(step)
    assert every_log_line, "the libraries logged nothing at DEBUG: the test would prove nothing"
    text = "\n".join(every_log_line)
    for secret in _secrets_of(wechat_emulator.world):
        assert secret not in text


def test_no_secret_in_logs_when_wechat_cannot_be_reached(make_app, wechat_emulator, every_log_line):
    app = make_app()
    client = app.test_client()
    callback = wechat_emulator.approve(start(client))
    code = parse_qs(urlsplit(callback).query)["code"][0]
    # WeChat's API host goes away between the QR page and the callback.
    app.extensions["wechat"].clients["website"].api_base_url = f"http://127.0.0.1:{_closed_port()}"
    page = client.get(callback)
    assert page.status_code == 503
    text = "\n".join(every_log_line)
    assert "Retry" in text or "retry" in text.lower()  # urllib3 did log its retry
    for secret in (WEBSITE_APP_SECRET, code):
        assert secret not in text


def test_a_transport_failure_keeps_no_url_in_its_exception_chain(make_app, wechat_emulator):
    from flask_wechat.client import WeChatClient
    from flask_wechat.errors import UnavailableError

    client = WeChatClient(
        WEBSITE_APP_ID, WEBSITE_APP_SECRET, api_base_url=f"http://127.0.0.1:{_closed_port()}"
    )
    with pytest.raises(UnavailableError) as caught:
        client.fetch_token("C0DE")
    chain, error = [], caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert len(chain) == 1, chain  # nothing behind it, suppressed or not
    assert WEBSITE_APP_SECRET not in repr(chain) and "C0DE" not in repr(chain)
