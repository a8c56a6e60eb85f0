"""Run the WeChat emulator: ``python -m flask_wechat.emulator [--host H] [--port P]``."""

from __future__ import annotations

import argparse
import signal
import time
from typing import Any

from .server import EmulatorServer


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
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _interrupt)
    server = EmulatorServer(host=args.host, port=args.port, quiet=args.quiet).start()
    print(f"WeChat emulator running at {server.url}/")
    print("Emulator-only test credentials (not real WeChat credentials, valid nowhere else):")
    for app in server.world.apps:
        print(f"  {app.kind:<17} appid={app.appid}  secret={app.secret}")
    print(f"  callback domains: {', '.join(server.world.apps[0].callback_domains)}")
    print("Test users: " + ", ".join(f"{u.key} ({u.nickname})" for u in server.world.users))
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
