"""The logout form refuses whatever an attacker or a broken client sends, with a 4xx page."""

from __future__ import annotations

import pytest

from .helpers import logout_field, sign_in

EXPIRED = ("This form has expired", "此表单已失效")


@pytest.mark.parametrize(
    "body",
    [
        {"csrf_token": "é"},
        {"csrf_token": "🐼" * 50},
        {"csrf_token": "\x00"},
        {"wechat_csrf_token": "é"},
    ],
)
def test_a_non_ascii_token_is_a_4xx_page_not_a_500(client, wechat_emulator, body):
    sign_in(client, wechat_emulator)
    logout_field(client)  # the session has a token to compare against
    response = client.post("/wechat/logout", data=body, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400
    assert EXPIRED[1] in response.data.decode()
    assert client.get("/").data.decode().startswith("signed in")


def test_a_non_ascii_raw_body_is_a_4xx_page(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    name, _ = logout_field(client)
    for raw in (f"{name}=%C3%A9".encode(), f"{name}=%ff%fe".encode(), name.encode() + b"=\xff"):
        response = client.post(
            "/wechat/logout",
            data=raw,
            content_type="application/x-www-form-urlencoded; charset=latin-1",
        )
        assert response.status_code == 400, raw
