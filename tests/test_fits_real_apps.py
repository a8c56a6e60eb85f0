"""Fits real Flask apps: Flask-WTF CSRF, clear set-up errors, honest signals, separate redirects."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin

from flask_wechat import WeChat, signals
from flask_wechat.testing import sign_out

from .helpers import sign_in

flask_wtf = pytest.importorskip("flask_wtf")
from flask_wtf.csrf import CSRFProtect  # noqa: E402


class Person(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def build(wechat_emulator: Any, *, csrf: str | None = None, **config: Any) -> Flask:
    """An app as people write them: a factory, Flask-Login, optionally Flask-WTF's CSRFProtect."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="real-app-secret", TESTING=True, **wechat_emulator.config)
    app.config.update(config)
    people: dict[str, Person] = {}
    manager = LoginManager(app)
    manager.user_loader(people.get)
    if csrf == "protect":
        CSRFProtect(app)
    elif csrf == "no-default-check":
        app.config["WTF_CSRF_CHECK_DEFAULT"] = False
        CSRFProtect(app)
    wechat = WeChat(app)

    @wechat.profile_handler
    def person(profile: Any, token: Any) -> Person:
        return people.setdefault(profile.id, Person(profile.id))

    @app.get("/")
    def home() -> str:
        from flask_login import current_user

        return "signed in" if current_user.is_authenticated else "anonymous"

    @app.get("/account")
    def account() -> str:
        from flask import render_template_string

        return render_template_string(
            '{% from "wechat/macros.html" import logout_button %}{{ logout_button() }}'
        )

    return app


SCHEMES = {"http": "http://localhost", "https": "https://localhost"}


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("csrf", [None, "protect", "no-default-check"])
def test_sign_in_and_out_with_and_without_flask_wtf(wechat_emulator, csrf, scheme):
    app = build(wechat_emulator, csrf=csrf, PREFERRED_URL_SCHEME=scheme)
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = scheme
    sign_in(client, wechat_emulator)
    assert client.get("/").data == b"signed in"
    page = client.get("/account", base_url=SCHEMES[scheme]).data.decode()
    name, token = re.search(r'name="([^"]+)" value="([^"]+)"', page).groups()
    expected = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") if csrf else None
    if expected:
        assert name == expected  # Flask-WTF's own field, with Flask-WTF's token
    else:
        assert name != "csrf_token"  # ours cannot collide with Flask-WTF's
    # A form posted from a page of the site carries a same-origin Referer.
    response = client.post(
        "/wechat/logout",
        data={name: token},
        base_url=SCHEMES[scheme],
        headers={"Referer": f"{SCHEMES[scheme]}/account"},
    )
    assert response.status_code == 302, response.data[:400]
    assert client.get("/").data == b"anonymous"


@pytest.mark.parametrize("csrf", [None, "protect", "no-default-check"])
def test_a_forged_sign_out_is_refused_with_our_page(wechat_emulator, csrf):
    app = build(wechat_emulator, csrf=csrf)
    client = app.test_client()
    sign_in(client, wechat_emulator)
    for body in ({}, {"csrf_token": "forged"}, {"_wechat_csrf_token": "forged"}):
        response = client.post("/wechat/logout", data=body, headers={"Accept-Language": "zh-CN"})
        assert response.status_code == 400
        assert "此表单已失效" in response.data.decode()
    assert client.get("/").data == b"signed in"


def test_pages_with_forms_let_flask_wtf_see_a_same_origin_referer(wechat_emulator):
    app = build(wechat_emulator, csrf="protect")
    client = app.test_client()
    logout_page = client.get("/wechat/logout")
    assert logout_page.headers["Referrer-Policy"] == "same-origin"
    assert 'name="referrer" content="no-referrer"' not in logout_page.data.decode()
    callback = client.get("/wechat/callback?state=x&code=y")
    assert callback.headers["Referrer-Policy"] == "no-referrer"  # it holds a code and a state


def test_a_get_on_logout_explains_and_offers_the_button(wechat_emulator):
    app = build(wechat_emulator)
    client = app.test_client()
    sign_in(client, wechat_emulator)
    for language, words in (("en", "Sign out"), ("zh-CN", "退出登录")):
        page = client.get("/wechat/logout", headers={"Accept-Language": language})
        assert page.status_code == 200
        html = page.data.decode()
        assert words in html and '<form method="post"' in html
    assert client.get("/").data == b"signed in"  # a GET changes nothing


def test_the_testing_module_signs_out_in_one_line(wechat_emulator):
    for csrf in (None, "protect"):
        app = build(wechat_emulator, csrf=csrf)
        client = app.test_client()
        sign_in(client, wechat_emulator)
        sign_out(client)
        assert client.get("/").data == b"anonymous"


# -- missing set-up --------------------------------------------------------------------


def _bare_app(wechat_emulator: Any, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=False, **wechat_emulator.config)
    app.config.update(config)
    return app


def _with_user_loader(app: Flask) -> Flask:
    LoginManager(app).user_loader(lambda user_id: None)
    return app


MISSING = {
    "no SECRET_KEY": (lambda app: _with_user_loader(app), "SECRET_KEY"),
    "no LoginManager": (lambda app: app.config.update(SECRET_KEY="k") or app, "LoginManager"),
    "no user_loader": (
        lambda app: (app.config.update(SECRET_KEY="k"), LoginManager(app))[0] or app,
        "user_loader",
    ),
    "SameSite Strict": (
        lambda app: (
            _with_user_loader(app).config.update(SECRET_KEY="k", SESSION_COOKIE_SAMESITE="Strict")
            or app
        ),
        "SESSION_COOKIE_SAMESITE",
    ),
}


@pytest.mark.parametrize("case", sorted(MISSING))
@pytest.mark.parametrize("path", ["/wechat/login", "/wechat/authorize", "/wechat/login?lang=zh"])
def test_missing_set_up_is_one_error_line_and_a_bilingual_page(wechat_emulator, caplog, case, path):
    complete, named = MISSING[case]
    app = _bare_app(wechat_emulator)
    WeChat(app)  # the app completes its set-up after init_app, as factories often do
    complete(app)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="flask_wechat"):
        response = client.get(path, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 503
    page = response.data.decode()
    assert "微信登录暂不可用" in page
    errors = [r for r in caplog.records if r.name == "flask_wechat" and r.levelno >= logging.ERROR]
    assert len(errors) == 1 and named in errors[0].getMessage()
    assert "Traceback" not in page


def test_the_cli_check_reports_missing_set_up(wechat_emulator):
    from flask_wechat.cli import check_app

    app = _bare_app(wechat_emulator)
    WeChat(app)
    report = check_app(app, "https://www.example.com")
    text = " ".join(report.problems)
    assert "SECRET_KEY" in text and "LoginManager" in text


# -- signals and redirects -------------------------------------------------------------


def test_sign_in_failed_is_only_for_sign_ins(wechat_emulator):
    app = build(wechat_emulator)
    failures: list[Any] = []
    client = app.test_client()
    with signals.sign_in_failed.connected_to(
        lambda sender, error, **extra: failures.append(type(error).__name__), app
    ):
        client.post("/wechat/logout", data={"csrf_token": "stale"})  # a stale logout form
        client.get(
            "/wechat/login", headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0"}
        )  # no official account needed: it has one
        no_mp = build(wechat_emulator, WECHAT_MP_APP_ID=None, WECHAT_MP_APP_SECRET=None)
        with signals.sign_in_failed.connected_to(
            lambda sender, error, **extra: failures.append(type(error).__name__), no_mp
        ):
            no_mp.test_client().get(
                "/wechat/login", headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0"}
            )
        assert failures == []
        client.get("/wechat/callback?state=forged&code=abc")  # a sign-in that failed
    assert failures == ["StateUnknown"]


def test_home_login_and_logout_targets_are_separate_knobs(wechat_emulator):
    app = build(
        wechat_emulator,
        WECHAT_LOGIN_REDIRECT="/dashboard",
        WECHAT_HOME_URL="/welcome",
        WECHAT_LOGOUT_REDIRECT="/goodbye",
    )
    client = app.test_client()
    page = client.get("/wechat/login").data.decode()
    assert 'class="wechat-brand" href="/welcome"' in page
    assert sign_in(client, wechat_emulator).location == "/dashboard"
    assert sign_out(client).location == "/goodbye"


def test_the_logout_target_defaults_to_the_home_url(wechat_emulator):
    app = build(wechat_emulator, WECHAT_LOGIN_REDIRECT="/dashboard", WECHAT_HOME_URL="/welcome")
    client = app.test_client()
    sign_in(client, wechat_emulator)
    assert sign_out(client).location == "/welcome"
