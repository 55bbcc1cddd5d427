"""gunicorn entry point: ``gunicorn services.identity.web.wsgi:app``."""
from services.identity.web import create_app

app = create_app()
