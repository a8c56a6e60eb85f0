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


# -- a session's "next" that is not text ---------------------------------------------------

# With USE_SESSION_FOR_NEXT the pages read session["next"], a key the whole app shares
# (Flask-Login writes text there; the app's own code may write anything the session holds).
NOT_TEXT = {"number": 5, "list": ["/private/page"], "dict": {"url": "/"}, "bytes": b"/private"}


@pytest.mark.parametrize("value", NOT_TEXT.values(), ids=NOT_TEXT)
@pytest.mark.parametrize("path", ["/wechat/login", "/wechat/authorize", "/wechat/logout"])
def test_a_session_next_that_is_not_text_is_ignored(make_app, wechat_emulator, path, value):
    client = make_app(USE_SESSION_FOR_NEXT=True).test_client()
    with client.session_transaction() as stored:
        stored["next"] = value
    response = client.get(path)
    assert response.status_code in (200, 302), response.data.decode()[:300]
    assert "next=" not in response.data.decode() + (response.location or "")


def test_a_session_next_that_is_text_is_followed(make_app, wechat_emulator):
    # The control: the same page reads a text session["next"] (Flask-Login's).
    client = make_app(USE_SESSION_FOR_NEXT=True).test_client()
    with client.session_transaction() as stored:
        stored["next"] = "/private/page"
    assert "next=/private/page" in client.get("/wechat/login").data.decode()


# -- this package's own session keys holding what it never wrote --------------------------

# A session signed with the right key can still hold other shapes under our keys: another
# version of the package behind the same load balancer, an app's own code, a server-side
# session whose serializer changed. Each is an unknown state (a page), never a 500.
ISSUED = 1_700_000_000.0
MALFORMED_PENDING = {
    "a-number": 5,
    "a-list": ["s"],
    "text": "s",
    "entry-a-number": {"s": 5},
    "entry-too-short": {"s": ["/", "website"]},
    "entry-time-text": {"s": [None, "website", "yesterday"]},
    "entry-an-object": {"s": {"next": "/"}},
}


@pytest.mark.parametrize("pending", MALFORMED_PENDING.values(), ids=MALFORMED_PENDING)
def test_malformed_pending_sign_ins_are_unknown_states(make_app, wechat_emulator, pending):
    client = make_app(WECHAT_STATE_MAX_AGE=10**10).test_client()
    with client.session_transaction() as stored:
        stored["_wechat_pending"] = pending
    callback = client.get("/wechat/callback", query_string={"state": "s", "code": "abc"})
    assert callback.status_code == 400, callback.data.decode()[:300]
    with client.session_transaction() as stored:
        stored["_wechat_pending"] = pending
    assert client.get("/wechat/authorize").status_code == 302  # a new sign-in starts
    assert sign_in(client, wechat_emulator).location == "/"  # and finishes


@pytest.mark.parametrize("chosen", [["en"], {"en": 1}], ids=["a-list", "a-dict"])
def test_a_remembered_language_that_is_not_text_is_ignored(make_app, chosen):
    client = make_app().test_client()
    with client.session_transaction() as stored:
        stored["_wechat_lang"] = chosen
    page = client.get("/wechat/login", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.data.decode()
