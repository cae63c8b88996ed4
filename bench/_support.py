"""Shared pieces of the benchmarks: an own server on a free port, a seeded tenant, RSS."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1_048_576
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    return target


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Target:
    url: str
    site_key: str
    agent_emails: list[str]
    password: str
    pid: int | None = None
    process: subprocess.Popen[bytes] | None = None
    data_dir: Path | None = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def start_own_server(
    agents: int,
    extra_env: dict[str, str] | None = None,
    *,
    database_url: str | None = None,
    prepare: Callable[[str, Any], None] | None = None,
) -> Target:
    """Migrate a fresh database (SQLite in a temporary directory, or the empty PostgreSQL
    database `database_url`), seed a tenant, let `prepare(url, tenant)` fill it, start
    `helpline run` on a free port."""
    from helpline.core.migrate import migrate
    from tests.support.seed import make_tenant
    from tests.support.server import TEST_SECRET, free_port

    data_dir = Path(tempfile.mkdtemp(prefix="helpline-bench-"))
    url = database_url or f"sqlite+aiosqlite:///{data_dir / 'helpline.db'}"
    migrate(url)
    tenant = asyncio.run(make_tenant(url, agents=agents))
    if prepare is not None:
        prepare(url, tenant)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    env.update(HELPLINE_DATABASE_URL=url, HELPLINE_DATA_DIR=str(data_dir), HELPLINE_SECRET_KEY=TEST_SECRET,
               HELPLINE_LOG_LEVEL="warning", **(extra_env or {}))
    process = subprocess.Popen(
        [sys.executable, "-m", "helpline", "run", "--port", str(port)],
        env=env, stdout=open(data_dir / "server.log", "wb"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError((data_dir / "server.log").read_text())
    return Target(base, tenant.site_key, tenant.agents, tenant.password, pid=process.pid, process=process, data_dir=data_dir)


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"


def emit(result: dict) -> None:
    print(json.dumps(result, ensure_ascii=False))
