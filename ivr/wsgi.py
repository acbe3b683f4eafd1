"""WSGI entry point for gunicorn: `gunicorn ivr.wsgi:app` (the app is built only when this is imported)."""
from ivr import create_app

app = create_app()
