"""The benchmark harness (bench/, ``make bench``) still runs: a few sign-ins per contender.

No timing is asserted here; only that every contender completes real sign-ins against
the emulator in its own process, and what flask-wechat costs WeChat: the two calls of
snsapi_login per sign-in, over one kept-alive connection.
"""

from __future__ import annotations

import pytest

from bench import run
from bench.emulator_process import EmulatorProcess


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess() as process:
        yield process


@pytest.fixture(autouse=True)
def _plain_http_emulator(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _run(emulator, names):
    return run.run_callbacks(emulator, names, rounds=2, per_round=3, warmup=1)


def test_floor_and_flask_wechat_sign_in(emulator):
    results = _run(emulator, ["floor", "flask-wechat"])
    for result in results.values():
        assert result.sign_ins == 7
        assert len(result.timings.cpu) == 6
        assert all(cpu > 0 for cpu in result.timings.cpu)

    wechat = results["flask-wechat"]
    assert wechat.calls == {"/sns/oauth2/access_token": 7, "/sns/userinfo": 7}
    assert wechat.round_trips == 2
    assert wechat.connections == 1
    assert results["floor"].round_trips == 2

    table = run.report(results, {}, None, None, "smoke")
    assert "| flask-wechat | 6 |" in table


def test_flask_dance_signs_in(emulator):
    pytest.importorskip("flask_dance")
    results = _run(emulator, ["floor", "flask-dance"])
    assert results["flask-dance"].round_trips == 2
    assert results["flask-dance"].sign_ins == 7


def test_sign_in_page_and_import_probes_run(emulator):
    pages = run.run_pages(emulator, rounds=2, per_round=2)
    assert len(pages.signin.cpu) == len(pages.bare.cpu) == 4
    assert pages.signin_bytes > 1000 and pages.bare_bytes > 1000
    imports = run.run_imports(1)
    assert imports.overhead_ms > 0


def test_pages_only_report_and_raw_figures(emulator, tmp_path):
    pages = run.run_pages(emulator, rounds=1, per_round=2)
    table = run.report({}, {}, pages, None, "pages only")
    assert "| sign-in page (`/wechat/login`) |" in table
    assert "| sign-in page vs a bare render (CPU) |" in table
    assert "| floor |" not in table
    raw = run._raw({}, pages, None)
    assert len(raw["pages"]["signin_cpu_ns"]) == 2


def test_page_parts_keep_the_pages_bytes():
    from bench import page_parts

    rows = dict(page_parts.measure(rounds=1, per_round=1))  # exits if a variant's bytes differ
    assert "as shipped" in rows and len(rows) > 8
    assert all(ratio > 0 for ratio in rows.values())
