"""One typed settings object, read from `HELPLINE_*` environment variables.

Per-account settings (widget appearance, pre-chat fields ...) live in the database, not here.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPLINE_", extra="ignore")

    data_dir: Path = Field(Path("helpline-data"), description="Embedded database, secret key, uploads.")
    database_url: str | None = Field(
        None, description="SQLAlchemy async URL; default: SQLite in the data directory."
    )
    redis_url: str | None = Field(None, description="Redis for the bus when several nodes run.")
    secret_key: SecretStr | None = Field(
        None, description="Signs visitor tokens; default: generated once into the data directory."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(None, description="Base URL printed and used in links.")
    demo: bool = Field(False, description="Seed and serve the demo account and /demo page.")
    sqlite_synchronous: str = Field(
        "NORMAL", description="SQLite `synchronous` pragma: NORMAL survives a crash of the "
        "process; FULL also survives a power cut, at the cost of an fsync per commit."
    )
    visitor_token_days: int = Field(365, ge=1)
    session_days: int = Field(14, ge=1)
    trust_proxy: bool = Field(
        False, description="Take the client address from X-Forwarded-For (behind a proxy)."
    )
    log_level: str = "info"
    geoip_city_db: str | None = Field(
        None, description="A MaxMind-format city database (e.g. GeoLite2-City.mmdb) for visitors' cities."
    )
    presence_timeout: float = Field(
        60, ge=1, description="Seconds without a connected console before an agent is offline."
    )
    job_retry_scale: float = Field(
        1.0, gt=0, description="Multiplies the waits between attempts of a failed job (5 s, 10 s, 20 s ... "
        "at most an hour); tests make them short."
    )
    offline_email_delay: float = Field(
        60, ge=0, description="Seconds an answer waits to be read in the widget before it is e-mailed."
    )

    @field_validator("sqlite_synchronous")
    @classmethod
    def _known_synchronous(cls, value: str) -> str:
        value = value.upper()
        if value not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError("must be OFF, NORMAL, FULL or EXTRA")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'helpline.db').resolve()}"

    @property
    def uses_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @cached_property
    def signing_key(self) -> str:
        """The secret for signing tokens.

        Without `HELPLINE_SECRET_KEY` a random key is generated once and kept in the data
        directory, readable only by its owner, so tokens survive restarts. Several nodes must
        share one key, so a PostgreSQL deployment has to set it explicitly.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if not self.uses_sqlite and not self.demo:
            raise RuntimeError(
                "HELPLINE_SECRET_KEY must be set when running on PostgreSQL: every node "
                "must sign visitor tokens with the same key."
            )
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
