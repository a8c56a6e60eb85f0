"""One refresh per expiry: concurrent requests of one person share one new token.

The person's access token has expired (by the site's clock, or only by
WeChat's: then WeChat answers 42001). Ten requests of that person call
WeChat's API at the same moment, from threads of one worker or from separate
worker processes with their own connections. The emulator counts the calls
to ``/sns/oauth2/refresh_token``: exactly one, and every request uses the
token it returned.
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest

from .helpers import sign_in
from .storage_workers import api_worker, call_as, make_storage

REQUESTS = 10
REFRESH = "/sns/oauth2/refresh_token"


@pytest.fixture(params=["postgresql", "redis", "sqlite"])
def shared(request: Any, tmp_path: Any) -> tuple[str, str]:
    """(kind, url) of a store several workers share."""
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'tokens.sqlite3'}"
    if request.param == "redis":
        return "redis", request.getfixturevalue("redis_url")
    return "postgresql", request.getfixturevalue("postgresql_url")


def _signed_in(make_app: Any, emulator: Any, storage: Any, expired_here: bool) -> tuple[Any, str]:
    """An app using ``storage``, and the id of a person whose token has just expired."""
    app = make_app()
    wechat = app.extensions["wechat"].extension
    wechat.storage = storage
    client = app.test_client()
    assert sign_in(client, emulator).status_code == 302
    (user_id,) = app.users
    emulator.world.advance(7201)  # dead on WeChat's side
    if expired_here:  # and known to be dead here (else WeChat's 42001 says so)
        with app.app_context():
            person = app.users[user_id]
            storage.save(person, {**storage.load(person), "expires_at": 1})
    emulator.world.clear_requests()
    return app, user_id


def _stored_access_token(app: Any, storage: Any, user_id: str) -> str:
    with app.app_context():
        return storage.load(app.users[user_id])["access_token"]


@pytest.mark.parametrize("expiry", ["clock", "42001"])
def test_threads_of_one_worker_refresh_once(make_app, wechat_emulator, shared, expiry):
    kind, url = shared
    storage = make_storage(kind, url)
    app, user_id = _signed_in(make_app, wechat_emulator, storage, expiry == "clock")
    barrier = threading.Barrier(REQUESTS)
    results: list[Any] = []

    def request() -> None:
        barrier.wait()
        try:
            results.append(call_as(app, user_id))
        except Exception as error:  # reported below with the others
            results.append((f"{type(error).__name__}: {error}", None))

    threads = [threading.Thread(target=request) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    paths = [call["path"] for call in wechat_emulator.world.requests]
    assert paths.count(REFRESH) == 1, paths
    new_token = _stored_access_token(app, storage, user_id)
    assert results == [("李雷", new_token)] * REQUESTS


def test_separate_worker_processes_refresh_once(make_app, wechat_emulator, shared):
    kind, url = shared
    storage = make_storage(kind, url)
    app, user_id = _signed_in(make_app, wechat_emulator, storage, expired_here=True)
    spawn = multiprocessing.get_context("spawn")
    workers = 4
    barrier, results = spawn.Barrier(workers), spawn.Queue()
    processes = [
        spawn.Process(
            target=api_worker,
            args=(kind, url, wechat_emulator.config, user_id, barrier, results),
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    paths = [call["path"] for call in wechat_emulator.world.requests]
    assert paths.count(REFRESH) == 1, paths
    new_token = _stored_access_token(app, storage, user_id)
    assert answers == [("李雷", new_token)] * workers


class WithoutLock:
    """The same storage with its refresh lock hidden: the control."""

    def __init__(self, storage: Any) -> None:
        self.load, self.save, self.delete = storage.load, storage.save, storage.delete


def test_control_without_the_lock_the_same_requests_refresh_several_times(
    make_app, wechat_emulator, shared
):
    kind, url = shared
    storage = WithoutLock(make_storage(kind, url))
    app, user_id = _signed_in(make_app, wechat_emulator, storage, expired_here=False)
    barrier = threading.Barrier(REQUESTS)
    # A WeChat far enough away that the requests' refreshes overlap on a busy machine,
    # as they do in production: without it the control depends on the scheduler.
    wechat_emulator.world.set_latency(0.3)

    def request() -> None:
        barrier.wait()
        call_as(app, user_id)

    threads = [threading.Thread(target=request) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    paths = [call["path"] for call in wechat_emulator.world.requests]
    assert paths.count(REFRESH) > 1  # what the lock prevents
