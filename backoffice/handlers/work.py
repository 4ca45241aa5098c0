"""Closing a report (outcome, persons, from outside the region, note), rejecting it with a reason,
and handing it over to another agency with a reason. The services decide; this only asks."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.keyboards import BUTTON_ACTIONS, OfficerAction, OfficerCb, btn
from backoffice.middlewares import shown
from core.access import Channel, may_hold
from core.clock import Clock
from core.i18n import Translator
from core.ids import parse_id
from core.officers import OfficerInfo, officers_of
from core.region import RegionConfig
from core.relay import add_officer_note, ask_reporter
from core.relay_filter import removed_notice
from core.report_access import ActionRefused, Permitted, permitted
from core.report_actions import (
    close_report,
    hand_over,
    mark_duplicate,
    merge_into_nearby,
    parse_breakdown,
    reassign,
    reject_report,
    reopen,
)
from core.tickets import normalise_ticket

REASON_MAX = 500


class WorkFlow(StatesGroup):
    persons = State()
    from_outside = State()
    breakdown = State()
    note = State()
    reject_reason = State()
    handover_reason = State()
    question = State()
    note_text = State()
    duplicate_of = State()


def _cancel_row(tr: Translator, report_id: int) -> list:
    return [btn(tr.plain("✖️ Cancel"), OfficerAction.CANCEL, report_id)]


def _with_cancel(tr: Translator, report_id: int, rows: list | None = None) -> InlineKeyboardMarkup:
    """Choices (if any) and the Cancel button under a question of a conversation."""
    return InlineKeyboardMarkup(inline_keyboard=[*(rows or []), _cancel_row(tr, report_id)])


async def _may(callback_data: OfficerCb, officer: OfficerInfo, channel: Channel, session: AsyncSession,
               clock: Clock) -> Permitted:
    """The policy's answer for the button pressed (a refusal is raised, and answered as one)."""
    return await permitted(session, actor=officer, report_id=callback_data.report,
                           action=BUTTON_ACTIONS[callback_data.action], now=clock.now(), channel=channel)


def _number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdecimal() and len(text) <= 3 else None


def router() -> Router:
    r = Router(name="backoffice-work")

    # --- close ----------------------------------------------------------------------------
    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.CLOSE))
    async def close_start(callback: CallbackQuery, callback_data: OfficerCb, officer: OfficerInfo,
                          channel: Channel, tr: Translator, region: RegionConfig, session: AsyncSession,
                          clock: Clock) -> None:
        report = await _may(callback_data, officer, channel, session, clock)
        agency = region.agency(report.agency)
        rows = [[btn(o.label.get(tr.lang), OfficerAction.OUTCOME, report.id, o.code)] for o in agency.outcomes]
        await shown(callback).answer(tr("<b>{ticket}</b>: what was the outcome?", ticket=report.ticket),
                                     reply_markup=_with_cancel(tr, report.id, rows))

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.OUTCOME))
    async def chose_outcome(callback: CallbackQuery, callback_data: OfficerCb, callback_answer: CallbackAnswer,
                            state: FSMContext, officer: OfficerInfo, channel: Channel, tr: Translator,
                            region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        report = await _may(callback_data, officer, channel, session, clock)
        try:
            outcome = region.agency(report.agency).outcome(callback_data.arg)
        except KeyError:
            callback_answer.text, callback_answer.show_alert = tr.plain("This button is no longer valid."), True
            return
        await shown(callback).edit_reply_markup(reply_markup=None)
        await state.set_data({"report": report.id, "outcome": outcome.code})
        if outcome.counts_persons:
            await state.set_state(WorkFlow.persons)
            await shown(callback).answer(tr("How many persons were handled? Type a number."),
                                         reply_markup=_with_cancel(tr, report.id))
        else:
            await _ask_note(shown(callback), state, tr, report.id)

    @r.message(WorkFlow.persons)
    async def got_persons(message: Message, state: FSMContext, tr: Translator) -> None:
        persons = _number(message.text)
        if persons is None:
            await message.answer(tr("Please type the number of persons, e.g. <code>3</code>."))
            return
        await state.update_data(persons=persons)
        await state.set_state(WorkFlow.from_outside)
        await message.answer(tr("How many of them are from outside the region? Type a number (0 if none)."))

    @r.message(WorkFlow.from_outside)
    async def got_outside(message: Message, state: FSMContext, tr: Translator) -> None:
        outside = _number(message.text)
        data = await state.get_data()
        if outside is None or outside > data.get("persons", 0):
            await message.answer(tr("Please type a number from 0 to {n}.", n=data.get("persons", 0)))
            return
        await state.update_data(from_outside=outside)
        await state.set_state(WorkFlow.breakdown)
        await message.answer(
            tr("Age group and sex (optional): type e.g. <code>anak 2 dewasa 1 L 2 P 1</code>, or tap Skip."),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[
                [btn(tr.plain("Skip"), OfficerAction.SKIP, data["report"])], _cancel_row(tr, data["report"])]))

    @r.message(WorkFlow.breakdown, F.text)
    async def got_breakdown(message: Message, state: FSMContext, tr: Translator) -> None:
        data = await state.get_data()
        counts = parse_breakdown(message.text or "", data.get("persons", 0))
        if counts is None:
            await message.answer(tr("I could not read that, or it counts more than {n} persons. Type e.g. "
                                    "<code>anak 2 dewasa 1 L 2 P 1</code>, or tap Skip.", n=data.get("persons", 0)))
            return
        await state.update_data(breakdown=counts)
        await _ask_note(message, state, tr, data["report"])

    @r.callback_query(WorkFlow.breakdown, OfficerCb.filter(F.action == OfficerAction.SKIP))
    async def skip_breakdown(callback: CallbackQuery, state: FSMContext, tr: Translator) -> None:
        await shown(callback).edit_reply_markup(reply_markup=None)
        await _ask_note(shown(callback), state, tr, (await state.get_data())["report"])

    @r.callback_query(WorkFlow.note, OfficerCb.filter(F.action == OfficerAction.SKIP))
    async def skip_note(callback: CallbackQuery, state: FSMContext,
                        officer: OfficerInfo, tr: Translator, region: RegionConfig, session: AsyncSession,
                        clock: Clock) -> None:
        await shown(callback).edit_reply_markup(reply_markup=None)
        await _close(shown(callback), state, officer, tr, region, session, clock, note=None)

    @r.message(WorkFlow.note, F.text)
    async def got_note(message: Message, state: FSMContext, officer: OfficerInfo, tr: Translator,
                       region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        note = (message.text or "").strip()[:REASON_MAX]
        await _close(message, state, officer, tr, region, session, clock, note=note)

    # --- reject ---------------------------------------------------------------------------
    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.REJECT))
    async def reject_start(callback: CallbackQuery, callback_data: OfficerCb, state: FSMContext,
                           officer: OfficerInfo, channel: Channel, tr: Translator, session: AsyncSession,
                           clock: Clock) -> None:
        await _may(callback_data, officer, channel, session, clock)
        await state.set_state(WorkFlow.reject_reason)
        await state.set_data({"report": callback_data.report})
        await shown(callback).answer(
            tr("Why is this report rejected? Type the reason; the reporter will read it "
               "(e.g. “not found at the location”, “outside our area”)."),
            reply_markup=_with_cancel(tr, callback_data.report))

    @r.message(WorkFlow.reject_reason, F.text)
    async def got_reject_reason(message: Message, state: FSMContext, officer: OfficerInfo, tr: Translator,
                                region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        async def act(data: dict) -> str:
            result = await reject_report(session, clock=clock, region=region, officer=officer,
                                         report_id=data["report"], reason=(message.text or "").strip()[:REASON_MAX])
            return tr("⛔ {ticket} rejected; the reporter is told.", ticket=result.ticket)

        await _finish(message, state, tr, act)

    # --- hand over ------------------------------------------------------------------------
    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.HANDOVER))
    async def handover_start(callback: CallbackQuery, callback_data: OfficerCb, officer: OfficerInfo,
                             channel: Channel, tr: Translator, region: RegionConfig, session: AsyncSession,
                             clock: Clock) -> None:
        report = await _may(callback_data, officer, channel, session, clock)
        rows = [[btn(a.short.get(tr.lang), OfficerAction.HANDOVER_TO, report.id, a.code)]
                for a in region.agencies if a.code != report.agency]
        await shown(callback).answer(tr("<b>{ticket}</b>: hand over to which agency?", ticket=report.ticket),
                                     reply_markup=_with_cancel(tr, report.id, rows))

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.HANDOVER_TO))
    async def handover_to(callback: CallbackQuery, callback_data: OfficerCb, callback_answer: CallbackAnswer,
                          state: FSMContext, officer: OfficerInfo, channel: Channel, tr: Translator,
                          region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        report = await _may(callback_data, officer, channel, session, clock)
        if callback_data.arg == report.agency or callback_data.arg not in {a.code for a in region.agencies}:
            callback_answer.text, callback_answer.show_alert = tr.plain("This button is no longer valid."), True
            return
        await shown(callback).edit_reply_markup(reply_markup=None)
        await state.set_state(WorkFlow.handover_reason)
        await state.set_data({"report": callback_data.report, "to": callback_data.arg})
        await shown(callback).answer(tr("Type the reason for the hand-over (e.g. “picked up in a penertiban, "
                                         "needs rehabilitation”)."),
                                      reply_markup=_with_cancel(tr, callback_data.report))

    @r.message(WorkFlow.handover_reason, F.text)
    async def got_handover_reason(message: Message, state: FSMContext, officer: OfficerInfo, tr: Translator,
                                  region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        async def act(data: dict) -> str:
            result = await hand_over(session, clock=clock, region=region, officer=officer, report_id=data["report"],
                                     to_agency=data["to"], reason=(message.text or "").strip()[:REASON_MAX])
            return tr("🔀 {ticket} handed over to {agency}.", ticket=result.ticket,
                      agency=region.agency(data["to"]).short.get(tr.lang))

        await _finish(message, state, tr, act)

    # --- ask the reporter, internal note -----------------------------------------------------
    @r.callback_query(OfficerCb.filter(F.action.in_({OfficerAction.ASK, OfficerAction.NOTE})))
    async def text_start(callback: CallbackQuery, callback_data: OfficerCb, state: FSMContext,
                         officer: OfficerInfo, channel: Channel, tr: Translator, session: AsyncSession,
                         clock: Clock) -> None:
        await _may(callback_data, officer, channel, session, clock)
        asking = callback_data.action == OfficerAction.ASK
        await state.set_state(WorkFlow.question if asking else WorkFlow.note_text)
        await state.set_data({"report": callback_data.report})
        prompt = (tr("Type your question for the reporter. The bot relays it; you will not see who they are.")
                  if asking else tr("Type the note, or send a photo, for the report's file (the reporter does not "
                                    "see it)."))
        await shown(callback).answer(prompt, reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[_cancel_row(tr, callback_data.report)]))

    @r.message(WorkFlow.question, F.text)
    async def got_question(message: Message, state: FSMContext, officer: OfficerInfo, tr: Translator,
                           session: AsyncSession, clock: Clock) -> None:
        async def act(data: dict) -> str:
            relayed = await ask_reporter(session, clock=clock, officer=officer, report_id=data["report"],
                                         question=(message.text or "").strip())
            said = tr("❓ Sent to the reporter of {ticket}; their answer will come here.", ticket=relayed.ticket)
            removed = removed_notice(tr, relayed.removed, to_officer=True)
            return f"{said}\n{removed}" if removed else said

        await _finish(message, state, tr, act)

    @r.message(WorkFlow.note_text, F.text | F.photo)
    async def got_file_note(message: Message, state: FSMContext, officer: OfficerInfo, tr: Translator,
                            session: AsyncSession, clock: Clock) -> None:
        photo = message.photo[-1].file_id if message.photo else None

        async def act(data: dict) -> str:
            ticket = await add_officer_note(session, clock=clock, officer=officer, report_id=data["report"],
                                            note=(message.text or message.caption or "").strip(), photo_file_id=photo)
            return (tr("📷 Photo added to {ticket}.", ticket=ticket) if photo
                    else tr("📝 Note added to {ticket}.", ticket=ticket))

        await _finish(message, state, tr, act)

    # --- duplicates -------------------------------------------------------------------------
    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.MERGE))
    async def merge(callback: CallbackQuery, callback_data: OfficerCb, officer: OfficerInfo, channel: Channel,
                    tr: Translator, region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        await _may(callback_data, officer, channel, session, clock)
        result, other = await merge_into_nearby(session, clock=clock, region=region, officer=officer,
                                                report_id=callback_data.report)
        await shown(callback).answer(tr("🔗 {ticket} merged into {other}.", ticket=result.ticket, other=other))

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.DUPLICATE))
    async def duplicate_start(callback: CallbackQuery, callback_data: OfficerCb, state: FSMContext,
                              officer: OfficerInfo, channel: Channel, tr: Translator, session: AsyncSession,
                              clock: Clock) -> None:
        await _may(callback_data, officer, channel, session, clock)
        await state.set_state(WorkFlow.duplicate_of)
        await state.set_data({"report": callback_data.report})
        await shown(callback).answer(tr("Type the ticket of the report this one duplicates, e.g. "
                                         "<code>PSR-2611-0042</code>."),
                                      reply_markup=_with_cancel(tr, callback_data.report))

    @r.message(WorkFlow.duplicate_of, F.text)
    async def got_duplicate_of(message: Message, state: FSMContext, officer: OfficerInfo, tr: Translator,
                               region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        ticket = normalise_ticket(message.text or "")
        if ticket is None:
            await message.answer(tr("Please type a ticket like <code>PSR-2611-0042</code>."))
            return

        async def act(data: dict) -> str:
            result = await mark_duplicate(session, clock=clock, region=region, officer=officer,
                                          report_id=data["report"], of_ticket=ticket)
            return tr("🔗 {ticket} merged into {other}.", ticket=result.ticket, other=ticket)

        await _finish(message, state, tr, act)

    # --- supervisors: reopen, reassign ------------------------------------------------------
    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.REOPEN))
    async def reopen_report(callback: CallbackQuery, callback_data: OfficerCb, officer: OfficerInfo,
                            channel: Channel, tr: Translator, region: RegionConfig, session: AsyncSession,
                            clock: Clock) -> None:
        await _may(callback_data, officer, channel, session, clock)
        result = await reopen(session, clock=clock, region=region, officer=officer, report_id=callback_data.report)
        await shown(callback).answer(tr("🔁 {ticket} is back in the queue.", ticket=result.ticket))

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.REASSIGN))
    async def reassign_start(callback: CallbackQuery, callback_data: OfficerCb, officer: OfficerInfo,
                             channel: Channel, tr: Translator, session: AsyncSession, clock: Clock) -> None:
        report = await _may(callback_data, officer, channel, session, clock)
        people = [o for o in await officers_of(session, agency=report.agency) if may_hold(o, report.agency)]
        rows = [[btn(o.name, OfficerAction.REASSIGN_TO, callback_data.report, str(o.id))] for o in people[:30]]
        await shown(callback).answer(tr("Assign to whom?"), reply_markup=InlineKeyboardMarkup(
            inline_keyboard=rows + [_cancel_row(tr, callback_data.report)]))

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.REASSIGN_TO))
    async def reassign_to(callback: CallbackQuery, callback_data: OfficerCb, callback_answer: CallbackAnswer,
                          officer: OfficerInfo, channel: Channel, tr: Translator, region: RegionConfig,
                          session: AsyncSession, clock: Clock) -> None:
        await _may(callback_data, officer, channel, session, clock)
        to_officer = parse_id(callback_data.arg)
        if to_officer is None:
            callback_answer.text, callback_answer.show_alert = tr.plain("This button is no longer valid."), True
            return
        result = await reassign(session, clock=clock, region=region, officer=officer,
                                report_id=callback_data.report, to_officer_id=to_officer)
        await shown(callback).edit_reply_markup(reply_markup=None)
        await shown(callback).answer(tr("👤 {ticket} reassigned.", ticket=result.ticket))

    @r.callback_query(OfficerCb.filter(F.action == OfficerAction.CANCEL))
    async def cancel(callback: CallbackQuery, state: FSMContext, tr: Translator) -> None:
        await state.clear()
        await shown(callback).edit_reply_markup(reply_markup=None)
        await shown(callback).answer(tr("Cancelled; nothing was changed."))

    @r.message(WorkFlow())
    async def expected_text(message: Message, tr: Translator) -> None:
        await message.answer(tr("Please type your answer as text, or tap Cancel."))

    return r


async def _finish(message: Message, state: FSMContext, tr: Translator,
                  act: Callable[[dict], Awaitable[str]]) -> None:
    """Ends the conversation and runs the service; the officer reads its result or its refusal
    (ActionRefused, answered by backoffice.middlewares.RefusalMiddleware)."""
    data = await state.get_data()
    await state.clear()
    if not isinstance(data.get("report"), int):
        raise ActionRefused("This button is no longer valid.")
    await message.answer(await act(data))


async def _ask_note(message: Message, state: FSMContext, tr: Translator, report_id: int) -> None:
    await state.set_state(WorkFlow.note)
    await message.answer(tr("Add a closing note for the file (optional)."),
                         reply_markup=InlineKeyboardMarkup(inline_keyboard=[
                             [btn(tr.plain("Skip"), OfficerAction.SKIP, report_id)], _cancel_row(tr, report_id)]))


async def _close(message: Message, state: FSMContext, officer: OfficerInfo, tr: Translator, region: RegionConfig,
                 session: AsyncSession, clock: Clock, note: str | None) -> None:
    async def act(data: dict) -> str:
        result = await close_report(session, clock=clock, region=region, officer=officer, report_id=data["report"],
                                    outcome=data["outcome"], persons=data.get("persons"),
                                    from_outside=data.get("from_outside"), note=note,
                                    breakdown=data.get("breakdown"))
        return tr("✅ {ticket} closed; the reporter is told and asked for a rating.", ticket=result.ticket)

    await _finish(message, state, tr, act)
