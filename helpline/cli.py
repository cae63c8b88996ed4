"""The `helpline` command: serve, seed the demo, migrate, create an admin."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from helpline.settings import Settings

app = typer.Typer(help="Helpline: one window for every customer conversation.", no_args_is_help=True)
console = Console()

HostOpt = Annotated[str | None, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int | None, typer.Option("--port", help="Port to listen on.")]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Embedded database and keys.")]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _migrate(settings: Settings) -> None:
    from helpline.core.migrate import migrate

    if settings.uses_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.effective_database_url)


def _serve(settings: Settings) -> None:
    import uvicorn

    from helpline.app import create_app

    console.print(f"[bold green]Helpline[/] console: {settings.base_url}/console/")
    if settings.demo:
        console.print(f"Demo shop page with the widget: {settings.base_url}/demo")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ws="websockets-sansio",
        ws_max_size=64 * 1024,
        # Per-message deflate keeps a compression context per connection (hundreds of KB);
        # chat frames are small, so it costs far more memory than it saves bandwidth.
        ws_per_message_deflate=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        proxy_headers=settings.trust_proxy,
        timeout_graceful_shutdown=3,
    )


@app.command()
def run(host: HostOpt = None, port: PortOpt = None, data_dir: DataDirOpt = None) -> None:
    """Migrate the database and serve."""
    settings = _settings(host=host, port=port, data_dir=data_dir)
    _migrate(settings)
    _serve(settings)


@app.command()
def demo(host: HostOpt = None, port: PortOpt = None, data_dir: DataDirOpt = None) -> None:
    """Like `run`, and seed the demo account and /demo page when they are missing."""
    from helpline.core.db import Database
    from helpline.demo import demo_logins, seed_demo

    settings = _settings(host=host, port=port, data_dir=data_dir, demo=True)
    _migrate(settings)

    async def seed() -> bool:
        db = Database(settings.effective_database_url)
        try:
            return await seed_demo(db)
        finally:
            await db.dispose()

    created = asyncio.run(seed())
    console.print("Demo account " + ("created." if created else "already there."))
    for login in demo_logins():
        console.print(f"  {login.role:<6} {login.email}  password: {login.password}")
    _serve(settings)


@app.command("migrate")
def migrate_command(data_dir: DataDirOpt = None) -> None:
    """Bring the database to the newest schema."""
    settings = _settings(data_dir=data_dir)
    _migrate(settings)
    console.print("Database is up to date.")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="Login e-mail of the admin.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "Admin",
    account: Annotated[str, typer.Option(help="Name of the new account (company).")] = "My company",
    account_id: Annotated[int | None, typer.Option(help="Add to this existing account instead.")] = None,
    password: Annotated[str | None, typer.Option(help="Password; asked for when omitted.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create an admin (and a new account unless --account-id is given)."""
    from helpline.accounts.actions import create_account, create_agent
    from helpline.accounts.models import Account, Role
    from helpline.accounts.passwords import hash_password_sync
    from helpline.core.audit import SYSTEM
    from helpline.core.db import Database
    from helpline.core.errors import HelplineError

    settings = _settings(data_dir=data_dir)
    _migrate(settings)
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            console.print("[red]Passwords differ.[/]")
            raise typer.Exit(2)
    if len(password) < 8:
        console.print("[red]The password must have at least 8 characters.[/]")
        raise typer.Exit(2)
    password_hash = hash_password_sync(password)

    async def create() -> tuple[str, int]:
        db = Database(settings.effective_database_url)
        try:
            async with db.transaction() as session:
                if account_id is None:
                    target = (await create_account(session, name=account)).id
                else:
                    if await session.get(Account, account_id) is None:
                        raise typer.BadParameter(f"no account {account_id}")
                    target = account_id
                agent = await create_agent(
                    session, actor=SYSTEM, account_id=target, name=name, email=email,
                    password_hash=password_hash, role=Role.admin,
                )
                return agent.email, agent.account_id
        finally:
            await db.dispose()

    try:
        login, created_in = asyncio.run(create())
    except HelplineError as error:
        console.print(f"[red]{error.message}[/]")
        raise typer.Exit(1) from None
    console.print(f"Admin {login} created in account {created_in}.")


@app.command("review")
def review_command(
    file: Annotated[Path, typer.Argument(help="Conversations, one JSON object a line (the format of dev.jsonl).")],
    evaluate: Annotated[
        bool, typer.Option("--eval", help="Also compare with the `faults` labels: per-fault precision, recall, F1.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", help="Reviewer settings as a JSON object (fields of ReviewConfig).")
    ] = None,
) -> None:
    """Review conversations offline: one JSON line each with its faults, evidence and score.

    With --eval, also a line per fault with its precision, recall and F1, and a last one with the macro F1."""
    import orjson
    from pydantic import ValidationError

    from helpline.quality import ReviewConfig, Reviewer
    from helpline.quality.evaluation import InputError, evaluate as score_faults, macro_f1, read_conversations

    def fail(message: str) -> typer.Exit:
        typer.echo(f"error: {message}", err=True)
        return typer.Exit(2)

    settings = ReviewConfig()
    if config is not None:
        try:
            settings = ReviewConfig.model_validate_json(config.read_bytes())
        except OSError as error:
            raise fail(f"{config}: cannot read ({error.strerror or error})") from None
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in error.errors()[:3])
            raise fail(f"{config}: {problems}") from None
    try:
        items = read_conversations(file)
    except InputError as error:
        raise fail(str(error)) from None
    if not items:
        raise fail(f"{file}: no conversations")
    if evaluate:
        unlabelled = next((i for i in items if i.faults is None), None)
        if unlabelled is not None:
            raise fail(f"{file}: conversation {unlabelled.conversation.id!r} has no `faults` list to evaluate against")

    reviewer = Reviewer(settings)
    pairs = []
    for item in items:
        result = reviewer.review(item.conversation)
        typer.echo(orjson.dumps(result.as_json()).decode())
        if evaluate:
            pairs.append((item.faults or frozenset(), result.faults))
    if evaluate:
        scores = score_faults(pairs)
        for score in scores:
            typer.echo(orjson.dumps(score.as_json()).decode())
        typer.echo(orjson.dumps({"macro_f1": round(macro_f1(scores), 4), "conversations": len(items),
                                 "faults": len(scores)}).decode())
