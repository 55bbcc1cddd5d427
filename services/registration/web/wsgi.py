"""gunicorn entry point: ``gunicorn services.registration.web.wsgi:app``."""
from services.registration.web import create_app

app = create_app()
