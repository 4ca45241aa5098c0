"""Configuration from the environment (and .env): built in main, never at import."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/lapor.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    citizen_bot_token: str | None = None
    backoffice_bot_token: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    region_config: Path | None = Field(default=None, description="TOML file; default: bundled Pasuruan")
    telegram_api_url: str | None = Field(default=None, description="a local Bot API server, e.g. http://127.0.0.1:8081")
    redis_url: str | None = None
    # Keys of this deployment in a shared Redis (several regions, or tests, on one server).
    redis_prefix: str = "lapor"
    polling_timeout: int = Field(default=30, ge=0, le=50)
    # Outbox pacing, under Telegram's ~30 messages/s per bot, leaving room for direct replies.
    outbox_rate_per_second: float = Field(default=25.0, gt=0, le=30)
    log_level: str = "INFO"


class MissingToken(Exception):
    pass


def require_tokens(settings: Settings) -> None:
    if not settings.citizen_bot_token:
        raise MissingToken(
            "CITIZEN_BOT_TOKEN is not set: put it in the environment or in .env "
            "(or try `lapor demo`, which needs no token)."
        )
