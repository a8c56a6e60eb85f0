"""Work for the storage tests' worker processes (importable by a spawned child)."""

from __future__ import annotations

import time
from typing import Any


class Person:
    """A user as Flask-Login sees one: only ``get_id`` matters to storage."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def get_id(self) -> str:
        return self.user_id


def token(worker: int, round_: int) -> dict[str, Any]:
    return {
        "access_token": f"access-{worker}-{round_}",
        "refresh_token": f"refresh-{worker}-{round_}",
        "openid": "o-person",
        "expires_at": time.time() + 7200,
    }


def save_and_load(storage: Any, worker: int, rounds: int) -> list[str]:
    """Save then load one person's token ``rounds`` times; the errors, as text."""
    person = Person("one-person")
    errors = []
    for round_ in range(rounds):
        try:
            storage.save(person, token(worker, round_))
            loaded = storage.load(person)
            if loaded is None or not loaded["access_token"].startswith("access-"):
                errors.append(f"loaded {loaded!r}")
        except Exception as error:  # every kind counts: that is what is measured
            errors.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    return errors


def sql_worker(url: str, worker: int, rounds: int, barrier: Any, results: Any) -> None:
    """A separate process with its own engine, as a second web worker would have."""
    from sqlalchemy import create_engine

    from flask_wechat.sqla import SQLAlchemyStorage

    storage = SQLAlchemyStorage(create_engine(url), create_table=False)
    barrier.wait()
    results.put(save_and_load(storage, worker, rounds))
