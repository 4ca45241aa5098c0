"""The buttons under an alert: acknowledge, on the way, details."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.alerts import alert_text
from backoffice.keyboards import OA, OfficerCb, alert_keyboard, refuse, refuse_action
from core.clock import Clock
from core.i18n import Translator
from core.officers import OfficerInfo
from core.region import RegionConfig
from core.report_actions import ActionRefused, acknowledge, report_by_id, start_handling


def router() -> Router:
    r = Router(name="backoffice-alert-actions")

    async def refresh(callback: CallbackQuery, session: AsyncSession, region: RegionConfig, tr: Translator,
                      report_id: int) -> None:
        report = await report_by_id(session, report_id)
        # Alerts are text; a press forged onto a photo or a file has no alert to refresh.
        if report is not None and callback.message is not None and getattr(callback.message, "text", None):
            await callback.message.edit_text(await alert_text(session, region, report, tr),
                                             reply_markup=alert_keyboard(tr, report))

    @r.callback_query(OfficerCb.filter(F.action == OA.ACK))
    async def ack(callback: CallbackQuery, callback_data: OfficerCb, callback_answer: CallbackAnswer,
                  officer: OfficerInfo, tr: Translator, region: RegionConfig, session: AsyncSession,
                  clock: Clock) -> None:
        try:
            result = await acknowledge(session, clock=clock, region=region, officer=officer,
                                       report_id=callback_data.report)
        except ActionRefused as exc:
            refuse_action(callback_answer, tr, exc)
            await refresh(callback, session, region, tr, callback_data.report)
            return
        callback_answer.text = tr.plain("{ticket} is yours.", ticket=result.ticket)
        await refresh(callback, session, region, tr, callback_data.report)

    @r.callback_query(OfficerCb.filter(F.action == OA.ON_THE_WAY))
    async def on_the_way(callback: CallbackQuery, callback_data: OfficerCb, callback_answer: CallbackAnswer,
                         officer: OfficerInfo, tr: Translator, region: RegionConfig, session: AsyncSession,
                         clock: Clock) -> None:
        try:
            result = await start_handling(session, clock=clock, region=region, officer=officer,
                                          report_id=callback_data.report)
        except ActionRefused as exc:
            refuse_action(callback_answer, tr, exc)
            return
        callback_answer.text = tr.plain("{ticket}: the reporter is told you are on the way.", ticket=result.ticket)
        await refresh(callback, session, region, tr, callback_data.report)

    @r.callback_query(OfficerCb.filter(F.action == OA.DETAILS))
    async def details(callback: CallbackQuery, callback_data: OfficerCb, callback_answer: CallbackAnswer,
                      officer: OfficerInfo, tr: Translator, region: RegionConfig, session: AsyncSession) -> None:
        report = await report_by_id(session, callback_data.report)
        if report is None or (report.agency != officer.agency and officer.role.value not in ("admin", "auditor")):
            refuse(callback_answer, tr.plain("That report is not in your agency's queue."))
            return
        await callback.message.answer(await alert_text(session, region, report, tr),
                                      reply_markup=alert_keyboard(tr, report))

    return r
