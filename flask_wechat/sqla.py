"""Token storage and replay memory in SQL tables, with SQLAlchemy Core.

``pip install "flask-wechat-login[sqlalchemy]"``, then::

    from sqlalchemy import create_engine
    from flask_wechat.sqla import SQLAlchemyStorage

    engine = create_engine("postgresql+psycopg://app@db/app")
    storage = SQLAlchemyStorage(engine)
    storage.create_table()  # or let your migrations create it
    wechat = WeChat(app, storage=storage)

Building the storage runs no SQL. The table is created by
:meth:`SQLAlchemyStorage.create_table`, or by your own migrations: pass your
``MetaData`` and the table is part of it (Alembic's autogenerate sees it).

One row per user (``user.get_id()``), written in one statement (an upsert:
``INSERT ... ON CONFLICT DO UPDATE`` on PostgreSQL and SQLite, ``ON DUPLICATE
KEY UPDATE`` on MySQL and MariaDB), so workers saving one person's token at
the same moment never fail; deleted at sign-out. The row holds the access and
refresh tokens: set ``WECHAT_TOKEN_KEY`` to encrypt them (see
:mod:`flask_wechat.encryption`), and protect the database like any other
credential store.

Each person's sign-in generation (see :mod:`flask_wechat.revocation`) is a
row of a second table, ``wechat_sign_ins``, which :meth:`SQLAlchemyStorage.create_table`
creates too (add it to your migrations when upgrading from 0.1).

A refresh takes the row's lock (``SELECT ... FOR UPDATE``; on SQLite, which
has no row locks, the database's write lock), so concurrent requests of one
person whose token expired refresh it once. The same engine also backs the
replay memory of sign-ins (:class:`SQLMemory`), shared by every process.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from .encryption import codec
from .storage import LockedToken, Token, new_generation

#: Dialects whose INSERT has ``ON CONFLICT ... DO UPDATE``.
_ON_CONFLICT = {"postgresql": "postgresql", "sqlite": "sqlite"}
#: Dialects whose INSERT has ``ON DUPLICATE KEY UPDATE``.
_ON_DUPLICATE_KEY = ("mysql", "mariadb")


def _upsert(
    connection: Connection,
    table: Table,
    key: dict[str, Any],
    values: dict[str, Any],
    updates: dict[str, Any] | None = None,
) -> None:
    """Insert a row, or update the one with the same primary ``key``: one statement.

    ``updates`` (default: ``values``) may use the table's columns, for
    ``count = count + 1``.
    """
    updates = values if updates is None else updates
    dialect = connection.dialect.name
    if dialect in _ON_CONFLICT:
        statement: Any = _dialect_insert(dialect)(table).values(**key, **values)
        connection.execute(statement.on_conflict_do_update(index_elements=list(key), set_=updates))
    elif dialect in _ON_DUPLICATE_KEY:
        statement = _dialect_insert(dialect)(table).values(**key, **values)
        connection.execute(statement.on_duplicate_key_update(**updates))
    else:
        # Any other database: update, else insert; a concurrent insert that won
        # the race turns ours into an update.
        where = [table.c[name] == value for name, value in key.items()]
        if connection.execute(update(table).where(*where).values(**updates)).rowcount:
            return
        try:
            with connection.begin_nested():
                connection.execute(insert(table).values(**key, **values))
        except IntegrityError:
            connection.execute(update(table).where(*where).values(**updates))


class SQLAlchemyStorage:
    """Keep each user's WeChat token in ``table_name``.

    :param engine: where the table lives.
    :param table_name: the table's name.
    :param user_id: the key of a user's row; ``user.get_id()`` by default.
    :param metadata: your app's ``MetaData``, to have the table created and
        migrated with your own tables; a private one by default.
    :param create_table: deprecated; call :meth:`create_table` instead.
    :param keys: overrides ``WECHAT_TOKEN_KEY`` (Fernet keys, the first
        encrypts); by default the current app's setting applies.
    :param sign_ins_table_name: the table of sign-in generations.
    """

    def __init__(
        self,
        engine: Engine,
        table_name: str = "wechat_tokens",
        *,
        user_id: Callable[[Any], str] = lambda user: str(user.get_id()),
        metadata: MetaData | None = None,
        create_table: bool | None = None,
        keys: list[str] | tuple[str, ...] | None = None,
        sign_ins_table_name: str = "wechat_sign_ins",
    ) -> None:
        self.engine = engine
        self.user_id = user_id
        self.keys = keys
        metadata = metadata if metadata is not None else MetaData()
        self.table = Table(
            table_name,
            metadata,
            Column("user_id", String(255), primary_key=True),
            Column("token", Text, nullable=False),
            Column("updated_at", Float, nullable=False),
        )
        #: One row per person signed in: their current sign-in generation.
        self.sign_ins = Table(
            sign_ins_table_name,
            metadata,
            Column("user_id", String(255), primary_key=True),
            Column("generation", String(64), nullable=False),
            Column("started_at", Float, nullable=False),
        )
        self._memory = SQLMemory(engine, metadata=metadata, create_table=False)
        if create_table is not None:
            warnings.warn(
                "SQLAlchemyStorage(create_table=...) is deprecated: the constructor no longer "
                "creates the table; call storage.create_table() or create it in your migrations",
                DeprecationWarning,
                stacklevel=2,
            )
            if create_table:
                self.create_table()

    def create_table(self) -> None:
        """Create the tables unless they exist (``CREATE TABLE`` for each one missing):
        the tokens, the sign-in generations and the replay memory."""
        self.table.create(self.engine, checkfirst=True)
        self.sign_ins.create(self.engine, checkfirst=True)
        self._memory.create_table()

    def load(self, user: Any) -> Token | None:
        """The token saved for ``user``, or ``None``."""
        query = select(self.table.c.token).where(self.table.c.user_id == self.user_id(user))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return codec(self.keys).loads(row[0]) if row else None

    def save(self, user: Any, token: Token) -> None:
        """Store ``token`` as ``user``'s, replacing any earlier one (one upsert)."""
        with self.engine.begin() as connection:
            self._write(connection, self.user_id(user), token)

    def delete(self, user: Any) -> None:
        """Delete ``user``'s row."""
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.user_id == self.user_id(user)))

    @contextmanager
    def refresh_lock(self, user: Any) -> Iterator[LockedToken]:
        """Hold ``user``'s row lock for a refresh; the token is read under the lock.

        The lock is the transaction's: other workers asking for it wait (on
        SQLite, up to the driver's busy timeout, 5 seconds unless the engine's
        ``connect_args={"timeout": ...}`` says otherwise).
        """
        key = self.user_id(user)
        by_user = self.table.c.user_id == key
        with self.engine.begin() as connection:
            query = select(self.table.c.token).where(by_user)
            if connection.dialect.name == "sqlite":
                # SQLite has no row locks: a write takes the database's write
                # lock, which the transaction keeps until it ends.
                touch = self.table.c.updated_at
                connection.execute(update(self.table).where(by_user).values(updated_at=touch))
            else:
                query = query.with_for_update()
            row = connection.execute(query).first()
            yield LockedToken(
                codec(self.keys).loads(row[0]) if row else None,
                lambda token: self._write(connection, key, token),
            )

    def sign_in_generation(self, user_id: str) -> str:
        """``user_id``'s current sign-in generation; a new row if there is none.

        Concurrent first sign-ins race to insert: one wins, the others read its
        row. A sign-out deleting the row in between makes the loser try again.
        """
        by_user = self.sign_ins.c.user_id == user_id
        query = select(self.sign_ins.c.generation).where(by_user)
        for _ in range(3):
            with self.engine.begin() as connection:
                row = connection.execute(query).first()
                if row:
                    return str(row[0])
                generation = new_generation()
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(self.sign_ins).values(
                                user_id=user_id, generation=generation, started_at=time.time()
                            )
                        )
                    return generation
                except IntegrityError:
                    pass
            # Another sign-in inserted first: read its row in a transaction begun after.
            with self.engine.connect() as connection:
                row = connection.execute(query).first()
            if row:
                return str(row[0])
        raise RuntimeError(f"no sign-in generation could be started for {user_id!r}")

    def generation(self, user_id: str) -> str | None:
        """``user_id``'s current sign-in generation, or ``None`` (one ``SELECT``)."""
        query = select(self.sign_ins.c.generation).where(self.sign_ins.c.user_id == user_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return str(row[0]) if row else None

    def end_generation(self, user_id: str) -> None:
        """Delete ``user_id``'s sign-in generation: every copy of their sign-ins ends."""
        with self.engine.begin() as connection:
            connection.execute(delete(self.sign_ins).where(self.sign_ins.c.user_id == user_id))

    def memory(self) -> SQLMemory:
        """The replay memory on the same database, for the extension's sign-ins
        (its table is created by :meth:`create_table`, and is in the same ``MetaData``)."""
        return self._memory

    def _write(self, connection: Connection, key: str, token: Token) -> None:
        values = {"token": codec(self.keys).dumps(token), "updated_at": time.time()}
        _upsert(connection, self.table, {"user_id": key}, values)


class SQLMemory:
    """A :class:`~flask_wechat.replay.ReplayMemory` in a SQL table, shared by every process.

    Rows past their deadline are ignored, replaced when their key comes
    again, and deleted now and then.
    """

    #: Delete expired rows once every this many :meth:`add` calls (per process).
    PURGE_EVERY = 64

    def __init__(
        self,
        engine: Engine,
        table_name: str = "wechat_memory",
        *,
        metadata: MetaData | None = None,
        create_table: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.table = Table(
            table_name,
            metadata if metadata is not None else MetaData(),
            Column("key", String(255), primary_key=True),
            Column("until", Float, nullable=False, index=True),
            Column("count", Integer, nullable=False),
        )
        self._adds = itertools.count(1)
        if create_table:
            self.create_table()

    def create_table(self) -> None:
        """Create the table unless it exists."""
        self.table.create(self.engine, checkfirst=True)

    def add(self, key: str, until: float) -> bool:
        """Remember ``key`` until ``until``: ``True``, or ``False`` if it was remembered."""
        now, table = self.clock(), self.table
        with self.engine.begin() as connection:
            if next(self._adds) % self.PURGE_EVERY == 0:
                connection.execute(delete(table).where(table.c.until <= now))
            if connection.dialect.name in _ON_CONFLICT and connection.dialect.insert_returning:
                insert_into = _dialect_insert(connection.dialect.name)
                statement = insert_into(table).values(key=key, until=until, count=1)
                statement = statement.on_conflict_do_update(
                    index_elements=[table.c.key],
                    set_={"until": until, "count": 1},
                    where=table.c.until <= now,  # only an expired row is replaced
                )
                # A row comes back when one was written: inserted, or expired and replaced.
                return connection.execute(statement.returning(table.c.key)).first() is not None
            # Elsewhere: drop the expired row, then insert; a live row refuses it.
            connection.execute(delete(table).where(table.c.key == key, table.c.until <= now))
            try:
                with connection.begin_nested():
                    connection.execute(insert(table).values(key=key, until=until, count=1))
            except IntegrityError:
                return False
            return True

    def seen(self, key: str) -> bool:
        """Whether ``key`` is remembered now."""
        query = select(self.table.c.key).where(
            self.table.c.key == key, self.table.c.until > self.clock()
        )
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def count(self, key: str, until: float) -> int:
        """Add one to ``key``'s count (from 0 once expired), remembered until ``until``."""
        now, table = self.clock(), self.table
        counted = case((table.c.until <= now, 1), else_=table.c.count + 1)
        with self.engine.begin() as connection:
            _upsert(
                connection,
                table,
                {"key": key},
                {"until": until, "count": 1},
                {"until": until, "count": counted},
            )
            return int(connection.execute(select(table.c.count).where(table.c.key == key)).one()[0])

    def forget(self, key: str) -> None:
        """Forget ``key``."""
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.key == key))


def _dialect_insert(dialect: str) -> Any:
    """The dialect's own ``insert`` (with its upsert clause), imported when first needed."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    if dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects import mysql

        return mysql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert
