"""The citizen bot says what core's notices mean, in the resident's language, when it sends them.

core.notices.resolve has already found the resident again and checked the notice is still theirs
(a deleted or unreachable resident gets nothing). The buttons use the callback formats of the
routers that answer them (RateCb, AnswerCb), defined once, there.
"""
from __future__ import annotations

from typing import Any

from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.rating import RateCb
from bot.handlers.relay_answer import AnswerCb
from bot.menus import main_menu
from core.i18n import N_, Translator, translator
from core.lifecycle import ReportState
from core.notices import Delivery, Kind, resolve
from core.region import RegionConfig
from db.models import AuditEvent, DonationPledge, RelayQuestion, Report

REPORTER_NOTICES = {
    ReportState.DITERIMA: N_("👀 Your report <code>{ticket}</code> has been received by an officer of {agency} "
                             "and will be followed up."),
    ReportState.DITANGANI: N_("🚶 Officers of {agency} are on their way for your report <code>{ticket}</code>."),
    ReportState.DIALIHKAN: N_("🔀 Your report <code>{ticket}</code> has been handed over to {agency}, who will "
                              "follow it up."),
    ReportState.DITOLAK: N_("Your report <code>{ticket}</code> was closed without action: {reason}"),
    ReportState.SELESAI: N_("✅ Your report <code>{ticket}</code> is closed by {agency}: {outcome}. "
                            "Thank you for caring."),
    ReportState.BARU: N_("🔁 Your report <code>{ticket}</code> has been reopened and is back in {agency}'s queue."),
    ReportState.DUPLIKAT: N_("🔗 Your report <code>{ticket}</code> is about the same people as report {other}; "
                             "{agency} handles them together. Thank you."),
}
RATING_ASK = N_("Was this handled well? Tap a rating (1 = poor, 5 = very good).")
DATA_DELETED = N_("🗑️ Your data has been deleted, as you asked. The reports you sent stay in the regency's "
                  "records without your name or account. If you write to this bot again, you start as a new user.")


def format_minutes(tr: Translator, minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        return tr.n("{n} day", "{n} days", minutes // (24 * 60))
    if minutes % 60 == 0:
        return tr.n("{n} hour", "{n} hours", minutes // 60)
    return tr.n("{n} minute", "{n} minutes", minutes)


def receipt_text(region: RegionConfig, report: Report, tr: Translator) -> str:
    agency = region.agency(report.agency)
    minutes = int((report.response_due_at - report.created_at).total_seconds() // 60)
    lines = [
        tr("✅ <b>Report received.</b> Your ticket number: <code>{ticket}</code>", ticket=report.ticket),
        tr("Handled by: {agency}", agency=agency.short.get(tr.lang)),
        tr("Response target: within {target}", target=format_minutes(tr, minutes)),
    ]
    if report.outside_region:
        lines.append(tr("The location is outside {region}; the report is still passed on and a supervisor "
                        "will coordinate with the area concerned.", region=region.region.name))
    lines.append(tr("We will tell you here when the status changes. Check any time with /status."))
    lines.append(tr("Please do not confront anyone yourself."))
    return "\n".join(lines)


def rating_keyboard(report_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=f"{n}⭐",  # one style for every button: 1⭐ … 5⭐
                             callback_data=RateCb(report=report_id, stars=n).pack())
        for n in range(1, 6)]])


class CitizenRenderer:
    """Turns a citizen-bot notice into the Bot API call to make (None: not to be sent)."""

    def __init__(self, region: RegionConfig) -> None:
        self.region = region

    async def __call__(self, session: AsyncSession, chat_id: int, payload: dict[str, Any]) -> TelegramMethod | None:
        delivery = await resolve(session, self.region, chat_id=chat_id, payload=payload)
        if delivery is None:
            return None
        tr = translator(delivery.recipient.language)
        text, markup = await self._say(session, delivery, tr)
        if text is None:
            return None
        return SendMessage(chat_id=chat_id, text=text, reply_markup=markup)

    async def _say(self, session: AsyncSession, delivery: Delivery, tr: Translator) -> tuple[str | None, Any]:
        kind, args, report, region = delivery.kind, delivery.args, delivery.report, self.region
        if kind == Kind.DATA_DELETED:
            return tr(DATA_DELETED), None
        if kind == Kind.PLEDGE_RECEIPT:
            pledge = await session.get_one(DonationPledge, args["pledge"])
            return "\n".join([
                tr("🤝 <b>Thank you!</b> Your donation offer is recorded as <code>{ticket}</code>.",
                   ticket=pledge.ticket),
                tr("{agency} will contact you to arrange it.", agency=region.agency(pledge.agency).name.get(tr.lang)),
                tr("This bot never asks for money or bank transfers. "
                   "Do not pay anyone who claims to be from this bot."),
            ]), main_menu(tr)
        if kind == Kind.QUESTION:
            question = await session.get_one(RelayQuestion, args["question"])
            report = await session.get_one(Report, question.report_id)
            return tr("❓ An officer asks about your report <code>{ticket}</code>:\n<i>{question}</i>",
                      ticket=report.ticket, question=question.question), \
                InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
                    text=tr.plain("✍️ Answer"), callback_data=AnswerCb(question=question.id).pack())]])
        assert report is not None
        if kind == Kind.RECEIPT:
            return receipt_text(region, report, tr), main_menu(tr)
        if kind == Kind.RATING_ASK:
            return tr(RATING_ASK), rating_keyboard(report.id)
        if kind == Kind.REPORT_CHANGED:
            return await self._changed(session, report, args, tr), None
        return None, None

    async def _changed(self, session: AsyncSession, report: Report, args: dict[str, Any], tr: Translator) -> str | None:
        try:
            state = ReportState(str(args.get("state")))
            agency = self.region.agency(args.get("agency") or report.agency)
        except (ValueError, KeyError):
            return None
        msgid = REPORTER_NOTICES.get(state)
        if msgid is None:
            return None
        reason = ""
        if args.get("event"):
            event = await session.get(AuditEvent, args["event"])
            reason = event.note or "" if event is not None else ""
        outcome = ""
        if args.get("outcome"):
            try:
                outcome = agency.outcome(args["outcome"]).label.get(tr.lang)
            except KeyError:
                outcome = args["outcome"]
        return tr(msgid, ticket=report.ticket, agency=agency.short.get(tr.lang), reason=reason or "-",
                  outcome=outcome, other=args.get("other", ""))
