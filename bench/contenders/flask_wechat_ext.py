"""flask-wechat: the ``WeChat`` extension on its desktop (snsapi_login) path."""

from __future__ import annotations

from typing import Any

from flask_wechat import WeChat, WeChatProfile
from flask_wechat.emulator import site_config

from .common import Contender, User, make_app, remember


def build(emulator_url: str) -> Contender:
    app, users = make_app(__name__)
    app.config.update(site_config(emulator_url))  # the emulator's URLs and seeded apps
    wechat = WeChat(app)

    @wechat.profile_handler
    def user_for(profile: WeChatProfile, token: dict[str, Any]) -> User:
        return remember(users, profile.id, profile.nickname)

    return Contender("flask-wechat", app, "/wechat/authorize", "/wechat/callback", users)
