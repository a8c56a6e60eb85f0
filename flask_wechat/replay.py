"""Replay memory: a state used once never reaches WeChat again.

A pending sign-in lives in the session cookie, and taking it at the callback
removes it from the cookie. But a browser (or anyone holding a copy of the
cookie) can send the *old* cookie again, with the same state and a new code,
and each such request would cost a call to WeChat carrying the app secret.
So every state that reaches the callback is also remembered server-side,
whether its sign-in succeeded, failed or was declined, until it would have
expired anyway (``WECHAT_STATE_MAX_AGE`` after it was minted); a state
remembered is refused before anything is sent to WeChat.

Where it is remembered is a :class:`ReplayMemory`:

* :class:`ProcessMemory` (the default) protects one process. Several worker
  processes each remember their own states: a replay sent to another worker
  is refused only by that worker's memory.
* :class:`~flask_wechat.redis.RedisMemory` and :class:`~flask_wechat.sqla.SQLMemory`
  are shared by every process and host. ``WeChat(storage=RedisStorage(...))``
  and ``WeChat(storage=SQLAlchemyStorage(...))`` use them on the same server
  without being asked; ``WeChat(memory=...)`` chooses explicitly.

The quota guard (:mod:`flask_wechat.quota`) keeps its marks in the same memory.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Protocol
from weakref import WeakKeyDictionary

from .errors import StateError, StorageUnavailable
from .state import Pending


class ReplayMemory(Protocol):
    """Keys remembered until a deadline (seconds since the epoch).

    Every method is atomic with respect to other processes sharing the memory.
    """

    def add(self, key: str, until: float) -> bool:
        """Remember ``key`` until ``until``: ``True``, or ``False`` if it is remembered already."""

    def seen(self, key: str) -> bool:
        """Whether ``key`` is remembered now."""

    def count(self, key: str, until: float) -> int:
        """Add one to ``key``'s count (starting from 0 once expired) and return it."""

    def forget(self, key: str) -> None:
        """Forget ``key``."""


class ProcessMemory:
    """A :class:`ReplayMemory` in this process's memory (thread-safe).

    At most ``max_keys`` keys: past that, those closest to their deadline are
    dropped first (states are minted in order, so the oldest go).
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._keys: dict[str, list[float]] = {}  # key -> [until, count]

    def _live(self, key: str, now: float) -> list[float] | None:
        entry = self._keys.get(key)
        if entry is not None and entry[0] <= now:
            del self._keys[key]
            return None
        return entry

    def _make_room(self, now: float) -> None:
        # Insertion order is nearly deadline order: expired keys sit in front.
        while self._keys:
            first = next(iter(self._keys))
            if self._keys[first][0] > now and len(self._keys) < self.max_keys:
                break
            del self._keys[first]

    def add(self, key: str, until: float) -> bool:
        """Remember ``key`` until ``until``: ``True``, or ``False`` if it is remembered already."""
        with self._lock:
            now = self.clock()
            if self._live(key, now) is not None:
                return False
            self._make_room(now)
            self._keys[key] = [until, 1]
            return True

    def seen(self, key: str) -> bool:
        """Whether ``key`` is remembered now."""
        with self._lock:
            return self._live(key, self.clock()) is not None

    def count(self, key: str, until: float) -> int:
        """Add one to ``key``'s count (starting from 0 once expired) and return it."""
        with self._lock:
            now = self.clock()
            entry = self._live(key, now)
            if entry is None:
                self._make_room(now)
                entry = self._keys[key] = [until, 0]
            entry[0] = until
            entry[1] += 1
            return int(entry[1])

    def forget(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._keys.pop(key, None)


_from_storage: WeakKeyDictionary[Any, ReplayMemory] = WeakKeyDictionary()


def memory_for(storage: Any) -> ReplayMemory | None:
    """The shared memory a token storage offers (its ``memory()``), made once."""
    make = getattr(storage, "memory", None)
    if make is None:
        return None
    try:
        return _from_storage[storage]
    except KeyError:
        memory = _from_storage[storage] = make()
        return memory
    except TypeError:  # a storage that cannot be weakly referenced
        return make()


def consume(memory: ReplayMemory, pending: Pending, max_age: float) -> None:
    """Mark ``pending``'s state used; :class:`StateError` if it was used before.

    Called at the callback before anything else happens to the state, so a
    declined or failed sign-in uses its state up as a successful one does.
    When the memory cannot be reached the sign-in stops (503): without it a
    replay cannot be told apart.
    """
    try:
        first_time = memory.add(f"state:{pending.state}", pending.issued_at + max_age)
    except Exception as error:  # the memory's server is down: refuse, do not guess
        raise StorageUnavailable(
            f"the replay memory is unreachable ({type(error).__name__})"
        ) from None
    if not first_time:
        raise StateError("state already used (a replay of an old cookie)")
