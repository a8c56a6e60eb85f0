"""Review of issue 18's sign-in generations: an attacker's and a real app's ways in.

Each test states what a person or an app would expect; see tests/test_revocation.py for the
app shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin, current_user, login_user

from flask_wechat import WeChat
from flask_wechat.emulator.world import make_openid
from flask_wechat.testing import sign_out

from .helpers import sign_in
from .storage_workers import make_storage
from .test_revocation import Person, _copy
from .test_revocation import _app as _revocation_app


def _app(wechat_emulator: Any, storage: Any = None, **config: Any) -> Flask:
    """test_revocation's app, with the app's own password sign-in beside WeChat's."""
    app = _revocation_app(wechat_emulator, storage, **config)

    @app.post("/password-login")
    def password_login() -> str:
        # The app's own sign-in (a password form): usernames are the ids, chosen at sign-up.
        from flask import request

        username = request.form["username"]
        person = app.people.setdefault(username, Person(username))  # type: ignore[attr-defined]
        login_user(person)
        return "ok"

    return app


# -- an id that looks like a generation ---------------------------------------------------


@pytest.mark.parametrize("revocable", [False, True], ids=["default", "generation"])
def test_a_username_that_looks_tagged_never_signs_in_as_someone_else(
    wechat_emulator, tmp_path, revocable
):
    # An app with usernames as ids and its own password sign-in beside WeChat's. A person
    # signs up as "lilei~wechat:x" and signs in with their password: the wrapped user_loader
    # splits the id and, without WECHAT_REVOCABLE_SESSIONS (the default), hands "lilei" to
    # the app's loader: they are signed in as lilei. With the setting, their own account is
    # unusable (signed out at every request).
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}") if revocable else None
    app = _app(wechat_emulator, storage, WECHAT_REVOCABLE_SESSIONS=revocable)
    victim = app.test_client()
    sign_in(victim, wechat_emulator)  # lilei exists, signed in with WeChat
    assert victim.get("/").data == b"in:lilei"
    attacker = app.test_client()
    attacker.post("/password-login", data={"username": "lilei~wechat:x"})
    assert attacker.get("/").data == b"in:lilei~wechat:x"


# -- a remember cookie replayed before sign-out -------------------------------------------


def test_a_session_opened_with_a_stolen_remember_cookie_ends_at_sign_out(wechat_emulator, tmp_path):
    # docs/security.md: "a remember cookie carries the person's sign-in generation: a copy
    # stops working after sign-out". A thief replays the stolen cookie at once (before the
    # person signs out), which gives the thief's browser a session with the person's id;
    # that session is never checked again, so it survives the sign-out, and
    # sign_out_everywhere, for PERMANENT_SESSION_LIFETIME.
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")
    app = _app(wechat_emulator, storage, WECHAT_REMEMBER=True)
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    thief = _copy(app, browser, "remember_token")
    assert thief.get("/").data == b"in:lilei"  # replayed before sign-out
    sign_out(browser)
    with app.app_context():
        app.wechat.sign_out_everywhere(Person("lilei"))  # type: ignore[attr-defined]
    assert thief.get("/").data == b"anon"


# -- sign-ins made before the setting was turned on ----------------------------------------


def test_sessions_made_before_revocable_sessions_were_turned_on_are_signed_out(
    wechat_emulator, tmp_path
):
    # A site turns WECHAT_REVOCABLE_SESSIONS on (after an incident, or at the upgrade).
    # Sessions signed in before carry no generation, so nothing could end a copy of them:
    # each is signed out at its next request, and its person signs in once more
    # (docs/deployment.md). Reviewed: at first such sessions were never checked, and a copy
    # survived sign-out and sign_out_everywhere.
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")
    before = _app(wechat_emulator)  # the session storage: no generations yet (or 0.1)
    browser = before.test_client()
    sign_in(browser, wechat_emulator)
    copy = _copy(before, browser, "session")
    after = _app(wechat_emulator, storage, WECHAT_REVOCABLE_SESSIONS=True)  # redeployed
    after.people["lilei"] = Person("lilei")  # type: ignore[attr-defined]
    browser.application = copy.application = after
    assert browser.get("/").data == b"anon"
    assert copy.get("/").data == b"anon"
    sign_in(browser, wechat_emulator)  # signing in again carries a generation
    assert browser.get("/").data == b"in:lilei"
    assert copy.get("/").data == b"anon"


# -- upgrading from 0.1 with SQL storage --------------------------------------------------


def test_sql_storage_upgraded_from_0_1_without_the_new_table_does_not_fail(
    wechat_emulator, tmp_path
):
    # A 0.1 site: its migrations made the tokens table; 0.2 adds wechat_sign_ins, which the
    # site has not created yet (the CHANGELOG's note was missed). Sign-in and sign-out must
    # not be 500s, and nobody may be left signed in behind an error page.
    from sqlalchemy import create_engine

    from flask_wechat.sqla import SQLAlchemyStorage

    storage = SQLAlchemyStorage(create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    storage.table.create(storage.engine)  # 0.1's table only
    app = _app(wechat_emulator, storage, WECHAT_REMEMBER=True, PROPAGATE_EXCEPTIONS=False)
    browser = app.test_client()
    response = sign_in(browser, wechat_emulator)
    assert response.status_code != 500
    if response.status_code >= 400:
        assert browser.get("/").data == b"anon"
        assert browser.get_cookie("remember_token") is None
    else:
        assert sign_out(browser).status_code != 500


# -- ids that are not strings -------------------------------------------------------------


class Numbered(UserMixin):
    def __init__(self, number: int) -> None:
        self.id = number

    def get_id(self) -> int:  # type: ignore[override]  # as many apps write it
        return self.id


@pytest.mark.parametrize(
    "setting", ["WECHAT_REMEMBER", "WECHAT_REVOCABLE_SESSIONS"], ids=["remember", "revocable"]
)
def test_an_app_whose_get_id_returns_an_int_keeps_receiving_it(wechat_emulator, tmp_path, setting):
    # Flask-Login stores what get_id returns; a cookie session gives it back as it was (an
    # int), and 0.1 handed the loader that int. With generations in use (WECHAT_REMEMBER or
    # WECHAT_REVOCABLE_SESSIONS with SQL or Redis storage) the loader receives str(id): an
    # int-keyed loader finds nobody, and every WeChat sign-in ends at the next request.
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")
    app = _app(wechat_emulator, storage, **{setting: True})
    people = {7: Numbered(7)}
    seen: list[Any] = []

    def load(user_id: Any) -> Any:
        seen.append(user_id)
        return people.get(user_id)

    app.login_manager.user_loader(load)  # type: ignore[attr-defined]
    app.wechat.profile_handler(lambda profile, token: people[7])  # type: ignore[attr-defined]
    browser = app.test_client()
    sign_in(browser, wechat_emulator)
    assert browser.get("/").data == b"in:7"
    assert seen and all(isinstance(value, int) for value in seen)


# -- one LoginManager, two apps ---------------------------------------------------------


def test_a_revoked_remember_cookie_is_refused_by_every_app_sharing_the_login_manager(
    wechat_emulator, tmp_path
):
    # An app factory with a module-level LoginManager, and a second app (an admin site,
    # mounted beside the first with DispatcherMiddleware) that shares it and SECRET_KEY but
    # has no WeChat(app). The wrapped loader strips the generation there without checking
    # it: a remember cookie revoked by sign-out still signs its person in on the second app.
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")
    site = _app(wechat_emulator, storage, WECHAT_REMEMBER=True)
    manager = site.login_manager  # type: ignore[attr-defined]
    admin = Flask("admin")
    admin.config.update(SECRET_KEY="k", TESTING=True)
    manager.init_app(admin)

    @admin.get("/")
    def admin_home() -> str:
        return f"in:{current_user.get_id()}" if current_user.is_authenticated else "anon"

    browser = site.test_client()
    sign_in(browser, wechat_emulator)
    stolen = browser.get_cookie("remember_token").value  # type: ignore[union-attr]
    sign_out(browser)
    thief = admin.test_client()
    thief.set_cookie("remember_token", stolen)
    assert thief.get("/").data == b"anon"


# -- a remember cookie no browser sends, but an attacker can ------------------------------


def test_a_remember_cookie_with_a_non_ascii_digest_is_not_a_500(wechat_emulator, tmp_path):
    # Flask-Login's decode_cookie compares the digest with hmac.compare_digest, which raises
    # TypeError for non-ASCII text; the extension now owns the remember cookie's way in
    # (revocation._checking_cookie) and passes it through unguarded.
    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")
    app = _app(wechat_emulator, storage, WECHAT_REMEMBER=True, PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    client.set_cookie("remember_token", "lilei~wechat:abc|\u00e9")
    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"anon"


# -- the first request of a worker ------------------------------------------------------


def test_the_loader_is_wrapped_before_a_url_value_preprocessor_reads_current_user(
    wechat_emulator, tmp_path
):
    # An app factory that registers its user_loader after WeChat(app), and picks the
    # language in a url_value_preprocessor from the signed-in person (these run before every
    # before_request function). A second worker built by the same factory gets, as its first
    # request, one from a person signed in on the first worker: the loader is not wrapped
    # yet and receives "lilei~wechat:<generation>" (the canonical `int(user_id)` loader
    # would raise: a 500).
    from flask import g

    storage = make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")

    def create_app() -> Flask:
        app = Flask("factory")
        app.config.update(SECRET_KEY="k", TESTING=True, WECHAT_REMEMBER=True)
        app.config.update(wechat_emulator.config)
        manager = LoginManager(app)
        wechat = WeChat(app, storage=storage)
        asked: list[str] = []
        app.asked = asked  # type: ignore[attr-defined]

        @manager.user_loader  # after WeChat(app)
        def load(user_id: str) -> Person | None:
            asked.append(user_id)
            return Person(user_id) if user_id == "lilei" else None

        appid = app.config["WECHAT_APP_ID"]
        lilei = make_openid(appid, "lilei")
        wechat.profile_handler(
            lambda profile, token: Person("lilei") if profile.openid == lilei else None
        )

        @app.url_value_preprocessor
        def pick_language(endpoint: Any, values: Any) -> None:
            g.lang = "zh" if current_user.is_authenticated else "en"

        @app.get("/")
        def home() -> str:
            return f"in:{current_user.get_id()}" if current_user.is_authenticated else "anon"

        return app

    first, second = create_app(), create_app()
    browser = first.test_client()
    sign_in(browser, wechat_emulator)
    assert browser.get("/").data == b"in:lilei"
    other = second.test_client()
    other.set_cookie("session", browser.get_cookie("session").value)  # type: ignore[union-attr]
    assert other.get("/").data == b"in:lilei"
    assert second.asked == ["lilei"]  # type: ignore[attr-defined]
