"""Flask-Dance: ``OAuth2ConsumerBlueprint`` taught WeChat's dialect.

Flask-Dance ships no WeChat provider, so this is what its documentation leads to: a
blueprint subclass whose ``session_created`` applies a compliance fix (written here,
kept to what the emulator needs: WeChat's GET token request with ``appid`` and
``secret``, the ``token_type`` WeChat leaves out, ``access_token`` and ``openid`` in
the query of API calls), and an ``oauth_authorized`` handler that reads the userinfo
and calls ``login_user``. Flask-Dance itself checks the state it kept in the session
(oauthlib raises on a mismatch) and stores the token in the session.
"""

from __future__ import annotations

import json
from typing import Any

from flask_dance.consumer import OAuth2ConsumerBlueprint, oauth_authorized
from flask_login import login_user
from oauthlib.common import add_params_to_uri
from requests import Response
from requests_oauthlib import OAuth2Session

from .common import APP_ID, APP_SECRET, SCOPE, Contender, make_app, remember


def wechat_fix(session: OAuth2Session) -> OAuth2Session:
    def token_request(url: str, headers: dict, kwargs: dict) -> tuple:
        sent = kwargs.get("params") or {}
        kwargs["params"] = {
            "appid": sent.get("client_id"),
            "secret": sent.get("client_secret"),
            "code": sent.get("code"),
            "grant_type": "authorization_code",
        }
        return url, headers, kwargs

    def token_response(response: Response) -> Response:
        token = response.json()
        token.setdefault("token_type", "Bearer")
        response._content = json.dumps(token).encode()
        return response

    def openid_in_query(url: str, headers: dict, body: Any) -> tuple:
        openid = (session.token or {}).get("openid")
        return add_params_to_uri(url, [("openid", openid)]), headers, body

    session._client.default_token_placement = "query"  # noqa: S105 - a placement
    session.register_compliance_hook("access_token_request", token_request)
    session.register_compliance_hook("access_token_response", token_response)
    session.register_compliance_hook("protected_request", openid_in_query)
    return session


class WeChatBlueprint(OAuth2ConsumerBlueprint):
    def session_created(self, session: OAuth2Session) -> OAuth2Session:
        return wechat_fix(session)


def build(emulator_url: str) -> Contender:
    app, users = make_app(__name__)
    blueprint = WeChatBlueprint(
        "wechat",
        __name__,
        client_id=APP_ID,
        client_secret=APP_SECRET,
        scope=[SCOPE],
        base_url=f"{emulator_url}/",
        authorization_url=f"{emulator_url}/connect/qrconnect",
        authorization_url_params={"appid": APP_ID},
        token_url=f"{emulator_url}/sns/oauth2/access_token",
        token_url_params={"method": "GET", "include_client_id": True},
        redirect_url="/",
    )
    app.register_blueprint(blueprint, url_prefix="/login")

    @oauth_authorized.connect_via(blueprint)
    def signed_in(blueprint: WeChatBlueprint, token: dict[str, Any]) -> bool | None:
        info = blueprint.session.get("sns/userinfo").json()
        if "openid" not in info:
            return False  # no login, no token stored
        login_user(remember(users, info.get("unionid") or info["openid"], info["nickname"]))
        return None  # Flask-Dance stores the token in the session

    return Contender("Flask-Dance", app, "/login/wechat", "/login/wechat/authorized", users)
