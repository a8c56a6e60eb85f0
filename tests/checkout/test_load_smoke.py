"""The load test in small (``bench/load.py``; the full run is ``make load``).

About twenty complete sign-ins of the example app from a few concurrent
browsers, each switching test person between its sign-ins, over real HTTP on
127.0.0.1: none may fail, and no browser may be shown someone else's
nickname. First on werkzeug's threaded server; then, when gunicorn is
installed (``pip install -e .[load]``), under gunicorn with workers recycled
so often that sign-ins must finish on a worker other than the one that
started them.
"""

from __future__ import annotations

import importlib.util
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from bench.load import (
    app_environment,
    free_port,
    people_of,
    run_clients,
    start_gunicorn,
    stop,
    summarize,
)
from example_app import create_app

SIGNINS = 20
CLIENTS = 3


@pytest.fixture
def threaded_site(wechat_emulator: Any, tmp_path: Path) -> Iterator[str]:
    app = create_app(
        {
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE": str(tmp_path / "users.sqlite3"),
            **wechat_emulator.config,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run(site: str, emulator_url: str, signins: int, clients: int) -> dict[str, Any]:
    people = people_of(emulator_url)
    assert len(people) >= 3
    results, seconds = run_clients(site, people, signins, clients, time.monotonic() + 120)
    summary = summarize(results, seconds)
    assert summary["failures"] == 0, summary["errors"]
    assert summary["crossed"] == 0
    assert summary["completed"] == signins
    assert {r.user for r in results} == {key for key, _ in people[:signins]}
    return summary


def test_concurrent_sign_ins_on_a_threaded_server(threaded_site: str, wechat_emulator: Any):
    run(threaded_site, wechat_emulator.url, SIGNINS, CLIENTS)


@pytest.fixture
def gunicorn_site(wechat_emulator: Any, tmp_path: Path, request: Any) -> Iterator[str]:
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -e .[load])")
    workers, max_requests = request.param
    env = app_environment(wechat_emulator.url, str(tmp_path / "users.sqlite3"))
    port = free_port()
    with (tmp_path / "gunicorn.log").open("w+") as log:
        server = start_gunicorn(port, workers, "sync", 1, max_requests, env, log)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(server)
            log.seek(0)
            output = log.read()
    assert "Traceback" not in output, output[-3000:]


@pytest.mark.parametrize("gunicorn_site", [(2, 40)], indirect=True)
def test_concurrent_sign_ins_under_gunicorn(gunicorn_site: str, wechat_emulator: Any):
    summary = run(gunicorn_site, wechat_emulator.url, SIGNINS, CLIENTS)
    # 40 (+10 jitter) requests at most per worker, 60 requests: several workers served.
    assert summary["worker_pids"] >= 2


@pytest.mark.parametrize("gunicorn_site", [(2, 1)], indirect=True)
def test_a_sign_in_finishes_on_another_worker(gunicorn_site: str, wechat_emulator: Any):
    # Every worker serves one request and is replaced: authorize and callback are
    # always served by different processes, and the sign-ins still complete.
    summary = run(gunicorn_site, wechat_emulator.url, 3, 1)
    assert summary["across_workers"] == summary["completed"] == 3
