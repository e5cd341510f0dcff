"""The web entry point: `gunicorn wsgi:app` (see gunicorn.conf.py) and `flask --app wsgi ...`."""

from app import create_app

app = create_app()
