"""Plain-function filters run on the event loop, not in aiogram's thread pool (lapor.inline_filters)."""
from __future__ import annotations

import threading

from aiogram import Bot, Dispatcher, F, Router
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Message, Update

from lapor.app import build_backoffice_dispatcher, build_citizen_dispatcher
from lapor.inline_filters import inline_sync_filters


def _update(text: str) -> Update:
    return Update.model_validate({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "text": text, "chat": {"id": 5, "type": "private"},
        "from": {"id": 5, "is_bot": False, "first_name": "W"}}})


def _sync_filters(dp: Dispatcher) -> int:
    """Plain-function filters left anywhere: on handlers, and on observers (`router.message.filter`)."""
    def filters(observer):
        own = getattr(observer, "_handler", None)
        yield from (own.filters or ()) if own is not None else ()
        for handler in observer.handlers:
            yield from handler.filters or ()
    return sum(1 for r in dp.chain_tail for o in r.observers.values() for f in filters(o) if not f.awaitable)


async def test_filters_run_on_the_loop_and_still_filter_and_pass_values():
    seen: dict[str, object] = {}
    router = Router()
    router.message.filter(lambda message: seen.setdefault("router_filter", threading.get_ident()) is not None)

    @router.message(F.text.startswith("/x"), F.text.as_("text"),
                    lambda message: seen.setdefault("lambda", threading.get_ident()) is not None)
    async def on_x(message: Message, text: str) -> None:
        seen["handled"] = text

    @router.message(F.text)
    async def other(message: Message) -> None:
        seen["other"] = message.text

    dp = Dispatcher(storage=MemoryStorage())
    dp.include_router(router)
    assert inline_sync_filters(dp) == 5  # the router's own, three on /x, one on the other
    assert _sync_filters(dp) == 0
    bot = Bot("42:TEST")
    await dp.feed_update(bot, _update("/x now"))
    assert seen["handled"] == "/x now"  # F.text.as_() still hands its value to the handler
    assert seen["lambda"] == seen["router_filter"] == threading.get_ident()  # this thread, no pool
    await dp.feed_update(bot, _update("hello"))
    assert seen["other"] == "hello"  # a filter that says no still says no
    await bot.session.close()


def test_both_bots_dispatchers_have_no_filter_left_for_the_thread_pool(region):
    for build in (build_citizen_dispatcher, build_backoffice_dispatcher):
        dp = build(storage=MemoryStorage(), sessionmaker=None, region=region, clock=None)
        assert _sync_filters(dp) == 0
