"""The Flask extension: :class:`WeChat`."""

from __future__ import annotations

import logging
import warnings
from typing import Any, TypeVar

from flask import Flask, has_request_context, request
from flask_login import current_user, user_logged_in, user_logged_out

from . import csrf, limits, replay, revocation, signin
from .api import WeChatSession
from .browsers import in_wechat_browser
from .cli import wechat_cli
from .client import OFFICIAL_ACCOUNT, WEBSITE, Token, WeChatClient
from .config import Settings, load_settings
from .errors import SettingsError, TokenError
from .redact import install_log_redaction
from .revocation import keeps_generations
from .signin import (
    ConnectHandler,
    DisconnectHandler,
    ProfileHandler,
    WeChatState,
    current_state,
)
from .storage import SessionStorage, TokenStorage
from .views import blueprint

F = TypeVar("F", bound=ProfileHandler)
C = TypeVar("C", bound=ConnectHandler)
D = TypeVar("D", bound=DisconnectHandler)

log = logging.getLogger(__name__)


class WeChat:
    """Sign in with WeChat, for a Flask app that uses Flask-Login.

    ::

        wechat = WeChat(app)          # or WeChat(), then wechat.init_app(app)

        @wechat.profile_handler
        def user_for(profile, token):
            return User.get_or_create(wechat_id=profile.id)   # None refuses

    ``url_for("wechat.login")`` is then the sign-in page. Configuration comes
    from the ``WECHAT_*`` keys (see :data:`flask_wechat.config.CONFIG_KEYS`).
    ``storage`` keeps each person's token (default: the session; see
    :mod:`flask_wechat.storage`); ``memory`` remembers used states (see
    :mod:`flask_wechat.replay`); ``limiter`` is the app's Flask-Limiter
    ``Limiter`` (see :mod:`flask_wechat.limits`). One ``WeChat`` object may serve several
    apps (app factories): each app gets its own state at :meth:`init_app`.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        storage: TokenStorage | None = None,
        memory: replay.ReplayMemory | None = None,
        limiter: Any = None,
    ) -> None:
        self._storage: TokenStorage = storage or SessionStorage()
        # Replays, quota and rate limits: see replay.py, quota.py, limits.py.
        self._memory, self._process_memory = memory, replay.ProcessMemory()
        self.limiter = limiter
        self._profile_handler: ProfileHandler | None = None
        self._connect_handler: ConnectHandler | None = None
        self._disconnect_handler: DisconnectHandler | None = None
        self._states: list[WeChatState] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Set WeChat sign-in up for ``app``.

        Reads and checks ``app``'s ``WECHAT_*`` config once (a bad value raises
        :class:`~flask_wechat.errors.SettingsError` naming the key), keeps the
        per-app state in ``app.extensions["wechat"]``, registers the ``wechat``
        blueprint at ``WECHAT_URL_PREFIX``, the ``wechat_csrf_field()`` and
        ``wechat_csrf_token()`` template globals (see :mod:`flask_wechat.csrf`)
        and the ``flask wechat`` commands, and installs log
        redaction (:func:`~flask_wechat.redact.install_log_redaction`).
        It also wraps the app's ``LoginManager`` so that sign-ins carry a
        sign-in generation (see :mod:`flask_wechat.revocation`).
        """
        install_log_redaction()
        settings = load_settings(app.config)
        _check_revocation(settings, self._storage)
        state = WeChatState(
            self,
            settings,
            self._storage,
            self._profile_handler,
            self._connect_handler,
            self._disconnect_handler,
        )
        self._states.append(state)
        app.extensions["wechat"] = state
        app.register_blueprint(blueprint, url_prefix=state.settings.url_prefix)
        app.add_template_global(csrf.token, "wechat_csrf_token")
        app.add_template_global(csrf.field_name, "wechat_csrf_field")
        app.cli.add_command(wechat_cli)
        # Used states and quota marks: the given memory, else the storage's, else this process's.
        state.memory = lambda: (
            self._memory or replay.memory_for(state.storage) or self._process_memory
        )
        state.quota.connect(app)
        state.limiter = self.limiter
        limits.init_app(app, self.limiter)
        # Whoever signs out, through us or the app's own logout_user(), takes
        # their token along; a token never outlives its owner's session.
        user_logged_out.connect(self._forget_token, app)
        user_logged_in.connect(self._drop_foreign_token, app)
        revocation.install(app)

    @property
    def storage(self) -> TokenStorage:
        """Where each person's token is kept (see :mod:`flask_wechat.storage`)."""
        return self._storage

    @storage.setter
    def storage(self, storage: TokenStorage) -> None:
        self._storage = storage
        for state in self._states:
            state.storage = storage

    def profile_handler(self, func: F) -> F:
        """Register the function that turns a WeChat profile into your user.

        It is called as ``func(profile, token)`` after every successful
        WeChat authorization and returns the user object to pass to
        ``flask_login.login_user``, or ``None`` to refuse the sign-in (the
        person then sees a "not allowed" page).
        """
        self._profile_handler = func
        for state in self._states:
            state.profile_handler = func
        return func

    def connect_handler(self, func: C) -> C:
        """Register the function that connects WeChat to the signed-in person's account.

        ``url_for("wechat.connect", next=...)`` (a link on your account page)
        sends a signed-in person through WeChat; at the callback ``func(user,
        profile, token)`` is called with the same user, who stays signed in.
        Record ``profile.id`` on the user there, so that the profile handler
        finds them next time. Raise
        :class:`~flask_wechat.errors.AlreadyConnected` when that WeChat account
        belongs to another user (the person sees a page saying so, nothing is
        stored), or :class:`~flask_wechat.errors.ConnectRefused` for a reason of
        your own. Then the token is stored and ``connected`` is sent. See
        docs/accounts.md.
        """
        self._connect_handler = func
        for state in self._states:
            state.connect_handler = func
        return func

    def disconnect_handler(self, func: D) -> D:
        """Register the function that disconnects WeChat from the signed-in person's account.

        A POST to ``wechat.disconnect`` (``disconnect_button`` in
        ``wechat/macros.html``, with its CSRF token) calls ``func(user)``.
        Raise :class:`~flask_wechat.errors.DisconnectRefused` to refuse, for
        instance when WeChat is that person's only way to sign in, with a
        ``reason`` they read. Then the stored token is deleted and
        ``disconnected`` is sent.
        """
        self._disconnect_handler = func
        for state in self._states:
            state.disconnect_handler = func
        return func

    # -- per app -------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The checked ``WECHAT_*`` settings of the current app."""
        return current_state().settings

    @property
    def client(self) -> WeChatClient:
        """The website app's :class:`~flask_wechat.client.WeChatClient`."""
        return current_state().clients[WEBSITE]

    @property
    def mp_client(self) -> WeChatClient | None:
        """The official account's client, when ``WECHAT_MP_APP_ID`` is set."""
        return current_state().clients.get(OFFICIAL_ACCOUNT)

    # -- after sign-in ---------------------------------------------------------

    @property
    def token(self) -> Token | None:
        """The signed-in person's WeChat token, from :attr:`storage`."""
        if not current_user.is_authenticated:
            return None
        return current_state().storage.load(current_user._get_current_object())

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
        state = current_state()
        # Shared storage serialises refreshes: one call to WeChat per expiry.
        lock = getattr(state.storage, "refresh_lock", None)
        return WeChatSession(
            state.client_for(token),
            token,
            token_updater=lambda fresh: state.storage.save(user, fresh),
            refresh_lock=(lambda: lock(user)) if lock is not None else None,
        )

    def check_token(self) -> bool:
        """Whether WeChat still accepts the signed-in person's access token (``/sns/auth``)."""
        token = self.token
        return bool(token) and current_state().client_for(token).check_token(token)  # type: ignore[arg-type]

    def sign_out_everywhere(self, user: Any = None) -> None:
        """End every sign-in of ``user`` (default: the person signed in now), in every browser.

        Ends their sign-in generation, so that every remember cookie, and with
        ``WECHAT_REVOCABLE_SESSIONS`` every session, that carries it stops
        working, and deletes their stored token. Call it from anywhere in an
        app context: an account page's "sign out everywhere" button, an admin's
        action, a job after an account was compromised. When ``user`` is the
        person of the current request, they are signed out here too.

        Raises :class:`~flask_wechat.errors.SettingsError` when the storage
        keeps no sign-in generations (the default session storage); see
        :mod:`flask_wechat.revocation`.
        """
        state = current_state()
        if not keeps_generations(state.storage):
            raise SettingsError(
                "sign_out_everywhere needs a token storage that keeps sign-in generations "
                "(SQLAlchemyStorage or RedisStorage)"
            )
        if user is None:
            user = signin.signed_in_user()
        revocation.end(state, user)
        state.storage.delete(user)
        if (
            has_request_context()
            and current_user.is_authenticated
            and str(current_user.get_id()) == str(user.get_id())
        ):
            signin.sign_out(current_user._get_current_object())

    # -- 0.1's sign-in steps, now in flask_wechat.signin ------------------------

    def sign_out(self) -> None:
        """Sign the current person out (deprecated: use the blueprint's logout form)."""
        _deprecated("sign_out", "signin.sign_out(user)")
        signin.sign_out(current_user._get_current_object())

    def sign_in(self, path: str, code: str) -> Any:
        """Deprecated: the blueprint's callback runs :func:`flask_wechat.signin.sign_in`."""
        _deprecated("sign_in", "signin.sign_in(state, path, code)")
        return signin.sign_in(current_state(), path, code)

    def path_for(self, request: Any) -> str:
        """Deprecated: :func:`flask_wechat.signin.choose_path`."""
        _deprecated("path_for", "signin.choose_path(state)")
        return signin.choose_path(current_state())

    def authorize_url(self, path: str, redirect_uri: str, state: str) -> str:
        """Deprecated: :func:`flask_wechat.signin.authorize_url`."""
        _deprecated("authorize_url", "signin.authorize_url(state, ...)")
        return signin.authorize_url(current_state(), path, redirect_uri, state)

    def sign_in_failed(self, error: Any) -> None:
        """Deprecated: :func:`flask_wechat.signin.sign_in_failed`."""
        _deprecated("sign_in_failed", "signin.sign_in_failed(error)")
        signin.sign_in_failed(error)

    # -- Flask-Login's signals -------------------------------------------------

    def _forget_token(self, app: Flask, user: Any = None, **extra: Any) -> None:
        if has_request_context():
            signin.new_session_id()  # a copy of the server-side session opens nothing now
        if user is None or not getattr(user, "is_authenticated", False):
            return
        state = current_state(app)
        try:
            state.storage.delete(user)
            revocation.end(state, user)  # every copy of this person's sign-ins ends
        except Exception as error:  # the storage's server is down: sign-out goes on here
            log.error(
                "WeChat sign-out could not forget the token or end the sign-in generation "
                "(%s): the person is signed out in this browser only; check the token "
                "storage's server",
                type(error).__name__,
            )
            if has_request_context():
                request.environ[signin.FORGET_FAILED] = True

    def _drop_foreign_token(self, app: Flask, user: Any = None, **extra: Any) -> None:
        state = current_state(app)
        if has_request_context():
            signin.new_session_id()  # an id planted before sign-in opens nothing after it
        if isinstance(state.storage, SessionStorage):
            state.storage.keep_only(user)
        # Every sign-in, WeChat's or the app's own login_user(), carries the generation.
        revocation.mark_sign_in(state, user)


def _check_revocation(settings: Settings, storage: TokenStorage) -> None:
    """Refuse checked sessions without generations; warn about remember cookies without."""
    if keeps_generations(storage):
        return
    if settings.revocable_sessions:
        raise SettingsError(
            "WECHAT_REVOCABLE_SESSIONS needs a token storage that keeps sign-in generations "
            f"on a server (SQLAlchemyStorage or RedisStorage), not {type(storage).__name__}"
        )
    if settings.remember:
        log.warning(
            "WECHAT_REMEMBER is on but %s keeps no sign-in generations: a copied remember "
            "cookie signs its person in after sign-out until it expires "
            "(REMEMBER_COOKIE_DURATION); use SQLAlchemyStorage or RedisStorage",
            type(storage).__name__,
        )


def _deprecated(name: str, instead: str) -> None:
    warnings.warn(
        f"WeChat.{name}() is deprecated since 0.2: the sign-in's steps live in "
        f"flask_wechat.signin ({instead})",
        DeprecationWarning,
        stacklevel=3,
    )


__all__ = ["OFFICIAL_ACCOUNT", "WEBSITE", "WeChat", "in_wechat_browser"]
