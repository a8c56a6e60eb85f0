"""Pending sign-ins never push the session cookie past what browsers keep (4 KB)."""

from __future__ import annotations

import random

import pytest

from .helpers import sign_in, start, state_of

LIMIT = 4096  # bytes of one Set-Cookie header's value, as browsers count it


def _astral(seed: int, length: int) -> str:
    # Astral-plane characters are 12 bytes each in JSON (two \\u escapes) and random
    # ones do not compress: the worst a `next` can be.
    rng = random.Random(seed)
    return "/" + "".join(chr(rng.randint(0x10000, 0x1FFFF)) for _ in range(length))


def _session_cookie_header(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            return header
    return None


@pytest.mark.parametrize("length", [100, 300, 511])
def test_pending_sign_ins_with_the_worst_next_fit_in_a_cookie(client, wechat_emulator, length):
    sizes = []
    for tab in range(8):
        response = client.get("/wechat/authorize", query_string={"next": _astral(tab, length)})
        assert response.status_code == 302
        header = _session_cookie_header(response)
        assert header is not None
        sizes.append(len(header.encode()))
    assert max(sizes) <= LIMIT, sizes


def test_the_newest_sign_in_survives_and_keeps_its_next_when_it_fits(client, wechat_emulator):
    for tab in range(6):
        start(client, _astral(tab, 200))
    newest = "/orders/42"
    callback = wechat_emulator.approve(start(client, newest))
    assert client.get(callback).location == newest


def test_a_next_too_big_for_any_cookie_is_dropped_not_the_sign_in(client, wechat_emulator):
    to_wechat = start(client, _astral(99, 511))
    header_ok = client.get_cookie("session")
    assert header_ok is not None
    response = client.get(wechat_emulator.approve(to_wechat))
    assert response.status_code == 302 and state_of(to_wechat)
    assert client.get("/").data.decode().startswith("signed in")


def test_a_signed_in_person_with_a_token_still_fits(client, wechat_emulator):
    sign_in(client, wechat_emulator)
    for tab in range(8):
        response = client.get("/wechat/authorize", query_string={"next": _astral(tab, 511)})
        assert len(_session_cookie_header(response).encode()) <= LIMIT
