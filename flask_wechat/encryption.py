"""Tokens at rest: optional encryption of stored tokens with Fernet.

Set ``WECHAT_TOKEN_KEY`` to a Fernet key and :class:`~flask_wechat.sqla.SQLAlchemyStorage`
and :class:`~flask_wechat.redis.RedisStorage` encrypt every token they write
(``pip install "flask-wechat-login[encryption]"``; make a key with
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``).

Rotation: give several keys (a list, or one string separated by commas). The
first encrypts; every one of them decrypts. Tokens are encrypted again with
the first key each time they are saved (every sign-in and refresh), and a
refresh token lives 30 days, so 30 days after a new key went first the old
one can be dropped. Tokens stored before any key was set (plain JSON) are
still read, and encrypted at their next save.

A token no key can decrypt raises :class:`~flask_wechat.errors.TokenError`:
like an expired one, the person signs in again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context

from .client import Token
from .errors import SettingsError, TokenError

CONFIG_KEY = "WECHAT_TOKEN_KEY"


class TokenCodec:
    """Turn tokens into the text a store keeps, encrypted when there are keys."""

    def __init__(self, keys: Sequence[str | bytes] = ()) -> None:
        self.encrypting = bool(keys)
        self._fernet: Any = None
        if keys:
            from cryptography.fernet import Fernet, MultiFernet

            self._fernet = MultiFernet([Fernet(key) for key in keys])

    def dumps(self, token: Token) -> str:
        """The stored form of ``token``: JSON, or a Fernet token of that JSON."""
        text = json.dumps(token, separators=(",", ":"))
        if self._fernet is None:
            return text
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def loads(self, stored: str | bytes) -> Token:
        """The token from its stored form (plain JSON is accepted: written before a key)."""
        if isinstance(stored, bytes):
            stored = stored.decode("utf-8")
        if stored.startswith("{"):
            return json.loads(stored)
        if self._fernet is None:
            raise TokenError(f"the stored token is encrypted and {CONFIG_KEY} is not set")
        from cryptography.fernet import InvalidToken

        try:
            return json.loads(self._fernet.decrypt(stored.encode("ascii")))
        except (InvalidToken, ValueError):
            raise TokenError(
                f"the stored token was encrypted with a key that is not in {CONFIG_KEY}"
            ) from None


def parse_keys(value: Any) -> tuple[str, ...]:
    """Check ``WECHAT_TOKEN_KEY`` (one key, several separated by commas, or a list).

    Raises :class:`SettingsError` for a key that is not a Fernet key, without
    repeating the key itself.
    """
    if not value:
        return ()
    if isinstance(value, (str, bytes)):
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        keys = tuple(part.strip() for part in text.split(",") if part.strip())
    elif isinstance(value, (list, tuple)):
        keys = tuple(
            (key.decode("ascii", "replace") if isinstance(key, bytes) else str(key)).strip()
            for key in value
        )
    else:
        raise SettingsError(f"{CONFIG_KEY} must be a key or a list of keys")
    try:
        from cryptography.fernet import Fernet
    except ImportError:
        raise SettingsError(
            f"{CONFIG_KEY} needs the cryptography package: "
            'pip install "flask-wechat-login[encryption]"'
        ) from None
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SettingsError(
                f"{CONFIG_KEY}: key {number} of {len(keys)} is not a Fernet key "
                "(32 bytes, url-safe base64: Fernet.generate_key())"
            ) from None
    return keys


@lru_cache(maxsize=16)
def _codec(keys: tuple[str | bytes, ...]) -> TokenCodec:
    return TokenCodec(keys)


def codec(keys: Sequence[str | bytes] | None = None) -> TokenCodec:
    """The codec for ``keys``, or for the current app's ``WECHAT_TOKEN_KEY``."""
    if keys is None and has_app_context():
        try:
            keys = current_app.extensions["wechat"].settings.token_keys
        except (KeyError, AttributeError):  # not an app that WeChat was set up for
            keys = ()
    return _codec(tuple(keys or ()))
