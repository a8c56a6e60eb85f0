"""The errors of a WeChat sign-in, typed by who can fix them.

WeChat reports failures as ``{"errcode": N, "errmsg": "..."}`` with HTTP 200.
:func:`error_for` turns such a body into an exception from the hierarchy below,
so code can catch what it can act on:

* :class:`SignInError` - the person or their browser (declined, stale link,
  a code used twice). Ask them to try again.
* :class:`ConfigurationError` - the site's own setup (wrong secret, server IP
  not whitelisted, callback domain not registered). Only the site owner can
  fix these; each carries a ``hint`` for the log.
* :class:`UnavailableError` - WeChat is busy, over quota, slow or answering
  garbage. Try again later.
* :class:`TokenError` - a stored token no longer works; sign in again.
* :class:`ConnectError` - connecting WeChat to a signed-in person's account, or
  disconnecting it, cannot go on (someone else's WeChat, a refusal of the site's).

These are protocol errors: they say what went wrong and who can fix it, and
nothing about pages. The web layer (:mod:`flask_wechat.pages`) decides what a
person sees for each: a status, a title and a reason in their language.
Nothing here imports Flask.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (the web layer's pages do)."""
    return message


class WeChatError(Exception):
    """Base of every error flask-wechat raises.

    ``errcode`` and ``errmsg`` are WeChat's own when the error came from WeChat
    (``errcode`` is ``None`` for errors found locally). The message never holds
    the app secret, a token or an authorization code.
    """

    #: What the site owner should do, for the log; empty when nothing is to be done.
    hint: str = ""

    def __init__(self, errmsg: str = "", errcode: int | None = None) -> None:
        self.errcode = errcode
        self.errmsg = errmsg or _first_line(type(self).__doc__)
        super().__init__(self.errmsg if errcode is None else f"{errcode}: {self.errmsg}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(errcode={self.errcode!r}, errmsg={self.errmsg!r})"


# -- the person's side -------------------------------------------------------


class SignInError(WeChatError):
    """The sign-in cannot go on, but trying again may work."""


class StateError(SignInError):
    """The callback's ``state`` cannot be matched to a sign-in this browser started.

    Refused before anything is sent to WeChat. The two subclasses tell which case
    it is, so the page can say so without blaming anyone.
    """


class StateUnknown(StateError):
    """The ``state`` is missing, unknown or already used.

    How a forged or replayed callback looks, and also a reload of the callback
    page or a link opened in another browser.
    """


class StateExpired(StateError):
    """The ``state`` is genuine but older than ``WECHAT_STATE_MAX_AGE``."""


class AccessDenied(SignInError):
    """The person declined on WeChat's page."""


class CodeError(SignInError):
    """The authorization code is missing, unknown, expired or already used."""


class InvalidCode(CodeError):
    """WeChat does not know the code (40029), or none was sent (41008)."""


class CodeUsed(CodeError):
    """The code was already exchanged (40163): a reload, a double click, a prefetch."""


class CodeExpired(CodeError):
    """The code is past its lifetime (42003): 10 minutes, 5 inside WeChat."""


class SignInRefused(SignInError):
    """The site's ``profile_handler`` refused this WeChat account."""


class FormExpired(SignInError):
    """A form came back without the token this site put in it (CSRF)."""


class UnsupportedBrowser(SignInError):
    """Inside WeChat's browser, but the site has no official account configured.

    A website app's QR code cannot be scanned from the phone showing it, so
    the person is told how to sign in instead.
    """


class TooManyAttempts(SignInError):
    """Too many sign-in attempts from one address or session (the rate limits).

    Shown with ``Retry-After``; see :mod:`flask_wechat.limits`.
    """


class SnapshotUser(SignInError):
    """WeChat's snapshot mode (``is_snapshotuser: 1``): the profile would be virtual."""


# -- the site's side ---------------------------------------------------------


class ConfigurationError(WeChatError):
    """The site's WeChat setup is wrong; only its owner can fix it."""

    hint = "check WECHAT_APP_ID / WECHAT_APP_SECRET against the WeChat Open Platform"


class InvalidCredentials(ConfigurationError):
    """WeChat rejected the app's credentials (40001)."""

    hint = (
        "WeChat rejected the app id or secret: compare WECHAT_APP_ID and "
        "WECHAT_APP_SECRET with the website application on the WeChat Open Platform "
        "(a reset secret invalidates the old one)"
    )


class InvalidAppID(InvalidCredentials):
    """WeChat does not know the app id (40013, 41002), or it is the wrong kind (10016)."""

    hint = (
        "WeChat does not know this app id: check WECHAT_APP_ID (a website application "
        "of the Open Platform) and WECHAT_MP_APP_ID (an official account); the two "
        "kinds are not interchangeable"
    )


class InvalidSecret(InvalidCredentials):
    """WeChat rejected the app secret (40125, 41004)."""

    hint = (
        "WeChat rejected the app secret: copy WECHAT_APP_SECRET (or WECHAT_MP_APP_SECRET) "
        "again from the platform; resetting a secret there invalidates the old one"
    )


class InvalidRequest(ConfigurationError):
    """WeChat refused the request's shape (40002 invalid grant_type): a bug to report."""

    hint = "WeChat refused the request's parameters; please report this to flask-wechat"


class MissingProfileHandler(ConfigurationError):
    """No function was registered with ``@wechat.profile_handler``."""

    hint = "register a function with @wechat.profile_handler that returns your user"


class IPNotWhitelisted(ConfigurationError):
    """The server's IP address is not on the app's API whitelist (40164)."""

    hint = (
        "this server's public IP is not on the app's API IP whitelist: add it on the "
        "WeChat platform (the errmsg names the IP WeChat saw)"
    )


class RedirectURIMismatch(ConfigurationError):
    """The callback URL's domain is not the one registered for the app."""

    hint = (
        "the callback domain must equal the authorization callback domain registered "
        "for the app; run `flask wechat check` to print it"
    )


class ScopeNotAuthorized(ConfigurationError):
    """The app has no permission for the scope or API it used."""

    hint = "the app lacks this scope or API permission; check its capabilities on WeChat"


class SetupIncomplete(ConfigurationError):
    """The app lacks something sign-in needs (found at its first request).

    ``problems`` names each missing piece and how to fix it; they are also the
    ``hint`` of the log line.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        self.hint = "; ".join(self.problems)
        super().__init__("the app's set-up is incomplete")


class MissingConnectHandler(ConfigurationError):
    """Connect or disconnect was asked for, but no hook was registered for it."""

    hint = (
        "register @wechat.connect_handler (and @wechat.disconnect_handler) to connect "
        "WeChat to your users' accounts"
    )


class SettingsError(ConfigurationError):
    """A ``WECHAT_*`` setting is missing or invalid (raised at ``init_app``, naming the key)."""


#: The 0.1 name of :class:`SettingsError` (most bad settings are not about security).
InsecureSettings = SettingsError


# -- WeChat's side -----------------------------------------------------------


class UnavailableError(WeChatError):
    """WeChat is busy, over quota, unreachable or answered something unreadable."""


class SystemBusy(UnavailableError):
    """WeChat's "system busy, try again" (-1)."""


class RateLimited(UnavailableError):
    """WeChat's per-minute API quota for this app is used up (45011)."""

    hint = "WeChat's per-minute API quota for this app is used up; it resets within a minute"


class TokenRefused(SystemBusy):
    """WeChat refused an access token it has just issued (40001 from ``sns/userinfo``).

    Developers keep reporting it: right after the exchange, userinfo answers
    "invalid credential, access_token is invalid or not latest" while
    ``sns/auth`` accepts the same token, and a retry usually succeeds. It is
    WeChat's hiccup, not the site's secret (userinfo sends none), so the client
    retries once and then asks the person to try again.
    """


class SignInPaused(RateLimited):
    """New sign-ins wait for the next minute: WeChat said its quota is spent, or
    answered "system busy" several times in a row (see :mod:`flask_wechat.quota`).

    Raised before anything is sent to WeChat.
    """

    hint = ""


class BadResponse(UnavailableError):
    """WeChat answered with something that is not the JSON it documents."""


# -- the site's own servers --------------------------------------------------


class StorageUnavailable(UnavailableError):
    """The site's token storage or replay memory did not answer (its database or Redis
    server is down or refusing): nothing was kept, and nobody was signed in.

    A subclass of :class:`UnavailableError` (try again later), shown with a page of its
    own that does not blame WeChat.
    """

    hint = (
        "the token storage's or replay memory's server (database, Redis) did not answer, "
        "or refused the query: with SQLAlchemyStorage, check that its tables exist "
        "(storage.create_table() at deploy time, or your migrations)"
    )


class SignOutIncomplete(StorageUnavailable):
    """Signed out in this browser, but the storage could not delete the person's token
    or end their sign-in generation: copies elsewhere may work until they expire."""

    hint = (
        "the token storage's server did not answer at sign-out: the stored token and the "
        "sign-in generation were not deleted"
    )


# -- tokens after sign-in ----------------------------------------------------


class TokenError(WeChatError):
    """A stored token does not work any more; the person must sign in again."""


class InvalidAccessToken(TokenError):
    """WeChat does not accept the access token (40014, 41001) or its openid (40003)."""


class AccessTokenExpired(TokenError):
    """The access token is past its 7200 seconds (42001)."""


class ProfileNotFetched(WeChatError):
    """A profile field that needs ``/sns/userinfo`` was read after the sign-in.

    :class:`~flask_wechat.WeChatProfile` fetches userinfo only while the sign-in
    runs; read the fields you need inside the profile handler.
    """


class RefreshTokenExpired(TokenError):
    """The refresh token is invalid or past its 30 days (40030, 42002)."""


# -- connecting WeChat to an account -----------------------------------------


class ConnectError(WeChatError):
    """Connecting WeChat to the signed-in person's account, or disconnecting it, did not happen.

    Nothing was changed. ``reason``, when given, is shown to the person in place
    of the page's own: text in their language (your own gettext), never markup.
    The message (``errmsg``) goes to the log only.
    """

    def __init__(
        self, errmsg: str = "", errcode: int | None = None, *, reason: str | None = None
    ) -> None:
        super().__init__(errmsg, errcode)
        self.reason = reason


class NotSignedIn(ConnectError):
    """Nobody is signed in: there is no account to connect WeChat to or disconnect it from."""


class UserChanged(ConnectError):
    """The person signed in at the callback is not the one who started the connect.

    Checked before the code is exchanged: WeChat is not asked anything.
    """


class ConnectRefused(ConnectError):
    """Your ``connect_handler`` refused to connect this WeChat account (raise it there)."""


class AlreadyConnected(ConnectRefused):
    """This WeChat account belongs to another user of the site.

    Raise it from your ``connect_handler``: the person sees a page saying so and
    nothing changes.
    """


class DisconnectRefused(ConnectError):
    """Your ``disconnect_handler`` refused, for instance because WeChat is the
    person's only way to sign in; pass ``reason`` to tell them why."""


#: WeChat's errcodes on the sns APIs, and the error each one raises.
ERRCODES: dict[int, type[WeChatError]] = {
    -1: SystemBusy,  # system busy
    40001: InvalidCredentials,  # invalid credential: wrong secret or bad token
    40002: InvalidRequest,  # invalid grant_type
    40003: InvalidAccessToken,  # invalid openid
    40013: InvalidAppID,  # invalid appid
    40014: InvalidAccessToken,  # invalid access_token
    40029: InvalidCode,  # invalid code
    40030: RefreshTokenExpired,  # invalid refresh_token
    40125: InvalidSecret,  # invalid appsecret
    40163: CodeUsed,  # code been used
    40164: IPNotWhitelisted,  # caller IP not in the whitelist
    41001: InvalidAccessToken,  # access_token missing
    41002: InvalidAppID,  # appid missing
    41003: RefreshTokenExpired,  # refresh_token missing
    41004: InvalidSecret,  # secret missing
    41008: InvalidCode,  # code missing
    42001: AccessTokenExpired,  # access_token expired
    42002: RefreshTokenExpired,  # refresh_token expired
    42003: CodeExpired,  # code expired
    45011: RateLimited,  # API minute quota reached
    48001: ScopeNotAuthorized,  # API unauthorized (e.g. userinfo with snsapi_base)
    # Authorize-page errors, shown by WeChat as a page rather than JSON.
    10003: RedirectURIMismatch,  # redirect_uri domain differs from the registered one
    10005: ScopeNotAuthorized,  # no permission for this scope
    10016: InvalidAppID,  # an Open Platform appid used where an official account's is needed
}


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0]


def error_for(errcode: int, errmsg: str = "") -> WeChatError:
    """Return the typed error for one of WeChat's ``errcode`` values.

    An errcode WeChat has not documented for these APIs becomes a plain
    :class:`WeChatError`, still carrying the code and message.
    """
    return ERRCODES.get(errcode, WeChatError)(errmsg, errcode)
