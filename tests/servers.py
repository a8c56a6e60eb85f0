"""Real PostgreSQL and Redis servers for the storage tests, started on free ports.

Each server starts once per test session from Debian's binaries (``make test``
installs ``postgresql`` and ``redis-server``) and is stopped at the end. Each
test gets a database of its own on the PostgreSQL server and an emptied Redis.

Without the binaries (or the Python drivers) these tests are skipped with the
reason, except under ``CI=true``, where a missing server is a failure: CI must
never pass by skipping them.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then
belongs to ``nobody``, and ``initdb`` / ``pg_ctl`` run through ``runuser``.

The fixtures wrap two context managers, :func:`running_postgresql` and
:func:`running_redis`, which the load test (``bench/load.py``) uses outside pytest.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import NoReturn

import pytest

#: How long a server may take to accept connections (a loaded 2-core machine).
START_TIMEOUT = 60


class Unavailable(Exception):
    """A server cannot be started here: its binaries or its Python driver are missing."""


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail under ``CI=true``."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: `make server-deps` installs it)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Started:
    """A server the session started, and how long starting it took."""

    url: str
    seconds: float


# -- PostgreSQL ------------------------------------------------------------------------


def _postgres_bindir() -> str | None:
    def version(path: str) -> float:
        try:
            return float(path.split("/")[-2])
        except ValueError:
            return 0.0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(os.path.dirname(on_path))
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, tool), os.X_OK) for tool in ("initdb", "pg_ctl")):
            return bindir
    return None


def _pg(bindir: str, tool: str, *args: str, check: bool = True) -> None:
    """Run one of PostgreSQL's tools; as ``nobody`` when we are root (it refuses root)."""
    command = [os.path.join(bindir, tool), *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "nobody", "--", *command]
    subprocess.run(  # noqa: S603 - Debian's own binaries, our own arguments
        command, check=check, capture_output=True, timeout=START_TIMEOUT
    )


@contextmanager
def running_postgresql() -> Iterator[Started]:
    """A PostgreSQL cluster of its own, on a free loopback port (trust auth), stopped and
    deleted afterwards. Raises :class:`Unavailable` without the binaries or psycopg."""
    bindir = _postgres_bindir()
    if bindir is None:
        raise Unavailable(
            "PostgreSQL's initdb/pg_ctl not found (Debian: apt-get install postgresql)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable("psycopg is not installed (pip install 'psycopg[binary]')") from None
    started = time.monotonic()
    data = tempfile.mkdtemp(prefix="flask-wechat-pg-")
    if os.geteuid() == 0:
        shutil.chown(data, "nobody")
    _pg(bindir, "initdb", "-D", data, "-U", "postgres", "--auth=trust")
    port = free_port()
    options = (
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 "
        # A throwaway cluster: durability buys nothing and costs seconds.
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        _pg(bindir, "pg_ctl", "-D", data, "-o", options, "-l", f"{data}/log", "-w", "start")
    except subprocess.CalledProcessError:
        with open(f"{data}/log", encoding="utf-8", errors="replace") as log:
            failure = f"PostgreSQL did not start on port {port}:\n{log.read()[-2000:]}"
        shutil.rmtree(data, ignore_errors=True)
        raise RuntimeError(failure) from None
    try:
        yield Started(
            f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
            time.monotonic() - started,
        )
    finally:
        _pg(bindir, "pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(data, ignore_errors=True)


def _serving(running: Callable[[], AbstractContextManager[Started]]) -> Iterator[Started]:
    """A session fixture's body: the server, or a skip/fail saying why there is none."""
    try:
        with running() as server:
            yield server
    except Unavailable as missing:
        unavailable(str(missing))
    except RuntimeError as failure:
        pytest.fail(str(failure))


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[Started]:
    """A PostgreSQL cluster of its own, on a free loopback port (trust auth)."""
    yield from _serving(running_postgresql)


_databases = itertools.count(1)


@pytest.fixture
def postgresql_url(postgresql_server: Started) -> Iterator[str]:
    """A new, empty database on the session's PostgreSQL server, dropped afterwards."""
    import psycopg

    name = f"test_{os.getpid()}_{next(_databases)}"
    admin = postgresql_server.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield postgresql_server.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- Redis -----------------------------------------------------------------------------


@contextmanager
def running_redis() -> Iterator[Started]:
    """A Redis server of its own on a free loopback port, without persistence, stopped
    afterwards. Raises :class:`Unavailable` without ``redis-server`` or redis-py."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("redis-server not found (Debian: apt-get install redis-server)")
    try:
        import redis
    except ImportError:
        raise Unavailable("redis-py is not installed (pip install redis)") from None
    started = time.monotonic()
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="flask-wechat-redis-")
    process = subprocess.Popen(  # noqa: S603 - Debian's redis-server, our own arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--daemonize", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        client.close()
        yield Started(url, time.monotonic() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Started]:
    """A Redis server of its own on a free loopback port, without persistence."""
    yield from _serving(running_redis)


@pytest.fixture
def redis_url(redis_server: Started) -> Iterator[str]:
    """The session's Redis server, emptied before the test."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    yield redis_server.url
