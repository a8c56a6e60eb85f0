"""WeChat's web sign-in protocol, without Flask.

:class:`WeChatClient` builds the authorize links, exchanges a code for a
token through requests-oauthlib with :func:`wechat_compliance_fix`, and reads
the profile. One client per WeChat app, shared by every request: it keeps one
pool of HTTP connections so sign-ins reuse kept-alive connections to WeChat.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import requests
from oauthlib.oauth2 import OAuth2Error, TokenExpiredError
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session
from urllib3.util.retry import Retry

from .compliance import check_token, check_userinfo, read_json, wechat_compliance_fix
from .errors import (
    AccessTokenExpired,
    BadResponse,
    InvalidCredentials,
    RateLimited,
    RefreshTokenExpired,
    TokenError,
    TokenRefused,
    UnavailableError,
    WeChatError,
)
from .profile import WeChatProfile

OPEN_BASE_URL = "https://open.weixin.qq.com"
API_BASE_URL = "https://api.weixin.qq.com"

#: The two ways into WeChat sign-in, each with its own kind of WeChat app:
#: desktop browsers scan a QR code (an Open Platform website app) ...
WEBSITE = "website"
#: ... and pages inside WeChat's own browser use an official account (公众号).
OFFICIAL_ACCOUNT = "official_account"

#: Desktop browsers: the person scans a QR code with their phone.
WEBSITE_SCOPE = "snsapi_login"
#: Inside WeChat's own browser (official-account web authorization).
IN_WECHAT_SCOPES = ("snsapi_userinfo", "snsapi_base")

Token = dict[str, Any]
T = TypeVar("T")

#: Read-only calls (userinfo, refresh, sns/auth) are tried once more after
#: WeChat's "system busy" (-1), an unreadable answer or a timeout, and userinfo
#: after WeChat's transient 40001 (see :class:`~flask_wechat.errors.TokenRefused`).
READ_RETRIES = 1
RETRY_PAUSE = 0.2
#: "invalid credential": a wrong secret on the exchange, a refused token elsewhere.
_INVALID_CREDENTIAL = 40001


class WeChatClient:
    """One WeChat app (its ``app_id`` and ``app_secret``) speaking to WeChat.

    Thread-safe; create it once and share it. ``timeout`` (seconds) applies
    to every call. Like any requests session it honours the proxy variables
    (``HTTPS_PROXY``, ``NO_PROXY``, ...) and ``REQUESTS_CA_BUNDLE`` as they are
    at each call. Point ``open_base_url`` / ``api_base_url`` at the local
    emulator to sign in without WeChat.
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        open_base_url: str = OPEN_BASE_URL,
        api_base_url: str = API_BASE_URL,
        timeout: float = 10.0,
        pool_maxsize: int = 10,
    ) -> None:
        self.app_id = app_id
        self._secret = app_secret
        self.open_base_url = open_base_url.rstrip("/")
        self.api_base_url = api_base_url.rstrip("/")
        self.timeout = timeout
        # One adapter, one connection pool, shared by every OAuth2Session we make.
        # It retries a failed *connect* once: WeChat never saw that request.
        connect_once = Retry(
            total=1, connect=1, read=False, status=False, other=False, redirect=False
        )
        self._adapter = HTTPAdapter(
            pool_connections=1, pool_maxsize=pool_maxsize, max_retries=connect_once
        )
        # The local emulator serves its avatars over http on its own origin: keep
        # those while it is the configured WeChat (real avatars must be https).
        self._avatar_origin = _origin(self.api_base_url) if is_loopback(self.api_base_url) else None

    def __repr__(self) -> str:  # never show the secret
        return f"<WeChatClient app_id={self.app_id!r} api={self.api_base_url!r}>"

    # -- links the browser follows -------------------------------------------

    def qrconnect_url(self, redirect_uri: str, state: str, lang: str | None = None) -> str:
        """The website-app QR page (desktop browsers), scope ``snsapi_login``.

        ``lang="en"`` asks for WeChat's English page (qrconnect documents
        ``lang=cn|en``, Chinese by default); it goes after ``state``.
        """
        extra = [("lang", "en")] if lang == "en" else []
        return self._authorize_link("/connect/qrconnect", redirect_uri, WEBSITE_SCOPE, state, extra)

    def oauth2_authorize_url(self, redirect_uri: str, state: str, scope: str) -> str:
        """Official-account web authorization, for pages inside WeChat's browser.

        Never with ``lang``: WeChat matches this link by pattern, and its pages
        follow the phone's language.
        """
        return self._authorize_link("/connect/oauth2/authorize", redirect_uri, scope, state)

    def qr_frame_url(
        self,
        redirect_uri: str,
        state: str,
        style: str = "black",
        href: str | None = None,
        lang: str | None = None,
    ) -> str:
        """The embedded QR code: the iframe WeChat's wxLogin.js would build.

        ``self_redirect=false``: on confirmation WeChat navigates the top
        window (the sign-in page) to ``redirect_uri?code&state``.
        """
        params = [
            ("appid", self.app_id),
            ("scope", WEBSITE_SCOPE),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("login_type", "jssdk"),
            ("self_redirect", "false"),
            ("style", style),
        ]
        if href:
            params.append(("href", href))
        if lang == "en":  # WeChat's frame is Chinese unless told otherwise
            params.append(("lang", "en"))
        query = urlencode(params, quote_via=quote, safe="")
        return f"{self.open_base_url}/connect/qrconnect?{query}"

    def _authorize_link(
        self,
        path: str,
        redirect_uri: str,
        scope: str,
        state: str,
        extra: list[tuple[str, str]] | None = None,
    ) -> str:
        # WeChat pattern-checks this link: parameters in exactly this order,
        # redirect_uri encoded once, and the #wechat_redirect fragment.
        query = urlencode(
            [
                ("appid", self.app_id),
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("scope", scope),
                ("state", state),
                *(extra or []),
            ],
            quote_via=quote,
            safe="",
        )
        return f"{self.open_base_url}{path}?{query}#wechat_redirect"

    # -- calls to WeChat's API -----------------------------------------------

    def session(self, token: Token | None = None, scope: str = WEBSITE_SCOPE) -> OAuth2Session:
        """A requests-oauthlib session with the WeChat fix and the shared pool."""
        return self.configure(OAuth2Session(self.app_id, scope=[scope], token=token))

    def configure(self, session: OAuth2Session) -> OAuth2Session:
        """Give ``session`` the shared connection pool and the WeChat fix."""
        session.mount("https://", self._adapter)
        session.mount("http://", self._adapter)
        return wechat_compliance_fix(session)

    def fetch_token(
        self, code: str, scope: str = WEBSITE_SCOPE, session: OAuth2Session | None = None
    ) -> Token:
        """Exchange an authorization code (single use) for a token.

        The token is WeChat's JSON plus ``token_type``, ``expires_at`` and
        ``appid``; it carries ``openid``, and ``unionid`` when the app is bound
        to an Open Platform account. Pass a ``session`` from :meth:`session` to
        reuse it for the calls that follow (the token is left on it).
        """
        session = session or self.session(scope=scope)
        try:
            token = guarded(
                session.fetch_token,
                f"{self.api_base_url}/sns/oauth2/access_token",
                code=code,
                client_secret=self._secret,
                method="GET",
                include_client_id=True,  # never an HTTP Basic header
                timeout=self.timeout,
            )
        except Warning as changed:
            # oauthlib warns when WeChat grants another scope than asked for;
            # WeChat's answer is what the token can do, so keep it.
            token = dict(getattr(changed, "token", None) or {})
        except (OAuth2Error, ValueError) as error:
            # The compliance fix checks WeChat's answer before oauthlib reads it;
            # should oauthlib still object, the answer was not WeChat's JSON.
            raise BadResponse(
                f"WeChat's token answer was unreadable ({type(error).__name__})"
            ) from None
        if not token.get("openid") or not token.get("access_token"):
            raise BadResponse("WeChat's token has no openid or access_token")
        # oauthlib turns WeChat's scope string into a list; keep WeChat's form.
        granted = token.get("scope") or scope
        token["scope"] = granted if isinstance(granted, str) else ",".join(granted)
        return self._stamp(token)

    def _stamp(self, token: Token) -> Token:
        # WeChat's token says neither when it expires nor which app it is for.
        token = dict(token)
        token["expires_at"] = time.time() + float(token.get("expires_in", 7200))
        token["appid"] = self.app_id
        return token

    def refresh_token(self, token: Token) -> Token:
        """A fresh access token from ``/sns/oauth2/refresh_token`` (GET; no secret).

        Raises :class:`~flask_wechat.errors.RefreshTokenExpired` when the
        refresh token is invalid or past its 30 days: the person must sign in
        again. Fields WeChat does not repeat (``unionid``) are kept.
        """
        if not token.get("refresh_token"):
            raise RefreshTokenExpired("the token has no refresh_token")
        session = self.session()
        params = {
            "appid": self.app_id,
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
        }
        fresh = self._read(session, "/sns/oauth2/refresh_token", params=params, withhold_token=True)
        fresh = check_token({"openid": token.get("openid"), **fresh})
        return self._stamp({**token, "token_type": "Bearer", **fresh})

    def check_token(self, token: Token) -> bool:
        """Ask ``/sns/auth`` whether the access token still works.

        ``False`` when WeChat says it is invalid or expired, 40001 included
        (``sns/auth`` sends no secret, so that can only be the token); other
        failures (WeChat unavailable or unreadable) raise.
        """
        params = {"access_token": token.get("access_token"), "openid": token.get("openid")}
        session = self.session()
        try:
            self._read(session, "/sns/auth", params=params)
        except TokenError:
            return False
        except InvalidCredentials as error:
            if error.errcode != _INVALID_CREDENTIAL:
                raise
            return False
        return True

    def fetch_userinfo(self, token: Token, session: OAuth2Session | None = None) -> dict[str, Any]:
        """``/sns/userinfo`` for the person the token belongs to.

        WeChat's transient 40001 for a token it has just issued is retried once
        with the same token; if it persists,
        :class:`~flask_wechat.errors.TokenRefused` (try again later). A
        malformed answer is :class:`~flask_wechat.errors.BadResponse`.
        """
        if session is None:
            session = self.session(token=token)
        elif session.token.get("access_token") != token.get("access_token"):
            session.token = token
        userinfo = self._read(session, "/sns/userinfo", token_refused=TokenRefused)
        return check_userinfo(userinfo, token.get("openid"))

    def _read(
        self,
        session: OAuth2Session,
        path: str,
        token_refused: type[UnavailableError] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """GET one of WeChat's read-only APIs, once more if WeChat was busy or garbled.

        Only reads come through here. A code exchange is never retried once
        sent: WeChat may have used the code up before its answer was lost, and
        a retry would only get 40163 and hide the real failure. (Failures to
        connect at all are retried for every call by the connection pool.)
        With ``token_refused``, WeChat's 40001 becomes that error and is retried
        like "system busy".
        """
        for attempt in range(READ_RETRIES + 1):
            try:
                response = guarded(
                    session.get, f"{self.api_base_url}{path}", timeout=self.timeout, **kwargs
                )
                try:
                    return read_json(response)
                except InvalidCredentials as refused:
                    if token_refused is None or refused.errcode != _INVALID_CREDENTIAL:
                        raise
                    raise token_refused(refused.errmsg, refused.errcode) from None
            except UnavailableError as error:
                # A spent minute quota (45011) is not back in 0.2 s.
                if attempt == READ_RETRIES or isinstance(error, RateLimited):
                    raise
                time.sleep(RETRY_PAUSE)
        raise AssertionError("unreachable")

    def fetch_profile(self, code: str, scope: str = WEBSITE_SCOPE) -> tuple[WeChatProfile, Token]:
        """Code -> token -> profile: the two round trips of a sign-in.

        With ``snsapi_base`` there is no userinfo call: the profile holds only
        the ``openid`` / ``unionid`` of the token response.
        """
        session = self.session(scope=scope)
        token = self.fetch_token(code, scope, session)
        return self.profile_for(token, session), token

    def profile_for(self, token: Token, session: OAuth2Session | None = None) -> WeChatProfile:
        """The profile of the token's person, calling ``/sns/userinfo`` only if a field needs it.

        No call at all for ``snsapi_base``; otherwise the first read of
        ``nickname``, ``avatar_url`` or ``raw`` fetches userinfo (with
        :meth:`fetch_userinfo`'s retries) on ``session``.
        """
        if set(str(token.get("scope", "")).replace(",", " ").split()) == {"snsapi_base"}:
            return WeChatProfile.from_token(token)
        return WeChatProfile.lazy(
            token,
            lambda: self.fetch_userinfo(token, session),
            avatar_origin=self._avatar_origin,
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (where the local emulator runs)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def guarded(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, its transport failures (and oauthlib's expiry
    check) turned into typed errors.

    The typed error is raised after the ``except`` block, so it carries no
    ``__context__``: requests' exceptions hold the URL, whose query holds the
    app secret and the code, and a tool that prints suppressed contexts would
    show it.
    """
    failure: WeChatError
    try:
        return call(*args, **kwargs)
    except TokenExpiredError:
        failure = AccessTokenExpired("the access token is past its expires_at")
    except requests.Timeout:
        failure = UnavailableError("WeChat did not answer in time")
    except requests.RequestException as error:
        failure = UnavailableError(f"could not reach WeChat ({type(error).__name__})")
    raise failure


@contextmanager
def transport_errors() -> Iterator[None]:
    """The same as :func:`guarded`, for a ``with`` block (0.1's form).

    Inside a ``with`` block the original exception stays the typed error's
    (suppressed) ``__context__``; the library itself uses :func:`guarded`.
    """
    try:
        yield
    except TokenExpiredError:
        raise AccessTokenExpired("the access token is past its expires_at") from None
    except requests.Timeout:
        raise UnavailableError("WeChat did not answer in time") from None
    except requests.RequestException as error:
        raise UnavailableError(f"could not reach WeChat ({type(error).__name__})") from None
