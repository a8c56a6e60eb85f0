"""The JSON APIs WeChat serves on api.weixin.qq.com under /sns/.

All are GET. Errors are HTTP 200 with ``{"errcode": N, "errmsg": "..., rid: ..."}``.
Bodies are UTF-8 JSON with non-ASCII left unescaped; ``/sns/oauth2/access_token`` is
labelled ``text/plain`` (no charset) as WeChat often does, everything else
``application/json; encoding=utf-8`` (sic: WeChat writes ``encoding``, not ``charset``).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from flask import Blueprint, Response, current_app, request

from .world import WeChatError, World

bp = Blueprint("emulator_sns", __name__)

TEXT_PLAIN_PATHS = frozenset({"/sns/oauth2/access_token"})


def get_world() -> World:
    return current_app.extensions["wechat_emulator"]


def content_type_for(path: str) -> str:
    """The Content-Type WeChat uses on ``path``."""
    if path in TEXT_PLAIN_PATHS:
        return "text/plain"
    return "application/json; encoding=utf-8"


def json_response(body: dict[str, Any], path: str | None = None) -> Response:
    """Compact UTF-8 JSON with WeChat's Content-Type for the path, HTTP 200."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # ``content_type=`` is sent verbatim; ``mimetype=`` would append "; charset=utf-8".
    return Response(data, status=200, content_type=content_type_for(path or request.path))


def error_response(errcode: int, path: str | None = None) -> Response:
    return json_response(WeChatError(errcode).body(get_world().now()), path)


def _answer(call: Callable[[World], dict[str, Any]]) -> Response:
    world = get_world()
    try:
        body = call(world)
    except WeChatError as exc:
        body = exc.body(world.now())
    return json_response(body)


@bp.get("/sns/oauth2/access_token")
def access_token() -> Response:
    """Exchange a code: appid, secret, code, grant_type=authorization_code."""
    args = request.args
    return _answer(
        lambda w: w.exchange_code(
            args.get("appid"), args.get("secret"), args.get("code"), args.get("grant_type")
        )
    )


@bp.get("/sns/oauth2/refresh_token")
def refresh_token() -> Response:
    """Refresh: appid, grant_type=refresh_token, refresh_token (WeChat wants no secret)."""
    args = request.args
    return _answer(
        lambda w: w.refresh(args.get("appid"), args.get("grant_type"), args.get("refresh_token"))
    )


@bp.get("/sns/auth")
def auth() -> Response:
    """Check an access token: ``{"errcode":0,"errmsg":"ok"}`` when valid for the openid."""
    args = request.args
    return _answer(lambda w: w.check_token(args.get("access_token"), args.get("openid")))


@bp.get("/sns/userinfo")
def userinfo() -> Response:
    """The person's public profile; needs a snsapi_userinfo or snsapi_login token."""
    args = request.args
    return _answer(
        lambda w: w.userinfo(args.get("access_token"), args.get("openid"), request.host_url)
    )
