"""Durable jobs: the runner against a real database of each backend, and a real server whose
timer fires once across a crash and a restart.

The runner tests run `JobRunner` in this process on a throw-away database, with handlers
defined here that record what they did; `email.send` jobs go to a real SMTP server.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, update

from helpline.accounts.models import Agent as AgentRow
from helpline.channels.email.outbound import set_smtp_settings
from helpline.core.clock import utcnow
from helpline.core.db import Database
from helpline.core.jobs import Job, JobRunner, PermanentJobError, enqueue, job_handler, retry_delay
from tests.conftest import PG_URL, Databases
from tests.support.clients import Agent
from tests.support.seed import make_tenant
from tests.support.server import Server
from tests.support.smtp import SmtpServer


@dataclass
class Node:
    """What the runner and the handlers use of `Services`, and a name to tell nodes apart."""

    db: Database
    name: str = "node"


@dataclass
class Run:
    tag: str
    node: str
    attempt: int
    at: datetime


RUNS: list[Run] = []
ACTIVE = {"now": 0, "most": 0}


def runs(tag: str) -> list[Run]:
    return [run for run in RUNS if run.tag == tag]


@job_handler("test.record")
async def record(node: Node, job: Job) -> None:
    RUNS.append(Run(job.payload["tag"], node.name, job.attempts, utcnow()))
    ACTIVE["now"] += 1
    ACTIVE["most"] = max(ACTIVE["most"], ACTIVE["now"])
    try:
        await asyncio.sleep(job.payload.get("seconds", 0))
    finally:
        ACTIVE["now"] -= 1


@job_handler("test.flaky")
async def flaky(node: Node, job: Job) -> None:
    if job.attempts <= job.payload["failures"]:
        raise ConnectionError("temporary trouble")
    RUNS.append(Run(job.payload["tag"], node.name, job.attempts, utcnow()))


@job_handler("test.broken")
async def broken(node: Node, job: Job) -> None:
    RUNS.append(Run(job.payload["tag"], node.name, job.attempts, utcnow()))
    raise PermanentJobError("this can never work")


@job_handler("test.hang_once")
async def hang_once(node: Node, job: Job) -> None:
    """Hangs the first time it runs (until cancelled), returns the next time."""
    RUNS.append(Run(job.payload["tag"], node.name, job.attempts, utcnow()))
    if len(runs(job.payload["tag"])) == 1:
        await asyncio.Event().wait()


@pytest_asyncio.fixture
async def db(backend: str, databases: Databases) -> AsyncIterator[Database]:
    database = Database(databases.new(backend))
    yield database
    await database.dispose()


@asynccontextmanager
async def running(db: Database, name: str = "node", **options: Any) -> AsyncIterator[JobRunner]:
    options = {"poll_interval": 0.1, "backoff": lambda attempts: 0.05, **options}
    runner = JobRunner(Node(db, name), **options)
    runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


async def add(db: Database, kind: str, payload: dict[str, Any] | None = None, **options: Any) -> str:
    tag = uuid.uuid4().hex
    async with db.transaction() as session:
        await enqueue(session, kind=kind, payload={"tag": tag, **(payload or {})}, account_id=None, **options)
    return tag


async def jobs_of(db: Database, tag: str) -> list[Job]:
    async with db.read() as session:
        return [job for job in (await session.scalars(select(Job).order_by(Job.id))).all() if job.payload.get("tag") == tag]


async def settled(db: Database, tag: str, timeout: float = 10.0) -> Job:
    """The job once it is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = await jobs_of(db, tag)
        if jobs and jobs[0].state in ("done", "failed"):
            return jobs[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"job {tag} did not settle: {jobs and jobs[0].state}")
        await asyncio.sleep(0.05)


async def test_a_job_runs_once_soon_after_commit(db: Database) -> None:
    # Polling only once a minute: only the wake-up on commit can make it run this soon.
    async with running(db, poll_interval=60):
        await asyncio.sleep(0.1)  # the runner's first (empty) look is over
        started = time.monotonic()
        tag = await add(db, "test.record")
        job = await settled(db, tag, timeout=2)
        assert time.monotonic() - started < 1
        await asyncio.sleep(0.3)
    assert [run.attempt for run in runs(tag)] == [1]
    assert (job.state, job.attempts, job.locked_until, job.last_error) == ("done", 1, None, None)
    assert job.finished_at is not None


async def test_a_rolled_back_enqueue_leaves_nothing(db: Database) -> None:
    tag = uuid.uuid4().hex
    async with running(db):
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await enqueue(session, kind="test.record", payload={"tag": tag}, account_id=None)
                raise RuntimeError("the change failed")
        await asyncio.sleep(0.3)
    assert await jobs_of(db, tag) == []
    assert runs(tag) == []


async def test_a_transient_failure_is_retried_until_it_succeeds(db: Database) -> None:
    async with running(db):
        tag = await add(db, "test.flaky", {"failures": 2})
        job = await settled(db, tag)
    assert (job.state, job.attempts) == ("done", 3)
    assert [run.attempt for run in runs(tag)] == [3]
    assert job.last_error == "ConnectionError: temporary trouble"  # why it took three tries


async def test_a_permanent_failure_is_not_retried(db: Database) -> None:
    async with running(db):
        tag = await add(db, "test.broken")
        job = await settled(db, tag)
        await asyncio.sleep(0.3)
    assert (job.state, job.attempts, job.last_error) == ("failed", 1, "this can never work")
    assert job.finished_at is not None
    assert len(runs(tag)) == 1


async def test_a_job_fails_after_its_last_attempt(db: Database) -> None:
    async with running(db):
        tag = await add(db, "test.flaky", {"failures": 99}, max_attempts=3)
        job = await settled(db, tag)
    assert (job.state, job.attempts, job.last_error) == ("failed", 3, "ConnectionError: temporary trouble")


async def test_a_job_of_an_unknown_kind_is_retried_then_fails(db: Database) -> None:
    async with running(db):
        tag = await add(db, "test.nobody_handles_this", max_attempts=2)
        job = await settled(db, tag)
    assert (job.state, job.attempts) == ("failed", 2)
    assert "no handler" in (job.last_error or "")


async def test_a_key_makes_one_job(db: Database) -> None:
    key = f"once-{uuid.uuid4().hex}"
    tag = uuid.uuid4().hex
    async with db.transaction() as session:
        for _ in range(2):
            await enqueue(session, kind="test.record", payload={"tag": tag}, account_id=None, key=key)
    async with running(db):
        await settled(db, tag)
        # Once done, the key still counts: a webhook retried a day later does nothing.
        async with db.transaction() as session:
            await enqueue(session, kind="test.record", payload={"tag": tag}, account_id=None, key=key)
        await asyncio.sleep(0.3)
        # Without a key, the same payload twice is two jobs.
        other = uuid.uuid4().hex
        async with db.transaction() as session:
            for _ in range(2):
                await enqueue(session, kind="test.record", payload={"tag": other}, account_id=None)
        await asyncio.sleep(0.5)
    assert len(await jobs_of(db, tag)) == 1 and len(runs(tag)) == 1
    assert len(await jobs_of(db, other)) == 2 and len(runs(other)) == 2


async def test_a_job_due_later_is_a_timer(db: Database) -> None:
    due = utcnow() + timedelta(seconds=1.2)
    async with running(db):
        tag = await add(db, "test.record", due_at=due)
        await asyncio.sleep(0.7)
        assert runs(tag) == []
        await settled(db, tag)
    [run] = runs(tag)
    assert due <= run.at < due + timedelta(seconds=1)


async def test_concurrency_is_bounded(db: Database) -> None:
    ACTIVE["most"] = 0
    async with db.transaction() as session:
        tags = [uuid.uuid4().hex for _ in range(9)]
        for tag in tags:
            await enqueue(session, kind="test.record", payload={"tag": tag, "seconds": 0.15}, account_id=None)
    async with running(db, concurrency=3):
        for tag in tags:
            await settled(db, tag)
    assert ACTIVE["most"] == 3
    assert all(len(runs(tag)) == 1 for tag in tags)


async def test_a_job_left_running_by_a_dead_node_is_claimed_again(db: Database) -> None:
    abandoned, held, exhausted = [await add(db, "test.record") for _ in range(3)]
    past, future = utcnow() - timedelta(seconds=1), utcnow() + timedelta(minutes=5)

    async def claimed_by_someone(tag: str, locked_until: datetime, attempts: int, max_attempts: int = 8) -> None:
        [job] = await jobs_of(db, tag)
        async with db.transaction() as session:
            await session.execute(
                update(Job).where(Job.id == job.id).values(
                    state="running", locked_until=locked_until, attempts=attempts, max_attempts=max_attempts
                )
            )

    await claimed_by_someone(abandoned, past, 1)  # its node died mid-run
    await claimed_by_someone(held, future, 1)  # its node is still at it
    await claimed_by_someone(exhausted, past, 2, max_attempts=2)  # died on its last attempt
    async with running(db):
        job = await settled(db, abandoned)
        gave_up = await settled(db, exhausted)
        await asyncio.sleep(0.3)
    assert (job.state, job.attempts, [run.attempt for run in runs(abandoned)]) == ("done", 2, [2])
    [still_held] = await jobs_of(db, held)
    assert (still_held.state, still_held.attempts, runs(held)) == ("running", 1, [])
    assert (gave_up.state, runs(exhausted)) == ("failed", [])
    assert gave_up.last_error


async def test_stopping_hands_back_an_unfinished_job(db: Database) -> None:
    async with running(db, stop_grace=0.2):
        tag = await add(db, "test.hang_once")
        while not runs(tag):
            await asyncio.sleep(0.02)
    [job] = await jobs_of(db, tag)
    assert (job.state, job.attempts, job.locked_until) == ("pending", 0, None)
    async with running(db):
        job = await settled(db, tag)
    assert (job.state, job.attempts, len(runs(tag))) == ("done", 1, 2)


@pytest.mark.skipif(not PG_URL, reason="needs HELPLINE_TEST_DATABASE_URL")
async def test_two_runners_never_run_the_same_job(databases: Databases) -> None:
    url = databases.new("postgres")
    db_a, db_b = Database(url), Database(url)
    try:
        async with db_a.transaction() as session:
            tags = [uuid.uuid4().hex for _ in range(80)]
            for tag in tags:
                await enqueue(session, kind="test.record", payload={"tag": tag, "seconds": 0.01}, account_id=None)
        async with running(db_a, "a", concurrency=4), running(db_b, "b", concurrency=4):
            for tag in tags:
                await settled(db_a, tag)
        assert all(len(runs(tag)) == 1 for tag in tags)
        nodes = [runs(tag)[0].node for tag in tags]
        assert nodes.count("a") > 0 and nodes.count("b") > 0  # both were claiming at once
    finally:
        await db_a.dispose()
        await db_b.dispose()


def test_retry_delays_grow_with_jitter_up_to_an_hour() -> None:
    assert 4 <= retry_delay(1) <= 6
    assert 8 <= retry_delay(2) <= 12
    assert 2880 <= retry_delay(30) <= 4320
    assert len({retry_delay(3) for _ in range(20)}) > 1


# --- e-mail jobs ------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


async def configure_smtp(db: Database, admin_email: str, smtp: SmtpServer) -> None:
    """Set the account's SMTP settings through the action, as the PUT route does."""
    async with db.transaction() as session:
        admin = await session.scalar(select(AgentRow).where(AgentRow.email == admin_email))
        await set_smtp_settings(session, actor=admin, **smtp.settings())


async def add_email(db: Database, account_id: int, **options: Any) -> str:
    tag = uuid.uuid4().hex
    payload = {
        "tag": tag,
        "to": "Покупатель <customer@example.com>",
        "subject": "Ваш заказ №5",
        "text": "Здравствуйте! Заказ отправлен.\n",
        "message_id": f"<order-5-{tag}@shop.example>",
    }
    async with db.transaction() as session:
        await enqueue(session, kind="email.send", payload=payload, account_id=account_id, **options)
    return tag


async def test_an_email_job_is_retried_after_greylisting(db: Database, smtp: SmtpServer) -> None:
    tenant = await make_tenant(db.url)
    await configure_smtp(db, tenant.admin, smtp)
    smtp.refuse(451, times=1)
    async with running(db):
        tag = await add_email(db, tenant.account_id)
        job = await settled(db, tag)
    assert (job.state, job.attempts) == ("done", 2)
    assert "451" in (job.last_error or "")
    [received] = smtp.received
    assert received.rcpt_tos == ["customer@example.com"]
    assert received.message["Message-ID"] == f"<order-5-{tag}@shop.example>"
    assert received.message["Subject"] == "Ваш заказ №5"
    assert received.message.get_content() == "Здравствуйте! Заказ отправлен.\n"


async def test_an_email_job_fails_on_a_permanent_refusal_or_without_smtp(db: Database, smtp: SmtpServer) -> None:
    unconfigured = await make_tenant(db.url)
    tenant = await make_tenant(db.url)
    await configure_smtp(db, tenant.admin, smtp)
    smtp.refuse(550, times=None, stage="data")
    async with running(db):
        refused = await settled(db, await add_email(db, tenant.account_id))
        nowhere = await settled(db, await add_email(db, unconfigured.account_id))
    assert (refused.state, refused.attempts) == ("failed", 1)
    assert (refused.last_error or "").startswith("550")
    assert (nowhere.state, nowhere.attempts, nowhere.last_error) == ("failed", 1, "SMTP is not configured")
    assert smtp.received == []


async def test_a_timer_fires_once_across_a_crash_and_a_restart(private_server: Server, smtp: SmtpServer) -> None:
    """The real server: an e-mail due in a few seconds, the server killed before then and
    started after; it is sent once, not early, and not again after one more restart."""
    tenant = await make_tenant(private_server.database_url)
    admin = await Agent.login(private_server.url, tenant.admin, tenant.password)
    response = await admin.http.put("/api/v1/account/smtp", json=smtp.settings(), headers={"X-CSRF-Token": admin.csrf})
    assert response.status_code == 200, response.text
    await admin.close()

    db = Database(private_server.database_url)
    try:
        due = utcnow() + timedelta(seconds=3)
        tag = await add_email(db, tenant.account_id, due_at=due, key="reminder-5")
        await asyncio.sleep(1.5)
        assert smtp.received == []  # the running server leaves it until its time
        private_server.stop(kill=True)
        await asyncio.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.5)  # its time passes while down
        private_server.start()
        [received] = await smtp.wait_for(1)
        assert received.at >= due.timestamp()
        assert received.message["Message-ID"] == f"<order-5-{tag}@shop.example>"

        private_server.restart()
        await asyncio.sleep(2.5)  # more than the runner's poll interval
        assert len(smtp.received) == 1
        [job] = await jobs_of(db, tag)
        assert (job.state, job.attempts) == ("done", 1)
    finally:
        await db.dispose()
