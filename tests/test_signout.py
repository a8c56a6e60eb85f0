"""Sign-out signs out: the remember cookie goes, and a token belongs to its owner only."""

from __future__ import annotations

import re

from .helpers import sign_in


def _sign_out(client):
    field = re.search(
        r'name="([^"]*csrf[^"]*)" value="([^"]+)"', client.get("/account").data.decode()
    )
    return client.post("/wechat/logout", data={field.group(1): field.group(2)})


def _deletes_remember_cookie(response) -> bool:
    return any(
        header.startswith("remember_token=;") and "Expires=Thu, 01 Jan 1970" in header
        for header in response.headers.getlist("Set-Cookie")
    )


def test_sign_out_deletes_the_remember_cookie(make_app, wechat_emulator):
    app = make_app(WECHAT_REMEMBER=True)
    client = app.test_client()
    sign_in(client, wechat_emulator)
    assert client.get_cookie("remember_token") is not None
    response = _sign_out(client)
    assert response.status_code == 302
    assert _deletes_remember_cookie(response)
    assert client.get_cookie("remember_token") is None
    assert client.get("/").data == b"anonymous"


def test_an_earlier_persons_remember_cookie_does_not_outlive_a_later_sign_in(
    make_app, wechat_emulator
):
    remembering = make_app(WECHAT_REMEMBER=True)
    client = remembering.test_client()
    sign_in(client, wechat_emulator, user="lilei")
    left_behind = client.get_cookie("remember_token").value
    # Another person, same browser, on a site that does not remember anyone.
    app = make_app()
    browser = app.test_client()
    browser.set_cookie("remember_token", left_behind)
    sign_in(browser, wechat_emulator, user="hanmeimei")
    assert browser.get("/").data.decode() == "signed in as Han Meimei 🐼"
    _sign_out(browser)
    assert browser.get_cookie("remember_token") is None
    assert browser.get("/").data == b"anonymous"
