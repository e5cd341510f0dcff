"""gunicorn settings for `make run`: one process of threads serving HTTP and Socket.IO.

Flask-SocketIO in threading mode needs one worker process per server (sticky sessions across several);
scale out by running more of these behind a load balancer, not by raising `workers`.
"""

import gc
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
# More than one worker needs sticky sessions for Socket.IO's long-polling transport.
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
