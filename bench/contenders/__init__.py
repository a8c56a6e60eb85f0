"""The contenders, by name. Each module's ``build(emulator_url)`` returns a
:class:`~bench.contenders.common.Contender`; Flask-Dance is imported only when built."""

from __future__ import annotations

from importlib import import_module

from .common import Contender

#: Table order: the floor first, the ratios are to it.
MODULES = {
    "floor": "bench.contenders.floor",
    "flask-dance": "bench.contenders.flask_dance_wechat",
    "flask-wechat": "bench.contenders.flask_wechat_ext",
    "flask-wechat-returning": "bench.contenders.flask_wechat_returning",
}


def build(name: str, emulator_url: str) -> Contender:
    """Build contender ``name``; ImportError if its library is not installed."""
    return import_module(MODULES[name]).build(emulator_url)


__all__ = ["MODULES", "Contender", "build"]
