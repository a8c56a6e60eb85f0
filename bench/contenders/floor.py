"""The floor: the least work a WeChat sign-in can be, written by hand.

The callback checks the state kept in the session, makes the two GETs WeChat needs
(token, then userinfo) on one kept-alive ``requests.Session``, and logs the user in.
No error pages, no token storage, no session renewal, no signals.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

import requests
from flask import abort, redirect, request, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from .common import APP_ID, APP_SECRET, SCOPE, Contender, make_app, remember

STATE_KEY = "floor_state"


def build(emulator_url: str) -> Contender:
    app, users = make_app(__name__)
    http = requests.Session()  # one pool for the app: kept-alive across sign-ins

    @app.get("/floor/authorize")
    def authorize() -> Response:
        state = secrets.token_hex(16)
        session[STATE_KEY] = state
        query = urlencode(
            {
                "appid": APP_ID,
                "redirect_uri": url_for("callback", _external=True),
                "response_type": "code",
                "scope": SCOPE,
                "state": state,
            }
        )
        return redirect(f"{emulator_url}/connect/qrconnect?{query}#wechat_redirect")

    @app.get("/floor/callback")
    def callback() -> Response:
        expected = session.pop(STATE_KEY, "")
        sent = request.args.get("state", "")
        if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
            abort(400)
        token = http.get(
            f"{emulator_url}/sns/oauth2/access_token",
            params={
                "appid": APP_ID,
                "secret": APP_SECRET,
                "code": request.args.get("code", ""),
                "grant_type": "authorization_code",
            },
            timeout=10,
        ).json()
        if "access_token" not in token:
            abort(502)
        info = http.get(
            f"{emulator_url}/sns/userinfo",
            params={"access_token": token["access_token"], "openid": token["openid"]},
            timeout=10,
        ).json()
        if "openid" not in info:
            abort(502)
        login_user(remember(users, info.get("unionid") or info["openid"], info["nickname"]))
        return redirect("/")

    return Contender("floor", app, "/floor/authorize", "/floor/callback", users)
