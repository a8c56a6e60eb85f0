"""Test control API under /_emulator/ (JSON). For local testing only.

WeChat has nothing like this: it lets a test move the emulated clock, reset the world,
read the log of requests the client sent, script faults, and issue codes without a
browser. Never expose the emulator beyond loopback.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .world import (
    SCOPE_BASE,
    SCOPE_LOGIN,
    SCOPE_USERINFO,
    WEBSITE,
    World,
    make_openid,
    make_unionid,
)

bp = Blueprint("emulator_control", __name__, url_prefix="/_emulator")


def get_world() -> World:
    return current_app.extensions["wechat_emulator"]


def _bad(message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), 400


def _payload() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


@bp.post("/clock/advance")
def advance_clock() -> Any:
    """Move the emulated clock forward by ``{"seconds": N}`` (local testing only)."""
    seconds = _number(_payload().get("seconds"))
    if seconds is None or seconds < 0:
        return _bad("'seconds' must be a non-negative number")
    return jsonify({"now": get_world().advance(seconds)})


@bp.post("/reset")
def reset() -> Any:
    """Back to the seeded state; ``{"seed": S}`` (optional) reseeds (local testing only)."""
    seed = _payload().get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, str))):
        return _bad("'seed' must be a whole number or a string")
    get_world().reset(seed)
    return jsonify({"ok": True})


@bp.get("/latency")
def get_latency() -> Any:
    """Each ``/sns/`` call's delay: ``{"seconds": S, "jitter": J}``."""
    seconds, jitter = get_world().latency
    return jsonify({"seconds": seconds, "jitter": jitter})


@bp.post("/latency")
def set_latency() -> Any:
    """``{"seconds": S, "jitter": J}``: every ``/sns/`` call waits S plus up to J seconds."""
    data = _payload()
    seconds, jitter = _number(data.get("seconds", 0)), _number(data.get("jitter", 0))
    if seconds is None or jitter is None or seconds < 0 or jitter < 0 or seconds > 60:
        return _bad("'seconds' and 'jitter' must be numbers from 0 (seconds at most 60)")
    get_world().set_latency(seconds, jitter)
    return get_latency()


@bp.get("/realism")
def get_realism() -> Any:
    """How harsh the emulator is: ``{"userinfo_40001_one_in": N}`` (0: never)."""
    return jsonify({"userinfo_40001_one_in": get_world().userinfo_40001_one_in})


@bp.post("/realism")
def set_realism() -> Any:
    """``{"userinfo_40001_one_in": N}``: one fresh token in N gets a transient 40001
    from userinfo (0 for a kind WeChat, 1 for every token) until the next reset."""
    value = _number(_payload().get("userinfo_40001_one_in"))
    if value is None or value < 0 or value != int(value):
        return _bad("'userinfo_40001_one_in' must be a whole number, 0 or more")
    get_world().userinfo_40001_one_in = int(value)
    return get_realism()


@bp.get("/requests")
def list_requests() -> Any:
    """Requests to /connect/* and /sns/* in arrival order, query pairs as received."""
    return jsonify({"requests": get_world().requests})


@bp.post("/requests/clear")
def clear_requests() -> Any:
    get_world().clear_requests()
    return jsonify({"ok": True})


@bp.get("/faults")
def list_faults() -> Any:
    return jsonify({"faults": get_world().faults})


@bp.post("/faults")
def add_fault() -> Any:
    """Script a fault: ``{"path", "kind", "errcode", "status", "seconds", "times", "body"}``."""
    data = _payload()
    path = data.get("path")
    kind = data.get("kind")
    if not isinstance(path, str) or not isinstance(kind, str):
        return _bad("'path' and 'kind' are required strings")
    options: dict[str, Any] = {}
    if "body" in data:
        if not isinstance(data["body"], str):
            return _bad("'body' must be a string")
        options["body"] = data["body"]
    for name, cast in (("errcode", int), ("status", int), ("seconds", float), ("times", int)):
        if name in data:
            value = _number(data[name])
            if value is None or (cast is int and value != int(value)):
                return _bad(f"'{name}' must be a {'whole ' if cast is int else ''}number")
            options[name] = cast(value)
    try:
        fault = get_world().add_fault(path, kind, **options)
    except ValueError as exc:
        return _bad(str(exc))
    return jsonify({"fault": fault.as_dict()}), 201


@bp.delete("/faults")
def clear_faults() -> Any:
    get_world().clear_faults()
    return jsonify({"ok": True})


@bp.post("/codes")
def issue_code() -> Any:
    """Issue a code as if ``user`` approved (skips the browser page): ``{"appid", "user",
    "scope"}``; scope defaults to the app's usual one."""
    world = get_world()
    data = _payload()
    app = world.get_app(str(data.get("appid", "")))
    if app is None:
        return _bad("unknown 'appid'")
    user_key = str(data.get("user") or world.default_user().key)
    if world.get_user(user_key) is None:
        return _bad("unknown 'user'")
    default_scope = SCOPE_LOGIN if app.kind == WEBSITE else SCOPE_USERINFO
    scope = str(data.get("scope") or default_scope)
    allowed = (SCOPE_LOGIN,) if app.kind == WEBSITE else (SCOPE_BASE, SCOPE_USERINFO)
    if scope not in allowed:
        return _bad(f"scope must be one of {', '.join(allowed)} for this app")
    code = world.issue_code(app.appid, user_key, scope)
    return jsonify({"code": code, "appid": app.appid, "user": user_key, "scope": scope}), 201


@bp.get("/users")
def list_users() -> Any:
    """Seeded people with the openid each app sees and the unionid per open account."""
    world = get_world()
    apps = world.apps
    accounts = sorted({a.open_account for a in apps if a.open_account})
    users = [
        {
            "key": u.key,
            "nickname": u.nickname,
            "headimgurl_override": u.headimgurl,
            "snapshot": u.snapshot,
            "has_avatar": u.has_avatar,
            "openids": {a.appid: make_openid(a.appid, u.key) for a in apps},
            "unionids": {acc: make_unionid(acc, u.key) for acc in accounts},
        }
        for u in world.users
    ]
    return jsonify({"users": users})
