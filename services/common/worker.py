"""Entry point body shared by every ``python -m services.<name>.worker`` process."""
from __future__ import annotations

import logging
import signal
import threading

from services.common.runtime import WorkerHandle


def run_forever(runtime) -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    handle = WorkerHandle(runtime).start()
    logging.getLogger(__name__).info("%s worker started (%d handlers)", runtime.name,
                                     len(runtime.handlers))
    stop.wait()
    handle.stop()
