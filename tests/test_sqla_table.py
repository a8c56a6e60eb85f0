"""SQLAlchemyStorage creates its table only when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")

from flask_wechat.sqla import SQLAlchemyStorage  # noqa: E402


def _engine(tmp_path: Path) -> tuple[Any, list[str]]:
    """An engine on a fresh SQLite file, and the list of statements it runs."""
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    statements: list[str] = []

    @sqlalchemy.event.listens_for(engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    return engine, statements


def _tables(engine: Any) -> list[str]:
    return sqlalchemy.inspect(engine).get_table_names()


def test_the_constructor_runs_no_sql(tmp_path: Path) -> None:
    engine, statements = _engine(tmp_path)
    SQLAlchemyStorage(engine)
    assert statements == []
    assert _tables(engine) == []


def test_create_table_creates_it_once(tmp_path: Path) -> None:
    engine, _ = _engine(tmp_path)
    storage = SQLAlchemyStorage(engine, "tokens")
    storage.create_table()
    storage.create_table()  # already there: nothing happens
    assert sorted(_tables(engine)) == ["tokens", "wechat_memory", "wechat_sign_ins"]


def test_the_apps_own_metadata_creates_it_with_the_rest(tmp_path: Path) -> None:
    # What an app's migrations (or metadata.create_all) see: the table is in its MetaData.
    engine, _ = _engine(tmp_path)
    metadata = sqlalchemy.MetaData()
    SQLAlchemyStorage(engine, metadata=metadata)
    assert sorted(metadata.tables) == ["wechat_memory", "wechat_sign_ins", "wechat_tokens"]
    metadata.create_all(engine)
    assert sorted(_tables(engine)) == ["wechat_memory", "wechat_sign_ins", "wechat_tokens"]


@pytest.mark.parametrize("flag", [True, False])
def test_the_old_constructor_flag_still_works_with_a_warning(tmp_path: Path, flag: bool) -> None:
    engine, _ = _engine(tmp_path)
    with pytest.warns(DeprecationWarning, match=r"create_table\(\)"):
        SQLAlchemyStorage(engine, create_table=flag)
    assert sorted(_tables(engine)) == (
        ["wechat_memory", "wechat_sign_ins", "wechat_tokens"] if flag else []
    )
