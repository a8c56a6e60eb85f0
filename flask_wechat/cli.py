"""``flask wechat check``: the settings that must change before real people sign in.

::

    $ flask --app yourapp wechat check [--url https://www.example.com] [--strict]

It prints the callback URL and the domain to register with WeChat (授权回调域),
then every problem it finds: a session cookie sent over plain http, a missing
or guessable ``SECRET_KEY``, an http callback, a callback with a port or an IP
address (a problem with an official account, a warning without), a malformed app id or secret,
the local emulator or ``OAUTHLIB_INSECURE_TRANSPORT`` in use. The exit code is
1 when there is a problem (with ``--strict``, also when there is a warning).
It never prints the app secret or the secret key.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup

from .client import API_BASE_URL, OPEN_BASE_URL
from .revocation import keeps_generations
from .signin import setup_problems

wechat_cli = AppGroup("wechat", help="WeChat sign-in (flask-wechat).")

APP_ID_RE = re.compile(r"wx[0-9a-f]{16}")
APP_SECRET_RE = re.compile(r"[0-9a-fA-F]{32}")
#: Shorter than this, a SECRET_KEY is guessable; ``secrets.token_hex()`` gives 64.
MIN_SECRET_KEY_LENGTH = 24
_PLACEHOLDER_RE = re.compile(
    r"(?i)\b(change[ _-]?me|dev|development|test(ing)?|example|default|insecure|"
    r"placeholder|secret[ _-]?key|not[ _-]?secret|password)\b"
)


@dataclass
class Report:
    """What ``check`` found, for people (``lines``) and for tests."""

    callback_url: str = ""
    callback_domain: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_app(app: Flask, base_url: str | None = None) -> Report:
    """Inspect ``app``'s production settings; ``base_url`` is its public URL if given."""
    report = Report()
    problems, warnings = report.problems, report.warnings
    config = app.config

    # -- the callback URL WeChat sends people back to -------------------------
    context_args: dict[str, Any] = {"base_url": base_url} if base_url else {}
    with app.test_request_context(**context_args):
        report.callback_url = url_for("wechat.callback", _external=True)
        settings = app.extensions["wechat"].settings
    parts = urlsplit(report.callback_url)
    report.callback_domain = parts.hostname or ""
    if parts.scheme != "https":
        problems.append(
            f"the callback URL is plain {parts.scheme}: serve the site over https and set "
            "PREFERRED_URL_SCHEME = 'https' (behind a proxy, use werkzeug's ProxyFix)"
        )
    if not base_url and not config.get("SERVER_NAME"):
        warnings.append(
            "SERVER_NAME is not set, so the callback host above is a guess: pass "
            "--url https://your.public.host to see the URL real requests produce"
        )
    if _is_local_host(report.callback_domain):
        problems.append(
            f"the callback host {report.callback_domain!r} is this machine: WeChat's "
            "callback domain must be the site's public host name"
        )
    odd = _port_or_address(parts)
    if odd:
        # Official-account authorize refuses a port and wants a domain; the website
        # path registers a domain too.
        (problems if settings.mp_app_id else warnings).append(
            f"the callback URL has {odd}: the official account's authorize page refuses "
            "it (a domain name on the default port only); serve the callback on 80/443 "
            "under the registered domain"
        )
    if settings.mp_app_id and settings.scope == "snsapi_base":
        warnings.append(
            "WECHAT_SCOPE is snsapi_base with both apps configured: WeChat sends no unionid "
            "for snsapi_base, so one person gets two ids (the unionid on the website, the "
            "official account's openid inside WeChat); use snsapi_userinfo"
        )

    # -- the session that carries the state between authorize and callback ---
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append(
            "SESSION_COOKIE_SECURE is off: the session cookie (sign-in state, login) "
            "would also travel over plain http; set SESSION_COOKIE_SECURE = True"
        )
    if settings.remember and not config.get("REMEMBER_COOKIE_SECURE"):
        problems.append(
            "WECHAT_REMEMBER is on but REMEMBER_COOKIE_SECURE is off: set "
            "REMEMBER_COOKIE_SECURE = True"
        )
    storage = app.extensions["wechat"].storage
    if settings.remember and not keeps_generations(storage):
        warnings.append(
            f"WECHAT_REMEMBER is on but {type(storage).__name__} keeps no sign-in "
            "generations: a copied remember cookie signs its person in after sign-out, "
            "until it expires; use SQLAlchemyStorage or RedisStorage (docs: deployment)"
        )
    samesite = str(config.get("SESSION_COOKIE_SAMESITE") or "").lower()
    if samesite == "strict":
        problems.append(
            "SESSION_COOKIE_SAMESITE is 'Strict': browsers then withhold the session "
            "on the way back from WeChat and every sign-in fails; use 'Lax'"
        )
    elif samesite == "none":
        warnings.append(
            "SESSION_COOKIE_SAMESITE is 'None': the session goes along with requests "
            "from other sites; 'Lax' is enough for the WeChat callback"
        )
    if not config.get("SESSION_COOKIE_HTTPONLY", True):
        warnings.append("SESSION_COOKIE_HTTPONLY is off: page scripts can read the session")
    key_problem = _secret_key_problem(config.get("SECRET_KEY"))
    if key_problem:
        problems.append(key_problem)
    # What the first request would find missing (the same words as its log line).
    problems.extend(
        problem
        for problem in setup_problems(app)
        if not problem.startswith(("SECRET_KEY", "SESSION_COOKIE_SAMESITE"))  # said above
    )
    if app.debug:
        problems.append("debug mode is on: never serve real people with FLASK_DEBUG")

    # -- WeChat itself ---------------------------------------------------------
    if settings.uses_emulator:
        problems.append(
            "WECHAT_OPEN_BASE_URL and WECHAT_API_BASE_URL point at the local WeChat "
            "emulator: remove them (and set WECHAT_APP_ID / WECHAT_APP_SECRET) for real WeChat"
        )
    else:
        for key, value, real in (
            ("WECHAT_OPEN_BASE_URL", settings.open_base_url, OPEN_BASE_URL),
            ("WECHAT_API_BASE_URL", settings.api_base_url, API_BASE_URL),
        ):
            if urlsplit(value).scheme != "https":
                problems.append(f"{key} is plain http ({value}): WeChat is {real}")
            elif value.rstrip("/") != real:
                warnings.append(f"{key} is {value}, not WeChat's own {real}")
    if not APP_ID_RE.fullmatch(settings.app_id):
        problems.append(
            f"WECHAT_APP_ID {settings.app_id!r} is not an AppID ('wx' and 16 hexadecimal "
            "digits): copy it from the website application on the WeChat Open Platform"
        )
    if not APP_SECRET_RE.fullmatch(settings.app_secret):
        # Describe it, never show it.
        problems.append(
            "WECHAT_APP_SECRET is not an AppSecret (32 hexadecimal digits; this one has "
            f"{len(settings.app_secret)} characters): copy it again from the Open Platform"
        )
    if os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"):
        problems.append(
            "OAUTHLIB_INSECURE_TRANSPORT is set: oauthlib then allows plain http; "
            "it is for the local emulator only, unset it in production"
        )
    return report


def _secret_key_problem(key: Any) -> str | None:
    if not key:
        return "SECRET_KEY is not set: the session (and the sign-in state in it) is unsigned"
    text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
    advice = 'generate one with: python -c "import secrets; print(secrets.token_hex())"'
    if len(text) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY is weak (only {len(text)} characters): {advice}"
    if len(set(text)) < 10 or any(char.isspace() for char in text):
        return f"SECRET_KEY is weak (a phrase or a repeated pattern, not random): {advice}"
    if _PLACEHOLDER_RE.search(text):
        return f"SECRET_KEY looks like a placeholder, not a random key: {advice}"
    return None


def _port_or_address(parts: Any) -> str:
    """'a port (8443)', 'an IP address (203.0.113.7)', or '' for a plain domain."""
    try:
        port = parts.port
    except ValueError:
        port = None
    if port not in (None, {"http": 80, "https": 443}.get(parts.scheme)):
        return f"a port ({port})"
    try:
        ipaddress.ip_address(parts.hostname or "")
    except ValueError:
        return ""
    return f"an IP address ({parts.hostname})"


def _is_local_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_unspecified


@wechat_cli.command("check")
@click.option(
    "--url",
    "base_url",
    metavar="URL",
    help="the site's public URL, e.g. https://www.example.com "
    "(default: from SERVER_NAME and PREFERRED_URL_SCHEME)",
)
@click.option("--strict", is_flag=True, help="exit non-zero on warnings too")
def check(base_url: str | None, strict: bool) -> None:
    """Report settings that are unsafe for real WeChat sign-ins, and print the
    callback domain to register on the WeChat Open Platform."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    report = check_app(app, base_url)
    echo = click.echo
    echo(f"Callback URL:    {report.callback_url}")
    echo(
        f"Callback domain: {report.callback_domain}  "
        "(register it as the authorization callback domain, 授权回调域)"
    )
    for problem in report.problems:
        echo(f"PROBLEM  {problem}")
    for warning in report.warnings:
        echo(f"WARNING  {warning}")
    if not report.problems and not report.warnings:
        echo("OK: no problems found.")
    else:
        echo(f"{len(report.problems)} problem(s), {len(report.warnings)} warning(s).")
    if report.problems or (strict and report.warnings):
        raise SystemExit(1)
