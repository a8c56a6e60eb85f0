"""Load test: WeChat sign-ins from concurrent browsers across two gunicorn hosts.

::

    make load                  # installs .[dev] (with the load extra), then: python -m bench.load
    python -m bench.load [--worker-class sync gthread gevent] [--latency 80]
                         [--signins 300] [--clients 32] [--workers 2] [--json FILE]

On 127.0.0.1 only, it starts a real PostgreSQL and a real Redis (``tests/servers.py``),
the WeChat emulator in a process of its own (the seeded test people plus
``--extra-users`` more; WeChat ``--latency`` ms away) and two app "hosts": two
gunicorn processes (``bench/load_wsgi.py``, ``--no-control-socket``) on ports of their
own, each with ``--workers`` workers, sharing the ``SECRET_KEY``, the database (the
people, their tokens, the replay memory) and Redis (server-side sessions, rate limits).
Then ``--clients`` threads, each a browser of its own (a ``requests.Session`` with an
address of its own in ``X-Forwarded-For``, as a load balancer sends), run ``--signins``
complete sign-ins after ``--warmup`` untimed ones, each as the next test person in turn
and each step on a host picked at random (what a load balancer without sticky sessions
does):

1. ``GET /wechat/authorize?next=/account``: 302 to the emulator's QR page;
2. ``GET`` that page, ``POST`` its form to ``/connect/confirm`` with ``action=confirm``
   and ``user=<key>`` (what the phone does): 302 back;
3. ``GET /wechat/callback?code=…&state=…`` (timed): 302 to ``/account``;
4. ``GET /account``: the nickname shown must be the person just approved; another is a
   **crossed** session.

Tokens expire mid-run: the timed sign-ins run in ``--expiries`` + 1 phases, and between
two phases the emulator's clock moves past the access tokens' lifetime (the browsers
finish the sign-in in hand first, since the jump would also expire codes a real sign-in
uses within seconds). Each browser then comes back, before its next sign-in, to
``/account/wechat`` in two tabs at once, on random hosts: the page asks WeChat for the
profile through the stored token, which WeChat now refuses as expired (42001). The
emulator's request log says how many expired tokens were presented and how many refresh
calls they cost: exactly one each is the goal, however many workers and hosts meet the
same expired token at once. (The emulator's transient 40001 on a fresh token's first
userinfo call is turned off here, so that every refresh counted is owed to an expiry.)

Last, one browser alone signs in ``--returning`` more times as people the site already
knows: the callback then makes one call to WeChat, and its p50 is compared with one
round trip. For each worker class it runs at 0 ms and at ``--latency`` ms and reports
sign-ins per second and their ratio, p50/p99 of the callback, failures, crossed sessions,
refresh calls per expiry and WeChat calls per sign-in. Every loop is bounded; every
server it started is stopped. The exit code is 1 when a sign-in or a visit failed or
crossed, a refresh was repeated or missing, or a server logged an error.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import random
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
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, ClassVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from flask_wechat.emulator import site_config
from flask_wechat.emulator.world import ACCESS_TOKEN_LIFETIME
from flask_wechat.testing import FormReader

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TIMEOUT = 30.0
NICKNAME_RE = re.compile(r'class="teahouse-nickname"[^>]*>(.*?)</h1>', re.S)
REFRESH_PATH = "/sns/oauth2/refresh_token"
#: gunicorn grew a control socket (and ``--no-control-socket``) in 25.1.
CONTROL_SOCKET_SINCE = (25, 1)


# -- one browser ------------------------------------------------------------------------


@dataclass
class SignIn:
    """How one sign-in went."""

    user: str
    returning: bool = False
    ok: bool = False
    seconds: float = 0.0
    callback_seconds: float = 0.0
    hosts: tuple[str, ...] = ()
    pids: tuple[str, ...] = ()
    crossed: bool = False
    server_error: bool = False
    error: str = ""


@dataclass
class Visit:
    """A signed-in browser back at ``/account/wechat`` (two tabs at once)."""

    user: str
    ok: bool = False
    crossed: bool = False
    server_error: bool = False
    error: str = ""


class BrowserRetry(Retry):
    """A browser's one retry of a GET whose connection closed before any answer came
    (a keep-alive connection the server was closing as it was reused, or a recycled
    worker's), counted: :attr:`retried` is reported beside the failures."""

    retried: ClassVar[Counter[str]] = Counter()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def increment(self, *args: Any, **kwargs: Any) -> Retry:
        again = super().increment(*args, **kwargs)  # raises when the one retry is spent
        with self._lock:
            BrowserRetry.retried["GET"] += 1
        return again


def browser_session() -> requests.Session:
    session = requests.Session()
    retry = BrowserRetry(
        total=1, connect=1, read=1, status=0, other=0, redirect=0, allowed_methods={"GET"}
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


@dataclass
class Browser:
    """One person's browser: its cookies, its address, who it is signed in as."""

    number: int
    session: requests.Session = field(default_factory=browser_session)
    person: tuple[str, str] | None = None
    come_back: bool = False

    @property
    def address(self) -> str:
        return f"10.{self.number // 65536 % 256}.{self.number // 256 % 256}.{self.number % 256}"


class Failed(Exception):
    pass


def _on_loopback(url: str) -> str:
    """Refuse to send anything anywhere but this machine."""
    if urlsplit(url).hostname != HOST:
        raise Failed(f"refusing a non-loopback URL: {url[:200]}")
    return url


def _on_host(url: str, host: str) -> str:
    """``url`` with ``host``'s scheme and address: the load balancer's pick."""
    parts, to = urlsplit(url), urlsplit(host)
    return _on_loopback(urlunsplit((to.scheme, to.netloc, parts.path, parts.query, "")))


def _expect(response: requests.Response, status: int, step: str, result: Any) -> None:
    if response.status_code >= 500:
        result.server_error = True
    if response.status_code != status:
        raise Failed(f"{step}: HTTP {response.status_code} (wanted {status})")


def _shown(page: requests.Response) -> str:
    found = NICKNAME_RE.search(page.text)
    return html.unescape(found.group(1)).strip() if found else ""


def sign_in(browser: Browser, hosts: list[str], person: tuple[str, str], returning: bool) -> SignIn:
    """One complete sign-in as ``person``, each step on a random host, timed."""
    user, nickname = person
    result = SignIn(user=user, returning=returning)
    web, headers = browser.session, {"X-Forwarded-For": browser.address}
    picked = [random.choice(hosts) for _ in range(3)]
    result.hosts = tuple(picked)
    started = time.perf_counter()
    step = "authorize"
    try:
        to_wechat = web.get(
            _on_loopback(f"{picked[0]}/wechat/authorize"),
            params={"next": "/account"},
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        _expect(to_wechat, 302, "authorize", result)
        pids = [to_wechat.headers.get("X-Worker-Pid", "")]
        page_url = _on_loopback(to_wechat.headers["Location"].split("#", 1)[0])
        step = "WeChat's QR page"
        page = web.get(page_url, timeout=TIMEOUT)
        _expect(page, 200, "WeChat's QR page", result)
        form = FormReader()
        form.feed(page.text)
        if form.action is None:
            raise Failed("WeChat's page has no form")
        step = "confirm"
        answer = web.post(
            _on_loopback(urljoin(page.url, form.action)),
            data={**form.fields, "action": "confirm", "user": user},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        _expect(answer, 302, "confirm", result)
        step = "callback"
        callback_url = _on_host(answer.headers["Location"], picked[1])
        callback_started = time.perf_counter()
        back = web.get(callback_url, headers=headers, allow_redirects=False, timeout=TIMEOUT)
        result.callback_seconds = time.perf_counter() - callback_started
        pids.append(back.headers.get("X-Worker-Pid", ""))
        _expect(back, 302, "callback", result)
        if not back.headers.get("Location", "").endswith("/account"):
            raise Failed(f"callback went to {back.headers.get('Location')!r}, not /account")
        step = "account"
        account = web.get(
            _on_loopback(f"{picked[2]}/account"),
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        pids.append(account.headers.get("X-Worker-Pid", ""))
        result.pids = tuple(pids)
        _expect(account, 200, "account", result)
        shown = _shown(account)
        if shown != nickname:
            result.crossed = bool(shown)
            raise Failed(f"/account shows {shown!r}, not {nickname!r}")
        result.ok = True
        browser.person = person
    except (Failed, requests.RequestException, KeyError) as error:
        where = "" if isinstance(error, Failed) else f"{step}: "
        result.error = f"{where}{type(error).__name__}: {error}"[:300]
        browser.person = None  # whoever it is now, the next check would not know
    result.seconds = time.perf_counter() - started
    return result


def come_back(browser: Browser, hosts: list[str]) -> Visit:
    """The signed-in person opens ``/account/wechat`` in two tabs at once, each on a random
    host: both must show their own WeChat nickname (the stored token, kept fresh)."""
    assert browser.person is not None
    user, nickname = browser.person
    result = Visit(user=user)
    tabs = [browser.session, browser_session()]
    tabs[1].cookies.update(browser.session.cookies)
    answers: list[requests.Response | Exception] = [Failed("no answer"), Failed("no answer")]

    def open_tab(index: int) -> None:
        try:
            answers[index] = tabs[index].get(
                _on_loopback(f"{random.choice(hosts)}/account/wechat"),
                headers={"X-Forwarded-For": browser.address},
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            answers[index] = error

    other = threading.Thread(target=open_tab, args=(1,))
    other.start()
    open_tab(0)
    other.join(timeout=TIMEOUT + 5)
    tabs[1].close()
    try:
        for answer in answers:
            if isinstance(answer, Exception):
                raise Failed(f"{type(answer).__name__}: {answer}")
            _expect(answer, 200, "/account/wechat", result)
            shown = _shown(answer)
            if shown != nickname:
                result.crossed = bool(shown)
                raise Failed(f"/account/wechat shows {shown!r}, not {nickname!r}")
        result.ok = True
    except Failed as error:
        result.error = f"Failed: {error}"[:300]
    return result


@dataclass
class Phase:
    signins: list[SignIn]
    visits: list[Visit]
    seconds: float


def run_phase(
    browsers: list[Browser],
    hosts: list[str],
    people: list[tuple[str, str]],
    numbers: range,
    known: set[str],
    deadline: float,
) -> Phase:
    """Sign-ins ``numbers`` (sign-in ``n`` is as ``people[n % len(people)]``) from all
    ``browsers`` at once; a browser told to come back visits ``/account/wechat`` first."""
    pending = iter(numbers)
    lock = threading.Lock()
    signins: list[SignIn] = []
    visits: list[Visit] = []

    def run(browser: Browser) -> None:
        while time.monotonic() < deadline:
            if browser.come_back:
                browser.come_back = False
                if browser.person is not None:
                    visit = come_back(browser, hosts)
                    with lock:
                        visits.append(visit)
            with lock:
                number = next(pending, None)
                if number is None:
                    return
                person = people[number % len(people)]
                returning = person[0] in known
            outcome = sign_in(browser, hosts, person, returning)
            with lock:
                signins.append(outcome)
                if outcome.ok:
                    known.add(person[0])

    threads = [
        threading.Thread(target=run, args=(b,), name=f"browser-{b.number}") for b in browsers
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Phase(signins, visits, time.perf_counter() - started)


# -- what WeChat saw ----------------------------------------------------------------------


class Emulator:
    """The emulator's control API: latency, clock, request log."""

    def __init__(self, url: str) -> None:
        self.url = url

    def advance(self, seconds: float) -> None:
        answer = requests.post(
            _on_loopback(f"{self.url}/_emulator/clock/advance"),
            json={"seconds": seconds},
            timeout=TIMEOUT,
        )
        answer.raise_for_status()

    def take_log(self) -> list[dict[str, Any]]:
        """The calls WeChat received since the last time, and clear the log."""
        log = requests.get(_on_loopback(f"{self.url}/_emulator/requests"), timeout=TIMEOUT)
        log.raise_for_status()
        cleared = requests.post(
            _on_loopback(f"{self.url}/_emulator/requests/clear"), timeout=TIMEOUT
        )
        cleared.raise_for_status()
        return log.json()["requests"]


@dataclass
class Calls:
    """WeChat's side of one phase: what it was asked, and the expired tokens it refused."""

    exchanges: int = 0
    userinfo: int = 0
    expired: int = 0
    refreshes: int = 0
    repeated: int = 0

    @classmethod
    def of(cls, log: Iterable[dict[str, Any]]) -> Calls:
        calls = cls()
        expired: set[str] = set()
        refreshed: Counter[str] = Counter()
        for entry in log:
            pairs = dict(entry["query"]) | dict(entry.get("form") or [])
            if entry["path"] == "/sns/oauth2/access_token":
                calls.exchanges += 1
            elif entry["path"] == "/sns/userinfo":
                calls.userinfo += 1
                if entry.get("errcode") == 42001:
                    expired.add(pairs.get("access_token", ""))
            elif entry["path"] == REFRESH_PATH:
                refreshed[pairs.get("refresh_token", "")] += 1
        calls.expired = len(expired)
        calls.refreshes = sum(refreshed.values())
        # Within a phase a refresh token is owed one refresh at most: a second one is a
        # race another worker or host lost without noticing.
        calls.repeated = sum(count - 1 for count in refreshed.values())
        return calls

    def __add__(self, other: Calls) -> Calls:
        return Calls(*(a + b for a, b in zip(self.__dict__.values(), other.__dict__.values())))


# -- the figures ------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def _ms(values: Iterable[float], fraction: float) -> float:
    return round(percentile([v * 1000 for v in values], fraction), 1)


def summarize(
    signins: list[SignIn], visits: list[Visit], seconds: float, calls: Calls
) -> dict[str, Any]:
    done = [r for r in signins if r.ok]
    errors = Counter(r.error for r in [*signins, *visits] if not r.ok)
    returning = [r for r in done if r.returning]
    new = [r for r in done if not r.returning]
    pids = {pid for r in done for pid in r.pids} - {""}
    return {
        "signins": len(signins),
        "completed": len(done),
        "failures": len(signins) - len(done) + sum(not v.ok for v in visits),
        "crossed": sum(r.crossed for r in signins) + sum(v.crossed for v in visits),
        "server_errors": sum(r.server_error for r in [*signins, *visits]),
        "seconds": round(seconds, 2),
        "signins_per_second": round(len(done) / seconds, 1) if seconds else 0.0,
        "signin_ms_p50": _ms([r.seconds for r in done], 0.50),
        "signin_ms_p99": _ms([r.seconds for r in done], 0.99),
        "callback_ms_p50": _ms([r.callback_seconds for r in done], 0.50),
        "callback_ms_p99": _ms([r.callback_seconds for r in done], 0.99),
        "returning": len(returning),
        "returning_callback_ms_p50": _ms([r.callback_seconds for r in returning], 0.50),
        "new": len(new),
        "new_callback_ms_p50": _ms([r.callback_seconds for r in new], 0.50),
        "exchanges_per_signin": round(calls.exchanges / len(done), 2) if done else 0.0,
        "visits": len(visits),
        "expired_tokens": calls.expired,
        "refresh_calls": calls.refreshes,
        "repeated_refreshes": calls.repeated,
        "refreshes_per_expiry": round(calls.refreshes / calls.expired, 3)
        if calls.expired
        else None,
        "hosts_used": len({h for r in done for h in r.hosts}),
        "across_hosts": sum(len(set(r.hosts)) > 1 for r in done),
        "worker_pids": len(pids),
        "errors": dict(errors.most_common(5)),
    }


def bad(summary: dict[str, Any]) -> list[str]:
    """What went wrong in a run, if anything (the exit code's reasons)."""
    s, reasons = summary, []
    if s["failures"] or s["completed"] < s["signins"]:
        reasons.append(f"{s['failures']} failed")
    if s["crossed"]:
        reasons.append(f"{s['crossed']} crossed")
    if s["expired_tokens"] and s["refresh_calls"] != s["expired_tokens"]:
        reasons.append(f"{s['refresh_calls']} refresh calls for {s['expired_tokens']} expiries")
    if s["repeated_refreshes"]:
        reasons.append(f"{s['repeated_refreshes']} refreshes repeated")
    if s.get("errors_logged"):
        reasons.append(f"{s['errors_logged']} errors logged")
    return reasons


# -- the servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[Any], seconds: float = 60.0) -> None:
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


@contextmanager
def started(process: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    try:
        yield process
    finally:
        stop(process)


def start_emulator(
    extra_users: int, latency_ms: float, jitter_ms: float, log: IO[str]
) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    command = [sys.executable, "-m", "bench.load", "--serve-emulator", str(port)]
    options = ["--extra-users", str(extra_users), "--latency", str(latency_ms)]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*command, *options, "--jitter", str(jitter_ms)],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://{HOST}:{port}"
    try:
        wait_until_up(f"{url}/_emulator/users", process)
    except RuntimeError:
        stop(process)
        raise
    return process, url


def gunicorn_version() -> tuple[int, ...]:
    import gunicorn

    return tuple(int(part) for part in re.findall(r"\d+", gunicorn.__version__)[:2])


def start_host(
    port: int,
    workers: int,
    worker_class: str,
    threads: int,
    max_requests: int,
    env: dict[str, str],
    log: IO[str],
) -> subprocess.Popen[str]:
    """One app host: gunicorn with its own arbiter and workers on ``port``."""
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
        # Behind a load balancer, whose idle connections outlive gunicorn's 2 s default:
        # the balancer, not gunicorn, should close an idle connection (gunicorn's docs).
        # Not for gevent: a gevent worker leaving at --max-requests waits for its idle
        # kept-alive connections, up to the graceful timeout (30 s), and its host takes
        # no new connection meanwhile (see docs/deployment.md, "Workers").
        "--keep-alive",
        "2" if worker_class == "gevent" else "75",
        "--pythonpath",
        str(REPO),
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
    ]
    if gunicorn_version() >= CONTROL_SOCKET_SINCE:
        # Two arbiters on one machine would share ~/.gunicorn/gunicorn.ctl; and a
        # deployment has no use for it here. Older gunicorn has no control socket.
        command.append("--no-control-socket")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
        [*command, "bench.load_wsgi:create_app()"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(f"http://{HOST}:{port}/", process)
    except RuntimeError:
        stop(process)
        raise
    return process


def app_environment(emulator_url: str, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_")}
    env.update(
        SECRET_KEY=secrets.token_hex(32),
        LOAD_DATABASE_URL=database_url,
        LOAD_REDIS_URL=redis_url,
        **site_config(emulator_url),
        # The emulator speaks plain http on loopback; never set this in production.
        OAUTHLIB_INSECURE_TRANSPORT="1",
    )
    return env


def empty_stores(database_url: str, redis_url: str) -> None:
    """Fresh tables and an empty Redis: every run starts from a site nobody has used."""
    import redis
    from sqlalchemy import create_engine, inspect, text

    from bench.load_wsgi import create_tables

    create_tables(database_url)
    engine = create_engine(database_url)
    tables = ("load_users", "wechat_tokens", "wechat_memory", "wechat_sign_ins")
    present = [name for name in tables if inspect(engine).has_table(name)]
    with engine.begin() as db:
        db.execute(text(f"TRUNCATE {', '.join(present)}"))
    engine.dispose()
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    client.close()


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


# -- the emulator process -----------------------------------------------------------------


def serve_emulator(port: int, extra_users: int, latency_ms: float, jitter_ms: float) -> int:
    """Run in the emulator's own process: the seeded people plus ``extra_users`` more."""
    from flask_wechat.emulator import EmulatorServer
    from flask_wechat.emulator.world import User, World

    # WeChat's transient 40001 off: the refreshes counted are then all owed to expiries.
    world = World(userinfo_40001_one_in=0, latency=latency_ms / 1000, jitter=jitter_ms / 1000)
    for number in range(1, extra_users + 1):
        world.add_user(User(f"load{number:03d}", f"Load tester {number:03d} 测试"))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    with EmulatorServer(world, host=HOST, port=port, quiet=True) as server:
        print(f"emulator on {server.url} with {len(world.users)} test people", flush=True)
        stopping.wait(timeout=3600)  # bounded even if nobody stops it
    return 0


# -- one run ------------------------------------------------------------------------------


@dataclass
class Options:
    worker_class: str = "gthread"
    latency_ms: float = 80.0
    jitter_ms: float = 0.0
    signins: int = 300
    clients: int = 32
    workers: int = 2
    threads: int = 16
    max_requests: int = 300
    extra_users: int = 60
    warmup: int = 32
    expiries: int = 2
    returning: int = 30
    max_seconds: float = 600.0


def run(options: Options, database_url: str, redis_url: str) -> dict[str, Any]:
    """One run: fresh stores, the emulator and two hosts; the sign-ins; the figures."""
    empty_stores(database_url, redis_url)
    BrowserRetry.retried.clear()
    threads = options.threads if options.worker_class == "gthread" else 1
    with ExitStack() as servers, tempfile.TemporaryFile("w+") as log:
        emulator_process, emulator_url = start_emulator(
            options.extra_users, options.latency_ms, options.jitter_ms, log
        )
        servers.enter_context(started(emulator_process))
        env = app_environment(emulator_url, database_url, redis_url)
        hosts = []
        for _ in range(2):
            port = free_port()
            process = start_host(
                port, options.workers, options.worker_class, threads, options.max_requests, env, log
            )
            servers.enter_context(started(process))
            hosts.append(f"http://{HOST}:{port}")
        emulator = Emulator(emulator_url)
        people = people_of(emulator_url)
        deadline = time.monotonic() + options.max_seconds
        browsers = [Browser(number) for number in range(1, options.clients + 1)]
        known: set[str] = set()
        if options.warmup:
            run_phase(browsers, hosts, people, range(options.warmup), known, deadline)
        emulator.take_log()
        signins: list[SignIn] = []
        visits: list[Visit] = []
        seconds, calls = 0.0, Calls()
        first = options.warmup
        bounds = [
            first + options.signins * k // (options.expiries + 1)
            for k in range(options.expiries + 2)
        ]
        for phase_number, (start, end) in enumerate(zip(bounds, bounds[1:])):
            if phase_number:
                # Past every access token's lifetime (refresh tokens live 30 days).
                emulator.advance(ACCESS_TOKEN_LIFETIME + 60)
                for browser in browsers:
                    browser.come_back = True
            phase = run_phase(browsers, hosts, people, range(start, end), known, deadline)
            signins += phase.signins
            visits += phase.visits
            seconds += phase.seconds
            calls = calls + Calls.of(emulator.take_log())
        summary = summarize(signins, visits, seconds, calls)
        # One browser alone, as people the site knows: the callback's own latency.
        alone = Browser(0)
        returning = [p for p in people if p[0] in known][: max(1, options.returning)]
        solo = [
            sign_in(alone, hosts, returning[n % len(returning)], True)
            for n in range(options.returning)
        ]
        solo_calls = Calls.of(emulator.take_log())
        alone.session.close()
        for browser in browsers:
            browser.session.close()
        servers.close()
        log.seek(0)
        output = log.read()
    summary["alone_returning"] = len(solo)
    summary["alone_returning_failures"] = sum(not r.ok for r in solo)
    summary["alone_returning_callback_ms_p50"] = _ms(
        [r.callback_seconds for r in solo if r.ok], 0.50
    )
    summary["alone_returning_wechat_calls"] = (
        round((solo_calls.exchanges + solo_calls.userinfo) / len(solo), 2) if solo else 0.0
    )
    summary["failures"] += summary["alone_returning_failures"]
    summary["errors_logged"] = logged_errors(output.splitlines())
    summary["log_tail"] = output[-3000:] if summary["errors_logged"] else ""
    summary["people"] = len(people)
    summary["retried_gets"] = BrowserRetry.retried["GET"]
    return summary


# -- main ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import gunicorn

    try:
        load = [round(x, 1) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "load_average": load,
        "python": platform.python_version(),
        "gunicorn": gunicorn.__version__,
    }


def describe(options: Options) -> str:
    if options.worker_class == "gthread":
        return f"gthread 2×{options.workers}×{options.threads}"
    return f"{options.worker_class} 2×{options.workers}"


def report_run(options: Options, s: dict[str, Any]) -> str:
    lines = [
        f"-- {describe(options)}, WeChat {options.latency_ms:g} ms away: "
        f"{s['completed']} of {s['signins']} sign-ins in {s['seconds']} s "
        f"= {s['signins_per_second']}/s",
        f"   failed {s['failures']}, crossed {s['crossed']}, 5xx {s['server_errors']}, "
        f"errors logged {s['errors_logged']}, GETs retried on a closed connection "
        f"{s['retried_gets']}",
        f"   callback p50 {s['callback_ms_p50']} ms, p99 {s['callback_ms_p99']} ms "
        f"(returning p50 {s['returning_callback_ms_p50']} ms of {s['returning']}, "
        f"new p50 {s['new_callback_ms_p50']} ms of {s['new']}); "
        f"whole sign-in p50 {s['signin_ms_p50']} ms, p99 {s['signin_ms_p99']} ms",
        f"   expiries: {s['expired_tokens']} expired tokens presented in {s['visits']} visits, "
        f"{s['refresh_calls']} refresh calls ({s['repeated_refreshes']} repeated)",
        f"   code exchanges per sign-in {s['exchanges_per_signin']}; steps on "
        f"{s['hosts_used']} hosts ({s['across_hosts']} sign-ins across both), "
        f"{s['worker_pids']} worker pids",
        f"   one browser alone, returning people: callback p50 "
        f"{s['alone_returning_callback_ms_p50']} ms over {s['alone_returning']} sign-ins, "
        f"{s['alone_returning_wechat_calls']} WeChat calls each",
    ]
    lines += [f"   {count} x {error}" for error, count in s["errors"].items()]
    if s["log_tail"]:
        lines.append("   server log (tail):\n" + s["log_tail"])
    return "\n".join(lines)


def table(results: list[dict[str, Any]], latency_ms: float) -> str:
    """The summary table: one row per worker class."""
    rows = [
        f"| workers | sign-ins/s at 0 ms | at {latency_ms:g} ms | kept | callback p50 / p99 "
        f"at {latency_ms:g} ms | failed | crossed | refresh calls per expiry | returning "
        f"person's callback p50 alone |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by_class: dict[str, dict[float, dict[str, Any]]] = {}
    for result in results:
        by_class.setdefault(result["workers"], {})[result["latency_ms"]] = result["summary"]
    for workers, runs in by_class.items():
        base, far = runs.get(0.0), runs.get(latency_ms)
        if base is None or far is None:
            continue
        kept = (
            far["signins_per_second"] / base["signins_per_second"]
            if base["signins_per_second"]
            else 0
        )
        expired = base["expired_tokens"] + far["expired_tokens"]
        refreshes = base["refresh_calls"] + far["refresh_calls"]
        per_expiry = f"{refreshes / expired:.2f} ({refreshes}/{expired})" if expired else "–"
        rows.append(
            f"| {workers} | {base['signins_per_second']} | {far['signins_per_second']} "
            f"| {kept:.0%} | {far['callback_ms_p50']:.0f} / {far['callback_ms_p99']:.0f} ms "
            f"| {base['failures'] + far['failures']} | {base['crossed'] + far['crossed']} "
            f"| {per_expiry} | {far['alone_returning_callback_ms_p50']:.0f} ms |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    defaults = Options()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--worker-class",
        nargs="+",
        default=["sync", "gthread", "gevent"],
        choices=["sync", "gthread", "gevent"],
        help="gunicorn worker classes (all three)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=defaults.latency_ms,
        help="ms WeChat is away, measured against 0 ms (80)",
    )
    parser.add_argument(
        "--jitter",
        type=float,
        default=defaults.jitter_ms,
        help="up to this many ms more per call (0)",
    )
    parser.add_argument(
        "--signins", type=int, default=defaults.signins, help="timed sign-ins (300)"
    )
    parser.add_argument(
        "--clients", type=int, default=defaults.clients, help="concurrent browsers (32)"
    )
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="workers per host (2)"
    )
    parser.add_argument(
        "--threads", type=int, default=defaults.threads, help="threads per gthread worker (16)"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=defaults.max_requests,
        help="recycle workers after ~N requests (300)",
    )
    parser.add_argument(
        "--extra-users", type=int, default=defaults.extra_users, help="test people added (60)"
    )
    parser.add_argument(
        "--warmup", type=int, default=defaults.warmup, help="untimed sign-ins first (32)"
    )
    parser.add_argument(
        "--expiries",
        type=int,
        default=defaults.expiries,
        help="times the tokens expire mid-run (2)",
    )
    parser.add_argument(
        "--returning",
        type=int,
        default=defaults.returning,
        help="sign-ins of known people by one browser alone (30)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=defaults.max_seconds,
        help="each run stops by then (600)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--serve-emulator", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_emulator is not None:
        return serve_emulator(args.serve_emulator, args.extra_users, args.latency, args.jitter)

    from tests.servers import running_postgresql, running_redis

    setup = machine()
    print(
        f"flask-wechat load test, {setup['date']}: nproc {setup['nproc']}, load average "
        f"{setup['load_average']}, Python {setup['python']}, gunicorn {setup['gunicorn']}; "
        f"2 hosts × {args.workers} workers, {args.clients} browsers, {args.signins} sign-ins "
        f"(+{args.warmup} warm-up), tokens expiring {args.expiries} times",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    problems: list[str] = []
    with running_postgresql() as postgresql, running_redis() as redis_server:
        for worker_class in args.worker_class:
            for latency in (0.0, args.latency):
                options = Options(
                    worker_class=worker_class,
                    latency_ms=latency,
                    jitter_ms=args.jitter if latency else 0.0,
                    signins=args.signins,
                    clients=args.clients,
                    workers=args.workers,
                    threads=args.threads,
                    max_requests=args.max_requests,
                    extra_users=args.extra_users,
                    warmup=args.warmup,
                    expiries=args.expiries,
                    returning=args.returning,
                    max_seconds=args.max_seconds,
                )
                summary = run(options, postgresql.url, redis_server.url)
                print(report_run(options, summary), flush=True)
                problems += [f"{describe(options)} at {latency:g} ms: {r}" for r in bad(summary)]
                results.append(
                    {"workers": describe(options), "latency_ms": latency, "summary": summary}
                )
    setup["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    print()
    print(table(results, args.latency))
    print(f"\nload average before {setup['load_average']}, after {setup['load_average_after']}")
    if args.json:
        args.json.write_text(json.dumps({"setup": setup, "results": results}, indent=2) + "\n")
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
