"""What a person sees for each error: a status, a title, a reason, a template.

The protocol layer's errors (:mod:`flask_wechat.errors`) say what went wrong
and who can fix it. This table says how the blueprint shows each to a person:
found by the error's class, or the nearest base class listed. Titles and
reasons are English source strings, marked for translation (``N_``) and shown
in the person's language by the templates.

To change a wording for your site, override the template's block (see the
customisation docs) rather than this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import errors
from .errors import N_


@dataclass(frozen=True)
class Presentation:
    """How one kind of error is shown."""

    status: int
    title: str
    reason: str
    template: str = "wechat/error.html"


_EXPIRED = N_("This sign-in link has expired")
#: A link that never was, or was already used: nobody is told it "expired".
_UNUSABLE = N_("This sign-in link can’t be used")
_BUSY = N_("WeChat is busy")
_NOT_CONNECTED = N_("WeChat was not connected")

#: Error class -> its presentation; subclasses not listed use their nearest listed base.
PRESENTATIONS: dict[type[errors.WeChatError], Presentation] = {
    errors.WeChatError: Presentation(
        400,
        N_("Sign-in failed"),
        N_("Something went wrong while signing you in with WeChat."),
    ),
    # -- the person's side --
    errors.StateError: Presentation(
        400,
        _UNUSABLE,
        N_(
            "It may have been used already, or opened in a different browser from the one "
            "that started the sign-in. Please start again."
        ),
    ),
    errors.StateExpired: Presentation(
        400, _EXPIRED, N_("The sign-in was started too long ago. Please start again.")
    ),
    errors.AccessDenied: Presentation(
        200,
        N_("You cancelled the sign-in"),
        N_("You did not allow this site to use your WeChat account. No harm done."),
        "wechat/declined.html",
    ),
    errors.CodeError: Presentation(
        400,
        _UNUSABLE,
        N_("The WeChat confirmation was already used or is too old. Please start again."),
    ),
    errors.InvalidCode: Presentation(
        400, _UNUSABLE, N_("WeChat did not recognise this confirmation. Please start again.")
    ),
    errors.CodeUsed: Presentation(
        400,
        _UNUSABLE,
        N_(
            "This WeChat confirmation was already used, perhaps because the page was "
            "loaded twice. Please start again."
        ),
    ),
    errors.CodeExpired: Presentation(
        400,
        _EXPIRED,
        N_("The WeChat confirmation took too long to arrive. Please start again."),
    ),
    errors.SignInRefused: Presentation(
        403,
        N_("Sign-in not allowed"),
        N_("This WeChat account is not allowed to sign in to this site."),
        "wechat/refused.html",
    ),
    errors.FormExpired: Presentation(
        400,
        N_("This form has expired"),
        N_("Please go back, reload the page and try again."),
    ),
    errors.UnsupportedBrowser: Presentation(
        200,
        N_("Sign in from a computer"),
        N_(
            "WeChat sign-in for this site works from a computer: open this page in a "
            "browser on your computer and scan the QR code with WeChat."
        ),
        "wechat/in_wechat.html",
    ),
    errors.TooManyAttempts: Presentation(
        429,
        N_("Too many attempts"),
        N_(
            "There were too many sign-in attempts from your network just now. "
            "Please wait a minute, then try again."
        ),
    ),
    errors.SnapshotUser: Presentation(
        403,
        N_("Tap “Use full service” first"),
        N_(
            "You are viewing a preview of this page in WeChat, so WeChat did not share "
            "your account. Tap “Use full service” at the bottom of the screen, then sign "
            "in again."
        ),
    ),
    # -- the site's side --
    errors.ConfigurationError: Presentation(
        503,
        N_("WeChat sign-in is unavailable"),
        N_("WeChat sign-in is not set up correctly on this site. Please try again later."),
    ),
    # -- WeChat's side --
    errors.UnavailableError: Presentation(
        503,
        N_("WeChat is not responding"),
        N_("WeChat could not be reached just now. Please try again in a moment."),
    ),
    errors.SystemBusy: Presentation(
        503, _BUSY, N_("WeChat is busy right now. Please try again in a moment.")
    ),
    errors.RateLimited: Presentation(
        503,
        _BUSY,
        N_("Too many people are signing in right now. Please try again in a minute."),
    ),
    errors.BadResponse: Presentation(
        502,
        N_("WeChat is not responding"),
        N_("WeChat sent an answer this site could not read. Please try again in a moment."),
    ),
    # -- the site's own servers --
    errors.StorageUnavailable: Presentation(
        503,
        N_("Please try again in a moment"),
        N_("This site could not save what it needed just now, so it could not finish."),
    ),
    errors.SignOutIncomplete: Presentation(
        503,
        N_("You are signed out in this browser"),
        N_(
            "This site could not finish signing you out on its server just now, so a copy "
            "of this sign-in elsewhere may still work until it expires. Please sign in and "
            "out again later if that matters to you."
        ),
    ),
    # -- connecting WeChat to an account --
    errors.ConnectError: Presentation(
        400,
        _NOT_CONNECTED,
        N_("Something went wrong while connecting WeChat to your account. Nothing was changed."),
        "wechat/connect_error.html",
    ),
    errors.NotSignedIn: Presentation(
        401,
        N_("Sign in first"),
        N_(
            "Connecting or disconnecting WeChat is for an account that is signed in. "
            "Please sign in, then try again."
        ),
        "wechat/connect_error.html",
    ),
    errors.UserChanged: Presentation(
        403,
        _NOT_CONNECTED,
        N_(
            "You are no longer signed in as the person who started connecting WeChat, so "
            "nothing was changed. Sign in to the account you want, then connect WeChat again."
        ),
        "wechat/connect_error.html",
    ),
    errors.ConnectRefused: Presentation(
        403,
        _NOT_CONNECTED,
        N_(
            "This site did not allow this WeChat account to be connected to your account. "
            "Nothing was changed."
        ),
        "wechat/connect_error.html",
    ),
    errors.AlreadyConnected: Presentation(
        409,
        N_("This WeChat is already connected to another account"),
        N_(
            "It is connected to a different account on this site, so it was not connected "
            "to yours and nothing was changed. To use it here, sign in with WeChat to that "
            "account and disconnect it there first."
        ),
        "wechat/already_connected.html",
    ),
    errors.DisconnectRefused: Presentation(
        409,
        N_("WeChat was not disconnected"),
        N_("This site did not allow WeChat to be disconnected from your account."),
        "wechat/disconnect_refused.html",
    ),
    # -- tokens after sign-in --
    errors.TokenError: Presentation(
        401,
        N_("Please sign in again"),
        N_("Your WeChat sign-in has expired. Please sign in again."),
    ),
}


def presentation_for(error: errors.WeChatError) -> Presentation:
    """The presentation of ``error``'s class or its nearest listed base class."""
    for cls in type(error).__mro__:
        found = PRESENTATIONS.get(cls)  # type: ignore[call-overload]
        if found is not None:
            return found
    return PRESENTATIONS[errors.WeChatError]
