"""Connecting WeChat to an existing account (绑定微信) and disconnecting it (解绑).

The app here is one real sites have: people with a password account (alice, bob) who
connect WeChat from their account page, then sign in with either.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, render_template_string, request
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from flask_wechat import WeChat, signals
from flask_wechat.emulator import USER_HANMEIMEI, USER_LILEI, WEBSITE_APP_ID
from flask_wechat.errors import (
    AlreadyConnected,
    ConnectError,
    ConnectRefused,
    DisconnectRefused,
    NotSignedIn,
    UserChanged,
    WeChatError,
)
from flask_wechat.state import SESSION_KEY as PENDING_KEY
from flask_wechat.state import take
from flask_wechat.testing import sign_out

from .helpers import sign_in, state_of


class Account(UserMixin):
    def __init__(self, name: str, has_password: bool = True) -> None:
        self.id = name
        self.name = name
        self.has_password = has_password
        self.wechat_id: str | None = None


def build(
    wechat_emulator: Any, *, handlers: bool = True, csrf: bool = False, **config: Any
) -> Flask:
    """A site with password accounts that people connect WeChat to."""
    app = Flask(__name__, template_folder=str(config.pop("templates", "templates")))
    app.config.update(SECRET_KEY="accounts-test", TESTING=True, **wechat_emulator.config)
    app.config.update(config)
    accounts = {"alice": Account("alice"), "bob": Account("bob")}
    app.accounts = accounts  # type: ignore[attr-defined]
    app.calls = []  # type: ignore[attr-defined]
    manager = LoginManager(app)
    manager.user_loader(accounts.get)
    protect = None
    if csrf:
        from flask_wtf.csrf import CSRFProtect

        protect = CSRFProtect(app)
    wechat = WeChat(app)
    app.wechat = wechat  # type: ignore[attr-defined]

    def owner_of(wechat_id: str) -> Account | None:
        return next((a for a in accounts.values() if a.wechat_id == wechat_id), None)

    @wechat.profile_handler
    def signed_in_with_wechat(profile: Any, token: Any) -> Account:
        found = owner_of(profile.id)
        if found is None:  # a newcomer: an account with WeChat as its only way in
            found = accounts.setdefault(profile.id, Account(profile.id, has_password=False))
            found.wechat_id = profile.id
        return found

    if handlers:

        @wechat.connect_handler
        def connect(user: Account, profile: Any, token: Any) -> None:
            app.calls.append(("connect", user.id, profile.nickname, token["openid"]))  # type: ignore[attr-defined]
            owner = owner_of(profile.id)
            if owner is not None and owner is not user:
                raise AlreadyConnected(f"{profile.id} belongs to {owner.id}")
            user.wechat_id = profile.id

        @wechat.disconnect_handler
        def disconnect(user: Account) -> None:
            app.calls.append(("disconnect", user.id))  # type: ignore[attr-defined]
            if not user.has_password:
                raise DisconnectRefused(
                    "WeChat is the only way <b>you</b> sign in: set a password first.",
                    reason="WeChat is the only way <b>you</b> sign in: set a password first.",
                )
            user.wechat_id = None

    def password_login(name: str) -> str:
        login_user(accounts[name])
        return "ok"

    app.post("/password-login/<name>")(password_login)

    @app.post("/app-logout")
    def app_logout() -> str:
        logout_user()  # the app's own sign-out, which keeps the session
        return "ok"

    if protect is not None:  # a test's shortcut, not a form of the site
        protect.exempt(password_login)

    @app.get("/")
    def home() -> str:
        return f"signed in as {current_user.id}" if current_user.is_authenticated else "anonymous"

    @app.get("/account")
    def account() -> str:
        return render_template_string(
            '{% from "wechat/macros.html" import disconnect_button %}'
            '<a href="{{ url_for("wechat.connect", next="/account") }}">Connect WeChat</a>'
            '{{ disconnect_button("Disconnect WeChat", next="/account") }}'
        )

    @app.get("/token")
    def token() -> Any:
        found = wechat.token
        return {"openid": found and found["openid"]}

    return app


def record(app: Flask, *names: str) -> dict[str, list[Any]]:
    """Connect a list per signal of ``names``; the lists fill as the app sends them."""
    seen: dict[str, list[Any]] = {name: [] for name in names}
    for name in names:
        signal = getattr(signals, name)

        def receiver(sender: Any, _name: str = name, **extra: Any) -> None:
            seen[_name].append(extra)

        signal.connect(receiver, app, weak=False)
    return seen


def start_connect(client: Any, next_url: str | None = "/account") -> str:
    """Press "Connect WeChat"; return WeChat's authorize URL."""
    response = client.get("/wechat/connect", query_string={"next": next_url} if next_url else {})
    assert response.status_code == 302, response.data[:600]
    return response.location


def connect(client: Any, emulator: Any, user: str = USER_LILEI, next_url: str = "/account") -> Any:
    return client.get(emulator.approve(start_connect(client, next_url), user=user))


def disconnect_field(client: Any) -> dict[str, str]:
    """The hidden fields of the account page's disconnect form."""
    html = client.get("/account").get_data(as_text=True)
    form = html.split('action="/wechat/disconnect"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))


def openid(emulator: Any, user: str) -> str:
    return emulator.world.openid(WEBSITE_APP_ID, user)


# -- connect ----------------------------------------------------------------------------


def test_connect_calls_the_hook_and_stays_signed_in_as_the_same_person(wechat_emulator):
    app = build(wechat_emulator)
    seen = record(app, "connected", "signed_in", "sign_in_failed", "connect_failed")
    client = app.test_client()
    client.post("/password-login/alice")
    with client.session_transaction() as before:
        before["app_value"] = "kept"  # a connect is not a sign-in: the session is not renewed
    to_wechat = start_connect(client)
    assert to_wechat.startswith(f"{wechat_emulator.url}/connect/qrconnect?appid={WEBSITE_APP_ID}")
    assert "redirect_uri=http%3A%2F%2Flocalhost%2Fwechat%2Fcallback" in to_wechat
    response = client.get(wechat_emulator.approve(to_wechat, user=USER_LILEI))
    assert (response.status_code, response.location) == (302, "/account")
    assert client.get("/").data == b"signed in as alice"
    assert app.calls == [("connect", "alice", "李雷", openid(wechat_emulator, USER_LILEI))]
    assert app.accounts["alice"].wechat_id  # the hook connected it
    assert client.get("/token").json == {"openid": openid(wechat_emulator, USER_LILEI)}
    with client.session_transaction() as after:
        assert after["app_value"] == "kept"
    (sent,) = seen["connected"]
    assert sent["user"] is app.accounts["alice"] and sent["profile"].nickname == "李雷"
    assert sent["token"]["openid"] == openid(wechat_emulator, USER_LILEI)
    assert seen["signed_in"] == seen["sign_in_failed"] == seen["connect_failed"] == []
    # Once connected, WeChat signs alice in.
    sign_out(client)
    sign_in(client, wechat_emulator, user=USER_LILEI)
    assert client.get("/").data == b"signed in as alice"


def test_the_pending_entry_records_a_connect_and_for_whom(wechat_emulator):
    app = build(wechat_emulator)
    client = app.test_client()
    client.post("/password-login/alice")
    connect_state = state_of(start_connect(client))
    sign_in_state = state_of(client.get("/wechat/authorize").location)
    with app.test_request_context(), client.session_transaction() as stored:
        pending = take(stored, connect_state, 600)
        assert pending.connect_user == "alice" and pending.next_url == "/account"
        assert take(stored, sign_in_state, 600).connect_user is None


def test_a_pending_sign_in_from_before_the_upgrade_still_signs_in(wechat_emulator):
    """Sessions written before connects existed hold three-item entries."""
    app = build(wechat_emulator)
    client = app.test_client()
    to_wechat = client.get("/wechat/authorize").location
    with client.session_transaction() as stored:
        (entry,) = stored[PENDING_KEY].values()
        assert len(entry) == 3  # a sign-in's entry is no bigger than before
    assert client.get(wechat_emulator.approve(to_wechat)).status_code == 302
    assert client.get("/").data.decode().startswith("signed in as ")


def test_connect_needs_someone_signed_in(wechat_emulator):
    app = build(wechat_emulator)
    client = app.test_client()
    wechat_emulator.world.clear_requests()
    for language, words in (("en", "Sign in first"), ("zh-CN", "请先登录"), ("zh-TW", "請先登入")):
        page = client.get("/wechat/connect?next=/account", headers={"Accept-Language": language})
        assert page.status_code == 401
        assert words in page.data.decode()
    assert wechat_emulator.world.requests == []
    # With a login view, Flask-Login's way: to the sign-in page, and back here after.
    app.login_manager.login_view = "wechat.login"
    response = client.get("/wechat/connect?next=/account")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/wechat/login"


def test_connect_without_a_connect_handler_is_a_configuration_error(wechat_emulator, caplog):
    app = build(wechat_emulator, handlers=False)
    client = app.test_client()
    client.post("/password-login/alice")
    page = client.get("/wechat/connect")
    assert page.status_code == 503  # refused before sending anyone to WeChat
    assert "connect_handler" in caplog.text


def test_already_connected_elsewhere_is_a_clear_page_and_nothing_changes(wechat_emulator):
    app = build(wechat_emulator)
    seen = record(app, "connected", "connect_failed", "sign_in_failed")
    alice, bob = app.test_client(), app.test_client()
    alice.post("/password-login/alice")
    connect(alice, wechat_emulator, USER_LILEI)
    bob.post("/password-login/bob")
    pages = {}
    for language in ("en", "zh-CN", "zh-TW"):
        bob.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        pages[language] = connect(bob, wechat_emulator, USER_LILEI)
        assert pages[language].status_code == 409
    assert "This WeChat is already connected to another account" in pages["en"].data.decode()
    assert "此微信已绑定其他账号" in pages["zh-CN"].data.decode()
    assert "此微信已綁定其他帳號" in pages["zh-TW"].data.decode()
    assert 'href="/account"' in pages["en"].data.decode()  # back to where the person was
    assert "belongs to" not in pages["en"].data.decode()  # the hook's message is for the log
    # Nothing changed: bob is still bob, with no WeChat and no token; alice keeps hers.
    assert bob.get("/").data == b"signed in as bob"
    assert app.accounts["bob"].wechat_id is None
    assert app.accounts["alice"].wechat_id is not None
    assert bob.get("/token").json == {"openid": None}
    assert len(seen["connected"]) == 1  # alice's
    assert [type(sent["error"]) for sent in seen["connect_failed"]] == [AlreadyConnected] * 3
    assert seen["sign_in_failed"] == []


@pytest.mark.parametrize("between", ["the app's own sign-out", "another account"])
def test_the_person_who_returns_must_be_the_one_who_started(wechat_emulator, between):
    """The app's own logout_user() / login_user() keep the session: the connect is refused."""
    app = build(wechat_emulator)
    seen = record(app, "connect_failed", "sign_in_failed", "connected")
    client = app.test_client()
    client.post("/password-login/alice")
    to_wechat = start_connect(client)
    if between == "another account":
        client.post("/password-login/bob")
    else:
        client.post("/app-logout")
    callback = wechat_emulator.approve(to_wechat, user=USER_LILEI)
    wechat_emulator.world.clear_requests()
    page = client.get(callback, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 403
    assert "未绑定微信" in page.data.decode()
    assert wechat_emulator.world.requests == []  # the code is not even exchanged
    assert app.calls == []  # the hook never ran
    assert all(account.wechat_id is None for account in app.accounts.values())
    expected = b"signed in as bob" if between == "another account" else b"anonymous"
    assert client.get("/").data == expected
    assert [type(sent["error"]) for sent in seen["connect_failed"]] == [UserChanged]
    assert seen["sign_in_failed"] == seen["connected"] == []


def test_our_sign_out_ends_a_pending_connect(wechat_emulator):
    """Sign-out starts a fresh session: the connect's state is gone with the rest."""
    app = build(wechat_emulator)
    client = app.test_client()
    client.post("/password-login/alice")
    to_wechat = start_connect(client)
    sign_out(client)
    client.post("/password-login/bob")
    page = client.get(wechat_emulator.approve(to_wechat, user=USER_LILEI))
    assert page.status_code == 400  # a link this session does not know
    assert app.calls == []
    assert all(account.wechat_id is None for account in app.accounts.values())
    assert client.get("/").data == b"signed in as bob"


def test_failures_during_a_connect_go_to_connect_failed_and_retry_the_connect(wechat_emulator):
    app = build(wechat_emulator)
    seen = record(app, "connect_failed", "sign_in_failed")
    client = app.test_client()
    client.post("/password-login/alice")
    declined = client.get(
        wechat_emulator.approve(start_connect(client), user=USER_LILEI, action="deny")
    )
    assert declined.status_code == 200
    assert 'href="/wechat/connect?next=/account"' in declined.data.decode()  # try again
    assert [type(sent["error"]).__name__ for sent in seen["connect_failed"]] == ["AccessDenied"]
    assert seen["sign_in_failed"] == []
    assert client.get("/").data == b"signed in as alice"


def test_a_connect_cannot_be_finished_in_another_browser(wechat_emulator):
    app = build(wechat_emulator)
    started, other = app.test_client(), app.test_client()
    started.post("/password-login/alice")
    callback = wechat_emulator.approve(start_connect(started), user=USER_LILEI)
    other.post("/password-login/alice")  # even signed in as the same person
    assert other.get(callback).status_code == 400
    assert app.calls == []


def test_connect_follows_only_safe_next(wechat_emulator):
    app = build(wechat_emulator)
    client = app.test_client()
    client.post("/password-login/alice")
    response = connect(client, wechat_emulator, next_url="https://evil.example/")
    assert response.location == "/"  # WECHAT_LOGIN_REDIRECT


def test_the_hook_may_refuse_for_its_own_reasons(wechat_emulator):
    app = build(wechat_emulator)
    app.wechat.connect_handler(  # type: ignore[attr-defined]
        lambda user, profile, token: (_ for _ in ()).throw(
            ConnectRefused("no WeChat for bob", reason="Ask the front desk to connect WeChat.")
        )
    )
    client = app.test_client()
    client.post("/password-login/bob")
    page = connect(client, wechat_emulator)
    assert page.status_code == 403
    assert "Ask the front desk to connect WeChat." in page.data.decode()
    assert client.get("/token").json == {"openid": None}


# -- disconnect --------------------------------------------------------------------------


def test_disconnect_calls_the_hook_removes_the_token_and_signals(wechat_emulator):
    app = build(wechat_emulator)
    seen = record(app, "disconnected", "signed_out")
    client = app.test_client()
    client.post("/password-login/alice")
    connect(client, wechat_emulator)
    assert client.get("/token").json["openid"]
    response = client.post("/wechat/disconnect", data=disconnect_field(client))
    assert (response.status_code, response.location) == (302, "/account")
    assert app.calls[-1] == ("disconnect", "alice")
    assert app.accounts["alice"].wechat_id is None
    assert client.get("/token").json == {"openid": None}
    with client.session_transaction() as stored:
        assert "_wechat_token" not in stored
    assert client.get("/").data == b"signed in as alice"  # still signed in
    assert [sent["user"] for sent in seen["disconnected"]] == [app.accounts["alice"]]
    assert seen["signed_out"] == []


def test_disconnect_needs_a_post_with_the_forms_token(wechat_emulator):
    app = build(wechat_emulator)
    client = app.test_client()
    client.post("/password-login/alice")
    connect(client, wechat_emulator)
    for body in ({}, {"_wechat_csrf_token": "forged"}, {"csrf_token": "forged"}):
        refused = client.post("/wechat/disconnect", data=body, headers={"Accept-Language": "zh-CN"})
        assert refused.status_code == 400
        assert "此表单已失效" in refused.data.decode()
    assert ("disconnect", "alice") not in app.calls
    explained = client.get("/wechat/disconnect?next=/account")  # a GET explains, with the button
    html = explained.data.decode()
    assert explained.status_code == 200
    assert '<form method="post" action="/wechat/disconnect"' in html and "Disconnect WeChat" in html
    assert ("disconnect", "alice") not in app.calls
    assert app.accounts["alice"].wechat_id is not None


def test_disconnect_with_flask_wtf(wechat_emulator):
    pytest.importorskip("flask_wtf")
    app = build(wechat_emulator, csrf=True)
    client = app.test_client()
    client.post("/password-login/alice")
    connect(client, wechat_emulator)
    fields = disconnect_field(client)
    assert "csrf_token" in fields  # Flask-WTF's own field
    response = client.post(
        "/wechat/disconnect", data=fields, headers={"Referer": "http://localhost/account"}
    )
    assert response.status_code == 302, response.data[:600]
    assert app.accounts["alice"].wechat_id is None


def test_a_refused_disconnect_says_why_and_keeps_everything(wechat_emulator):
    app = build(wechat_emulator)
    seen = record(app, "disconnected")
    client = app.test_client()
    sign_in(client, wechat_emulator, user=USER_HANMEIMEI)  # WeChat is this account's only way in
    response = client.post("/wechat/disconnect", data=disconnect_field(client))
    html = response.data.decode()
    assert response.status_code == 409
    assert "WeChat was not disconnected" in html
    # The app's reason, escaped: it is text, never markup.
    assert "WeChat is the only way &lt;b&gt;you&lt;/b&gt; sign in: set a password first." in html
    assert client.get("/token").json["openid"] == openid(wechat_emulator, USER_HANMEIMEI)
    assert seen["disconnected"] == []
    chinese = client.post(
        "/wechat/disconnect", data=disconnect_field(client), headers={"Accept-Language": "zh-TW"}
    )
    assert "未解除綁定微信" in chinese.data.decode()


def test_disconnect_needs_someone_signed_in(wechat_emulator):
    app = build(wechat_emulator)
    client = app.test_client()
    response = client.post("/wechat/disconnect", data=disconnect_field(client))
    assert response.status_code == 401
    assert ("disconnect", None) not in app.calls and app.calls == []


def test_the_errors_are_typed_for_code():
    assert issubclass(AlreadyConnected, ConnectRefused)
    for error in (ConnectRefused, DisconnectRefused, NotSignedIn, UserChanged):
        assert issubclass(error, ConnectError) and issubclass(error, WeChatError)
    assert DisconnectRefused("for the log", reason="for the person").reason == "for the person"
    assert DisconnectRefused().reason is None


def test_hooks_run_inside_the_request(wechat_emulator):
    """The hooks may read the request (for instance the person's language)."""
    app = build(wechat_emulator)
    languages = []
    app.wechat.connect_handler(  # type: ignore[attr-defined]
        lambda user, profile, token: languages.append(request.accept_languages.best)
    )
    client = app.test_client()
    client.post("/password-login/alice")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    connect(client, wechat_emulator)
    assert languages == ["zh-CN"]


# -- the pages ---------------------------------------------------------------------------


def test_the_already_connected_page_overrides_one_block(wechat_emulator, tmp_path):
    (tmp_path / "wechat").mkdir()
    (tmp_path / "wechat" / "already_connected.html").write_text(
        '{% extends "wechat/default/already_connected.html" %}'
        "{% block message %}Ask the front desk.{% endblock %}",
        encoding="utf-8",
    )
    app = build(wechat_emulator, templates=tmp_path)
    alice, bob = app.test_client(), app.test_client()
    alice.post("/password-login/alice")
    connect(alice, wechat_emulator)
    bob.post("/password-login/bob")
    html = connect(bob, wechat_emulator).data.decode()
    assert "Ask the front desk." in html
    assert "This WeChat is already connected to another account" in html  # the rest is ours


def test_the_language_switch_works_for_a_signed_in_person(wechat_emulator):
    """An error page's switch goes through the sign-in page, which sends a signed-in person on."""
    app = build(wechat_emulator)
    client = app.test_client()
    client.post("/password-login/alice")
    response = client.get("/wechat/login?next=/wechat/disconnect&lang=zh-Hant")
    assert response.location == "/wechat/disconnect"
    assert "解除綁定微信" in client.get(response.location).data.decode()  # remembered


# -- docs/accounts.md, run as written ----------------------------------------------------

DOCS = (Path(__file__).resolve().parents[1] / "docs" / "accounts.md").read_text(encoding="utf-8")


def recipe(name: str) -> str:
    found = re.search(rf"<!-- tested: {name} -->\n```\w+\n(.*?)```", DOCS, re.S)
    assert found, f"docs/accounts.md has no tested block {name!r}"
    return found.group(1)


class Member(UserMixin):
    """The ``User`` the docs' recipe talks to: a model with a ``wechat_id`` column."""

    rows: dict[str, Member] = {}

    def __init__(self, user_id: str, wechat_id: str | None = None, has_password: bool = True):
        self.id, self.wechat_id, self.has_password = user_id, wechat_id, has_password

    @classmethod
    def by_wechat_id(cls, wechat_id: str) -> Member | None:
        return next((row for row in cls.rows.values() if row.wechat_id == wechat_id), None)

    @classmethod
    def create(cls, wechat_id: str) -> Member:
        return cls.rows.setdefault(wechat_id, cls(wechat_id, wechat_id, has_password=False))

    def save(self) -> None:
        self.rows[self.id] = self


def test_the_docs_recipes_connect_refuse_and_disconnect(wechat_emulator, tmp_path):
    (tmp_path / "account.html").write_text(recipe("account-template"), encoding="utf-8")
    app = Flask(__name__, template_folder=str(tmp_path))
    app.config.update(SECRET_KEY="docs", TESTING=True, **wechat_emulator.config)
    Member.rows = {"ann": Member("ann"), "ben": Member("ben")}
    LoginManager(app).user_loader(Member.rows.get)
    wechat = WeChat(app)
    exec(recipe("account-hooks"), {"wechat": wechat, "User": Member, "gettext": str})  # noqa: S102

    @app.post("/password-login/<name>")
    def password_login(name: str) -> str:
        login_user(Member.rows[name])
        return "ok"

    @app.get("/account")
    def account() -> str:
        from flask import render_template

        return render_template("account.html", _=str)

    ann, ben = app.test_client(), app.test_client()
    ann.post("/password-login/ann")
    assert 'href="/wechat/connect?next=/account"' in ann.get("/account").data.decode()
    assert connect(ann, wechat_emulator).location == "/account"
    assert Member.rows["ann"].wechat_id
    assert 'action="/wechat/disconnect"' in ann.get("/account").data.decode()
    ben.post("/password-login/ben")
    assert connect(ben, wechat_emulator).status_code == 409  # AlreadyConnected
    sign_in(ben, wechat_emulator, user=USER_HANMEIMEI)  # a WeChat-only account
    refused = ben.post("/wechat/disconnect", data=disconnect_field(ben))
    assert refused.status_code == 409
    assert "WeChat is your only way to sign in. Set a password first." in refused.data.decode()
    done = ann.post("/wechat/disconnect", data=disconnect_field(ann))
    assert done.location == "/account" and Member.rows["ann"].wechat_id is None


def test_connect_inside_wechat_goes_through_the_official_account(wechat_emulator):
    app = build(wechat_emulator)
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.49"
    client.post("/password-login/alice")
    to_wechat = start_connect(client)
    assert to_wechat.startswith(f"{wechat_emulator.url}/connect/oauth2/authorize?")
    assert client.get(wechat_emulator.approve(to_wechat)).location == "/account"
    assert client.get("/").data == b"signed in as alice"
    (call,) = app.calls
    assert call[:3] == ("connect", "alice", "李雷")


def test_fuzzed_disconnect_bodies_never_fail_and_disconnect_only_with_the_token(
    wechat_emulator,
):
    """The logout fuzzer's bodies (any field, any value, broken encodings) at /disconnect."""
    from urllib.parse import quote

    from hypothesis import HealthCheck, given, settings

    from .test_fuzz import GENUINE_TOKEN, LOGOUT_EXAMPLES, OWN_FIELD, logout_bodies

    app = build(wechat_emulator)
    client = app.test_client()
    client.post("/password-login/alice")
    ((name, token),) = [
        (key, value) for key, value in disconnect_field(client).items() if key != "next"
    ]
    outcomes: dict[str, int] = {}

    @settings(
        max_examples=LOGOUT_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(logout_bodies())
    def one_body(example: tuple[list[tuple[str, str]], str, str]) -> None:
        fields, raw_tail, charset = example
        pairs = [
            (name if key is OWN_FIELD else key, token if value is GENUINE_TOKEN else value)
            for key, value in fields
        ]
        body = "&".join(f"{quote(key)}={quote(value)}" for key, value in pairs) + raw_tail
        before = len(app.calls)
        response = client.post(
            "/wechat/disconnect",
            data=body.encode(),
            content_type="application/x-www-form-urlencoded" + charset,
        )
        assert response.status_code < 500, (body[:200], response.status_code)
        if len(app.calls) > before:  # the hook ran: only with this browser's token
            assert next((value for key, value in pairs if key == name), None) == token
            outcomes["disconnected"] = outcomes.get("disconnected", 0) + 1
        else:
            outcomes[str(response.status_code)] = outcomes.get(str(response.status_code), 0) + 1

    one_body()
    assert outcomes.get("disconnected"), f"the positive control never disconnected: {outcomes}"
    assert client.get("/").data == b"signed in as alice"
