"""One settings object for the whole product (prefix ``GUTWISE_``); nothing else reads the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    # XDG base directory spec: the user's data directory, not the working directory.
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gutwise"


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set as ``GUTWISE_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="GUTWISE_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    test_database_url: str | None = None
    session_days: int = Field(default=14, ge=1, le=90)
    password_hash_profile: Literal["standard", "fast-insecure-for-tests"] = "standard"  # noqa: S105
    # Trust X-Forwarded-Proto from this proxy address list (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: str = "127.0.0.1"

    @field_validator("database_url", "test_database_url")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v or None

    def resolved_database_url(self, override: str | None = None) -> str:
        """The URL to connect to: ``--db`` (a path or URL), else ``GUTWISE_DATABASE_URL``, else SQLite."""
        chosen = override or self.database_url
        if chosen is None:
            return f"sqlite:///{self.data_dir / 'gutwise.db'}"
        return database_url_from(chosen)


def database_url_from(value: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (``--db ./my.db``)."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
