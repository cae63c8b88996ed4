"""Durable jobs: the outbox of side effects (send an e-mail, call a channel API, fire a
webhook, a timer), written in the transaction of the change that causes them and run
after commit by a runner on every node, with retries and back-off.

- `enqueue()` adds a job inside the caller's transaction, so the side effect happens if and
  only if the change that asked for it was committed. A job with a future `due_at` is a
  timer; since it is a row, it fires after a restart too.
- `@job_handler(kind)` registers the coroutine that performs jobs of one kind.
- `JobRunner` (one per node, started by the app) claims due jobs in a short transaction,
  runs their handlers outside any transaction (no network I/O while holding row locks or
  SQLite's write lock), and records the outcome in another short transaction.

Delivery is at least once. A node that dies while running a job leaves it `running` with a
lease (`locked_until`) in the past, and some node claims it again; a handler that was
interrupted after its side effect but before its outcome was recorded therefore runs twice.
Handlers must be idempotent: send with a stable id (a Message-ID, an idempotency key) the
receiver can de-duplicate by, or check before acting.

A finished job keeps its row: `state` done or failed, `attempts`, `finished_at`, and
`last_error` (kept after a success too: it tells why a job needed several tries).
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Index, String, Text, and_, event, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from helpline.core.base import Base, BigId
from helpline.core.clock import utcnow

if TYPE_CHECKING:
    from helpline.core.db import Database
    from helpline.core.runtime import Services

log = logging.getLogger(__name__)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Idempotency: a second job with the same key is not created.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|done|failed
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    due_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class PermanentJobError(Exception):
    """Raised by a handler when trying again cannot help (a bad payload, a mail server's 5xx
    reply, a deleted account): the job fails at once, with this message as `last_error`."""


class RetryJobLater(Exception):
    """Raised by a handler when the other side said when to try again (a 429 with
    retry_after): the next attempt is not sooner than `delay` seconds."""

    def __init__(self, message: str, delay: float) -> None:
        super().__init__(message)
        self.delay = delay


JobHandler = Callable[[Any, Job], Awaitable[None]]
_HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register `async def handler(services, job)` for jobs of `kind`.

    The handler runs outside any transaction and opens its own (`services.db.transaction()`)
    for what it writes. It must be idempotent (see the module docstring). Raising
    `PermanentJobError` fails the job; any other exception retries it with back-off.
    """

    def register(handler: JobHandler) -> JobHandler:
        if _HANDLERS.get(kind, handler) is not handler:
            raise ValueError(f"job kind {kind!r} already has a handler")
        _HANDLERS[kind] = handler
        return handler

    return register


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try: 5 s, 10 s, 20 s ... at most an
    hour, ±20 % so that jobs that failed together (a mail server was down) spread out."""
    return min(3600.0, 5.0 * 2 ** min(attempts - 1, 20)) * random.uniform(0.8, 1.2)


# --- Enqueueing ---------------------------------------------------------------------------

_WAKE_KEY = "helpline.jobs.wake"
# Runners of this process, woken when a transaction that enqueued a job commits; other nodes
# find the job at their next poll.
_LOCAL_RUNNERS: weakref.WeakSet[JobRunner] = weakref.WeakSet()


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    account_id: int | None,
    due_at: datetime | None = None,
    key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Add a job to the current transaction; it runs after commit, at `due_at` or at once.

    With `key`, a job with the same key that exists already (in any state) wins and nothing
    is added, so a retried request or webhook does not repeat its side effect.
    """
    now = utcnow()
    values = {
        "account_id": account_id,
        "kind": kind,
        "payload": payload,
        "key": key,
        "state": "pending",
        "attempts": 0,
        "max_attempts": max_attempts,
        "due_at": due_at or now,
        "created_at": now,
    }
    dialect_insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(Job).values(values)
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
    await session.execute(statement)
    if not session.info.get(_WAKE_KEY):
        # Listening on this one session instance: only transactions that enqueue pay for it.
        session.info[_WAKE_KEY] = True
        event.listen(session.sync_session, "after_commit", _wake_local_runners, once=True)


def _wake_local_runners(_session: Any) -> None:
    for runner in list(_LOCAL_RUNNERS):
        runner.wake()


# --- The runner -----------------------------------------------------------------------------


class JobRunner:
    """Runs due jobs on this node, at most `concurrency` at a time.

    `services` is what handlers receive; the runner itself uses only `services.db` (so tests
    may pass a small stand-in). It polls
    every `poll_interval` seconds (so timers fire within that of their time, and jobs other
    nodes enqueued are found) and is woken at once when this process commits a job.

    A claim leases the job for `lease` seconds; a handler still running after most of it is
    cancelled and retried, so no other node reclaims a job that is still being worked on.
    """

    def __init__(
        self,
        services: Services,
        *,
        concurrency: int = 4,
        poll_interval: float = 1.0,
        lease: float = 300.0,
        stop_grace: float = 5.0,
        backoff: Callable[[int], float] = retry_delay,
    ) -> None:
        self.services = services
        self.db: Database = services.db
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease = lease
        self.stop_grace = stop_grace
        self.backoff = backoff
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="job-runner")
        _LOCAL_RUNNERS.add(self)

    def wake(self) -> None:
        """Look for due jobs now rather than at the next poll (call on the runner's loop)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop claiming; give running jobs `stop_grace` seconds, then hand the rest back.

        Call before the database is disposed: handing a job back is a write.
        """
        _LOCAL_RUNNERS.discard(self)
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            # Not cancelled: a claim in progress finishes (and its jobs start) rather than
            # being cut off between the database's commit and our bookkeeping.
            await self._loop_task
            self._loop_task = None
        if self._running:
            _done, unfinished = await asyncio.wait(self._running, timeout=self.stop_grace)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before claiming, so a wake during the claim is not lost
            free = self.concurrency - len(self._running)
            if free > 0:
                try:
                    for job in await self._claim(free):
                        self._spawn(job)
                except Exception:
                    log.exception("claiming jobs failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            except TimeoutError:
                pass

    def _spawn(self, job: Job) -> None:
        task = asyncio.create_task(self._execute(job), name=f"job-{job.id}-{job.kind}")
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free: there may be more due jobs waiting for one

    async def _claim(self, limit: int) -> list[Job]:
        """Mark up to `limit` due jobs `running` under a lease and return them.

        Due: pending with `due_at` reached, or running with its lease run out (the node
        that claimed it died). The attempt is counted here, at the claim, so a job that
        kills its process every time still runs out of attempts.
        """
        now = utcnow()
        due = or_(
            and_(Job.state == "pending", Job.due_at <= now),
            and_(Job.state == "running", Job.locked_until <= now),
        )
        if self.db.is_sqlite:
            # The claim would take SQLite's one write lock, which chat messages queue on;
            # a read tells (without it) whether there is anything to claim at all.
            async with self.db.read() as session:
                if await session.scalar(select(Job.id).where(due).limit(1)) is None:
                    return []
        # SKIP LOCKED: nodes claiming at the same time take different jobs and never wait
        # for each other. SQLite has one writer and renders no FOR UPDATE.
        candidates = select(Job.id).where(due).order_by(Job.due_at, Job.id).limit(limit)
        claim = (
            update(Job)
            .where(Job.id.in_(candidates.with_for_update(skip_locked=True)))
            .values(state="running", attempts=Job.attempts + 1, locked_until=now + timedelta(seconds=self.lease))
            .returning(Job)
            .execution_options(synchronize_session=False)
        )
        async with self.db.transaction() as session:
            return list((await session.scalars(claim)).all())

    async def _execute(self, job: Job) -> None:
        if job.attempts > job.max_attempts:
            # Claimed again after its lease ran out on the last allowed attempt: the node
            # died while running it, every time. Do not run it once more.
            await self._record(job, state="failed", error=job.last_error or "stopped while running, too often")
            return
        handler = _HANDLERS.get(job.kind)
        try:
            if handler is None:
                # Retried, not failed: during a rolling upgrade a newer node may know it.
                raise LookupError(f"no handler for job kind {job.kind!r}")
            async with asyncio.timeout(self.lease * 0.8):
                await handler(self.services, job)
        except asyncio.CancelledError:
            await self._hand_back(job)
            raise
        except PermanentJobError as error:
            await self._record(job, state="failed", error=_describe(error))
        except Exception as error:
            log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, _describe(error))
            if job.attempts >= job.max_attempts:
                await self._record(job, state="failed", error=_describe(error))
            else:
                delay = self.backoff(job.attempts)
                if isinstance(error, RetryJobLater):
                    delay = max(delay, error.delay) if error.delay > 0 else delay
                retry_at = utcnow() + timedelta(seconds=delay)
                await self._record(job, state="pending", error=_describe(error), due_at=retry_at)
        else:
            await self._record(job, state="done")

    async def _record(self, job: Job, *, state: str, error: str | None = None, due_at: datetime | None = None) -> None:
        """Write the outcome of the attempt this runner claimed, and only that attempt.

        If the lease ran out and another node claimed the job meanwhile (attempts moved on),
        that node's outcome is the one that counts. A failure to write is logged; the job
        stays `running` and is claimed again when its lease runs out.
        """
        values: dict[str, Any] = {"state": state, "locked_until": None}
        if error is not None:
            values["last_error"] = error
        if due_at is not None:
            values["due_at"] = due_at
        if state in ("done", "failed"):
            values["finished_at"] = utcnow()
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.state == "running", Job.attempts == job.attempts)
                    .values(values)
                    .execution_options(synchronize_session=False)
                )
        except Exception:
            log.exception("recording the outcome of job %s failed", job.id)

    async def _hand_back(self, job: Job) -> None:
        """The runner is stopping and the job did not finish: make it due again at once,
        without counting the attempt (it was not the job's fault)."""
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.state == "running", Job.attempts == job.attempts)
                    .values(state="pending", attempts=Job.attempts - 1, locked_until=None, due_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
        except Exception:
            # It stays `running` and is claimed again when its lease runs out.
            log.exception("handing back job %s failed", job.id)


def _describe(error: BaseException) -> str:
    """`last_error`: a permanent failure's own words, otherwise the kind of error too."""
    if isinstance(error, PermanentJobError):
        text = str(error)
    else:
        detail = str(error) or ("timed out" if isinstance(error, TimeoutError) else "")
        text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return text[:2000]
