"""Signals (blinker) sent around a sign-in; connect to them for audit logs,
analytics or linking accounts.

``signed_in``: ``sender`` is the app; keyword arguments ``user``, ``profile``
(:class:`~flask_wechat.WeChatProfile`) and ``token``.
``sign_in_failed``: ``sender`` is the app; keyword argument ``error``.
``signed_out``: ``sender`` is the app; keyword argument ``user``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

signed_in = _signals.signal("wechat-signed-in")
sign_in_failed = _signals.signal("wechat-sign-in-failed")
signed_out = _signals.signal("wechat-signed-out")
