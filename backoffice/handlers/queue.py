"""/antrian (the agency's open reports), /tugas (mine), /terlambat (overdue), /lapor TICKET."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.alerts import alert_text
from backoffice.keyboards import OfficerAction, OfficerCb, alert_keyboard
from backoffice.middlewares import shown
from core.access import Channel, View, list_scope, may_view
from core.clock import Clock
from core.history import history_lines
from core.i18n import N_, Translator
from core.ids import PageNo
from core.lifecycle import OPEN_STATES
from core.officers import OfficerInfo
from core.queue import PAGE_SIZE, QueueLine, find_ticket, officer_tasks, open_reports, overdue, report_with_history
from core.region import RegionConfig
from core.report_access import ActionRefused
from core.report_view import build_view
from core.tickets import normalise_ticket

NO_SUCH_REPORT = N_("No report {ticket} that you may see. Type it like <code>/lapor PSR-2611-0042</code>.")


def require(officer: OfficerInfo, view: View, channel: Channel) -> None:
    """Raises the policy's refusal of `view` (answered by backoffice.middlewares.RefusalMiddleware)."""
    decision = may_view(officer, view, channel)
    if not decision:
        raise ActionRefused(decision.reason or N_("That report is not available to you."), decision.refusal)


class QueueCb(CallbackData, prefix="q"):
    page: PageNo = 0
    overdue_first: bool = False
    kec: int = -1  # index into the region's kecamatan list; -1: all
    desa: int = -1  # index into that kecamatan's desa list; -1: all
    state: str = ""  # a life-cycle state code; "": every open state
    pick: str = ""  # "kec", "desa" or "state": show that filter's choices instead of the list


def _line_button(tr: Translator, region: RegionConfig, line: QueueLine) -> InlineKeyboardButton:
    late = "⏰ " if line.late else ""
    urgent = "🚨 " if line.urgent else ""
    label = region.category(line.category).label.get(tr.lang)
    place = f"{line.kecamatan}, {line.desa}" if line.kecamatan and line.desa else line.kecamatan or "-"
    text = f"{urgent}{late}{line.ticket} · {label} · {place} · {line.state}"
    return InlineKeyboardButton(text=text[:120], callback_data=OfficerCb(action=OfficerAction.DETAILS,
                                                                         report=line.id).pack())


async def show_queue(message: Message, officer: OfficerInfo, tr: Translator, region: RegionConfig,
                     session: AsyncSession, clock: Clock, view: QueueCb | None = None, edit: bool = False) -> None:
    view = view or QueueCb()
    kecamatan = region.kecamatan[view.kec] if 0 <= view.kec < len(region.kecamatan) else None
    desa = kecamatan.desa[view.desa] if kecamatan and 0 <= view.desa < len(kecamatan.desa) else None
    desa_code = kecamatan.desa_code(desa) if kecamatan and desa else None
    state = view.state if view.state in OPEN_STATES else None
    agency = region.region.name if list_scope(officer).region_wide else region.agency(officer.agency).short.get(tr.lang)
    if view.pick:
        await _show_filter_choices(message, tr, region, view, edit)
        return
    lines, total = await open_reports(session, actor=officer, now=clock.now(), page=view.page,
                                      most_overdue_first=view.overdue_first, kecamatan=kecamatan,
                                      desa_code=desa_code, state=state)
    rows = [[_line_button(tr, region, line)] for line in lines]
    nav = []
    if view.page > 0:
        nav.append(InlineKeyboardButton(text="◀️", callback_data=view.model_copy(update={"page": view.page - 1}).pack()))
    if (view.page + 1) * PAGE_SIZE < total:
        nav.append(InlineKeyboardButton(text="▶️", callback_data=view.model_copy(update={"page": view.page + 1}).pack()))
    if nav:
        rows.append(nav)
    rows.append([
        InlineKeyboardButton(text=tr.plain("Newest first") if view.overdue_first else tr.plain("Most overdue first"),
                             callback_data=view.model_copy(update={"page": 0,
                                                                   "overdue_first": not view.overdue_first}).pack()),
    ])
    filters = [InlineKeyboardButton(text="📍 " + (kecamatan.name if kecamatan else tr.plain("All kecamatan")),
                                    callback_data=view.model_copy(update={"pick": "kec"}).pack())]
    if kecamatan is not None and kecamatan.desa_codes:  # desa with codes: a region pack
        filters.append(InlineKeyboardButton(text="🏘️ " + (desa or tr.plain("All desa")),
                                            callback_data=view.model_copy(update={"pick": "desa"}).pack()))
    filters.append(InlineKeyboardButton(text="🏷️ " + (state or tr.plain("All open states")),
                                        callback_data=view.model_copy(update={"pick": "state"}).pack()))
    rows.append(filters)
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
        choices = [(tr.plain("All kecamatan"), base.model_copy(update={"kec": -1, "desa": -1}))] + [
            (k.name, base.model_copy(update={"kec": i, "desa": -1})) for i, k in enumerate(region.kecamatan)]
        per_row = 3
    elif view.pick == "desa" and 0 <= view.kec < len(region.kecamatan):
        choices = [(tr.plain("All desa"), base.model_copy(update={"desa": -1}))] + [
            (d, base.model_copy(update={"desa": i})) for i, d in enumerate(region.kecamatan[view.kec].desa)]
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
    async def queue(message: Message, officer: OfficerInfo, channel: Channel, tr: Translator, region: RegionConfig,
                    session: AsyncSession, clock: Clock) -> None:
        require(officer, View.QUEUE, channel)
        await show_queue(message, officer, tr, region, session, clock)

    @r.callback_query(QueueCb.filter())
    async def queue_page(callback: CallbackQuery, callback_data: QueueCb, officer: OfficerInfo, channel: Channel,
                         tr: Translator, region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        require(officer, View.QUEUE, channel)
        await show_queue(shown(callback), officer, tr, region, session, clock, view=callback_data, edit=True)

    @r.message(Command("tugas", "tasks"))
    async def tasks(message: Message, officer: OfficerInfo, channel: Channel, tr: Translator, region: RegionConfig,
                    session: AsyncSession, clock: Clock) -> None:
        require(officer, View.TASKS, channel)
        lines = await officer_tasks(session, actor=officer, now=clock.now())
        if not lines:
            await message.answer(tr("You hold no open reports. /antrian shows your agency's queue."))
            return
        await message.answer(tr("🗂️ <b>Your reports</b>: {n}", n=len(lines)), reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[_line_button(tr, region, line)] for line in lines]))

    @r.message(Command("terlambat", "overdue"))
    async def late(message: Message, officer: OfficerInfo, channel: Channel, tr: Translator, region: RegionConfig,
                   session: AsyncSession, clock: Clock) -> None:
        require(officer, View.OVERDUE, channel)
        lines = await overdue(session, actor=officer, now=clock.now())
        if not lines:
            await message.answer(tr("✅ Nothing is overdue."))
            return
        await message.answer(tr("⏰ <b>Overdue</b>: {n}", n=len(lines)), reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[_line_button(tr, region, line)] for line in lines]))

    @r.message(Command("lapor", "report"))
    async def one_report(message: Message, command: CommandObject, officer: OfficerInfo, channel: Channel,
                         tr: Translator, region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        ticket = normalise_ticket(command.args or "")
        try:
            found = await find_ticket(session, actor=officer, ticket=ticket or "", now=clock.now(), channel=channel)
        except ActionRefused as exc:
            if not exc.reveals_nothing:
                raise
            await message.answer(tr(NO_SUCH_REPORT, ticket=(command.args or "")[:30]))
            return
        await send_report_file(message, officer, channel, tr, region, session, clock, found.id)

    return r


async def send_report_file(message: Message, officer: OfficerInfo, channel: Channel, tr: Translator,
                           region: RegionConfig, session: AsyncSession, clock: Clock, report_id: int) -> None:
    """The report as its alert shows it, then its whole history (/lapor TICKET, and 📄 Details)."""
    report, events, agencies = await report_with_history(session, actor=officer, report_id=report_id,
                                                         now=clock.now(), channel=channel)
    view = await build_view(session, region, report, actor=officer, channel=channel)
    head = [alert_text(view, region, tr), "", tr("<b>History</b>")]
    items = history_lines(tr, region, events, agencies)
    # Whole lines only (a cut inside a tag is a 400): the oldest go first when it is long.
    while items and len("\n".join(head + items)) > 4000:
        items.pop(0)
    await message.answer("\n".join(head + items), reply_markup=alert_keyboard(tr, view, details=False))

