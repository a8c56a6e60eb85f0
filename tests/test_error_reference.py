"""Error pages give visitors a short reference, never WeChat's configuration codes."""

from __future__ import annotations

import logging
import re

import pytest

from .helpers import sign_in

TOKEN = "/sns/oauth2/access_token"


@pytest.mark.parametrize("errcode", [40125, 40164, 40013, 40001, -1, 45011, 40029])
def test_the_page_shows_a_reference_that_the_log_line_also_carries(
    client, wechat_emulator, caplog, errcode
):
    wechat_emulator.world.add_fault(TOKEN, kind="errcode", errcode=errcode)
    with caplog.at_level(logging.INFO, logger="flask_wechat"):
        page = sign_in(client, wechat_emulator).data.decode()
    assert f">{errcode}" not in page and f" {errcode}" not in page and f"：{errcode}" not in page
    reference = re.search(
        r'class="wechat-reference"[^>]*>.*?([0-9A-Z]{4}-[0-9A-Z]{4})<', page, re.S
    )
    assert reference, page
    lines = [r.getMessage() for r in caplog.records if r.name == "flask_wechat"]
    assert len(lines) == 1
    assert reference.group(1) in lines[0] and str(errcode) in lines[0]


def test_each_failure_gets_its_own_reference(client, wechat_emulator):
    seen = set()
    for _ in range(3):
        wechat_emulator.world.add_fault(TOKEN, kind="errcode", errcode=40125)
        page = sign_in(client, wechat_emulator).data.decode()
        seen.add(re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4})", page).group(1))
    assert len(seen) == 3


def test_a_persons_own_mistake_still_says_what_to_do(client, wechat_emulator):
    wechat_emulator.world.add_fault(TOKEN, kind="errcode", errcode=40163)
    page = client.get("/wechat/callback?state=nothing&code=abc").data.decode()
    assert "start again" in page
    chinese = client.get(
        "/wechat/callback?state=nothing&code=abc", headers={"Accept-Language": "zh-CN"}
    ).data.decode()
    assert "参考编号" in chinese or "编号" in chinese
