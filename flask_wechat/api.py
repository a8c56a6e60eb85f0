"""Calling WeChat's APIs for a signed-in person: :class:`WeChatSession`."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from typing import Any, Callable

from requests import Response
from requests_oauthlib import OAuth2Session

from .client import Token, WeChatClient, guarded

#: Refresh this many seconds before WeChat's own expiry, so a call never races it.
REFRESH_MARGIN = 60
#: WeChat's answers that a refresh cures: "access_token expired", and "invalid
#: credential, access_token is invalid or not latest", which WeChat also gives
#: transiently for a token it has just issued.
_REFRESH_ON = frozenset({42001, 40001})


class WeChatSession(OAuth2Session):
    """A requests-oauthlib session for one person's token that keeps it fresh.

    Relative URLs are on WeChat's API host, and ``access_token`` / ``openid``
    go in the query (the compliance fix)::

        info = session.get("/sns/userinfo").json()

    Responses decode as UTF-8 whatever WeChat's label says (``.text`` and
    ``.json()``; see :class:`~flask_wechat.compliance.WeChatResponse`).
    When the access token has expired (or will within a minute), and once
    more if WeChat answers 42001 or 40001 anyway, the session refreshes it through
    ``/sns/oauth2/refresh_token`` and hands the new token to
    ``token_updater`` (the extension saves it to token storage). An expired
    refresh token raises :class:`~flask_wechat.errors.RefreshTokenExpired`.

    Several workers may hold copies of one person's token. Give
    ``refresh_lock`` (a callable returning a context manager that yields the
    stored token as ``.token`` and stores a new one with ``.save``, see
    :class:`~flask_wechat.storage.LockedToken`) and a refresh happens under
    the lock: a worker that finds a fresher token stored than its own copy
    takes that one instead of asking WeChat again. ``token_updater`` is then
    not called; ``.save`` stores the token while the lock is held.
    """

    def __init__(
        self,
        client: WeChatClient,
        token: Token,
        token_updater: Callable[[Token], None] | None = None,
        refresh_lock: Callable[[], AbstractContextManager[Any]] | None = None,
    ) -> None:
        super().__init__(client.app_id, token=token)
        client.configure(self)
        self.wechat = client
        self.on_refresh = token_updater
        self.refresh_lock = refresh_lock

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        if url.startswith("/"):
            url = self.wechat.api_base_url + url
        kwargs.setdefault("timeout", self.wechat.timeout)
        if kwargs.get("withhold_token") or not self.token:
            return super().request(method, url, *args, **kwargs)
        if _expiring(self.token):
            self.refresh()
        response = guarded(super().request, method, url, *args, **kwargs)
        if _errcode(response) in _REFRESH_ON:
            self.refresh()
            response = guarded(super().request, method, url, *args, **kwargs)
        return response

    def refresh(self) -> Token:
        """Refresh the access token now and report it to ``token_updater``.

        With a ``refresh_lock``: under the lock, a token stored by another
        worker since this session's copy was read is taken as it is.
        """
        if self.refresh_lock is None:
            self.token = self.wechat.refresh_token(self.token)
            if self.on_refresh is not None:
                self.on_refresh(self.token)
            return self.token
        held = self.token
        with self.refresh_lock() as locked:
            stored = locked.token
            if stored and _newer(stored, held) and not _expiring(stored):
                self.token = stored  # another worker refreshed it while this one waited
                return self.token
            self.token = self.wechat.refresh_token(stored or held)
            locked.save(self.token)
        return self.token


def _expiring(token: Token) -> bool:
    return float(token.get("expires_at") or 0) - REFRESH_MARGIN < time.time()


def _newer(stored: Token, held: Token) -> bool:
    # WeChat may extend a live access token instead of replacing it.
    return stored.get("access_token") != held.get("access_token") or float(
        stored.get("expires_at") or 0
    ) > float(held.get("expires_at") or 0)


def _errcode(response: Response) -> int | None:
    # Only small JSON-ish answers can be an errcode body; never parse a download.
    if len(response.content) > 512 or not response.content.startswith(b"{"):
        return None
    try:
        errcode = response.json(strict=False).get("errcode")
    except (ValueError, AttributeError):
        return None
    return errcode if isinstance(errcode, int) and not isinstance(errcode, bool) else None
