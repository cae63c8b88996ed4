"""Memory per idle widget connection.

Opens N widget connections (each its own visitor: a session, a WebSocket, `hello`), lets
them sit idle, and reports the server's RSS growth per connection. Budget (DESIGN.md):
10,000 connections at ≤ 40 KB each.

    python bench/connections.py --connections 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx
import websockets
from _support import Target, emit, machine, raise_fd_limit, rss_kb, start_own_server

BASELINE = 200


async def open_visitor(http: httpx.AsyncClient, ws_base: str, site_key: str):
    session = (await http.post("/api/widget/v1/session", json={"site_key": site_key})).json()
    ws = await websockets.connect(f"{ws_base}/ws/widget", max_size=2**16, compression=None, ping_interval=None)
    await ws.send(json.dumps({"type": "hello", "token": session["visitor_token"], "cursors": {}}))
    frame = json.loads(await ws.recv())
    assert frame["type"] == "welcome", frame
    return ws


async def open_many(target: Target, count: int, batch: int = 100) -> list:
    ws_base = target.url.replace("http", "ws", 1)
    sockets = []
    async with httpx.AsyncClient(base_url=target.url, limits=httpx.Limits(max_connections=batch, max_keepalive_connections=0), timeout=120) as http:
        for start in range(0, count, batch):
            sockets += await asyncio.gather(
                *(open_visitor(http, ws_base, target.site_key) for _ in range(min(batch, count - start)))
            )
    return sockets


async def run(target: Target, connections: int, settle: float) -> dict:
    assert target.pid is not None, "needs its own server to read its memory"
    first = await open_many(target, BASELINE)
    await asyncio.sleep(settle)
    rss_base = rss_kb(target.pid)
    began = time.perf_counter()
    rest = await open_many(target, connections - BASELINE)
    open_seconds = time.perf_counter() - began
    await asyncio.sleep(settle)
    rss_full = rss_kb(target.pid)
    # still alive? every connection answers a ping
    alive = 0
    for ws in (first + rest)[:: max(1, connections // 200)]:
        await ws.send(json.dumps({"type": "ping"}))
        if json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong":
            alive += 1
    for ws in first + rest:
        await ws.close()
    per_connection = (rss_full - rss_base) * 1024 / (connections - BASELINE)
    return {
        "benchmark": "connections",
        "machine": machine(),
        "connections": connections,
        "server_rss_mb": {"with_%d" % BASELINE: round(rss_base / 1024, 1), "with_all": round(rss_full / 1024, 1)},
        "bytes_per_connection": round(per_connection),
        "kb_per_connection": round(per_connection / 1024, 1),
        "connections_per_second": round((connections - BASELINE) / open_seconds, 1),
        "sampled_alive": alive,
        "budget_kb_per_connection": 40,
        "within_budget": per_connection <= 40 * 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before reading RSS")
    args = parser.parse_args()
    if args.connections <= BASELINE:
        parser.error(f"--connections must be more than {BASELINE}")
    raise_fd_limit()
    target = start_own_server(agents=1)
    try:
        emit(asyncio.run(run(target, args.connections, args.settle)))
    finally:
        target.stop()


if __name__ == "__main__":
    main()
