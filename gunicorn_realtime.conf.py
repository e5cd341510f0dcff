"""gunicorn settings of the real-time process of production mode: Socket.IO only (the front routes
`/socket.io/` here), one gevent worker holding every console's connection on an event loop.

One worker: Socket.IO's long-polling needs every request of a session to reach the process holding it,
and gunicorn cannot route by session. The web workers (gunicorn.conf.py) and worker.py reach these
consoles through the Redis message queue. gunicorn's gevent worker monkey-patches the standard
library before the app is loaded; psycopg 3 (3.1.14 and later) then waits on PostgreSQL cooperatively,
so the connection check's database reads do not stop the loop. See docs/architecture.md, "Serving
sockets", for the measurements behind this shape.
"""

import gc
import os

# Read by the app (app/config.py): Flask-SocketIO on gevent, with simple-websocket for WebSockets.
os.environ["SOCKETIO_ASYNC_MODE"] = "gevent"

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5002')}"
workers = 1
worker_class = "gevent"
# Open connections (consoles, and the front's pooled ones) the worker accepts at once.
worker_connections = int(os.environ.get("REALTIME_CONNECTIONS", "10000"))
wsgi_app = "wsgi:app"
accesslog = None if os.environ.get("ACCESS_LOG") == "off" else "-"
# On SIGTERM, consoles get this long to go before the process stops; they reconnect and resync.
graceful_timeout = 5


def post_worker_init(worker):
    # As in gunicorn.conf.py: what was loaded at start lives as long as the process.
    gc.freeze()
