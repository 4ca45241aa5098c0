"""/antrian (the agency's open reports), /tugas (mine), /terlambat (overdue), /lapor TICKET."""
from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.alerts import alert_text
from backoffice.keyboards import OA, OfficerCb, alert_keyboard
from core.clock import Clock
from core.i18n import Translator
from core.officers import OfficerInfo
from core.queue import PAGE_SIZE, QueueLine, agency_queue, find_ticket, history, officer_tasks, overdue
from core.region import RegionConfig
from core.tickets import normalise_ticket


class QueueCb(CallbackData, prefix="q"):
    page: int = 0
    overdue_first: bool = False


def _line_button(tr: Translator, region: RegionConfig, line: QueueLine, now) -> InlineKeyboardButton:
    late = "⏰ " if line.due_at < now and line.state in ("baru", "dialihkan") else ""
    urgent = "🚨 " if line.urgent else ""
    label = region.category(line.category).label.get(tr.lang)
    text = f"{urgent}{late}{line.ticket} · {label} · {line.kecamatan or '-'} · {line.state}"
    return InlineKeyboardButton(text=text[:120], callback_data=OfficerCb(action=OA.DETAILS, report=line.id).pack())


async def show_queue(message: Message, officer: OfficerInfo, tr: Translator, region: RegionConfig,
                     session: AsyncSession, clock: Clock, page: int = 0, overdue_first: bool = False,
                     edit: bool = False) -> None:
    lines, total = await agency_queue(session, agency=officer.agency, page=page, most_overdue_first=overdue_first)
    agency = region.agency(officer.agency).short.get(tr.lang)
    if total == 0:
        await message.answer(tr("📭 No open reports for {agency}.", agency=agency))
        return
    rows = [[_line_button(tr, region, line, clock.now())] for line in lines]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(text="◀️", callback_data=QueueCb(page=page - 1, overdue_first=overdue_first).pack()))
    if (page + 1) * PAGE_SIZE < total:
        nav.append(InlineKeyboardButton(text="▶️", callback_data=QueueCb(page=page + 1, overdue_first=overdue_first).pack()))
    if nav:
        rows.append(nav)
    rows.append([InlineKeyboardButton(
        text=tr.plain("Newest first") if overdue_first else tr.plain("Most overdue first"),
        callback_data=QueueCb(page=0, overdue_first=not overdue_first).pack())])
    text = tr("📋 <b>Open reports of {agency}</b>: {n}. Page {page}.", agency=agency, n=total, page=page + 1)
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


def router() -> Router:
    r = Router(name="backoffice-queue")

    @r.message(Command("antrian", "queue"))
    async def queue(message: Message, officer: OfficerInfo, tr: Translator, region: RegionConfig,
                    session: AsyncSession, clock: Clock) -> None:
        await show_queue(message, officer, tr, region, session, clock)

    @r.callback_query(QueueCb.filter())
    async def queue_page(callback: CallbackQuery, callback_data: QueueCb, officer: OfficerInfo, tr: Translator,
                         region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        await show_queue(callback.message, officer, tr, region, session, clock, page=max(0, callback_data.page),
                         overdue_first=callback_data.overdue_first, edit=True)

    @r.message(Command("tugas", "tasks"))
    async def tasks(message: Message, officer: OfficerInfo, tr: Translator, region: RegionConfig,
                    session: AsyncSession, clock: Clock) -> None:
        lines = await officer_tasks(session, officer_id=officer.id)
        if not lines:
            await message.answer(tr("You hold no open reports. /antrian shows your agency's queue."))
            return
        await message.answer(tr("🗂️ <b>Your reports</b>: {n}", n=len(lines)), reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[_line_button(tr, region, line, clock.now())] for line in lines]))

    @r.message(Command("terlambat", "overdue"))
    async def late(message: Message, officer: OfficerInfo, tr: Translator, region: RegionConfig,
                   session: AsyncSession, clock: Clock) -> None:
        if not (officer.supervises or officer.role.value == "auditor"):
            await message.answer(tr("Only supervisors see the overdue list."))
            return
        agency = None if officer.role.value in ("admin", "auditor") else officer.agency
        lines = await overdue(session, agency=agency, now=clock.now())
        if not lines:
            await message.answer(tr("✅ Nothing is overdue."))
            return
        await message.answer(tr("⏰ <b>Overdue</b>: {n}", n=len(lines)), reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[_line_button(tr, region, line, clock.now())] for line in lines]))

    @r.message(Command("lapor", "report"))
    async def one_report(message: Message, command: CommandObject, officer: OfficerInfo, tr: Translator,
                         region: RegionConfig, session: AsyncSession) -> None:
        ticket = normalise_ticket(command.args or "")
        report = await find_ticket(session, ticket) if ticket else None
        if report is None or (report.agency != officer.agency and officer.role.value not in ("admin", "auditor")):
            await message.answer(tr("No report {ticket} in your agency's queue. Type it like "
                                    "<code>/lapor PSR-2611-0042</code>.", ticket=(command.args or "")[:30]))
            return
        events = await history(session, report_id=report.id)
        tz = region.tz
        head = [await alert_text(session, region, report, tr), "", tr("<b>History</b>")]
        items = []
        for e in events:
            change = f" {e.from_state or '·'} → {e.to_state}" if e.to_state else ""
            note = f": <i>{html.escape(e.note[:300], quote=False)}</i>" if e.note else ""
            items.append(f"• {e.at.astimezone(tz):%d-%m %H:%M} {html.escape(e.action)}{change}{note}")
        # Whole lines only (a cut inside a tag is a 400): the oldest go first when it is long.
        while items and len("\n".join(head + items)) > 4000:
            items.pop(0)
        await message.answer("\n".join(head + items),
                             reply_markup=alert_keyboard(tr, report, supervisor=officer.supervises)
                             if officer.can_act else None)

    return r

