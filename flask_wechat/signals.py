"""Signals (blinker) sent around a sign-in; connect to them for audit logs,
analytics or linking accounts. The sender is always the app::

    from flask_wechat import signals

    @signals.signed_in.connect_via(app)
    def audit(app, user, profile, token, **extra):
        ...

``signed_in``
    after a successful sign-in: ``user`` (what your profile handler
    returned), ``profile`` (:class:`~flask_wechat.WeChatProfile`) and
    ``token`` (WeChat's token, never log it).
``sign_in_failed``
    when a sign-in fails, at ``/authorize`` or at the callback (a declined
    consent, an expired link, WeChat's errors): ``error``, the
    :class:`~flask_wechat.errors.WeChatError`. Not sent for a stale sign-out
    form or a page view that explains something.
``signed_out``
    after the blueprint's sign-out: ``user``, who was signed in (Flask-Login's
    anonymous user when nobody was).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

signed_in = _signals.signal("wechat-signed-in")
sign_in_failed = _signals.signal("wechat-sign-in-failed")
signed_out = _signals.signal("wechat-signed-out")
