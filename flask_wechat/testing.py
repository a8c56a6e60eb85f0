"""pytest fixtures for apps that use flask-wechat (a pytest plugin).

Installed with the package, so your own tests can sign in against the local
WeChat emulator over real HTTP::

    @pytest.fixture
    def app(wechat_emulator):
        # The emulator's URLs and test credentials go in before init_app runs,
        # which reads the WECHAT_* keys once.
        return create_app({"TESTING": True, **wechat_emulator.config})

    def test_sign_in(client, wechat_emulator):
        to_wechat = client.get("/wechat/authorize").location
        callback = wechat_emulator.approve(to_wechat, user="lilei")
        client.get(callback)          # signed in

The emulator server starts once per test session; each test gets it with
its state reset. Nothing here is imported until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import pytest

if TYPE_CHECKING:
    from .emulator import EmulatorServer


class FormReader(HTMLParser):
    """The first form of a page: its action and its hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action") or ""
        elif tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields.setdefault(attributes["name"] or "", attributes.get("value") or "")


class EmulatorHandle:
    """The running emulator as a test sees it: its URL, its world, and a phone."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.url: str = server.url
        self.world = server.world

    @property
    def config(self) -> dict[str, str]:
        """The ``WECHAT_*`` settings for this emulator: its URLs and test credentials."""
        return self.server.config

    def approve(self, authorize_url: str, user: str = "lilei", action: str = "confirm") -> str:
        """Do what a person does on WeChat's page, over real HTTP.

        Opens ``authorize_url`` (the site's redirect to WeChat), picks the
        test ``user`` and presses Confirm (``action="deny"`` to decline).
        Returns the URL WeChat sends the browser back to (the site's
        callback), or raises ``AssertionError`` with WeChat's error page text.
        """
        import requests

        url = authorize_url.split("#", 1)[0]
        # Inside WeChat the phone's owner is already known: tell the emulator who.
        params = {"emulator_user": user} if "/connect/oauth2/authorize" in url else None
        page = requests.get(url, params=params, timeout=10, allow_redirects=False)
        if page.is_redirect:  # silent snsapi_base: no page at all
            return page.headers["Location"]
        form = FormReader()
        form.feed(page.text)
        if form.action is None:
            raise AssertionError(f"WeChat showed no sign-in form:\n{page.text[:2000]}")
        answer = requests.post(
            urljoin(page.url, form.action),
            data={**form.fields, "action": action, "user": user},
            timeout=10,
            allow_redirects=False,
        )
        if not answer.is_redirect:
            raise AssertionError(f"WeChat did not redirect:\n{answer.text[:2000]}")
        return answer.headers["Location"]


def sign_out(client: Any) -> Any:
    """Sign out in one line, as the person's browser would: the logout page's button.

    Works whatever protects the form (this package's token or Flask-WTF's);
    returns the response to the POST (a redirect to ``WECHAT_LOGOUT_REDIRECT``)::

        from flask_wechat.testing import sign_out

        sign_out(client)
    """
    from flask import url_for

    with client.application.test_request_context():
        logout_url = url_for("wechat.logout")
    page = client.get(logout_url)
    form = FormReader()
    form.feed(page.get_data(as_text=True))
    if form.action is None:
        raise AssertionError(f"the logout page has no form:\n{page.get_data(as_text=True)[:2000]}")
    base = page.request.host_url.rstrip("/")
    return client.post(
        form.action or logout_url,
        data=form.fields,
        headers={"Referer": base + logout_url},  # a same-origin form, as browsers send it
    )


@pytest.fixture(scope="session")
def _wechat_emulator_server() -> Iterator[EmulatorServer]:
    from .emulator import EmulatorServer

    with EmulatorServer() as server:
        yield server


@pytest.fixture
def wechat_emulator(
    _wechat_emulator_server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[EmulatorHandle]:
    """The local WeChat emulator on a loopback port, reset for this test.

    The emulator is as harsh as WeChat (see :class:`~flask_wechat.emulator.World`):
    one fresh token in a few meets a transient 40001 on its first userinfo call.
    Which ones is seeded with the test's id, so a test meets the same answers on
    every run, whatever else runs. A test that needs a kind WeChat says so with
    ``@pytest.mark.kind_wechat`` (or ``wechat_emulator.world.userinfo_40001_one_in = 0``).

    Also sets ``OAUTHLIB_INSECURE_TRANSPORT`` for the test, since the emulator
    speaks plain http on loopback (real WeChat is https).
    """
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    _wechat_emulator_server.world.reset(seed=request.node.nodeid)
    if request.node.get_closest_marker("kind_wechat"):
        _wechat_emulator_server.world.userinfo_40001_one_in = 0
    yield EmulatorHandle(_wechat_emulator_server)
    _wechat_emulator_server.world.reset()


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers",
        "kind_wechat: the wechat_emulator fixture without WeChat's transient 40001 on "
        "userinfo (for a test that counts calls or reads a first answer)",
    )
