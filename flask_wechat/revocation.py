"""Sign-ins that sign-out can end everywhere: the sign-in generation.

Flask-Login keeps the signed-in user's id in the session and, with "remember
me", in the remember cookie. A copy of either keeps working after sign-out: a
signed cookie session until it expires, a remember cookie for
``REMEMBER_COOKIE_DURATION`` (365 days by default), whatever the session store.
Flask-Login's own answer is an *alternative id* on the user model that changes
when it must stop working. This module gives the same without touching the
app's user model, whenever the token storage keeps *sign-in generations*
(:class:`~flask_wechat.storage.SignInGenerations`: the SQL and Redis storages
do):

- every sign-in (WeChat's, and the app's own ``login_user()``) records the
  person's current generation in the session, beside Flask-Login's id, which
  stays exactly what ``get_id()`` returned;
- the remember cookie carries it too: ``<user id>~wechat:<generation>``,
  signed by Flask-Login. The extension reads that cookie before Flask-Login
  does and hands Flask-Login the plain id, so the app's ``user_loader`` only
  ever sees its own ids;
- sign-out (the blueprint's, or the app's own ``logout_user()``) and
  :meth:`~flask_wechat.WeChat.sign_out_everywhere` end the generation.

What is checked, and what it costs (one read of the storage each time):

- a remember cookie, when it signs someone in; a cookie without a generation
  (made before generations were on) is refused and deleted: that person signs
  in once more;
- a session that a remember cookie started, at every request (so a session
  opened with a stolen cookie ends at sign-out as well);
- with ``WECHAT_REVOCABLE_SESSIONS``, every session at every request that
  loads the user; a signed-in session without a generation (made by 0.1, or
  while the storage kept none) is signed out.

Ending a generation ends *every* sign-in of that person carrying it, in every
browser: a copied cookie cannot be told from a second browser's.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, request, request_started, session
from flask_login import LoginManager
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie, encode_cookie

if TYPE_CHECKING:
    from .signin import WeChatState

log = logging.getLogger(__name__)

#: Between the user id and the generation in the remember cookie.
MARK = "~wechat:"
#: The session key holding the sign-in's generation (``{"generation": ..., "from_cookie": ...}``).
SESSION_KEY = "_wechat_sign_in"
_GENERATION = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: In the request's environ when its remember cookie was checked already.
_CHECKED = "_wechat_generation_checked"


def keeps_generations(storage: Any) -> bool:
    """Whether ``storage`` keeps sign-in generations
    (:class:`~flask_wechat.storage.SignInGenerations`)."""
    return all(
        callable(getattr(storage, name, None))
        for name in ("sign_in_generation", "generation", "end_generation")
    )


def carried(user_id: str, generation: str) -> str:
    """What the remember cookie of ``user_id`` signed in at ``generation`` holds."""
    return f"{user_id}{MARK}{generation}"


def split(kept: Any) -> tuple[Any, str | None]:
    """``(user id, generation)`` from a remember cookie's content; no generation: ``None``."""
    if not isinstance(kept, str) or MARK not in kept:
        return kept, None
    user_id, _, generation = kept.rpartition(MARK)
    if not _GENERATION.fullmatch(generation):
        return kept, None
    return user_id, generation


def in_use(state: WeChatState) -> bool:
    """Whether sign-ins carry a generation: the storage keeps generations."""
    return keeps_generations(state.storage)


def mark_sign_in(state: WeChatState, user: Any) -> None:
    """At ``login_user``: record the person's current generation in the session.

    When the storage does not answer (logged), the session carries no
    generation (:func:`marked` is false), which checked sessions and remember
    cookies refuse.
    """
    session.pop(SESSION_KEY, None)
    if not in_use(state):
        return
    try:
        generation = state.storage.sign_in_generation(str(user.get_id()))  # type: ignore[attr-defined]
    except Exception as error:  # noqa: BLE001 - any driver's error: logged, fails closed
        log.error(
            "the sign-in generation could not be started (%s): this sign-in carries none; "
            "check the token storage's server (and that its tables exist)",
            type(error).__name__,
        )
        return
    session[SESSION_KEY] = {"generation": generation, "from_cookie": False}


def marked() -> bool:
    """Whether this session's sign-in carries a generation."""
    return isinstance(session.get(SESSION_KEY), dict)


def end(state: WeChatState, user: Any) -> None:
    """End ``user``'s generation, if the storage keeps generations."""
    user_id = getattr(user, "get_id", lambda: None)()
    if user_id is not None and keeps_generations(state.storage):
        state.storage.end_generation(str(user_id))  # type: ignore[attr-defined]


def install(app: Flask) -> None:
    """Wrap ``app``'s login manager now if it has one, and at the start of each request
    (an app may create it, or register its ``user_loader``, after ``init_app``).

    ``request_started`` comes before the app's URL value preprocessors and
    ``before_request`` functions, so none of them can load the user unchecked.
    """
    manager = getattr(app, "login_manager", None)
    if manager is not None:
        wrap(manager, app.extensions["wechat"])
    request_started.connect(_wrap_at_request, app, weak=False)


def _wrap_at_request(sender: Flask, **extra: Any) -> None:
    manager = getattr(sender, "login_manager", None)
    if manager is not None:
        wrap(manager, sender.extensions["wechat"])


def wrap(manager: LoginManager, state: WeChatState) -> None:
    """Wrap ``manager``'s user loading and remember cookie (once each).

    A manager may serve several apps (an admin app beside the site, sharing
    its ``SECRET_KEY``): one without ``WeChat`` checks generations with the
    state of the app that wrapped the manager, since they share the sign-ins.
    """
    if getattr(manager, "_wechat_state", None) is None:
        manager._wechat_state = state  # type: ignore[attr-defined]
    callback = manager._user_callback
    if callback is not None and not getattr(callback, "_wechat_generations", False):
        manager._user_callback = _checking_loader(manager, callback)
    load_from_cookie = manager._load_user_from_remember_cookie
    if not getattr(load_from_cookie, "_wechat_generations", False):
        manager._load_user_from_remember_cookie = _checking_cookie(  # type: ignore[method-assign]
            manager, load_from_cookie
        )
    set_cookie = manager._set_cookie
    if not getattr(set_cookie, "_wechat_generations", False):
        manager._set_cookie = _carrying_cookie(set_cookie)  # type: ignore[method-assign]


def _state_for(manager: LoginManager) -> WeChatState | None:
    """The current app's state, else that of the app that wrapped ``manager``."""
    found = current_app.extensions.get("wechat")
    return found if found is not None else getattr(manager, "_wechat_state", None)


def _checking_loader(manager: LoginManager, callback: Any) -> Any:
    def load_user(user_id: Any) -> Any:
        state = _state_for(manager)
        if state is not None and in_use(state) and not request.environ.get(_CHECKED):
            sign_in = session.get(SESSION_KEY)
            from_cookie = isinstance(sign_in, dict) and sign_in.get("from_cookie")
            if state.settings.revocable_sessions or from_cookie:
                generation = sign_in.get("generation") if isinstance(sign_in, dict) else None
                current = (
                    _current(state, str(user_id), generation)
                    if isinstance(generation, str)
                    else False  # signed in before generations were checked
                )
                if current is None:  # unknown: nobody is signed in for this request
                    return None
                if not current:
                    _forget_ended_sign_in()
                    return None
        return callback(user_id)

    load_user._wechat_generations = True  # type: ignore[attr-defined]
    load_user.__wrapped__ = callback  # type: ignore[attr-defined]
    return load_user


def _checking_cookie(manager: LoginManager, load_from_cookie: Any) -> Any:
    def load_user_from_remember_cookie(cookie: str) -> Any:
        state = _state_for(manager)
        checking = state is not None and in_use(state)
        try:
            content = decode_cookie(cookie)
        except (TypeError, ValueError):  # e.g. a non-ASCII digest: nobody's cookie
            session["_remember"] = "clear"
            return None
        if content is None:
            return load_from_cookie(cookie)  # Flask-Login's own: a bad signature
        user_id, generation = split(content)
        if generation is None:
            if not checking:
                return load_from_cookie(cookie)
            session["_remember"] = "clear"  # made before generations: cannot be revoked
            return None
        if state is None or not keeps_generations(state.storage):
            return None  # nothing to check it against: refused
        current = _current(state, user_id, generation)
        if current is None:  # unknown: nobody is signed in, and the cookie stays
            return None
        if not current:
            session["_remember"] = "clear"  # Flask-Login deletes it in this response
            return None
        session[SESSION_KEY] = {"generation": generation, "from_cookie": True}
        request.environ[_CHECKED] = True
        return load_from_cookie(encode_cookie(user_id))  # Flask-Login, with the plain id

    load_user_from_remember_cookie._wechat_generations = True  # type: ignore[attr-defined]
    return load_user_from_remember_cookie


def _carrying_cookie(set_cookie: Any) -> Any:
    def set_remember_cookie(response: Any) -> Any:
        sign_in = session.get(SESSION_KEY)
        generation = sign_in.get("generation") if isinstance(sign_in, dict) else None
        if not isinstance(generation, str) or "_user_id" not in session:
            return set_cookie(response)
        user_id = session["_user_id"]
        session["_user_id"] = carried(str(user_id), generation)  # what Flask-Login writes
        try:
            return set_cookie(response)
        finally:
            session["_user_id"] = user_id

    set_remember_cookie._wechat_generations = True  # type: ignore[attr-defined]
    return set_remember_cookie


def _current(state: WeChatState, user_id: str, generation: str) -> bool | None:
    """Whether ``generation`` is ``user_id``'s current one; ``None`` when the storage
    cannot say (its server is down): the request then goes on signed out, and the
    session and remember cookie are kept for when it is back."""
    try:
        return state.storage.generation(user_id) == generation  # type: ignore[attr-defined,no-any-return]
    except Exception as error:  # noqa: BLE001 - any driver's error: fail closed, not a 500
        log.error(
            "the sign-in generation could not be read (%s): this request goes on signed "
            "out; check the token storage's server",
            type(error).__name__,
        )
        return None


def _forget_ended_sign_in() -> None:
    # The session belongs to a sign-in that was ended: nothing of it is kept but the
    # language, as at sign-out, and a remember cookie it may have left goes too.
    from .signin import KEPT_ACROSS_RENEWAL

    kept = {key: session[key] for key in KEPT_ACROSS_RENEWAL if key in session}
    session.clear()
    session.update(kept)
    name = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    if name in request.cookies:
        session["_remember"] = "clear"
