"""The emulator's Flask app (see :mod:`.server` for serving it on a real socket).

One origin serves what WeChat splits over open.weixin.qq.com (/connect/*),
api.weixin.qq.com (/sns/*) and its avatar CDN (/mmopen/*), plus a control API for
tests (/_emulator/*). The app never uses Flask's session: cookies ignore ports, so a
``session`` cookie from the emulator would clobber the site under test on the same host.
"""

from __future__ import annotations

import json
import time
from html import escape
from http import HTTPStatus
from urllib.parse import parse_qsl

from flask import Flask, Response, abort, current_app, g, render_template, request

from . import connect, control, sns
from .world import AVATAR_SIZES, ERRMSG, Fault, World

#: Paths whose requests go to the request log (what a WeChat client talks to).
LOGGED_PREFIXES = ("/connect/", "/sns/")
CONTROL_PREFIX = "/_emulator/"


def create_app(world: World | None = None) -> Flask:
    """Build the emulator app around ``world`` (a fresh seeded World by default)."""
    app = Flask(__name__, template_folder="templates")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["wechat_emulator"] = world if world is not None else World()
    app.register_blueprint(connect.bp)
    app.register_blueprint(sns.bp)
    app.register_blueprint(control.bp)
    app.before_request(_log_and_inject_fault)
    app.after_request(_log_answer)  # Flask runs these last first: this one sees the final body
    app.after_request(_truncate_if_asked)
    app.add_url_rule("/", "index", _index)
    app.add_url_rule("/mmopen/<user_key>/<int:size>", "avatar", _avatar)
    return app


def _world() -> World:
    return current_app.extensions["wechat_emulator"]


def _log_and_inject_fault() -> Response | None:
    path = request.path
    world = _world()
    if path.startswith(LOGGED_PREFIXES):
        # Parse the raw query string: it keeps the order and repeats the client sent.
        raw = request.query_string.decode("utf-8", "replace")
        form = list(request.form.items(multi=True)) if request.method == "POST" else None
        pairs = parse_qsl(raw, keep_blank_values=True)
        g.emulator_log_entry = world.log_request(request.method, path, pairs, form)
    if path.startswith(CONTROL_PREFIX):
        return None
    if path.startswith("/sns/"):
        delay = world.next_delay()
        if delay:
            time.sleep(delay)  # a WeChat far away
    fault = world.take_fault(path)
    if fault is None:
        return None
    if fault.kind == "delay":
        time.sleep(fault.seconds)
        return None
    if fault.kind == "truncated":
        g.emulator_truncate = True
        return None
    return _fault_response(fault, path)


def _fault_response(fault: Fault, path: str) -> Response:
    if fault.kind == "errcode":
        if path.startswith("/sns/"):
            return sns.error_response(fault.errcode, path)
        req = None
        if path.startswith("/connect/"):
            flow = connect.FLOW_OAUTH2 if "oauth2" in path else connect.FLOW_QRCONNECT
            req = connect.AuthRequest.from_values(flow, request.values)
        return connect.render_error(
            "fault",
            req,
            detail="scripted fault",
            code=fault.errcode,
            message=ERRMSG.get(fault.errcode, "system error"),
        )
    if fault.kind == "http_status":
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        title = escape(f"{fault.status} {phrase}")
        body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return Response(body, status=fault.status, mimetype="text/html")
    if fault.kind == "html":
        # What a captive portal or an error page from a proxy looks like to a JSON client.
        body = (
            "<!doctype html><html><head><meta charset='utf-8'><title>系统繁忙</title></head>"
            "<body><p>系统繁忙，请稍后再试。</p></body></html>"
        )
        return Response(body, status=200, mimetype="text/html")
    # "empty" (a 200 with nothing in it) or "body" (a scripted one), labelled like the
    # real endpoint.
    data = fault.body.encode("utf-8") if fault.kind == "body" else b""
    return Response(data, status=200, content_type=sns.content_type_for(path))


def _log_answer(response: Response) -> Response:
    """Note on the request's log entry the errcode an /sns/ call was answered (0: none)."""
    entry = g.pop("emulator_log_entry", None)
    if entry is None or not request.path.startswith("/sns/"):
        return response
    errcode = None
    try:  # a nickname may carry a raw control character or a byte that is not UTF-8
        body = json.loads(response.get_data().decode("utf-8", "replace"), strict=False)
    except ValueError:
        body = None
    if isinstance(body, dict):
        value = body.get("errcode", 0)
        errcode = value if isinstance(value, int) and not isinstance(value, bool) else None
    _world().log_answer(entry, errcode)
    return response


def _truncate_if_asked(response: Response) -> Response:
    if g.get("emulator_truncate"):
        data = response.get_data()
        response.set_data(data[: max(1, len(data) // 2)])
    return response


def _index() -> str:
    world = _world()
    return render_template(
        "emulator/index.html",
        t=connect.TEXT["en"],
        apps=world.apps,
        users=world.users,
        base=request.host_url,
    )


_AVATAR_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}" viewBox="0 0 100 100">'
    '<circle cx="50" cy="50" r="50" fill="{color}"/>'
    '<text x="50" y="50" dy="0.35em" text-anchor="middle" fill="#fff" font-size="46" '
    'font-family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif">{initial}</text>'
    "</svg>"
)


def _avatar(user_key: str, size: int) -> Response:
    """The person's avatar as SVG: sizes 0 (640 px), 46, 64, 96, 132, like WeChat's CDN."""
    user = _world().get_user(user_key)
    if user is None or size not in AVATAR_SIZES:
        abort(404)
    svg = _AVATAR_SVG.format(
        px=AVATAR_SIZES[size],
        color=escape(user.avatar_color),
        initial=escape(user.initial),
    )
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
