"""Token storage in a SQL table, with SQLAlchemy Core.

``pip install "flask-wechat-login[sqlalchemy]"``, then::

    from sqlalchemy import create_engine
    from flask_wechat.sqla import SQLAlchemyStorage

    wechat = WeChat(app, storage=SQLAlchemyStorage(create_engine("sqlite:///app.db")))

One row per user (``user.get_id()``), replaced at each sign-in and refresh,
deleted at sign-out. The row holds the access and refresh tokens: protect the
database like any other credential store.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from sqlalchemy import Column, Float, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.engine import Engine

from .storage import Token


class SQLAlchemyStorage:
    """Keep each user's WeChat token in ``table_name`` (created if missing)."""

    def __init__(
        self,
        engine: Engine,
        table_name: str = "wechat_tokens",
        *,
        user_id: Callable[[Any], str] = lambda user: str(user.get_id()),
        metadata: MetaData | None = None,
        create_table: bool = True,
    ) -> None:
        self.engine = engine
        self.user_id = user_id
        self.table = Table(
            table_name,
            metadata if metadata is not None else MetaData(),
            Column("user_id", String(255), primary_key=True),
            Column("token", Text, nullable=False),
            Column("updated_at", Float, nullable=False),
        )
        if create_table:
            self.table.create(engine, checkfirst=True)

    def load(self, user: Any) -> Token | None:
        """The token saved for ``user``, or ``None``."""
        query = select(self.table.c.token).where(self.table.c.user_id == self.user_id(user))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return json.loads(row[0]) if row else None

    def save(self, user: Any, token: Token) -> None:
        """Replace ``user``'s row with ``token``."""
        key = self.user_id(user)
        with self.engine.begin() as connection:  # one transaction: no moment without a row
            connection.execute(delete(self.table).where(self.table.c.user_id == key))
            connection.execute(
                insert(self.table).values(
                    user_id=key, token=json.dumps(token), updated_at=time.time()
                )
            )

    def delete(self, user: Any) -> None:
        """Delete ``user``'s row."""
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.user_id == self.user_id(user)))
