"""Start a whole Baokao platform for end-to-end tests, beside anything else on the machine."""
from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_offset() -> int:
    """A port offset at which every port of the platform is free right now.

    Random, so test runs in other checkouts on the same machine (or a `make run`) never
    answer in our place.
    """
    from services.common.config import BASE_PORTS
    rng = random.Random()
    for _ in range(200):
        offset = rng.randrange(20000, 50000, 7)
        try:
            for port in BASE_PORTS.values():
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + offset))
            return offset
        except OSError:
            continue
    raise RuntimeError("no free port range for a test platform")


@dataclass
class RunningPlatform:
    base_url: str
    offset: int
    env: dict
    log: Path
    proxy: object = None  # the TCP proxy between the platform and RabbitMQ (production mode)
    amqp_url: str | None = None  # the broker's own address, for test taps

    def url(self, service: str) -> str:
        from services.common.config import BASE_PORTS
        return f"http://127.0.0.1:{BASE_PORTS[service] + self.offset}"

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_for(url: str, timeout: float, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"platform exited with {proc.returncode}:\n"
                               + (log.read_text(errors="replace")[-4000:] if log else ""))
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def base_env(data_dir: Path, offset: int, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOKAO_")}
    env.update(BAOKAO_DATA_DIR=str(data_dir), BAOKAO_PORT_OFFSET=str(offset),
               PYTHONPATH=str(ROOT), BAOKAO_SANDBOX_TIME_SCALE="0.001", **extra)
    return env
