"""flask-wechat for a returning person: the handler reads only ``profile.id`` for a known user.

The same app as ``flask_wechat_ext``, but its profile handler reads the nickname only for a
person it has not seen (as most sites do): the benchmark signs the same person in again and
again, so after the first sign-in every one is a returning person's, which needs only the
code exchange (the token carries the ids).
"""

from __future__ import annotations

from typing import Any

from flask_wechat import WeChat, WeChatProfile
from flask_wechat.emulator import site_config

from .common import Contender, User, make_app, remember


def build(emulator_url: str) -> Contender:
    app, users = make_app(__name__)
    app.config.update(site_config(emulator_url))
    wechat = WeChat(app)

    @wechat.profile_handler
    def user_for(profile: WeChatProfile, token: dict[str, Any]) -> User:
        known = users.get(profile.id)
        return known if known is not None else remember(users, profile.id, profile.nickname)

    return Contender(
        "flask-wechat (returning)", app, "/wechat/authorize", "/wechat/callback", users
    )
