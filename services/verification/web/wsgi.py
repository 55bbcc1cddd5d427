"""gunicorn entry point: ``gunicorn services.verification.web.wsgi:app``."""
from services.verification.web import create_app

app = create_app()
