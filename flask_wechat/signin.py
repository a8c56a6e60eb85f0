"""The steps of a sign-in, and the per-app state they run with.

``init_app`` builds one :class:`WeChatState` per app and keeps it in
``app.extensions["wechat"]``; the blueprint's views call the functions here
with it. Nothing here calls back into the :class:`~flask_wechat.WeChat`
object: what a sign-in needs (settings, clients, storage, the profile
handler) is on the state.

One sign-in, as the views run it:

1. :func:`choose_path` - a desktop browser scans the website app's QR code;
   WeChat's own browser goes through the official account.
2. :func:`authorize_url` - where ``/authorize`` sends the browser.
3. :func:`sign_in` - at the callback: exchange the code, build the profile,
   ask the profile handler, renew the session, ``login_user`` (which records
   the person's sign-in generation, see :mod:`flask_wechat.revocation`), keep
   the token, send ``signed_in``.
4. :func:`sign_out` - renew the session, ``logout_user``, send ``signed_out``.

Connecting WeChat to the account of the person signed in runs the same steps
but the last: :func:`check_connect` at ``/connect``, then :func:`connect` at
the callback (the connect handler instead of the profile handler, no new
session, ``connected``); :func:`disconnect` undoes it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable

from flask import Flask, current_app, request, session
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME

from . import i18n, revocation, signals
from .browsers import in_wechat_browser
from .client import OFFICIAL_ACCOUNT, WEBSITE, WEBSITE_SCOPE, Token, WeChatClient
from .errors import (
    MissingConnectHandler,
    MissingProfileHandler,
    NotSignedIn,
    SetupIncomplete,
    SignInRefused,
    SignOutIncomplete,
    SnapshotUser,
    StateError,
    StorageUnavailable,
    UnsupportedBrowser,
    UserChanged,
    WeChatError,
)
from .profile import WeChatProfile
from .quota import QuotaGuard
from .replay import ProcessMemory, ReplayMemory

if TYPE_CHECKING:
    from .config import Settings
    from .state import Pending
    from .storage import TokenStorage

_PROCESS_MEMORY = ProcessMemory()

ProfileHandler = Callable[[WeChatProfile, Token], Any]
#: ``(user, profile, token)``; raises :class:`~flask_wechat.errors.AlreadyConnected` to refuse.
ConnectHandler = Callable[[Any, WeChatProfile, Token], Any]
#: ``(user)``; raises :class:`~flask_wechat.errors.DisconnectRefused` to refuse.
DisconnectHandler = Callable[[Any], Any]

#: Session keys that survive the renewal at sign-in and sign-out (the language choice).
KEPT_ACROSS_RENEWAL: tuple[str, ...] = (i18n.SESSION_KEY,)


class WeChatState:
    """What one app's sign-ins need, built by ``init_app``.

    ``app.extensions["wechat"]`` holds it: ``settings`` (the checked
    ``WECHAT_*`` values), ``clients`` (a :class:`~flask_wechat.client.WeChatClient`
    per way in), ``storage``, ``profile_handler``, ``connect_handler`` and
    ``disconnect_handler``; ``extension`` is the :class:`~flask_wechat.WeChat`
    object that made it.
    """

    def __init__(
        self,
        extension: Any,
        settings: Settings,
        storage: TokenStorage,
        profile_handler: ProfileHandler | None = None,
        connect_handler: ConnectHandler | None = None,
        disconnect_handler: DisconnectHandler | None = None,
    ) -> None:
        self.extension = extension
        self.settings = settings
        self.storage = storage
        self.profile_handler = profile_handler
        self.connect_handler = connect_handler
        self.disconnect_handler = disconnect_handler
        #: What the app lacks (:func:`setup_problems`), found at its first request.
        self.setup_problems: list[str] | None = None
        #: Where used states and quota marks are kept (see :mod:`flask_wechat.replay`);
        #: ``init_app`` chooses it, the process's own memory until then.
        self.memory: Callable[[], ReplayMemory] = lambda: _PROCESS_MEMORY
        #: The quota guard (see :mod:`flask_wechat.quota`), keeping its marks in :attr:`memory`.
        self.quota = QuotaGuard(lambda: self.memory())
        #: The app's Flask-Limiter ``Limiter`` given to ``WeChat`` (see :mod:`flask_wechat.limits`).
        self.limiter: Any = None
        self.clients: dict[str, WeChatClient] = {
            WEBSITE: self._client(settings.app_id, settings.app_secret)
        }
        if settings.mp_app_id and settings.mp_app_secret:
            self.clients[OFFICIAL_ACCOUNT] = self._client(
                settings.mp_app_id, settings.mp_app_secret
            )

    def _client(self, app_id: str, secret: str) -> WeChatClient:
        return WeChatClient(
            app_id,
            secret,
            open_base_url=self.settings.open_base_url,
            api_base_url=self.settings.api_base_url,
            timeout=self.settings.timeout,
        )

    def client_for(self, token: Token) -> WeChatClient:
        """The client of the app that issued ``token`` (the website app by default)."""
        for client in self.clients.values():
            if client.app_id == token.get("appid"):
                return client
        return self.clients[WEBSITE]

    def __getattr__(self, name: str) -> Any:
        # 0.1 kept the WeChat object itself in app.extensions["wechat"].
        if name.startswith("_"):
            raise AttributeError(name)
        warnings.warn(
            f'app.extensions["wechat"].{name}: app.extensions["wechat"] holds the per-app '
            f'state since 0.2; use the WeChat object (app.extensions["wechat"].extension)',
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(self.extension, name)


def setup_problems(app: Flask) -> list[str]:
    """What ``app`` lacks for sign-in to work, each with how to fix it (empty when nothing).

    Checked at the first request (an app may set its ``SECRET_KEY`` or create
    its ``LoginManager`` after ``init_app``) and by ``flask wechat check``.
    """
    problems = []
    if not app.secret_key:
        problems.append(
            "SECRET_KEY is not set: Flask cannot keep the sign-in's state in the session; "
            "set app.config['SECRET_KEY'] to a long random value (secrets.token_hex(32))"
        )
    manager = getattr(app, "login_manager", None)
    if manager is None:
        problems.append(
            "no flask_login.LoginManager: create one with LoginManager(app) "
            "(or login_manager.init_app(app) in your app factory)"
        )
    elif manager._user_callback is None and manager._request_callback is None:
        problems.append(
            "the LoginManager has no user_loader: decorate the function that loads a user "
            "by id with @login_manager.user_loader"
        )
    if str(app.config.get("SESSION_COOKIE_SAMESITE") or "").lower() == "strict":
        problems.append(
            "SESSION_COOKIE_SAMESITE is 'Strict': browsers withhold the session cookie on "
            "the way back from WeChat, so every sign-in fails; use 'Lax'"
        )
    return problems


def check_setup(state: WeChatState) -> None:
    """Raise :class:`SetupIncomplete` when the app lacks something (checked once per app)."""
    if state.setup_problems is None:
        state.setup_problems = setup_problems(current_app._get_current_object())  # type: ignore[attr-defined]
    if state.setup_problems:
        raise SetupIncomplete(state.setup_problems)


def current_state(app: Flask | None = None) -> WeChatState:
    """The :class:`WeChatState` of ``app`` (default: the current app)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions["wechat"]  # type: ignore[no-any-return]


def choose_path(state: WeChatState) -> str:
    """Which way into WeChat suits this browser: :data:`WEBSITE` or :data:`OFFICIAL_ACCOUNT`.

    Inside WeChat's browser a QR code cannot be scanned, so that needs the
    official account; without one, :class:`UnsupportedBrowser` explains.
    """
    if not in_wechat_browser(request.user_agent.string):
        return WEBSITE
    if OFFICIAL_ACCOUNT in state.clients:
        return OFFICIAL_ACCOUNT
    raise UnsupportedBrowser("inside WeChat without an official account configured")


def authorize_url(
    state: WeChatState,
    path: str,
    redirect_uri: str,
    pending_state: str,
    lang: str | None = None,
) -> str:
    """Where ``/authorize`` sends the browser for ``path``; ``lang="en"`` asks for
    WeChat's English QR page (the official-account link never takes it)."""
    if path == OFFICIAL_ACCOUNT:
        return state.clients[OFFICIAL_ACCOUNT].oauth2_authorize_url(
            redirect_uri, pending_state, state.settings.scope
        )
    return state.clients[WEBSITE].qrconnect_url(redirect_uri, pending_state, lang)


def exchange(state: WeChatState, path: str, code: str) -> tuple[Token, WeChatProfile]:
    """Exchange ``code`` for the token; the profile reads userinfo when first asked, on the
    same connection."""
    client = state.clients.get(path)
    if client is None:  # e.g. the official account was removed mid sign-in
        raise StateError(f"no WeChat app for the {path} path")
    scope = WEBSITE_SCOPE if path == WEBSITE else state.settings.scope
    wechat = client.session(scope=scope)  # one session, one connection, both calls
    token = client.fetch_token(code, scope, wechat)
    if token.get("is_snapshotuser") == 1:
        raise SnapshotUser("WeChat snapshot mode: the profile would be virtual")
    return token, client.profile_for(token, wechat)  # userinfo only if the handler reads it


def sign_in(state: WeChatState, path: str, code: str) -> Any:
    """Exchange ``code``, ask the profile handler, and log the user in; returns the user."""
    handler = state.profile_handler
    if handler is None:
        raise MissingProfileHandler("no profile_handler is registered")
    token, profile = exchange(state, path, code)
    try:
        user = handler(profile, token)
        if user is None:
            raise SignInRefused("the profile handler refused this account")
        _log_in(state, user, token)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            signals.signed_in.send(app, user=user, profile=profile, token=token)
        except BaseException:
            # A receiver failed (its own bug, or WeChat's answer to a field it read):
            # the person sees an error page, so they must not be signed in behind it.
            logout_user()
            renew_session()
            raise
    finally:
        profile.detach()
    return user


def _log_in(state: WeChatState, user: Any, token: Token) -> None:
    renew_session()
    remember = state.settings.remember
    if not login_user(user, remember=remember):
        raise SignInRefused("Flask-Login refused the user (inactive)")
    if not remember and _remember_cookie_name() in request.cookies:
        # A remember cookie an earlier person left in this browser would sign
        # them in again once this session ends: Flask-Login deletes it at the
        # end of this request.
        session["_remember"] = "clear"
    # login_user() recorded the sign-in generation (the extension's user_logged_in receiver).
    failed = (
        "no sign-in generation" if revocation.in_use(state) and not revocation.marked() else None
    )
    failed = failed or _in_storage(lambda: state.storage.save(user, token))
    if failed:
        # Nothing kept: the person must not be signed in behind the error page.
        logout_user()
        renew_session()
        raise StorageUnavailable(f"the token storage did not answer at sign-in ({failed})")


def _in_storage(call: Callable[[], Any]) -> str | None:
    """Run a call to the token storage; the class name of what its server raised, or None.

    The driver's exception is not kept (its message may hold a statement's parameters).
    """
    try:
        call()
    except Exception as error:  # any driver's error: the storage's server did not answer
        return type(error).__name__
    return None


def signed_in_user() -> Any:
    """The user signed in now; :class:`NotSignedIn` when nobody is."""
    if not current_user.is_authenticated:
        raise NotSignedIn("nobody is signed in")
    return current_user._get_current_object()  # type: ignore[attr-defined]


def check_connect(state: WeChatState) -> str:
    """Before ``/connect`` sends anyone to WeChat: the handler is there, someone is signed in.

    Returns the signed-in user's id, for the pending entry.
    """
    if state.connect_handler is None:
        raise MissingConnectHandler("no connect_handler is registered")
    user_id = signed_in_user().get_id()
    if user_id is None:
        raise NotSignedIn("the signed-in user has no id")
    return str(user_id)


def connect(state: WeChatState, pending: Pending, code: str) -> Any:
    """Connect WeChat to the account of the person who started; returns that user.

    The person signed in now must be the one who started (checked before the
    code is exchanged, so WeChat is asked nothing otherwise). The connect
    handler may raise :class:`~flask_wechat.errors.AlreadyConnected` (or
    another :class:`~flask_wechat.errors.ConnectRefused`): nothing is stored
    then. The session is not renewed: the same person stays signed in.
    """
    handler = state.connect_handler
    if handler is None:
        raise MissingConnectHandler("no connect_handler is registered")
    if not current_user.is_authenticated:
        raise UserChanged("nobody is signed in any more")
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if str(user.get_id()) != pending.connect_user:
        raise UserChanged("another user is signed in than the one who started the connect")
    token, profile = exchange(state, pending.path, code)
    try:
        handler(user, profile, token)
        failed = _in_storage(lambda: state.storage.save(user, token))
        if failed:
            raise StorageUnavailable(f"the token storage did not answer at connect ({failed})")
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        signals.connected.send(app, user=user, profile=profile, token=token)
    finally:
        profile.detach()
    return user


def disconnect(state: WeChatState) -> Any:
    """Ask the disconnect handler, forget the stored token, send ``disconnected``.

    The handler may raise :class:`~flask_wechat.errors.DisconnectRefused`; the
    token stays then. Returns the user.
    """
    handler = state.disconnect_handler
    if handler is None:
        raise MissingConnectHandler("no disconnect_handler is registered")
    user = signed_in_user()
    handler(user)
    failed = _in_storage(lambda: state.storage.delete(user))
    if failed:
        raise StorageUnavailable(f"the token storage did not answer at disconnect ({failed})")
    signals.disconnected.send(current_app._get_current_object(), user=user)  # type: ignore[attr-defined]
    return user


def sign_out(user: Any) -> None:
    """Log out (which forgets the token), send ``signed_out``, start a fresh session.

    ``user_logged_out`` and ``signed_out`` receivers see the session as it
    was. The renewal keeps Flask-Login's request to delete the remember
    cookie (``_remember``): without it the cookie would sign the person in
    again at the next request. When the storage could not forget the token
    (its server is down), the person is still signed out in this browser, and
    :class:`~flask_wechat.errors.SignOutIncomplete` says so afterwards.
    """
    logout_user()  # the extension's user_logged_out receiver forgets the token
    signals.signed_out.send(current_app._get_current_object(), user=user)  # type: ignore[attr-defined]
    renew_session("_remember")
    if request.environ.pop(FORGET_FAILED, None):
        raise SignOutIncomplete("the token storage did not answer at sign-out")


def sign_in_failed(error: WeChatError) -> None:
    """Tell the ``sign_in_failed`` signal's receivers about ``error``."""
    signals.sign_in_failed.send(current_app._get_current_object(), error=error)  # type: ignore[attr-defined]


def connect_failed(error: WeChatError) -> None:
    """Tell the ``connect_failed`` signal's receivers about ``error``."""
    signals.connect_failed.send(current_app._get_current_object(), error=error)  # type: ignore[attr-defined]


def renew_session(*also_keep: str) -> None:
    """A fresh session: cleared but for :data:`KEPT_ACROSS_RENEWAL` (and ``also_keep``).

    Nothing planted in the session before sign-in (fixation) may survive it.
    Where the server keeps sessions (Flask-Session's ``regenerate``), the
    session also gets a new id and the old one is deleted from the store, so
    an id planted in the browser, or copied from it, opens nothing. Whether
    the session is permanent is kept.
    """
    keep = KEPT_ACROSS_RENEWAL + also_keep
    kept = {key: session[key] for key in keep if key in session}
    permanent = session.permanent
    new_session_id()
    session.clear()
    session.update(kept)
    session.permanent = permanent


def new_session_id() -> None:
    """Where the server keeps sessions (Flask-Session's ``regenerate``), give this one
    a new id now and delete the old one; its contents stay. Elsewhere nothing happens.

    The extension calls it at every ``login_user()`` and ``logout_user()``, the app's
    own included, so that an id planted before sign-in or copied before sign-out opens
    nothing afterwards.
    """
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if not callable(regenerate) or request.environ.get(_RENEWED):
        return  # once a request is enough: the id only travels with the response
    session[_RENEWING] = True  # Flask-Session regenerates only a non-empty session
    regenerate(session)
    session.pop(_RENEWING, None)
    request.environ[_RENEWED] = True


_RENEWING = "_wechat_renewing"
_RENEWED = "_wechat_session_renewed"
#: In the request's environ when the storage failed to forget a signed-out token.
FORGET_FAILED = "_wechat_forget_failed"


def _remember_cookie_name() -> str:
    return str(current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
