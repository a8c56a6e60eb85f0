"""The session renewal at sign-in and sign-out: a new id where the server keeps sessions, and
nothing lost that the app or Flask-Login keeps there on purpose."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, user_logged_out

from flask_wechat import WeChat, signals
from flask_wechat.testing import sign_out

from .helpers import sign_in

flask_session = pytest.importorskip("flask_session")
cachelib = pytest.importorskip("cachelib")


class Person(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def _app(wechat_emulator: Any, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", TESTING=True, **wechat_emulator.config)
    app.config.update(config)
    people: dict[str, Person] = {}
    manager = LoginManager(app)
    manager.user_loader(people.get)
    manager.login_view = "wechat.login"
    wechat = WeChat(app)
    wechat.profile_handler(lambda profile, token: people.setdefault(profile.id, Person(profile.id)))

    @app.get("/")
    def home() -> str:
        return "in" if current_user.is_authenticated else "anon"

    @app.get("/private")
    def private() -> Any:
        if not current_user.is_authenticated:
            return manager.unauthorized()
        return "private"

    @app.get("/permanent")
    def permanent() -> str:
        session.permanent = True
        return "ok"

    return app


@pytest.fixture(params=["cachelib", "redis"])
def session_store(request: Any) -> dict[str, Any]:
    """Flask-Session's settings: in this process (cachelib), or on a real Redis server."""
    if request.param == "cachelib":
        return {"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": cachelib.SimpleCache()}
    redis = pytest.importorskip("redis")
    url = request.getfixturevalue("redis_url")
    return {"SESSION_TYPE": "redis", "SESSION_REDIS": redis.Redis.from_url(url)}


def _server_side(wechat_emulator: Any, store: dict[str, Any]) -> Flask:
    app = _app(wechat_emulator, **store)
    flask_session.Session(app)
    return app


def test_sign_in_gives_a_server_side_session_a_new_id(wechat_emulator, session_store):
    app = _server_side(wechat_emulator, session_store)
    attacker = app.test_client()
    attacker.get("/wechat/login?lang=en")  # a session with something in it, so a cookie
    planted = attacker.get_cookie("session").value
    victim = app.test_client()
    victim.set_cookie("session", planted)  # fixed by the attacker
    sign_in(victim, wechat_emulator)
    assert victim.get("/").data == b"in"
    assert victim.get_cookie("session").value != planted
    assert attacker.get("/").data == b"anon"


def test_sign_out_gives_a_server_side_session_a_new_id_and_ends_the_old_one(
    wechat_emulator, session_store
):
    app = _server_side(wechat_emulator, session_store)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    before = browser.get_cookie("session").value
    copy = app.test_client()
    copy.set_cookie("session", before)
    assert copy.get("/").data == b"in"
    sign_out(browser)
    after = browser.get_cookie("session")
    assert after is None or after.value != before  # an empty session needs no cookie
    assert copy.get("/").data == b"anon"  # the copy taken before sign-out is signed out


def test_a_permanent_session_stays_permanent_through_sign_in_and_out(wechat_emulator):
    app = _app(wechat_emulator)
    browser = app.test_client()
    browser.get("/permanent")
    response = sign_in(browser, wechat_emulator)
    assert any("Expires=" in h for h in response.headers.getlist("Set-Cookie") if "session=" in h)
    with browser.session_transaction() as stored:
        assert stored.permanent


def test_flask_logins_next_in_the_session_is_followed(wechat_emulator):
    app = _app(wechat_emulator, USE_SESSION_FOR_NEXT=True)
    browser = app.test_client()
    to_login = browser.get("/private")
    assert to_login.status_code == 302 and "next=" not in to_login.location
    assert sign_in(browser, wechat_emulator).location == "/private"


def test_sign_out_receivers_see_the_session_as_it_was(wechat_emulator):
    app = _app(wechat_emulator)
    seen: list[Any] = []

    def kept(sender: Flask, **extra: Any) -> None:
        seen.append(session.get("cart"))

    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    with browser.session_transaction() as stored:
        stored["cart"] = ["tea"]
    with user_logged_out.connected_to(kept, app), signals.signed_out.connected_to(kept, app):
        sign_out(browser)
    assert seen == [["tea"], ["tea"]]
    assert browser.get_cookie("remember_token") is None
    with browser.session_transaction() as stored:
        assert "cart" not in stored  # and nothing of it survives the renewal


def test_a_failing_signed_in_receiver_ends_the_sign_in_on_the_usual_page(wechat_emulator):
    app = _app(wechat_emulator)

    def broken(sender: Flask, **extra: Any) -> None:
        raise RuntimeError("the app's receiver failed")

    browser = app.test_client()
    app.config["TESTING"] = False  # a real app: the error is handled, not raised to the test
    with signals.signed_in.connected_to(broken, app):
        response = sign_in(browser, wechat_emulator)
    assert response.status_code == 500
    assert browser.get("/").data == b"anon"  # not signed in behind an error page
    with browser.session_transaction() as stored:
        assert "_wechat_token" not in stored


def test_a_receiver_whose_profile_fetch_fails_shows_the_page_and_signs_nobody_in(
    wechat_emulator,
):
    app = _app(wechat_emulator)

    def reads(sender: Flask, profile: Any, **extra: Any) -> None:
        profile.nickname  # noqa: B018 - fetched here, and WeChat is busy

    wechat_emulator.world.add_fault("/sns/userinfo", "errcode", errcode=-1, times=3)
    browser = app.test_client()
    with signals.signed_in.connected_to(reads, app):
        response = sign_in(browser, wechat_emulator)
    assert response.status_code == 503
    assert browser.get("/").data == b"anon"
