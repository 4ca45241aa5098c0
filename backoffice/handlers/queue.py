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
from core.ids import PageNo
from core.lifecycle import OPEN_STATES
from core.officers import OfficerInfo
from core.queue import PAGE_SIZE, QueueLine, agency_queue, find_ticket, history, officer_tasks, overdue
from core.region import RegionConfig
from core.tickets import normalise_ticket


class QueueCb(CallbackData, prefix="q"):
    page: PageNo = 0
    overdue_first: bool = False
    kec: int = -1  # index into the region's kecamatan list; -1: all
    state: str = ""  # a life-cycle state code; "": every open state
    pick: str = ""  # "kec" or "state": show that filter's choices instead of the list


def _line_button(tr: Translator, region: RegionConfig, line: QueueLine, now) -> InlineKeyboardButton:
    late = "⏰ " if line.due_at < now and line.state in ("baru", "dialihkan") else ""
    urgent = "🚨 " if line.urgent else ""
    label = region.category(line.category).label.get(tr.lang)
    text = f"{urgent}{late}{line.ticket} · {label} · {line.kecamatan or '-'} · {line.state}"
    return InlineKeyboardButton(text=text[:120], callback_data=OfficerCb(action=OA.DETAILS, report=line.id).pack())


async def show_queue(message: Message, officer: OfficerInfo, tr: Translator, region: RegionConfig,
                     session: AsyncSession, clock: Clock, view: QueueCb | None = None, edit: bool = False) -> None:
    view = view or QueueCb()
    kecamatan = region.kecamatan[view.kec].name if 0 <= view.kec < len(region.kecamatan) else None
    state = view.state if view.state in OPEN_STATES else None
    agency = region.agency(officer.agency).short.get(tr.lang)
    if view.pick:
        await _show_filter_choices(message, tr, region, view, edit)
        return
    lines, total = await agency_queue(session, agency=officer.agency, page=view.page,
                                      most_overdue_first=view.overdue_first, kecamatan=kecamatan, state=state)
    rows = [[_line_button(tr, region, line, clock.now())] for line in lines]
    nav = []
    if view.page > 0:
        nav.append(InlineKeyboardButton(text="◀️", callback_data=view.model_copy(update={"page": view.page - 1}).pack()))
    if (view.page + 1) * PAGE_SIZE < total:
        nav.append(InlineKeyboardButton(text="▶️", callback_data=view.model_copy(update={"page": view.page + 1}).pack()))
    if nav:
        rows.append(nav)
    rows.append([
        InlineKeyboardButton(text=tr.plain("Newest first") if view.overdue_first else tr.plain("Most overdue first"),
                             callback_data=view.model_copy(update={"page": 0, "overdue_first": not view.overdue_first}).pack()),
    ])
    rows.append([
        InlineKeyboardButton(text="📍 " + (kecamatan or tr.plain("All kecamatan")),
                             callback_data=view.model_copy(update={"pick": "kec"}).pack()),
        InlineKeyboardButton(text="🏷️ " + (state or tr.plain("All open states")),
                             callback_data=view.model_copy(update={"pick": "state"}).pack()),
    ])
    if total == 0:
        text = tr("📭 No open reports for {agency} with these filters.", agency=agency)
    else:
        text = tr("📋 <b>Open reports of {agency}</b>: {n}. Page {page}.", agency=agency, n=total, page=view.page + 1)
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    if edit and message.text is not None:  # a press on a photo or a file (forged) gets a new message
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def _show_filter_choices(message: Message, tr: Translator, region: RegionConfig, view: QueueCb,
                               edit: bool) -> None:
    base = view.model_copy(update={"pick": "", "page": 0})
    if view.pick == "kec":
        choices = [(tr.plain("All kecamatan"), base.model_copy(update={"kec": -1}))] + [
            (k.name, base.model_copy(update={"kec": i})) for i, k in enumerate(region.kecamatan)]
        per_row = 3
    else:
        choices = [(tr.plain("All open states"), base.model_copy(update={"state": ""}))] + [
            (state, base.model_copy(update={"state": state})) for state in sorted(OPEN_STATES)]
        per_row = 2
    buttons = [InlineKeyboardButton(text=label, callback_data=cb.pack()) for label, cb in choices]
    rows = [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    text = tr("Filter the queue:")
    if edit and message.text is not None:  # a press on a photo or a file (forged) gets a new message
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
        await show_queue(callback.message, officer, tr, region, session, clock, view=callback_data, edit=True)

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

