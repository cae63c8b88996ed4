"""A real Helpline server in a subprocess, on a free port, against a real database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

TEST_SECRET = "test-secret-key-for-helpline-tests-only"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *, database_url: str, data_dir: Path, port: int | None = None, redis_url: str | None = None) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.port = port or free_port()
        self.redis_url = redis_url
        self.process: subprocess.Popen[bytes] | None = None
        self.extra_env: dict[str, str] = {}  # more HELPLINE_* settings for this server
        self.log_path = data_dir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
        env.update(
            HELPLINE_DATABASE_URL=self.database_url,
            HELPLINE_DATA_DIR=str(self.data_dir),
            HELPLINE_SECRET_KEY=TEST_SECRET,
            HELPLINE_LOG_LEVEL="warning",
            # Short enough for tests to watch agents go offline and answers get e-mailed.
            HELPLINE_PRESENCE_TIMEOUT="6",
            HELPLINE_OFFLINE_EMAIL_DELAY="2",
            # Failed jobs (a channel's API down) are tried again after 0.1 s, 0.2 s ...
            HELPLINE_JOB_RETRY_SCALE="0.02",
        )
        if self.redis_url:
            env["HELPLINE_REDIS_URL"] = self.redis_url
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "helpline", "run", "--port", str(self.port)],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy: {self.log_path.read_text()[-3000:]}")

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server: SIGTERM (graceful) or SIGKILL (a crash)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self, *, kill: bool = False) -> None:
        self.stop(kill=kill)
        self.start()
