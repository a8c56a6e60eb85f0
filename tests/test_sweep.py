"""An adversary's sweep of the blueprint and the client: failing tests for what it found.

Each test is one input that gave a 500 (or leaked) before its fix; what held is in
tests/test_fuzz.py, tests/test_secrets.py, tests/test_quirks.py and the rest.
"""

from __future__ import annotations

import json

import pytest

from flask_wechat.client import WeChatClient
from flask_wechat.emulator import USER_LILEI, WEBSITE_APP_ID, WEBSITE_APP_SECRET
from flask_wechat.errors import BadResponse

from .helpers import sign_in
from .test_quirks import _GOOD_TOKEN, REFRESH, TOKEN, UNREADABLE

# -- an expires_in no float can hold -------------------------------------------------------

# JSON numbers have no size limit and Python reads a 400-digit one as an int; the
# client's float(expires_in) raised OverflowError (a 500 at the callback).
HUGE_LIFETIMES = {"number": 10**400, "digits": "9" * 400}


@pytest.mark.parametrize("lifetime", HUGE_LIFETIMES.values(), ids=HUGE_LIFETIMES)
def test_a_token_with_an_endless_expires_in_is_the_502_page(make_app, wechat_emulator, lifetime):
    client = make_app().test_client()
    body = json.dumps({**_GOOD_TOKEN, "expires_in": lifetime})
    wechat_emulator.world.add_fault(TOKEN, "body", body=body)
    response = sign_in(client, wechat_emulator)
    assert response.status_code == 502, response.data.decode()[:300]
    assert UNREADABLE in response.data.decode()
    assert client.get("/").data == b"anonymous"


@pytest.mark.kind_wechat  # the scripted body is the refresh's first answer
@pytest.mark.parametrize("lifetime", HUGE_LIFETIMES.values(), ids=HUGE_LIFETIMES)
def test_a_refresh_with_an_endless_expires_in_is_a_bad_response(wechat_emulator, lifetime):
    world = wechat_emulator.world
    client = WeChatClient(
        WEBSITE_APP_ID, WEBSITE_APP_SECRET, api_base_url=wechat_emulator.url, timeout=2
    )
    token = client.fetch_token(world.issue_code(WEBSITE_APP_ID, USER_LILEI, "snsapi_login"))
    body = json.dumps({**_GOOD_TOKEN, "openid": token["openid"], "expires_in": lifetime})
    world.add_fault(REFRESH, "body", body=body, times=2)
    with pytest.raises(BadResponse):
        client.refresh_token(token)
