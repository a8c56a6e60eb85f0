"""What the three contenders share: the app around the sign-in, and its users."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_login import LoginManager, UserMixin

from flask_wechat.emulator import WEBSITE_APP_ID, WEBSITE_APP_SECRET

#: The emulator's seeded website app (emulator-only test credentials).
APP_ID = WEBSITE_APP_ID
APP_SECRET = WEBSITE_APP_SECRET
SCOPE = "snsapi_login"


class User(UserMixin):
    def __init__(self, user_id: str, nickname: str) -> None:
        self.id = user_id
        self.nickname = nickname


Users = dict[str, User]


def remember(users: Users, user_id: str, nickname: str) -> User:
    """Load or create the user: the same one-line "database" for every contender."""
    user = users.get(user_id)
    if user is None:
        user = users[user_id] = User(user_id, nickname)
    return user


@dataclass
class Contender:
    """One way to sign in with WeChat, as an app the benchmark drives in-process.

    ``authorize_path`` mints a state (kept in the session) and redirects to WeChat
    with it; ``callback_path`` is the ``redirect_uri``, which must check that state,
    get the token and the userinfo, log the user in and redirect to ``/``.
    """

    name: str
    app: Flask
    authorize_path: str
    callback_path: str
    users: Users


def make_app(import_name: str) -> tuple[Flask, Users]:
    """A Flask app with Flask-Login and an in-memory user table.

    The emulator speaks plain http, which oauthlib refuses: the caller sets
    ``OAUTHLIB_INSECURE_TRANSPORT=1`` first (``bench.run`` does; the smoke test uses
    ``monkeypatch``), so that the setting does not leak into other code.
    """
    app = Flask(import_name)
    app.config.update(SECRET_KEY="bench-secret-key")
    users: Users = {}
    LoginManager(app).user_loader(users.get)

    @app.get("/")
    def index() -> str:
        return "home"

    return app, users
