"""Browser pages WeChat serves on open.weixin.qq.com under /connect/.

* ``/connect/qrconnect``: a website app's QR sign-in page (``scope=snsapi_login``), full
  page or, with ``login_type=jssdk``, the compact page wxLogin.js puts in an iframe.
* ``/connect/oauth2/authorize``: an official account's web authorization, normally opened
  in WeChat's own browser; ``snsapi_base`` is silent, ``snsapi_userinfo`` asks consent.

Where real WeChat waits for a phone to scan the QR code, the emulator lets the developer
pick a test person and press Confirm or Deny. Both post to ``/connect/confirm``, which
re-validates the pending request (it travels in hidden fields, so it is untrusted) and
redirects like WeChat. Errors are HTML pages with HTTP 200, as on WeChat.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse  # what redirect() returns

from .world import (
    OFFICIAL_ACCOUNT,
    SCOPE_BASE,
    SCOPE_LOGIN,
    SCOPE_USERINFO,
    WEBSITE,
    App,
    User,
    World,
)

bp = Blueprint("emulator_connect", __name__)

#: Cookie remembering the last test person chosen (the "phone" in the developer's hand).
#: Scoped to /connect/ because cookies ignore ports and the site under test shares the host.
USER_COOKIE = "wechat_emulator_user"
USER_PARAM = "emulator_user"

FLOW_QRCONNECT = "qrconnect"
FLOW_OAUTH2 = "oauth2"

_STATE_RE = re.compile(r"[A-Za-z0-9]{0,128}")

TEXT: dict[str, dict[str, str]] = {
    "cn": {
        "html_lang": "zh-CN",
        "title": "微信登录",
        "badge": "本地模拟器",
        "app_line": "应用 {appid} 请求使用微信登录",
        "scan": "请使用微信扫描二维码登录",
        "note": (
            "这是本地微信模拟器，不是真正的微信。它代替手机扫码："
            "选择一位测试用户，然后确认登录或拒绝。"
        ),
        "note_short": "本地模拟器：选择测试用户代替扫码",
        "choose": "以哪位测试用户的身份登录",
        "user_label": "测试用户",
        "snapshot": "快照模式",
        "confirm": "确认登录",
        "deny": "拒绝",
        "consent_title": "网页授权",
        "consent_line": "公众号 {appid} 申请获得以下权限：",
        "consent_item": "获得你的公开信息（昵称、头像等）",
        "allow": "允许",
        "error_title": "出错了",
        "error_code": "错误码",
        "error_detail": "模拟器说明",
        "footer": "仅用于本地开发与测试。测试用的 AppID 与 AppSecret 只在本模拟器中有效。",
    },
    "en": {
        "html_lang": "en",
        "title": "WeChat Login",
        "badge": "Local emulator",
        "app_line": "App {appid} asks you to sign in with WeChat",
        "scan": "Scan the QR code with WeChat to sign in",
        "note": (
            "This is the local WeChat emulator, not the real WeChat. It stands in for the "
            "phone: pick a test user, then confirm or deny."
        ),
        "note_short": "Local emulator: pick a test user instead of scanning",
        "choose": "Sign in as which test user",
        "user_label": "Test user",
        "snapshot": "snapshot mode",
        "confirm": "Confirm",
        "deny": "Deny",
        "consent_title": "Web authorization",
        "consent_line": "Official account {appid} requests the following permission:",
        "consent_item": "Your public profile (nickname, avatar)",
        "allow": "Allow",
        "error_title": "Something went wrong",
        "error_code": "Error code",
        "error_detail": "Emulator detail",
        "footer": (
            "For local development and testing only. The test AppIDs and AppSecrets work "
            "only with this emulator."
        ),
    },
}

#: Page errors: slug -> (WeChat code or None, Chinese text, English text).
PAGE_ERRORS: dict[str, tuple[int | None, str, str]] = {
    "appid_empty": (10012, "appid 不能为空", "appid must not be empty"),
    "appid_invalid": (40013, "appid 参数错误", "Invalid appid"),
    "appid_not_official_account": (
        10016,
        "不支持微信开放平台的 appid，请使用公众号的 appid",
        "An Open Platform appid is not supported here; use an official account appid",
    ),
    "redirect_uri_empty": (10011, "redirect_uri 参数错误", "redirect_uri parameter error"),
    "redirect_uri_domain": (10003, "redirect_uri 参数错误", "redirect_uri parameter error"),
    "response_type": (None, "response_type 参数错误", "response_type parameter error"),
    "scope_empty": (10010, "scope 不能为空", "scope must not be empty"),
    "scope_invalid": (
        10005,
        "Scope 参数错误或没有 Scope 权限",
        "Scope parameter error or no permission for that scope",
    ),
    "state_invalid": (None, "state 参数错误", "state parameter error"),
    # WeChat matches the official-account link by pattern; its exact page for a link
    # whose parameters are out of order is not documented.
    "link_pattern": (
        None,
        "链接参数顺序错误，无法访问该网页",
        "The link's parameters are out of order; this page cannot be opened",
    ),
    "emulator_user": (None, "未知的测试用户", "Unknown test user"),
    "action": (None, "请求参数错误", "Invalid request"),
}


class PageError(Exception):
    """An authorize request WeChat would refuse with an error page."""

    def __init__(self, slug: str, detail: str = "") -> None:
        super().__init__(slug)
        self.slug = slug
        self.detail = detail


@dataclass
class AuthRequest:
    """A pending authorization, carried through the page in hidden form fields."""

    flow: str = FLOW_QRCONNECT
    appid: str = ""
    redirect_uri: str = ""
    response_type: str = ""
    scope: str = ""
    state: str = ""
    lang: str = "cn"
    login_type: str = ""
    self_redirect: str = ""
    style: str = ""
    href: str = ""

    @classmethod
    def from_values(cls, flow: str, values: Any) -> AuthRequest:
        data = {f.name: values.get(f.name, "") for f in fields(cls) if f.name != "flow"}
        req = cls(flow=flow, **data)
        req.lang = "en" if req.lang == "en" else "cn"
        return req

    def hidden_fields(self) -> list[tuple[str, str]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    @property
    def embedded(self) -> bool:
        """wxLogin.js iframe variant (``login_type=jssdk``)."""
        return self.flow == FLOW_QRCONNECT and self.login_type == "jssdk"

    @property
    def form_target(self) -> str:
        # self_redirect=true keeps navigation inside the iframe; default/false moves the
        # top window, which is what a site embedding the QR code normally wants.
        if self.embedded and self.self_redirect != "true":
            return "_top"
        return "_self"


def get_world() -> World:
    return current_app.extensions["wechat_emulator"]


#: The parameters of an authorize link, in the order WeChat documents them.
LINK_ORDER = ("appid", "redirect_uri", "response_type", "scope", "state")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _check_redirect_uri(app: App, redirect_uri: str, flow: str = FLOW_QRCONNECT) -> None:
    """The ``redirect_uri``'s host must be a callback domain registered for the app.

    On official-account authorize a port is refused ("不可以带端口号") unless that
    exact ``host:port`` is registered (the emulator's leniency for loopback sites).
    """
    parts = urlsplit(redirect_uri)
    host = (parts.hostname or "").lower()
    # A double-encoded redirect_uri arrives as "http%3A%2F%2F..." and has no scheme or
    # host after one decoding: WeChat refuses it with the same message.
    if parts.scheme not in ("http", "https") or not host:
        raise PageError(
            "redirect_uri_domain", f"redirect_uri is not an absolute URL: {redirect_uri}"
        )
    try:
        port = parts.port
    except ValueError:
        raise PageError("redirect_uri_domain", "redirect_uri has an invalid port") from None
    domains = [d.lower() for d in app.callback_domains]
    hosts = {d.rsplit(":", 1)[0] if d.count(":") == 1 else d for d in domains}
    if host not in hosts:
        raise PageError(
            "redirect_uri_domain",
            f"host {host!r} is not a callback domain of {app.appid} ({', '.join(domains)})",
        )
    default_port = port in (None, _DEFAULT_PORTS[parts.scheme])
    if flow == FLOW_OAUTH2 and not default_port and f"{host}:{port}" not in domains:
        raise PageError(
            "redirect_uri_domain",
            f"redirect_uri has the port {port}: official-account authorize refuses "
            f"ports unless {host}:{port} is registered with the emulator",
        )


def _check_link_order(raw_query: bytes) -> None:
    """WeChat matches the official-account link by pattern: its documented parameters
    must come in the documented order (others may follow)."""
    names = [name for name, _ in parse_qsl(raw_query.decode("utf-8", "replace"))]
    documented = [name for name in names if name in LINK_ORDER]
    expected = [name for name in LINK_ORDER if name in documented]
    if documented != expected or names[: len(documented)] != documented:
        raise PageError(
            "link_pattern",
            f"parameters arrive as {', '.join(names)}; WeChat wants {', '.join(LINK_ORDER)}",
        )


def _phone_language() -> str:
    """WeChat's own pages follow the phone's language: Chinese unless it is another."""
    for language, _quality in request.accept_languages:
        return "cn" if language.lower().startswith("zh") else "en"
    return "cn"


def _check_state(state: str) -> None:
    if not _STATE_RE.fullmatch(state):
        raise PageError("state_invalid", "state must be at most 128 letters and digits")


def validate(world: World, req: AuthRequest) -> App:
    """Check a pending request the way WeChat does; raise PageError when it would not."""
    if req.flow == FLOW_QRCONNECT:
        return _validate_qrconnect(world, req)
    if req.flow == FLOW_OAUTH2:
        return _validate_oauth2(world, req)
    raise PageError("action", f"unknown flow {req.flow!r}")


def _validate_qrconnect(world: World, req: AuthRequest) -> App:
    if not req.appid:
        raise PageError("appid_empty")
    app = world.get_app(req.appid)
    if app is None:
        raise PageError("appid_invalid", f"no app {req.appid!r} in the emulator")
    if not req.redirect_uri:
        raise PageError("redirect_uri_empty")
    _check_redirect_uri(app, req.redirect_uri)
    # wxLogin.js builds its iframe URL without response_type; the link does not.
    if req.response_type != "code" and not req.embedded:
        raise PageError("response_type", "response_type must be 'code'")
    # An official-account appid on qrconnect has no snsapi_login permission: WeChat
    # reports it as a scope error, which is what developers see when they mix the apps.
    if req.scope != SCOPE_LOGIN or app.kind != WEBSITE:
        detail = (
            f"{app.appid} is an official account; qrconnect needs a website app"
            if app.kind != WEBSITE
            else "qrconnect accepts only scope=snsapi_login"
        )
        raise PageError("scope_invalid", detail)
    _check_state(req.state)
    return app


def _validate_oauth2(world: World, req: AuthRequest) -> App:
    if not req.appid:
        raise PageError("appid_empty")
    if not req.redirect_uri:
        raise PageError("redirect_uri_empty")
    if not req.scope:
        raise PageError("scope_empty")
    app = world.get_app(req.appid)
    if app is None:
        raise PageError("appid_invalid", f"no app {req.appid!r} in the emulator")
    if app.kind != OFFICIAL_ACCOUNT:
        raise PageError("appid_not_official_account", f"{app.appid} is a website app")
    _check_redirect_uri(app, req.redirect_uri, FLOW_OAUTH2)
    if req.response_type != "code":
        raise PageError("response_type", "response_type must be 'code'")
    if req.scope not in (SCOPE_BASE, SCOPE_USERINFO):
        raise PageError("scope_invalid", "use snsapi_base or snsapi_userinfo")
    _check_state(req.state)
    return app


def append_query(url: str, params: list[tuple[str, str]]) -> str:
    """Add ``params`` to ``url``'s query, keeping what is already there."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit(parts._replace(query=query))


def approved_location(req: AuthRequest, code: str) -> str:
    params = [("code", code)]
    if req.state:
        params.append(("state", req.state))
    return append_query(req.redirect_uri, params)


def denied_location(req: AuthRequest) -> str:
    # Older WeChat behaviour: back to the site with state and no code. (Current WeChat
    # may not redirect at all; a client has to cope with both.)
    return append_query(req.redirect_uri, [("state", req.state)])


def qr_path(seed: str, modules: int = 25, quiet: int = 2) -> str:
    """An SVG path drawing a QR-looking pattern (decorative: it encodes nothing)."""
    stream = hashlib.shake_256(seed.encode("utf-8")).digest(modules * modules)
    finders = [(0, 0), (modules - 7, 0), (0, modules - 7)]

    def in_finder(x: int, y: int) -> tuple[bool, bool]:
        for fx, fy in finders:
            # The 7x7 eye plus a one-module light separator around it.
            if fx - 1 <= x <= fx + 7 and fy - 1 <= y <= fy + 7:
                dx, dy = x - fx, y - fy
                if not (0 <= dx <= 6 and 0 <= dy <= 6):
                    return True, False
                ring = dx in (0, 6) or dy in (0, 6)
                core = 2 <= dx <= 4 and 2 <= dy <= 4
                return True, ring or core
        return False, False

    cells = []
    for y in range(modules):
        for x in range(modules):
            fixed, dark = in_finder(x, y)
            if not fixed:
                dark = stream[y * modules + x] & 1 == 1
            if dark:
                cells.append(f"M{x + quiet} {y + quiet}h1v1h-1z")
    return "".join(cells)


def _chosen_user(world: World, explicit: str | None) -> User:
    """Explicit ``emulator_user``, else the remembered cookie, else the first person."""
    if explicit:
        user = world.get_user(explicit)
        if user is None:
            raise PageError("emulator_user", f"no test user {explicit!r}")
        return user
    remembered = request.cookies.get(USER_COOKIE)
    if remembered:
        user = world.get_user(remembered)
        if user is not None:
            return user
    return world.default_user()


def _page(template: str, req: AuthRequest | None, **context: Any) -> Response:
    lang = req.lang if req is not None else "cn"
    html = render_template(template, t=TEXT[lang], req=req, **context)
    response = Response(html, status=200, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    # The wxLogin.js variant lives in the site's iframe; every other page refuses framing.
    if req is None or not req.embedded:
        response.headers["X-Frame-Options"] = "DENY"
    return response


def render_error(
    slug: str,
    req: AuthRequest | None,
    detail: str = "",
    code: int | None = None,
    message: str | None = None,
) -> Response:
    """WeChat-style error page (HTTP 200) with the code visible."""
    known_code, text_cn, text_en = PAGE_ERRORS.get(slug, (None, "系统错误", "System error"))
    lang = req.lang if req is not None else "cn"
    text = message or (text_en if lang == "en" else text_cn)
    response = _page(
        "emulator/error.html",
        req,
        message=text,
        code=code if code is not None else known_code,
        detail=detail,
        compact=req is not None and req.embedded,
    )
    # A stable machine-readable reason for tests; WeChat has nothing like it.
    response.headers["X-Emulator-Error"] = slug
    return response


def _users_for_page(world: World) -> list[dict[str, Any]]:
    base = request.host_url
    # Pages always draw an avatar, even for a person whose headimgurl is empty.
    return [{"user": u, "avatar": f"{base}mmopen/{u.key}/64"} for u in world.users]


@bp.get("/connect/qrconnect")
def qrconnect() -> Response:
    """Website app QR sign-in; ``login_type=jssdk`` gives the iframe variant."""
    world = get_world()
    req = AuthRequest.from_values(FLOW_QRCONNECT, request.args)
    try:
        validate(world, req)
        chosen = _chosen_user(world, request.args.get(USER_PARAM))
    except PageError as exc:
        return render_error(exc.slug, req, exc.detail)
    href = req.href if req.href.startswith(("https://", "data:text/css")) else ""
    template = "emulator/qrconnect_embedded.html" if req.embedded else "emulator/qrconnect.html"
    return _page(
        template,
        req,
        users=_users_for_page(world),
        chosen=chosen.key,
        qr=qr_path(f"{req.appid}|{req.redirect_uri}|{req.state}"),
        dark=req.style == "white",
        custom_css=href,
    )


@bp.get("/connect/oauth2/authorize")
def oauth2_authorize() -> BaseResponse:
    """Official-account web authorization: silent for snsapi_base, consent otherwise.

    The consent page is in the phone's language (the browser's Accept-Language).
    """
    world = get_world()
    req = AuthRequest.from_values(FLOW_OAUTH2, request.args)
    if "lang" not in request.args:
        req.lang = _phone_language()
    try:
        _check_link_order(request.query_string)
        validate(world, req)
        chosen = _chosen_user(world, request.args.get(USER_PARAM))
    except PageError as exc:
        return render_error(exc.slug, req, exc.detail)
    if req.scope == SCOPE_BASE:
        code = world.issue_code(req.appid, chosen.key, req.scope)
        return redirect(approved_location(req, code), 302)
    return _page(
        "emulator/authorize.html",
        req,
        users=_users_for_page(world),
        chosen=chosen.key,
    )


@bp.post("/connect/confirm")
def confirm() -> BaseResponse:
    """The "phone" answered: issue a code and redirect, or redirect without one."""
    world = get_world()
    form = request.form
    flow = form.get("flow", "")
    req = AuthRequest.from_values(flow, form)
    action = form.get("action", "")
    try:
        validate(world, req)
        if action not in ("confirm", "deny"):
            raise PageError("action", "action must be 'confirm' or 'deny'")
        if action == "deny":
            return redirect(denied_location(req), 302)
        user_key = form.get("user", "")
        user = world.get_user(user_key)
        if user is None:
            raise PageError("emulator_user", f"no test user {user_key!r}")
    except PageError as exc:
        return render_error(exc.slug, req, exc.detail)
    code = world.issue_code(req.appid, user.key, req.scope)
    response = redirect(approved_location(req, code), 302)
    response.set_cookie(USER_COOKIE, user.key, path="/connect/", httponly=True, samesite="Lax")
    return response
