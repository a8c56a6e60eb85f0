"""The ``WECHAT_*`` configuration keys, read and checked in one place."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .client import API_BASE_URL, IN_WECHAT_SCOPES, OPEN_BASE_URL, is_loopback
from .encryption import parse_keys
from .errors import SettingsError
from .limits import DEFAULT_AUTHORIZE, DEFAULT_CALLBACK, check_limit

#: Every key, its default and its meaning; the documentation's config table is built from it.
CONFIG_KEYS: dict[str, tuple[Any, str]] = {
    "WECHAT_APP_ID": (None, "AppID of the website application on the WeChat Open Platform"),
    "WECHAT_APP_SECRET": (None, "AppSecret of that website application"),
    "WECHAT_MP_APP_ID": (
        None,
        "AppID of an official account (公众号), for sign-in inside WeChat's own browser",
    ),
    "WECHAT_MP_APP_SECRET": (None, "AppSecret of that official account"),
    "WECHAT_SCOPE": (
        "snsapi_userinfo",
        "scope inside WeChat's browser: snsapi_userinfo or snsapi_base "
        "(the desktop QR path always uses snsapi_login)",
    ),
    "WECHAT_URL_PREFIX": ("/wechat", "where the blueprint is mounted"),
    "WECHAT_OPEN_BASE_URL": (OPEN_BASE_URL, "WeChat's authorize pages (or the emulator)"),
    "WECHAT_API_BASE_URL": (API_BASE_URL, "WeChat's sns APIs (or the emulator)"),
    "WECHAT_LOGIN_REDIRECT": ("/", "where to go after sign-in when there is no safe next"),
    "WECHAT_HOME_URL": ("/", "the pages' home and brand links"),
    "WECHAT_LOGOUT_REDIRECT": (
        None,
        "where to go after sign-out when the form sends no safe next (default: the home URL)",
    ),
    "WECHAT_REMEMBER": (False, "passed to flask_login.login_user(remember=...)"),
    "WECHAT_REVOCABLE_SESSIONS": (
        False,
        "check the person's sign-in generation at every request, so that sign-out ends "
        "every copy of a cookie session (one storage read per request; needs SQL or "
        "Redis token storage)",
    ),
    "WECHAT_TIMEOUT": (10.0, "seconds to wait for each call to WeChat"),
    "WECHAT_STATE_MAX_AGE": (600, "seconds a sign-in may take from the button to the callback"),
    "WECHAT_SITE_NAME": (None, "the site's name on the sign-in page (default: the host name)"),
    "WECHAT_QR_MODE": (
        "redirect",
        "desktop sign-in: 'redirect' to WeChat's QR page, or an 'embedded' QR code",
    ),
    "WECHAT_QR_STYLE": ("black", "embedded QR code: 'black' or 'white' text (WeChat's style)"),
    "WECHAT_QR_HREF": (None, "embedded QR code: an https or data:text/css stylesheet for it"),
    "WECHAT_QR_SIZE": ((300, 400), "embedded QR code: the frame's (width, height) in pixels"),
    "WECHAT_TOKEN_KEY": (
        None,
        "Fernet key(s) encrypting tokens in SQL and Redis storage; several (a list, or "
        "separated by commas) for rotation: the first encrypts, all decrypt",
    ),
    "WECHAT_RATE_LIMIT_AUTHORIZE": (
        DEFAULT_AUTHORIZE,
        "with Flask-Limiter: the limit on /authorize per client address (None: no limit)",
    ),
    "WECHAT_RATE_LIMIT_CALLBACK": (
        DEFAULT_CALLBACK,
        "with Flask-Limiter: the limit on /callback per browser session (None: no limit)",
    ),
}


@dataclass(frozen=True)
class Settings:
    """The checked ``WECHAT_*`` values of one app."""

    app_id: str
    app_secret: str
    mp_app_id: str | None
    mp_app_secret: str | None
    scope: str
    url_prefix: str
    open_base_url: str
    api_base_url: str
    login_redirect: str
    home_url: str
    logout_redirect: str
    remember: bool
    timeout: float
    state_max_age: float
    site_name: str | None
    qr_mode: str
    qr_style: str
    qr_href: str | None
    qr_size: tuple[int, int]
    token_keys: tuple[str, ...] = ()
    rate_limit_authorize: str | None = DEFAULT_AUTHORIZE
    rate_limit_callback: str | None = DEFAULT_CALLBACK
    revocable_sessions: bool = False

    def __repr__(self) -> str:  # never show the secret
        return f"<Settings app_id={self.app_id!r} api={self.api_base_url!r}>"

    @property
    def uses_emulator(self) -> bool:
        """Both WeChat URLs point at this machine: the local emulator."""
        return is_loopback(self.open_base_url) and is_loopback(self.api_base_url)


def load_settings(config: Mapping[str, Any]) -> Settings:
    """Read the ``WECHAT_*`` keys, raising :class:`SettingsError` naming a bad one."""
    value = {key: config.get(key, default) for key, (default, _) in CONFIG_KEYS.items()}
    open_url, api_url = value["WECHAT_OPEN_BASE_URL"], value["WECHAT_API_BASE_URL"]
    for key in ("WECHAT_OPEN_BASE_URL", "WECHAT_API_BASE_URL"):
        if urlsplit(str(value[key])).scheme not in ("http", "https"):
            raise SettingsError(f"{key} must be an http(s) URL, not {value[key]!r}")

    app_id, secret = value["WECHAT_APP_ID"], value["WECHAT_APP_SECRET"]
    mp_id, mp_secret = value["WECHAT_MP_APP_ID"], value["WECHAT_MP_APP_SECRET"]
    for key, given in (("WECHAT_APP_ID", app_id), ("WECHAT_APP_SECRET", secret)):
        if not given or not isinstance(given, str):
            raise SettingsError(
                f"{key} is not set: use the credentials of your website application "
                "on the WeChat Open Platform"
            )
    if bool(mp_id) != bool(mp_secret):
        missing = "WECHAT_MP_APP_SECRET" if mp_id else "WECHAT_MP_APP_ID"
        raise SettingsError(f"{missing} is not set: the official account needs both")
    if value["WECHAT_QR_MODE"] not in ("redirect", "embedded"):
        raise SettingsError(
            f"WECHAT_QR_MODE must be 'redirect' or 'embedded', not {value['WECHAT_QR_MODE']!r}"
        )
    if value["WECHAT_QR_STYLE"] not in ("black", "white"):
        raise SettingsError(
            f"WECHAT_QR_STYLE must be 'black' or 'white', not {value['WECHAT_QR_STYLE']!r}"
        )
    href = value["WECHAT_QR_HREF"]
    if href and not str(href).startswith(("https://", "data:text/css")):
        raise SettingsError("WECHAT_QR_HREF must be an https:// or data:text/css URL")
    try:
        width, height = (int(side) for side in value["WECHAT_QR_SIZE"])
    except (TypeError, ValueError):
        width = height = 0
    if width <= 0 or height <= 0:
        raise SettingsError(
            f"WECHAT_QR_SIZE must be (width, height) in pixels, not {value['WECHAT_QR_SIZE']!r}"
        )

    if value["WECHAT_SCOPE"] not in IN_WECHAT_SCOPES:
        raise SettingsError(
            f"WECHAT_SCOPE must be one of {', '.join(IN_WECHAT_SCOPES)}, "
            f"not {value['WECHAT_SCOPE']!r}"
        )
    prefix = value["WECHAT_URL_PREFIX"]
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise SettingsError(f"WECHAT_URL_PREFIX must start with '/', not {prefix!r}")
    numbers = {
        key: _positive(key, value[key]) for key in ("WECHAT_TIMEOUT", "WECHAT_STATE_MAX_AGE")
    }
    if urlsplit(api_url).scheme == "http":
        # The token call carries the app secret: plain http only to this machine.
        if not is_loopback(api_url):
            raise SettingsError(
                "WECHAT_API_BASE_URL must be https (the token call carries the app secret); "
                "plain http is allowed only on this machine, for the local emulator"
            )
        if not os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"):
            raise SettingsError(
                "WECHAT_API_BASE_URL is plain http, which oauthlib refuses; for the local "
                "emulator only, set OAUTHLIB_INSECURE_TRANSPORT=1 in the environment"
            )

    return Settings(
        app_id=app_id,
        app_secret=secret,
        mp_app_id=mp_id or None,
        mp_app_secret=mp_secret or None,
        scope=value["WECHAT_SCOPE"],
        url_prefix=prefix.rstrip("/") or "/",
        open_base_url=open_url,
        api_base_url=api_url,
        login_redirect=_url("WECHAT_LOGIN_REDIRECT", value["WECHAT_LOGIN_REDIRECT"]),
        home_url=_url("WECHAT_HOME_URL", value["WECHAT_HOME_URL"]),
        logout_redirect=_url(
            "WECHAT_LOGOUT_REDIRECT", value["WECHAT_LOGOUT_REDIRECT"] or value["WECHAT_HOME_URL"]
        ),
        remember=parse_bool("WECHAT_REMEMBER", value["WECHAT_REMEMBER"]),
        revocable_sessions=parse_bool(
            "WECHAT_REVOCABLE_SESSIONS", value["WECHAT_REVOCABLE_SESSIONS"]
        ),
        timeout=numbers["WECHAT_TIMEOUT"],
        state_max_age=numbers["WECHAT_STATE_MAX_AGE"],
        site_name=value["WECHAT_SITE_NAME"],
        qr_mode=value["WECHAT_QR_MODE"],
        qr_style=value["WECHAT_QR_STYLE"],
        qr_href=href or None,
        qr_size=(width, height),
        token_keys=parse_keys(value["WECHAT_TOKEN_KEY"]),
        rate_limit_authorize=check_limit(
            value["WECHAT_RATE_LIMIT_AUTHORIZE"], "WECHAT_RATE_LIMIT_AUTHORIZE"
        ),
        rate_limit_callback=check_limit(
            value["WECHAT_RATE_LIMIT_CALLBACK"], "WECHAT_RATE_LIMIT_CALLBACK"
        ),
    )


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def parse_bool(key: str, value: Any) -> bool:
    """``True``/``False``, ``1``/``0``, or the strings the environment writes for them.

    ``"false"`` is False (``bool("false")`` would say True); anything else is refused.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise SettingsError(f"{key} must be True or False (or 1/0, yes/no, on/off), not {value!r}")


def _url(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise SettingsError(f"{key} must be a URL or a path, not {value!r}")
    return value


def _positive(key: str, value: Any) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise SettingsError(f"{key} must be a positive, finite number, not {value!r}")
    return number
