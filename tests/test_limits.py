"""Rate limits with Flask-Limiter: a flood from one address never reaches WeChat.

``/authorize`` is limited per client address (60 a minute by default),
``/callback`` per browser session (10 a minute); a limited request gets the
bilingual 429 page with Retry-After; another address still signs in; the
counters live in the Limiter's storage (Redis: shared by workers); when that
storage is down, sign-in keeps working.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from flask_wechat.errors import SettingsError

from .helpers import state_of
from .servers import free_port

TOKEN = "/sns/oauth2/access_token"


def from_address(app: Any, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_flood_from_one_address_is_limited_while_another_signs_in(make_app, wechat_emulator):
    app = make_app()
    # Set up after WeChat: found all the same.
    Limiter(get_remote_address, app=app, storage_uri="memory://")
    flood = from_address(app, "203.0.113.7")
    statuses = [flood.get("/wechat/authorize").status_code for _ in range(61)]
    assert statuses == [302] * 60 + [429]
    page = flood.get("/wechat/authorize", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 429
    assert "尝试次数过多" in page.get_data(as_text=True)
    assert 0 < int(page.headers["Retry-After"]) <= 60
    english = flood.get("/wechat/authorize?lang=en")
    assert "Too many attempts" in english.get_data(as_text=True)

    person = from_address(app, "198.51.100.20")
    to_wechat = person.get("/wechat/authorize").location
    assert person.get(wechat_emulator.approve(to_wechat)).status_code == 302
    assert person.get("/").data.decode() == "signed in as 李雷"


def test_a_cookie_replayed_at_the_callback_is_limited_per_session(make_app, wechat_emulator):
    app = make_app()
    Limiter(get_remote_address, app=app, storage_uri="memory://")
    browser = app.test_client()
    state = state_of(browser.get("/wechat/authorize").location)
    cookie = browser.get_cookie("session").value
    statuses = []
    for address in range(12):  # from many addresses: the session is what counts
        copy = from_address(app, f"192.0.2.{address}")
        copy.set_cookie("session", cookie)
        statuses.append(copy.get(f"/wechat/callback?state={state}&code=x").status_code)
    assert statuses[10:] == [429, 429]
    assert 429 not in statuses[:10]


def test_a_limiter_given_to_the_extension_is_set_up_and_used(wechat_emulator, monkeypatch):
    from flask import Flask
    from flask_login import LoginManager

    from flask_wechat import WeChat

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="test",
        WECHAT_RATE_LIMIT_AUTHORIZE="2 per minute",
        **wechat_emulator.config,
    )
    LoginManager(app).user_loader(lambda user_id: None)
    WeChat(app, limiter=Limiter(get_remote_address, storage_uri="memory://"))
    client = app.test_client()
    assert [client.get("/wechat/authorize").status_code for _ in range(3)] == [302, 302, 429]


def test_workers_sharing_the_limiters_redis_share_the_count(make_app, wechat_emulator, redis_url):
    workers = [make_app(WECHAT_RATE_LIMIT_AUTHORIZE="3 per minute") for _ in range(2)]
    for app in workers:
        Limiter(get_remote_address, app=app, storage_uri=redis_url)
    first, second = (from_address(app, "203.0.113.9") for app in workers)
    statuses = [client.get("/wechat/authorize").status_code for client in (first, second) * 2]
    assert statuses == [302, 302, 302, 429]


def test_when_the_limiters_storage_is_down_sign_in_keeps_working(make_app, wechat_emulator, caplog):
    app = make_app()
    Limiter(get_remote_address, app=app, storage_uri=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask_wechat"):
        to_wechat = client.get("/wechat/authorize").location
        assert client.get(wechat_emulator.approve(to_wechat)).status_code == 302
    assert client.get("/").data.decode() == "signed in as 李雷"
    assert any("rate limit not checked" in record.getMessage() for record in caplog.records)


def test_without_flask_limiter_set_up_nothing_is_limited(make_app, wechat_emulator):
    client = make_app().test_client()
    assert {client.get("/wechat/authorize").status_code for _ in range(100)} == {302}


@pytest.mark.parametrize("bad", ["lots", 12])
def test_a_bad_limit_is_refused_at_init_app(make_app, bad):
    with pytest.raises(SettingsError, match="WECHAT_RATE_LIMIT_CALLBACK"):
        make_app(WECHAT_RATE_LIMIT_CALLBACK=bad)
