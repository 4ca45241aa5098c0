"""Plain-function filters run inline instead of in a worker thread.

aiogram runs every filter that is not a coroutine (the magic filters `F.text`, `F.location`,
`F.action == ...` inside no Filter class, plain lambdas) through `asyncio.to_thread`
(aiogram/dispatcher/event/handler.py, CallableObject.call), so that a slow one cannot block the
event loop. Ours look at an attribute or two and take microseconds; the hop to the thread pool and
back costs far more, in CPU and in handing the GIL between threads, and a report step checks
several (bench/throughput.py's profile showed the thread pool near a tenth of the bot's CPU).
Handlers are left as they are: a plain-function handler may well block.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject


def _awaitable(callback: Callable[..., Any]) -> Callable[..., Any]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return call


def _inline(filters: list[FilterObject] | None) -> int:
    count = 0
    for f in filters or ():
        if not f.awaitable:
            # `params` stay those of the original callback: aiogram passes it the same arguments.
            f.callback, f.awaitable = _awaitable(f.callback), True
            count += 1
    return count


def inline_sync_filters(router: Router) -> int:
    """Makes the plain-function filters of `router` and every router under it awaitable; call it
    once the routers are assembled. Returns how many it changed."""
    count = 0
    for r in router.chain_tail:
        for observer in r.observers.values():
            # Filters set on the observer itself (`router.message.filter(...)`).
            own = getattr(observer, "_handler", None)
            count += _inline(own.filters if own is not None else None)
            for handler in observer.handlers:
                count += _inline(handler.filters)
    return count
