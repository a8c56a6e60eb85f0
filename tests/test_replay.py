"""Replays never reach WeChat: a state is used once, whatever cookie comes back.

Taking a state removes it from the session cookie, but the browser (or anyone
who copied the cookie) can send the old cookie again with the same state and
a new code. The replay memory refuses such a callback before WeChat is asked.
"""

from __future__ import annotations

from typing import Any

import pytest

from flask_wechat.emulator import WEBSITE_APP_ID
from flask_wechat.errors import StateError
from flask_wechat.pages import presentation_for

from .helpers import start, state_of
from .storage_workers import make_storage

TOKEN = "/sns/oauth2/access_token"
REFUSED = presentation_for(StateError()).title  # the page of a state that cannot be used


def exchanges(emulator: Any) -> int:
    return sum(call["path"] == TOKEN for call in emulator.world.requests)


def begin(client: Any) -> tuple[str, str, str]:
    """Press the button: (WeChat's URL, the state, the cookie as it is now)."""
    to_wechat = start(client)
    return to_wechat, state_of(to_wechat), client.get_cookie("session").value


def replay(client: Any, emulator: Any, state: str, cookie: str) -> Any:
    """A copy of the old cookie, the same state, a new genuine code: from a new browser."""
    copy = client.application.test_client()
    copy.set_cookie("session", cookie)
    code = emulator.world.issue_code(WEBSITE_APP_ID, "hanmeimei", "snsapi_login")
    return copy.get("/wechat/callback", query_string={"state": state, "code": code})


def test_a_used_state_replayed_with_its_old_cookie_never_reaches_wechat_again(
    client, wechat_emulator
):
    to_wechat, state, cookie = begin(client)
    assert client.get(wechat_emulator.approve(to_wechat)).status_code == 302
    wechat_emulator.world.clear_requests()
    for _ in range(100):
        response = replay(client, wechat_emulator, state, cookie)
        assert response.status_code == 400
        assert REFUSED in response.get_data(as_text=True).replace("&rsquo;", "’")
    assert exchanges(wechat_emulator) == 0


def test_a_failed_sign_ins_state_is_used_up_too(client, wechat_emulator):
    to_wechat, state, cookie = begin(client)
    wechat_emulator.world.add_fault(TOKEN, "errcode", errcode=40029)
    assert client.get(wechat_emulator.approve(to_wechat)).status_code == 400
    wechat_emulator.world.clear_requests()
    assert replay(client, wechat_emulator, state, cookie).status_code == 400
    assert exchanges(wechat_emulator) == 0


def test_a_declined_sign_ins_state_is_used_up_too(client, wechat_emulator):
    to_wechat, state, cookie = begin(client)
    declined = client.get(wechat_emulator.approve(to_wechat, action="deny"))
    assert declined.status_code == 200  # the "you declined" page
    assert replay(client, wechat_emulator, state, cookie).status_code == 400
    assert exchanges(wechat_emulator) == 0


@pytest.fixture(params=["postgresql", "redis"])
def shared(request: Any) -> tuple[str, str]:
    fixture = "redis_url" if request.param == "redis" else "postgresql_url"
    return request.param, request.getfixturevalue(fixture)


def two_workers(make_app: Any, storage: Any = None) -> tuple[Any, Any]:
    """Two web workers of one site (one secret key), each with its own extension."""
    first, second = make_app(), make_app()
    if storage is not None:
        first.extensions["wechat"].extension.storage = storage
        second.extensions["wechat"].extension.storage = storage
    return first.test_client(), second.test_client()


def test_with_shared_storage_every_worker_refuses_a_replay(make_app, wechat_emulator, shared):
    one, other = two_workers(make_app, make_storage(*shared))
    to_wechat, state, cookie = begin(one)
    assert one.get(wechat_emulator.approve(to_wechat)).status_code == 302
    wechat_emulator.world.clear_requests()
    assert replay(other, wechat_emulator, state, cookie).status_code == 400
    assert exchanges(wechat_emulator) == 0


def test_control_process_memory_protects_one_worker_only(make_app, wechat_emulator):
    # The default, as documented: another worker process has its own memory.
    one, other = two_workers(make_app)
    to_wechat, state, cookie = begin(one)
    assert one.get(wechat_emulator.approve(to_wechat)).status_code == 302
    wechat_emulator.world.clear_requests()
    assert replay(other, wechat_emulator, state, cookie).status_code == 302
    assert exchanges(wechat_emulator) == 1
