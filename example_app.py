"""The flask-wechat example: a small tea-house site with WeChat sign-in.

    make demo            # or: python example_app.py

With no ``WECHAT_APP_ID`` in the environment it starts the local WeChat
emulator beside itself and signs in against it: open http://127.0.0.1:5000,
press the WeChat button, pick a test person and press Confirm. With real
credentials (``WECHAT_APP_ID``, ``WECHAT_APP_SECRET``, served over https on
the callback domain registered for the app) it signs in with WeChat itself.

Users live in a SQLite file in ``instance/``, so they survive restarts. The
top-level ``templates/`` and ``static/`` show how an app brands the bundled
pages: ``templates/wechat/base.html`` overrides the extension's own. The
example's own pages speak the language flask-wechat chose for the person
(``flask_wechat.i18n.select_locale``: ``?lang=``, the choice remembered from the
sign-in page's switch, ``Accept-Language``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required

from flask_wechat import WeChat, WeChatProfile
from flask_wechat.i18n import LANGUAGES, select_locale

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,      -- WeChatProfile.id: the unionid, else the openid
    openid TEXT NOT NULL,
    unionid TEXT,
    nickname TEXT,
    avatar_url TEXT,
    created_at REAL NOT NULL,
    last_sign_in REAL NOT NULL
)
"""


#: The example's own words in Chinese; English is the key. (An app with many pages would
#: use Flask-Babel, whose locale flask-wechat then follows.)
WORDS = {
    "zh_Hans": {
        "Members see the tea menu. Sign in with WeChat to become one.": (
            "会员可以看到茶单。用微信登录，即可成为会员。"
        ),
        "Sign in": "登录",
        "Welcome, ": "欢迎，",
        "You are signed in with WeChat.": "你已用微信登录。",
        "Your account": "你的账号",
        "WeChat id:": "微信 ID：",
        "Back to the tea house": "返回茶馆",
        "Sign out": "退出登录",
        "Language": "语言",
    },
    "zh_Hant": {
        "Members see the tea menu. Sign in with WeChat to become one.": (
            "會員可以看到茶單。用微信登入，即可成為會員。"
        ),
        "Sign in": "登入",
        "Welcome, ": "歡迎，",
        "You are signed in with WeChat.": "你已用微信登入。",
        "Your account": "你的帳號",
        "WeChat id:": "微信 ID：",
        "Back to the tea house": "返回茶館",
        "Sign out": "登出",
        "Language": "語言",
    },
}


class User(UserMixin):
    def __init__(self, row: sqlite3.Row) -> None:
        self.id = row["id"]
        self.nickname = row["nickname"] or "WeChat user"
        self.avatar_url = row["avatar_url"]
        self.created_at = row["created_at"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY"),
        WECHAT_SITE_NAME="Teahouse 茶馆",
        DATABASE=str(Path(app.instance_path) / "example_users.sqlite3"),
    )
    app.config.update({k: v for k, v in os.environ.items() if k.startswith("WECHAT_")})
    app.config.update(config or {})
    if not app.config.get("WECHAT_APP_ID") and not app.config.get("WECHAT_API_BASE_URL"):
        _use_emulator(app)
    if not app.config["SECRET_KEY"]:
        if not _on_this_machine(app.config.get("WECHAT_API_BASE_URL")):
            # Real people would sign in: a known key lets anyone forge their sessions.
            raise RuntimeError(
                "SECRET_KEY is not set: with real WeChat credentials the example app needs "
                "a secret key of its own, e.g. SECRET_KEY=$(python -c "
                "'import secrets; print(secrets.token_hex(32))')"
            )
        app.config["SECRET_KEY"] = "dev only: the emulator's test people"  # noqa: S105

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(app.config["DATABASE"]) as db:
        db.execute(SCHEMA)

    login_manager = LoginManager(app)
    login_manager.login_view = "wechat.login"
    wechat = WeChat(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        row = _db().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return User(row) if row else None

    @wechat.profile_handler
    def user_for(profile: WeChatProfile, token: dict) -> User:
        now = time.time()
        db = _db()
        # Key on profile.id (unionid when WeChat gives one), and link an account
        # first seen by openid alone once its unionid shows up.
        db.execute(
            "UPDATE users SET id = ? WHERE id = ? AND ? IS NOT NULL",
            (profile.id, profile.openid, profile.unionid),
        )
        db.execute(
            """INSERT INTO users
                   (id, openid, unionid, nickname, avatar_url, created_at, last_sign_in)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET nickname = excluded.nickname,
                   avatar_url = excluded.avatar_url, last_sign_in = excluded.last_sign_in""",
            (
                profile.id,
                profile.openid,
                profile.unionid,
                profile.nickname,
                profile.avatar_url,
                now,
                now,
            ),
        )
        db.commit()
        return load_user(profile.id)

    @app.context_processor
    def language() -> dict[str, Any]:
        locale = select_locale()  # flask-wechat's choice, so every page agrees
        words = WORDS.get(locale, {})
        return {
            "t": lambda text: words.get(text, text),
            "page_lang": LANGUAGES[locale][0],
            "page_languages": [
                {
                    "tag": tag,
                    "name": name,
                    "current": code == locale,
                    "url": url_for(request.endpoint or "index", lang=tag),
                }
                for code, (tag, name) in LANGUAGES.items()
            ],
        }

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    @app.get("/account")
    @login_required
    def account() -> str:
        return render_template("account.html", user=current_user)

    @app.teardown_appcontext
    def close_db(_error: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    return app


def _db() -> sqlite3.Connection:
    from flask import current_app

    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    return g.db


def _on_this_machine(url: str | None) -> bool:
    host = urlsplit(url or "https://api.weixin.qq.com").hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def _use_emulator(app: Flask) -> None:
    """Start the local WeChat emulator and point the extension at it."""
    from flask_wechat.emulator import DEFAULT_CALLBACK_DOMAINS, EmulatorServer, World

    # The emulator speaks plain http on loopback; oauthlib only allows that
    # when told to. Real WeChat is https, and real deployments never set this.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    port = int(os.environ.get("WECHAT_EMULATOR_PORT", "5051"))
    # Official-account authorize refuses a callback with a port; registering the demo's
    # loopback host:port is the emulator's one leniency (WeChat needs 80/443).
    site_port = os.environ.get("PORT", "5000")
    domains = (*DEFAULT_CALLBACK_DOMAINS, f"127.0.0.1:{site_port}", f"localhost:{site_port}")
    emulator = EmulatorServer(World(callback_domains=domains), port=port).start()
    app.config.update(emulator.config)
    app.extensions["wechat_emulator"] = emulator
    print(f" * WeChat emulator on {emulator.url} (no WECHAT_APP_ID set)")


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    create_app().run(host=host, port=port, use_reloader=False)
