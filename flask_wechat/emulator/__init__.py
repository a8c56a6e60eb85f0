"""A faithful local WeChat for development and tests, as harsh as the real one.

``flask_wechat.emulator`` stands in for open.weixin.qq.com (the QR sign-in and web
authorization pages) and api.weixin.qq.com (the /sns/ JSON APIs) on one loopback
origin, with WeChat's real paths, parameter names, error codes and response shapes.
It deliberately imports nothing from the rest of flask_wechat, so a bug in the client
cannot be mirrored here.

    from flask_wechat.emulator import EmulatorServer

    with EmulatorServer() as emulator:
        app.config.update(emulator.config)  # its URLs and test credentials
        ...

It answers as WeChat really does by default (see :class:`World`): JSON labelled
``text/plain``, raw UTF-8 with the odd control character or invalid byte in a
nickname, varying errmsg suffixes, ``http://`` avatars, and a transient 40001 from
userinfo for one fresh token in :data:`USERINFO_40001_ONE_IN`. A test that needs a
kind WeChat says so: ``World(userinfo_40001_one_in=0)``.

The seeded app ids and secrets are emulator-only test credentials.
"""

from __future__ import annotations

from . import world as _world
from .app import create_app
from .server import EmulatorServer, site_config
from .world import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    DEFAULT_CALLBACK_DOMAINS,
    ERRMSG,
    ERRMSG_SUFFIXES,
    MP_APP_ID,
    MP_APP_SECRET,
    OFFICIAL_ACCOUNT,
    OPEN_ACCOUNT,
    REFRESH_TOKEN_LIFETIME,
    USER_BAD_BYTE,
    USER_CONTROL_CHAR,
    USER_HANMEIMEI,
    USER_HTTP_AVATAR,
    USER_LILEI,
    USER_NO_AVATAR,
    USER_SNAPSHOT,
    USERINFO_40001_ONE_IN,
    WEBSITE,
    WEBSITE_APP_ID,
    WEBSITE_APP_SECRET,
    WECHAT_IMAGE_URL,
    App,
    EmulatorError,
    Fault,
    RawJSONString,
    User,
    World,
    make_openid,
    make_unionid,
)

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "CODE_LIFETIME",
    "DEFAULT_CALLBACK_DOMAINS",
    "ERRMSG",
    "ERRMSG_SUFFIXES",
    "MP_APP_ID",
    "MP_APP_SECRET",
    "OFFICIAL_ACCOUNT",
    "OPEN_ACCOUNT",
    "REFRESH_TOKEN_LIFETIME",
    "USER_BAD_BYTE",
    "USER_CONTROL_CHAR",
    "USER_HANMEIMEI",
    "USER_HTTP_AVATAR",
    "USER_LILEI",
    "USER_NO_AVATAR",
    "USER_SNAPSHOT",
    "USERINFO_40001_ONE_IN",
    "WEBSITE",
    "WEBSITE_APP_ID",
    "WEBSITE_APP_SECRET",
    "WECHAT_IMAGE_URL",
    "App",
    "EmulatorServer",
    "Fault",
    "RawJSONString",
    "User",
    "EmulatorError",
    "World",
    "create_app",
    "make_openid",
    "make_unionid",
    "site_config",
]


def __getattr__(name: str) -> object:
    return _world.__getattr__(name)  # WeChatError, 0.1's name of EmulatorError, warns
