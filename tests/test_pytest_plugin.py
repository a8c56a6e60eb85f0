"""The pytest plugin installed with the package (flask_wechat.testing) in a user's test run."""

from __future__ import annotations

from typing import Any


def test_a_users_run_gets_the_fixtures_and_nothing_else(pytester: Any) -> None:
    # A user's project: no configuration of ours, only the plugin the package installs.
    pytester.makepyfile(
        test_user="""
        def test_emulator_runs(wechat_emulator):
            assert wechat_emulator.url.startswith("http://127.0.0.1:")
        """
    )
    assert pytester.runpytest_subprocess("-q").ret == 0
    markers = pytester.runpytest_subprocess("--markers").stdout.str()
    assert "browser" not in markers
    fixtures = pytester.runpytest_subprocess("--fixtures").stdout.str()
    assert "wechat_emulator" in fixtures
