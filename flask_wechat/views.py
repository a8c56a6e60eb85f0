"""The ``wechat`` blueprint: sign-in page, authorize, callback, logout, connect, disconnect.

Every failure is a :class:`~flask_wechat.errors.WeChatError`; one handler
turns it into a status code, a page in the person's language and one log
line without secrets.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from functools import cached_property
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user
from jinja2 import Environment, FileSystemLoader
from werkzeug.wrappers import Response

from . import csrf, replay, signin, state
from .browsers import on_phone
from .client import OFFICIAL_ACCOUNT, WEBSITE
from .errors import AccessDenied, FormExpired, InvalidCode, SetupIncomplete, WeChatError
from .i18n import render, select_locale
from .pages import presentation_for

try:  # Flask-WTF is optional: used when the app has it
    from flask_wtf.csrf import CSRFError
except ImportError:  # pragma: no cover - without Flask-WTF installed
    CSRFError = None  # type: ignore[assignment,misc]

log = logging.getLogger("flask_wechat")


class BundledTemplates(FileSystemLoader):
    """The blueprint's templates, each also under a second name in ``wechat/default/``.

    An app overrides a page by adding ``templates/wechat/login.html``; that
    file can ``{% extends "wechat/default/login.html" %}`` (the bundled page)
    and change one block, where extending ``wechat/login.html`` would find
    itself.
    """

    PREFIX = "wechat/default/"

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if template.startswith(self.PREFIX):
            template = "wechat/" + template[len(self.PREFIX) :]
        return super().get_source(environment, template)

    def list_templates(self) -> list[str]:
        names = super().list_templates()
        return names + [self.PREFIX + name[len("wechat/") :] for name in names]


class _Blueprint(Blueprint):
    @cached_property
    def jinja_loader(self) -> FileSystemLoader | None:  # type: ignore[override]
        assert self.template_folder is not None
        return BundledTemplates(os.path.join(self.root_path, self.template_folder))


blueprint = _Blueprint(
    "wechat",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

CSRF_KEY = csrf.SESSION_KEY
# Per-request values live in the request's environ: ``g`` belongs to the app
# context, which can outlive one request (pytest-flask keeps one per test).
_FRAME_SRC = "flask_wechat.frame_src"
_NEXT = "flask_wechat.next"
#: Set when this request is a connect (``/connect``, or its callback): failures go to
#: ``connect_failed`` and "Try again" starts a connect again.
_CONNECT = "flask_wechat.connect"
_SCRIPT_SRC = "flask_wechat.script_src"
#: WeChat's codes are short and alphanumeric; anything else is refused locally.
_CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: A host (name or address, and port) that can go into a CSP source as it is.
_HOST = re.compile(r"[A-Za-z0-9.:\[\]-]{1,255}")

#: Sent with every page of the blueprint. The pages load only their own CSS.
#: ``same-origin`` lets Flask-WTF see the Referer its https check wants on forms
#: posted from these pages, and sends none to another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
#: The callback's URL holds a code and a state: no Referer may carry it anywhere.
CALLBACK_REFERRER_POLICY = "no-referrer"


def _next_arg() -> str | None:
    asked = request.args.get("next")
    if asked is None and current_app.config.get("USE_SESSION_FOR_NEXT"):
        asked = session.get("next")  # where Flask-Login put it (USE_SESSION_FOR_NEXT)
    return state.safe_next(asked)


def csrf_token() -> str:
    """The token a logout form must send back (see :mod:`flask_wechat.csrf`)."""
    return csrf.token()


@blueprint.before_request
def check_setup() -> None:
    """Missing set-up (no ``SECRET_KEY``, no ``LoginManager``, …) is a clear page, not a 500.

    The blueprint's static files are served all the same: the page needs its stylesheet.
    """
    if request.endpoint != "wechat.static":
        signin.check_setup(signin.current_state())


@blueprint.get("/login")
def login() -> Any:
    """The sign-in page: the WeChat button, and the QR code itself in embedded mode."""
    app_state = signin.current_state()
    settings = app_state.settings
    next_url = _next_arg()
    if current_user.is_authenticated:
        # The language switch of a page shown to a signed-in person comes through
        # here: its ?lang= is remembered on the way on.
        select_locale()
        return redirect(next_url or settings.login_redirect)
    path = signin.choose_path(app_state)  # inside WeChat with no official account: explains
    if path == WEBSITE and on_phone(request.user_agent.string):
        # A QR code on a phone's own screen cannot be scanned by that phone.
        official_account = OFFICIAL_ACCOUNT in app_state.clients
        return _page(
            "wechat/phone.html",
            next_url,
            reusable=("phone", official_account),
            official_account=official_account,
            page_url=url_for(".login", next=next_url, _external=True),
        )
    context: dict[str, Any] = {
        "authorize_url": url_for(".authorize", next=next_url),
        "in_wechat": path != WEBSITE,
        "qr_frame_url": None,
        "qr_size": None,
    }
    if path == WEBSITE and settings.qr_mode == "embedded":
        # This page view gets its own state, as the button's /authorize would.
        page_state = state.mint(session, next_url, path, settings.state_max_age, state.cookie_fits)
        context["qr_frame_url"] = app_state.clients[WEBSITE].qr_frame_url(
            url_for(".callback", _external=True),
            page_state,
            settings.qr_style,
            settings.qr_href,
            lang="en" if select_locale() == "en" else None,
        )
        context["qr_size"] = settings.qr_size
        request.environ[_FRAME_SRC] = _origin(settings.open_base_url)
    return _page("wechat/login.html", next_url, **context)


@blueprint.get("/authorize")
def authorize() -> Response:
    """Mint a state bound to this session and send the browser to WeChat."""
    app_state = signin.current_state()
    app_state.quota.check()  # WeChat said stop: not before the next minute (quota.py)
    path = signin.choose_path(app_state)
    pending_state = state.mint(
        session, _next_arg(), path, app_state.settings.state_max_age, state.cookie_fits
    )
    lang = "en" if select_locale() == "en" else None  # WeChat's QR page: cn or en
    callback_url = url_for(".callback", _external=True)
    return redirect(signin.authorize_url(app_state, path, callback_url, pending_state, lang))


@blueprint.get("/callback")
def callback() -> Response:
    """WeChat's ``redirect_uri``: check the state, exchange the code, sign in."""
    app_state = signin.current_state()
    returned_state = request.args.get("state")
    known = state.peek(session, returned_state)
    if known is not None and known.is_connect:  # even if it has expired
        request.environ[_CONNECT] = True
    pending = state.take(session, returned_state, app_state.settings.state_max_age)
    request.environ[_NEXT] = pending.next_url  # for the "try again" link of any error page
    replay.consume(app_state.memory(), pending, app_state.settings.state_max_age)  # replay.py
    code = request.args.get("code")
    if not code:
        raise AccessDenied("the person declined")
    if not _CODE_SHAPE.fullmatch(code):  # not worth a round trip to WeChat
        raise InvalidCode("the code is not shaped like WeChat's")
    app_state.quota.check()
    if pending.is_connect:
        signin.connect(app_state, pending, code)
    else:
        signin.sign_in(app_state, pending.path, code)
    return redirect(state.safe_next(pending.next_url) or app_state.settings.login_redirect)


@blueprint.get("/connect")
def connect() -> Response:
    """Connect WeChat to the signed-in person's account: as ``/authorize``, for that person.

    ``url_for("wechat.connect", next=url_for("account"))`` on the account page.
    The pending entry records the user's id; at the callback the app's
    ``connect_handler`` runs and the person stays signed in. Nobody signed in:
    Flask-Login's ``unauthorized()`` when the app has a login view or handler,
    else a page saying to sign in first.
    """
    request.environ[_CONNECT] = True
    app_state = signin.current_state()
    app_state.quota.check()  # as /authorize (quota.py)
    manager = current_app.login_manager  # type: ignore[attr-defined]
    if not current_user.is_authenticated and (
        manager.login_view or manager.unauthorized_callback or manager.blueprint_login_views
    ):
        return manager.unauthorized()  # type: ignore[no-any-return]
    user_id = signin.check_connect(app_state)
    next_url = _next_arg()
    request.environ[_NEXT] = next_url
    path = signin.choose_path(app_state)
    pending_state = state.mint(
        session,
        next_url,
        path,
        app_state.settings.state_max_age,
        state.cookie_fits,
        connect_user=user_id,
    )
    lang = "en" if select_locale() == "en" else None  # WeChat's QR page: cn or en
    callback_url = url_for(".callback", _external=True)
    return redirect(signin.authorize_url(app_state, path, callback_url, pending_state, lang))


@blueprint.route("/disconnect", methods=["GET", "POST"])
def disconnect() -> Any:
    """Disconnect WeChat from the signed-in person's account: a POST with the form's token.

    The app's ``disconnect_handler`` may refuse (the person sees its reason);
    otherwise the stored token is deleted and the browser goes to ``next`` or
    ``WECHAT_LOGIN_REDIRECT``. A GET (or HEAD) changes nothing: a page with the button.
    """
    if request.method != "POST":
        return _page("wechat/disconnect.html", _next_arg())
    next_url = state.safe_next(request.form.get("next"))
    request.environ[_NEXT] = next_url  # for "Back to your account" on a refusal
    csrf.check()
    signin.disconnect(signin.current_state())
    return redirect(next_url or signin.current_state().settings.login_redirect)


@blueprint.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    """Sign out: a POST with the form's CSRF token, then ``next`` or ``WECHAT_LOGOUT_REDIRECT``.

    A GET (a link, a typed address) changes nothing: it gets a page saying that
    signing out is a button, with the button. So does a HEAD, as for any GET.
    """
    if request.method != "POST":
        return _page("wechat/logout.html", _next_arg())
    csrf.check()
    signin.sign_out(current_user._get_current_object())  # type: ignore[attr-defined]
    settings = signin.current_state().settings
    return redirect(state.safe_next(request.form.get("next")) or settings.logout_redirect)


@blueprint.errorhandler(WeChatError)
def error_page(error: WeChatError) -> tuple[str, int]:
    """One place where an error becomes a page, a status code and a log line.

    The page shows the person a short reference instead of WeChat's codes
    (which tell an attacker how the site is set up and a person nothing);
    the log line carries the same reference beside the errcode and the hint,
    so a person quoting it leads the operator to the line.
    """
    reference = new_reference()
    shown = presentation_for(error)
    connecting = bool(request.environ.get(_CONNECT))
    if connecting:
        signin.connect_failed(error)
    elif request.endpoint in SIGN_IN_ENDPOINTS:  # not a stale logout form, not a page view
        signin.sign_in_failed(error)
    log.log(
        logging.ERROR if error.hint else logging.INFO,
        "WeChat %s failed [ref %s]: %s (errcode %s: %s)%s",
        _ACTIVITY.get(request.endpoint or "", "connect" if connecting else "sign-in"),
        reference,
        type(error).__name__,
        error.errcode,
        error.errmsg,
        f"; {error.hint}" if error.hint else "",
    )
    next_url = state.safe_next(request.environ.get(_NEXT)) or _next_arg()
    retry_url = url_for(".connect" if connecting else ".login", next=next_url)
    # The address to open on a computer, for the page shown inside WeChat.
    page_url = url_for(".login", next=next_url, _external=True)
    page = _page(
        shown.template,
        next_url,
        error=error,
        title=shown.title,
        reason=shown.reason,
        # A reason the app gave (ConnectError's ``reason``): text, shown escaped.
        site_reason=getattr(error, "reason", None),
        reference=reference,
        retry_url=retry_url,
        page_url=page_url,
        app_is_ready=not isinstance(error, SetupIncomplete),
    )
    return page, shown.status


#: The endpoints whose failures are failed sign-ins (the ``sign_in_failed`` signal),
#: unless the callback finishes a connect.
SIGN_IN_ENDPOINTS = frozenset({"wechat.authorize", "wechat.callback"})
#: What the log line says failed, for endpoints that are not a sign-in or a connect.
_ACTIVITY = {"wechat.disconnect": "disconnect", "wechat.logout": "sign-out"}


@blueprint.errorhandler(RuntimeError)
def missing_setup(error: RuntimeError) -> tuple[str, int]:
    """Flask's (and Flask-WTF's) RuntimeError for a missing secret key: the set-up page."""
    problems = signin.setup_problems(current_app._get_current_object())  # type: ignore[attr-defined]
    if not problems:
        raise error
    return error_page(SetupIncomplete(problems))


if CSRFError is not None:  # Flask-WTF refused a form of ours before our view ran

    @blueprint.errorhandler(CSRFError)
    def csrf_refused(refused: Exception) -> tuple[str, int]:
        return error_page(FormExpired("Flask-WTF refused the form's CSRF token"))


#: Letters and digits nobody misreads when reading a reference aloud (no 0/O, 1/I/L).
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """A short reference for one failure, like ``7KQ2-M9XD``: on the page and in the log."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


#: Pages with a "Copy address" button: their CSP allows wechat/copy.js, and no other script.
COPY_SCRIPT_PAGES = frozenset({"wechat/phone.html", "wechat/in_wechat.html"})


def _page(template: str, next_url: str | None, **context: Any) -> str:
    settings = signin.current_state().settings
    if template in COPY_SCRIPT_PAGES and _HOST.fullmatch(request.host):
        # Exactly one file, at the host the page was asked for (no scheme: the page's own).
        request.environ[_SCRIPT_SRC] = request.host + url_for(".static", filename="wechat/copy.js")
    return render(
        template,
        next_url,
        site_name=settings.site_name or request.host,
        home_url=settings.home_url,
        **context,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@blueprint.after_request
def security_headers(response: Response) -> Response:
    """:data:`SECURITY_HEADERS` on every response of the blueprint, unless a view set its own."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    if request.endpoint == "wechat.callback":
        headers["Referrer-Policy"] = CALLBACK_REFERRER_POLICY
    frame_src = request.environ.get(_FRAME_SRC)
    if frame_src:  # the embedded QR code: exactly WeChat's (or the emulator's) origin
        headers["Content-Security-Policy"] += f"; frame-src {frame_src}"
    script_src = request.environ.get(_SCRIPT_SRC)
    if script_src:  # the copy button's script, exactly
        headers["Content-Security-Policy"] += f"; script-src {script_src}"
    return response
