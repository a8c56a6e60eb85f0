"""What every token storage promises, on real SQLite, PostgreSQL and Redis.

One token per user, replaced by each save, gone after delete; concurrent
saves and loads of one person's token from threads and from processes never
fail; with ``WECHAT_TOKEN_KEY`` nothing readable is stored.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from flask_wechat import WeChat
from flask_wechat.errors import InsecureSettings, TokenError

from .storage_workers import Person, make_storage, redis_worker, save_and_load, token

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _plain_http_emulator_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(params=["postgresql", "redis", "sqlite"])
def store(request: Any, tmp_path: Any) -> tuple[str, str]:
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'tokens.sqlite3'}"
    if request.param == "redis":
        return "redis", request.getfixturevalue("redis_url")
    return "postgresql", request.getfixturevalue("postgresql_url")


def raw(kind: str, url: str, storage: Any, user_id: str) -> str | None:
    """What the server holds for ``user_id``, read around the storage."""
    if kind == "redis":
        value = storage.client.get(f"flask_wechat:token:{user_id}")
        return value.decode() if value is not None else None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT token FROM wechat_tokens WHERE user_id = :id"), {"id": user_id}
        ).first()
    engine.dispose()
    return row[0] if row else None


def app_with(storage: Any, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="test",
        WECHAT_APP_ID="wx0000000000000000",
        WECHAT_APP_SECRET="not-a-real-secret",
        WECHAT_OPEN_BASE_URL="http://127.0.0.1:9",
        WECHAT_API_BASE_URL="http://127.0.0.1:9",
        **config,
    )
    WeChat(app, storage=storage)
    return app


def test_one_token_per_user_replaced_by_save_and_gone_after_delete(store):
    storage = make_storage(*store)
    lilei, hanmeimei = Person("lilei"), Person("hanmeimei")
    assert storage.load(lilei) is None
    storage.save(lilei, token(1, 1))
    storage.save(hanmeimei, token(2, 1))
    storage.save(lilei, token(1, 2))
    assert storage.load(lilei) == token(1, 2) | {"expires_at": storage.load(lilei)["expires_at"]}
    assert storage.load(hanmeimei)["access_token"] == "access-2-1"
    storage.delete(lilei)
    storage.delete(lilei)  # twice is fine
    assert storage.load(lilei) is None
    assert storage.load(hanmeimei)["access_token"] == "access-2-1"


def test_redis_threads_saving_one_persons_token_never_fail(redis_url):
    storage = make_storage("redis", redis_url)
    barrier, errors = threading.Barrier(8), []

    def work(worker: int) -> None:
        barrier.wait()
        errors.extend(save_and_load(storage, worker, 20))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert storage.load(Person("one-person"))["access_token"].startswith("access-")


def test_redis_processes_saving_one_persons_token_never_fail(redis_url):
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(4), spawn.Queue()
    processes = [
        spawn.Process(target=redis_worker, args=(redis_url, n, 20, barrier, results))
        for n in range(4)
    ]
    for process in processes:
        process.start()
    errors = [error for _ in processes for error in results.get(timeout=120)]
    for process in processes:
        process.join(timeout=30)
    assert errors == []


def test_redis_token_keys_expire_after_a_refresh_tokens_lifetime(redis_url):
    storage = make_storage("redis", redis_url)
    storage.save(Person("lilei"), token(1, 1))
    assert 29 * 24 * 3600 < storage.client.ttl("flask_wechat:token:lilei") <= 30 * 24 * 3600


# -- tokens at rest ----------------------------------------------------------------------


def test_with_a_key_the_server_holds_no_readable_token(store):
    kind, url = store
    storage = make_storage(kind, url)
    app = app_with(storage, WECHAT_TOKEN_KEY=KEY_A)
    with app.app_context():
        storage.save(Person("lilei"), token(1, 1))
        assert storage.load(Person("lilei"))["access_token"] == "access-1-1"
    stored = raw(kind, url, storage, "lilei")
    assert "access-1-1" not in stored and "refresh-1-1" not in stored
    assert json.loads(Fernet(KEY_A).decrypt(stored.encode()))["access_token"] == "access-1-1"


def test_key_rotation_the_first_key_encrypts_every_key_decrypts(store):
    kind, url = store
    storage = make_storage(kind, url)
    old, both, new = (
        app_with(storage, WECHAT_TOKEN_KEY=KEY_A),
        app_with(storage, WECHAT_TOKEN_KEY=[KEY_B, KEY_A]),
        app_with(storage, WECHAT_TOKEN_KEY=KEY_B),
    )
    with old.app_context():
        storage.save(Person("lilei"), token(1, 1))
    with both.app_context():
        assert storage.load(Person("lilei"))["access_token"] == "access-1-1"  # old key decrypts
    with new.app_context(), pytest.raises(TokenError, match="not in WECHAT_TOKEN_KEY"):
        storage.load(Person("lilei"))  # the old key is gone: sign in again
    with both.app_context():
        storage.save(Person("lilei"), token(1, 2))  # a refresh writes with the first key
    Fernet(KEY_B).decrypt(raw(kind, url, storage, "lilei").encode())
    with new.app_context():
        assert storage.load(Person("lilei"))["access_token"] == "access-1-2"


def test_tokens_stored_before_a_key_was_set_are_still_read(store):
    kind, url = store
    storage = make_storage(kind, url)
    with app_with(storage).app_context():
        storage.save(Person("lilei"), token(1, 1))
    assert raw(kind, url, storage, "lilei").startswith("{")  # no key: JSON
    with app_with(storage, WECHAT_TOKEN_KEY=f"{KEY_A}, {KEY_B}").app_context():
        assert storage.load(Person("lilei"))["access_token"] == "access-1-1"


def test_an_encrypted_token_without_a_key_is_a_token_error(store):
    kind, url = store
    storage = make_storage(kind, url)
    with app_with(storage, WECHAT_TOKEN_KEY=KEY_A).app_context():
        storage.save(Person("lilei"), token(1, 1))
    with app_with(storage).app_context(), pytest.raises(TokenError, match="not set"):
        storage.load(Person("lilei"))


@pytest.mark.parametrize("bad", ["not-a-key", [KEY_A, "x" * 44], 42])
def test_a_bad_key_is_refused_at_init_app_without_repeating_it(bad):
    with pytest.raises(InsecureSettings, match="WECHAT_TOKEN_KEY") as refused:
        app_with(None, WECHAT_TOKEN_KEY=bad)
    assert "x" * 44 not in str(refused.value) and "not-a-key" not in str(refused.value)
