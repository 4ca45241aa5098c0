"""When a handler fails (a bug, the database unreachable), the resident still gets an answer.

The update is marked failed in the inbox and logged; what they entered before is kept, so
"try again" is honest advice.
"""
from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from core.i18n import translator

log = logging.getLogger(__name__)


def router() -> Router:
    r = Router(name="errors")

    @r.errors()
    async def apologise(event: ErrorEvent, **data) -> None:
        log.error("handler failed on update %s", event.update.update_id, exc_info=event.exception)
        tr = data.get("tr") or translator("id")
        update = event.update
        text = tr("😔 Sorry, something went wrong on our side. What you entered is kept; please try "
                  "again in a moment. If someone is in danger, call 112.")
        try:
            # A pressed button's spinner is stopped by the callback-answer middleware.
            if update.callback_query is not None and update.callback_query.message is not None:
                await update.callback_query.message.answer(text)
            elif update.message is not None:
                await update.message.answer(text)
        except Exception:  # the apology itself failed: nothing more to do than log it
            log.exception("could not apologise for update %s", update.update_id)
        raise event.exception

    return r
