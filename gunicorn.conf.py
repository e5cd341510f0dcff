"""gunicorn settings of the web process of `make run` (scripts/serve.py), gthread workers.

Embedded mode (and production without a front): one worker of WEB_THREADS threads serving HTTP and
Socket.IO, as long-polling needs every request of a session in one process. Production mode behind the
front: WEB_WORKERS workers serving pages and the API only (scripts/serve.py sets them; the front sends
`/socket.io/` to the real-time process of gunicorn_realtime.conf.py).
"""

import gc
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
# More than one only behind the front, which keeps Socket.IO's long-polling off these workers.
workers = int(os.environ.get("WEB_WORKERS", "1"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "32"))
wsgi_app = "wsgi:app"
accesslog = None if os.environ.get("ACCESS_LOG") == "off" else "-"


def post_worker_init(worker):
    """Set the loaded worker up for serving; in embedded mode, which has no worker.py, drain the
    in-process queue on a thread of this process."""
    # Everything loaded so far (the app, SQLAlchemy's mappers, phone-number metadata, catalogs) lives as
    # long as the process: frozen, the cycle collector stops walking it again at every full collection,
    # a pause of milliseconds in the middle of whichever request triggered it.
    gc.freeze()
    app = worker.wsgi
    if not app.config["REDIS_URL"]:
        from app.queue import start_embedded_worker

        start_embedded_worker(app)
