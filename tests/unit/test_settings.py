"""Typed settings: safe defaults, and refusal of unsafe ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from helpline.settings import Settings


def test_the_embedded_default_generates_and_keeps_a_private_secret(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{(tmp_path / 'helpline.db').resolve()}"
    key = settings.signing_key
    assert len(key) >= 40
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0  # owner only
    assert Settings(data_dir=tmp_path).signing_key == key  # the same after a restart


def test_postgres_without_a_shared_secret_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://db/helpline")
    with pytest.raises(RuntimeError, match="HELPLINE_SECRET_KEY"):
        _ = settings.signing_key
    assert Settings(database_url="postgresql+asyncpg://db/h", secret_key="s3cret").signing_key == "s3cret"


def test_secrets_never_print() -> None:
    settings = Settings(secret_key="do-not-show")
    assert "do-not-show" not in repr(settings) and "do-not-show" not in str(settings.model_dump())


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_PORT", "9123")
    monkeypatch.setenv("HELPLINE_SQLITE_SYNCHRONOUS", "full")
    settings = Settings()
    assert settings.port == 9123 and settings.sqlite_synchronous == "FULL"
    monkeypatch.setenv("HELPLINE_SQLITE_SYNCHRONOUS", "sometimes")
    with pytest.raises(ValidationError):
        Settings()
