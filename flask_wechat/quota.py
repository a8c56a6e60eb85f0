"""The quota guard: when WeChat says stop, stop until the next minute.

Every code exchange counts against the app's per-minute WeChat quota, which
every person signing in shares. When WeChat answers 45011 (the minute's quota
is spent), or "system busy" (-1) :data:`BUSY_IN_A_ROW` times in a row, new
sign-ins get the "WeChat is busy, try again in a minute" page (503, with
``Retry-After``) without calling WeChat, until the next minute by this
server's clock: calling anyway would only fail too, and spend the next
minute's quota on the way.

The guard keeps its marks in the extension's replay memory
(:mod:`flask_wechat.replay`): per process by default, shared by every process
and host with Redis or SQL storage. If that memory cannot be reached, the
guard lets sign-ins through (WeChat still enforces its quota).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Callable

from flask import Flask, request
from werkzeug.wrappers import Response

from . import signals
from .errors import RateLimited, SignInPaused, SystemBusy, WeChatError
from .replay import ReplayMemory

log = logging.getLogger(__name__)

#: "System busy" answers in a row (with no success between) that pause sign-ins.
BUSY_IN_A_ROW = 3
#: WeChat's quota is per minute.
MINUTE = 60
#: Where a refusal leaves its ``Retry-After`` seconds (the request's environ).
RETRY_AFTER = "flask_wechat.retry_after"


class QuotaGuard:
    """Pause new sign-ins until the next minute after WeChat's quota or busy errors.

    ``memory`` returns the memory to keep marks in (the extension's, which
    depends on its storage).
    """

    def __init__(
        self,
        memory: Callable[[], ReplayMemory],
        *,
        busy_in_a_row: int = BUSY_IN_A_ROW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.memory = memory
        self.busy_in_a_row = busy_in_a_row
        self.clock = clock

    def _minute(self) -> tuple[str, float]:
        now = self.clock()
        minute = math.floor(now / MINUTE)
        return f"quota:paused:{minute}", (minute + 1) * MINUTE

    def check(self) -> None:
        """Raise :class:`SignInPaused` while sign-ins are paused (this minute)."""
        key, next_minute = self._minute()
        try:
            paused = self.memory().seen(key)
        except Exception as error:  # fail open: WeChat enforces its own quota
            log.warning("quota guard: memory unreachable (%s)", type(error).__name__)
            return
        if paused:
            request.environ[RETRY_AFTER] = max(1, math.ceil(next_minute - self.clock()))
            raise SignInPaused("sign-ins paused until the next minute")

    def pause(self) -> None:
        """Pause sign-ins until the next minute."""
        key, next_minute = self._minute()
        self.memory().add(key, next_minute)
        log.warning("WeChat sign-ins paused until the next minute (quota or busy)")

    def failed(self, error: WeChatError) -> None:
        """Count WeChat's answer ``error``: 45011 pauses, a run of -1 too."""
        if isinstance(error, SignInPaused):
            return  # our own refusal, not WeChat's answer
        if isinstance(error, RateLimited):
            self.pause()
        elif isinstance(error, SystemBusy) and error.errcode == -1:
            memory = self.memory()
            if memory.count("quota:busy", self.clock() + MINUTE) >= self.busy_in_a_row:
                memory.forget("quota:busy")
                self.pause()

    def succeeded(self) -> None:
        """A sign-in went through: the run of busy answers is over."""
        self.memory().forget("quota:busy")

    def connect(self, app: Flask) -> None:
        """Follow ``app``'s sign-ins through the ``signed_in`` and ``sign_in_failed``
        signals, and send ``Retry-After`` with the pages that know it."""

        def on_failure(sender: Any, error: WeChatError, **extra: Any) -> None:
            try:
                self.failed(error)
            except Exception as broken:  # never turn an error page into a 500
                log.warning("quota guard: memory unreachable (%s)", type(broken).__name__)

        def on_success(sender: Any, **extra: Any) -> None:
            try:
                self.succeeded()
            except Exception as broken:
                log.warning("quota guard: memory unreachable (%s)", type(broken).__name__)

        signals.sign_in_failed.connect(on_failure, app, weak=False)
        signals.signed_in.connect(on_success, app, weak=False)
        app.after_request(retry_after)


def retry_after(response: Response) -> Response:
    """Add ``Retry-After`` to a 429 or 503 page whose refusal said when (:data:`RETRY_AFTER`).

    Set by the quota guard's pause and by the rate limits (:mod:`flask_wechat.limits`).
    """
    seconds = request.environ.get(RETRY_AFTER)
    if seconds and response.status_code in (429, 503):
        response.headers["Retry-After"] = str(seconds)
    return response
