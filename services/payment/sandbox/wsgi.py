"""``gunicorn services.payment.sandbox.wsgi:app`` (port 8106; one worker: notifications run in-process)."""
from services.payment.sandbox.app import create_app

app = create_app()
