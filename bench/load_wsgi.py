"""The example app as ``bench/load.py`` serves it under gunicorn.

``create_app`` reads ``SECRET_KEY`` and ``WECHAT_*`` from the environment (the
load test points ``WECHAT_OPEN_BASE_URL`` / ``WECHAT_API_BASE_URL`` at its
emulator); the users go to the SQLite file named by ``LOAD_DATABASE``. Every
response says which worker process served it (``X-Worker-Pid``), so the load
test can count sign-ins that began on one worker and finished on another.
"""

from __future__ import annotations

import os

from flask import Response

from example_app import create_app

app = create_app({"DATABASE": os.environ["LOAD_DATABASE"]})


@app.after_request
def worker_pid(response: Response) -> Response:
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response
