"""Work for the storage tests' worker processes (importable by a spawned child)."""

from __future__ import annotations

import time
from typing import Any

from flask_login import UserMixin


class Person(UserMixin):
    """A user as Flask-Login sees one: storage keys tokens on ``get_id()``."""

    def __init__(self, user_id: str) -> None:
        self.id = user_id


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

    storage = SQLAlchemyStorage(create_engine(url))  # runs no SQL until used
    barrier.wait()
    results.put(save_and_load(storage, worker, rounds))


def redis_worker(url: str, worker: int, rounds: int, barrier: Any, results: Any) -> None:
    import redis

    from flask_wechat.redis import RedisStorage

    storage = RedisStorage(redis.Redis.from_url(url))
    barrier.wait()
    results.put(save_and_load(storage, worker, rounds))


def make_storage(kind: str, url: str) -> Any:
    """The storage a web worker of a site would build for ``kind``."""
    if kind == "redis":
        import redis

        from flask_wechat.redis import RedisStorage

        return RedisStorage(redis.Redis.from_url(url))
    from sqlalchemy import create_engine

    from flask_wechat.sqla import SQLAlchemyStorage

    storage = SQLAlchemyStorage(create_engine(url, pool_size=16))
    storage.create_table()  # as the site's deploy step does (a no-op once it exists)
    return storage


def call_as(app: Any, user_id: str) -> tuple[Any, str]:
    """One request of ``user_id`` calling WeChat's userinfo; (nickname, token used)."""
    from flask_login import login_user

    wechat = app.extensions["wechat"].extension
    with app.test_request_context():
        login_user(Person(user_id))
        session = wechat.session
        answer = session.get("/sns/userinfo").json()
        return answer.get("nickname", answer), session.token["access_token"]


def api_worker(
    kind: str, url: str, config: dict[str, Any], user_id: str, barrier: Any, results: Any
) -> None:
    """A separate web worker (its own process and storage client) calling WeChat's API."""
    try:
        from flask import Flask
        from flask_login import LoginManager

        from flask_wechat import WeChat

        app = Flask(__name__)
        app.config.update(SECRET_KEY="test", **config)
        LoginManager(app).user_loader(Person)
        WeChat(app, storage=make_storage(kind, url))
    except Exception as error:
        results.put((f"set-up failed: {type(error).__name__}: {error}", None))
        raise
    barrier.wait()
    try:
        results.put(call_as(app, user_id))
    except Exception as error:
        results.put((f"{type(error).__name__}: {error}", None))
