"""Bad configuration fails at init_app, naming the key."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_wechat import WeChat
from flask_wechat.errors import InsecureSettings

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
    assert app.extensions["wechat"] is wechat
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


def test_emulator_needs_no_credentials(wechat_emulator):
    from flask_wechat.emulator import WEBSITE_APP_ID

    wechat, app = _init(
        WECHAT_OPEN_BASE_URL=wechat_emulator.url, WECHAT_API_BASE_URL=wechat_emulator.url
    )
    with app.app_context():
        assert wechat.settings.app_id == WEBSITE_APP_ID
        assert wechat.settings.uses_emulator
