"""Starting a report, the review card (change any field, send), cancelling, and stale buttons."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.report_nav import advance, leave_flow, show_review, shown
from bot.flows.report_ui import (
    BTN_CANCEL,
    EDITABLE_FIELDS,
    ReportAction,
    ReportCb,
    ReportFlow,
    ask,
    button,
    load_draft,
    markup,
    refuse,
    save_draft,
)
from bot.notices import format_minutes
from core.clock import Clock
from core.draft import ReportDraft
from core.i18n import Translator, all_translations
from core.region import RegionConfig
from core.report_submit import (
    DraftIncomplete,
    RateLimited,
    ReporterBanned,
    check_rate_limit,
    submit_report,
)
from core.reporters import ReporterInfo


async def start_report(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                       reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
    """Entry from /lapor, the menu button or a /start lapor deep link."""
    if reporter.banned:
        await message.answer(tr("Your account can no longer send reports through this bot. "
                                "If you think this is a mistake, contact the Dinas Sosial office."))
        return
    try:
        await check_rate_limit(session, region=region, reporter_id=reporter.id, now=clock.now())
    except RateLimited as exc:
        await message.answer(rate_limited_text(tr, exc))
        return
    draft = await load_draft(state)
    if draft is not None and draft.category is not None:
        await message.answer(
            tr("You have a report that is not sent yet. Continue it, or start a new one?"),
            reply_markup=markup([
                [button(tr.plain("▶️ Continue my report"), ReportAction.RESUME)],
                [button(tr.plain("🆕 Start a new report"), ReportAction.RESTART)],
            ]),
        )
        return
    await _begin(message, state, tr, region)


async def _begin(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
    await state.set_data({})
    draft = ReportDraft()
    await save_draft(state, draft, editing=False)
    await ask("category", message, state, tr, region, draft,
              prefix=tr("📝 <b>New report.</b> It takes under a minute. You can cancel at any step."))


def rate_limited_text(tr: Translator, exc: RateLimited) -> str:
    minutes = max(1, int(exc.retry_after.total_seconds() // 60) + 1)
    return tr("🙏 You have sent many reports in a short time. Thank you for caring! To keep the queue "
              "useful for officers, please try again in {wait}. If someone is in danger, call 112.",
              wait=format_minutes(tr, minutes))


def router() -> Router:
    r = Router(name="report-review")

    @r.callback_query(ReportCb.filter(F.action == ReportAction.RESUME))
    async def resume(callback: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, tr: Translator,
                     region: RegionConfig) -> None:
        draft = await load_draft(state)
        if draft is None:
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        await shown(callback).edit_reply_markup(reply_markup=None)
        await state.update_data(editing=False)
        await advance(shown(callback), state, tr, region, draft)

    @r.callback_query(ReportCb.filter(F.action == ReportAction.RESTART))
    async def restart(callback: CallbackQuery, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await shown(callback).edit_reply_markup(reply_markup=None)
        await _begin(shown(callback), state, tr, region)

    @r.callback_query(ReportFlow.review, ReportCb.filter(F.action == ReportAction.SUBMIT))
    async def submit(callback: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, tr: Translator,
                     region: RegionConfig, reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        draft = await load_draft(state)
        if draft is None:
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        try:
            result = await submit_report(session, clock=clock, region=region, reporter_id=reporter.id, draft=draft)
        except RateLimited as exc:
            await shown(callback).answer(rate_limited_text(tr, exc) + "\n" +
                                         tr("Your report is kept; send it from this summary later."))
            return
        except ReporterBanned:
            await leave_flow(shown(callback), state, tr, tr(
                "Your account can no longer send reports through this bot. "
                "If you think this is a mistake, contact the Dinas Sosial office."))
            return
        except DraftIncomplete:
            await shown(callback).edit_reply_markup(reply_markup=None)
            await advance(shown(callback), state, tr, region, draft)
            return
        await state.clear()
        # The receipt with the ticket comes from the outbox (it survives a crash right here);
        # the card only loses its buttons so it cannot be sent twice.
        await shown(callback).edit_reply_markup(reply_markup=None)
        callback_answer.text = tr.plain("Sent: {ticket}", ticket=result.ticket)

    @r.callback_query(ReportFlow.review, ReportCb.filter(F.action == ReportAction.EDIT))
    async def edit(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                   state: FSMContext, tr: Translator,
                   region: RegionConfig) -> None:
        draft = await load_draft(state)
        if draft is None or callback_data.arg not in dict(EDITABLE_FIELDS):
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        await shown(callback).edit_reply_markup(reply_markup=None)
        await state.update_data(editing=True)
        await ask(callback_data.arg, shown(callback), state, tr, region, draft)

    @r.callback_query(ReportFlow(), ReportCb.filter(F.action == ReportAction.BACK_TO_REVIEW))
    async def back(callback: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, tr: Translator,
                   region: RegionConfig) -> None:
        draft = await load_draft(state)
        if draft is None or draft.missing():
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        await shown(callback).edit_reply_markup(reply_markup=None)
        await show_review(shown(callback), state, tr, region, draft)

    @r.callback_query(ReportFlow(), ReportCb.filter(F.action == ReportAction.CANCEL))
    async def cancel_button(callback: CallbackQuery, state: FSMContext, tr: Translator) -> None:
        await shown(callback).edit_reply_markup(reply_markup=None)
        await leave_flow(shown(callback), state, tr, tr("Report cancelled. Nothing was sent."))

    @r.message(ReportFlow(), F.text.in_(all_translations(BTN_CANCEL)))
    async def cancel_text(message: Message, state: FSMContext, tr: Translator) -> None:
        await leave_flow(message, state, tr, tr("Report cancelled. Nothing was sent."))

    @r.message(ReportFlow.review)
    async def review_other(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await load_draft(state)
        if draft is None:  # the draft went (30 days untouched) while the state stayed
            await leave_flow(message, state, tr, tr("Report cancelled. Nothing was sent."))
            return
        await show_review(message, state, tr, region, draft,
                          prefix=tr("Your report is ready. Please send it, change a field, or cancel, "
                                    "using the buttons."))

    return r


def stale_router() -> Router:
    """Last in line: a report-flow button pressed out of turn (an old message) is refused politely."""
    r = Router(name="report-stale")

    @r.callback_query(ReportCb.filter())
    async def stale(callback: CallbackQuery, callback_answer: CallbackAnswer, tr: Translator) -> None:
        refuse(callback_answer, tr.plain("This button is no longer valid. Use the latest message, or the menu."))

    return r


def cancel_command_router() -> Router:
    """/batal (and /cancel) work in every conversation, before any step handler sees the message."""
    r = Router(name="cancel")

    @r.message(Command("batal", "cancel"))
    async def cancel(message: Message, state: FSMContext, tr: Translator) -> None:
        if await state.get_state() is None:
            await leave_flow(message, state, tr, tr("There is nothing to cancel."))
        else:
            await leave_flow(message, state, tr, tr("Cancelled. Nothing was sent."))

    return r
