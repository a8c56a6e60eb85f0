"""Inside WeChat's own browser: the official-account path, both scopes, and its refusals."""

from __future__ import annotations

from flask_wechat.emulator import MP_APP_ID, MP_APP_SECRET, WEBSITE_APP_ID, WEBSITE_APP_SECRET

from .helpers import state_of

IN_WECHAT = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI "
    "Language/zh_CN"
}
BOTH_APPS = {
    "WECHAT_APP_ID": WEBSITE_APP_ID,
    "WECHAT_APP_SECRET": WEBSITE_APP_SECRET,
    "WECHAT_MP_APP_ID": MP_APP_ID,
    "WECHAT_MP_APP_SECRET": MP_APP_SECRET,
}
WEBSITE_ONLY = {
    "WECHAT_APP_ID": WEBSITE_APP_ID,
    "WECHAT_APP_SECRET": WEBSITE_APP_SECRET,
    "WECHAT_MP_APP_ID": None,  # no official account
    "WECHAT_MP_APP_SECRET": None,
}


def _start_in_wechat(client, next_url=None):
    response = client.get("/wechat/authorize", query_string={"next": next_url}, headers=IN_WECHAT)
    assert response.status_code == 302
    return response.location


def test_in_wechat_userinfo_path(make_app, wechat_emulator):
    client = make_app(**BOTH_APPS).test_client()
    location = _start_in_wechat(client, "/private/page")
    assert location == (
        f"{wechat_emulator.url}/connect/oauth2/authorize?appid={MP_APP_ID}"
        "&redirect_uri=http%3A%2F%2Flocalhost%2Fwechat%2Fcallback&response_type=code"
        f"&scope=snsapi_userinfo&state={state_of(location)}#wechat_redirect"
    )
    callback = wechat_emulator.approve(location, user="hanmeimei")
    wechat_emulator.world.clear_requests()
    response = client.get(callback, headers=IN_WECHAT)
    assert (response.status_code, response.location) == (302, "/private/page")
    assert client.get("/").data.decode() == "signed in as Han Meimei 🐼"
    token_call, userinfo_call = wechat_emulator.world.requests
    assert dict(token_call["query"])["appid"] == MP_APP_ID
    assert dict(token_call["query"])["secret"] == MP_APP_SECRET
    assert userinfo_call["path"] == "/sns/userinfo"


def test_in_wechat_base_scope_is_silent_and_makes_one_call(make_app, wechat_emulator):
    app = make_app(**BOTH_APPS, WECHAT_SCOPE="snsapi_base")
    client = app.test_client()
    location = _start_in_wechat(client)
    assert "&scope=snsapi_base&" in location
    callback = wechat_emulator.approve(location, user="lilei")  # no page: a silent redirect
    wechat_emulator.world.clear_requests()
    assert client.get(callback).status_code == 302
    assert [call["path"] for call in wechat_emulator.world.requests] == ["/sns/oauth2/access_token"]
    (user,) = app.users.values()
    assert user.id == wechat_emulator.world.openid(MP_APP_ID, "lilei")  # no unionid for base
    assert user.nickname is None


def test_path_is_remembered_with_the_state_not_the_user_agent(make_app, wechat_emulator):
    client = make_app(**BOTH_APPS).test_client()
    callback = wechat_emulator.approve(_start_in_wechat(client))
    wechat_emulator.world.clear_requests()
    client.get(callback, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    assert dict(wechat_emulator.world.requests[0]["query"])["appid"] == MP_APP_ID
    assert client.get("/").data.decode().startswith("signed in")


def test_desktop_browser_still_gets_the_qr_path(make_app, wechat_emulator):
    client = make_app(**BOTH_APPS).test_client()
    assert "/connect/qrconnect?" in client.get("/wechat/authorize").location


def test_without_an_official_account_inside_wechat_explains_in_both_languages(
    make_app, wechat_emulator
):
    client = make_app(**WEBSITE_ONLY).test_client()
    english = client.get("/wechat/login?lang=en&next=/private/page", headers=IN_WECHAT)
    page = english.data.decode()
    assert english.status_code == 200
    assert "Sign in from a computer" in page and "scan the QR code with WeChat" in page
    assert "http://localhost/wechat/login?next=/private/page" in page  # the link to open
    assert "Sign in with WeChat" not in page  # no button that cannot work here
    chinese = client.get("/wechat/login?lang=zh", headers=IN_WECHAT).data.decode()
    assert "请在电脑上登录" in chinese
    wechat_emulator.world.clear_requests()
    authorize = client.get("/wechat/authorize", headers=IN_WECHAT)
    assert authorize.status_code == 200 and "请在电脑上登录" in authorize.data.decode()
    assert wechat_emulator.world.requests == []


def test_snapshot_users_are_refused_with_an_explanation(make_app, wechat_emulator):
    client = make_app(**BOTH_APPS).test_client()
    callback = wechat_emulator.approve(_start_in_wechat(client), user="snapshot")
    wechat_emulator.world.clear_requests()
    response = client.get(callback)
    assert response.status_code == 403
    assert "Use full service" in response.data.decode()
    assert [call["path"] for call in wechat_emulator.world.requests] == [
        "/sns/oauth2/access_token"
    ]  # refused before asking for the (virtual) profile
    assert client.get("/").data == b"anonymous"


def test_one_person_is_one_user_across_the_website_app_and_the_official_account(
    make_app, wechat_emulator
):
    app = make_app(**BOTH_APPS)
    desktop, phone = app.test_client(), app.test_client()
    desktop.get(wechat_emulator.approve(desktop.get("/wechat/authorize").location))
    phone.get(wechat_emulator.approve(_start_in_wechat(phone)))
    (user,) = app.users.values()  # one user, keyed on the shared unionid
    world = wechat_emulator.world
    assert user.id == world.unionid(WEBSITE_APP_ID, "lilei") == world.unionid(MP_APP_ID, "lilei")
    assert world.openid(WEBSITE_APP_ID, "lilei") != world.openid(MP_APP_ID, "lilei")


def test_an_open_platform_appid_on_the_official_account_path_is_refused_by_wechat(
    make_app, wechat_emulator
):
    misconfigured = {**BOTH_APPS, "WECHAT_MP_APP_ID": WEBSITE_APP_ID}
    client = make_app(**misconfigured).test_client()
    page = __import__("requests").get(_start_in_wechat(client).split("#")[0], timeout=10)
    assert "10016" in page.text
