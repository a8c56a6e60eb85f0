"""``flask wechat check``: unsafe production settings, the callback domain, no secrets shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask_login import LoginManager

from flask_wechat import WeChat

APP_ID = "wx0123456789abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
SECRET_KEY = "a3f1c9e07b5d42e8a6c1f0b9d7e3a5c2b8d4f6e0a1c3b5d7"
#: A production setup that passes every check.
PRODUCTION = {
    "SECRET_KEY": SECRET_KEY,
    "SESSION_COOKIE_SECURE": True,
    "SERVER_NAME": "www.example.com",
    "PREFERRED_URL_SCHEME": "https",
    "WECHAT_APP_ID": APP_ID,
    "WECHAT_APP_SECRET": APP_SECRET,
}


@pytest.fixture(autouse=True)
def _secure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)


def production_app(**overrides: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(PRODUCTION)
    app.config.update(overrides)
    LoginManager(app).user_loader(lambda user_id: None)
    WeChat(app)
    return app


def run_check(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["wechat", "check", *args])


def test_a_production_setup_passes_and_prints_the_callback_domain() -> None:
    result = run_check(production_app())
    assert result.exit_code == 0, result.output
    assert "Callback URL:    https://www.example.com/wechat/callback" in result.output
    assert "Callback domain: www.example.com" in result.output
    assert "OK: no problems found." in result.output
    assert "PROBLEM" not in result.output


def test_the_callback_follows_the_url_prefix_and_the_given_public_url() -> None:
    app = production_app(SERVER_NAME=None, WECHAT_URL_PREFIX="/auth/wx")
    result = run_check(app, "--url", "https://shop.example.cn")
    assert result.exit_code == 0, result.output
    assert "https://shop.example.cn/auth/wx/callback" in result.output
    assert "Callback domain: shop.example.cn" in result.output


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is off"),
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY is weak (only 9 characters)"),
        ({"SECRET_KEY": "dev only: set SECRET_KEY in production"}, "SECRET_KEY is weak"),
        ({"SECRET_KEY": "ab" * 20}, "SECRET_KEY is weak"),
        ({"SECRET_KEY": "changeme-" + SECRET_KEY}, "SECRET_KEY looks like a placeholder"),
        ({"PREFERRED_URL_SCHEME": "http"}, "the callback URL is plain http"),
        ({"SERVER_NAME": "127.0.0.1:8000"}, "the callback host '127.0.0.1' is this machine"),
        ({"WECHAT_APP_ID": "wx0123"}, "WECHAT_APP_ID 'wx0123' is not an AppID"),
        ({"WECHAT_APP_ID": "WX0123456789ABCDEF"}, "is not an AppID"),
        ({"WECHAT_APP_SECRET": APP_SECRET[:-1]}, "WECHAT_APP_SECRET is not an AppSecret"),
        ({"WECHAT_APP_SECRET": f" {APP_SECRET}"}, "this one has 33 characters"),
        ({"SESSION_COOKIE_SAMESITE": "Strict"}, "every sign-in fails"),
        ({"WECHAT_REMEMBER": True}, "REMEMBER_COOKIE_SECURE is off"),
    ],
)
def test_each_problem_is_reported_and_fails(overrides: dict[str, Any], expected: str) -> None:
    result = run_check(production_app(**overrides))
    assert result.exit_code == 1, result.output
    assert "PROBLEM" in result.output
    assert expected in result.output
    assert "1 problem(s)" in result.output


def test_insecure_transport_in_the_environment_is_a_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = production_app()
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    result = run_check(app)
    assert result.exit_code == 1
    assert "OAUTHLIB_INSECURE_TRANSPORT is set" in result.output


def test_debug_mode_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")  # what `flask --debug` and the CLI go by
    result = run_check(production_app())
    assert result.exit_code == 1
    assert "debug mode is on" in result.output


def test_the_emulator_is_a_problem(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    from flask_wechat.emulator.world import WEBSITE_APP_SECRET

    result = run_check(make_app())
    assert result.exit_code == 1
    assert "point at the local WeChat emulator" in result.output
    assert "OAUTHLIB_INSECURE_TRANSPORT is set" in result.output
    assert "SECRET_KEY is weak" in result.output
    assert WEBSITE_APP_SECRET not in result.output
    assert "test-secret-key" not in result.output


def test_a_base_url_other_than_wechat_is_reported() -> None:
    result = run_check(production_app(WECHAT_API_BASE_URL="https://wechat-proxy.example.com"))
    assert result.exit_code == 0
    assert "WARNING  WECHAT_API_BASE_URL is https://wechat-proxy.example.com" in result.output


def test_warnings_fail_only_with_strict() -> None:
    app = production_app(SESSION_COOKIE_SAMESITE="None")
    relaxed, strict = run_check(app), run_check(app, "--strict")
    assert "WARNING  SESSION_COOKIE_SAMESITE is 'None'" in relaxed.output
    assert (relaxed.exit_code, strict.exit_code) == (0, 1)


def test_without_server_name_it_warns_that_the_host_is_a_guess() -> None:
    result = run_check(production_app(SERVER_NAME=None))
    assert "Callback domain: localhost" in result.output
    assert "SERVER_NAME is not set" in result.output
    assert result.exit_code == 1  # localhost cannot be a callback domain


@pytest.mark.parametrize(
    "secret", [APP_SECRET, "not-a-hex-secret-but-a-real-one!", f"{APP_SECRET}\n", "x" * 200]
)
def test_the_secrets_are_never_printed(secret: str) -> None:
    app = production_app(WECHAT_APP_SECRET=secret, SECRET_KEY="tiny", SESSION_COOKIE_SECURE=0)
    result = run_check(app, "--strict")
    assert secret.strip() not in result.output
    assert "tiny" not in result.output


def test_the_command_is_listed_under_flask_wechat() -> None:
    result = production_app().test_cli_runner().invoke(args=["wechat", "--help"])
    assert result.exit_code == 0
    assert "check" in result.output


def test_remember_cookies_that_sign_out_cannot_end_are_warned_about() -> None:
    result = run_check(production_app(WECHAT_REMEMBER=True, REMEMBER_COOKIE_SECURE=True))
    assert "WARNING  WECHAT_REMEMBER is on but SessionStorage keeps no sign-in generations" in (
        result.output
    )
    assert result.exit_code == 0
