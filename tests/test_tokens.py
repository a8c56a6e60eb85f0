"""After sign-in: the token, its refresh through wechat.session, sns/auth, SQL storage."""

from __future__ import annotations

import sqlite3

import pytest

from flask_wechat.emulator import WEBSITE_APP_ID
from flask_wechat.testing import sign_out

from .helpers import sign_in, stored_token

DAY = 24 * 3600


_stored = stored_token


def test_api_call_with_a_fresh_token(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    assert client.get("/me/wechat").json["nickname"] == "李雷"


def test_expired_token_is_refreshed_and_the_new_one_stored(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    before = _stored(client)
    wechat_emulator.world.advance(7201)  # WeChat's clock: the access token is dead
    wechat_emulator.world.clear_requests()
    assert client.get("/me/wechat").json["nickname"] == "李雷"
    paths = [call["path"] for call in wechat_emulator.world.requests]
    assert paths == ["/sns/userinfo", "/sns/oauth2/refresh_token", "/sns/userinfo"]
    refresh = dict(wechat_emulator.world.requests[1]["query"])
    assert refresh == {
        "appid": WEBSITE_APP_ID,
        "grant_type": "refresh_token",
        "refresh_token": before["refresh_token"],
    }  # no secret
    after = _stored(client)
    assert after["access_token"] != before["access_token"]
    assert after["unionid"] == before["unionid"]  # kept though WeChat does not repeat it


def test_token_known_to_be_expired_is_refreshed_before_the_call(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    with client.session_transaction() as stored:
        kept = stored["_wechat_token"]
        stored["_wechat_token"] = {**kept, "token": {**kept["token"], "expires_at": 1}}
    wechat_emulator.world.clear_requests()
    assert client.get("/me/wechat").status_code == 200
    paths = [call["path"] for call in wechat_emulator.world.requests]
    assert paths == ["/sns/oauth2/refresh_token", "/sns/userinfo"]
    assert _stored(client)["expires_at"] > 1


def test_expired_refresh_token_asks_to_sign_in_again(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    wechat_emulator.world.advance(31 * DAY)
    response = client.get("/me/wechat")
    assert (response.status_code, response.data) == (401, b"sign in again")


def test_sns_auth_checks_the_token(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    assert client.get("/me/check").data == b"valid"
    assert wechat_emulator.world.requests[-1]["path"] == "/sns/auth"
    wechat_emulator.world.advance(7201)
    assert client.get("/me/check").data == b"invalid"


def test_sql_storage_keeps_tokens_per_user_in_a_real_sqlite_file(
    make_app, wechat_emulator, tmp_path
):
    pytest.importorskip("sqlalchemy")
    from sqlalchemy import create_engine

    from flask_wechat.sqla import SQLAlchemyStorage

    database = tmp_path / "tokens.sqlite3"
    app = make_app()
    wechat = app.extensions["wechat"]
    storage = SQLAlchemyStorage(create_engine(f"sqlite:///{database}"))
    storage.create_table()
    wechat.storage = storage
    first, second = app.test_client(), app.test_client()
    sign_in(first, wechat_emulator, user="lilei")
    sign_in(second, wechat_emulator, user="hanmeimei")
    with first.session_transaction() as stored:
        assert "_wechat_token" not in stored  # not in the cookie any more

    def rows():
        with sqlite3.connect(database) as db:
            return dict(db.execute("SELECT user_id, token FROM wechat_tokens").fetchall())

    world = wechat_emulator.world
    lilei, hanmeimei = (
        world.unionid(WEBSITE_APP_ID, "lilei"),
        world.unionid(WEBSITE_APP_ID, "hanmeimei"),
    )
    assert set(rows()) == {lilei, hanmeimei}
    old = rows()[lilei]
    world.advance(7201)
    assert first.get("/me/wechat").json["nickname"] == "李雷"  # refreshed...
    assert rows()[lilei] != old  # ...and saved to the table
    sign_out(first)
    assert set(rows()) == {hanmeimei}
