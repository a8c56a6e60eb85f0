"""The replay memory's contract, in process memory, SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from flask_wechat.replay import ProcessMemory


@pytest.fixture(params=["process", "sqlite", "postgresql", "redis"])
def memory(request: Any, tmp_path: Any) -> Any:
    if request.param == "process":
        return ProcessMemory()
    if request.param == "redis":
        import redis

        from flask_wechat.redis import RedisMemory

        return RedisMemory(redis.Redis.from_url(request.getfixturevalue("redis_url")))
    from sqlalchemy import create_engine

    from flask_wechat.sqla import SQLMemory

    url = (
        f"sqlite:///{tmp_path / 'memory.sqlite3'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgresql_url")
    )
    return SQLMemory(create_engine(url, pool_size=16))


def test_a_key_is_added_once_until_its_deadline(memory):
    soon = time.time() + 0.5
    assert memory.add("state:a", soon) is True
    assert memory.add("state:a", soon) is False
    assert memory.seen("state:a") and not memory.seen("state:b")
    time.sleep(0.6)
    assert not memory.seen("state:a")
    assert memory.add("state:a", time.time() + 60) is True  # expired: a new entry


def test_counts_start_again_after_the_deadline_or_forget(memory):
    assert [memory.count("busy", time.time() + 60) for _ in range(3)] == [1, 2, 3]
    memory.forget("busy")
    assert memory.count("busy", time.time() + 0.5) == 1
    time.sleep(0.6)
    assert memory.count("busy", time.time() + 60) == 1


def test_of_sixteen_concurrent_adds_of_one_key_exactly_one_wins(memory):
    barrier, results = threading.Barrier(16), []

    def add() -> None:
        barrier.wait()
        results.append(memory.add("state:raced", time.time() + 60))

    threads = [threading.Thread(target=add) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]


def test_process_memory_stays_bounded():
    memory = ProcessMemory(max_keys=100)
    for number in range(1000):
        assert memory.add(f"state:{number}", time.time() + 60)
    assert len(memory._keys) <= 100
    assert memory.seen("state:999")  # the newest are kept
