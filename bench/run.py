"""The benchmark harness: ``python -m bench.run [--rounds N] [--quick]``.

The contenders (see :mod:`bench.contenders`) complete the same WeChat callback
(state check, token, userinfo, ``login_user``, redirect) against one emulator that runs
in a child process (:mod:`bench.emulator_process`), so only the app's work is counted
here. The apps are driven in-process with Flask's test client; each callback gets a
fresh browser (test client), a state minted by the contender's own authorize step and a
fresh code from the emulator's control API, and only the callback request is timed:
wall time (``perf_counter``) and this thread's CPU time (``thread_time``).

Contenders take turns in rounds (the order rotates every round) so that drift of the
machine hits all alike; medians are over every timed callback. The same run measures
the sign-in page against Flask rendering its very bytes from one compiled template, the
import time of ``flask_wechat`` over its dependencies (fresh interpreters), the WeChat
calls per sign-in (the emulator's request log) and the TCP connections each contender
opened (the emulator's ``connections_opened``). Prints markdown tables.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import itertools
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from flask import render_template, request

from . import contenders
from .contenders.common import APP_ID, SCOPE, Contender
from .emulator_process import ROOT, EmulatorProcess

#: The test person every sign-in uses (a Chinese nickname, so decoding is exercised).
USER = "lilei"

#: Targets of the issue, checked in the summary (ratios are to the floor, same run).
TARGET_CPU_RATIO = 1.05
#: The sign-in page against Flask rendering its very bytes from one compiled template.
TARGET_PAGE_RATIO = 1.5
TARGET_IMPORT_MS = 30.0
MIN_ROUND_TRIPS = 2  # snsapi_login: access_token, userinfo
#: A returning person whose handler reads only ``profile.id``: the code exchange alone.
RETURNING_ROUND_TRIPS = 1

#: What ``import flask_wechat`` is measured over: its install_requires, imported first.
DEPENDENCIES = ("flask", "flask_login", "requests", "requests_oauthlib", "jinja2")


class BenchError(RuntimeError):
    """A contender did not complete a sign-in as it should: its numbers would lie."""


@dataclass
class Timings:
    """Per-request samples, in nanoseconds, plus which round each came from."""

    wall: list[int] = field(default_factory=list)
    cpu: list[int] = field(default_factory=list)
    round_of: list[int] = field(default_factory=list)

    def add(self, wall: int, cpu: int, round_no: int) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.round_of.append(round_no)

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall) / 1e6

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) / 1e6

    def cpu_by_round(self) -> dict[int, float]:
        rounds: dict[int, list[int]] = {}
        for cpu, round_no in zip(self.cpu, self.round_of):
            rounds.setdefault(round_no, []).append(cpu)
        return {round_no: statistics.median(values) for round_no, values in rounds.items()}


@dataclass
class CallbackResult:
    """One contender's callbacks: timings, WeChat calls and TCP connections."""

    name: str
    timings: Timings = field(default_factory=Timings)
    #: Every sign-in, warm-up included (they count for calls and connections).
    sign_ins: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    connections: int = 0

    @property
    def round_trips(self) -> float:
        """WeChat calls per sign-in."""
        return sum(self.calls.values()) / self.sign_ins if self.sign_ins else 0.0

    @property
    def connections_per_100(self) -> float:
        return 100 * self.connections / self.sign_ins if self.sign_ins else 0.0


@dataclass
class PageResult:
    #: ``GET /wechat/login?next=…``, a new ``next`` every request.
    signin: Timings
    #: ``GET /bare?next=…``: Flask's ``render_template`` of one compiled template that
    #: produces the sign-in page's very bytes (for the same ``next``).
    bare: Timings
    signin_bytes: int
    bare_bytes: int


@dataclass
class ImportResult:
    flask_wechat_ms: list[float]
    dependencies_ms: list[float]

    @property
    def overhead_ms(self) -> float:
        return statistics.median(self.flask_wechat_ms)

    @property
    def dependencies_median_ms(self) -> float:
        return statistics.median(self.dependencies_ms)


# -- sign-ins -----------------------------------------------------------------------


class CodeIssuer:
    """Fresh codes from the emulator's control API, as if ``USER`` had approved.

    One kept-alive session, used only between timed callbacks.
    """

    def __init__(self, emulator_url: str) -> None:
        self.url = f"{emulator_url}/_emulator/codes"
        self.http = requests.Session()

    def issue(self) -> str:
        response = self.http.post(
            self.url, json={"appid": APP_ID, "user": USER, "scope": SCOPE}, timeout=10
        )
        if response.status_code != 201:
            raise BenchError(f"the emulator issued no code: {response.text[:200]}")
        return response.json()["code"]

    def close(self) -> None:
        self.http.close()


def sign_in(
    contender: Contender, code: str, around: Callable[[], AbstractContextManager[Any]] = nullcontext
) -> tuple[int, int]:
    """One sign-in in a fresh browser; returns (wall ns, CPU ns) of the callback alone.

    The contender's authorize step mints the state; ``code`` is what WeChat would send
    back. ``around`` is entered just outside the timed callback (the profiler uses it).
    """
    client = contender.app.test_client()
    to_wechat = client.get(contender.authorize_path)
    if to_wechat.status_code != 302:
        raise BenchError(f"{contender.name}: authorize answered {to_wechat.status_code}")
    state = parse_qs(urlsplit(to_wechat.location).query).get("state", [""])[0]
    if not state:
        raise BenchError(f"{contender.name}: no state in {to_wechat.location}")
    callback = f"{contender.callback_path}?{urlencode({'code': code, 'state': state})}"

    with around():
        cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
        response = client.get(callback)
        wall1, cpu1 = time.perf_counter_ns(), time.thread_time_ns()

    if response.status_code != 302 or response.location != "/":
        body = response.get_data(as_text=True)[:300]
        raise BenchError(f"{contender.name}: callback answered {response.status_code}: {body}")
    with client.session_transaction() as session:
        if "_user_id" not in session:
            raise BenchError(f"{contender.name}: the callback did not log the user in")
    return wall1 - wall0, cpu1 - cpu0


def _block(
    contender: Contender,
    result: CallbackResult,
    count: int,
    emulator: EmulatorProcess,
    codes: CodeIssuer,
    round_no: int | None,
) -> None:
    """``count`` sign-ins in a row; timed unless ``round_no`` is None (warm-up).

    The codes are issued first, so that between the two readings of the emulator's
    counters only this contender talks to it.
    """
    fresh = [codes.issue() for _ in range(count)]
    before = emulator.stats()  # also empties the request log
    for code in fresh:
        wall, cpu = sign_in(contender, code)
        if round_no is not None:
            result.timings.add(wall, cpu, round_no)
    after = emulator.stats()
    result.sign_ins += count
    result.connections += after["connections"] - before["connections"]
    result.calls.update(path for _method, path in after["requests"])
    # Collect this contender's garbage now, not during the next one's timed callbacks.
    gc.collect()


def available(names: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """The contenders whose library imports, and why the others were left out."""
    kept, missing = [], {}
    for name in names:
        try:
            __import__(contenders.MODULES[name])
        except ImportError as error:
            missing[name] = str(error)
        else:
            kept.append(name)
    return kept, missing


def run_callbacks(
    emulator: EmulatorProcess,
    names: Sequence[str],
    *,
    rounds: int,
    per_round: int,
    warmup: int,
) -> dict[str, CallbackResult]:
    """Interleaved rounds of callbacks; the order of contenders rotates every round."""
    built = {name: contenders.build(name, emulator.url) for name in names}
    results = {name: CallbackResult(built[name].name) for name in names}
    codes = CodeIssuer(emulator.url)
    try:
        for name in names:
            _block(built[name], results[name], warmup, emulator, codes, None)
        for round_no in range(rounds):
            shift = round_no % len(names)
            for name in [*names[shift:], *names[:shift]]:
                _block(built[name], results[name], per_round, emulator, codes, round_no)
    finally:
        codes.close()
    return results


# -- the sign-in page ---------------------------------------------------------------


SENTINEL_NEXT = "/page/SENTINEL"


def _page_app(emulator_url: str) -> Contender:
    """The flask-wechat app plus ``/bare``: the yardstick for its sign-in page.

    ``/bare`` is Flask's ``render_template`` of one template compiled once, whose
    output is the sign-in page's own bytes, byte for byte, for the same ``next``:
    the least Flask can do to send that page. The sign-in page is taken from the
    app itself with a sentinel ``next``, which becomes the template's one variable.
    """
    contender = contenders.build("flask-wechat", emulator_url)
    app = contender.app
    yardstick: dict[str, Any] = {}

    @app.get("/bare")
    def bare() -> str:
        return render_template(yardstick["template"], next=request.args.get("next", ""))

    with app.test_client() as client:
        page = client.get("/wechat/login", query_string={"next": SENTINEL_NEXT}).data.decode()
    if "{" in page or SENTINEL_NEXT not in page:
        raise BenchError("the sign-in page cannot be made into the yardstick template")
    yardstick["template"] = app.jinja_env.from_string(page.replace(SENTINEL_NEXT, "{{ next }}"))
    return contender


def run_pages(emulator: EmulatorProcess, *, rounds: int, per_round: int) -> PageResult:
    """``GET /wechat/login`` against ``GET /bare``, alternating, through the test client.

    Every request carries a ``next`` never seen before (as people arriving from
    different pages do); both answers are checked to be the same bytes.
    """
    app = _page_app(emulator.url).app
    numbers = itertools.count()
    paths = {"signin": "/wechat/login", "bare": "/bare"}
    timings = {kind: Timings() for kind in paths}
    sizes: dict[str, int] = {}
    client = app.test_client()
    warm = {
        kind: client.get(path, query_string={"next": "/page/0"}) for kind, path in paths.items()
    }
    if warm["signin"].data != warm["bare"].data:
        raise BenchError("the yardstick does not give the sign-in page's bytes")
    for kind, response in warm.items():
        if response.status_code != 200:
            raise BenchError(f"{paths[kind]} answered {response.status_code}")
        sizes[kind] = len(response.data)
    for round_no in range(rounds):
        order = list(paths) if round_no % 2 == 0 else list(reversed(paths))
        for kind in order:
            for _ in range(per_round):
                query = {"next": f"/page/{next(numbers)}"}
                cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
                response = client.get(paths[kind], query_string=query)
                wall1, cpu1 = time.perf_counter_ns(), time.thread_time_ns()
                if response.status_code != 200:
                    raise BenchError(f"{paths[kind]} answered {response.status_code}")
                timings[kind].add(wall1 - wall0, cpu1 - cpu0, round_no)
        gc.collect()
    return PageResult(timings["signin"], timings["bare"], sizes["signin"], sizes["bare"])


# -- import time --------------------------------------------------------------------

_IMPORT_PROBE = """
import time
t0 = time.perf_counter()
{deps}
t1 = time.perf_counter()
import flask_wechat
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def run_imports(repetitions: int) -> ImportResult:
    """Median over fresh interpreters of ``import flask_wechat`` after its dependencies."""
    probe = _IMPORT_PROBE.format(deps="\n".join(f"import {name}" for name in DEPENDENCIES))
    wechat, deps = [], []
    for attempt in range(repetitions + 2):
        out = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", probe],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if attempt < 2:  # the first runs may write bytecode caches
            continue
        deps.append(float(out[0]) * 1000)
        wechat.append(float(out[1]) * 1000)
    return ImportResult(wechat, deps)


def import_profile(top: int = 25) -> str:
    """``python -X importtime``: the modules ``import flask_wechat`` adds, slowest first."""
    code = "\n".join(f"import {name}" for name in DEPENDENCIES)
    code += "\nimport sys; sys.stderr.write('-- flask_wechat --\\n')\nimport flask_wechat"
    stderr = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    rows = []
    for line in stderr.split("-- flask_wechat --", 1)[1].splitlines():
        if line.startswith("import time:") and "|" in line and "self [us]" not in line:
            own, cumulative, module = line.removeprefix("import time:").split("|", 2)
            rows.append((int(cumulative), int(own), module.rstrip()))
    rows.sort(reverse=True)
    lines = [f"{'cumulative ms':>13} {'self ms':>8}  module"]
    lines += [f"{cum / 1000:13.2f} {own / 1000:8.2f}  {module}" for cum, own, module in rows[:top]]
    return "\n".join(lines)


# -- profiles -----------------------------------------------------------------------


def profile_callbacks(emulator: EmulatorProcess, name: str, count: int, top: int = 40) -> str:
    """cProfile over ``count`` callbacks of one contender (after a warm-up)."""
    contender = contenders.build(name, emulator.url)
    codes = CodeIssuer(emulator.url)
    profiler = _cpu_profiler()

    @contextmanager
    def profiled() -> Iterator[None]:
        profiler.enable()
        try:
            yield
        finally:
            profiler.disable()

    try:
        for _ in range(10):
            sign_in(contender, codes.issue())
        for _ in range(count):
            sign_in(contender, codes.issue(), around=profiled)
    finally:
        codes.close()
    return _stats_text(profiler, top, f"{name}: {count} callbacks")


def profile_page(emulator: EmulatorProcess, count: int, top: int = 40) -> str:
    """cProfile over ``count`` requests of the sign-in page."""
    client = _page_app(emulator.url).app.test_client()
    client.get("/wechat/login")
    profiler = _cpu_profiler()
    profiler.enable()
    for _ in range(count):
        client.get("/wechat/login")
    profiler.disable()
    return _stats_text(profiler, top, f"sign-in page: {count} requests")


def _cpu_profiler() -> cProfile.Profile:
    # This thread's CPU time, like the benchmark: time spent waiting for the emulator
    # (sendall, recv) would otherwise swamp the app's own work.
    return cProfile.Profile(time.thread_time_ns, 1e-9)


def _stats_text(profiler: cProfile.Profile, top: int, title: str) -> str:
    parts = [f"### {title}"]
    for order in ("cumulative", "tottime"):
        out = _Capture()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        parts.append(f"sorted by {order}:\n{out.text}")
    return "\n".join(parts)


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)


# -- the report ---------------------------------------------------------------------


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    q1, _, q3 = statistics.quantiles(values, n=4)
    return q1, q3


def cpu_ratio_spread(result: CallbackResult, floor: CallbackResult) -> tuple[float, float]:
    """Quartiles of the per-round ratio (contender median / floor median, same round)."""
    mine, base = result.timings.cpu_by_round(), floor.timings.cpu_by_round()
    return _quartiles([mine[r] / base[r] for r in mine if r in base and base[r]])


def _check(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def machine() -> str:
    return (
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · nproc {_nproc()} · "
        f"Python {platform.python_version()} ({platform.python_implementation()}) · "
        f"{platform.system()} {platform.machine()}"
    )


def _nproc() -> int:
    """What ``nproc`` prints: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 0


def report(
    results: dict[str, CallbackResult],
    missing: dict[str, str],
    pages: PageResult | None,
    imports: ImportResult | None,
    settings: str,
) -> str:
    lines = [f"{machine()}", f"{settings}", ""]
    floor = results.get("floor")
    if floor is not None:
        lines += [
            "| contender | timed callbacks | wall median ms | wall ×floor | app CPU median ms "
            "| app CPU ×floor | per-round CPU ×floor (IQR) | WeChat calls / sign-in "
            "| TCP connections (sign-ins) | per 100 sign-ins |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
    for name in contenders.MODULES if floor is not None else ():
        if name not in results:
            if name in missing:
                lines.append(f"| {name} | not installed ({missing[name]}) |||||||||")
            continue
        result = results[name]
        timings = result.timings
        q1, q3 = cpu_ratio_spread(result, floor)
        spread = "—" if result is floor else f"{q1:.3f}–{q3:.3f}"
        lines.append(
            f"| {result.name} | {len(timings.cpu)} | {timings.wall_ms:.2f} "
            f"| {timings.wall_ms / floor.timings.wall_ms:.3f} | {timings.cpu_ms:.2f} "
            f"| {timings.cpu_ms / floor.timings.cpu_ms:.3f} | {spread} "
            f"| {result.round_trips:g} | {result.connections} ({result.sign_ins}) "
            f"| {result.connections_per_100:.1f} |"
        )
    if floor is not None:
        lines.append("")
    if pages is not None:
        lines += [
            "| page | bytes | wall median ms | app CPU median ms | CPU ×bare |",
            "|---|--:|--:|--:|--:|",
            f"| Flask rendering the same bytes from one compiled template (`/bare`) "
            f"| {pages.bare_bytes} | {pages.bare.wall_ms:.3f} | {pages.bare.cpu_ms:.3f} | 1.000 |",
            f"| sign-in page (`/wechat/login`) | {pages.signin_bytes} "
            f"| {pages.signin.wall_ms:.3f} | {pages.signin.cpu_ms:.3f} "
            f"| {pages.signin.cpu_ms / pages.bare.cpu_ms:.3f} |",
            "",
        ]
    if imports is not None:
        lines += [
            f"`import flask_wechat` after its dependencies ({', '.join(DEPENDENCIES)}): "
            f"median {imports.overhead_ms:.1f} ms over {len(imports.flask_wechat_ms)} fresh "
            f"interpreters (the dependencies themselves: {imports.dependencies_median_ms:.0f} ms).",
            "",
        ]
    lines += ["| target | measured | goal | |", "|---|--:|--:|---|"]
    wechat = results.get("flask-wechat")
    if wechat is not None and floor is not None:
        ratio = wechat.timings.cpu_ms / floor.timings.cpu_ms
        lines.append(
            f"| flask-wechat app CPU vs the floor | {ratio:.3f}× | ≤ {TARGET_CPU_RATIO}× "
            f"| {_check(ratio <= TARGET_CPU_RATIO)} |"
        )
        dance = results.get("flask-dance")
        if dance is not None:
            dance_ratio = dance.timings.cpu_ms / floor.timings.cpu_ms
            lines.append(
                f"| flask-wechat cheaper than Flask-Dance (CPU) | {ratio:.3f}× vs "
                f"{dance_ratio:.3f}× | lower | {_check(ratio < dance_ratio)} |"
            )
    if pages is not None:
        page_ratio = pages.signin.cpu_ms / pages.bare.cpu_ms
        lines.append(
            f"| sign-in page vs a bare render (CPU) | {page_ratio:.3f}× "
            f"| ≤ {TARGET_PAGE_RATIO}× | {_check(page_ratio <= TARGET_PAGE_RATIO)} |"
        )
    if imports is not None:
        lines.append(
            f"| import overhead | {imports.overhead_ms:.1f} ms | ≤ {TARGET_IMPORT_MS:g} ms "
            f"| {_check(imports.overhead_ms <= TARGET_IMPORT_MS)} |"
        )
    if wechat is not None:
        lines += [
            f"| flask-wechat WeChat calls per sign-in | {wechat.round_trips:g} "
            f"| {MIN_ROUND_TRIPS} | {_check(wechat.round_trips == MIN_ROUND_TRIPS)} |",
            f"| flask-wechat TCP connections, 1 worker, {wechat.sign_ins} sign-ins "
            f"| {wechat.connections} | 1 | {_check(wechat.connections == 1)} |",
        ]
    returning = results.get("flask-wechat-returning")
    if returning is not None:
        # Its warm-up's first sign-in is a new person's (two calls); every other returns.
        lines.append(
            f"| flask-wechat WeChat calls per sign-in, returning person | "
            f"{returning.round_trips:.3g} | {RETURNING_ROUND_TRIPS} "
            f"| {_check(returning.round_trips < MIN_ROUND_TRIPS - 0.9)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, help="rounds of callbacks (default 30; quick 5)")
    parser.add_argument("--per-round", type=int, help="callbacks per contender per round (10)")
    parser.add_argument("--quick", action="store_true", help="a short run, to try the harness")
    parser.add_argument(
        "--contenders",
        default=",".join(contenders.MODULES),
        help=f"comma-separated, from {', '.join(contenders.MODULES)} (floor is always run)",
    )
    parser.add_argument("--no-pages", action="store_true", help="skip the sign-in page")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="only the sign-in page against a bare render (no callbacks, no import time)",
    )
    parser.add_argument("--no-imports", action="store_true", help="skip the import time")
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this file")
    parser.add_argument(
        "--profile",
        choices=[*contenders.MODULES, "page", "import"],
        help="instead of the benchmark: cProfile (CPU time) of a contender's callbacks or "
        "of the sign-in page, or python -X importtime of flask_wechat",
    )
    args = parser.parse_args(argv)
    if (args.rounds is not None and args.rounds < 1) or (
        args.per_round is not None and args.per_round < 1
    ):
        parser.error("--rounds and --per-round must be at least 1")
    if args.pages_only and args.no_pages:
        parser.error("--pages-only and --no-pages contradict each other")
    # The emulator speaks plain http on loopback, which oauthlib refuses unless told.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

    rounds = args.rounds or (5 if args.quick else 30)
    per_round = args.per_round or (4 if args.quick else 10)
    warmup = 3 if args.quick else 10
    import_reps = 8 if args.quick else 40

    if args.profile == "import":
        print(import_profile())
        return 0
    with EmulatorProcess() as emulator:
        if args.profile == "page":
            print(profile_page(emulator, 200 if args.quick else 2000))
            return 0
        if args.profile:
            print(profile_callbacks(emulator, args.profile, 50 if args.quick else 500))
            return 0

        results: dict[str, CallbackResult] = {}
        missing: dict[str, str] = {}
        if not args.pages_only:
            wanted = ["floor", *(n for n in args.contenders.split(",") if n and n != "floor")]
            unknown = [name for name in wanted if name not in contenders.MODULES]
            if unknown:
                parser.error(f"unknown contender(s): {', '.join(unknown)}")
            names, missing = available(wanted)
            for name, why in missing.items():
                print(f"note: {name} left out: {why} (pip install -e '.[bench]')", file=sys.stderr)
            if "floor" not in names:
                raise SystemExit(f"the floor cannot run: {missing['floor']}")
            results = run_callbacks(
                emulator, names, rounds=rounds, per_round=per_round, warmup=warmup
            )
        pages = None if args.no_pages else run_pages(emulator, rounds=rounds, per_round=per_round)
    imports = None if args.no_imports or args.pages_only else run_imports(import_reps)

    settings = (
        f"{rounds} rounds × {per_round} callbacks per contender (+{warmup} warm-up), "
        f"order rotating; emulator in a child process; app driven by Flask's test client."
    )
    if args.pages_only:
        settings = (
            f"sign-in page only: {rounds} rounds × {per_round} requests of each page, "
            f"order alternating; app driven by Flask's test client."
        )
    print(report(results, missing, pages, imports, settings))
    if args.json:
        args.json.write_text(json.dumps(_raw(results, pages, imports), indent=1))
    return 0


def _raw(
    results: dict[str, CallbackResult], pages: PageResult | None, imports: ImportResult | None
) -> dict[str, Any]:
    return {
        "machine": machine(),
        "callbacks": {
            name: {
                "wall_ns": r.timings.wall,
                "cpu_ns": r.timings.cpu,
                "round": r.timings.round_of,
                "sign_ins": r.sign_ins,
                "calls": dict(r.calls),
                "connections": r.connections,
            }
            for name, r in results.items()
        },
        "pages": None
        if pages is None
        else {
            "signin_cpu_ns": pages.signin.cpu,
            "bare_cpu_ns": pages.bare.cpu,
            "signin_bytes": pages.signin_bytes,
            "bare_bytes": pages.bare_bytes,
        },
        "imports": None
        if imports is None
        else {
            "flask_wechat_ms": imports.flask_wechat_ms,
            "dependencies_ms": imports.dependencies_ms,
        },
    }


if __name__ == "__main__":
    raise SystemExit(main())
