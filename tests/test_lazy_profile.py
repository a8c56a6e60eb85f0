"""One round trip for returning people: userinfo is fetched only when a field needs it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin

from flask_wechat import WeChat, WeChatProfile
from flask_wechat.errors import ProfileNotFetched

from .helpers import sign_in

TOKEN, USERINFO = "/sns/oauth2/access_token", "/sns/userinfo"


class Person(UserMixin):
    def __init__(self, user_id: str, nickname: str | None) -> None:
        self.id, self.nickname = user_id, nickname


def _app(wechat_emulator: Any, handler: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", TESTING=True, **wechat_emulator.config)
    LoginManager(app).user_loader(app.extensions.setdefault("people", {}).get)
    wechat = WeChat(app)
    wechat.profile_handler(handler)
    return app


def _calls(world: Any) -> list[str]:
    return [call["path"] for call in world.requests if call["path"].startswith("/sns/")]


@pytest.mark.kind_wechat  # counts calls: WeChat's transient 40001 would add a retry
def test_a_returning_person_signs_in_with_one_call(wechat_emulator):
    people: dict[str, Person] = {}

    def known_or_new(profile: WeChatProfile, token: Any) -> Person:
        person = people.get(profile.id)
        if person is None:  # only a new person's nickname is read
            person = people[profile.id] = Person(profile.id, profile.nickname)
        return person

    app = _app(wechat_emulator, known_or_new)
    app.extensions["people"] = people
    first, second = app.test_client(), app.test_client()
    wechat_emulator.world.clear_requests()
    assert sign_in(first, wechat_emulator).status_code == 302
    assert _calls(wechat_emulator.world) == [TOKEN, USERINFO]  # new: the nickname was read
    wechat_emulator.world.clear_requests()
    assert sign_in(second, wechat_emulator).status_code == 302
    assert _calls(wechat_emulator.world) == [TOKEN]  # returning: one round trip
    assert list(people.values())[0].nickname == "李雷"


@pytest.mark.kind_wechat  # one retry in all: a -1 and then WeChat's 40001 would use it up
def test_reading_a_field_inside_the_handler_fetches_it_with_the_retry_policy(wechat_emulator):
    seen: list[str | None] = []

    def handler(profile: WeChatProfile, token: Any) -> Person:
        seen.append(profile.nickname)
        return Person(profile.id, profile.nickname)

    app = _app(wechat_emulator, handler)
    wechat_emulator.world.add_fault(USERINFO, "errcode", errcode=-1)  # busy once: retried
    assert sign_in(app.test_client(), wechat_emulator).status_code == 302
    assert seen == ["李雷"]


def test_a_failed_fetch_inside_the_handler_ends_on_the_usual_page(wechat_emulator):
    def handler(profile: WeChatProfile, token: Any) -> Person:
        return Person(profile.id, profile.nickname)

    app = _app(wechat_emulator, handler)
    wechat_emulator.world.add_fault(USERINFO, "errcode", errcode=-1, times=3)
    page = sign_in(app.test_client(), wechat_emulator)
    assert page.status_code == 503 and "WeChat is busy" in page.data.decode()


def test_after_sign_in_a_field_never_fetched_raises_the_typed_error(wechat_emulator):
    kept: list[WeChatProfile] = []

    def handler(profile: WeChatProfile, token: Any) -> Person:
        kept.append(profile)
        return Person(profile.id, None)

    app = _app(wechat_emulator, handler)
    assert sign_in(app.test_client(), wechat_emulator).status_code == 302
    (profile,) = kept
    assert profile.openid and profile.id
    with pytest.raises(ProfileNotFetched):
        profile.nickname  # noqa: B018
    assert "not fetched" in repr(profile)


def test_a_field_read_inside_the_handler_stays_readable_afterwards(wechat_emulator):
    kept: list[WeChatProfile] = []

    def handler(profile: WeChatProfile, token: Any) -> Person:
        kept.append(profile)
        return Person(profile.id, profile.nickname)

    app = _app(wechat_emulator, handler)
    sign_in(app.test_client(), wechat_emulator)
    assert kept[0].nickname == "李雷" and kept[0].raw["nickname"] == "李雷"


def test_the_eager_constructors_still_work():
    profile = WeChatProfile.from_userinfo(
        {"openid": "o", "unionid": "u", "nickname": "n", "headimgurl": ""}, {"openid": "o"}
    )
    assert (profile.id, profile.nickname, profile.avatar_url) == ("u", "n", None)
    assert WeChatProfile("o", nickname="x") == WeChatProfile("o", nickname="x")
    assert WeChatProfile.from_token({"openid": "o"}).nickname is None
