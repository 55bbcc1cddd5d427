"""gunicorn entry point: ``gunicorn services.payment.web.wsgi:app``."""
from services.payment.web import create_app

app = create_app()
