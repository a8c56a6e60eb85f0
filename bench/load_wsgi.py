"""The site ``bench/load.py`` serves from two gunicorn "hosts", built as production builds it.

``gunicorn 'bench.load_wsgi:create_app()'`` with, in the environment:

* ``SECRET_KEY``, the same on every host;
* ``LOAD_DATABASE_URL``: PostgreSQL (SQLAlchemy URL), shared by the hosts: the people
  (``load_users``), their WeChat tokens (:class:`~flask_wechat.sqla.SQLAlchemyStorage`)
  and the extension's replay memory (the storage's, ``wechat_memory``);
* ``LOAD_REDIS_URL``: Redis, shared by the hosts: the server-side sessions
  (Flask-Session) and the rate limits (Flask-Limiter);
* ``WECHAT_*`` pointing at the emulator.

The hosts sit behind a load balancer that sets ``X-Forwarded-For`` (``ProxyFix``
trusts one hop), so each browser has an address of its own for the rate limits.

A person the site knows signs in with one call to WeChat: the profile handler reads
only ``profile.id`` for them; a newcomer's nickname is read (``/sns/userinfo``) once,
when their account is made. ``/account`` shows the person the session belongs to;
``/account/wechat`` asks WeChat for their profile now, through the token stored at
sign-in (:attr:`WeChat.session <flask_wechat.WeChat.session>`), which refreshes it when
WeChat says it expired. Every response names the worker that served it
(``X-Worker-Pid``). :func:`create_tables` makes the tables once, before the hosts start.
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

import redis
from flask import Flask, Response, render_template_string
from flask_limiter import Limiter
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_session import Session
from sqlalchemy import Column, Float, MetaData, String, Table, create_engine, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_wechat import WeChat, WeChatProfile
from flask_wechat.limits import client_address
from flask_wechat.sqla import SQLAlchemyStorage

metadata = MetaData()
users = Table(
    "load_users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("wechat_id", String(255), nullable=False, unique=True),
    Column("nickname", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_sign_in", Float, nullable=False),
)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><h1 class="teahouse-nickname">{{ nickname }}</h1></body></html>"""


class User(UserMixin):
    def __init__(self, row: Any) -> None:
        self.id = row.id
        self.nickname = row.nickname


def engine_for(url: str) -> Engine:
    # A few connections per worker; a gevent or gthread worker runs many requests at once.
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def create_tables(url: str) -> None:
    """Create the site's tables and the extension's (once, before the hosts start)."""
    engine = engine_for(url)
    metadata.create_all(engine)
    SQLAlchemyStorage(engine).create_table()  # tokens, sign-in generations, replay memory
    engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    app.config.update(
        SECRET_KEY=os.environ["SECRET_KEY"],
        SESSION_TYPE="redis",
        SESSION_REDIS=redis.Redis.from_url(os.environ["LOAD_REDIS_URL"]),
        WECHAT_SITE_NAME="Teahouse 茶馆",
    )
    app.config.update({k: v for k, v in os.environ.items() if k.startswith("WECHAT_")})
    Session(app)
    engine = engine_for(os.environ["LOAD_DATABASE_URL"])
    limiter = Limiter(client_address, app=app, storage_uri=os.environ["LOAD_REDIS_URL"])
    wechat = WeChat(app, storage=SQLAlchemyStorage(engine), limiter=limiter)
    login_manager = LoginManager(app)
    login_manager.login_view = "wechat.login"

    def find(query: Any) -> User | None:
        with engine.connect() as db:
            row = db.execute(query).first()
        return User(row) if row is not None else None

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return find(select(users).where(users.c.id == user_id))

    @wechat.profile_handler
    def user_for(profile: WeChatProfile, token: dict) -> User | None:
        """Who this WeChat signs in: the account it already has, or a new one."""
        now = time.time()
        with engine.begin() as db:
            found = db.execute(
                update(users)
                .where(users.c.wechat_id == profile.id)
                .values(last_sign_in=now)
                .returning(users.c.id)
            ).first()
        if found is None:  # a newcomer: WeChat's nickname, read once (/sns/userinfo)
            nickname = profile.nickname or "WeChat user"
            with engine.begin() as db:
                db.execute(
                    insert(users)
                    .values(
                        id="wx-" + secrets.token_hex(8),
                        wechat_id=profile.id,
                        nickname=nickname,
                        created_at=now,
                        last_sign_in=now,
                    )
                    .on_conflict_do_nothing(index_elements=[users.c.wechat_id])
                )
        return find(select(users).where(users.c.wechat_id == profile.id))

    @app.get("/")
    def index() -> str:
        return render_template_string(PAGE, title="Teahouse", nickname="")

    @app.get("/account")
    @login_required
    def account() -> str:
        return render_template_string(PAGE, title="Account", nickname=current_user.nickname)

    @app.get("/account/wechat")
    @login_required
    def wechat_profile() -> str:
        """The person's WeChat profile as WeChat has it now (the stored token, kept fresh)."""
        session = wechat.session
        answer = session.get("/sns/userinfo").json(strict=False)
        if "errcode" in answer:
            raise RuntimeError(f"WeChat answered errcode {answer['errcode']}")
        profile = WeChatProfile.from_userinfo(answer, session.token)
        return render_template_string(PAGE, title="WeChat", nickname=profile.nickname)

    @app.after_request
    def worker_pid(response: Response) -> Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    return app
