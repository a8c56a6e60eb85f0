"""An adversary's sweep of the blueprint and the client: failing tests for what it found.

Each test is one input that gave a 500 (or leaked) before its fix; what held is in
tests/test_fuzz.py, tests/test_secrets.py, tests/test_quirks.py and the rest.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from flask_wechat.client import WeChatClient
from flask_wechat.emulator import USER_LILEI, WEBSITE_APP_ID, WEBSITE_APP_SECRET
from flask_wechat.errors import BadResponse
from flask_wechat.redact import redact

from .helpers import sign_in, start
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


# -- the callback's request line in the server's log ---------------------------------------

# A server logs the callback's request line, query and all: code and state. Werkzeug's
# development server logs on the "werkzeug" logger and gunicorn's access log on
# "gunicorn.access", both Python loggers of the process that runs the app.
CODE, STATE = "C0DEC0DEC0DE0000", "5747e5747e5747e5747e5747e5747e00"
CALLBACK_QUERY = f"/wechat/callback?code={CODE}&state={STATE}"


def test_the_development_servers_request_line_holds_no_code_or_state(make_app, every_log_line):
    app = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        answer = requests.get(f"http://127.0.0.1:{server.port}{CALLBACK_QUERY}", timeout=10)
    finally:
        server.shutdown()
        serving.join(timeout=10)
    assert answer.status_code == 400
    lines = [line for line in every_log_line if line.startswith("werkzeug ")]
    assert any("/wechat/callback?" in line for line in lines), lines  # it did log the line
    assert not [line for line in lines if CODE in line or STATE in line]


GUNICORN_APP = """
import os
from flask import Flask
from flask_login import LoginManager
from flask_wechat import WeChat

app = Flask(__name__)
app.config.update(SECRET_KEY="gunicorn-test", **{
    key: value for key, value in os.environ.items() if key.startswith("WECHAT_")
})
LoginManager(app).user_loader(lambda user_id: None)
WeChat(app).profile_handler(lambda profile, token: None)
"""


def test_gunicorns_access_log_holds_no_code_or_state(wechat_emulator, tmp_path):
    pytest.importorskip("gunicorn")
    (tmp_path / "gunicorn_site.py").write_text(GUNICORN_APP)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **wechat_emulator.config, "PYTHONPATH": str(tmp_path)}
    host = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "gunicorn_site:app",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}{CALLBACK_QUERY}", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and host.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        assert answer.status_code == 400
    finally:
        host.terminate()
        output, _ = host.communicate(timeout=30)
    lines = [line for line in output.splitlines() if "/wechat/callback" in line]
    assert lines, output  # the access log did log the line
    assert not [line for line in lines if CODE in line or STATE in line]


@pytest.mark.parametrize(
    "stored_next",
    [["/x"], {"/x": 1}, 5, "//evil.example/", "javascript:alert(1)"],
    ids=["a-list", "a-dict", "a-number", "offsite", "a-scheme"],
)
def test_a_pending_sign_in_whose_next_is_not_a_path_here_goes_to_the_default(
    make_app, wechat_emulator, stored_next
):
    # A well-shaped entry whose next is what mint() never writes (another version, the app's
    # own code): the sign-in finishes, to the default page, never to another site or a 500.
    client = make_app().test_client()
    to_wechat = start(client, "/private")
    with client.session_transaction() as stored:
        pending = stored["_wechat_pending"]
        (entry,) = pending.values()
        entry[0] = stored_next
        stored["_wechat_pending"] = pending
    callback = client.get(wechat_emulator.approve(to_wechat, user="lilei"))
    assert callback.status_code == 302, callback.data.decode()[:300]
    assert callback.location == "/"


# -- HEAD is GET without the body (RFC 9110): link checkers and prefetchers send it ------


@pytest.mark.parametrize("path", ["/wechat/logout", "/wechat/disconnect"])
def test_head_on_the_button_pages_is_their_get(make_app, wechat_emulator, path, caplog):
    client = make_app().test_client()
    assert sign_in(client, wechat_emulator).location == "/"
    get = client.get(path)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="flask_wechat"):
        head = client.head(path)
    assert (
        (head.status_code, head.content_type)
        == (get.status_code, get.content_type)
        == (
            200,
            "text/html; charset=utf-8",
        )
    )
    assert head.data == b""
    assert not [r for r in caplog.records if r.name.startswith("flask_wechat")], caplog.text
    assert client.get("/").data.decode() == "signed in as 李雷"  # nothing was changed


# -- key=value after any punctuation: a quoted body, markup, brackets --------------------


@pytest.mark.parametrize(
    "text",
    [
        "body='code=S3CRET&appid=wx1'",  # a string's repr, as %r logs it
        'body="access_token=S3CRET"',
        "<html>access_token=S3CRET</html>",  # an HTML answer logged whole
        "[refresh_token=S3CRET]",
        "{secret=S3CRET}",
        "url:state=S3CRET",
    ],
)
def test_redaction_finds_a_secret_after_any_punctuation(text):
    assert "S3CRET" not in redact(text)


def test_redaction_leaves_fields_that_only_end_like_a_secret():
    text = "errcode=40029 barcode=123 x-code=7 zip.code=9 sub_state=ok"
    assert redact(text) == text
