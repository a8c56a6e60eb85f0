"""The Flask extension: configuration, the blueprint, Flask-Login, signals."""

from __future__ import annotations

from typing import Any, Callable, TypeVar
from weakref import WeakKeyDictionary

from flask import Flask, current_app, request, session
from flask_login import current_user, login_user, logout_user, user_logged_in, user_logged_out
from flask_login.config import COOKIE_NAME

from . import i18n, signals
from .api import WeChatSession
from .cli import wechat_cli
from .client import WEBSITE_SCOPE, WeChatClient
from .config import Settings, load_settings
from .errors import (
    MissingProfileHandler,
    SignInRefused,
    SnapshotUser,
    StateError,
    TokenError,
    UnsupportedBrowser,
    WeChatError,
)
from .profile import WeChatProfile
from .redact import install_log_redaction
from .storage import SessionStorage, Token, TokenStorage
from .views import blueprint, csrf_token

ProfileHandler = Callable[[WeChatProfile, Token], Any]
F = TypeVar("F", bound=ProfileHandler)

#: The two ways into WeChat sign-in (kept with the state, never re-guessed).
WEBSITE = "website"  # desktop browsers: QR code, Open Platform website app
OFFICIAL_ACCOUNT = "official_account"  # inside WeChat's browser: official account

#: Session keys that survive the renewal at sign-in and sign-out.
_KEPT_ACROSS_RENEWAL = (i18n.SESSION_KEY,)


def in_wechat_browser(user_agent: str) -> bool:
    """WeChat's own browser says ``MicroMessenger`` in its User-Agent."""
    return "micromessenger" in user_agent.lower()


class _AppState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clients = {WEBSITE: self._client(settings.app_id, settings.app_secret)}
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


class WeChat:
    """Sign in with WeChat, for a Flask app that uses Flask-Login.

    ::

        wechat = WeChat(app)          # or WeChat(), then wechat.init_app(app)

        @wechat.profile_handler
        def user_for(profile, token):
            return User.get_or_create(wechat_id=profile.id)   # None refuses

    ``url_for("wechat.login")`` is then the sign-in page. Configuration comes
    from the ``WECHAT_*`` keys (see :data:`flask_wechat.config.CONFIG_KEYS`);
    with ``WECHAT_OPEN_BASE_URL`` / ``WECHAT_API_BASE_URL`` on this machine it
    signs in against the local emulator. ``storage`` keeps each person's token
    (default: the session; see :mod:`flask_wechat.storage`).
    """

    def __init__(self, app: Flask | None = None, *, storage: TokenStorage | None = None) -> None:
        self.storage: TokenStorage = storage or SessionStorage()
        self._profile_handler: ProfileHandler | None = None
        self._apps: WeakKeyDictionary[Flask, _AppState] = WeakKeyDictionary()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read ``app``'s ``WECHAT_*`` config (a bad value raises
        :class:`~flask_wechat.errors.InsecureSettings` naming the key) and
        register the ``wechat`` blueprint at ``WECHAT_URL_PREFIX``."""
        install_log_redaction()
        state = _AppState(load_settings(app.config))
        self._apps[app] = state
        app.extensions["wechat"] = self
        app.register_blueprint(blueprint, url_prefix=state.settings.url_prefix)
        app.add_template_global(csrf_token, "wechat_csrf_token")
        app.cli.add_command(wechat_cli)
        # Whoever signs out, through us or the app's own logout_user(), takes
        # their token along; a token never outlives its owner's session.
        user_logged_out.connect(self._forget_token, app)
        user_logged_in.connect(self._drop_foreign_token, app)

    def _forget_token(self, app: Flask, user: Any = None) -> None:
        if user is not None and getattr(user, "is_authenticated", False):
            self.storage.delete(user)

    def _drop_foreign_token(self, app: Flask, user: Any = None) -> None:
        if isinstance(self.storage, SessionStorage):
            self.storage.keep_only(user)

    def profile_handler(self, func: F) -> F:
        """Register the function that turns a WeChat profile into your user.

        It is called as ``func(profile, token)`` after every successful
        WeChat authorization and returns the user object to pass to
        ``flask_login.login_user``, or ``None`` to refuse the sign-in (the
        person then sees a "not allowed" page).
        """
        self._profile_handler = func
        return func

    # -- per app -------------------------------------------------------------

    def _state(self) -> _AppState:
        return self._apps[current_app._get_current_object()]  # type: ignore[attr-defined]

    @property
    def settings(self) -> Settings:
        """The checked ``WECHAT_*`` settings of the current app."""
        return self._state().settings

    @property
    def client(self) -> WeChatClient:
        """The website app's :class:`~flask_wechat.client.WeChatClient`."""
        return self._state().clients[WEBSITE]

    @property
    def mp_client(self) -> WeChatClient | None:
        """The official account's client, when ``WECHAT_MP_APP_ID`` is set."""
        return self._state().clients.get(OFFICIAL_ACCOUNT)

    # -- after sign-in ---------------------------------------------------------

    @property
    def token(self) -> Token | None:
        """The signed-in person's WeChat token, from :attr:`storage`."""
        if not current_user.is_authenticated:
            return None
        return self.storage.load(current_user._get_current_object())

    @property
    def session(self) -> WeChatSession:
        """A requests session calling WeChat's API as the signed-in person.

        It refreshes the access token when needed and saves the new one to
        :attr:`storage`; when the refresh token is gone too it raises
        :class:`~flask_wechat.errors.RefreshTokenExpired` (ask the person to
        sign in again). Raises :class:`~flask_wechat.errors.TokenError` when
        nobody is signed in or no token is stored.
        """
        token = self.token
        if not token:
            raise TokenError("no WeChat token for the current user")
        user = current_user._get_current_object()
        return WeChatSession(
            self._client_for(token),
            token,
            token_updater=lambda fresh: self.storage.save(user, fresh),
        )

    def check_token(self) -> bool:
        """Whether WeChat still accepts the signed-in person's access token (``/sns/auth``)."""
        token = self.token
        return bool(token) and self._client_for(token).check_token(token)  # type: ignore[arg-type]

    def _client_for(self, token: Token) -> WeChatClient:
        clients = self._state().clients
        for client in clients.values():
            if client.app_id == token.get("appid"):
                return client
        return clients[WEBSITE]

    # -- the steps of a sign-in, called by the blueprint ---------------------

    def path_for(self, request: Any) -> str:
        """Which way into WeChat suits this browser.

        Inside WeChat's browser a QR code cannot be scanned, so that needs the
        official account; without one, :class:`UnsupportedBrowser` explains.
        """
        if not in_wechat_browser(request.user_agent.string):
            return WEBSITE
        if OFFICIAL_ACCOUNT in self._state().clients:
            return OFFICIAL_ACCOUNT
        raise UnsupportedBrowser("inside WeChat without an official account configured")

    def authorize_url(self, path: str, redirect_uri: str, state: str) -> str:
        """Where ``/authorize`` sends the browser for ``path``."""
        if path == OFFICIAL_ACCOUNT:
            return self.mp_client.oauth2_authorize_url(  # type: ignore[union-attr]
                redirect_uri, state, self.settings.scope
            )
        return self.client.qrconnect_url(redirect_uri, state)

    def sign_in(self, path: str, code: str) -> Any:
        """Exchange ``code``, ask the profile handler, and log the user in."""
        if self._profile_handler is None:
            raise MissingProfileHandler("no profile_handler is registered")
        client = self._state().clients.get(path)
        if client is None:  # e.g. the official account was removed mid sign-in
            raise StateError(f"no WeChat app for the {path} path")
        scope = WEBSITE_SCOPE if path == WEBSITE else self.settings.scope
        wechat = client.session(scope=scope)  # one session, one connection, both calls
        token = client.fetch_token(code, scope, wechat)
        if token.get("is_snapshotuser") == 1:
            raise SnapshotUser("WeChat snapshot mode: the profile would be virtual")
        profile = client.profile_for(token, wechat)
        user = self._profile_handler(profile, token)
        if user is None:
            raise SignInRefused("the profile handler refused this account")
        _renew_session()
        remember = self.settings.remember
        if not login_user(user, remember=remember):
            raise SignInRefused("Flask-Login refused the user (inactive)")
        if not remember and _remember_cookie_name() in request.cookies:
            # A remember cookie an earlier person left in this browser would
            # sign them in again once this session ends: Flask-Login deletes
            # it at the end of this request.
            session["_remember"] = "clear"
        self.storage.save(user, token)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        signals.signed_in.send(app, user=user, profile=profile, token=token)
        return user

    def sign_out(self) -> None:
        """Start a fresh session, log out (which forgets the token), send ``signed_out``.

        The session is renewed *before* ``logout_user()``: Flask-Login asks for
        the remember cookie's deletion by a flag in the session, which a
        renewal afterwards would wipe, leaving the cookie to sign the person
        in again.
        """
        user = current_user._get_current_object()
        _renew_session()
        logout_user()
        signals.signed_out.send(current_app._get_current_object(), user=user)

    def sign_in_failed(self, error: WeChatError) -> None:
        """Tell the ``sign_in_failed`` signal's receivers about ``error``."""
        signals.sign_in_failed.send(current_app._get_current_object(), error=error)


def _remember_cookie_name() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)


def _renew_session() -> None:
    # Nothing planted in the session before sign-in (fixation) may survive it.
    kept = {key: session[key] for key in _KEPT_ACROSS_RENEWAL if key in session}
    session.clear()
    session.update(kept)
