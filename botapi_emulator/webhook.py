"""Webhook delivery: POST each update to the bot's URL, in order, like Telegram does."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from .models import BotState
    from .server import BotAPIEmulator


class WebhookDeliverer:
    """One sender task per bot. A non-2xx answer or a network error is retried a few times with a
    short backoff; then the update is dropped and the error shown in getWebhookInfo (Telegram
    keeps retrying for longer, but tests want a bounded outcome)."""

    attempts = 3
    backoff = 0.05  # seconds, doubled after each failure
    timeout = 10.0

    def __init__(self, emulator: BotAPIEmulator, bot: BotState) -> None:
        self.emulator = emulator
        self.bot = bot
        self.dropped: list[dict] = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                await self.emulator.wait_for(lambda: self.bot.updates.pending, timeout=None)
                if self.emulator.closing or self.bot.webhook is None:
                    return
                update = self.bot.updates.pending[0]
                if not await self._deliver(session, update):
                    self.dropped.append(update)
                self.bot.updates.confirm_update(update)
                self.emulator.notify()

    async def _deliver(self, session: aiohttp.ClientSession, update: dict) -> bool:
        webhook = self.bot.webhook or {}
        headers = {}
        if webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        for attempt in range(self.attempts):
            try:
                async with session.post(
                    webhook["url"],
                    json=update,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as response:
                    if 200 <= response.status < 300:
                        return True
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                error = f"Connection failed: {type(exc).__name__}"
            self.bot.webhook_error = (int(time.time()), error)
            await asyncio.sleep(self.backoff * 2**attempt)
        return False
