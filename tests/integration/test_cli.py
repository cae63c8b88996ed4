"""The `helpline` command line: migrate and create-admin against a real database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.server import Server


def helpline(*args: str, data_dir: Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helpline", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, input=input, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HELPLINE_LOG_LEVEL": "warning"},
    )


def test_create_admin_then_log_in(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    migrated = helpline("migrate", data_dir=data_dir)
    assert migrated.returncode == 0, migrated.stderr
    assert (data_dir / "helpline.db").exists()

    created = helpline("create-admin", "--email", "Boss@Example.com", "--name", "Босс", "--account", "Acme",
                       "--password", "long-secret-pw", data_dir=data_dir)
    assert created.returncode == 0, created.stdout + created.stderr
    assert "boss@example.com" in created.stdout

    again = helpline("create-admin", "--email", "boss@example.com", "--password", "long-secret-pw", data_dir=data_dir)
    assert again.returncode == 1 and "already exists" in again.stdout
    short = helpline("create-admin", "--email", "x@example.com", "--password", "short", data_dir=data_dir)
    assert short.returncode == 2

    server = Server(database_url=f"sqlite+aiosqlite:///{data_dir / 'helpline.db'}", data_dir=data_dir)
    server.start()
    try:
        login = httpx.post(f"{server.url}/api/v1/auth/login", json={"email": "boss@example.com", "password": "long-secret-pw"})
        assert login.status_code == 200 and login.json()["agent"]["role"] == "admin"
    finally:
        server.stop()
