"""flask-wechat: sign in with WeChat for Flask, with Flask-Login.

::

    from flask_wechat import WeChat

    wechat = WeChat(app)

    @wechat.profile_handler
    def user_for(profile, token):
        ...

The package is in three layers whose imports point one way, down:

* protocol, without Flask: :mod:`~flask_wechat.errors`,
  :mod:`~flask_wechat.compliance`, :mod:`~flask_wechat.client`,
  :mod:`~flask_wechat.api`, :mod:`~flask_wechat.profile`,
  :mod:`~flask_wechat.redact`;
* web: :mod:`~flask_wechat.views`, :mod:`~flask_wechat.signin`,
  :mod:`~flask_wechat.state`, :mod:`~flask_wechat.pages`,
  :mod:`~flask_wechat.csrf`, :mod:`~flask_wechat.i18n`,
  :mod:`~flask_wechat.signals`, :mod:`~flask_wechat.icons`,
  :mod:`~flask_wechat.browsers`, :mod:`~flask_wechat.replay`,
  :mod:`~flask_wechat.quota`, :mod:`~flask_wechat.limits`,
  :mod:`~flask_wechat.revocation`, templates, static files and translations;
* integration: :mod:`~flask_wechat.extension`, :mod:`~flask_wechat.config`,
  :mod:`~flask_wechat.storage`, :mod:`~flask_wechat.sqla`,
  :mod:`~flask_wechat.encryption`, :mod:`~flask_wechat.redis`,
  :mod:`~flask_wechat.cli`;
* beside them: the emulator (:mod:`~flask_wechat.emulator`) and its pytest
  plugin (:mod:`~flask_wechat.testing`), which production code never imports.

The names below load their module on first use, so ``import
flask_wechat.compliance`` (or ``from flask_wechat import
wechat_compliance_fix``) loads no Flask.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compliance import wechat_compliance_fix
    from .errors import WeChatError
    from .extension import WeChat
    from .profile import WeChatProfile

__all__ = ["WeChat", "WeChatError", "WeChatProfile", "wechat_compliance_fix"]
__version__ = "0.2.0.dev0"

_WHERE = {
    "WeChat": ".extension",
    "WeChatError": ".errors",
    "WeChatProfile": ".profile",
    "wechat_compliance_fix": ".compliance",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # found once, then an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
