"""The JSON APIs WeChat serves on api.weixin.qq.com under /sns/.

All are GET (a POST to the refresh endpoint, which WeChat does not document, is
answered like the GET and logged with its body). Errors are HTTP 200 with
``{"errcode": N, "errmsg": "..."}``, the errmsg ending in one of WeChat's request-id
suffixes. Bodies are UTF-8 bytes with non-ASCII left unescaped (and a nickname may
carry a raw control character or a byte that is not UTF-8, see
:class:`~.world.RawJSONString`). The token, refresh and userinfo answers are labelled
``text/plain`` with no charset, as WeChat does, so a client that trusts the label
decodes them as ISO-8859-1; ``/sns/auth`` is ``application/json; encoding=utf-8``
(sic: WeChat writes ``encoding``, not ``charset``).
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Callable

from flask import Blueprint, Response, current_app, request

from .world import EmulatorError, RawJSONString, World

bp = Blueprint("emulator_sns", __name__)

TEXT_PLAIN_PATHS = frozenset(
    {"/sns/oauth2/access_token", "/sns/oauth2/refresh_token", "/sns/userinfo"}
)


def get_world() -> World:
    return current_app.extensions["wechat_emulator"]


def content_type_for(path: str) -> str:
    """The Content-Type WeChat uses on ``path``."""
    if path in TEXT_PLAIN_PATHS:
        return "text/plain"
    return "application/json; encoding=utf-8"


def encode(body: dict[str, Any]) -> bytes:
    """Compact JSON as UTF-8 bytes, non-ASCII unescaped, :class:`RawJSONString`
    values written byte for byte between their quotes."""
    raw: dict[str, bytes] = {}

    def placeholder(value: Any) -> Any:
        if isinstance(value, RawJSONString):
            key = f"\x00raw{secrets.token_hex(8)}\x00"
            raw[json.dumps(key)] = bytes(value)
            return key
        if isinstance(value, dict):
            return {k: placeholder(v) for k, v in value.items()}
        if isinstance(value, list):
            return [placeholder(v) for v in value]
        return value

    text = json.dumps(placeholder(body), ensure_ascii=False, separators=(",", ":"))
    data = text.encode("utf-8")
    for quoted, value in raw.items():
        data = data.replace(quoted.encode("utf-8"), b'"' + value + b'"')
    return data


def json_response(body: dict[str, Any], path: str | None = None) -> Response:
    """Compact UTF-8 JSON with WeChat's Content-Type for the path, HTTP 200."""
    data = encode(body)
    # ``content_type=`` is sent verbatim; ``mimetype=`` would append "; charset=utf-8".
    return Response(data, status=200, content_type=content_type_for(path or request.path))


def error_response(errcode: int, path: str | None = None) -> Response:
    return json_response(get_world().error_body(errcode), path)


def _answer(call: Callable[[World], dict[str, Any]]) -> Response:
    world = get_world()
    try:
        body = call(world)
    except EmulatorError as exc:
        body = world.error_body(exc.errcode)
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


@bp.route("/sns/oauth2/refresh_token", methods=["GET", "POST"])
def refresh_token() -> Response:
    """Refresh: appid, grant_type=refresh_token, refresh_token (WeChat wants no secret).

    WeChat documents GET only; requests-oauthlib's own refresh POSTs. What WeChat does
    with a POST is undocumented, so the emulator answers it like the GET (query and
    form both read) and its log keeps the method and body for tests to see.
    """
    args = request.values
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
