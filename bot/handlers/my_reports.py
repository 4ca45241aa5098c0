"""/status and "My reports": state and history of each report; add information or a photo; withdraw."""
from __future__ import annotations

from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.report_nav import escape, leave_flow, menu_markup, shown
from core.clock import Clock
from core.i18n import N_, Translator
from core.ids import DbId, PageNo
from core.lifecycle import STATE_LABELS, ReportState
from core.my_reports import (
    PAGE_SIZE,
    NotYourReport,
    ReportClosed,
    TooManyPhotos,
    TooMuchInfo,
    add_info,
    add_photo,
    find_by_ticket,
    info_room,
    list_reports,
    report_detail,
    withdraw,
)
from core.region import RegionConfig
from core.reporters import ReporterInfo
from core.tickets import normalise_ticket
from core.when import moment


class MyReportsFlow(StatesGroup):
    info = State()
    photo = State()


class MyReportsAction(StrEnum):
    """The buttons of "My reports" (/status): a page, a report, additions, withdrawal."""

    PAGE = "page"
    DETAIL = "det"
    ADD_INFO = "info"
    ADD_PHOTO = "photo"
    WITHDRAW_ASK = "wask"
    WITHDRAW_YES = "wyes"
    STOP = "stop"
    HISTORY = "hist"


class MyCb(CallbackData, prefix="m"):
    action: MyReportsAction
    id: DbId = 0  # a report, or a page of the list
    page: PageNo = 0  # a page of a report's history, counted back from the latest


# A report's history is shown a page at a time, the latest first: a report with many additions
# must still fit Telegram's 4,096 characters.
HISTORY_PAGE = 8


STATE_ICONS: dict[str, str] = {
    ReportState.BARU: "🆕", ReportState.DITERIMA: "👀", ReportState.DITANGANI: "🚶",
    ReportState.SELESAI: "✅", ReportState.DIALIHKAN: "🔀", ReportState.DITOLAK: "⛔",
    ReportState.DUPLIKAT: "🔗", ReportState.DITARIK: "↩️",
}

TOO_MUCH_INFO = N_("This report already holds as much added information as it can take; the officers have "
                   "what you sent. If something new and urgent happens, please make a new report.")

HISTORY_LABELS = {
    "submitted": N_("sent"),
    "acknowledged": N_("acknowledged by an officer"),
    "in_progress": N_("officers on the way"),
    "handed_over": N_("handed over to another agency"),
    "closed": N_("closed"),
    "rejected": N_("rejected"),
    "duplicate": N_("merged with another report"),
    "reopened": N_("reopened"),
    "withdrawn": N_("withdrawn by you"),
    "info_added": N_("you added information"),
    "photo_added": N_("you added a photo"),
}


def _btn(text: str, action: MyReportsAction, id_: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=MyCb(action=action, id=id_).pack())


def _btn_page(text: str, report_id: int, page: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=MyCb(action=MyReportsAction.HISTORY, id=report_id,
                                                              page=page).pack())


async def show_my_reports(message: Message, tr: Translator, region: RegionConfig, reporter: ReporterInfo,
                          session: AsyncSession, page: int = 0, edit: bool = False) -> None:
    lines, total = await list_reports(session, reporter_id=reporter.id, page=page)
    if total == 0:
        await message.answer(tr("You have not sent any report yet. Tap “📝 Make a report” to start."),
                             reply_markup=menu_markup(tr))
        return
    rows = [[_btn(f"{STATE_ICONS.get(line.state, '')} {line.ticket} · {_category(region, line.category, tr)}",
                  MyReportsAction.DETAIL, line.id)] for line in lines]
    nav = []
    if page > 0:
        nav.append(_btn(tr.plain("◀️ Newer"), MyReportsAction.PAGE, page - 1))
    if (page + 1) * PAGE_SIZE < total:
        nav.append(_btn(tr.plain("Older ▶️"), MyReportsAction.PAGE, page + 1))
    if nav:
        rows.append(nav)
    text = tr("📋 <b>Your reports</b> ({n} in all). Tap one to see its status and history.", n=total)
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


def _category(region: RegionConfig, code: str, tr: Translator) -> str:
    try:
        return region.category(code).label.get(tr.lang)
    except KeyError:  # a category removed from the config since
        return code


def detail_text(tr: Translator, region: RegionConfig, detail, page: int = 0) -> str:
    line = detail.line
    tz = region.tz
    state_label = tr.plain(STATE_LABELS.get(ReportState(line.state), line.state))
    lines = [
        f"<b>{escape(line.ticket)}</b> · {escape(_category(region, line.category, tr))}"
        + (" ⚠️" if line.urgent else ""),
        tr("<b>Status:</b> {v}", v=f"{STATE_ICONS.get(line.state, '')} {state_label}"),
        tr("<b>Handled by:</b> {v}", v=region.agency(detail.agency).short.get(tr.lang)
           if detail.agency in {a.code for a in region.agencies} else detail.agency),
    ]
    if line.kecamatan:
        place = f"{line.kecamatan}, Desa/Kel. {detail.desa}" if detail.desa else line.kecamatan
        lines.append(tr("<b>Place:</b> Kec. {v}", v=place))
    lines.append(tr("<b>Sent:</b> {v}", v=moment(tr, line.created_at, tz)))
    if detail.open:
        lines.append(tr("<b>Response target:</b> {v}", v=moment(tr, detail.due_at, tz)))
    if detail.outcome:
        lines.append(tr("<b>Outcome:</b> {v}", v=_outcome(region, detail.agency, detail.outcome, tr)))
    lines.append("")
    pages = _history_pages(detail)
    page = min(page, pages - 1)
    end = len(detail.history) - page * HISTORY_PAGE
    shown = detail.history[max(0, end - HISTORY_PAGE):end]
    lines.append(tr("<b>History</b>") if pages == 1 else
                 tr("<b>History</b> (page {page} of {pages}, latest first)", page=page + 1, pages=pages))
    for item in shown:
        when = moment(tr, item.at, tz)
        label = tr.plain(HISTORY_LABELS.get(item.action, item.action))
        lines.append(f"• {when} — {escape(label)}" + (f": <i>{escape(item.note[:200])}</i>" if item.note else ""))
    return "\n".join(lines)


def _outcome(region: RegionConfig, agency: str, code: str, tr: Translator) -> str:
    """The outcome in the resident's language, from the closing agency's list (else any agency's)."""
    agencies = sorted(region.agencies, key=lambda a: a.code != agency)
    return next((o.label.get(tr.lang) for a in agencies for o in a.outcomes if o.code == code), code)


def _history_pages(detail) -> int:
    return max(1, -(-len(detail.history) // HISTORY_PAGE))


def detail_keyboard(tr: Translator, detail, page: int = 0) -> InlineKeyboardMarkup:
    rows = []
    pages = _history_pages(detail)
    nav = []
    if page + 1 < pages:
        nav.append(_btn_page(tr.plain("◀️ Earlier"), detail.line.id, page + 1))
    if page > 0:
        nav.append(_btn_page(tr.plain("Later ▶️"), detail.line.id, page - 1))
    if nav:
        rows.append(nav)
    if detail.open:
        rid = detail.line.id
        rows.append([_btn(tr.plain("➕ Add information"), MyReportsAction.ADD_INFO, rid),
                     _btn(tr.plain("📷 Add a photo"), MyReportsAction.ADD_PHOTO, rid)])
        rows.append([_btn(tr.plain("↩️ Withdraw this report"), MyReportsAction.WITHDRAW_ASK, rid)])
    rows.append([_btn(tr.plain("⬅️ All my reports"), MyReportsAction.PAGE, 0)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _show_detail(message: Message, tr, region, reporter, session, report_id: int, edit: bool,
                       page: int = 0) -> bool:
    try:
        detail = await report_detail(session, reporter_id=reporter.id, report_id=report_id)
    except NotYourReport:
        await message.answer(tr("That report was not found among yours."))
        return False
    page = min(page, _history_pages(detail) - 1)
    text, markup = detail_text(tr, region, detail, page), detail_keyboard(tr, detail, page)
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)
    return True


async def show_ticket(message: Message, tr: Translator, region: RegionConfig, reporter: ReporterInfo,
                      session: AsyncSession, typed: str) -> None:
    """/status PSR-2611-0042: one of the resident's own reports, by the ticket they typed."""
    ticket = normalise_ticket(typed)
    try:
        report_id = await find_by_ticket(session, reporter_id=reporter.id, ticket=ticket or "")
    except NotYourReport:
        await message.answer(tr("No report of yours has the ticket {ticket}. Check the number, or tap "
                                "“📋 My reports”.", ticket=typed[:40]))
        return
    await _show_detail(message, tr, region, reporter, session, report_id, edit=False)


def router() -> Router:
    r = Router(name="my-reports")

    @r.callback_query(MyCb.filter(F.action == MyReportsAction.PAGE))
    async def page(callback: CallbackQuery, callback_data: MyCb, tr: Translator, region: RegionConfig,
                   reporter: ReporterInfo, session: AsyncSession) -> None:
        await show_my_reports(shown(callback), tr, region, reporter, session, page=max(0, callback_data.id), edit=True)

    @r.callback_query(MyCb.filter(F.action.in_({MyReportsAction.DETAIL, MyReportsAction.HISTORY})))
    async def detail(callback: CallbackQuery, callback_data: MyCb, tr: Translator, region: RegionConfig,
                     reporter: ReporterInfo, session: AsyncSession) -> None:
        await _show_detail(shown(callback), tr, region, reporter, session, callback_data.id, edit=True,
                           page=callback_data.page)

    @r.callback_query(MyCb.filter(F.action.in_({MyReportsAction.ADD_INFO, MyReportsAction.ADD_PHOTO})))
    async def ask_addition(callback: CallbackQuery, callback_data: MyCb, callback_answer: CallbackAnswer,
                           state: FSMContext, tr: Translator, region: RegionConfig, reporter: ReporterInfo,
                           session: AsyncSession) -> None:
        try:
            detail = await report_detail(session, reporter_id=reporter.id, report_id=callback_data.id)
        except NotYourReport:
            callback_answer.text, callback_answer.show_alert = tr.plain("That report was not found among yours."), True
            return
        if not detail.open:
            callback_answer.text, callback_answer.show_alert = tr.plain("This report is closed."), True
            return
        if callback_data.action == MyReportsAction.ADD_INFO and not await info_room(
                session, reporter_id=reporter.id, report_id=detail.line.id,
                limit=region.limits.info_additions_per_report):
            callback_answer.text, callback_answer.show_alert = tr.plain(TOO_MUCH_INFO), True
            return
        adding_info = callback_data.action == MyReportsAction.ADD_INFO
        await state.set_state(MyReportsFlow.info if adding_info else MyReportsFlow.photo)
        await state.update_data(target_report=detail.line.id)
        stop = InlineKeyboardMarkup(inline_keyboard=[[_btn(tr.plain("✖️ Cancel"), MyReportsAction.STOP)]])
        if callback_data.action == MyReportsAction.ADD_INFO:
            await shown(callback).answer(tr("Type the information to add to {ticket}.", ticket=detail.line.ticket),
                                         reply_markup=stop)
        else:
            await shown(callback).answer(tr("Send the photo to add to {ticket}.", ticket=detail.line.ticket),
                                         reply_markup=stop)

    @r.callback_query(MyCb.filter(F.action == MyReportsAction.STOP))
    async def stop(callback: CallbackQuery, state: FSMContext, tr: Translator) -> None:
        await shown(callback).edit_reply_markup(reply_markup=None)
        await leave_flow(shown(callback), state, tr, tr("Cancelled. Nothing was added."))

    @r.message(MyReportsFlow.info, F.text)
    async def got_info(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                       reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        text = (message.text or "").strip()
        limit = region.limits.info_max_chars
        if not text or text.startswith("/"):
            await message.answer(tr("Please type the information as text."))
            return
        if len(text) > limit:
            await message.answer(tr("That is {n} characters; please keep it under {limit}.", n=len(text), limit=limit))
            return
        report_id = (await state.get_data()).get("target_report", 0)
        try:
            ticket = await add_info(session, clock=clock, reporter_id=reporter.id, report_id=report_id, text=text,
                                    limit=region.limits.info_additions_per_report)
        except (NotYourReport, ReportClosed):
            await leave_flow(message, state, tr, tr("This report is closed; nothing was added."))
            return
        except TooMuchInfo:
            await leave_flow(message, state, tr, tr(TOO_MUCH_INFO))
            return
        await leave_flow(message, state, tr, tr("✅ Added to {ticket}. The officers will see it.", ticket=ticket))

    @r.message(MyReportsFlow.photo, F.photo)
    async def got_photo(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                        reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        best = (message.photo or [])[-1]  # the filter let only photos through
        report_id = (await state.get_data()).get("target_report", 0)
        try:
            ticket = await add_photo(session, clock=clock, reporter_id=reporter.id, report_id=report_id,
                                     file_id=best.file_id, file_unique_id=best.file_unique_id,
                                     max_photos=region.limits.max_photos)
        except (NotYourReport, ReportClosed):
            await leave_flow(message, state, tr, tr("This report is closed; nothing was added."))
            return
        except TooManyPhotos:
            await leave_flow(message, state, tr, tr("This report already has as many photos as it can hold."))
            return
        await leave_flow(message, state, tr, tr("✅ Photo added to {ticket}.", ticket=ticket))

    @r.message(MyReportsFlow.info)
    async def info_other(message: Message, tr: Translator) -> None:
        await message.answer(tr("Please type the information as text, or tap Cancel."))

    @r.message(MyReportsFlow.photo)
    async def photo_other(message: Message, tr: Translator) -> None:
        if message.document is not None:
            await message.answer(tr("Please send the picture as a photo (📎 → Gallery), not as a file."))
        else:
            await message.answer(tr("Please send a photo, or tap Cancel."))

    @r.callback_query(MyCb.filter(F.action == MyReportsAction.WITHDRAW_ASK))
    async def withdraw_ask(callback: CallbackQuery, callback_data: MyCb, tr: Translator) -> None:
        await shown(callback).edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=[
            [_btn(tr.plain("Yes, withdraw it"), MyReportsAction.WITHDRAW_YES, callback_data.id)],
            [_btn(tr.plain("No, keep it"), MyReportsAction.DETAIL, callback_data.id)],
        ]))

    @r.callback_query(MyCb.filter(F.action == MyReportsAction.WITHDRAW_YES))
    async def withdraw_yes(callback: CallbackQuery, callback_data: MyCb, callback_answer: CallbackAnswer,
                           tr: Translator, region: RegionConfig, reporter: ReporterInfo,
                           session: AsyncSession, clock: Clock) -> None:
        try:
            ticket = await withdraw(session, clock=clock, reporter_id=reporter.id, report_id=callback_data.id)
        except NotYourReport:
            callback_answer.text, callback_answer.show_alert = tr.plain("That report was not found among yours."), True
            return
        except ReportClosed:
            callback_answer.text, callback_answer.show_alert = tr.plain("This report is closed."), True
            return
        callback_answer.text = tr.plain("{ticket} withdrawn.", ticket=ticket)
        await _show_detail(shown(callback), tr, region, reporter, session, callback_data.id, edit=True)

    return r
