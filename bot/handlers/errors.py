"""When a handler fails (a bug, the database unreachable), the resident still gets an answer.

The update is marked failed in the inbox and logged; what they entered before is kept, so
"try again" is honest advice.
"""
from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent
from sqlalchemy import select

from core.i18n import Translator, translator
from db.models import Reporter

log = logging.getLogger(__name__)


async def _translator_for(data: dict) -> Translator:
    """The resident's language, looked up again: aiogram handles errors outside every other outer
    middleware, so the per-update session is already closed here. Using it reopens a connection,
    which must be handed back (close); the error itself may have broken it, hence the fallback."""
    region = data.get("region")
    fallback = translator(region.region.default_language if region else "id")
    user, session = data.get("event_from_user"), data.get("session")
    if user is None or session is None:
        return fallback
    try:
        await session.rollback()
        language = (await session.execute(
            select(Reporter.language).where(Reporter.telegram_id == user.id))).scalar_one_or_none()
    except Exception:
        return fallback
    finally:
        await session.close()
    return translator(language) if language else fallback


def router() -> Router:
    r = Router(name="errors")

    @r.errors()
    async def apologise(event: ErrorEvent, **data) -> None:
        log.error("handler failed on update %s", event.update.update_id, exc_info=event.exception)
        tr = data.get("tr") or await _translator_for(data)
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
