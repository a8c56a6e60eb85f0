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

Accounts and WeChat are two tables, as on a site that had accounts before it had
WeChat: two password-less demo accounts (Mei and Tao) sign in with a button, and
their account page connects WeChat (``wechat.connect``) and disconnects it. A
person who first comes with WeChat gets an account whose only way in is WeChat,
which therefore cannot be disconnected. The demo accounts exist only while the
example runs against WeChat on this machine (the emulator): on a public site
anyone could use them (``DEMO_ACCOUNTS`` decides).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user

from flask_wechat import WeChat, WeChatProfile, csrf, signals
from flask_wechat.errors import AlreadyConnected, DisconnectRefused, FormExpired
from flask_wechat.i18n import LANGUAGES, select_locale

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    nickname TEXT NOT NULL,
    avatar_url TEXT,
    demo INTEGER NOT NULL DEFAULT 0,  -- 1: a password-less demo account, signs in without WeChat
    created_at REAL NOT NULL,
    last_sign_in REAL
);
CREATE TABLE IF NOT EXISTS wechat_accounts (
    wechat_id TEXT PRIMARY KEY,       -- WeChatProfile.id: the unionid, else the openid
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id),  -- one WeChat per account, and back
    openid TEXT NOT NULL,
    unionid TEXT,
    nickname TEXT,
    avatar_url TEXT,
    connected_at REAL NOT NULL
);
"""

#: The password-less demo accounts: id -> nickname.
DEMO_ACCOUNTS = {"demo-mei": "Mei 小梅", "demo-tao": "Tao 小涛"}


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
        "Or try a demo account, without a password or WeChat:": "或试用演示账号，无需密码或微信：",
        "Sign in as {name}": "以 {name} 登录",
        "You are signed in with a demo account.": "你已用演示账号登录。",
        "WeChat": "微信",
        "Connected to": "已绑定",
        "Not connected": "未绑定",
        "Connect WeChat to sign in with it next time.": "绑定微信后，下次可用微信登录。",
        "Connect WeChat": "绑定微信",
        "Disconnect WeChat": "解绑微信",
        "WeChat is now connected to your account.": "微信已绑定到你的账号。",
        "WeChat is disconnected from your account.": "已解绑微信。",
        "WeChat is the only way you sign in to this account, so it stays connected.": (
            "微信是你登录此账号的唯一方式，因此不能解绑。"
        ),
        "This form has expired. Please try again.": "此表单已失效，请重试。",
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
        "Or try a demo account, without a password or WeChat:": "或試用示範帳號，無需密碼或微信：",
        "Sign in as {name}": "以 {name} 登入",
        "You are signed in with a demo account.": "你已用示範帳號登入。",
        "WeChat": "微信",
        "Connected to": "已綁定",
        "Not connected": "未綁定",
        "Connect WeChat to sign in with it next time.": "綁定微信後，下次可用微信登入。",
        "Connect WeChat": "綁定微信",
        "Disconnect WeChat": "解除綁定微信",
        "WeChat is now connected to your account.": "微信已綁定到你的帳號。",
        "WeChat is disconnected from your account.": "已解除綁定微信。",
        "WeChat is the only way you sign in to this account, so it stays connected.": (
            "微信是你登入此帳號的唯一方式，因此無法解除綁定。"
        ),
        "This form has expired. Please try again.": "此表單已失效，請重試。",
    },
}


def words(text: str) -> str:
    """``text`` in the person's language (flask-wechat's choice, so every page agrees)."""
    return WORDS.get(select_locale(), {}).get(text, text)


class User(UserMixin):
    def __init__(self, row: sqlite3.Row) -> None:
        self.id = row["id"]
        self.nickname = row["nickname"] or "WeChat user"
        self.avatar_url = row["avatar_url"]
        self.created_at = row["created_at"]
        #: A demo account signs in with its button; the others only with WeChat.
        self.demo = bool(row["demo"])

    @property
    def wechat(self) -> sqlite3.Row | None:
        """The WeChat account connected to this one, if any."""
        return (
            _db()
            .execute(  # type: ignore[no-any-return]
                "SELECT * FROM wechat_accounts WHERE user_id = ?", (self.id,)
            )
            .fetchone()
        )


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY"),
        WECHAT_SITE_NAME="Teahouse 茶馆",
        # A new file for 0.2's two tables (accounts, and the WeChat connected to each).
        DATABASE=str(Path(app.instance_path) / "teahouse.sqlite3"),
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
    # Shared accounts anyone may use: only while WeChat itself is the emulator.
    app.config.setdefault("DEMO_ACCOUNTS", _on_this_machine(app.config.get("WECHAT_API_BASE_URL")))

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(app.config["DATABASE"]) as db:
        db.executescript(SCHEMA)
        if app.config["DEMO_ACCOUNTS"]:
            db.executemany(
                "INSERT OR IGNORE INTO users (id, nickname, demo, created_at) VALUES (?, ?, 1, ?)",
                [(key, name, time.time()) for key, name in DEMO_ACCOUNTS.items()],
            )

    login_manager = LoginManager(app)
    login_manager.login_view = "wechat.login"
    wechat = WeChat(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        row = _db().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return User(row) if row else None

    @wechat.profile_handler
    def user_for(profile: WeChatProfile, token: dict) -> User | None:
        """Who this WeChat signs in: the account it is connected to, or a new one."""
        now = time.time()
        db = _db()
        if profile.unionid:  # a WeChat first seen by openid alone, keyed by its unionid now
            db.execute(
                """UPDATE OR IGNORE wechat_accounts SET wechat_id = ?, unionid = ?
                   WHERE wechat_id = ?""",
                (profile.id, profile.unionid, profile.openid),
            )
        row = db.execute(
            "SELECT user_id FROM wechat_accounts WHERE wechat_id = ?", (profile.id,)
        ).fetchone()
        if row is None:  # a newcomer: an account of their own, with WeChat its only way in
            user_id = "wx-" + secrets.token_hex(8)
            db.execute(
                """INSERT INTO users (id, nickname, avatar_url, created_at, last_sign_in)
                   VALUES (?, ?, ?, ?, ?)""",
                (user_id, profile.nickname, profile.avatar_url, now, now),
            )
            _remember_wechat(db, user_id, profile, now)
        else:
            user_id = row["user_id"]
            db.execute(
                "UPDATE wechat_accounts SET nickname = ?, avatar_url = ? WHERE wechat_id = ?",
                (profile.nickname, profile.avatar_url, profile.id),
            )
            # An account WeChat made shows WeChat's nickname and avatar; a demo keeps its own.
            db.execute(
                """UPDATE users SET last_sign_in = ?,
                       nickname = CASE demo WHEN 0 THEN ? ELSE nickname END,
                       avatar_url = CASE demo WHEN 0 THEN ? ELSE avatar_url END
                   WHERE id = ?""",
                (now, profile.nickname, profile.avatar_url, user_id),
            )
        db.commit()
        return load_user(user_id)

    @wechat.connect_handler
    def connect_wechat(user: User, profile: WeChatProfile, token: dict) -> None:
        """Connect this WeChat to ``user``, unless another account has it."""
        db = _db()
        owner = db.execute(
            "SELECT user_id FROM wechat_accounts WHERE wechat_id = ?", (profile.id,)
        ).fetchone()
        if owner is not None and owner["user_id"] != user.id:
            raise AlreadyConnected("this WeChat is connected to another account")
        db.execute("DELETE FROM wechat_accounts WHERE user_id = ?", (user.id,))  # one each
        _remember_wechat(db, user.id, profile, time.time())
        db.commit()

    @wechat.disconnect_handler
    def disconnect_wechat(user: User) -> None:
        """Disconnect WeChat, unless it is the only way into this account."""
        if not user.demo:
            raise DisconnectRefused(
                "WeChat is this account's only way in",
                reason=words(
                    "WeChat is the only way you sign in to this account, so it stays connected."
                ),
            )
        db = _db()
        db.execute("DELETE FROM wechat_accounts WHERE user_id = ?", (user.id,))
        db.commit()

    # The signals tell the person what happened, on the page they go back to.
    @signals.connected.connect_via(app)
    def say_connected(sender: Flask, **extra: Any) -> None:
        flash(words("WeChat is now connected to your account."))

    @signals.disconnected.connect_via(app)
    def say_disconnected(sender: Flask, **extra: Any) -> None:
        flash(words("WeChat is disconnected from your account."))

    @app.context_processor
    def language() -> dict[str, Any]:
        locale = select_locale()  # flask-wechat's choice, so every page agrees
        endpoint = request.endpoint if request.method == "GET" else "index"
        return {
            "t": words,
            "page_lang": LANGUAGES[locale][0],
            "page_languages": [
                {
                    "tag": tag,
                    "name": name,
                    "current": code == locale,
                    "url": url_for(endpoint or "index", lang=tag),
                }
                for code, (tag, name) in LANGUAGES.items()
            ],
        }

    @app.get("/")
    def index() -> str:
        return render_template("index.html", demo_accounts=_demo_accounts())

    @app.post("/demo-sign-in")
    def demo_sign_in() -> Any:
        """A demo account's button: no password, no WeChat (and only on this machine)."""
        if not app.config["DEMO_ACCOUNTS"]:
            abort(404)
        try:
            csrf.check()  # the same token as the sign-out form's
        except FormExpired:
            page = render_template("index.html", demo_accounts=_demo_accounts(), expired=True)
            return page, 400
        user = load_user(request.form.get("account", ""))
        if user is None or not user.demo:
            abort(400)
        login_user(user)
        session["teahouse_demo"] = True  # a WeChat sign-in starts a fresh session without it
        return redirect(url_for("account"))

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


def _demo_accounts() -> list[User]:
    if not current_app.config["DEMO_ACCOUNTS"]:
        return []
    rows = _db().execute("SELECT * FROM users WHERE demo = 1 ORDER BY id").fetchall()
    return [User(row) for row in rows]


def _remember_wechat(
    db: sqlite3.Connection, user_id: str, profile: WeChatProfile, now: float
) -> None:
    db.execute(
        """INSERT INTO wechat_accounts
               (wechat_id, user_id, openid, unionid, nickname, avatar_url, connected_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            profile.id,
            user_id,
            profile.openid,
            profile.unionid,
            profile.nickname,
            profile.avatar_url,
            now,
        ),
    )


def _db() -> sqlite3.Connection:
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
