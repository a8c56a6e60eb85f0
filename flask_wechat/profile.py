"""Who signed in: :class:`WeChatProfile`."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: WeChat's avatar hosts (``thirdwx.qlogo.cn``, ``wx.qlogo.cn``, ...): they have
#: long sent ``http://`` links and serve the same pictures over https.
WECHAT_IMAGE_DOMAIN = "qlogo.cn"


@dataclass(frozen=True)
class WeChatProfile:
    """A WeChat account as your ``profile_handler`` sees it.

    Key your users on :attr:`id`. An ``openid`` is different in every WeChat
    app (your website app and your official account see the same person under
    two openids); a ``unionid`` is the same across all apps bound to one Open
    Platform account, but WeChat only sends it for bound apps. So ``id`` is the
    unionid when there is one, else the openid. Keep both on your user to link
    an account first seen without a unionid.
    """

    openid: str
    unionid: str | None = None
    #: WeChat's nickname without control characters (WeChat has sent raw ones;
    #: :attr:`raw` keeps them); None when empty.
    nickname: str | None = None
    #: WeChat's ``headimgurl``, always ``https://`` or None (see :func:`avatar_url`):
    #: ends in a size (``/0`` = 640 px, 46, 64, 96, 132); stops working when the
    #: person changes their avatar.
    avatar_url: str | None = None
    #: The userinfo JSON as WeChat sent it (empty for ``snsapi_base``).
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The stable identity to key users on: ``unionid or openid``."""
        return self.unionid or self.openid

    @classmethod
    def from_userinfo(
        cls,
        userinfo: Mapping[str, Any],
        token: Mapping[str, Any],
        *,
        avatar_origin: str | None = None,
    ) -> WeChatProfile:
        """Build from ``/sns/userinfo``; the token may carry a unionid userinfo lacks.

        ``avatar_origin`` (e.g. ``http://127.0.0.1:5051``) is one more origin
        whose avatar links are kept as they are: the local emulator's, while it
        is the configured WeChat.
        """
        return cls(
            openid=_text(userinfo.get("openid")) or token["openid"],
            unionid=_text(userinfo.get("unionid")) or token.get("unionid") or None,
            nickname=_printable(_text(userinfo.get("nickname"))) or None,
            avatar_url=avatar_url(userinfo.get("headimgurl"), avatar_origin),
            raw=MappingProxyType(dict(userinfo)),
        )

    @classmethod
    def from_token(cls, token: Mapping[str, Any]) -> WeChatProfile:
        """Build from the token alone (``snsapi_base``: no userinfo call)."""
        return cls(openid=token["openid"], unionid=token.get("unionid") or None)


def avatar_url(headimgurl: Any, extra_origin: str | None = None) -> str | None:
    """``headimgurl`` as a link safe to put in an https page, or None.

    ``https://`` links are kept; ``http://`` on WeChat's image hosts
    (``*.qlogo.cn``) becomes ``https://``; anything else (another ``http://``
    host: mixed content; ``javascript:``, ``data:``, a relative URL, a link
    with credentials, whitespace or control characters) is None. Links on
    ``extra_origin`` are kept as they are.
    """
    if not isinstance(headimgurl, str) or not headimgurl:
        return None
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in headimgurl):
        return None
    try:
        parts = urlsplit(headimgurl)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or "@" in parts.netloc:
        return None
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()
    if extra_origin and f"{scheme}://{netloc}" == extra_origin.rstrip("/").lower():
        return headimgurl
    on_wechat = host == WECHAT_IMAGE_DOMAIN or host.endswith("." + WECHAT_IMAGE_DOMAIN)
    if scheme == "http" and on_wechat and port in (None, 80):
        return urlunsplit(parts._replace(scheme="https", netloc=host))
    if scheme == "https":
        return urlunsplit(parts._replace(scheme="https", netloc=netloc))
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _printable(text: str | None) -> str | None:
    # Control characters (WeChat has sent raw ones inside nicknames) have no place
    # in a name on a page or in a database (PostgreSQL refuses NUL).
    if text is None:
        return None
    return "".join(char for char in text if unicodedata.category(char) != "Cc")
