"""Missing set-up never ends in a 500: overrides, Flask-WTF, static files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_login import LoginManager

from flask_wechat import WeChat

OVERRIDES = str(Path(__file__).parent / "templates_reading_current_user")


def _app(wechat_emulator: Any, **config: Any) -> Flask:
    app = Flask(__name__, template_folder=OVERRIDES)
    app.config.update(TESTING=False, **wechat_emulator.config)  # no SECRET_KEY
    app.config.update(config)
    return app


@pytest.mark.parametrize("login_manager", [False, True])
def test_an_override_reading_current_user_still_gets_the_set_up_page(
    wechat_emulator, login_manager
):
    app = _app(wechat_emulator)
    if login_manager:
        LoginManager(app).user_loader(lambda user_id: None)
    WeChat(app)

    @app.context_processor
    def brand() -> dict[str, str]:
        return {"brand_name": "Teahouse"}

    client = app.test_client()
    for path in ("/wechat/login", "/wechat/logout", "/wechat/authorize", "/wechat/login?lang=zh"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.data[:300])
        assert "Teahouse" in response.data.decode()  # the app's own context, where it works


def test_a_logout_post_under_flask_wtf_without_a_secret_key_is_the_set_up_page(wechat_emulator):
    pytest.importorskip("flask_wtf")
    from flask_wtf.csrf import CSRFProtect

    app = _app(wechat_emulator)
    LoginManager(app).user_loader(lambda user_id: None)
    CSRFProtect(app)
    WeChat(app)
    response = app.test_client().post("/wechat/logout", data={"csrf_token": "x"})
    assert response.status_code == 503


def test_static_files_load_and_each_page_view_logs_one_line(wechat_emulator, caplog):
    app = _app(wechat_emulator)
    LoginManager(app).user_loader(lambda user_id: None)
    WeChat(app)
    client = app.test_client()
    css = client.get("/wechat/static/wechat/wechat.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    with caplog.at_level(logging.INFO, logger="flask_wechat"):
        client.get("/wechat/login")
    ours = [r for r in caplog.records if r.name == "flask_wechat" and r.levelno >= logging.ERROR]
    assert len(ours) == 1


def test_an_override_that_cannot_render_without_the_app_gets_a_plain_page(wechat_emulator):
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates_broken"))
    app.config.update(TESTING=False, **wechat_emulator.config)
    WeChat(app)  # no SECRET_KEY, no LoginManager
    response = app.test_client().get("/wechat/login", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 503
    page = response.data.decode()
    assert "微信登录暂不可用" in page and "参考编号" in page
