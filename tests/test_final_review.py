"""Final review of issue 11's speed work and issue 19's load test: failing tests only.

Each test is an app built the way a real one is (tests/test_real_apps.py's factory and
overrides) meeting something the speed work changed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_login import LoginManager

from flask_wechat import WeChat
from tests.test_real_apps import _override, create_app


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "templates" / "wechat").mkdir(parents=True)
    return tmp_path


# -- language_links: dicts since 0.1, LanguageLink objects now ---------------------------

# An override written against 0.1's documented context ("language_links (each with tag,
# name, current, url)"), when each entry was a dict: a script-driven switch serialises
# them; a template reads them with dict methods.
SWITCH_AS_JSON = (
    '{% extends "wechat/default/base.html" %}'
    "{% block language_switch %}<script type=application/json id=langs>"
    "{{ language_links|tojson }}</script>{% endblock %}"
)
SWITCH_WITH_DICT_METHODS = (
    '{% extends "wechat/default/base.html" %}'
    "{% block language_switch %}{% for link in language_links %}"
    "<a href='{{ link.get('url') }}'{% if 'current' in link and link['current'] %}"
    " aria-current=true{% endif %}>{{ link.get('name') }}</a>"
    "{% endfor %}{% endblock %}"
)


def test_a_0_1_override_serialising_language_links_still_renders(root, wechat_emulator):
    _override(root, "wechat/base.html", SWITCH_AS_JSON)
    app = create_app(root, wechat_emulator.config)
    answer = app.test_client().get("/wechat/login?next=/private")
    assert answer.status_code == 200  # a TypeError (LanguageLink is not JSON) gives a 500
    page = answer.data.decode()
    assert '"tag": "zh-Hans"' in page and "next=/private" in page


def test_a_0_1_override_reading_language_links_as_dicts_still_renders(root, wechat_emulator):
    _override(root, "wechat/base.html", SWITCH_WITH_DICT_METHODS)
    app = create_app(root, wechat_emulator.config)
    answer = app.test_client().get("/wechat/login?lang=zh-TW")
    assert answer.status_code == 200  # 'current' in link: TypeError; link.get: undefined
    page = answer.data.decode()
    assert "<a href='/wechat/login?lang=zh-Hant' aria-current=true>繁體中文</a>" in page


# -- wechat_mark: the module of wechat/mark.html instead of an import ---------------------


def test_an_app_with_async_jinja_still_renders_the_sign_in_page(wechat_emulator):
    # Template.module is "not available in async mode"; the import it replaced was.
    app = Flask(__name__)
    app.jinja_options = {**app.jinja_options, "enable_async": True}
    app.config.update(SECRET_KEY="async-secret", TESTING=True, **wechat_emulator.config)
    LoginManager(app).user_loader(lambda user_id: None)
    wechat = WeChat(app)

    @wechat.profile_handler
    def person(profile, token):  # pragma: no cover - not reached
        return None

    # In a thread of its own, as a WSGI server serves a request: async Jinja renders with
    # asyncio.run, which a thread that already runs an event loop (this one, after the
    # browser tests' Playwright) cannot call.
    answers: list[Any] = []
    worker = threading.Thread(target=lambda: answers.append(app.test_client().get("/wechat/login")))
    worker.start()
    worker.join(timeout=60)
    (answer,) = answers
    assert answer.status_code == 200
    assert "wechat-mark-eye" in answer.data.decode()
