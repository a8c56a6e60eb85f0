"""requests-oauthlib compliance fix for WeChat's OAuth 2.0 dialect.

Works on a plain :class:`requests_oauthlib.OAuth2Session`, with or without
Flask::

    session = wechat_compliance_fix(OAuth2Session(app_id, scope=["snsapi_login"]))
    token = session.fetch_token(
        "https://api.weixin.qq.com/sns/oauth2/access_token",
        code=code, client_secret=secret, method="GET", include_client_id=True,
    )
    session.get("https://api.weixin.qq.com/sns/userinfo")
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests import Response
from requests_oauthlib import OAuth2Session

from .errors import BadResponse, error_for


def read_json(response: Response) -> dict[str, Any]:
    """Parse a WeChat answer, raising the typed error it stands for.

    WeChat sends JSON labelled ``text/plain`` (so requests would guess
    ISO-8859-1 and garble Chinese nicknames): decode the bytes as UTF-8
    whatever the header says. Errors arrive with HTTP 200 as
    ``{"errcode": N, "errmsg": "..."}``; ``errcode`` 0 means success.
    """
    if response.status_code != 200:
        raise BadResponse(f"WeChat answered HTTP {response.status_code}")
    try:
        data = json.loads(response.content.decode("utf-8"))
    except ValueError:
        raise BadResponse("WeChat's answer is not JSON") from None
    if not isinstance(data, dict):
        raise BadResponse("WeChat's answer is not a JSON object")
    errcode = data.get("errcode", 0)
    if errcode:
        raise error_for(int(errcode), str(data.get("errmsg", "")))
    return data


def wechat_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Teach ``session`` WeChat's differences from RFC 6749.

    * the token request is a GET whose query names the credentials ``appid``
      and ``secret`` (never an HTTP Basic header) and carries no
      ``redirect_uri``; the refresh request sends ``appid`` and no secret;
    * an ``{"errcode", "errmsg"}`` body becomes a typed
      :class:`~flask_wechat.WeChatError` instead of oauthlib's puzzling
      "Missing access token parameter";
    * the token gets the ``token_type`` WeChat leaves out;
    * API calls carry ``access_token`` and the ``openid`` WeChat wants beside
      it in the query string, not in an ``Authorization`` header.
    """

    def _token_request(url: str, headers: dict, request_kwargs: dict) -> tuple:
        sent = request_kwargs.pop("data", None) or request_kwargs.get("params") or {}
        request_kwargs["params"] = {
            "appid": sent.get("client_id"),
            "secret": sent.get("client_secret"),
            "code": sent.get("code"),
            "grant_type": sent.get("grant_type", "authorization_code"),
        }
        # A GET has no body, so the form Content-Type oauthlib adds is noise.
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        return url, headers, request_kwargs

    def _refresh_request(url: str, headers: dict, body: str) -> tuple:
        # requests-oauthlib always POSTs a refresh; WeChat reads the query,
        # so move the fields there and leave the body empty.
        sent = dict(parse_qsl(body))
        query = {
            "appid": sent.get("client_id") or sent.get("appid"),
            "grant_type": "refresh_token",
            "refresh_token": sent.get("refresh_token"),
        }
        return _with_query(url, query), headers, ""

    def _token_response(response: Response) -> Response:
        token = read_json(response)
        token.setdefault("token_type", "Bearer")
        response._content = json.dumps(token).encode()
        return response

    def _openid_beside_token(url: str, headers: dict, data: Any) -> tuple:
        openid = (session.token or {}).get("openid")
        if openid and "openid=" not in urlsplit(url).query:
            url = _with_query(url, {"openid": openid})
        return url, headers, data

    session._client.default_token_placement = "query"  # noqa: S105 - a placement, not a secret
    session.register_compliance_hook("access_token_request", _token_request)
    session.register_compliance_hook("refresh_token_request", _refresh_request)
    session.register_compliance_hook("access_token_response", _token_response)
    session.register_compliance_hook("refresh_token_response", _token_response)
    session.register_compliance_hook("protected_request", _openid_beside_token)
    return session


def _with_query(url: str, params: dict[str, Any]) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
