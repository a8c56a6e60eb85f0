"""Bad configuration fails at init_app, naming the key."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_wechat import WeChat
from flask_wechat.errors import InsecureSettings, SettingsError

REAL = {"WECHAT_APP_ID": "wx1234567890abcdef", "WECHAT_APP_SECRET": "s" * 32}


def _init(**config):
    app = Flask(__name__)
    app.config.update(config)
    return WeChat(app), app


@pytest.mark.parametrize(
    "config, key",
    [
        ({}, "WECHAT_APP_ID"),
        ({"WECHAT_APP_ID": "wx1234567890abcdef"}, "WECHAT_APP_SECRET"),
        ({**REAL, "WECHAT_SCOPE": "snsapi_login"}, "WECHAT_SCOPE"),
        ({**REAL, "WECHAT_TIMEOUT": "soon"}, "WECHAT_TIMEOUT"),
        ({**REAL, "WECHAT_TIMEOUT": 0}, "WECHAT_TIMEOUT"),
        ({**REAL, "WECHAT_URL_PREFIX": "wechat"}, "WECHAT_URL_PREFIX"),
        ({**REAL, "WECHAT_API_BASE_URL": "ftp://x"}, "WECHAT_API_BASE_URL"),
        ({**REAL, "WECHAT_API_BASE_URL": "http://wechat.example"}, "WECHAT_API_BASE_URL"),
    ],
)
def test_bad_value_names_the_key(config, key, monkeypatch):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    with pytest.raises(InsecureSettings, match=key):
        _init(**config)


def test_secret_is_not_in_the_error_or_reprs():
    secret = "topsecret" * 4
    with pytest.raises(InsecureSettings) as caught:
        _init(WECHAT_APP_ID="wx1234567890abcdef", WECHAT_APP_SECRET=secret, WECHAT_SCOPE="x")
    assert secret not in str(caught.value)
    wechat, app = _init(WECHAT_APP_ID="wx1234567890abcdef", WECHAT_APP_SECRET=secret)
    with app.app_context():
        assert secret not in repr(wechat.settings) + repr(wechat.client)


def test_defaults_and_registration():
    wechat, app = _init(**REAL)
    assert app.extensions["wechat"].extension is wechat  # the per-app state
    assert "wechat" in app.blueprints
    with app.test_request_context():
        from flask import url_for

        assert url_for("wechat.login") == "/wechat/login"
        assert url_for("wechat.callback") == "/wechat/callback"
        assert wechat.settings.scope == "snsapi_userinfo"
        assert wechat.client.open_base_url == "https://open.weixin.qq.com"
        assert wechat.client.api_base_url == "https://api.weixin.qq.com"


def test_init_app_later_and_custom_prefix():
    wechat = WeChat()
    app = Flask(__name__)
    app.config.update(REAL, WECHAT_URL_PREFIX="/auth/wx")
    wechat.init_app(app)
    with app.test_request_context():
        from flask import url_for

        assert url_for("wechat.authorize") == "/auth/wx/authorize"


def test_the_emulator_supplies_its_credentials_production_code_never_does(wechat_emulator):
    from flask_wechat.emulator import WEBSITE_APP_ID

    wechat, app = _init(**wechat_emulator.config)
    with app.app_context():
        assert wechat.settings.app_id == WEBSITE_APP_ID
        assert wechat.settings.uses_emulator
    with pytest.raises(SettingsError, match="WECHAT_APP_ID"):
        _init(WECHAT_OPEN_BASE_URL=wechat_emulator.url, WECHAT_API_BASE_URL=wechat_emulator.url)


@pytest.mark.parametrize(
    "given, expected",
    [
        (True, True),
        (False, False),
        ("true", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("", False),
        (1, True),
        (0, False),
    ],
)
def test_booleans_are_read_as_the_environment_writes_them(given, expected):
    wechat, app = _init(**REAL, WECHAT_REMEMBER=given)
    with app.app_context():
        assert wechat.settings.remember is expected


@pytest.mark.parametrize("given", ["maybe", "tru", 2, 0.5, [], "none"])
def test_anything_else_is_not_a_boolean(given):
    with pytest.raises(InsecureSettings, match="WECHAT_REMEMBER"):
        _init(**REAL, WECHAT_REMEMBER=given)


@pytest.mark.parametrize("key", ["WECHAT_TIMEOUT", "WECHAT_STATE_MAX_AGE"])
@pytest.mark.parametrize("given", ["nan", float("nan"), "inf", float("inf"), "-inf", True])
def test_numbers_must_be_finite(key, given):
    with pytest.raises(InsecureSettings, match=key):
        _init(**REAL, **{key: given})


@pytest.mark.parametrize(
    "url", ["http://api.weixin.qq.com", "http://10.0.0.8:8080", "http://wechat-proxy.internal"]
)
def test_plain_http_api_outside_loopback_is_refused_whatever_the_environment_says(url, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with pytest.raises(InsecureSettings, match="WECHAT_API_BASE_URL"):
        _init(**REAL, WECHAT_API_BASE_URL=url)


def test_plain_http_on_loopback_is_the_emulator(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    wechat, app = _init(**REAL, WECHAT_API_BASE_URL="http://127.0.0.1:5051")
    with app.app_context():
        assert wechat.settings.api_base_url == "http://127.0.0.1:5051"
