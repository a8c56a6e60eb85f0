"""The Flask extension: configuration, the blueprint, Flask-Login, signals."""

from __future__ import annotations

from typing import Any, Callable, TypeVar
from weakref import WeakKeyDictionary

from flask import Flask, current_app, session
from flask_login import current_user, login_user, logout_user

from . import i18n, signals
from .cli import wechat_cli
from .client import WEBSITE_SCOPE, WeChatClient
from .config import Settings, load_settings
from .errors import MissingProfileHandler, SignInRefused, WeChatError
from .profile import WeChatProfile
from .storage import SessionStorage, Token, TokenStorage
from .views import blueprint, csrf_token

ProfileHandler = Callable[[WeChatProfile, Token], Any]
F = TypeVar("F", bound=ProfileHandler)

#: Session keys that survive the renewal at sign-in and sign-out.
_KEPT_ACROSS_RENEWAL = (i18n.SESSION_KEY,)


class _AppState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = WeChatClient(
            settings.app_id,
            settings.app_secret,
            open_base_url=settings.open_base_url,
            api_base_url=settings.api_base_url,
            timeout=settings.timeout,
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
    (default: the session).
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
        state = _AppState(load_settings(app.config))
        self._apps[app] = state
        app.extensions["wechat"] = self
        app.register_blueprint(blueprint, url_prefix=state.settings.url_prefix)
        app.add_template_global(csrf_token, "wechat_csrf_token")
        app.cli.add_command(wechat_cli)

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
        """The current app's :class:`~flask_wechat.client.WeChatClient`."""
        return self._state().client

    @property
    def token(self) -> Token | None:
        """The signed-in person's WeChat token, from :attr:`storage`."""
        if not current_user.is_authenticated:
            return None
        return self.storage.load(current_user._get_current_object())

    # -- the steps of a sign-in, called by the blueprint ---------------------

    def path_for(self, request: Any) -> str:
        """Which authorization path suits this browser."""
        return "website"

    def authorize_url(self, path: str, redirect_uri: str, state: str) -> str:
        return self.client.qrconnect_url(redirect_uri, state)

    def sign_in(self, path: str, code: str) -> Any:
        """Exchange ``code``, ask the profile handler, and log the user in."""
        if self._profile_handler is None:
            raise MissingProfileHandler("no profile_handler is registered")
        profile, token = self.client.fetch_profile(code, WEBSITE_SCOPE)
        user = self._profile_handler(profile, token)
        if user is None:
            raise SignInRefused("the profile handler refused this account")
        _renew_session()
        if not login_user(user, remember=self.settings.remember):
            raise SignInRefused("Flask-Login refused the user (inactive)")
        self.storage.save(user, token)
        signals.signed_in.send(
            current_app._get_current_object(), user=user, profile=profile, token=token
        )
        return user

    def sign_out(self) -> None:
        """Log out, forget the token and start a fresh session."""
        user = current_user._get_current_object()
        if current_user.is_authenticated:
            self.storage.delete(user)
        logout_user()
        _renew_session()
        signals.signed_out.send(current_app._get_current_object(), user=user)

    def sign_in_failed(self, error: WeChatError) -> None:
        signals.sign_in_failed.send(current_app._get_current_object(), error=error)


def _renew_session() -> None:
    # Nothing planted in the session before sign-in (fixation) may survive it.
    kept = {key: session[key] for key in _KEPT_ACROSS_RENEWAL if key in session}
    session.clear()
    session.update(kept)
