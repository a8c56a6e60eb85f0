"""A small app signed in through the emulator, as a real user of the extension would write it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_login import LoginManager, UserMixin, current_user

from flask_wechat import WeChat, WeChatProfile
from flask_wechat.errors import RefreshTokenExpired

pytest_plugins = ("pytester",)


class User(UserMixin):
    def __init__(self, profile: WeChatProfile) -> None:
        self.id = profile.id
        self.nickname = profile.nickname
        self.avatar_url = profile.avatar_url


@pytest.fixture
def make_app(wechat_emulator: Any) -> Callable[..., Flask]:
    """Build an app configured for the emulator; keyword arguments override config."""

    def make(**config: Any) -> Flask:
        app = Flask(__name__)
        app.config.update(
            SECRET_KEY="test-secret-key",
            TESTING=True,
            **wechat_emulator.config,
        )
        app.config.update(config)
        users: dict[str, User] = {}
        app.users = users  # type: ignore[attr-defined]
        app.refused = set()  # type: ignore[attr-defined]
        manager = LoginManager(app)
        manager.user_loader(users.get)
        wechat = WeChat(app)

        @wechat.profile_handler
        def user_for(profile: WeChatProfile, token: dict) -> User | None:
            if profile.openid in app.refused:  # type: ignore[attr-defined]
                return None
            return users.setdefault(profile.id, User(profile))

        @app.get("/")
        def index() -> str:
            if current_user.is_authenticated:
                return f"signed in as {current_user.nickname}"
            return "anonymous"

        @app.get("/account")
        def account() -> str:
            return render_template_string(
                '{% from "wechat/macros.html" import logout_button %}{{ logout_button() }}'
            )

        @app.get("/me/wechat")
        def wechat_api() -> Any:
            try:
                return wechat.session.get("/sns/userinfo").json()
            except RefreshTokenExpired:
                return "sign in again", 401

        @app.get("/me/check")
        def wechat_check() -> str:
            return "valid" if wechat.check_token() else "invalid"

        @app.get("/private/page")
        def private() -> str:
            return "private"

        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


class _Everything(logging.Handler):
    """Records every record of every logger, formatted as a log file would show it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line() -> Any:
    """Every line any logger of this process writes, at DEBUG, formatted as a log file shows it."""
    root = logging.getLogger()
    handler, level = _Everything(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


# Real PostgreSQL and Redis servers for the storage tests (started on first use).
from .servers import postgresql_server, postgresql_url, redis_server, redis_url  # noqa: E402, F401
