"""Per-IP limits on identity's own API (the gateway limits its pages; API clients may call
identity through the API proxy, so identity protects itself too).

A moving window per (bucket, IP) kept in Redis when ``BAOKAO_REDIS_URL`` is set (production:
every identity process and pod counts against the same limit), else in the process's memory
(embedded mode: one process). The per-account lockout and the per-phone code limits are in the
database and exact.
"""
from __future__ import annotations

import logging
import os
import time

from flask import request
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from services.identity.domain.codes import RateLimited

log = logging.getLogger(__name__)

LIMITS = {"sign_in": (60, 60), "sign_up": (20, 60), "codes": (20, 60), "recovery": (30, 60),
          "photo": (30, 60), "service_token": (60, 60),
          "captcha": (60, 60)}  # bucket: (requests, seconds)


def client_ip() -> str:
    """The gateway appends the browser's address to X-Forwarded-For; identity trusts the last
    entry (it is reachable only from the gateway in production)."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded.strip():
        return forwarded.split(",")[-1].strip()[:64]
    return (request.remote_addr or "")[:64]


def user_agent() -> str:
    return (request.headers.get("X-Original-User-Agent") or request.headers.get("User-Agent")
            or "")[:300]


class IpLimiter:
    def __init__(self, limits: dict[str, tuple[int, int]] | None = None,
                 storage_uri: str | None = None):
        self.limits = {b: RateLimitItemPerSecond(count, seconds)
                       for b, (count, seconds) in (limits or LIMITS).items()}
        uri = storage_uri or os.environ.get("BAOKAO_REDIS_URL") or "memory://"
        self.window = MovingWindowRateLimiter(storage_from_string(uri))

    def hit(self, bucket: str, ip: str | None = None) -> None:
        item, ip = self.limits[bucket], ip or client_ip()
        try:
            allowed = self.window.hit(item, "identity", bucket, ip)
        except Exception:  # noqa: BLE001 — Redis down: damping is lost, sign-in must not be
            log.warning("rate-limit store unavailable; %s not limited", bucket, exc_info=True)
            return
        if not allowed:
            reset = self.window.get_window_stats(item, "identity", bucket, ip).reset_time
            raise RateLimited("操作过于频繁，请稍后再试",
                              retry_after=max(1, int(reset - time.time()) + 1))
