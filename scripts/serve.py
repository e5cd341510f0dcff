"""`make run`: migrate, load demo data into an empty database, then serve (and work jobs).

Embedded (nothing configured): gunicorn serves the app and an in-process worker thread runs the jobs.
With `REDIS_URL` set, `worker.py` runs beside the web process and both share Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def flask(*args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, check=True)


def main() -> int:
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    # Links in e-mails (the demo's mail log included) lead to the server being started, unless the
    # public address is configured.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
    flask("db", "upgrade")
    flask("demo", "load")
    mode = "with worker.py on Redis" if os.environ.get("REDIS_URL") else "embedded"
    print(f"Switchboard ({mode}) on http://{host}:{port}  (API docs: /api/v1/docs)", flush=True)

    children = []
    if os.environ.get("REDIS_URL"):
        children.append(subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT))
    web = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT)
    children.append(web)

    def stop(*_):
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        return web.wait()
    finally:
        stop()
        for child in children:
            child.wait()


if __name__ == "__main__":
    raise SystemExit(main())
