"""Configuration from the environment (and .env): built in main, never at import."""
from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/lapor.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    citizen_bot_token: str | None = None
    backoffice_bot_token: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    region_config: Path | None = Field(default=None, description="TOML file; default: bundled Pasuruan")
    telegram_api_url: str | None = Field(default=None, description="a local Bot API server, e.g. http://127.0.0.1:8081")
    redis_url: str | None = None
    # Keys of this deployment in a shared Redis (several regions, or tests, on one server).
    redis_prefix: str = "lapor"
    # Event isolation: how long one user's lock may be held (longer than any handler takes).
    redis_lock_seconds: float = Field(default=30.0, gt=0)
    polling_timeout: int = Field(default=30, ge=0, le=50)
    # Each bot's whole send budget (direct replies first, the outbox with the rest), under
    # Telegram's ~30 messages/s per bot. Per instance: several instances divide it among them.
    # OUTBOX_RATE_PER_SECOND is its former name, still read from older env files.
    send_rate_per_second: float = Field(
        default=30.0, gt=0, le=30,
        validation_alias=AliasChoices("send_rate_per_second", "outbox_rate_per_second"))
    log_level: str = "INFO"

    # Webhook mode (`lapor run --webhook`): Telegram posts to WEBHOOK_URL/webhook/citizen and
    # /webhook/backoffice, each request carrying WEBHOOK_SECRET in X-Telegram-Bot-Api-Secret-Token.
    webhook_url: str | None = Field(default=None, description="public https base URL, e.g. https://lapor.example.go.id")
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=256, pattern=r"^[A-Za-z0-9_-]+$")
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # The HTTP server (webhooks, /healthz, /metrics). In polling mode it starts only if HTTP_PORT is set.
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=1, le=65535)
    # The dashboard's public address, where login links point, e.g. https://lapor.example.go.id
    # (a reverse proxy in front of HTTP_PORT). Unset: http://HTTP_HOST:HTTP_PORT. With https the
    # session cookie is sent over https only.
    web_url: str | None = Field(default=None, description="public base URL of the dashboard")
    # A tile server behind the dashboard's map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png.
    # Unset: the map draws the region's own boundaries and needs no internet.
    basemap_url: str | None = None
    # Several instances: how long an instance holds an update it accepted, or outbox rows it
    # claimed, before another instance may take them over (it died).
    inbox_lease_seconds: float = Field(default=120.0, gt=0)
    outbox_lease_seconds: float = Field(default=60.0, gt=0)


    @field_validator("citizen_bot_token", "backoffice_bot_token", "redis_url", "webhook_url", "webhook_secret",
                     "region_config", "telegram_api_url", "http_port", "web_url", "basemap_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, v):
        # `WEBHOOK_SECRET=` left empty in an env file means "not set", not "an empty secret".
        return None if isinstance(v, str) and not v.strip() else v


def dashboard_url(settings: Settings, *, serving: bool) -> str | None:
    """Where the dashboard is reached from a browser: WEB_URL, or this machine's HTTP address
    when it serves HTTP; None when nothing serves it."""
    if settings.web_url:
        return settings.web_url.rstrip("/")
    if not serving:
        return None
    host = settings.http_host if settings.http_host not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{settings.http_port or DEFAULT_HTTP_PORT}"


class MissingToken(Exception):
    pass


DEFAULT_HTTP_PORT = 8080


def require_webhook(settings: Settings) -> None:
    if not settings.webhook_url or not settings.webhook_url.startswith(("https://", "http://")):
        raise MissingToken("WEBHOOK_URL is not set: the public https address Telegram posts updates to, "
                           "e.g. https://lapor.example.go.id")
    if not settings.webhook_secret:
        raise MissingToken("WEBHOOK_SECRET is not set: 16 to 256 characters of A-Z, a-z, 0-9, _ and -, "
                           "e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`")


def require_tokens(settings: Settings) -> None:
    if not settings.citizen_bot_token:
        raise MissingToken(
            "CITIZEN_BOT_TOKEN is not set: put it in the environment or in .env "
            "(or try `lapor demo`, which needs no token)."
        )
