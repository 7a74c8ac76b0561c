"""Real processes and servers for tests: start, wait until healthy, SIGTERM or SIGKILL,
read logs; or serve a WSGI app over real HTTP from a thread."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests
from werkzeug.serving import make_server

# Below Linux's ephemeral range (32768-60999 by default): a port the kernel hands out for
# port 0 is also what it picks for the next outgoing connection, so a server started a
# moment later found it taken by, say, a Kafka client's socket ("Address already in use").
_SERVER_PORTS = range(20000, 32768)
# Ports already handed out by this process. A stack asks for twenty-odd ports before any
# server binds one, so a random pick could repeat an earlier pick (CI saw two services given
# the same port: "Address already in use").
_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on or connects from, for a server to bind; never
    the same port twice in one process."""
    with _handed_out_lock:
        for _ in range(200):
            port = random.choice(_SERVER_PORTS)
            if port in _handed_out:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _handed_out.add(port)
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(app: Callable, port: int = 0) -> Iterator[str]:
    """``app`` (any WSGI app) served on 127.0.0.1 from a thread; yields its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def wait_until(condition: Callable[[], object], timeout: float = 30, interval: float = 0.1,
               message: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class ServiceProcess:
    """A child process with its output in a log file."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], log_dir: Path,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.args = list(args)
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}.log"
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def start(self) -> ServiceProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the child's lifetime)
        self.process = subprocess.Popen(
            self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.cwd,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self, url: str, timeout: float = 60) -> None:
        def healthy() -> bool:
            if not self.running():
                raise RuntimeError(f"{self.name} exited early:\n{self.logs()[-4000:]}")
            try:
                return requests.get(url, timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout, 0.2, f"{self.name} at {url}")

    def wait_exit(self, timeout: float = 60) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then wait; SIGKILL only if it does not stop in time."""
        if not self.running():
            return self.process.returncode if self.process else 0
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.running():
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
