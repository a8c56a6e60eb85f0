"""SQLAlchemyStorage on real PostgreSQL and SQLite: concurrent writers never fail.

Several web workers (threads of one process, or processes) save and load one
person's token at once, as concurrent requests of one person whose token
expired do. None of them may see an error, and the row left is one of the
tokens written.
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import create_engine, text  # noqa: E402

from flask_wechat.sqla import SQLAlchemyStorage  # noqa: E402

from .storage_workers import Person, save_and_load, sql_worker  # noqa: E402

WORKERS, ROUNDS = 8, 20


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: Any, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tokens.sqlite3'}"
    return request.getfixturevalue("postgresql_url")


def _rows(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT user_id, token FROM wechat_tokens")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_threads_saving_one_persons_token_never_fail(database_url):
    storage = SQLAlchemyStorage(create_engine(database_url, pool_size=WORKERS))
    storage.create_table()
    barrier = threading.Barrier(WORKERS)
    errors: list[str] = []

    def work(worker: int) -> None:
        barrier.wait()
        errors.extend(save_and_load(storage, worker, ROUNDS))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], f"{len(errors)} of {WORKERS * ROUNDS} failed, e.g. {errors[:3]}"
    ((user_id, _),) = _rows(database_url)
    assert user_id == "one-person"
    assert storage.load(Person("one-person"))["access_token"].startswith("access-")


def test_processes_saving_one_persons_token_never_fail(database_url):
    SQLAlchemyStorage(create_engine(database_url)).create_table()  # before the workers start
    spawn = multiprocessing.get_context("spawn")
    workers = 4
    barrier, results = spawn.Barrier(workers), spawn.Queue()
    processes = [
        spawn.Process(target=sql_worker, args=(database_url, n, ROUNDS, barrier, results))
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    errors = [error for _ in processes for error in results.get(timeout=120)]
    for process in processes:
        process.join(timeout=30)
    assert errors == [], f"{len(errors)} of {workers * ROUNDS} failed, e.g. {errors[:3]}"
    assert len(_rows(database_url)) == 1
