"""The docs' samples as a new user copies them, against what real browsers send.

docs/customisation.md's Flask-Babel selector (``<!-- tested: babel-selector -->``) is
what an app with Flask-Babel copies; Chrome, Safari and Firefox in Chinese send
``zh-CN,zh;q=0.9,en;q=0.8`` or ``zh-TW,zh;q=0.9``, not ``zh-Hans``.
"""

from __future__ import annotations

import pytest

from .test_real_apps import _babel_app, recipe, root  # noqa: F401 - root is a fixture


@pytest.mark.parametrize(
    "accept_language, html_lang",
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),  # Chrome, Simplified Chinese
        ("zh-CN", "zh-Hans"),
        ("zh-SG,zh;q=0.9", "zh-Hans"),
        ("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh-Hant"),  # Chrome, Taiwan
        ("zh-HK", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,fr;q=0.9", "en"),
    ],
)
def test_the_babel_selector_recipe_follows_what_browsers_send(
    root,  # noqa: F811
    wechat_emulator,
    accept_language,
    html_lang,
):
    app = _babel_app(root, wechat_emulator.config, recipe("babel-selector"))
    page = app.test_client().get("/wechat/login", headers={"Accept-Language": accept_language})
    assert f'<html lang="{html_lang}">' in page.data.decode()
