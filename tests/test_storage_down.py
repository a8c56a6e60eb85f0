"""The token storage's server stops answering: a bilingual page, never a 500, never a token.

Real drivers against a real port nobody listens on (redis-py's ``ConnectionError``,
psycopg's ``OperationalError`` through SQLAlchemy), swapped in with ``wechat.storage``
after the sign-in where the storage must work first.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from flask_wechat.testing import sign_out

from .helpers import sign_in
from .servers import free_port
from .storage_workers import make_storage
from .test_revocation import _app, _copy

redis = pytest.importorskip("redis")
sqlalchemy = pytest.importorskip("sqlalchemy")


def _dead(kind: str) -> Any:
    """A storage whose server is not there (connections refused at once)."""
    port = free_port()
    if kind == "redis":
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from flask_wechat.redis import RedisStorage

        client = redis.Redis(
            host="127.0.0.1", port=port, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
        )
        return RedisStorage(client)
    from flask_wechat.sqla import SQLAlchemyStorage

    url = f"postgresql+psycopg://nobody@127.0.0.1:{port}/nothing?connect_timeout=2"
    return SQLAlchemyStorage(sqlalchemy.create_engine(url))


@pytest.fixture(params=["redis", "postgresql"])
def dead(request: Any) -> Any:
    return _dead(request.param)


def _real_app(wechat_emulator: Any, storage: Any, **config: Any) -> Flask:
    app = _app(wechat_emulator, storage, **config)
    app.config["TESTING"] = False  # errors are handled as in production, not raised to the test
    return app


def _secrets_absent(text: str, wechat_emulator: Any) -> None:
    assert wechat_emulator.config["WECHAT_APP_SECRET"] not in text
    assert "ACCESS_TOKEN" not in text.upper().replace("ACCESS_TOKEN=", "")  # no token field


def test_a_sign_in_whose_token_cannot_be_kept_gets_a_page_and_signs_nobody_in(
    wechat_emulator, dead, caplog
):
    app = _real_app(wechat_emulator, dead, WECHAT_REMEMBER=True)
    browser = app.test_client()
    with caplog.at_level(logging.DEBUG):
        english = sign_in(browser, wechat_emulator)
        chinese = sign_in(browser, wechat_emulator, next_url="/?lang=zh")
    assert english.status_code == 503
    page = english.get_data(as_text=True)
    assert "Please try again in a moment" in page and "Traceback" not in page
    assert browser.get("/").data == b"anon"  # not signed in behind the error page
    assert browser.get_cookie("remember_token") is None
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith("flask_wechat")
    ]
    assert errors, "no ERROR line for the operator"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    _secrets_absent(logged + page, wechat_emulator)
    assert chinese.status_code == 503


def test_the_unavailable_page_speaks_chinese(wechat_emulator, dead):
    app = _real_app(wechat_emulator, dead)
    browser = app.test_client()
    browser.get("/wechat/login?lang=zh-CN")
    page = sign_in(browser, wechat_emulator).get_data(as_text=True)
    assert "请稍后再试" in page


def test_sign_out_with_the_storage_down_signs_out_this_browser_and_says_what_is_left(
    wechat_emulator, redis_url, caplog
):
    app = _real_app(wechat_emulator, make_storage("redis", redis_url), WECHAT_REMEMBER=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    app.wechat.storage = _dead("redis")  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="flask_wechat"):
        response = sign_out(browser)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "You are signed out in this browser" in page
    assert browser.get("/").data == b"anon"
    assert browser.get_cookie("remember_token") is None
    assert any("sign-out" in r.getMessage() for r in caplog.records)


def test_the_apps_own_logout_user_with_the_storage_down_is_not_a_500(
    wechat_emulator, redis_url, caplog
):
    app = _real_app(wechat_emulator, make_storage("redis", redis_url), WECHAT_REMEMBER=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    app.wechat.storage = _dead("redis")  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="flask_wechat"):
        response = browser.post("/own-logout")
    assert response.status_code == 200 and response.data == b"out"
    assert browser.get("/").data == b"anon"
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_a_remembered_person_with_the_storage_down_is_signed_out_not_failed(
    wechat_emulator, redis_url
):
    app = _real_app(wechat_emulator, make_storage("redis", redis_url), WECHAT_REMEMBER=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    remembered = _copy(app, browser, "remember_token")
    app.wechat.storage = _dead("redis")  # type: ignore[attr-defined]
    assert remembered.get("/").data == b"anon"


def test_a_token_that_cannot_be_saved_ends_the_sign_in_on_the_page(wechat_emulator, dead, caplog):
    # The replay memory lives elsewhere and answers; only the token storage is down.
    from flask_wechat.replay import ProcessMemory

    app = _real_app(wechat_emulator, dead, memory=ProcessMemory(), WECHAT_REMEMBER=True)
    browser = app.test_client()
    with caplog.at_level(logging.ERROR, logger="flask_wechat"):
        response = sign_in(browser, wechat_emulator)
    assert response.status_code == 503
    assert "Please try again in a moment" in response.get_data(as_text=True)
    assert browser.get("/").data == b"anon"
    assert browser.get_cookie("remember_token") is None
    assert any("did not answer at sign-in" in r.getMessage() for r in caplog.records)


def test_connect_and_disconnect_with_the_storage_down_give_the_page_not_a_500(wechat_emulator):
    from .test_accounts import build, connect, disconnect_field

    app = build(wechat_emulator)
    app.config["TESTING"] = False
    client = app.test_client()
    client.post("/password-login/alice")
    app.wechat.storage = _dead("redis")  # type: ignore[attr-defined]
    connected = connect(client, wechat_emulator)
    assert connected.status_code == 503
    assert "Please try again in a moment" in connected.get_data(as_text=True)
    assert client.get("/").data == b"signed in as alice"  # the person stays signed in
    disconnected = client.post("/wechat/disconnect", data=disconnect_field(client))
    assert disconnected.status_code == 503
    assert "Traceback" not in disconnected.get_data(as_text=True)
