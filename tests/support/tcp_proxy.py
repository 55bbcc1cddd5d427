"""A TCP proxy a test controls, to break the network between our code and a real server.

``cut()`` drops every open connection and refuses new ones (accepted, then closed at once)
until ``resume()``; ``blackhole()`` keeps connections open but silently swallows all traffic,
the way a dead NAT or firewall does, so only timeouts can notice it.
"""
from __future__ import annotations

import socket
import threading

FORWARD, REFUSE, BLACKHOLE = "forward", "refuse", "blackhole"


class TcpProxy:
    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5672):
        self.upstream = (upstream_host, upstream_port)
        self.mode = FORWARD
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.accepted = 0
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True, name="tcp-proxy").start()

    def url(self, amqp_url: str) -> str:
        """``amqp_url`` with host and port replaced by this proxy's."""
        from urllib.parse import urlparse
        u = urlparse(amqp_url)
        auth = u.netloc.rsplit("@", 1)[0] + "@" if "@" in u.netloc else ""
        return u._replace(netloc=f"{auth}127.0.0.1:{self.port}").geturl()

    # -- control ----------------------------------------------------------------------------
    def cut(self) -> None:
        """Drop every connection now and refuse new ones until ``resume()``."""
        with self._lock:
            self.mode = REFUSE
            socks, self._socks = list(self._socks), set()
        for s in socks:
            _kill(s)

    def blackhole(self) -> None:
        """Keep connections (and accept new ones) but never forward another byte."""
        with self._lock:
            self.mode = BLACKHOLE

    def resume(self) -> None:
        with self._lock:
            self.mode = FORWARD

    def close(self) -> None:
        self._closed = True
        self.cut()
        _kill(self._listener)

    # -- plumbing ---------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            with self._lock:
                mode = self.mode
            if mode == REFUSE:
                _kill(client)
                continue
            threading.Thread(target=self._serve, args=(client, mode), daemon=True).start()

    def _track(self, *socks: socket.socket) -> bool:
        with self._lock:
            if self.mode == REFUSE:
                return False
            self._socks.update(socks)
            return True

    def _serve(self, client: socket.socket, mode: str) -> None:
        if mode == BLACKHOLE:
            if self._track(client):
                self._pump(client, None)
            else:
                _kill(client)
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
            server.settimeout(None)
        except OSError:
            _kill(client)
            return
        if not self._track(client, server):
            _kill(client)
            _kill(server)
            return
        threading.Thread(target=self._pump, args=(server, client), daemon=True).start()
        self._pump(client, server)

    def _pump(self, src: socket.socket, dst: socket.socket | None) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if dst is not None and self.mode == FORWARD:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            _kill(src)
            if dst is not None:
                _kill(dst)


def _kill(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
