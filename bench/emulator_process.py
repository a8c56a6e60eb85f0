"""The WeChat emulator in a process of its own, with its counters over a pipe.

The benchmark measures the app's CPU time in the benchmark's process, so the emulator
must not run there. ``EmulatorServer.connections_opened`` and ``world.requests`` live
inside the emulator's process, so this wrapper serves them over its standard streams,
one JSON line per command:

* ``stats``: ``{"connections": N, "requests": [[method, path], ...]}``, the accepted
  TCP connections so far and the WeChat calls logged since the last ``stats``
  (the log is cleared as it is read, so it never grows);
* ``quit`` (or end of input): stop the server and exit.

On start it prints ``{"url": ...}``. :class:`EmulatorProcess` is the parent's side.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]


def serve(stdin: IO[str], stdout: IO[str]) -> int:
    """The child's side: run an emulator and answer commands until ``quit``."""
    from flask_wechat.emulator import EmulatorServer, World

    def say(message: dict[str, Any]) -> None:
        stdout.write(json.dumps(message) + "\n")
        stdout.flush()

    # A kind WeChat: the benchmark compares the same two round trips in every contender,
    # and the floor and Flask-Dance do not retry WeChat's transient 40001 on userinfo.
    with EmulatorServer(World(userinfo_40001_one_in=0)) as server:
        say({"url": server.url})
        for line in stdin:
            command = line.strip()
            if command == "stats":
                world = server.world
                logged = [[entry["method"], entry["path"]] for entry in world.requests]
                world.clear_requests()
                say({"connections": server.connections_opened, "requests": logged})
            elif command == "quit":
                break
            else:
                say({"error": f"unknown command {command!r}"})
    return 0


class EmulatorProcess:
    """Start the emulator in a child process; read its counters; stop it.

    ::

        with EmulatorProcess() as emulator:
            emulator.url            # http://127.0.0.1:PORT
            emulator.stats()        # {"connections": N, "requests": [...]}
    """

    def __init__(self) -> None:
        self.url = ""
        self._child: subprocess.Popen[str] | None = None

    def start(self) -> EmulatorProcess:
        self._child = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-m", "bench.emulator_process"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        hello = self._read()
        self.url = hello["url"]
        return self

    def _read(self) -> dict[str, Any]:
        assert self._child is not None and self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process exited")
        return json.loads(line)

    def stats(self) -> dict[str, Any]:
        """Connections accepted so far, and the WeChat calls since the last call."""
        assert self._child is not None and self._child.stdin is not None
        self._child.stdin.write("stats\n")
        self._child.stdin.flush()
        return self._read()

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        try:
            if child.stdin is not None:
                child.stdin.write("quit\n")
                child.stdin.close()
            child.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        finally:
            if child.stdout is not None:
                child.stdout.close()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


if __name__ == "__main__":
    raise SystemExit(serve(sys.stdin, sys.stdout))
