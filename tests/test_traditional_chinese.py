"""Traditional Chinese (zh_Hant) for Taiwan, Hong Kong and Macao, beside Simplified."""

from __future__ import annotations

import re

import pytest

from flask_wechat.i18n import normalize

from .helpers import start

TRADITIONAL = {
    "login": ["微信登入", "用手機上的微信掃描 QR碼即可登入", "跳至主要內容"],
    "declined": ["你已取消登入", "重試", "返回首頁"],
    "expired": ["此登入連結無法使用", "重試"],
}
#: Simplified wording that must not leak into a Traditional page.
SIMPLIFIED = ["微信登录", "重试", "返回首页", "二维码", "账号"]


@pytest.mark.parametrize(
    "header",
    [
        "zh-TW",
        "zh-TW,zh;q=0.9,en;q=0.8",
        "zh-HK,zh;q=0.9",
        "zh-MO",
        "zh-Hant-TW,en;q=0.5",
        "fr-FR,zh-HK;q=0.8",
    ],
)
def test_accept_language_picks_traditional(client, header):
    page = client.get("/wechat/login", headers={"Accept-Language": header}).data.decode()
    assert '<html lang="zh-Hant">' in page
    assert "微信登入" in page


@pytest.mark.parametrize("header", ["zh-CN", "zh", "zh-SG", "zh-Hans-HK", "zh,zh-TW;q=0.5"])
def test_simplified_regions_stay_simplified(client, header):
    page = client.get("/wechat/login", headers={"Accept-Language": header}).data.decode()
    assert '<html lang="zh-Hans">' in page
    assert "微信登录" in page


@pytest.mark.parametrize("lang", ["zh-Hant", "zh_Hant", "zh-TW", "zh-hk"])
def test_lang_parameter_chooses_traditional_and_is_remembered(client, lang):
    client.get("/wechat/login", query_string={"lang": lang}, headers={"Accept-Language": "en"})
    page = client.get("/wechat/login", headers={"Accept-Language": "en"}).data.decode()
    assert '<html lang="zh-Hant">' in page


@pytest.mark.parametrize("kind", sorted(TRADITIONAL))
def test_every_page_reads_traditional(client, wechat_emulator, kind):
    client.get("/wechat/login?lang=zh-Hant")
    if kind == "login":
        response = client.get("/wechat/login")
    elif kind == "declined":
        response = client.get(wechat_emulator.approve(start(client), action="deny"))
    else:
        response = client.get("/wechat/callback?code=x&state=forged")
    page = response.data.decode()
    assert '<html lang="zh-Hant">' in page
    for text in TRADITIONAL[kind]:
        assert text in page
    for text in SIMPLIFIED:
        assert text not in page


def test_switch_offers_traditional_and_keeps_next(client):
    page = client.get("/wechat/login?next=/private/page").data.decode()
    links = re.findall(r'<a href="([^"]+)" hreflang="([^"]+)" lang="[^"]+"[^>]*>([^<]+)</a>', page)
    assert ("/wechat/login?next=/private/page&amp;lang=zh-Hant", "zh-Hant", "繁體中文") in links
    assert len(links) == 3


@pytest.mark.parametrize(
    "tag, catalog",
    [
        ("zh-TW", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-MO", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh_Hant_HK", "zh_Hant"),
        ("zh-Hant-CN", "zh_Hant"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-TW", "zh_Hans"),
        ("en-HK", "en"),
    ],
)
def test_normalize(tag, catalog):
    assert normalize(tag) == catalog


def test_normalize_finds_any_other_catalog_in_languages(monkeypatch):
    """A new language needs only its catalog and its line in LANGUAGES (README)."""
    from flask_wechat import i18n

    monkeypatch.setitem(i18n.LANGUAGES, "ja", ("ja", "日本語"))
    monkeypatch.setitem(i18n.LANGUAGES, "pt_BR", ("pt-BR", "Português (Brasil)"))
    assert [normalize(tag) for tag in ("ja", "ja-JP", "JA_jp")] == ["ja", "ja", "ja"]
    assert [normalize(tag) for tag in ("pt-BR", "pt_br", "pt")] == ["pt_BR", "pt_BR", "pt_BR"]
    assert normalize("fr-FR") is None
