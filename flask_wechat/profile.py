"""Who signed in: :class:`WeChatProfile`."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from .errors import ProfileNotFetched

#: WeChat's avatar hosts (``thirdwx.qlogo.cn``, ``wx.qlogo.cn``, ...): they have
#: long sent ``http://`` links and serve the same pictures over https.
WECHAT_IMAGE_DOMAIN = "qlogo.cn"


class WeChatProfile:
    """A WeChat account as your ``profile_handler`` sees it.

    Key your users on :attr:`id`. An ``openid`` is different in every WeChat
    app (your website app and your official account see the same person under
    two openids); a ``unionid`` is the same across all apps bound to one Open
    Platform account, but WeChat only sends it for bound apps. So ``id`` is the
    unionid when there is one, else the openid. Keep both on your user to link
    an account first seen without a unionid.

    ``id``, ``openid`` and ``unionid`` come with the token. ``nickname``,
    ``avatar_url`` and ``raw`` need WeChat's ``/sns/userinfo``, which is asked
    **only when one of them is first read**: a handler that reads only ``id``
    for a person it already knows signs them in with one call to WeChat
    instead of two. Read inside the profile handler (or a ``signed_in``
    receiver), a field is fetched there, with the client's retries; a failure
    ends the sign-in on the usual page. After the sign-in, a field that was
    never read raises :class:`~flask_wechat.errors.ProfileNotFetched`: copy
    what you need while the handler runs.
    """

    __slots__ = ("_openid", "_unionid", "_fields", "_fetch", "_lock")

    def __init__(
        self,
        openid: str,
        unionid: str | None = None,
        nickname: str | None = None,
        avatar_url: str | None = None,
        raw: Mapping[str, Any] | None = None,
    ) -> None:
        self._openid = openid
        self._unionid = unionid
        self._fields: dict[str, Any] | None = {
            "nickname": nickname,
            "avatar_url": avatar_url,
            "raw": MappingProxyType(dict(raw or {})),
        }
        self._fetch: Callable[[], dict[str, Any]] | None = None
        self._lock = threading.Lock()  # one userinfo call, whatever the threads reading

    @property
    def openid(self) -> str:
        """The person's id in this WeChat app."""
        return self._openid

    @property
    def unionid(self) -> str | None:
        """The person's id across the apps of one Open Platform account, when sent."""
        return self._unionid

    @property
    def id(self) -> str:
        """The stable identity to key users on: ``unionid or openid``."""
        return self._unionid or self._openid

    @property
    def nickname(self) -> str | None:
        """WeChat's nickname without control characters (WeChat has sent raw ones;
        :attr:`raw` keeps them); None when empty."""
        return self._userinfo()["nickname"]  # type: ignore[no-any-return]

    @property
    def avatar_url(self) -> str | None:
        """WeChat's ``headimgurl``, always ``https://`` or None (see :func:`avatar_url`):
        ends in a size (``/0`` = 640 px, 46, 64, 96, 132); stops working when the
        person changes their avatar."""
        return self._userinfo()["avatar_url"]  # type: ignore[no-any-return]

    @property
    def raw(self) -> Mapping[str, Any]:
        """The userinfo JSON as WeChat sent it (empty for ``snsapi_base``)."""
        return self._userinfo()["raw"]  # type: ignore[no-any-return]

    @property
    def fetched(self) -> bool:
        """Whether the userinfo fields are at hand (read, or not needed)."""
        return self._fields is not None

    def detach(self) -> None:
        """Stop fetching: from now on a field never read raises ``ProfileNotFetched``.

        The sign-in calls it once the profile handler and the ``signed_in``
        receivers are done, so that no page or background job calls WeChat
        through a profile kept past its request.
        """
        self._fetch = None

    def _userinfo(self) -> dict[str, Any]:
        fields = self._fields
        if fields is not None:
            return fields
        with self._lock:
            if self._fields is None:
                if self._fetch is None:
                    raise ProfileNotFetched(
                        "the profile's userinfo was not read during the sign-in: read the "
                        "fields you need inside the profile handler"
                    )
                self._fields = self._fetch()
            return self._fields

    # -- building ----------------------------------------------------------------

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
        profile = cls(
            openid=_text(userinfo.get("openid")) or token["openid"],
            unionid=_text(userinfo.get("unionid")) or token.get("unionid") or None,
        )
        profile._fields = _fields(userinfo, avatar_origin)
        return profile

    @classmethod
    def from_token(cls, token: Mapping[str, Any]) -> WeChatProfile:
        """Build from the token alone (``snsapi_base``: no userinfo call)."""
        return cls(openid=token["openid"], unionid=token.get("unionid") or None)

    @classmethod
    def lazy(
        cls,
        token: Mapping[str, Any],
        fetch_userinfo: Callable[[], Mapping[str, Any]],
        *,
        avatar_origin: str | None = None,
    ) -> WeChatProfile:
        """Build from the token; ``fetch_userinfo()`` runs when a userinfo field is first read."""
        profile = cls.from_token(token)
        profile._fields = None
        profile._fetch = lambda: _fields(fetch_userinfo(), avatar_origin)
        return profile

    # -- as a value ----------------------------------------------------------------

    # Equal when the ids and whatever userinfo both hold are equal: a profile
    # whose userinfo was never fetched compares as having none.
    def _key(self) -> tuple[Any, ...]:
        shown = self._fields or {}
        return (self._openid, self._unionid, shown.get("nickname"), shown.get("avatar_url"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WeChatProfile):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self._openid, self._unionid))

    def __repr__(self) -> str:  # never fetches
        ids = f"openid={self._openid!r}, unionid={self._unionid!r}"
        if self._fields is None:
            return f"WeChatProfile({ids}, <userinfo not fetched>)"
        shown = self._fields
        return (
            f"WeChatProfile({ids}, nickname={shown['nickname']!r}, "
            f"avatar_url={shown['avatar_url']!r})"
        )


def _fields(userinfo: Mapping[str, Any], avatar_origin: str | None) -> dict[str, Any]:
    return {
        "nickname": _printable(_text(userinfo.get("nickname"))) or None,
        "avatar_url": avatar_url(userinfo.get("headimgurl"), avatar_origin),
        "raw": MappingProxyType(dict(userinfo)),
    }


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
