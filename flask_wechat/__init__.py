"""flask-wechat: sign in with WeChat for Flask, with Flask-Login.

::

    from flask_wechat import WeChat

    wechat = WeChat(app)

    @wechat.profile_handler
    def user_for(profile, token):
        ...

The protocol layer (:mod:`~flask_wechat.client`,
:mod:`~flask_wechat.compliance`, :mod:`~flask_wechat.errors`,
:mod:`~flask_wechat.profile`) works without Flask.
"""

from .compliance import wechat_compliance_fix
from .errors import WeChatError
from .extension import WeChat
from .profile import WeChatProfile

__all__ = ["WeChat", "WeChatError", "WeChatProfile", "wechat_compliance_fix"]
__version__ = "0.1.0"
