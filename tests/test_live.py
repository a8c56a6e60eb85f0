"""The whole round trip with both sides as real servers: a `requests` session plays the browser."""

from __future__ import annotations

import pytest
import requests

from .helpers import csrf_field


@pytest.fixture
def app(make_app):
    # The emulator, like WeChat, only redirects to the registered callback domain.
    return make_app(SERVER_NAME="localhost")


def test_live_sign_in_and_sign_out(live_server, wechat_emulator):
    base = live_server.url()
    browser = requests.Session()
    login = browser.get(f"{base}/wechat/login?next=/private/page", timeout=10)
    assert login.status_code == 200 and "Sign in with WeChat" in login.text
    to_wechat = browser.get(f"{base}/wechat/authorize?next=/private/page", allow_redirects=False)
    callback = wechat_emulator.approve(to_wechat.headers["Location"], user="hanmeimei")
    landed = browser.get(callback, timeout=10)
    assert landed.url == f"{base}/private/page"
    assert browser.get(f"{base}/", timeout=10).text == "signed in as Han Meimei 🐼"
    account = browser.get(f"{base}/account", timeout=10).text
    name, csrf = csrf_field(account)
    out = browser.post(f"{base}/wechat/logout", data={name: csrf}, timeout=10)
    assert out.url == f"{base}/" and out.text == "anonymous"
