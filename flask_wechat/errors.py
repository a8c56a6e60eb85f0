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

Every class has a short English ``title`` and ``reason`` for people, marked for
translation; the web layer shows them in the person's language. Nothing here
imports Flask.
"""

from __future__ import annotations

from typing import ClassVar


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message


class WeChatError(Exception):
    """Base of every error flask-wechat raises.

    ``errcode`` and ``errmsg`` are WeChat's own when the error came from WeChat
    (``errcode`` is ``None`` for errors found locally). The message never holds
    the app secret, a token or an authorization code.
    """

    #: HTTP status of the page shown to the person.
    status_code: ClassVar[int] = 400
    title: ClassVar[str] = N_("Sign-in failed")
    reason: ClassVar[str] = N_("Something went wrong while signing you in with WeChat.")
    #: What the site owner should do, for the log; empty when nothing is to be done.
    hint: ClassVar[str] = ""

    def __init__(self, errmsg: str = "", errcode: int | None = None) -> None:
        self.errcode = errcode
        self.errmsg = errmsg or self.reason
        super().__init__(self.errmsg if errcode is None else f"{errcode}: {self.errmsg}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(errcode={self.errcode!r}, errmsg={self.errmsg!r})"


# -- the person's side -------------------------------------------------------


class SignInError(WeChatError):
    """The sign-in cannot go on, but trying again may work."""


class StateError(SignInError):
    """The callback's ``state`` is missing, unknown, used or too old.

    Refused before anything is sent to WeChat: it is how a forged or replayed
    callback looks, and also how a link opened in another browser looks.
    """

    title = N_("This sign-in link has expired")
    reason = N_(
        "The sign-in could not be verified. It may have been started in another "
        "browser or too long ago. Please start again."
    )


class AccessDenied(SignInError):
    """The person declined on WeChat's page."""

    status_code = 200
    title = N_("You cancelled the sign-in")
    reason = N_("You did not allow this site to use your WeChat account. No harm done.")


class CodeError(SignInError):
    """The authorization code is missing, unknown, expired or already used."""

    title = N_("This sign-in link has expired")
    reason = N_("The WeChat confirmation was already used or is too old. Please start again.")


class InvalidCode(CodeError):
    """WeChat does not know the code (40029), or none was sent (41008)."""

    reason = N_("WeChat did not recognise this confirmation. Please start again.")


class CodeUsed(CodeError):
    """The code was already exchanged (40163): a reload, a double click, a prefetch."""

    reason = N_(
        "This WeChat confirmation was already used, perhaps because the page was "
        "loaded twice. Please start again."
    )


class CodeExpired(CodeError):
    """The code is past its lifetime (42003): 10 minutes, 5 inside WeChat."""

    reason = N_("The WeChat confirmation took too long to arrive. Please start again.")


class SignInRefused(SignInError):
    """The site's ``profile_handler`` refused this WeChat account."""

    status_code = 403
    title = N_("Sign-in not allowed")
    reason = N_("This WeChat account is not allowed to sign in to this site.")


class FormExpired(SignInError):
    """A form came back without the token this site put in it (CSRF)."""

    title = N_("This form has expired")
    reason = N_("Please go back, reload the page and try again.")


class UnsupportedBrowser(SignInError):
    """Inside WeChat's browser, but the site has no official account configured.

    A website app's QR code cannot be scanned from the phone showing it, so
    the person is told how to sign in instead.
    """

    status_code = 200
    title = N_("Sign in from a computer")
    reason = N_(
        "WeChat sign-in for this site works from a computer: open this page in a "
        "browser on your computer and scan the QR code with WeChat."
    )


class SnapshotUser(SignInError):
    """WeChat's snapshot mode (``is_snapshotuser: 1``): the profile would be virtual."""

    status_code = 403
    title = N_("Tap “Use full service” first")
    reason = N_(
        "You are viewing a preview of this page in WeChat, so WeChat did not share "
        "your account. Tap “Use full service” at the bottom of the screen, then sign "
        "in again."
    )


# -- the site's side ---------------------------------------------------------


class ConfigurationError(WeChatError):
    """The site's WeChat setup is wrong; only its owner can fix it."""

    status_code = 503
    title = N_("WeChat sign-in is unavailable")
    reason = N_("WeChat sign-in is not set up correctly on this site. Please try again later.")
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


class InsecureSettings(ConfigurationError):
    """A ``WECHAT_*`` setting is missing or invalid (raised at ``init_app``)."""


# -- WeChat's side -----------------------------------------------------------


class UnavailableError(WeChatError):
    """WeChat is busy, over quota, unreachable or answered something unreadable."""

    status_code = 503
    title = N_("WeChat is not responding")
    reason = N_("WeChat could not be reached just now. Please try again in a moment.")


class SystemBusy(UnavailableError):
    """WeChat's "system busy, try again" (-1)."""

    title = N_("WeChat is busy")
    reason = N_("WeChat is busy right now. Please try again in a moment.")


class RateLimited(UnavailableError):
    """WeChat's per-minute API quota for this app is used up (45011)."""

    title = N_("WeChat is busy")
    reason = N_("Too many people are signing in right now. Please try again in a minute.")
    hint = "WeChat's per-minute API quota for this app is used up; it resets within a minute"


class BadResponse(UnavailableError):
    """WeChat answered with something that is not the JSON it documents."""

    status_code = 502
    reason = N_("WeChat sent an answer this site could not read. Please try again in a moment.")


# -- tokens after sign-in ----------------------------------------------------


class TokenError(WeChatError):
    """A stored token does not work any more; the person must sign in again."""

    status_code = 401
    title = N_("Please sign in again")
    reason = N_("Your WeChat sign-in has expired. Please sign in again.")


class InvalidAccessToken(TokenError):
    """WeChat does not accept the access token (40014, 41001) or its openid (40003)."""


class AccessTokenExpired(TokenError):
    """The access token is past its 7200 seconds (42001)."""


class RefreshTokenExpired(TokenError):
    """The refresh token is invalid or past its 30 days (40030, 42002)."""


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


def error_for(errcode: int, errmsg: str = "") -> WeChatError:
    """Return the typed error for one of WeChat's ``errcode`` values.

    An errcode WeChat has not documented for these APIs becomes a plain
    :class:`WeChatError`, still carrying the code and message.
    """
    return ERRCODES.get(errcode, WeChatError)(errmsg, errcode)
