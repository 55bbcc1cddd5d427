"""Gunicorn settings for every Baokao web process (services, gateway, payment sandbox).

Only the app differs between processes; it is the last argument on the command line, e.g.
``gunicorn -c deploy/gunicorn.conf.py services.identity.web.wsgi:app``. Tune with environment
variables: PORT, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_GRACEFUL_TIMEOUT.
"""
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{_int('PORT', 8000)}"
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
timeout = _int("GUNICORN_TIMEOUT", 30)
# Below the pod's terminationGracePeriodSeconds (40 s), so in-flight requests finish on SIGTERM.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Heartbeat files in memory, not on a container's (possibly read-only) overlay filesystem.
worker_tmp_dir = "/dev/shm"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms cid=%({x-correlation-id}o)s'
