"""The buttons under an alert: acknowledge, on the way, details. A refusal (raised by the
service, answered by backoffice.middlewares.RefusalMiddleware) never shows the report."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.alerts import alert_text
from backoffice.handlers.queue import send_report_file
from backoffice.keyboards import OfficerAction, OfficerCb, alert_keyboard
from backoffice.middlewares import inaccessible, refusal_args, shown
from core.access import Channel, ChannelKind, Refusal
from core.clock import Clock
from core.dispatch import queue_photos
from core.i18n import Translator
from core.officers import OfficerInfo
from core.region import RegionConfig
from core.report_actions import ActionRefused, acknowledge, start_handling
from core.report_view import view_report


async def refresh(callback: CallbackQuery, session: AsyncSession, region: RegionConfig, tr: Translator,
                  officer: OfficerInfo, channel: Channel, clock: Clock, report_id: int) -> None:
    """Shows the pressed alert as the report is now, to the audience of its chat: in a duty group
    the group (it sees its agency's reports), in a private chat the officer. The view is asked of
    the policy like any read."""
    audience = None if channel.kind == ChannelKind.DUTY_GROUP else officer
    view = await view_report(session, region, actor=audience, report_id=report_id, now=clock.now(), channel=channel)
    # Alerts are text; a press forged onto a photo or a file has no alert to refresh. An alert the bot
    # can no longer edit (Telegram sent it as inaccessible) comes again as a fresh one.
    message = shown(callback)
    if message.text or inaccessible(message):
        await message.edit_text(alert_text(view, region, tr), reply_markup=alert_keyboard(tr, view))


def router() -> Router:
    r = Router(name="backoffice-alert-actions")

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.ACK))
    async def ack(callback: CallbackQuery, callback_data: OfficerCb, callback_answer: CallbackAnswer,
                  officer: OfficerInfo, channel: Channel, tr: Translator, region: RegionConfig,
                  session: AsyncSession, clock: Clock) -> None:
        try:
            result = await acknowledge(session, clock=clock, region=region, officer=officer,
                                       report_id=callback_data.report, channel=channel)
        except ActionRefused as exc:
            if exc.refusal != Refusal.WRONG_STATE:
                raise
            # Someone else was quicker: the officer may read the report, so show who has it.
            callback_answer.text, callback_answer.show_alert = tr.plain(exc.reason, **refusal_args(tr, exc)), True
            await refresh(callback, session, region, tr, officer, channel, clock, callback_data.report)
            return
        callback_answer.text = tr.plain("{ticket} is yours.", ticket=result.ticket)
        await refresh(callback, session, region, tr, officer, channel, clock, callback_data.report)

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.ON_THE_WAY))
    async def on_the_way(callback: CallbackQuery, callback_data: OfficerCb, callback_answer: CallbackAnswer,
                         officer: OfficerInfo, channel: Channel, tr: Translator, region: RegionConfig,
                         session: AsyncSession, clock: Clock) -> None:
        result = await start_handling(session, clock=clock, region=region, officer=officer,
                                      report_id=callback_data.report, channel=channel)
        callback_answer.text = tr.plain("{ticket}: the reporter is told you are on the way.", ticket=result.ticket)
        await refresh(callback, session, region, tr, officer, channel, clock, callback_data.report)

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.DETAILS))
    async def details(callback: CallbackQuery, callback_data: OfficerCb, officer: OfficerInfo, channel: Channel,
                      tr: Translator, region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        # The presser must be allowed (in a duty group too, not only the group): report_with_history asks.
        await send_report_file(shown(callback), officer, channel, tr, region, session, clock, callback_data.report)
        await queue_photos(session, report_id=callback_data.report, officer=officer, channel=channel, now=clock.now())

    return r
