"""WeChat's authorize pages and rules as they really are (docs/wechat-quirks.md)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests_oauthlib import OAuth2Session
from werkzeug.serving import make_server

from flask_wechat import wechat_compliance_fix
from flask_wechat.emulator import (
    MP_APP_ID,
    MP_APP_SECRET,
    USER_LILEI,
    USER_SNAPSHOT,
    WEBSITE_APP_ID,
    WEBSITE_APP_SECRET,
)
from flask_wechat.testing import FormReader

from .helpers import sign_in, start
from .test_cli import production_app, run_check

IN_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI"
)


def _names(url: str) -> list[str]:
    return [name for name, _ in parse_qsl(urlsplit(url).query)]


# -- lang on qrconnect, never on oauth2/authorize ---------------------------------------


def test_english_pages_send_lang_en_to_qrconnect_after_state(client, wechat_emulator):
    client.get("/wechat/login", query_string={"lang": "en"})
    location = start(client)
    assert _names(location) == ["appid", "redirect_uri", "response_type", "scope", "state", "lang"]
    assert location.endswith("&lang=en#wechat_redirect")
    page = requests.get(location.split("#")[0], timeout=5)
    assert '<html lang="en">' in page.text and ">Confirm<" in page.text


def test_chinese_pages_send_no_lang(client, wechat_emulator):
    client.get("/wechat/login", query_string={"lang": "zh"})
    location = start(client)
    assert "lang" not in _names(location)
    assert "确认登录" in requests.get(location.split("#")[0], timeout=5).text


def test_english_sign_in_through_the_english_emulator_page(client, wechat_emulator):
    client.get("/wechat/login", query_string={"lang": "en"})
    assert sign_in(client, wechat_emulator).status_code == 302
    assert client.get("/").data.decode() == "signed in as 李雷"


def test_oauth2_authorize_never_gets_lang(make_app, wechat_emulator):
    client = make_app().test_client()
    client.environ_base["HTTP_USER_AGENT"] = IN_WECHAT
    client.get("/wechat/login", query_string={"lang": "en"})
    location = start(client)
    assert "/connect/oauth2/authorize?" in location
    assert _names(location) == ["appid", "redirect_uri", "response_type", "scope", "state"]


# -- the in-WeChat path on a real server with a port ------------------------------------


@pytest.fixture
def live_site(make_app: Any) -> Iterator[str]:
    app = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _in_wechat_sign_in(site: str) -> requests.Response:
    browser = requests.Session()
    browser.headers["User-Agent"] = IN_WECHAT
    to_wechat = browser.get(f"{site}/wechat/authorize", allow_redirects=False, timeout=5)
    assert "/connect/oauth2/authorize?" in to_wechat.headers["Location"]
    return browser.get(
        to_wechat.headers["Location"].split("#")[0],
        params={"emulator_user": USER_LILEI},
        allow_redirects=False,
        timeout=5,
    )


def test_in_wechat_a_callback_with_a_port_is_refused_with_wechats_page(live_site, wechat_emulator):
    page = _in_wechat_sign_in(live_site)
    assert page.status_code == 200 and page.headers["X-Emulator-Error"] == "redirect_uri_domain"
    assert "redirect_uri 参数错误" in page.text and "10003" in page.text


def test_in_wechat_sign_in_succeeds_once_that_host_port_is_registered(live_site, wechat_emulator):
    wechat_emulator.world.add_callback_domain(urlsplit(live_site).netloc)
    page = _in_wechat_sign_in(live_site)
    assert "X-Emulator-Error" not in page.headers
    form = FormReader()
    form.feed(page.text)
    assert form.action
    approved = requests.post(
        wechat_emulator.url + form.action,
        data={**form.fields, "action": "confirm", "user": USER_LILEI},
        allow_redirects=False,
        timeout=5,
    )
    callback = approved.headers["Location"]
    assert callback.startswith(live_site + "/wechat/callback?")


def test_a_snapshot_user_never_reaches_userinfo(make_app, wechat_emulator):
    # WeChat answers 48001 to a snapshot token's userinfo: the sign-in stops before it.
    client = make_app().test_client()
    client.environ_base["HTTP_USER_AGENT"] = IN_WECHAT
    response = sign_in(client, wechat_emulator, user=USER_SNAPSHOT)
    assert response.status_code == 403
    paths = [c["path"] for c in wechat_emulator.world.requests if c["path"].startswith("/sns/")]
    assert paths == ["/sns/oauth2/access_token"]


# -- the embedded frame -------------------------------------------------------------------


def test_the_embedded_frame_allows_local_network_access(make_app, wechat_emulator):
    page = make_app(WECHAT_QR_MODE="embedded").test_client().get("/wechat/login").data.decode()
    frame = page.split("<iframe", 1)[1].split(">", 1)[0]
    assert 'allow="local-network-access"' in frame


# -- the standalone compliance fix refreshes as WeChat documents ---------------------------


def test_the_compliance_fix_refreshes_with_appid_in_the_query_and_never_the_secret(
    wechat_emulator,
):
    world = wechat_emulator.world
    session = wechat_compliance_fix(OAuth2Session(WEBSITE_APP_ID, scope=["snsapi_login"]))
    code = world.issue_code(WEBSITE_APP_ID, USER_LILEI, "snsapi_login")
    token = session.fetch_token(
        f"{wechat_emulator.url}/sns/oauth2/access_token",
        code=code,
        client_secret=WEBSITE_APP_SECRET,
        method="GET",
        include_client_id=True,
    )
    world.clear_requests()
    fresh = session.refresh_token(
        f"{wechat_emulator.url}/sns/oauth2/refresh_token", client_secret=WEBSITE_APP_SECRET
    )
    assert fresh["access_token"] == token["access_token"]  # unexpired: the same, extended
    (call,) = world.requests
    assert call["method"] == "POST"  # requests-oauthlib always POSTs a refresh
    assert call["query"] == [
        ("appid", WEBSITE_APP_ID),
        ("grant_type", "refresh_token"),
        ("refresh_token", token["refresh_token"]),
    ]
    assert call["form"] == []
    assert WEBSITE_APP_SECRET not in repr(call)


# -- flask wechat check ---------------------------------------------------------------------


@pytest.mark.parametrize("server_name", ["www.example.com:8443", "101.32.0.7"])
def test_check_a_callback_with_a_port_or_an_ip_is_a_problem_for_the_official_account(
    server_name,
):
    app = production_app(
        SERVER_NAME=server_name, WECHAT_MP_APP_ID=MP_APP_ID, WECHAT_MP_APP_SECRET=MP_APP_SECRET
    )
    result = run_check(app)
    assert result.exit_code == 1, result.output
    assert "PROBLEM" in result.output and "official account" in result.output


@pytest.mark.parametrize("server_name", ["www.example.com:8443", "101.32.0.7"])
def test_check_a_callback_with_a_port_or_an_ip_is_a_warning_for_the_website(server_name):
    result = run_check(production_app(SERVER_NAME=server_name))
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "PROBLEM" not in result.output
    assert run_check(production_app(SERVER_NAME=server_name), "--strict").exit_code == 1


def test_check_snsapi_base_with_both_apps_warns_of_two_ids():
    app = production_app(
        WECHAT_MP_APP_ID=MP_APP_ID, WECHAT_MP_APP_SECRET=MP_APP_SECRET, WECHAT_SCOPE="snsapi_base"
    )
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "unionid" in result.output
    both = production_app(WECHAT_MP_APP_ID=MP_APP_ID, WECHAT_MP_APP_SECRET=MP_APP_SECRET)
    assert "unionid" not in run_check(both).output
