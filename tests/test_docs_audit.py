"""The docs' samples as a new user copies them, against what real browsers send.

docs/customisation.md's Flask-Babel selector (``<!-- tested: babel-selector -->``) is
what an app with Flask-Babel copies; Chrome, Safari and Firefox in Chinese send
``zh-CN,zh;q=0.9,en;q=0.8`` or ``zh-TW,zh;q=0.9``, not ``zh-Hans``.
"""

from __future__ import annotations

import html
import logging
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import Flask
from flask_login import LoginManager, UserMixin

from flask_wechat import WeChat

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


# -- docs/troubleshooting.md: SQLAlchemyStorage whose tables were never created ----------


@pytest.mark.kind_wechat
def test_sql_storage_without_its_tables_is_a_503_whose_log_line_says_to_create_them(
    wechat_emulator, tmp_path, caplog
):
    """Building the storage runs no SQL, so a deploy that forgot ``create_table()`` first
    fails at a sign-in: the log line must point there, not only at a server that "did
    not answer" (SQLite and PostgreSQL did answer: no such table)."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from flask import Flask
    from flask_login import LoginManager, UserMixin

    from flask_wechat import WeChat
    from flask_wechat.sqla import SQLAlchemyStorage

    from .helpers import sign_in

    class Person(UserMixin):
        def __init__(self, user_id: str) -> None:
            self.id = user_id

    app = Flask(__name__)
    app.config.update(SECRET_KEY="no-tables-secret", **wechat_emulator.config)
    LoginManager(app).user_loader(lambda user_id: None)
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    wechat = WeChat(app, storage=SQLAlchemyStorage(engine))
    wechat.profile_handler(lambda profile, token: Person(profile.id))

    with caplog.at_level(logging.WARNING, "flask_wechat"):
        page = sign_in(app.test_client(), wechat_emulator)
    assert page.status_code == 503
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "StorageUnavailable" in errors[0]
    assert "create_table()" in errors[0], errors[0]


# -- docs/testing.md: an app of yours against an emulator started by hand --------------

TESTING_DOC = (Path(__file__).resolve().parents[1] / "docs" / "testing.md").read_text("utf-8")


def test_an_app_signs_in_against_an_emulator_started_by_hand(monkeypatch):
    # What a developer does: `python -m flask_wechat.emulator` in one terminal, the docs'
    # lines in the app, then a sign-in through the emulator's own page.
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)  # restored after
    emulator = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "flask_wechat.emulator", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        printed = re.search(r"running at (http://\S+?)/?$", emulator.stdout.readline())  # type: ignore[union-attr]
        assert printed, "the emulator did not print its URL"
        url = printed.group(1)
        app = Flask(__name__)
        app.config["SECRET_KEY"] = "dev"
        people: dict[str, UserMixin] = {}
        LoginManager(app).user_loader(people.get)
        lines = recipe("emulator-by-hand", TESTING_DOC).replace("http://127.0.0.1:5051", url)
        exec(lines, {"app": app})  # noqa: S102 - the docs' own lines
        wechat = WeChat(app)

        @wechat.profile_handler
        def person(profile, token):
            found = people.setdefault(profile.id, UserMixin())
            found.id = profile.id
            return found

        client = app.test_client()
        qr_page = client.get("/wechat/authorize").location
        page = requests.get(qr_page, timeout=10).text
        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
        form = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
        form = {name: html.unescape(value) for name, value in form.items()}
        confirmed = requests.post(
            urljoin(qr_page, action),
            data={**form, "user": "lilei", "action": "confirm"},
            allow_redirects=False,
            timeout=10,
        )
        callback = urlsplit(confirmed.headers["Location"])
        signed_in = client.get(f"{callback.path}?{callback.query}")
        assert (signed_in.status_code, signed_in.location) == (302, "/")
        with client.session_transaction() as stored:
            assert stored["_user_id"] in people
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
