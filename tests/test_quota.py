"""The quota guard: after WeChat says stop, sign-ins wait for the next minute.

WeChat answers 45011 when the app's per-minute quota is spent, -1 when busy.
After 45011, or three -1 in a row, new sign-ins get the "WeChat is busy" page
(503, Retry-After) without calling WeChat, until the next minute.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from .helpers import sign_in, start
from .storage_workers import make_storage

TOKEN = "/sns/oauth2/access_token"
BUSY = "WeChat is busy"


class Clock:
    """The guard's clock, ten seconds into a minute, moved by the test."""

    def __init__(self) -> None:
        self.now = math.floor(time.time() / 60) * 60 + 10.0

    def __call__(self) -> float:
        return self.now


def guarded(app: Any, clock: Clock | None = None) -> Clock:
    """Put the guard and its memory on a clock the test moves."""
    clock = clock or Clock()
    state = app.extensions["wechat"]
    state.quota.clock = clock
    state.memory().clock = clock
    return clock


def exchanges(emulator: Any) -> int:
    return sum(call["path"] == TOKEN for call in emulator.world.requests)


def test_after_45011_new_sign_ins_that_minute_make_no_call(make_app, wechat_emulator):
    app = make_app()
    clock = guarded(app)
    early = app.test_client()
    started_before = wechat_emulator.approve(start(early))  # pressed before the quota ran out
    wechat_emulator.world.add_fault(TOKEN, "errcode", errcode=45011)
    assert sign_in(app.test_client(), wechat_emulator).status_code == 503
    wechat_emulator.world.clear_requests()

    for _ in range(5):
        page = app.test_client().get("/wechat/authorize")
        assert page.status_code == 503
        assert BUSY in page.get_data(as_text=True)
        assert page.headers["Retry-After"] == "50"  # the minute's 50 seconds left
    finished_later = early.get(started_before)
    assert finished_later.status_code == 503 and BUSY in finished_later.get_data(as_text=True)
    assert exchanges(wechat_emulator) == 0

    clock.now += 50  # the next minute
    assert sign_in(app.test_client(), wechat_emulator).status_code == 302
    assert exchanges(wechat_emulator) == 1


def test_three_busy_answers_in_a_row_pause_sign_ins(make_app, wechat_emulator):
    app = make_app()
    guarded(app)
    wechat_emulator.world.add_fault(TOKEN, "errcode", errcode=-1, times=3)
    for _ in range(3):
        assert sign_in(app.test_client(), wechat_emulator).status_code == 503
    wechat_emulator.world.clear_requests()
    page = app.test_client().get("/wechat/authorize")
    assert page.status_code == 503 and BUSY in page.get_data(as_text=True)
    assert exchanges(wechat_emulator) == 0


def test_a_success_between_busy_answers_ends_the_run(make_app, wechat_emulator):
    app = make_app()
    guarded(app)
    for answers in (2, 1):
        wechat_emulator.world.add_fault(TOKEN, "errcode", errcode=-1, times=answers)
        for _ in range(answers):
            assert sign_in(app.test_client(), wechat_emulator).status_code == 503
        assert sign_in(app.test_client(), wechat_emulator).status_code == 302


@pytest.mark.parametrize("kind", ["postgresql", "redis"])
def test_with_shared_storage_the_pause_holds_for_every_worker(
    make_app, wechat_emulator, request, kind
):
    url = request.getfixturevalue("redis_url" if kind == "redis" else "postgresql_url")
    storage = make_storage(kind, url)
    first, second, clock = make_app(), make_app(), Clock()
    for app in (first, second):
        app.extensions["wechat"].extension.storage = storage
        guarded(app, clock)
    wechat_emulator.world.add_fault(TOKEN, "errcode", errcode=45011)
    assert sign_in(first.test_client(), wechat_emulator).status_code == 503
    page = second.test_client().get("/wechat/authorize")
    assert page.status_code == 503 and BUSY in page.get_data(as_text=True)
