"""The live layer: production processes (web server, worker.py) on real PostgreSQL and Redis."""
