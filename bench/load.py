"""Load test: complete WeChat sign-ins from concurrent browsers, through gunicorn.

::

    make load                  # installs .[test,load], then runs this with its defaults
    python bench/load.py [--signins 1000] [--clients 16] [--workers 4]
                         [--worker-class sync|gthread] [--json results.json]

It starts, on 127.0.0.1 only, the WeChat emulator in a process of its own
(the seeded test people plus ``--extra-users`` more) and the example app
(``bench/load_wsgi.py``) under gunicorn with several workers, a fresh
``SECRET_KEY`` and a temporary SQLite database. Then ``--clients`` threads,
each a browser of its own (a ``requests.Session``), run ``--signins`` complete
sign-ins, each as the next test person in turn:

1. ``GET /wechat/authorize?next=/account``: 302 to the emulator's QR page;
2. ``GET`` that page, ``POST`` its form to ``/connect/confirm`` with
   ``action=confirm`` and ``user=<key>`` (what the phone does): 302 back;
3. ``GET /wechat/callback?code=…&state=…``: 302 to ``/account``;
4. ``GET /account``: the nickname shown must be the person just approved.

It reports sign-ins per second, p50/p99 of a whole sign-in and of the callback
alone, failures, sessions crossed between people (a browser shown someone
else's nickname), and how many sign-ins began on one gunicorn worker and ended
on another (the pending state lives in the signed session cookie, so any
worker can finish it). Both servers are stopped at the end; every loop is
bounded. The exit code is 1 when a sign-in failed or crossed.
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests

from flask_wechat.emulator import site_config
from flask_wechat.testing import FormReader

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TIMEOUT = 30.0
NICKNAME_RE = re.compile(r'class="teahouse-nickname"[^>]*>(.*?)</h1>', re.S)


# -- one browser, one sign-in -------------------------------------------------------


@dataclass
class SignIn:
    """How one sign-in went."""

    user: str
    ok: bool = False
    seconds: float = 0.0
    callback_seconds: float = 0.0
    authorize_pid: str = ""
    callback_pid: str = ""
    shown: str = ""
    crossed: bool = False
    server_error: bool = False
    error: str = ""


class Failed(Exception):
    pass


def _on_loopback(url: str) -> str:
    """Refuse to send anything anywhere but this machine."""
    if urlsplit(url).hostname != HOST:
        raise Failed(f"refusing a non-loopback URL: {url[:200]}")
    return url


def _expect(response: requests.Response, status: int, step: str, result: SignIn) -> None:
    if response.status_code >= 500:
        result.server_error = True
    if response.status_code != status:
        raise Failed(f"{step}: HTTP {response.status_code} (wanted {status})")


def sign_in(browser: requests.Session, site: str, user: str, nickname: str) -> SignIn:
    """One complete sign-in as the test person ``user``, timed."""
    result = SignIn(user=user)
    started = time.perf_counter()
    try:
        to_wechat = browser.get(
            _on_loopback(f"{site}/wechat/authorize"),
            params={"next": "/account"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        _expect(to_wechat, 302, "authorize", result)
        result.authorize_pid = to_wechat.headers.get("X-Worker-Pid", "")
        page_url = _on_loopback(to_wechat.headers["Location"].split("#", 1)[0])
        page = browser.get(page_url, timeout=TIMEOUT)
        _expect(page, 200, "WeChat's QR page", result)
        form = FormReader()
        form.feed(page.text)
        if form.action is None:
            raise Failed("WeChat's page has no form")
        answer = browser.post(
            _on_loopback(urljoin(page.url, form.action)),
            data={**form.fields, "action": "confirm", "user": user},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        _expect(answer, 302, "confirm", result)
        callback_url = _on_loopback(answer.headers["Location"])
        callback_started = time.perf_counter()
        back = browser.get(callback_url, allow_redirects=False, timeout=TIMEOUT)
        result.callback_seconds = time.perf_counter() - callback_started
        result.callback_pid = back.headers.get("X-Worker-Pid", "")
        _expect(back, 302, "callback", result)
        if not back.headers.get("Location", "").endswith("/account"):
            raise Failed(f"callback went to {back.headers.get('Location')!r}, not /account")
        account = browser.get(
            _on_loopback(f"{site}/account"), allow_redirects=False, timeout=TIMEOUT
        )
        _expect(account, 200, "account", result)
        found = NICKNAME_RE.search(account.text)
        result.shown = html.unescape(found.group(1)).strip() if found else ""
        if result.shown != nickname:
            result.crossed = bool(result.shown)
            raise Failed(f"/account shows {result.shown!r}, not {nickname!r}")
        result.ok = True
    except (Failed, requests.RequestException, KeyError) as error:
        result.error = f"{type(error).__name__}: {error}"[:300]
    result.seconds = time.perf_counter() - started
    return result


def run_clients(
    site: str,
    people: list[tuple[str, str]],
    signins: int,
    clients: int,
    deadline: float,
) -> tuple[list[SignIn], float]:
    """``signins`` sign-ins from ``clients`` concurrent browsers; returns them and the
    wall-clock seconds. Sign-in number ``n`` is as ``people[n % len(people)]``, so a
    browser keeps switching person between its sign-ins."""
    numbers = itertools.count()
    lock = threading.Lock()
    results: list[SignIn] = []

    def client() -> None:
        with requests.Session() as browser:
            while time.monotonic() < deadline:
                with lock:
                    number = next(numbers)
                if number >= signins:
                    return
                user, nickname = people[number % len(people)]
                outcome = sign_in(browser, site, user, nickname)
                with lock:
                    results.append(outcome)

    threads = [threading.Thread(target=client, name=f"browser-{i}") for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


# -- the figures ----------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(results: list[SignIn], seconds: float) -> dict[str, Any]:
    done = [r for r in results if r.ok]
    whole = [r.seconds * 1000 for r in done]
    callback = [r.callback_seconds * 1000 for r in done]
    errors: dict[str, int] = {}
    for r in results:
        if not r.ok:
            errors[r.error] = errors.get(r.error, 0) + 1
    pids = {r.authorize_pid for r in done} | {r.callback_pid for r in done}
    return {
        "signins": len(results),
        "completed": len(done),
        "failures": len(results) - len(done),
        "crossed": sum(r.crossed for r in results),
        "server_errors": sum(r.server_error for r in results),
        "seconds": round(seconds, 2),
        "signins_per_second": round(len(done) / seconds, 1) if seconds else 0.0,
        "signin_ms_p50": round(percentile(whole, 0.50), 1),
        "signin_ms_p99": round(percentile(whole, 0.99), 1),
        "callback_ms_p50": round(percentile(callback, 0.50), 1),
        "callback_ms_p99": round(percentile(callback, 0.99), 1),
        "across_workers": sum(r.authorize_pid != r.callback_pid for r in done),
        "worker_pids": len(pids - {""}),
        "errors": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:5]),
    }


# -- the servers ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[Any], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with code {process.returncode} before it was up")
        try:
            requests.get(_on_loopback(url), timeout=2, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def stop(process: subprocess.Popen[Any] | None) -> None:
    """Stop a process this script started (by its own handle), politely first."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def start_emulator(port: int, extra_users: int, log: IO[str]) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "--serve-emulator", str(port), "--extra-users"]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [*command, str(extra_users)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    wait_until_up(f"http://{HOST}:{port}/_emulator/users", process)
    return process


def start_gunicorn(
    port: int,
    workers: int,
    worker_class: str,
    threads: int,
    max_requests: int,
    env: dict[str, str],
    log: IO[str],
) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        # Recycle each worker after about this many requests, as many deployments
        # do: sign-ins in flight then finish on a worker that did not start them.
        "--max-requests",
        str(max_requests),
        "--max-requests-jitter",
        str(max_requests // 4),
        "--pythonpath",
        f"{REPO},{REPO / 'bench'}",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
        "load_wsgi:app",
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
        command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    wait_until_up(f"http://{HOST}:{port}/", process)
    return process


def app_environment(emulator_url: str, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_")}
    env.update(
        SECRET_KEY=secrets.token_hex(32),
        LOAD_DATABASE=database,
        **site_config(emulator_url),
        # The emulator speaks plain http on loopback; never set this in production.
        OAUTHLIB_INSECURE_TRANSPORT="1",
    )
    return env


def people_of(emulator_url: str) -> list[tuple[str, str]]:
    """(key, nickname as a page shows it) of the emulator's test people, snapshot-mode
    ones left out. A page shows a nickname without the control characters WeChat has
    sent in some (``WeChatProfile.nickname`` drops them)."""
    listed = requests.get(_on_loopback(f"{emulator_url}/_emulator/users"), timeout=TIMEOUT)
    listed.raise_for_status()
    return [
        (u["key"], "".join(c for c in u["nickname"] if unicodedata.category(c) != "Cc"))
        for u in listed.json()["users"]
        if not u["snapshot"]
    ]


def logged_errors(lines: Iterable[str]) -> int:
    return sum(("Traceback" in line or "[ERROR]" in line or "CRITICAL" in line) for line in lines)


# -- the emulator process -------------------------------------------------------------


def serve_emulator(port: int, extra_users: int) -> int:
    """Run in the emulator's own process: the seeded people plus ``extra_users`` more."""
    from flask_wechat.emulator import EmulatorServer
    from flask_wechat.emulator.world import User, World

    world = World()
    for number in range(1, extra_users + 1):
        world.add_user(User(f"load{number:02d}", f"Load tester {number:02d} 测试"))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    with EmulatorServer(world, host=HOST, port=port) as server:
        print(f"emulator on {server.url} with {len(world.users)} test people", flush=True)
        stopping.wait(timeout=3600)  # bounded even if nobody stops it
    return 0


# -- main -----------------------------------------------------------------------------


def report(summary: dict[str, Any], setup: dict[str, Any]) -> str:
    s = summary
    return "\n".join(
        [
            f"flask-wechat load test, {setup['date']}: nproc {setup['nproc']}, "
            f"Python {setup['python']}, gunicorn {setup['gunicorn']} "
            f"({setup['workers']} {setup['worker_class']} workers), "
            f"{setup['clients']} concurrent browsers, {setup['people']} test people",
            f"sign-ins:        {s['completed']} completed of {s['signins']}, "
            f"{s['failures']} failed, {s['crossed']} crossed between people, "
            f"{s['server_errors']} with a 5xx",
            f"throughput:      {s['signins_per_second']} sign-ins/s ({s['seconds']} s)",
            f"whole sign-in:   p50 {s['signin_ms_p50']} ms, p99 {s['signin_ms_p99']} ms",
            f"callback alone:  p50 {s['callback_ms_p50']} ms, p99 {s['callback_ms_p99']} ms",
            f"across workers:  {s['across_workers']} of {s['completed']} sign-ins began on one "
            f"worker and finished on another ({s['worker_pids']} worker pids seen)",
            f"errors logged:   {setup['errors_logged']} by gunicorn and the emulator",
        ]
        + [f"  {count} x {error}" for error, count in s["errors"].items()]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=1000, help="sign-ins to run (1000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent browsers (16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--max-requests", type=int, default=300, help="recycle workers after ~N requests (300)"
    )
    parser.add_argument("--extra-users", type=int, default=8, help="test people added (8)")
    parser.add_argument("--warmup", type=int, default=32, help="untimed sign-ins first (32)")
    parser.add_argument("--max-seconds", type=float, default=900, help="stop by then (900)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--serve-emulator", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_emulator is not None:
        return serve_emulator(args.serve_emulator, args.extra_users)

    import gunicorn

    emulator = server = None
    with tempfile.TemporaryDirectory(prefix="flask-wechat-load-") as scratch:
        log_path = Path(scratch) / "servers.log"
        with log_path.open("w+") as log:
            try:
                emulator_url = f"http://{HOST}:{free_port()}"
                emulator = start_emulator(urlsplit(emulator_url).port or 0, args.extra_users, log)
                site = f"http://{HOST}:{free_port()}"
                env = app_environment(emulator_url, str(Path(scratch) / "users.sqlite3"))
                server = start_gunicorn(
                    urlsplit(site).port or 0,
                    args.workers,
                    args.worker_class,
                    args.threads,
                    args.max_requests,
                    env,
                    log,
                )
                people = people_of(emulator_url)
                deadline = time.monotonic() + args.max_seconds
                if args.warmup:
                    run_clients(site, people, args.warmup, args.clients, deadline)
                results, seconds = run_clients(site, people, args.signins, args.clients, deadline)
            finally:
                stop(server)
                stop(emulator)
            log.seek(0)
            errors_logged = logged_errors(log)
            log.seek(0)
            tail = log.read()[-3000:]

    summary = summarize(results, seconds)
    setup = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "gunicorn": gunicorn.__version__,
        "workers": args.workers,
        "worker_class": args.worker_class
        + (f" ({args.threads} threads)" if args.worker_class == "gthread" else ""),
        "clients": args.clients,
        "people": len(people),
        "errors_logged": errors_logged,
    }
    print(report(summary, setup))
    if errors_logged:
        print("server log (tail):\n" + tail)
    if args.json:
        args.json.write_text(json.dumps({"setup": setup, "summary": summary}, indent=2) + "\n")
    bad = summary["failures"] or summary["crossed"] or summary["completed"] < args.signins
    return 1 if bad or errors_logged else 0


if __name__ == "__main__":
    raise SystemExit(main())
