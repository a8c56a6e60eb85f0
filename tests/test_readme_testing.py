"""The testing example of docs/testing.md runs unchanged, in a fresh project with an app factory."""

from __future__ import annotations

import re
from pathlib import Path

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "testing.md").read_text(encoding="utf-8")

pytest_plugins = ["pytester"]

#: A fresh project's app factory, as the README's quick start writes one.
YOURAPP = """
from flask import Flask
from flask_login import LoginManager, UserMixin

from flask_wechat import WeChat

wechat = WeChat()
users = {}


class User(UserMixin):
    def __init__(self, user_id):
        self.id = user_id


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="a-fresh-project")
    app.config.update(config or {})
    LoginManager(app).user_loader(users.get)
    wechat.init_app(app)
    return app


@wechat.profile_handler
def user_for(profile, token):
    return users.setdefault(profile.id, User(profile.id))
"""


def test_the_readme_testing_example_passes_as_written(pytester):
    example = re.search(r"<!-- tested: readme-testing -->\n```python\n(.*?)```", PAGE, re.S)
    assert example, "docs/testing.md lost its tested testing example"
    pytester.makepyfile(yourapp=YOURAPP, test_readme=example.group(1))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
