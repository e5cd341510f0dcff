"""gunicorn settings for `make run`: one process of threads serving HTTP and Socket.IO.

Flask-SocketIO in threading mode needs one worker process per server (sticky sessions across several);
scale out by running more of these behind a load balancer, not by raising `workers`.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
# More than one worker needs sticky sessions for Socket.IO's long-polling transport.
workers = int(os.environ.get("WEB_WORKERS", "1"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "32"))
wsgi_app = "wsgi:app"
accesslog = None if os.environ.get("ACCESS_LOG") == "off" else "-"


def post_worker_init(worker):
    """Embedded mode has no worker.py: drain the in-process queue on a thread of this process."""
    app = worker.wsgi
    if not app.config["REDIS_URL"]:
        from app.queue import start_embedded_worker

        start_embedded_worker(app)
