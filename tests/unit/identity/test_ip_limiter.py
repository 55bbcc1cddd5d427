"""Identity's per-IP limits: a moving window, shared by every process through Redis when one is
configured, and open (logged) when the store is down rather than refusing every sign-in."""
from __future__ import annotations

import socket
import uuid

import pytest

from services.identity.domain.codes import RateLimited
from services.identity.web.ratelimit import IpLimiter

REDIS = "redis://127.0.0.1:6379/14"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_the_limit_refuses_the_next_request_with_a_retry_after():
    limiter = IpLimiter({"sign_in": (3, 60)}, storage_uri="memory://")
    for _ in range(3):
        limiter.hit("sign_in", "10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("sign_in", "10.0.0.1")
    assert 1 <= refused.value.retry_after <= 61
    limiter.hit("sign_in", "10.0.0.2")  # another address has its own window


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379 (production-only store)")
def test_processes_sharing_redis_share_one_limit():
    ip = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    first, second = (IpLimiter({"sign_in": (4, 60)}, storage_uri=REDIS) for _ in range(2))
    first.hit("sign_in", ip)
    first.hit("sign_in", ip)
    second.hit("sign_in", ip)
    second.hit("sign_in", ip)
    with pytest.raises(RateLimited):
        first.hit("sign_in", ip)  # four hits counted across both "processes"


def test_a_store_that_is_down_lets_requests_through(caplog):
    limiter = IpLimiter({"sign_in": (1, 60)}, storage_uri="redis://127.0.0.1:9/0")
    limiter.hit("sign_in", "10.0.0.3")
    limiter.hit("sign_in", "10.0.0.3")
    assert "rate-limit store unavailable" in caplog.text
