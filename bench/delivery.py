"""Visitor → agent delivery latency under load, over real WebSockets.

N visitors and M agents connect; the visitors send R messages per second in all, for S
seconds; every agent receives every message as a `message.created` event. Reports throughput,
p50 / p99 / max latency from a visitor's send to an agent's receipt, the server's RSS, and
whether every acknowledged message is stored. Budget (DESIGN.md): 1,000 visitors at 500
messages/s with p99 ≤ 50 ms on one node with SQLite.

    python bench/delivery.py --visitors 1000 --agents 2 --rate 500 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
import uuid

import httpx
import websockets
from _support import Target, cpu_seconds, emit, machine, raise_fd_limit, rss_kb, start_own_server


async def open_visitor(http: httpx.AsyncClient, ws_base: str, site_key: str):
    session = (await http.post("/api/widget/v1/session", json={"site_key": site_key})).json()
    ws = await websockets.connect(f"{ws_base}/ws/widget", max_size=2**20, compression=None)
    await ws.send(json.dumps({"type": "hello", "token": session["visitor_token"], "cursors": {}}))
    assert json.loads(await ws.recv())["type"] == "welcome"
    return ws


async def open_agent(base: str, email: str, password: str):
    http = httpx.AsyncClient(base_url=base)
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    login.raise_for_status()
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    ws = await websockets.connect(
        base.replace("http", "ws", 1) + "/ws/console",
        additional_headers={"Cookie": cookie, "Origin": base}, max_size=2**22, compression=None,
    )
    await ws.send(json.dumps({"type": "hello", "last_event_id": None}))
    assert json.loads(await ws.recv())["type"] == "welcome"
    return http, ws


async def run(target: Target, visitors: int, agents: int, rate: float, seconds: float) -> dict:
    ws_base = target.url.replace("http", "ws", 1)
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=target.url, limits=limits, timeout=60) as http:
        sockets = []
        for start in range(0, visitors, 50):
            sockets += await asyncio.gather(
                *(open_visitor(http, ws_base, target.site_key) for _ in range(min(50, visitors - start)))
            )
    agent_clients = [await open_agent(target.url, target.agent_emails[i % len(target.agent_emails)], target.password) for i in range(agents)]

    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    ack_latencies: list[float] = []
    received: dict[int, int] = {i: 0 for i in range(agents)}
    acked = 0
    errors: list[str] = []
    total = int(rate * seconds)
    done = asyncio.Event()

    async def agent_reader(index: int, ws) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "event" and frame.get("event") == "message.created":
                client_id = frame["data"]["message"]["client_id"]
                started = sent_at.get(client_id)
                if started is not None:
                    latencies.append(time.perf_counter() - started)
                    received[index] += 1
                    if all(count >= total for count in received.values()):
                        done.set()

    async def visitor_reader(ws) -> None:
        nonlocal acked
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "ack":
                acked += 1
                started = sent_at.get(frame["client_id"])
                if started is not None:
                    ack_latencies.append(time.perf_counter() - started)
            elif frame.get("type") == "error":
                errors.append(frame.get("code", "?"))

    readers = [asyncio.create_task(agent_reader(i, ws)) for i, (_, ws) in enumerate(agent_clients)]
    readers += [asyncio.create_task(visitor_reader(ws)) for ws in sockets]
    rss_before = rss_kb(target.pid) if target.pid else None
    cpu_before = cpu_seconds(target.pid) if target.pid else None

    # The measuring client must not pause to collect garbage mid-run (it would count its own
    # pauses as delivery latency); it allocates little and exits soon after.
    gc.collect()
    gc.disable()
    interval = 1.0 / rate
    began = time.perf_counter()
    for n in range(total):
        delay = began + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        client_id = uuid.uuid4().hex
        sent_at[client_id] = time.perf_counter()
        await sockets[n % visitors].send(json.dumps({"type": "message.send", "client_id": client_id, "body": f"message {n}"}))
    send_seconds = time.perf_counter() - began
    try:
        await asyncio.wait_for(done.wait(), timeout=30)
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - began
    gc.enable()
    rss_after = rss_kb(target.pid) if target.pid else None
    cpu_used = cpu_seconds(target.pid) - cpu_before if target.pid and cpu_before is not None else None

    # every acknowledged message must be stored: count seqs over all conversations
    http, _ = agent_clients[0]
    stored = 0
    before = None
    while True:
        params = {"view": "all", "status": "all", "limit": 200}
        if before:
            params["before"] = before
        page = (await http.get("/api/v1/conversations", params=params)).json()
        stored += sum(c["last_seq"] for c in page["conversations"])
        before = page["next_before"]
        if not before:
            break
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    for http_client, ws in agent_clients:
        await ws.close()
        await http_client.aclose()

    ordered = sorted(latencies)

    def pct(p: float, values: list[float] = ordered) -> float | None:
        return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 2) if values else None

    acks = sorted(ack_latencies)

    return {
        "benchmark": "delivery",
        "machine": machine(),
        "visitors": visitors,
        "agents": agents,
        "target_rate": rate,
        "seconds": seconds,
        "sent": total,
        "acked": acked,
        "stored": stored,
        "every_message_stored": stored == total and acked == total,
        "deliveries": len(latencies),
        "expected_deliveries": total * agents,
        "messages_per_second": round(total / send_seconds, 1),
        "latency_ms": {"p50": pct(0.50), "p99": pct(0.99), "max": round(ordered[-1] * 1000, 2) if ordered else None,
                        "mean": round(statistics.fmean(ordered) * 1000, 2) if ordered else None},
        "ack_latency_ms": {"p50": pct(0.50, acks), "p99": pct(0.99, acks)},
        "server_cpu_ms_per_message": round(cpu_used / total * 1000, 3) if cpu_used is not None else None,
        "elapsed_seconds": round(elapsed, 2),
        "errors": sorted(set(errors)),
        "server_rss_mb": {"before": round(rss_before / 1024, 1) if rss_before else None,
                          "after": round(rss_after / 1024, 1) if rss_after else None},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--url", help="an already running server (then also --site-key, --agent-email, --password)")
    parser.add_argument("--site-key")
    parser.add_argument("--agent-email", action="append")
    parser.add_argument("--password")
    args = parser.parse_args()
    raise_fd_limit()
    if args.url:
        target = Target(args.url.rstrip("/"), args.site_key, args.agent_email or [], args.password)
    else:
        target = start_own_server(agents=max(args.agents, 1))
    try:
        try:
            import uvloop
            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        emit(runner(run(target, args.visitors, args.agents, args.rate, args.seconds)))
    finally:
        target.stop()


if __name__ == "__main__":
    main()
