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
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests import Response
from requests_oauthlib import OAuth2Session

from .errors import BadResponse, error_for


class WeChatResponse(Response):
    """A :class:`requests.Response` that reads WeChat's bodies as WeChat writes them.

    WeChat labels its JSON ``text/plain`` without a charset, so plain requests
    decodes ``.text`` and ``.json()`` as ISO-8859-1 and garbles every Chinese
    character and emoji. The bytes are always UTF-8: ``.text`` decodes them so
    (an invalid byte becomes U+FFFD), and ``.json()`` also accepts the raw control
    characters WeChat has sent inside nicknames (``strict=False`` by default).
    """

    def json(self, **kwargs: Any) -> Any:
        kwargs.setdefault("strict", False)
        return super().json(**kwargs)


def as_wechat_response(response: Response, *args: Any, **kwargs: Any) -> Response:
    """A requests ``response`` hook: WeChat's bodies are UTF-8 whatever the label."""
    response.encoding = "utf-8"
    if type(response) is Response:
        response.__class__ = WeChatResponse
    return response


def read_json(response: Response) -> dict[str, Any]:
    """Parse a WeChat answer, raising the typed error it stands for.

    WeChat sends JSON labelled ``text/plain`` (so requests would guess
    ISO-8859-1 and garble Chinese nicknames): decode the bytes as UTF-8
    whatever the header says, an invalid byte becoming U+FFFD, and accept the
    raw control characters WeChat has put inside nicknames. Errors arrive
    with HTTP 200 as ``{"errcode": N, "errmsg": "..."}``; ``errcode`` 0 means
    success. Anything else that is not WeChat's JSON object (an HTTP error, an
    HTML page, an ``errcode`` that is not a number, an RFC 6749 ``error``) is
    :class:`~flask_wechat.errors.BadResponse`.
    """
    if response.status_code != 200:
        raise BadResponse(f"WeChat answered HTTP {response.status_code}")
    try:
        data = json.loads(response.content.decode("utf-8", "replace"), strict=False)
    except ValueError:
        raise BadResponse("WeChat's answer is not JSON") from None
    if not isinstance(data, dict):
        raise BadResponse("WeChat's answer is not a JSON object")
    if "errcode" in data:
        errcode = data["errcode"]
        if isinstance(errcode, bool) or not isinstance(errcode, int):
            raise BadResponse("WeChat's errcode is not a number")
        if errcode:
            errmsg = data.get("errmsg")
            raise error_for(errcode, errmsg if isinstance(errmsg, str) else "")
    if "error" in data:  # RFC 6749's error shape is not WeChat's
        raise BadResponse("WeChat answered with an OAuth 'error' instead of an errcode")
    return data


#: Token fields and the JSON type WeChat gives each (``None``: may be absent).
_TOKEN_STRINGS = ("access_token", "openid")
_OPTIONAL_STRINGS = ("refresh_token", "scope", "unionid")
#: The longest ``expires_in`` taken as a lifetime: WeChat's are two hours. JSON numbers
#: have no limit, and a longer one would not fit the float of ``expires_at``.
MAX_LIFETIME = 366 * 24 * 3600


def check_token(token: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields of a token answer (exchange or refresh); return a copy.

    ``access_token`` and ``openid`` are non-empty strings; ``refresh_token``,
    ``scope`` and ``unionid`` are strings when present; ``expires_in`` is a
    positive whole number of seconds up to :data:`MAX_LIFETIME` (a string of
    digits is read as one); a ``token_type``, which WeChat never sends, must be
    ``bearer``. Anything else is
    :class:`~flask_wechat.errors.BadResponse`.
    """
    token = dict(token)
    for name in _TOKEN_STRINGS:
        if not isinstance(token.get(name), str) or not token[name]:
            raise BadResponse(f"WeChat's token has no {name}")
    for name in _OPTIONAL_STRINGS:
        if name in token and not isinstance(token[name], str):
            raise BadResponse(f"WeChat's token has a {name} that is not a string")
    if "expires_in" in token:
        lifetime = token["expires_in"]
        if isinstance(lifetime, str) and lifetime.isascii() and lifetime.isdigit():
            lifetime = int(lifetime) if len(lifetime) <= 10 else None  # a longer one is no lifetime
        if (
            isinstance(lifetime, bool)
            or not isinstance(lifetime, int)
            or not 0 < lifetime <= MAX_LIFETIME
        ):
            raise BadResponse("WeChat's token has an expires_in that is not a lifetime")
        token["expires_in"] = lifetime
    token_type = token.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise BadResponse("WeChat's token has a token_type other than bearer")
    return token


def check_userinfo(userinfo: Mapping[str, Any], openid: str | None) -> dict[str, Any]:
    """Check a ``/sns/userinfo`` answer for the person ``openid``; return it.

    ``openid``, ``nickname``, ``headimgurl`` and ``unionid`` are strings (or
    absent, or null), and the openid is the token's: anything else is
    :class:`~flask_wechat.errors.BadResponse`.
    """
    for name in ("openid", "nickname", "headimgurl", "unionid"):
        value = userinfo.get(name)
        if value is not None and not isinstance(value, str):
            raise BadResponse(f"WeChat's userinfo has a {name} that is not a string")
    if openid and userinfo.get("openid") and userinfo["openid"] != openid:
        raise BadResponse("WeChat's userinfo is for another openid than the token's")
    return dict(userinfo)


def wechat_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Teach ``session`` WeChat's differences from RFC 6749.

    * the token request is a GET whose query names the credentials ``appid``
      and ``secret`` (never an HTTP Basic header) and carries no
      ``redirect_uri``; the refresh request sends ``appid`` and no secret;
    * an ``{"errcode", "errmsg"}`` body becomes a typed
      :class:`~flask_wechat.WeChatError` instead of oauthlib's puzzling
      "Missing access token parameter", and a malformed token answer a
      :class:`~flask_wechat.errors.BadResponse` instead of whatever oauthlib
      would raise on it;
    * the token gets the ``token_type`` WeChat leaves out;
    * every response decodes as UTF-8 whatever its label
      (:class:`WeChatResponse`), so ``session.get(...).json()`` reads Chinese
      nicknames and emoji;
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
        # requests-oauthlib's refresh body has no client_id unless the caller
        # passes one: WeChat needs the appid, so take the session's. A secret the
        # caller passes (client_secret=...) is dropped with the body.
        sent = dict(parse_qsl(body))
        query = {
            "appid": sent.get("client_id") or sent.get("appid") or session.client_id,
            "grant_type": "refresh_token",
            "refresh_token": sent.get("refresh_token"),
        }
        return _with_query(url, query), headers, ""

    def _token_response(response: Response) -> Response:
        token = check_token(read_json(response))
        token.setdefault("token_type", "Bearer")
        response._content = json.dumps(token).encode()
        return response

    def _openid_beside_token(url: str, headers: dict, data: Any) -> tuple:
        openid = (session.token or {}).get("openid")
        if openid and "openid=" not in urlsplit(url).query:
            url = _with_query(url, {"openid": openid})
        return url, headers, data

    # The session's oauthlib client is only reachable as _client (not in the stubs).
    session._client.default_token_placement = "query"  # type: ignore[attr-defined]  # noqa: S105
    # types-requests-oauthlib lacks the two *_token_request hooks of requests-oauthlib 2.0.
    session.register_compliance_hook("access_token_request", _token_request)  # type: ignore[call-overload]
    session.register_compliance_hook("refresh_token_request", _refresh_request)  # type: ignore[call-overload]
    session.register_compliance_hook("access_token_response", _token_response)
    session.register_compliance_hook("refresh_token_response", _token_response)
    session.register_compliance_hook("protected_request", _openid_beside_token)
    if as_wechat_response not in session.hooks["response"]:
        session.hooks["response"].append(as_wechat_response)
    return session


def _with_query(url: str, params: dict[str, Any]) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
