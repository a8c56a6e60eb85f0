"""Second review of issue 18's sign-in generations (after the rework): what still gets through.

Each test states the setup, what the docs promise, and what happens instead. The app shape
is tests/test_revocation_attacks.py's (usernames as ids, a password form beside WeChat).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from flask_login import current_user, login_user

from flask_wechat.errors import SettingsError
from flask_wechat.testing import sign_out

from .helpers import sign_in
from .storage_workers import make_storage
from .test_revocation_attacks import Person, _app, _copy


def _sqlite(tmp_path: Any) -> Any:
    return make_storage("sqlite", f"sqlite:///{tmp_path / 't.sqlite3'}")


def _with_own_logout_and_remember(app: Flask) -> Flask:
    """The app's own password form with "remember me" (its own sign-out, ``/own-logout``,
    comes with test_revocation's app)."""

    @app.post("/password-login-remember")
    def password_login_remember() -> str:
        username = request.form["username"]
        person = app.people.setdefault(username, Person(username))  # type: ignore[attr-defined]
        login_user(person, remember=True)
        return "ok"

    return app


# -- one LoginManager, two apps: the session --------------------------------------------


def _admin_sharing(site: Flask) -> Flask:
    # A second app (an admin site mounted beside the first, DispatcherMiddleware) sharing
    # the site's LoginManager, SECRET_KEY and so its session cookie, without WeChat(app).
    admin = Flask("admin")
    admin.config.update(SECRET_KEY=site.config["SECRET_KEY"], TESTING=True)
    site.login_manager.init_app(admin)  # type: ignore[attr-defined]

    @admin.get("/")
    def admin_home() -> str:
        return f"in:{current_user.get_id()}" if current_user.is_authenticated else "anon"

    return admin


def test_a_revoked_cookie_session_is_refused_by_a_second_app_sharing_the_login_manager(
    wechat_emulator, tmp_path
):
    # docs/deployment.md: with WECHAT_REVOCABLE_SESSIONS "a copy of the session taken before
    # sign-out is signed out at its next request", and "a second app sharing the LoginManager
    # without WeChat(app) cannot check a generation and refuses such cookies". The second
    # app refuses the remember cookie, but the session cookie it shares carries the same
    # sign-in: its wrapped loader finds no WeChat state and hands the id over unchecked, so
    # the copy taken before sign-out still opens the admin site.
    site = _app(wechat_emulator, _sqlite(tmp_path), WECHAT_REVOCABLE_SESSIONS=True)
    admin = _admin_sharing(site)
    browser = site.test_client()
    sign_in(browser, wechat_emulator)
    copied = browser.get_cookie("session").value  # type: ignore[union-attr]
    on_site = _copy(site, browser, "session")
    on_admin = admin.test_client()
    on_admin.set_cookie("session", copied)
    assert on_admin.get("/").data == b"in:lilei"  # positive control: the apps share it
    sign_out(browser)
    assert on_site.get("/").data == b"anon"  # the site: signed out, as promised
    on_admin = admin.test_client()
    on_admin.set_cookie("session", copied)
    assert on_admin.get("/").data == b"anon"


def test_a_session_opened_with_a_stolen_remember_cookie_ends_on_a_second_app_too(
    wechat_emulator, tmp_path
):
    # docs/deployment.md: "a session that a remember cookie started, at every request: a
    # session opened with a stolen remember cookie ends at sign-out too". The thief replays
    # the stolen remember cookie on the site before the person signs out; the session it
    # gets is checked on the site, but not on the admin app that shares the LoginManager.
    site = _app(wechat_emulator, _sqlite(tmp_path), WECHAT_REMEMBER=True)
    admin = _admin_sharing(site)
    browser = site.test_client()
    sign_in(browser, wechat_emulator)
    thief = _copy(site, browser, "remember_token")
    assert thief.get("/").data == b"in:lilei"  # replayed before sign-out: a session
    replayed = thief.get_cookie("session").value  # type: ignore[union-attr]
    sign_out(browser)
    assert thief.get("/").data == b"anon"  # the site: ended, as promised
    on_admin = admin.test_client()
    on_admin.set_cookie("session", replayed)
    assert on_admin.get("/").data == b"anon"


# -- remember cookies the generation does not cover -----------------------------------------


def test_sign_out_everywhere_ends_the_apps_own_remember_cookies(wechat_emulator, tmp_path):
    # SQL storage (it keeps generations), WECHAT_REMEMBER off (WeChat sign-ins are not
    # remembered), and the app's own password form with "remember me". The account is
    # compromised; an admin calls sign_out_everywhere, whose docstring promises to "end every
    # sign-in of user, in every browser", and which raises SettingsError when it cannot. It
    # neither raises nor ends the attacker's remember cookie: generations are "in use" only
    # with WECHAT_REMEMBER or WECHAT_REVOCABLE_SESSIONS, so the app's own login_user(
    # remember=True) wrote an untagged cookie, which is accepted as before.
    app = _with_own_logout_and_remember(_app(wechat_emulator, _sqlite(tmp_path)))
    attacker = app.test_client()
    attacker.post("/password-login-remember", data={"username": "hanmeimei"})
    stolen = _copy(app, attacker, "remember_token")
    assert stolen.get("/").data == b"in:hanmeimei"  # positive control
    try:
        with app.app_context():
            app.wechat.sign_out_everywhere(Person("hanmeimei"))  # type: ignore[attr-defined]
    except SettingsError:
        return  # refusing to promise what it cannot do is honest too
    assert _copy(app, attacker, "remember_token").get("/").data == b"anon"


def test_sign_out_still_ends_remember_cookies_made_while_wechat_remember_was_on(
    wechat_emulator, tmp_path
):
    # A site had WECHAT_REMEMBER on (SQL storage) and turns it off at a redeploy. Remember
    # cookies made before carry a generation and are still checked and accepted (they last
    # REMEMBER_COOKIE_DURATION, 365 days). But sign-out now ends the generation only when
    # generations are "in use" (extension._forget_token), so after the person signs out a
    # stolen cookie keeps signing them in: the one thing the generation was for.
    storage = _sqlite(tmp_path)
    before = _app(wechat_emulator, storage, WECHAT_REMEMBER=True)
    browser = before.test_client()
    sign_in(browser, wechat_emulator)
    stolen_value = browser.get_cookie("remember_token").value  # type: ignore[union-attr]
    after = _app(wechat_emulator, storage)  # redeployed with WECHAT_REMEMBER off
    after.people["lilei"] = Person("lilei")  # type: ignore[attr-defined]
    browser.application = after
    thief = after.test_client()
    thief.set_cookie("remember_token", stolen_value)
    assert thief.get("/").data == b"in:lilei"  # still accepted before sign-out, as documented
    thief = after.test_client()
    thief.set_cookie("remember_token", stolen_value)
    sign_out(browser)  # the person signs out (the browser's session is still lilei's)
    assert browser.get("/").data == b"anon"
    assert thief.get("/").data == b"anon"


# -- Flask-Session and the app's own sign-in ------------------------------------------------


def _flask_session_app(wechat_emulator: Any, redis_url: str, **config: Any) -> Flask:
    flask_session = pytest.importorskip("flask_session")
    redis = pytest.importorskip("redis")
    app = _app(
        wechat_emulator,
        make_storage("redis", redis_url),
        SESSION_TYPE="redis",
        SESSION_REDIS=redis.Redis.from_url(redis_url),
        **config,
    )
    flask_session.Session(app)
    return _with_own_logout_and_remember(app)


def test_flask_session_a_copy_taken_before_the_apps_own_sign_in_never_becomes_signed_in(
    wechat_emulator, redis_url
):
    # docs/deployment.md, Flask-Session row: "a copy taken before sign-in never becomes the
    # signed-in session: the session gets a new id at sign-in", and the same page: "The app's
    # own login_user() (a password form beside WeChat) records the generation too". The
    # extension sees every login_user (user_logged_in, where it records the generation) but
    # renews the session only in WeChat's sign-in: a session id planted in (or copied from)
    # the browser before the password sign-in is the signed-in session.
    app = _flask_session_app(wechat_emulator, redis_url, WECHAT_REVOCABLE_SESSIONS=True)
    browser = app.test_client()
    browser.get("/wechat/login?lang=en")  # something in the session, so there is a cookie
    copy = _copy(app, browser, "session")
    browser.post("/password-login", data={"username": "hanmeimei"})
    assert browser.get("/").data == b"in:hanmeimei"
    assert copy.get("/").data == b"anon"


def test_flask_session_a_copy_taken_before_the_apps_own_sign_out_is_not_the_next_persons(
    wechat_emulator, redis_url
):
    # Issue 18's second case, through the app's own logout_user() (which the extension
    # hooks, user_logged_out, to end the generation): the session keeps its id, so a copy
    # taken before that sign-out becomes the next person's session in that browser when
    # they sign in with the app's own form.
    app = _flask_session_app(wechat_emulator, redis_url, WECHAT_REVOCABLE_SESSIONS=True)
    shared = app.test_client()  # a shared computer
    shared.post("/password-login", data={"username": "lilei"})
    copy = _copy(app, shared, "session")
    shared.post("/own-logout")
    assert copy.get("/").data == b"anon"
    shared.post("/password-login", data={"username": "hanmeimei"})  # the next person
    assert shared.get("/").data == b"in:hanmeimei"
    assert copy.get("/").data == b"anon"
