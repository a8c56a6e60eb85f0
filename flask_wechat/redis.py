"""Token storage and replay memory in Redis, with redis-py.

``pip install "flask-wechat-login[redis]"``, then::

    import redis
    from flask_wechat.redis import RedisStorage

    wechat = WeChat(app, storage=RedisStorage(redis.Redis.from_url("redis://cache:6379/0")))

One key per user (``flask_wechat:token:<user id>``), written with one ``SET``
(atomic: concurrent saves never fail, the last one stays), expiring 30 days
after the last save (a refresh token's lifetime), deleted at sign-out. Set
``WECHAT_TOKEN_KEY`` to encrypt the tokens (see :mod:`flask_wechat.encryption`).

Each person's sign-in generation (see :mod:`flask_wechat.revocation`) is the
key ``flask_wechat:generation:<user id>``, set once (``SET NX``) and deleted at
sign-out; it has no expiry, as a remember cookie can outlive any token.

A refresh holds a Redis lock per user (redis-py's ``Lock``, which expires by
itself if its holder dies), so concurrent requests of one person whose token
expired refresh it once. The same client also backs the replay memory of
sign-ins (:class:`RedisMemory`), shared by every process and host.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

from redis import Redis
from redis.exceptions import LockError

from .encryption import codec
from .errors import UnavailableError
from .storage import LockedToken, Token, new_generation

log = logging.getLogger(__name__)

#: A refresh token lives 30 days; a token key outlives its last save by that much.
TOKEN_TTL = 30 * 24 * 3600


class RedisStorage:
    """Keep each user's WeChat token under ``<prefix>token:<user id>``.

    ``lock_timeout`` bounds how long a refresh may hold the lock (and how
    long another request waits for it): longer than a refresh takes
    (``WECHAT_TIMEOUT``, twice with the retry). ``keys`` overrides
    ``WECHAT_TOKEN_KEY``.
    """

    def __init__(
        self,
        client: Redis,
        prefix: str = "flask_wechat:",
        *,
        user_id: Callable[[Any], str] = lambda user: str(user.get_id()),
        ttl: int = TOKEN_TTL,
        lock_timeout: float = 30.0,
        keys: list[str] | tuple[str, ...] | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.user_id = user_id
        self.ttl = ttl
        self.lock_timeout = lock_timeout
        self.keys = keys

    def _key(self, user: Any) -> str:
        return f"{self.prefix}token:{self.user_id(user)}"

    def load(self, user: Any) -> Token | None:
        """The token saved for ``user``, or ``None``."""
        stored = self.client.get(self._key(user))
        return codec(self.keys).loads(stored) if stored is not None else None  # type: ignore[arg-type]

    def save(self, user: Any, token: Token) -> None:
        """Store ``token`` as ``user``'s (one ``SET``), replacing any earlier one."""
        self.client.set(self._key(user), codec(self.keys).dumps(token), ex=self.ttl)

    def delete(self, user: Any) -> None:
        """Forget ``user``'s token."""
        self.client.delete(self._key(user))

    @contextmanager
    def refresh_lock(self, user: Any) -> Iterator[LockedToken]:
        """Hold ``user``'s refresh lock; the token is read after taking it."""
        lock = self.client.lock(
            f"{self.prefix}refresh-lock:{self.user_id(user)}",
            timeout=self.lock_timeout,
            blocking_timeout=self.lock_timeout,
        )
        if not lock.acquire():
            raise UnavailableError("another request held the token's refresh lock too long")
        try:
            yield LockedToken(self.load(user), lambda token: self.save(user, token))
        finally:
            try:
                lock.release()
            except LockError:  # held past lock_timeout: it expired, another took it
                log.warning("a token refresh outlasted its Redis lock (lock_timeout)")

    def sign_in_generation(self, user_id: str) -> str:
        """``user_id``'s current sign-in generation; started (``SET NX``) if there is none."""
        key = f"{self.prefix}generation:{user_id}"
        for _ in range(3):  # a sign-out may delete it between the two commands
            self.client.set(key, new_generation(), nx=True)
            stored = self.client.get(key)
            if stored is not None:
                return _text(stored)
        raise RuntimeError(f"no sign-in generation could be started for {user_id!r}")

    def generation(self, user_id: str) -> str | None:
        """``user_id``'s current sign-in generation, or ``None`` (one ``GET``)."""
        stored = self.client.get(f"{self.prefix}generation:{user_id}")
        return None if stored is None else _text(stored)

    def end_generation(self, user_id: str) -> None:
        """Delete ``user_id``'s sign-in generation: every copy of their sign-ins ends."""
        self.client.delete(f"{self.prefix}generation:{user_id}")

    def memory(self) -> RedisMemory:
        """A replay memory on the same Redis, for the extension's sign-ins."""
        return RedisMemory(self.client, self.prefix)


def _text(stored: Any) -> str:
    """A value redis-py returned: bytes, or str when the client decodes responses."""
    return stored.decode() if isinstance(stored, bytes) else str(stored)


class RedisMemory:
    """A :class:`~flask_wechat.replay.ReplayMemory` in Redis: keys with deadlines.

    Each key expires in Redis at its deadline (``PEXPIREAT``), so nothing is
    left to clean up.
    """

    def __init__(
        self,
        client: Redis,
        prefix: str = "flask_wechat:",
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.prefix = f"{prefix}memory:"
        self.clock = clock

    def _ms(self, until: float) -> int:
        # The deadline as Redis's time; never in the past (Redis would refuse it).
        return max(1, math.ceil((until - self.clock()) * 1000))

    def add(self, key: str, until: float) -> bool:
        """Remember ``key`` until ``until``: ``True``, or ``False`` if it was remembered."""
        return bool(self.client.set(self.prefix + key, 1, nx=True, px=self._ms(until)))

    def seen(self, key: str) -> bool:
        """Whether ``key`` is remembered now."""
        return bool(self.client.exists(self.prefix + key))

    def count(self, key: str, until: float) -> int:
        """Add one to ``key``'s count (from 0 once expired), remembered until ``until``."""
        pipeline = self.client.pipeline()  # MULTI/EXEC: both or neither
        pipeline.incr(self.prefix + key)
        pipeline.pexpire(self.prefix + key, self._ms(until))
        counted, _ = pipeline.execute()
        return int(counted)

    def forget(self, key: str) -> None:
        """Forget ``key``."""
        self.client.delete(self.prefix + key)
