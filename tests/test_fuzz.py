"""Property-based fuzzing of the sign-in endpoints (hypothesis).

Thousands of generated requests go to ``/wechat/callback``,
``/wechat/authorize`` and ``/wechat/login`` of the test app (the emulator
behind it is real HTTP): random keys and values, duplicated parameters,
unicode, values of up to 20,000 characters, broken percent-escapes (invalid
UTF-8, truncated, ``%zz``), and random ``Accept-Language``, ``User-Agent``,
``Cookie``, ``Host`` and ``Referer`` headers. Mixed in: the genuine state this
browser got from ``/wechat/authorize``, a state another browser got, fresh
codes issued by the emulator and codes already used, and replays: a state this
browser already used, sent again with a fresh code and the copy of the cookie
it had before (which still holds the state).

For every request:

* the status is never 5xx;
* nobody is signed in unless the callback carried a state minted for this
  browser's session *and* a genuine, unused code, and then it is the person
  the code was issued to;
* WeChat is not asked for a token unless the state was minted for this browser
  and never reached the callback before (a replay never reaches WeChat);
* a browser that never completed a sign-in is never seen as signed in.

How many requests to send at least: ``FUZZ_REQUESTS`` if set, else 10,000 under
``CI=true`` and 1,000 otherwise (a quick local run).
"""

from __future__ import annotations

import os
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask, request, session
from flask_login import current_user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_wechat import signals
from flask_wechat.emulator import WEBSITE_APP_ID
from flask_wechat.emulator.world import SCOPE_LOGIN, make_unionid
from flask_wechat.errors import StateError

from .helpers import IN_CI, start, state_of

TARGET_REQUESTS = int(os.environ.get("FUZZ_REQUESTS") or (10_000 if IN_CI else 1_000))
EXAMPLES_PER_ROUND = 400
MAX_ROUNDS = 40  # bounded: stops even if every example happened to be tiny

CALLBACK, AUTHORIZE, LOGIN = "/wechat/callback", "/wechat/authorize", "/wechat/login"
ENDPOINTS = (CALLBACK, AUTHORIZE, LOGIN)
FUZZ = "each endpoint"
USERS = ("lilei", "hanmeimei", "snapshot", "zhangwei")
OPEN_ACCOUNT = "emulator-open-account"


# -- placeholders resolved while the example runs (genuine values exist only then) --


class Genuine(str):
    """A value that becomes a real state or code when the step runs."""

    def __repr__(self) -> str:
        return f"<{self}>"


OWN_STATE = Genuine("state minted for this browser")
OTHER_STATE = Genuine("state minted for another browser")
REPLAYED_STATE = Genuine("state this browser used, with its cookie from before")
FRESH_CODE = Genuine("fresh code from WeChat")
USED_CODE = Genuine("code already used")

# -- strategies ------------------------------------------------------------------------

BAD_ESCAPES = (
    "%",
    "%2",
    "%z",
    "%zz",
    "%ff",
    "%fe%ff",
    "%c3%28",  # invalid UTF-8 continuation
    "%e2%82",  # truncated UTF-8 sequence
    "%ed%a0%80",  # an encoded surrogate
    "%f8%88%80%80%80",  # 5-byte form
    "%c0%af",  # overlong "/"
    "%00",
    "%0d%0a",
    "%25",
    "%%",
    "%u2603",
    "+",
)
INTERESTING = (
    "",
    "/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "/\t/evil.example",
    "/private/page",
    "/wechat/logout",
    "zh",
    "zh-CN",
    "zh_Hans",
    "EN",
    "en-GB",
    "de",
    "..",
    "null",
    "[]",
    "0" * 32,
    "é",
    "🐼",
    "李雷",
    "\u202e",
    "\x00",
)
KEYS = ("state", "code", "next", "lang", "appid", "scope", "", "state[]", "STATE", "cöde")

long_values = st.builds(
    lambda char, count: char * count,
    st.sampled_from(["a", "Z", "/", "%", "é", "🐼", "0", "&", "="]),
    st.integers(min_value=500, max_value=20_000),
)
plain_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(INTERESTING),
    st.text("0123456789abcdef", min_size=32, max_size=32),  # shaped like a state
    st.text(string.ascii_letters + string.digits, min_size=32, max_size=32),  # a code
    long_values,
)
broken_values = st.lists(
    st.one_of(st.sampled_from(BAD_ESCAPES), st.text(max_size=4)), min_size=1, max_size=6
).map("".join)
state_values = st.one_of(plain_values, st.sampled_from([OWN_STATE, OTHER_STATE]))
code_values = st.one_of(plain_values, st.sampled_from([FRESH_CODE, USED_CODE]))


@st.composite
def pairs(draw: Any) -> tuple[str, str, str]:
    """One ``key=value``, and how it is written into the query string."""
    key = draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)))
    if key == "state":
        value = draw(state_values)
    elif key == "code":
        value = draw(code_values)
    else:
        value = draw(st.one_of(plain_values, broken_values))
    mode = "raw" if isinstance(value, Genuine) else draw(st.sampled_from(["quote", "raw"]))
    return key, value, mode


header_text = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60),
    st.sampled_from(INTERESTING[:20]).filter(lambda v: v.isascii()),
    long_values.map(lambda v: v.encode().decode("latin-1")),
)


def _test_client_sends(host: str) -> bool:
    """Whether this Werkzeug's test client can send a request with ``host`` at all.

    Before Werkzeug 3.1.8 the test client itself raises on a Host header that is no
    valid URL authority (``[``, ``[]``), whatever the app answered; a real server
    passes such a header on. At those versions (CI's lowest-versions run) the fuzz
    leaves these few Host values out; with a current Werkzeug it sends them all.
    """
    try:
        Flask(__name__).test_client().get("/", headers={"Host": host})
    except Exception:
        return False
    return True


host_text = header_text if _test_client_sends("[") else header_text.filter(_test_client_sends)
accept_languages = st.one_of(
    st.sampled_from(
        [
            "zh-CN,zh;q=0.9,en;q=0.8",
            "en-US,en;q=0.5",
            "*",
            "zh;q=abc",
            "en;q=-1,zh;q=2",
            ",,;;==",
            "zh-Hant-TW;q=0.9, x-klingon",
        ]
    ),
    header_text,
)
user_agents = st.one_of(
    st.sampled_from(
        [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.40",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) WindowsWechat MicroMessenger/7.0",
            "curl/8.0",
            "",
        ]
    ),
    header_text,
)
cookie_junk = st.one_of(
    header_text,
    st.sampled_from(
        [
            "session=",
            "session=.eJyrVkrNTcxMUbJSSk5MTs7PS8ssKi5KVaoFAH4TCDw.forged.signature",
            "session=eyJfdXNlcl9pZCI6ImxpbGVpIn0.Zz.forged",
            'session="\\"quoted\\""',
            "=; ;=;",
            "remember_token=1|forged",
        ]
    ),
)


@dataclass
class Step:
    path: str
    query: list[tuple[str, str, str]]
    headers: dict[str, str]
    #: "jar" sends the browser's own cookies; the others mix ``cookie_junk`` in.
    cookies: str = "jar"
    separator: str = "&"
    #: A clean, complete sign-in: the positive control, which must sign in.
    control: bool = False


@st.composite
def steps(draw: Any) -> Step:
    kind = draw(
        st.sampled_from(["fuzz"] * 4 + ["genuine-state", "genuine-code", "complete", "replay"])
    )
    headers = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "Accept-Language": accept_languages,
                "User-Agent": user_agents,
                "Cookie": cookie_junk,
                "Host": host_text,
                "Referer": header_text,
            },
        )
    )
    cookies = draw(st.sampled_from(["jar", "jar", "jar", "before", "after", "replace"]))
    if "Cookie" not in headers:
        cookies = "jar"
    extra = draw(st.lists(pairs(), max_size=5))
    if kind == "replay":
        query = [("state", REPLAYED_STATE, "raw"), ("code", FRESH_CODE, "raw")]
        return Step(CALLBACK, query, {}, "snapshot")
    if kind == "fuzz":
        path = FUZZ  # the same request to each endpoint
        query = extra
    else:
        path = CALLBACK
        state, code = {
            "genuine-state": (OWN_STATE, draw(code_values)),
            "genuine-code": (draw(state_values), FRESH_CODE),
            "complete": (OWN_STATE, FRESH_CODE),
        }[kind]
        query = [("state", state, "raw"), ("code", code, "raw")]
        if kind != "complete":
            # Garbage around the genuine values, duplicated keys included.
            query = draw(st.permutations(query + extra))
    if kind == "complete":
        return Step(path, query, {}, "jar", "&", control=True)
    separator = draw(st.sampled_from(["&", "&", "&", ";", "&&"]))
    return Step(path, query, headers, cookies, separator)


# -- the browser and the oracle --------------------------------------------------------


@dataclass
class Browser:
    """A cookie jar and what the site gave this browser."""

    cookies: dict[str, str] = field(default_factory=dict)
    minted: set[str] = field(default_factory=set)
    latest_state: str | None = None
    #: States that reached the callback (taken from the session), and the
    #: cookie this browser had right after each state was minted.
    used: set[str] = field(default_factory=set)
    snapshots: dict[str, str] = field(default_factory=dict)
    signed_in_as: str | None = None

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def keep(self, set_cookie_headers: list[str]) -> None:
        for header in set_cookie_headers:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            expired = "expires=thu, 01 jan 1970" in header.lower() or "max-age=0" in header.lower()
            if expired or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value


@dataclass
class Fuzzer:
    app: Flask
    world: Any
    sent: int = 0
    sign_ins: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    #: code -> the test person it was issued to
    codes: dict[str, str] = field(default_factory=dict)
    used_codes: list[str] = field(default_factory=list)
    seen: dict[str, Any] = field(default_factory=dict)
    #: Set-Cookie headers over the 4093 bytes browsers keep (they drop such cookies).
    oversized_cookies: int = 0
    replays: int = 0
    replay_cookie: str = ""

    def send(self, browser: Browser, step: Step, query: str) -> Any:
        headers = dict(step.headers)
        jar, junk = browser.cookie_header(), headers.pop("Cookie", "")
        cookie = {
            "jar": jar,
            "before": f"{junk}; {jar}",
            "after": f"{jar}; {junk}",
            "replace": junk,
            "snapshot": self.replay_cookie,
        }[step.cookies]
        if cookie:
            headers["Cookie"] = cookie
        self.seen = {"signed_in": [], "failed": None, "used_before": set(browser.used)}
        self.world.clear_requests()
        client = self.app.test_client(use_cookies=False)
        response = client.get(step.path, query_string=query, headers=headers)
        self.sent += 1
        # What reached WeChat's token endpoint while this request ran.
        self.seen["exchanged"] = [
            dict(call["query"]).get("code")
            for call in self.world.requests
            if call["path"] == "/sns/oauth2/access_token"
        ]
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (
            f"{response.status_code} for GET {step.path}?{query!r} headers={headers!r}:\n"
            f"{response.get_data(as_text=True)[:2000]}"
        )
        set_cookies = response.headers.getlist("Set-Cookie")
        self.oversized_cookies += sum(len(header) > 4093 for header in set_cookies)
        if step.cookies != "snapshot":  # a replay comes from a copy, not from this jar
            browser.keep(set_cookies)
        if step.path == AUTHORIZE and response.status_code == 302:
            states = parse_qs(urlsplit(response.location).query).get("state", [])
            browser.minted.update(states)
            browser.latest_state = states[0] if states else browser.latest_state
            for minted in states:
                browser.snapshots[minted] = browser.cookie_header()
        self.check(browser, step, query, response)
        state = self.seen.get("state")
        # The callback view ran (its first step takes the state) and did not refuse it.
        taken = self.seen.get("callback_ran") and not isinstance(self.seen["failed"], StateError)
        if step.path == CALLBACK and state in browser.minted and taken:
            browser.used.add(state)  # used up, whatever became of the sign-in
        if step.path == CALLBACK and self.seen.get("state") == browser.latest_state:
            browser.latest_state = None  # taken: single use
        return response

    def mint(self, browser: Browser) -> str:
        self.send(browser, Step(AUTHORIZE, [], {}), "")
        assert browser.latest_state
        return browser.latest_state

    def used_state(self, browser: Browser) -> str:
        """A state this browser used, its old cookie ready for the replay."""
        replayable = sorted(browser.used & set(browser.snapshots))
        if not replayable:  # use one first, with a clean sign-in
            fresh = self.mint(browser)
            query = f"state={fresh}&code={self.issue_code(USERS[self.sent % len(USERS)])}"
            self.send(browser, Step(CALLBACK, [], {}), query)
            replayable = sorted(browser.used & set(browser.snapshots))
        state = replayable[-1]
        self.replay_cookie = browser.snapshots[state]
        self.replays += 1
        return state

    def issue_code(self, user: str) -> str:
        code = self.world.issue_code(WEBSITE_APP_ID, user, SCOPE_LOGIN)
        self.codes[code] = user
        return code

    def check(self, browser: Browser, step: Step, query: str, response: Any) -> None:
        seen = self.seen
        where = f"GET {step.path}?{query!r} headers={step.headers!r} cookies={step.cookies}"
        state, code = seen.get("state"), seen.get("code")
        valid_state = state in browser.minted
        # WeChat is asked only after the state checked out.
        for exchanged in seen["exchanged"]:
            assert step.path == CALLBACK and valid_state, f"code sent to WeChat: {where}"
            assert state not in seen["used_before"], f"a used state reached WeChat: {where}"
            assert exchanged == code
        for user_id in seen["signed_in"]:
            assert step.path == CALLBACK, f"sign-in outside the callback: {where}"
            assert valid_state, f"sign-in without this browser's state: {where}"
            assert code in self.codes, f"sign-in without a genuine code: {where}"
            assert code not in self.used_codes, f"code used twice: {where}"
            assert user_id == make_unionid(OPEN_ACCOUNT, self.codes[code])
            self.used_codes.append(code)
            browser.signed_in_as = user_id
            self.sign_ins += 1
        if step.cookies == "snapshot":  # the old cookie's own identity, nothing new
            assert not seen["signed_in"], f"a replay signed in: {where}"
        elif seen.get("user_id") is not None:
            assert seen["user_id"] == browser.signed_in_as, f"signed in as someone: {where}"

    def run(self, examples: list[Step]) -> None:
        browser, other = Browser(), Browser()
        for step in examples:
            query = []
            for key, value, mode in step.query:
                if value is OWN_STATE and step.control:
                    value = self.mint(browser)
                elif value is OWN_STATE:
                    value = browser.latest_state or self.mint(browser)
                elif value is OTHER_STATE:
                    value = other.latest_state or self.mint(other)
                elif value is REPLAYED_STATE:
                    value = self.used_state(browser)
                elif value is FRESH_CODE:
                    value = self.issue_code(USERS[self.sent % len(USERS)])
                elif value is USED_CODE:
                    value = self.used_codes[-1] if self.used_codes else "0" * 32
                written = quote(value, safe="") if mode == "quote" else value
                query.append(f"{quote(key, safe='')}={written}")
            written_query = step.separator.join(query)
            if step.path == FUZZ:
                for path in ENDPOINTS:
                    self.send(browser, replace(step, path=path), written_query)
                continue
            response = self.send(browser, step, written_query)
            if step.control:
                # A clean, complete sign-in does sign in: the oracle can see one.
                assert response.status_code == 302, response.get_data(as_text=True)[:500]
                assert browser.signed_in_as is not None


def watch(app: Flask, fuzzer: Fuzzer) -> None:
    """Record what the app parsed and did, for :meth:`Fuzzer.check`."""

    @app.before_request
    def parsed() -> None:
        fuzzer.seen["state"] = request.args.get("state")
        fuzzer.seen["code"] = request.args.get("code")

    @app.after_request
    def outcome(response: Any) -> Any:
        fuzzer.seen["user_id"] = session.get("_user_id")
        if current_user.is_authenticated:
            fuzzer.seen["user_id"] = current_user.get_id()
        return response

    def signed_in(sender: Flask, user: Any, **extra: Any) -> None:
        fuzzer.seen["signed_in"].append(user.get_id())

    def failed(sender: Flask, error: Any, **extra: Any) -> None:
        fuzzer.seen["failed"] = error

    signals.signed_in.connect(signed_in, app, weak=False)
    signals.sign_in_failed.connect(failed, app, weak=False)
    callback = app.view_functions["wechat.callback"]

    def callback_ran(*args: Any, **kwargs: Any) -> Any:
        fuzzer.seen["callback_ran"] = True
        return callback(*args, **kwargs)

    app.view_functions["wechat.callback"] = callback_ran


def test_fuzzed_requests_never_fail_and_never_sign_in_without_state_and_code(
    make_app: Callable[..., Flask], wechat_emulator: Any
) -> None:
    app = make_app()
    fuzzer = Fuzzer(app, wechat_emulator.world)
    watch(app, fuzzer)

    @settings(
        max_examples=EXAMPLES_PER_ROUND,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(steps(), min_size=1, max_size=12))
    def one_browser(examples: list[Step]) -> None:
        fuzzer.run(examples)

    started = time.monotonic()
    rounds = 0
    while fuzzer.sent < TARGET_REQUESTS and rounds < MAX_ROUNDS:
        one_browser()
        rounds += 1
    elapsed = time.monotonic() - started

    print(
        f"\nfuzz: {fuzzer.sent} requests in {elapsed:.1f}s ({rounds} rounds), "
        f"{fuzzer.sign_ins} genuine sign-ins, {fuzzer.replays} replays, "
        f"statuses {sorted(fuzzer.statuses.items())}, "
        f"{fuzzer.oversized_cookies} cookies over 4093 bytes"
    )
    assert fuzzer.sent >= TARGET_REQUESTS
    assert fuzzer.sign_ins > 0  # the positive control ran: the oracle can see a sign-in
    assert fuzzer.replays > 0
    assert not any(status >= 500 for status in fuzzer.statuses)


def test_a_huge_code_with_a_genuine_state_is_refused_before_wechat(
    client: Any, wechat_emulator: Any
) -> None:
    # Found by the fuzzer above on ed1d52e: the code went to WeChat, whose server
    # answered 414 Request-URI Too Long, and the person got a 502 page.
    state = state_of(start(client))
    wechat_emulator.world.clear_requests()
    response = client.get(CALLBACK, query_string={"state": state, "code": "🐼" * 6000})
    assert response.status_code == 400
    assert wechat_emulator.world.requests == []


@pytest.mark.parametrize(
    "query",
    [
        "state=%ff%fe&code=%c3%28",
        "state=&code=",
        "code=abc",
        "state=" + "a" * 20_000,
        "next=%2F%2Fevil.example&lang=%e2%82",
    ],
)
def test_known_nasty_callbacks_are_refused_cleanly(client: Any, query: str) -> None:
    response = client.get(CALLBACK, query_string=query)
    assert response.status_code == 400
    with client.session_transaction() as stored:
        assert "_user_id" not in stored


# -- logout bodies -----------------------------------------------------------------------

GENUINE_TOKEN = Genuine("this browser's logout token")
LOGOUT_EXAMPLES = max(50, TARGET_REQUESTS // 20)
OWN_FIELD = Genuine("the logout form's own field name")
FIELD_NAMES = st.sampled_from(
    [OWN_FIELD, OWN_FIELD, "csrf_token", "_wechat_csrf_token", "next", "", "csrf_token[]"]
)
FIELD_VALUES = st.one_of(
    st.just(GENUINE_TOKEN),
    st.text(max_size=64),
    st.text(alphabet=st.characters(min_codepoint=0x10000), min_size=1, max_size=64),
    st.builds(lambda n: "a" * n, st.integers(min_value=5_000, max_value=60_000)),
)
CHARSETS = st.sampled_from(["", "; charset=utf-8", "; charset=latin-1", "; charset=nonsense"])


@st.composite
def logout_bodies(draw: Any) -> tuple[list[tuple[str, str]], str, str]:
    fields = draw(st.lists(st.tuples(FIELD_NAMES, FIELD_VALUES), max_size=6))
    raw_tail = draw(st.sampled_from(["", "&%ff=%fe", "&csrf_token=%c3%28", "&&&=", "%zz"]))
    return fields, raw_tail, draw(CHARSETS)


def test_fuzzed_logout_bodies_never_fail_and_sign_out_only_with_the_token(
    make_app: Callable[..., Flask], wechat_emulator: Any
) -> None:
    from .helpers import logout_field, sign_in

    app = make_app()
    client = app.test_client()
    statuses: dict[Any, int] = {}

    @settings(
        max_examples=LOGOUT_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(logout_bodies())
    def one_body(example: tuple[list[tuple[str, str]], str, str]) -> None:
        fields, raw_tail, charset = example
        if not client.get("/").data.decode().startswith("signed in"):
            sign_in(client, wechat_emulator)
        name, token = logout_field(client)
        pairs = [
            (name if key is OWN_FIELD else key, token if value is GENUINE_TOKEN else value)
            for key, value in fields
        ]
        body = "&".join(f"{quote(key)}={quote(value)}" for key, value in pairs) + raw_tail
        response = client.post(
            "/wechat/logout",
            data=body.encode(),
            content_type="application/x-www-form-urlencoded" + charset,
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (body[:200], response.status_code)
        signed_out = client.get("/").data == b"anonymous"
        first = next((value for key, value in pairs if key == name), None)
        if signed_out:
            assert first == token, "signed out without this browser's token"
            statuses["signed out"] = statuses.get("signed out", 0) + 1

    one_body()
    print(f"\nlogout fuzz: {sorted(statuses.items(), key=str)}")
    assert statuses.get("signed out"), "the positive control never signed out"
