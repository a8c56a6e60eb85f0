"""Apps built the way real ones are: a factory, Flask-Babel, overrides, filters, signals.

The recipes come from docs/customisation.md itself (the blocks marked ``tested``), so the
docs show what these tests run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask, before_render_template, request, template_rendered
from flask_login import LoginManager, UserMixin

from flask_wechat import WeChat

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "docs" / "customisation.md").read_text("utf-8")
OUR_NOTE = "This site receives your WeChat nickname and profile photo"


def recipe(name: str, text: str = DOCS) -> str:
    """The fenced block that follows ``<!-- tested: name -->`` in the docs."""
    found = re.search(rf"<!-- tested: {name} -->\n```\w+\n(.*?)```", text, re.S)
    assert found, f"no tested block {name!r}"
    return found.group(1)


class Person(UserMixin):
    def __init__(self, user_id: str, nickname: str | None) -> None:
        self.id, self.nickname = user_id, nickname


# -- an app factory, the way a real project writes one ---------------------------------

wechat = WeChat()  # module level, shared by every app the factory makes


@wechat.profile_handler
def person_for(profile: Any, token: Any) -> Person:
    return Person(profile.id, profile.nickname)


def create_app(root: Path, config: dict[str, Any]) -> Flask:
    app = Flask(__name__, root_path=str(root), template_folder="templates")
    app.config.update(SECRET_KEY="factory-secret", TESTING=True)
    app.config.update(config)
    people: dict[str, Person] = {}
    login = LoginManager(app)
    login.user_loader(people.get)
    wechat.init_app(app)

    @app.get("/")
    def home() -> str:
        return "home"

    return app


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "templates" / "wechat").mkdir(parents=True)
    return tmp_path


def _override(root: Path, name: str, source: str) -> None:
    path = root / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def test_one_extension_object_serves_every_app_of_a_factory(root, wechat_emulator):
    shop = create_app(root, {**wechat_emulator.config, "WECHAT_SITE_NAME": "Shop"})
    blog = create_app(
        root,
        {**wechat_emulator.config, "WECHAT_SITE_NAME": "Blog", "WECHAT_URL_PREFIX": "/auth"},
    )
    assert "Sign in to Shop" in shop.test_client().get("/wechat/login").data.decode()
    assert "Sign in to Blog" in blog.test_client().get("/auth/login").data.decode()
    for app, prefix in ((shop, "/wechat"), (blog, "/auth")):
        browser = app.test_client()
        to_wechat = browser.get(f"{prefix}/authorize").location
        assert f"{prefix}/callback".replace("/", "%2F") in to_wechat
        assert browser.get(wechat_emulator.approve(to_wechat)).status_code == 302
        with browser.session_transaction() as stored:
            assert stored["_user_id"]


def test_an_override_extends_the_bundled_page_and_changes_one_block(root, wechat_emulator):
    _override(root, "wechat/login.html", recipe("override-one-block"))
    app = create_app(root, wechat_emulator.config)
    page = app.test_client().get("/wechat/login").data.decode()
    assert "We keep your WeChat nickname, nothing else." in page
    assert OUR_NOTE not in page  # the block was replaced...
    assert "Sign in with WeChat" in page and 'class="wechat-button"' in page  # ...nothing else


def test_the_apps_mark_is_drawn_on_every_page_that_shows_one(root, wechat_emulator):
    _override(
        root,
        "wechat/mark.html",
        "{% macro wechat_mark(size=24, title=None) %}<i class=our-mark data-size={{ size }}"
        " data-who={{ request.headers.get('X-Name', '') }}></i>{% endmacro %}",
    )
    # An override written before the pages were given the macro still imports it itself.
    _override(
        root,
        "wechat/phone.html",
        '{% extends "wechat/default/phone.html" %}{% from "wechat/mark.html" import wechat_mark %}'
        "{% block alternative %}{{ wechat_mark(30) }}{% endblock %}",
    )
    app = create_app(root, wechat_emulator.config)
    client = app.test_client()
    for name in ("Alice", "Bob"):
        login = client.get("/wechat/login", headers={"X-Name": name}).data.decode()
        assert f"<i class=our-mark data-size=40 data-who={name}></i>" in login
        assert f"<i class=our-mark data-size=22 data-who={name}></i>" in login
        assert "wechat-mark-eye" not in login
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
    phone = client.get("/wechat/login", headers={"User-Agent": iphone, "X-Name": "Carol"})
    assert "<i class=our-mark data-size=30 data-who=Carol></i>" in phone.data.decode()
    declined = client.get("/wechat/callback?state=unknown").data.decode()
    assert "<i class=our-mark data-size=22 data-who=></i>" in declined  # "Try again"


def test_a_request_dependent_filter_and_context_processor_in_an_override(root, wechat_emulator):
    _override(
        root,
        "wechat/login.html",
        '{% extends "wechat/default/login.html" %}'
        "{% block privacy_note %}<p id=greeting>{{ site_name|greeting }}</p>"
        "<p id=visitor>{{ visitor }}</p>{% endblock %}",
    )
    app = create_app(root, {**wechat_emulator.config, "WECHAT_SITE_NAME": "Shop"})

    @app.template_filter("greeting")
    def greeting(site: str) -> str:
        return f"Welcome to {site}, {request.headers.get('X-Name', 'stranger')}"

    @app.context_processor
    def visitor() -> dict[str, str]:
        return {"visitor": request.headers.get("X-Name", "stranger").upper()}

    client = app.test_client()
    for name in ("Alice", "Bob", "Alice", "Carol"):
        page = client.get("/wechat/login", headers={"X-Name": name}).data.decode()
        assert f"<p id=greeting>Welcome to Shop, {name}</p>" in page
        assert f"<p id=visitor>{name.upper()}</p>" in page


def test_every_page_sends_flasks_render_signals(root, wechat_emulator):
    app = create_app(root, wechat_emulator.config)
    seen: list[tuple[str, str]] = []

    def record(kind: str):
        def receiver(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
            seen.append((kind, template.name))

        return receiver

    before, after = record("before"), record("after")
    client = app.test_client()
    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
    ):
        client.get("/wechat/login")
        client.get("/wechat/callback?state=forged&code=abc")
        client.get("/wechat/callback?state=forged")
    assert seen == [
        ("before", "wechat/login.html"),
        ("after", "wechat/login.html"),
        ("before", "wechat/error.html"),
        ("after", "wechat/error.html"),
        ("before", "wechat/error.html"),
        ("after", "wechat/error.html"),
    ]


# -- Flask-Babel -----------------------------------------------------------------------


def _babel_app(root: Path, config: dict[str, Any], selector_source: str) -> Flask:
    pytest.importorskip("flask_babel")
    import flask_babel

    app = create_app(root, config)
    namespace: dict[str, Any] = {"app": app}
    exec(selector_source, namespace)  # noqa: S102 - the docs' own recipe

    @app.get("/locale")
    def locale() -> str:
        return str(flask_babel.get_locale())

    return app


def test_with_flask_babel_the_apps_selector_decides_and_the_switch_changes_the_site(
    root, wechat_emulator
):
    app = _babel_app(root, wechat_emulator.config, recipe("babel-selector"))
    client = app.test_client()
    chinese = {"Accept-Language": "zh-Hans"}
    assert '<html lang="zh-Hans">' in client.get("/wechat/login", headers=chinese).data.decode()
    assert client.get("/locale", headers=chinese).data == b"zh_Hans"
    # The person picks Traditional Chinese on the sign-in page: the whole site follows.
    switched = client.get("/wechat/login?lang=zh-Hant", headers=chinese).data.decode()
    assert '<html lang="zh-Hant">' in switched
    assert client.get("/locale", headers=chinese).data == b"zh_Hant"
    assert '<html lang="zh-Hant">' in client.get("/wechat/callback").data.decode()


@pytest.mark.parametrize(
    "selected, html_lang",
    [
        ("zh_CN", "zh-Hans"),
        ("zh_Hans_CN", "zh-Hans"),
        ("zh_TW", "zh-Hant"),
        ("zh_HK", "zh-Hant"),
        ("zh_Hant", "zh-Hant"),
        ("en_GB", "en"),
    ],
)
def test_the_pages_follow_whatever_the_selector_returns(root, wechat_emulator, selected, html_lang):
    app = _babel_app(
        root,
        wechat_emulator.config,
        f"from flask_babel import Babel\nBabel(app, locale_selector=lambda: {selected!r})\n",
    )
    client = app.test_client()
    page = client.get("/wechat/login?lang=en").data.decode()  # our ?lang= does not overrule it
    assert f'<html lang="{html_lang}">' in page


# -- the strings an override adds ------------------------------------------------------


def _app_catalog(root: Path, folder: str, translated: dict[str, str]) -> None:
    catalog = Catalog(locale=folder.split("_")[0] if folder == "zh" else folder)
    for message, translation in translated.items():
        catalog.add(message, translation)
    target = root / "translations" / folder / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)


@pytest.mark.parametrize("with_babel", [False, True], ids=["stdlib", "flask-babel"])
@pytest.mark.parametrize("folder", ["zh_Hans", "zh_CN"])
def test_an_overrides_own_strings_come_from_the_apps_catalog(
    root, wechat_emulator, with_babel, folder
):
    _override(root, "wechat/login.html", recipe("override-one-block"))
    _app_catalog(
        root, folder, {"We keep your WeChat nickname, nothing else.": "我们只保存您的微信昵称。"}
    )
    if with_babel:
        app = _babel_app(root, wechat_emulator.config, recipe("babel-selector"))
    else:
        app = create_app(root, wechat_emulator.config)
    client = app.test_client()
    chinese = client.get("/wechat/login?lang=zh-Hans").data.decode()
    assert "我们只保存您的微信昵称。" in chinese
    assert "微信登录" in chinese or "使用微信登录" in chinese  # our own strings, ours
    english = client.get("/wechat/login?lang=en").data.decode()
    assert "We keep your WeChat nickname, nothing else." in english
