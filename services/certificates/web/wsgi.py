"""gunicorn entry point: ``gunicorn services.certificates.web.wsgi:app``."""
from services.certificates.web import create_app

app = create_app()
