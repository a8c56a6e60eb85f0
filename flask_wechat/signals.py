"""Signals (blinker) sent around a sign-in and a connect; connect to them for audit logs,
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
``connected``
    after WeChat was connected to the account of the person signed in (your
    ``connect_handler`` returned): ``user``, ``profile`` and ``token``, as for
    ``signed_in``. The person stays signed in as ``user``; ``signed_in`` is not sent.
``disconnected``
    after WeChat was disconnected (your ``disconnect_handler`` returned and the
    stored token is gone): ``user``.
``connect_failed``
    when a connect fails, at ``/connect`` or at the callback (your
    ``connect_handler`` raised :class:`~flask_wechat.errors.AlreadyConnected`,
    the person changed in between, a declined consent, WeChat's errors):
    ``error``. These never go to ``sign_in_failed``. A callback whose state this
    browser does not know (a sign-out in between ended the connect) cannot be
    told from a sign-in's and goes to ``sign_in_failed``. A refused disconnect
    sends nothing: your own hook refused it.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

signed_in = _signals.signal("wechat-signed-in")
sign_in_failed = _signals.signal("wechat-sign-in-failed")
signed_out = _signals.signal("wechat-signed-out")
connected = _signals.signal("wechat-connected")
disconnected = _signals.signal("wechat-disconnected")
connect_failed = _signals.signal("wechat-connect-failed")
