"""Small steps shared by the flow tests."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: Under ``CI=true`` the suite runs in full (the fuzz test at its full size, and
#: missing browser tools fail instead of skipping).
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def start(client: Any, next_url: str | None = None) -> str:
    """Press the WeChat button; return WeChat's authorize URL."""
    query = {"next": next_url} if next_url else {}
    response = client.get("/wechat/authorize", query_string=query)
    assert response.status_code == 302
    return response.location


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def sign_in(client: Any, emulator: Any, user: str = "lilei", next_url: str | None = None) -> Any:
    """A whole sign-in; returns the callback's response."""
    callback = emulator.approve(start(client, next_url), user=user)
    return client.get(callback)


def stored_token(client: Any) -> dict[str, Any]:
    """The WeChat token the default storage keeps in this browser's session."""
    with client.session_transaction() as stored:
        return dict(stored["_wechat_token"]["token"])


def csrf_field(html: str) -> tuple[str, str]:
    """The hidden CSRF field a page's logout button carries: (name, token)."""
    found = re.search(r'name="([^"]*csrf[^"]*)" value="([^"]+)"', html)
    assert found, f"no CSRF field on the page:\n{html[:2000]}"
    return found.group(1), found.group(2)


def logout_field(client: Any, page: str = "/account") -> tuple[str, str]:
    """The hidden field a real page's logout button carries: (name, token)."""
    return csrf_field(client.get(page).get_data(as_text=True))
