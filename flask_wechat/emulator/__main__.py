"""Run the WeChat emulator: ``python -m flask_wechat.emulator [--host H] [--port P]``."""

from __future__ import annotations

import argparse
import signal
import time
from typing import Any

from .server import EmulatorServer
from .world import USERINFO_40001_ONE_IN, World


def _interrupt(signum: int, frame: Any) -> None:
    # SIGTERM (from a test harness or a process manager) stops as cleanly as Ctrl+C;
    # SIGINT alone is not enough where it starts out ignored, as in background jobs.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flask_wechat.emulator",
        description="A local WeChat (open.weixin.qq.com + api.weixin.qq.com) for development.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5051, help="port (default: 5051; 0 = any free)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.add_argument(
        "--userinfo-40001-one-in",
        type=int,
        default=USERINFO_40001_ONE_IN,
        metavar="N",
        help="one fresh token in N gets WeChat's transient 40001 from userinfo once "
        f"(default: {USERINFO_40001_ONE_IN}; 0 = never)",
    )
    parser.add_argument("--seed", default="0", help="seed for which tokens meet it (default: 0)")
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="MS", help="each /sns/ call waits MS ms"
    )
    parser.add_argument(
        "--jitter", type=float, default=0.0, metavar="MS", help="...plus up to MS ms more"
    )
    args = parser.parse_args(argv)
    if args.userinfo_40001_one_in < 0:
        parser.error("--userinfo-40001-one-in must be 0 or more")
    if not (0 <= args.latency <= 60_000 and 0 <= args.jitter <= 60_000):
        parser.error("--latency and --jitter must be from 0 to 60000 ms")

    signal.signal(signal.SIGTERM, _interrupt)
    world = World(
        seed=args.seed,
        userinfo_40001_one_in=args.userinfo_40001_one_in,
        latency=args.latency / 1000,
        jitter=args.jitter / 1000,
    )
    server = EmulatorServer(world, host=args.host, port=args.port, quiet=args.quiet).start()
    print(f"WeChat emulator running at {server.url}/")
    print("Emulator-only test credentials (not real WeChat credentials, valid nowhere else):")
    for app in server.world.apps:
        print(f"  {app.kind:<17} appid={app.appid}  secret={app.secret}")
    print(f"  callback domains: {', '.join(server.world.apps[0].callback_domains)}")
    print("Test users: " + ", ".join(f"{u.key} ({u.label})" for u in server.world.users))
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("Warning: the emulator has an unauthenticated control API; keep it on loopback.")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
