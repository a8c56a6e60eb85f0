"""The emulator's state: registered apps, test people, codes, tokens, a clock, faults.

Everything WeChat would keep on its side lives here, behind one lock, so that the
threaded test server can serve several requests at once. This module knows nothing
about Flask: the views in this package translate HTTP to calls on :class:`World`
and :class:`EmulatorError` back to WeChat's ``{"errcode": N, "errmsg": "..."}`` bodies.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import math
import random
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

WEBSITE = "website"
OFFICIAL_ACCOUNT = "official_account"
APP_KINDS = (WEBSITE, OFFICIAL_ACCOUNT)

#: Seeded Open Platform account both default apps are bound to (so they share unionids).
OPEN_ACCOUNT = "emulator-open-account"

# The seeded secrets are public, emulator-only test credentials (hence the noqa): they
# are accepted by this emulator and nowhere else.

#: Seeded website app (Open Platform "网站应用", QR sign-in on desktop browsers).
WEBSITE_APP_ID = "wxe1a0000000000001"
WEBSITE_APP_SECRET = "5e1a7c0d9b2f4e6a8c1d3f5a7b9e0c2d"  # noqa: S105

#: Seeded official account app (公众号 web authorization inside WeChat's browser).
MP_APP_ID = "wxe1a0000000000002"
MP_APP_SECRET = "0f2e4d6c8b0a1f3e5d7c9b1a2f4e6d8c"  # noqa: S105

#: Callback domains registered for both seeded apps. A bare host matches any port on
#: qrconnect; official-account authorize refuses a port unless that exact
#: ``host:port`` is registered (see :meth:`World.add_callback_domain`).
DEFAULT_CALLBACK_DOMAINS = ("127.0.0.1", "localhost")

#: Keys of the seeded test people, in the order pages list them.
USER_LILEI = "lilei"
USER_HANMEIMEI = "hanmeimei"
USER_SNAPSHOT = "snapshot"
USER_NO_AVATAR = "zhangwei"
USER_CONTROL_CHAR = "xiaoming"
USER_BAD_BYTE = "lina"
USER_HTTP_AVATAR = "wangfang"

#: By default one freshly exchanged access token in this many is refused once by
#: ``/sns/userinfo`` with 40001, as WeChat has been seen to do (0 turns it off).
USERINFO_40001_ONE_IN = 4

SCOPE_LOGIN = "snsapi_login"
SCOPE_BASE = "snsapi_base"
SCOPE_USERINFO = "snsapi_userinfo"

#: Code lifetimes: WeChat documents 10 minutes for website apps, 5 for official accounts.
CODE_LIFETIME = {WEBSITE: 600, OFFICIAL_ACCOUNT: 300}
ACCESS_TOKEN_LIFETIME = 7200
REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600

#: WeChat's English errmsg texts for the codes the sns APIs answer. Real responses append
#: a request id in one of several forms (:data:`ERRMSG_SUFFIXES`); :func:`errmsg` does too.
ERRMSG: dict[int, str] = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40014: "invalid access_token",
    40029: "invalid code",
    40030: "invalid refresh_token",
    40125: "invalid appsecret",
    40163: "code been used",
    40164: "invalid ip, not in whitelist",
    41001: "access_token missing",
    41002: "appid missing",
    41003: "refresh_token missing",
    41004: "appsecret missing",
    41008: "missing code",
    41009: "missing openid",
    42001: "access_token expired",
    42002: "refresh_token expired",
    42003: "code expired",
    45011: "api minute-quota reach limit",
    48001: "api unauthorized",
}

FAULT_KINDS = ("errcode", "http_status", "html", "truncated", "empty", "delay", "body")

_TOKEN_ALPHABET = string.ascii_letters + string.digits


def rid(now: float | None = None) -> str:
    """A request id shaped like WeChat's: hex time, then two random hex groups."""
    stamp = int(time.time() if now is None else now) & 0xFFFFFFFF
    return f"{stamp:08x}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


#: The forms WeChat's request-id suffix has been seen in (community captures).
ERRMSG_SUFFIXES = (", rid: {rid}", " rid: {rid}", " hints: [ req_id: {rid} ]")


def errmsg(errcode: int, now: float | None = None, form: int = 0) -> str:
    """WeChat's message for ``errcode`` with a fresh request id in suffix ``form``
    (an index into :data:`ERRMSG_SUFFIXES`; 0 is ``, rid: ...``)."""
    text = ERRMSG.get(errcode, "system error")
    return text + ERRMSG_SUFFIXES[form % len(ERRMSG_SUFFIXES)].format(rid=rid(now))


class EmulatorError(Exception):
    """An error the emulated WeChat answers with: HTTP 200 ``{"errcode", "errmsg"}``.

    Named apart from :class:`flask_wechat.WeChatError` (the client's errors): the
    emulator shares no code with the client. ``WeChatError`` is its 0.1 name.
    """

    def __init__(self, errcode: int) -> None:
        super().__init__(f"{errcode} {ERRMSG.get(errcode, 'system error')}")
        self.errcode = errcode

    def body(self, now: float | None = None, form: int = 0) -> dict[str, Any]:
        return {"errcode": self.errcode, "errmsg": errmsg(self.errcode, now, form)}


class RawJSONString(bytes):
    """A JSON string value the emulator writes byte for byte between its quotes.

    WeChat has sent nicknames holding a raw control character (invalid strict JSON)
    or a byte that is not UTF-8; a ``str`` cannot carry either onto the wire.
    """


@dataclass(frozen=True)
class App:
    """An app registered with WeChat.

    ``kind`` is ``"website"`` (Open Platform website app, qrconnect, ``snsapi_login``) or
    ``"official_account"`` (web authorization, ``snsapi_base``/``snsapi_userinfo``).
    Apps bound to the same ``open_account`` see the same ``unionid`` for a person.
    """

    appid: str
    secret: str
    kind: str
    callback_domains: tuple[str, ...]
    open_account: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in APP_KINDS:
            raise ValueError(f"kind must be one of {APP_KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class User:
    """A test person who can "scan" the QR code or approve an authorization.

    ``sex`` is always 0 and the place fields are empty: WeChat stopped reporting them
    in late 2021. ``snapshot`` marks a snapshot-mode user (a page opened from a Moments
    preview): official accounts see ``is_snapshotuser: 1`` and virtual profile data.
    ``has_avatar=False`` gives an empty ``headimgurl``, which WeChat also allows.

    ``nickname`` is the text WeChat means (invalid bytes as U+FFFD); ``wire_nickname``,
    when given, is the bytes userinfo carries instead (a raw control character, an
    invalid UTF-8 byte).
    ``headimgurl``, when given, replaces the emulator's own avatar URL in userinfo
    (e.g. ``http://`` on WeChat's image host, as WeChat long sent).
    """

    key: str
    nickname: str
    avatar_color: str = "#3b5b92"
    snapshot: bool = False
    has_avatar: bool = True
    wire_nickname: bytes | None = None
    headimgurl: str | None = None
    sex: int = 0
    province: str = ""
    city: str = ""
    country: str = ""

    @property
    def initial(self) -> str:
        """First character of the nickname, drawn on the emulator's avatar."""
        return self.label[:1].upper() or "?"

    @property
    def label(self) -> str:
        """The nickname for the emulator's pages: control characters as visible symbols."""
        return "".join(chr(0x2400 + ord(c)) if ord(c) < 0x20 else c for c in self.nickname)


def default_apps(callback_domains: tuple[str, ...] = DEFAULT_CALLBACK_DOMAINS) -> list[App]:
    """The two seeded apps, bound to one open account."""
    return [
        App(WEBSITE_APP_ID, WEBSITE_APP_SECRET, WEBSITE, callback_domains, OPEN_ACCOUNT),
        App(MP_APP_ID, MP_APP_SECRET, OFFICIAL_ACCOUNT, callback_domains, OPEN_ACCOUNT),
    ]


def default_users() -> list[User]:
    """The seeded test people; the first one is the default choice."""
    return [
        User(USER_LILEI, "李雷", avatar_color="#1f6f8b"),
        # Emoji outside the BMP: catches clients that decode the body as Latin-1.
        User(USER_HANMEIMEI, "Han Meimei 🐼", avatar_color="#8e3b6e"),
        # WeChat gives snapshot-mode users a virtual nickname and a grey default avatar.
        User(USER_SNAPSHOT, "微信用户", avatar_color="#5f6368", snapshot=True),
        User(USER_NO_AVATAR, "张伟", avatar_color="#7a5c12", has_avatar=False),
        # A raw backspace inside the JSON string: strict JSON parsers refuse the body.
        User(
            USER_CONTROL_CHAR,
            "小明\b",
            avatar_color="#2e7d32",
            wire_nickname="小明\b".encode(),
        ),
        # One byte that is not UTF-8 after the name: strict decoders refuse the body.
        User(
            USER_BAD_BYTE,
            "李娜\ufffd",
            avatar_color="#ad1457",
            wire_nickname="李娜".encode() + b"\xff",
        ),
        # headimgurl on WeChat's image host, over http:// as WeChat long sent it.
        User(
            USER_HTTP_AVATAR,
            "王芳",
            avatar_color="#6a1b9a",
            headimgurl=WECHAT_IMAGE_URL,
        ),
    ]


#: A headimgurl shaped like WeChat's (``/132``: 132 px), over plain http.
WECHAT_IMAGE_URL = (
    "http://thirdwx.qlogo.cn/mmopen/vi_32/"
    "Q0j4TwGTfTKemulatorWangFangPlaceholderAvatar0000000000000000000/132"
)


def _b64_id(material: str) -> str:
    digest = hashlib.sha256(material.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def make_openid(appid: str, user_key: str) -> str:
    """Deterministic 28-character openid, different for every (app, person)."""
    return ("o" + _b64_id(f"openid:{appid}:{user_key}"))[:28]


def make_unionid(open_account: str, user_key: str) -> str:
    """Deterministic 28-character unionid, shared by every app of one open account."""
    return ("o" + _b64_id(f"unionid:{open_account}:{user_key}"))[:28]


def _random_token(length: int) -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(length))


@dataclass
class Code:
    """An authorization code: single use, short-lived, bound to app, person and scope."""

    code: str
    appid: str
    user_key: str
    scope: str
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    appid: str
    openid: str
    user_key: str
    scope: str
    expires_at: float
    #: Refuse the first /sns/userinfo call with 40001 (WeChat's transient hiccup).
    hiccup: bool = False


@dataclass
class RefreshToken:
    token: str
    appid: str
    openid: str
    user_key: str
    scope: str
    expires_at: float
    access_token: str


@dataclass
class Fault:
    """A scripted misbehaviour for the next ``times`` requests to ``path``."""

    path: str
    kind: str
    errcode: int = -1
    status: int = 502
    seconds: float = 2.0
    times: int = 1
    body: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "errcode": self.errcode,
            "status": self.status,
            "seconds": self.seconds,
            "times": self.times,
            "body": self.body,
        }


@dataclass
class _State:
    apps: dict[str, App] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    offset: float = 0.0
    userinfo_40001_one_in: int = USERINFO_40001_ONE_IN
    hiccups: random.Random = field(default_factory=random.Random)
    suffixes: random.Random = field(default_factory=random.Random)
    jitters: random.Random = field(default_factory=random.Random)


class World:
    """WeChat's side of sign-in, in memory. Thread-safe: every method takes one lock.

    ``World()`` starts with the seeded apps and people; :meth:`reset` returns to that.
    Time comes from :meth:`now` (real time plus an offset moved by :meth:`advance`), so
    tests can expire codes and tokens without sleeping.

    It answers as WeChat really does, not as kindly as its docs suggest: one freshly
    exchanged access token in ``userinfo_40001_one_in`` (0: never) is refused once by
    ``/sns/userinfo`` with 40001 and accepted on the next call; errmsg suffixes vary.
    Which token and which suffix come from a random generator seeded with ``seed``,
    so a given sequence of calls always meets the same answers. ``callback_domains``
    are registered for the seeded apps (see :meth:`add_callback_domain`).
    """

    def __init__(
        self,
        *,
        seed: int | str = 0,
        userinfo_40001_one_in: int = USERINFO_40001_ONE_IN,
        callback_domains: tuple[str, ...] = DEFAULT_CALLBACK_DOMAINS,
        latency: float = 0.0,
        jitter: float = 0.0,
    ) -> None:
        self._lock = threading.RLock()
        self._latency = (0.0, 0.0)
        self.set_latency(latency, jitter)
        self._start_latency = self._latency
        self._state = _State()
        self._seed = seed
        self._callback_domains = tuple(d.strip().lower() for d in callback_domains)
        self._userinfo_40001_one_in = _one_in(userinfo_40001_one_in)
        self.reset()

    # -- clock -----------------------------------------------------------------------

    def now(self) -> float:
        """Emulated time: ``time.time()`` plus whatever :meth:`advance` added."""
        with self._lock:
            return time.time() + self._state.offset

    def advance(self, seconds: float) -> float:
        """Move the emulated clock forward (codes and tokens expire); returns now()."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._state.offset += seconds
            return self.now()

    # -- distance ----------------------------------------------------------------------

    def set_latency(self, seconds: float, jitter: float = 0.0) -> None:
        """Make every ``/sns/`` call wait ``seconds`` plus up to ``jitter`` more (0: none).

        WeChat is tens to hundreds of milliseconds from most servers; the load test
        and the benchmarks set it at start (``--latency``) or at run time (the control
        API's ``/_emulator/latency``); :meth:`reset` goes back to the one given at start.
        """
        if not (math.isfinite(seconds) and math.isfinite(jitter)) or seconds < 0 or jitter < 0:
            raise ValueError("latency and jitter must be finite and not negative")
        with self._lock:
            self._latency = (float(seconds), float(jitter))

    @property
    def latency(self) -> tuple[float, float]:
        """``(seconds, jitter)`` of each ``/sns/`` call."""
        with self._lock:
            return self._latency

    def next_delay(self) -> float:
        """How long the next ``/sns/`` call waits (seeded jitter)."""
        with self._lock:
            seconds, jitter = self._latency
            return seconds + (self._state.jitters.uniform(0, jitter) if jitter else 0.0)

    # -- setup -----------------------------------------------------------------------

    def reset(self, seed: int | str | None = None) -> None:
        """Back to the seeded apps and people; drop codes, tokens, faults, log, offset.

        The realism settings go back to the constructor's; ``seed`` replaces the
        seed from now on (the pytest fixture seeds each test with its own id).
        """
        with self._lock:
            if seed is not None:
                self._seed = seed
            self._state = _State(userinfo_40001_one_in=self._userinfo_40001_one_in)
            self._state.hiccups.seed(f"hiccups:{self._seed}")
            self._state.suffixes.seed(f"suffixes:{self._seed}")
            self._state.jitters.seed(f"jitters:{self._seed}")
            self._latency = getattr(self, "_start_latency", self._latency)
            for app in default_apps(self._callback_domains):
                self._state.apps[app.appid] = app
            for user in default_users():
                self._state.users[user.key] = user

    def add_app(self, app: App) -> App:
        """Register (or replace) an app."""
        with self._lock:
            self._state.apps[app.appid] = app
            return app

    def add_user(self, user: User) -> User:
        """Add (or replace) a test person."""
        with self._lock:
            self._state.users[user.key] = user
            return user

    def add_callback_domain(self, domain: str, appid: str | None = None) -> None:
        """Register a callback domain for ``appid`` (every app when None).

        ``domain`` is a host, or ``host:port``: WeChat's official-account authorize
        refuses any port, and registering ``127.0.0.1:PORT`` for a site started on
        loopback is this emulator's one leniency (WeChat has none).
        """
        domain = domain.strip().lower()
        if not domain or "/" in domain:
            raise ValueError("a callback domain is a host or host:port")
        with self._lock:
            for app in list(self._state.apps.values()):
                if appid in (None, app.appid) and domain not in app.callback_domains:
                    domains = (*app.callback_domains, domain)
                    self._state.apps[app.appid] = dataclasses.replace(app, callback_domains=domains)

    def get_app(self, appid: str) -> App | None:
        with self._lock:
            return self._state.apps.get(appid)

    def get_user(self, key: str) -> User | None:
        with self._lock:
            return self._state.users.get(key)

    @property
    def apps(self) -> list[App]:
        with self._lock:
            return list(self._state.apps.values())

    @property
    def users(self) -> list[User]:
        with self._lock:
            return list(self._state.users.values())

    @property
    def userinfo_40001_one_in(self) -> int:
        """One fresh token in this many gets a transient 40001 from userinfo; 0: none.

        Set it to 0 for a test that needs a kind WeChat (until the next :meth:`reset`),
        to 1 to meet the hiccup on every sign-in.
        """
        with self._lock:
            return self._state.userinfo_40001_one_in

    @userinfo_40001_one_in.setter
    def userinfo_40001_one_in(self, value: int) -> None:
        with self._lock:
            self._state.userinfo_40001_one_in = _one_in(value)

    def error_body(self, errcode: int) -> dict[str, Any]:
        """``{"errcode", "errmsg"}`` with one of WeChat's request-id suffixes."""
        with self._lock:
            form = self._state.suffixes.randrange(len(ERRMSG_SUFFIXES))
            return EmulatorError(errcode).body(self.now(), form)

    def default_user(self) -> User:
        """The person chosen when nothing else says who is holding the phone."""
        with self._lock:
            return next(iter(self._state.users.values()))

    # -- identities ------------------------------------------------------------------

    def openid(self, appid: str, user_key: str) -> str:
        return make_openid(appid, user_key)

    def unionid(self, appid: str, user_key: str) -> str | None:
        """The person's unionid as seen by ``appid``; None when the app is unbound."""
        app = self.get_app(appid)
        if app is None or not app.open_account:
            return None
        return make_unionid(app.open_account, user_key)

    # -- codes and tokens ------------------------------------------------------------

    def issue_code(self, appid: str, user_key: str, scope: str) -> str:
        """What happens when the person approves: a fresh single-use code."""
        with self._lock:
            app = self._state.apps.get(appid)
            if app is None:
                raise KeyError(f"unknown appid {appid!r}")
            if user_key not in self._state.users:
                raise KeyError(f"unknown user {user_key!r}")
            code = _random_token(32)
            self._state.codes[code] = Code(
                code=code,
                appid=appid,
                user_key=user_key,
                scope=scope,
                expires_at=self.now() + CODE_LIFETIME[app.kind],
            )
            return code

    def _check_app(self, appid: str | None) -> App:
        if not appid:
            raise EmulatorError(41002)
        app = self._state.apps.get(appid)
        if app is None:
            raise EmulatorError(40013)
        return app

    def exchange_code(
        self,
        appid: str | None,
        secret: str | None,
        code: str | None,
        grant_type: str | None,
    ) -> dict[str, Any]:
        """``/sns/oauth2/access_token``.

        Checks run in a fixed order, credentials first, so that a wrong secret never
        burns the code: 41002, 40013, 41004, 40125, 41008, 40002, 40029, 40163, 42003.
        """
        with self._lock:
            app = self._check_app(appid)
            if not secret:
                raise EmulatorError(41004)
            if not secrets.compare_digest(secret.encode(), app.secret.encode()):
                raise EmulatorError(40125)
            if not code:
                raise EmulatorError(41008)
            if grant_type != "authorization_code":
                raise EmulatorError(40002)
            record = self._state.codes.get(code)
            # A code issued to another app is as unknown to this app as a made-up one.
            if record is None or record.appid != app.appid:
                raise EmulatorError(40029)
            if record.used:
                raise EmulatorError(40163)
            now = self.now()
            if now >= record.expires_at:
                raise EmulatorError(42003)
            record.used = True

            openid = make_openid(app.appid, record.user_key)
            access = self._new_access_token(app.appid, openid, record.user_key, record.scope)
            one_in = self._state.userinfo_40001_one_in
            access.hiccup = bool(one_in) and self._state.hiccups.randrange(one_in) == 0
            refresh = RefreshToken(
                token=_random_token(86),
                appid=app.appid,
                openid=openid,
                user_key=record.user_key,
                scope=record.scope,
                expires_at=now + REFRESH_TOKEN_LIFETIME,
                access_token=access.token,
            )
            self._state.refresh_tokens[refresh.token] = refresh
            body: dict[str, Any] = {
                "access_token": access.token,
                "expires_in": ACCESS_TOKEN_LIFETIME,
                "refresh_token": refresh.token,
                "openid": openid,
                "scope": record.scope,
            }
            # The official-account docs only return unionid for snsapi_userinfo grants.
            if app.open_account and record.scope != SCOPE_BASE:
                body["unionid"] = make_unionid(app.open_account, record.user_key)
            user = self._state.users.get(record.user_key)
            if app.kind == OFFICIAL_ACCOUNT and user is not None and user.snapshot:
                body["is_snapshotuser"] = 1
            return body

    def _new_access_token(self, appid: str, openid: str, user_key: str, scope: str) -> AccessToken:
        token = AccessToken(
            token=_random_token(86),
            appid=appid,
            openid=openid,
            user_key=user_key,
            scope=scope,
            expires_at=self.now() + ACCESS_TOKEN_LIFETIME,
        )
        self._state.access_tokens[token.token] = token
        return token

    def refresh(
        self,
        appid: str | None,
        grant_type: str | None,
        refresh_token: str | None,
    ) -> dict[str, Any]:
        """``/sns/oauth2/refresh_token`` (no secret, as WeChat documents).

        An access token that has not expired yet comes back unchanged with its expiry
        extended; an expired one is replaced. The refresh token itself is returned as
        is and keeps its original 30-day deadline: after that the person must authorize
        again.
        """
        with self._lock:
            app = self._check_app(appid)
            if not refresh_token:
                raise EmulatorError(41003)
            if grant_type != "refresh_token":
                raise EmulatorError(40002)
            record = self._state.refresh_tokens.get(refresh_token)
            if record is None or record.appid != app.appid:
                raise EmulatorError(40030)
            now = self.now()
            if now >= record.expires_at:
                raise EmulatorError(42002)
            access = self._state.access_tokens.get(record.access_token)
            if access is not None and now < access.expires_at:
                access.expires_at = now + ACCESS_TOKEN_LIFETIME
            else:
                access = self._new_access_token(
                    app.appid, record.openid, record.user_key, record.scope
                )
                record.access_token = access.token
            return {
                "access_token": access.token,
                "expires_in": ACCESS_TOKEN_LIFETIME,
                "refresh_token": record.token,
                "openid": record.openid,
                "scope": record.scope,
            }

    def _check_token(self, access_token: str | None, openid: str | None) -> AccessToken:
        if not access_token:
            raise EmulatorError(41001)
        record = self._state.access_tokens.get(access_token)
        if record is None:
            raise EmulatorError(40014)
        if self.now() >= record.expires_at:
            raise EmulatorError(42001)
        if not openid:
            raise EmulatorError(41009)
        if openid != record.openid:
            raise EmulatorError(40003)
        return record

    def check_token(self, access_token: str | None, openid: str | None) -> dict[str, Any]:
        """``/sns/auth``: errcode 0 when the token is valid for that openid."""
        with self._lock:
            self._check_token(access_token, openid)
            return {"errcode": 0, "errmsg": "ok"}

    def userinfo(
        self,
        access_token: str | None,
        openid: str | None,
        base_url: str,
    ) -> dict[str, Any]:
        """``/sns/userinfo``; ``base_url`` is where this emulator serves avatars.

        ``lang`` would only translate province/city/country, which WeChat now leaves
        empty, so it has no effect here.
        """
        with self._lock:
            record = self._check_token(access_token, openid)
            if record.hiccup:  # once per token: the next call goes through
                record.hiccup = False
                raise EmulatorError(40001)
            if record.scope == SCOPE_BASE:
                raise EmulatorError(48001)
            user = self._state.users.get(record.user_key)
            if user is None:  # the person was removed after authorizing
                raise EmulatorError(40003)
            app = self._state.apps.get(record.appid)
            if user.snapshot and app is not None and app.kind == OFFICIAL_ACCOUNT:
                # A snapshot-mode token (is_snapshotuser: 1) has answered 48001.
                raise EmulatorError(48001)
            nickname: str | RawJSONString = user.nickname
            if user.wire_nickname is not None:
                nickname = RawJSONString(user.wire_nickname)
            # Keys in the order WeChat sends them, "language" included (always empty now).
            body: dict[str, Any] = {
                "openid": record.openid,
                "nickname": nickname,
                "sex": user.sex,
                "language": "",
                "city": user.city,
                "province": user.province,
                "country": user.country,
                "headimgurl": avatar_url(base_url, user),
                "privilege": [],
            }
            unionid = self.unionid(record.appid, record.user_key)
            if unionid:
                body["unionid"] = unionid
            return body

    # -- request log -----------------------------------------------------------------

    def log_request(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Log one request; ``form`` is a POST's urlencoded body, as pairs.

        Returns the entry, for :meth:`log_answer` to complete once answered.
        """
        entry = {
            "method": method,
            "path": path,
            "query": list(query),
            "form": list(form or []),
            "time": self.now(),
            "errcode": None,
        }
        with self._lock:
            self._state.requests.append(entry)
        return entry

    def log_answer(self, entry: dict[str, Any], errcode: int | None) -> None:
        """Record on a logged request the ``errcode`` WeChat answered (0: success;
        ``None``: not an API answer, such as a page or a body that is not JSON)."""
        with self._lock:
            entry["errcode"] = errcode

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Requests to /connect/* and /sns/* in arrival order (a copy), each with the
        ``errcode`` an ``/sns/`` call was answered (see :meth:`log_answer`)."""
        with self._lock:
            return copy.deepcopy(self._state.requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._state.requests.clear()

    # -- faults ----------------------------------------------------------------------

    def add_fault(
        self,
        path: str,
        kind: str,
        *,
        errcode: int = -1,
        status: int = 502,
        seconds: float = 2.0,
        times: int = 1,
        body: str = "",
    ) -> Fault:
        """Make the next ``times`` requests to ``path`` misbehave (local testing only).

        Kinds: ``errcode`` (answer that WeChat error), ``http_status`` (that status, a
        short HTML body), ``html`` (HTTP 200 with an HTML page, like a captive portal),
        ``truncated`` (the start of the real JSON body), ``empty`` (200, no body),
        ``delay`` (sleep ``seconds``, then answer normally), ``body`` (HTTP 200 with
        ``body`` as UTF-8, labelled like the real endpoint: a malformed answer).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, not {kind!r}")
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        if path.startswith("/_emulator/"):
            raise ValueError("the control API cannot be given faults")
        if times < 1:
            raise ValueError("times must be at least 1")
        if kind == "http_status" and not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        fault = Fault(path, kind, int(errcode), int(status), float(seconds), int(times), str(body))
        with self._lock:
            self._state.faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the oldest fault registered for ``path``."""
        with self._lock:
            for fault in self._state.faults:
                if fault.path == path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._state.faults.remove(fault)
                    return fault
            return None

    @property
    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._state.faults]

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()


AVATAR_SIZES = {0: 640, 46: 46, 64: 64, 96: 96, 132: 132}


def _one_in(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("userinfo_40001_one_in must be a whole number, 0 or more")
    return value


def avatar_url(base_url: str, user: User, size: int = 132) -> str:
    """``user``'s headimgurl: the emulator's own avatar unless the person has another
    (or none: empty)."""
    if not user.has_avatar:
        return ""
    if user.headimgurl is not None:
        return user.headimgurl
    return f"{base_url.rstrip('/')}/mmopen/{user.key}/{size}"


def __getattr__(name: str) -> Any:
    if name == "WeChatError":  # 0.1's name, which collided with flask_wechat.WeChatError
        import warnings

        warnings.warn(
            "flask_wechat.emulator.WeChatError is now EmulatorError",
            DeprecationWarning,
            stacklevel=2,
        )
        return EmulatorError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
