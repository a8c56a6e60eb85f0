"""Sign-out ends every copy: cookies copied before sign-in and before sign-out, replayed after.

What each session setup promises (docs/deployment.md, "Sessions"), held here with the
emulator over HTTP and the storages on real servers (SQLite, PostgreSQL, Redis):

- cookie sessions (Flask's default) without a sign-in generation: a copy taken before
  sign-in never becomes the signed-in session; a copy taken before sign-out keeps working
  until it expires (pinned down below, so the docs cannot claim more);
- cookie sessions with ``WECHAT_REVOCABLE_SESSIONS``: the copy taken before sign-out is
  signed out, checked at every request (one storage read);
- remember cookies, with a storage that keeps sign-in generations (SQL, Redis): a copy
  stops working after sign-out, or after ``sign_out_everywhere``;
- Flask-Session on Redis: tests/test_renewal.py.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, logout_user

from flask_wechat import WeChat
from flask_wechat.emulator.world import make_openid
from flask_wechat.errors import SettingsError
from flask_wechat.testing import sign_out

from .helpers import sign_in
from .storage_workers import make_storage


class Person(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def generations(request: Any, tmp_path: Any) -> Any:
    """A token storage that keeps sign-in generations, on a real server."""
    if request.param == "sqlite":
        return make_storage("sqlite", f"sqlite:///{tmp_path / 'tokens.sqlite3'}")
    if request.param == "redis":
        return make_storage("redis", request.getfixturevalue("redis_url"))
    return make_storage("postgresql", request.getfixturevalue("postgresql_url"))


def _app(
    wechat_emulator: Any,
    storage: Any = None,
    *,
    loader_after: bool = False,
    memory: Any = None,
    **config: Any,
) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", TESTING=True, **wechat_emulator.config)
    app.config.update(config)
    people: dict[str, Person] = {}
    asked: list[str] = []
    app.asked = asked  # type: ignore[attr-defined]  # every id the app's user_loader was given
    app.people = people  # type: ignore[attr-defined]

    def load(user_id: str) -> Person | None:
        asked.append(user_id)
        return people.get(user_id)

    manager = LoginManager(app)
    if not loader_after:
        manager.user_loader(load)
    wechat = WeChat(app, storage=storage, memory=memory)
    app.wechat = wechat  # type: ignore[attr-defined]
    if loader_after:  # as an app that sets its loader up after the extension
        manager.user_loader(load)
    # Users keyed by the emulator's name for the person, so that tests can name them.
    appid = app.config["WECHAT_APP_ID"]
    names = {make_openid(appid, name): name for name in ("lilei", "hanmeimei")}
    wechat.profile_handler(
        lambda profile, token: people.setdefault(
            names[profile.openid], Person(names[profile.openid])
        )
    )

    @app.get("/")
    def home() -> str:
        return f"in:{current_user.get_id()}" if current_user.is_authenticated else "anon"

    @app.post("/own-logout")
    def own_logout() -> str:  # the app's own sign-out, not the blueprint's
        logout_user()
        return "out"

    @app.get("/cart")
    def cart() -> str:
        session["cart"] = "tea"
        return "ok"

    return app


def _copy(app: Flask, browser: Any, *names: str) -> Any:
    """A new browser holding copies of ``browser``'s cookies ``names``."""
    thief = app.test_client()
    for name in names:
        cookie = browser.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        thief.set_cookie(name, cookie.value)
    return thief


# -- cookie sessions -----------------------------------------------------------------------


@pytest.mark.parametrize("revocable", [False, True], ids=["plain", "generation"])
def test_a_cookie_copied_before_sign_in_never_becomes_the_signed_in_session(
    wechat_emulator, tmp_path, revocable
):
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}") if revocable else None
    app = _app(wechat_emulator, storage, WECHAT_REVOCABLE_SESSIONS=revocable)
    browser = app.test_client()
    browser.get("/cart")  # something in the session, so there is a cookie to copy
    copy = _copy(app, browser, "session")
    sign_in(browser, wechat_emulator)
    assert browser.get("/").data == b"in:lilei"
    assert copy.get("/").data == b"anon"


def test_without_a_generation_a_cookie_session_copied_before_sign_out_keeps_working(
    wechat_emulator,
):
    # The limit of Flask's signed-cookie session, stated in docs/deployment.md: nothing on
    # the server knows the copy, so nothing can end it before it expires.
    app = _app(wechat_emulator)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    copy = _copy(app, browser, "session")
    sign_out(browser)
    assert browser.get("/").data == b"anon"
    assert copy.get("/").data == b"in:lilei"


def test_with_a_generation_a_cookie_session_copied_before_sign_out_is_signed_out(
    wechat_emulator, generations
):
    app = _app(wechat_emulator, generations, WECHAT_REVOCABLE_SESSIONS=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    copy = _copy(app, browser, "session")
    assert copy.get("/").data == b"in:lilei"  # the copy works while the person is signed in
    sign_out(browser)
    assert copy.get("/").data == b"anon"
    assert copy.get("/").data == b"anon"
    with copy.session_transaction() as stored:
        assert "_user_id" not in stored and "_wechat_token" not in stored
    # Signing in again starts a new generation: the old copy stays out.
    sign_in(browser, wechat_emulator)
    assert browser.get("/").data == b"in:lilei"
    assert copy.get("/").data == b"anon"


def test_the_apps_own_logout_user_ends_the_generation_too(wechat_emulator, generations):
    app = _app(wechat_emulator, generations, WECHAT_REVOCABLE_SESSIONS=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    copy = _copy(app, browser, "session")
    browser.post("/own-logout")
    assert copy.get("/").data == b"anon"


def test_a_second_sign_in_elsewhere_leaves_the_first_signed_in(wechat_emulator, generations):
    app = _app(wechat_emulator, generations, WECHAT_REVOCABLE_SESSIONS=True)
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, wechat_emulator)
    sign_in(phone, wechat_emulator)
    assert laptop.get("/").data == b"in:lilei"
    assert phone.get("/").data == b"in:lilei"


def test_one_persons_sign_out_leaves_another_signed_in(wechat_emulator, generations):
    app = _app(wechat_emulator, generations, WECHAT_REVOCABLE_SESSIONS=True)
    lilei, hanmeimei = app.test_client(), app.test_client()
    sign_in(lilei, wechat_emulator)
    sign_in(hanmeimei, wechat_emulator, user="hanmeimei")
    sign_out(lilei)
    assert hanmeimei.get("/").data == b"in:hanmeimei"


def test_sign_out_everywhere_ends_every_browser_of_that_person_only(wechat_emulator, generations):
    app = _app(wechat_emulator, generations, WECHAT_REVOCABLE_SESSIONS=True)
    laptop, phone, other = app.test_client(), app.test_client(), app.test_client()
    sign_in(laptop, wechat_emulator)
    sign_in(phone, wechat_emulator)
    sign_in(other, wechat_emulator, user="hanmeimei")
    with app.app_context():  # e.g. an admin's action, or a job: no request of that person
        app.wechat.sign_out_everywhere(Person("lilei"))  # type: ignore[attr-defined]
    assert laptop.get("/").data == b"anon"
    assert phone.get("/").data == b"anon"
    assert other.get("/").data == b"in:hanmeimei"
    with app.app_context():
        assert generations.load(Person("lilei")) is None  # the token went too


def test_the_apps_user_loader_only_ever_sees_its_own_ids(wechat_emulator, generations):
    for loader_after in (False, True):
        app = _app(
            wechat_emulator,
            generations,
            loader_after=loader_after,
            WECHAT_REVOCABLE_SESSIONS=True,
            WECHAT_REMEMBER=True,
        )
        browser = app.test_client()
        sign_in(browser, wechat_emulator)
        assert browser.get("/").data == b"in:lilei"
        assert _copy(app, browser, "remember_token").get("/").data == b"in:lilei"
        assert app.asked and set(app.asked) == {"lilei"}  # type: ignore[attr-defined]


# -- remember cookies ----------------------------------------------------------------------


def test_a_copied_remember_cookie_stops_working_after_sign_out(wechat_emulator, generations):
    app = _app(wechat_emulator, generations, WECHAT_REMEMBER=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    # Positive control: the remember cookie alone signs the person in, in a new browser.
    assert _copy(app, browser, "remember_token").get("/").data == b"in:lilei"
    stolen = _copy(app, browser, "remember_token")
    sign_out(browser)
    response = stolen.get("/")
    assert response.data == b"anon"
    assert "remember_token=;" in " ".join(response.headers.getlist("Set-Cookie"))  # deleted
    assert stolen.get("/").data == b"anon"


def test_a_copied_remember_cookie_stops_working_after_sign_out_everywhere(
    wechat_emulator, generations
):
    app = _app(wechat_emulator, generations, WECHAT_REMEMBER=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    stolen = _copy(app, browser, "remember_token")
    with app.app_context():
        app.wechat.sign_out_everywhere(Person("lilei"))  # type: ignore[attr-defined]
    assert stolen.get("/").data == b"anon"


def test_remember_cookies_are_not_checked_at_every_request_unless_asked(
    wechat_emulator, generations
):
    # WECHAT_REMEMBER alone checks the generation when a remember cookie signs someone in,
    # not on every request of a live session: that is WECHAT_REVOCABLE_SESSIONS's cost.
    app = _app(wechat_emulator, generations, WECHAT_REMEMBER=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    copy = _copy(app, browser, "session")
    sign_out(browser)
    assert copy.get("/").data == b"in:lilei"  # the session copy: documented, as above


# -- settings --------------------------------------------------------------------------------


def test_revocable_sessions_need_a_storage_on_the_server(wechat_emulator):
    with pytest.raises(SettingsError, match="WECHAT_REVOCABLE_SESSIONS"):
        _app(wechat_emulator, WECHAT_REVOCABLE_SESSIONS=True)


def test_remember_cookies_without_generations_are_warned_about(wechat_emulator, caplog):
    with caplog.at_level(logging.WARNING, logger="flask_wechat"):
        _app(wechat_emulator, WECHAT_REMEMBER=True)
    assert any("remember" in record.getMessage() for record in caplog.records)


def test_revocable_sessions_is_a_strict_boolean(wechat_emulator, tmp_path):
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")
    with pytest.raises(SettingsError, match="WECHAT_REVOCABLE_SESSIONS"):
        _app(wechat_emulator, storage, WECHAT_REVOCABLE_SESSIONS="maybe")


# -- the storages ---------------------------------------------------------------------------


def test_concurrent_first_sign_ins_share_one_generation(generations):
    found: list[str] = []
    barrier = threading.Barrier(8)

    def first_sign_in() -> None:
        barrier.wait()
        found.append(generations.sign_in_generation("lilei"))

    threads = [threading.Thread(target=first_sign_in) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len(set(found)) == 1
    assert generations.generation("lilei") == found[0]
    generations.end_generation("lilei")
    assert generations.generation("lilei") is None
    assert generations.sign_in_generation("lilei") != found[0]
    assert generations.generation("hanmeimei") is None


# -- Flask-Session on Redis, with the generation -------------------------------------------


def test_flask_session_on_redis_with_generations_ends_every_copy_and_every_browser(
    wechat_emulator, redis_url
):
    flask_session = pytest.importorskip("flask_session")
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(redis_url)
    app = _app(
        wechat_emulator,
        make_storage("redis", redis_url),
        SESSION_TYPE="redis",
        SESSION_REDIS=client,
        WECHAT_REMEMBER=True,
        WECHAT_REVOCABLE_SESSIONS=True,
    )
    flask_session.Session(app)
    browser, phone = app.test_client(), app.test_client()
    sign_in(browser, wechat_emulator)
    sign_in(phone, wechat_emulator)
    session_copy = _copy(app, browser, "session")
    remember_copy = _copy(app, browser, "remember_token")
    assert session_copy.get("/").data == b"in:lilei"
    sign_out(browser)
    assert session_copy.get("/").data == b"anon"  # Flask-Session: the old id is gone
    assert remember_copy.get("/").data == b"anon"  # the generation: the cookie is refused
    assert phone.get("/").data == b"anon"  # the generation: the other browser's session too


# -- the storage is down ---------------------------------------------------------------------


class _Down:
    """A storage whose server stopped answering after the sign-in."""

    def __init__(self, storage: Any) -> None:
        self.storage, self.down = storage, False

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.storage, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise ConnectionError("the storage server is down")
            return found(*args, **kwargs)

        return call


def test_when_the_generation_cannot_be_read_nobody_is_signed_in_and_nothing_fails(
    wechat_emulator, tmp_path, caplog
):
    down = _Down(make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}"))
    app = _app(wechat_emulator, down, WECHAT_REMEMBER=True, WECHAT_REVOCABLE_SESSIONS=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    remembered = _copy(app, browser, "remember_token")
    down.down = True
    with caplog.at_level(logging.ERROR, logger="flask_wechat"):
        assert browser.get("/").data == b"anon"  # closed: not a 500, not signed in
        assert remembered.get("/").data == b"anon"
    assert any("generation" in record.getMessage() for record in caplog.records)
    down.down = False  # back: the session and the remember cookie were kept
    assert browser.get("/").data == b"in:lilei"
    assert _copy(app, browser, "remember_token").get("/").data == b"in:lilei"


def test_a_remember_cookie_from_before_generations_is_refused_and_deleted(
    wechat_emulator, tmp_path
):
    # Made while the storage kept no generations (or by 0.1): nothing could ever end it, so
    # once generations are on it signs nobody in, and its person signs in once more.
    old = _app(wechat_emulator, WECHAT_REMEMBER=True)
    browser = old.test_client()
    sign_in(browser, wechat_emulator)
    cookie = browser.get_cookie("remember_token").value
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")
    new = _app(wechat_emulator, storage, WECHAT_REMEMBER=True)  # redeployed
    returning = new.test_client()
    returning.set_cookie("remember_token", cookie)
    response = returning.get("/")
    assert response.data == b"anon"
    assert "remember_token=;" in " ".join(response.headers.getlist("Set-Cookie"))


def test_the_apps_own_password_sign_in_carries_a_generation_too(wechat_emulator, generations):
    from flask_login import login_user

    app = _app(wechat_emulator, generations, WECHAT_REMEMBER=True)

    @app.post("/password-login")
    def password_login() -> str:
        login_user(Person("hanmeimei"), remember=True)
        return "ok"

    app.people["hanmeimei"] = Person("hanmeimei")  # type: ignore[attr-defined]
    browser = app.test_client()
    browser.post("/password-login")
    stolen = _copy(app, browser, "remember_token")
    assert _copy(app, browser, "remember_token").get("/").data == b"in:hanmeimei"  # control
    browser.post("/own-logout")
    assert stolen.get("/").data == b"anon"
