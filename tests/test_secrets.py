"""Nothing secret reaches a log line, a page, an exception or a repr, even at DEBUG."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from flask_wechat.emulator import WEBSITE_APP_SECRET
from flask_wechat.redact import redact

from .helpers import start, stored_token


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
