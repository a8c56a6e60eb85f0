"""Who signed in: :class:`WeChatProfile`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


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
    nickname: str | None = None
    #: WeChat's ``headimgurl``: ends in a size (``/0`` = 640 px, 46, 64, 96, 132);
    #: stops working when the person changes their avatar.
    avatar_url: str | None = None
    #: The userinfo JSON as WeChat sent it (empty for ``snsapi_base``).
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The stable identity to key users on: ``unionid or openid``."""
        return self.unionid or self.openid

    @classmethod
    def from_userinfo(cls, userinfo: Mapping[str, Any], token: Mapping[str, Any]) -> WeChatProfile:
        """Build from ``/sns/userinfo``; the token may carry a unionid userinfo lacks."""
        return cls(
            openid=userinfo.get("openid") or token["openid"],
            unionid=userinfo.get("unionid") or token.get("unionid") or None,
            nickname=userinfo.get("nickname") or None,
            avatar_url=userinfo.get("headimgurl") or None,
            raw=MappingProxyType(dict(userinfo)),
        )

    @classmethod
    def from_token(cls, token: Mapping[str, Any]) -> WeChatProfile:
        """Build from the token alone (``snsapi_base``: no userinfo call)."""
        return cls(openid=token["openid"], unionid=token.get("unionid") or None)
