"""flask-wechat: the ``WeChat`` extension on its desktop (snsapi_login) path."""

from __future__ import annotations

from typing import Any

from flask_wechat import WeChat, WeChatProfile

from .common import Contender, User, make_app, remember


def build(emulator_url: str) -> Contender:
    app, users = make_app(__name__)
    # Both URLs on loopback and no credentials: the emulator's seeded website app.
    app.config.update(WECHAT_OPEN_BASE_URL=emulator_url, WECHAT_API_BASE_URL=emulator_url)
    wechat = WeChat(app)

    @wechat.profile_handler
    def user_for(profile: WeChatProfile, token: dict[str, Any]) -> User:
        return remember(users, profile.id, profile.nickname)

    return Contender("flask-wechat", app, "/wechat/authorize", "/wechat/callback", users)
