"""Ctrl-C stops embedded mode cleanly: the bus is drained, not dropped, and the exit is 0."""
from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.e2e.platform import ROOT, base_env, free_offset, wait_for

pytestmark = pytest.mark.e2e


def test_ctrl_c_stops_embedded_mode_cleanly(tmp_path):
    offset = free_offset()
    log = tmp_path / "platform.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "deploy.embedded"], cwd=ROOT,
                                env=base_env(tmp_path / "data", offset),
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{8000 + offset}/readyz", 90, proc, log)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0, log.read_text(errors="replace")[-4000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    assert "stopped cleanly" in text and "Traceback" not in text, text[-4000:]
