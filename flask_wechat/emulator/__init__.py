"""A faithful local WeChat for development and tests.

``flask_wechat.emulator`` stands in for open.weixin.qq.com (the QR sign-in and web
authorization pages) and api.weixin.qq.com (the /sns/ JSON APIs) on one loopback
origin, with WeChat's real paths, parameter names, error codes and response shapes.
It deliberately imports nothing from the rest of flask_wechat, so a bug in the client
cannot be mirrored here.

    from flask_wechat.emulator import EmulatorServer

    with EmulatorServer() as emulator:
        app.config.update(emulator.config)  # its URLs and test credentials
        ...

The seeded app ids and secrets are emulator-only test credentials.
"""

from __future__ import annotations

from .app import create_app
from .server import EmulatorServer, site_config
from .world import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    DEFAULT_CALLBACK_DOMAINS,
    ERRMSG,
    MP_APP_ID,
    MP_APP_SECRET,
    OFFICIAL_ACCOUNT,
    OPEN_ACCOUNT,
    REFRESH_TOKEN_LIFETIME,
    USER_HANMEIMEI,
    USER_LILEI,
    USER_NO_AVATAR,
    USER_SNAPSHOT,
    WEBSITE,
    WEBSITE_APP_ID,
    WEBSITE_APP_SECRET,
    App,
    Fault,
    User,
    WeChatError,
    World,
    make_openid,
    make_unionid,
)

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "CODE_LIFETIME",
    "DEFAULT_CALLBACK_DOMAINS",
    "ERRMSG",
    "MP_APP_ID",
    "MP_APP_SECRET",
    "OFFICIAL_ACCOUNT",
    "OPEN_ACCOUNT",
    "REFRESH_TOKEN_LIFETIME",
    "USER_HANMEIMEI",
    "USER_LILEI",
    "USER_NO_AVATAR",
    "USER_SNAPSHOT",
    "WEBSITE",
    "WEBSITE_APP_ID",
    "WEBSITE_APP_SECRET",
    "App",
    "EmulatorServer",
    "Fault",
    "User",
    "WeChatError",
    "World",
    "create_app",
    "make_openid",
    "make_unionid",
    "site_config",
]
