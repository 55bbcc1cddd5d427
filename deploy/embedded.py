"""Embedded mode: the whole platform in one process (``make run``).

Every service with its worker, the sandbox payment provider and the gateway, on SQLite files in
one data directory and the in-process bus. Each app still listens on its own port and the
gateway still reaches the services over HTTP, exactly as in production.
"""
from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from pathlib import Path

from werkzeug.serving import make_server

from services.common.bus.memory import InMemoryBus
from services.common.config import PORTS, SERVICES, Settings
from services.common.runtime import WorkerHandle, default_bus

log = logging.getLogger("baokao")


class Platform:
    def __init__(self, data_dir: Path, host: str = "127.0.0.1"):
        os.environ.setdefault("BAOKAO_DATA_DIR", str(data_dir))
        self.data_dir = data_dir
        self.host = host
        self.runtimes: dict[str, object] = {}
        self.workers: list[WorkerHandle] = []
        self.servers: list = []
        self.bus: InMemoryBus | None = None
        self.accounts: list[tuple[str, str, str]] = []

    def build(self) -> None:
        self.bus = bus = default_bus(Settings("gateway", data_dir=self.data_dir))
        for name in SERVICES:
            bootstrap = importlib.import_module(f"services.{name}.bootstrap").bootstrap
            self.runtimes[name] = bootstrap(Settings(name, data_dir=self.data_dir), transport=bus)
        self.accounts = importlib.import_module("services.identity.demo").seed(
            self.runtimes["identity"])
        # Subscribe every handler before any relay publishes, so no event finds no queue.
        self.workers = [WorkerHandle(rt).start(relay=False, jobs=False)
                        for rt in self.runtimes.values()]
        for w in self.workers:
            w.start(consume=False)

    def apps(self) -> list[tuple[str, int, object]]:
        apps = []
        for name, rt in self.runtimes.items():
            web = importlib.import_module(f"services.{name}.web")
            apps.append((name, PORTS[name], web.create_app(rt)))
        sandbox = importlib.import_module("services.payment.sandbox.app")
        apps.append(("sandbox", PORTS["sandbox"], sandbox.create_app()))
        from gateway import create_app
        apps.append(("gateway", PORTS["gateway"], create_app()))
        return apps

    def serve(self) -> None:
        for name, port, app in self.apps():
            server = make_server(self.host, port, app, threaded=True)
            t = threading.Thread(target=server.serve_forever, name=f"http-{name}", daemon=True)
            t.start()
            self.servers.append(server)
            log.info("%s listening on http://%s:%d", name, self.host, port)

    def stop(self, timeout: float = 10.0) -> int:
        """Stop without losing an event; return how many were not handled (parked for replay).

        The in-process bus holds events whose outbox rows are already marked sent, so it is
        drained, not dropped: first nothing new comes in (web servers, relays, jobs), then the
        relays publish what is committed once more, then the bus handles what it holds (up to
        ``timeout``; what waits for a retry is parked for replay). Events handlers emit
        meanwhile stay in their outbox and go out after the restart.
        """
        for server in self.servers:
            server.shutdown()
        for w in self.workers:
            w.stop()
        for w in self.workers:
            try:
                w.runtime.relay.drain()
            except Exception:  # noqa: BLE001 - unsent rows stay in the outbox for the restart
                log.exception("%s: last relay round failed", w.runtime.name)
        return self.bus.shutdown(timeout) if self.bus else 0


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stop = threading.Event()  # Ctrl-C while starting stops cleanly too, once started

    def on_signal(*_) -> None:
        if stop.is_set():
            os._exit(130)  # a second Ctrl-C: quit now, without the clean stop
        stop.set()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    data_dir = Path(os.environ.get("BAOKAO_DATA_DIR", "var/embedded")).resolve()
    platform = Platform(data_dir)
    platform.build()
    platform.serve()
    print(f"\n报考 Baokao is running (embedded mode): http://127.0.0.1:{PORTS['gateway']}", flush=True)
    print(f"Data: {data_dir} (SQLite files), in-process event bus.\n")
    print("Demo accounts (user name / password / role):")
    for username, password, roles in platform.accounts:
        print(f"  {username:<16} {password:<14} {roles}")
    from services.identity.demo import DEMO_TOTP_SECRET
    print(f"\nStaff accounts need a TOTP code (two-factor): add the demo secret {DEMO_TOTP_SECRET}"
          "\nto an authenticator app, or run: .venv/bin/python -m services.identity.cli totp-code")
    print("\nPress Ctrl-C to stop.", flush=True)
    stop.wait()
    print("Stopping…", flush=True)
    unhandled = platform.stop()
    if unhandled:
        log.warning("stopped; %d event(s) not handled in time were parked as dead letters "
                    "(replay them from the dead-letter pages after the restart)", unhandled)
    else:
        log.info("stopped cleanly: every event in flight was handled")


if __name__ == "__main__":
    main()
