"""A resident answers an officer's question, relayed by the bot (no direct contact either way)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.report_nav import leave_flow, shown
from core.clock import Clock
from core.i18n import Translator
from core.ids import DbId
from core.relay import answer_question, question_for_reporter, reporter_is_named
from core.relay_filter import removed_notice
from core.reporters import ReporterInfo

ANSWER_MAX = 1000


class AnswerCb(CallbackData, prefix="ans"):
    """The "Answer" button under a relayed question (bot.notices)."""

    question: DbId


class AnswerFlow(StatesGroup):
    text = State()


def router() -> Router:
    r = Router(name="relay-answer")

    @r.callback_query(AnswerCb.filter())
    async def start_answer(callback: CallbackQuery, callback_data: AnswerCb, callback_answer: CallbackAnswer,
                           state: FSMContext, tr: Translator, reporter: ReporterInfo, session: AsyncSession) -> None:
        question = await question_for_reporter(session, reporter_id=reporter.id, question_id=callback_data.question)
        if question is None:
            callback_answer.text, callback_answer.show_alert = tr.plain("This question is already answered."), True
            return
        await state.set_state(AnswerFlow.text)
        await state.update_data(question=question.id)
        await shown(callback).answer(
            tr("Type your answer. For this report you agreed that officers may see your name.")
            if await reporter_is_named(session, question) else
            tr("Type your answer. The officer will not see your name or account."))

    @r.message(AnswerFlow.text, F.text)
    async def got_answer(message: Message, state: FSMContext, tr: Translator, reporter: ReporterInfo,
                         session: AsyncSession, clock: Clock) -> None:
        text = (message.text or "").strip()
        if not text or text.startswith("/") or len(text) > ANSWER_MAX:
            await message.answer(tr("Please type an answer of at most {n} characters.", n=ANSWER_MAX))
            return
        question_id = (await state.get_data()).get("question", 0)
        answered = await answer_question(session, clock=clock, reporter_id=reporter.id, question_id=question_id,
                                         answer=text)
        if answered is None:
            await leave_flow(message, state, tr, tr("This question is already answered."))
            return
        said = tr("✅ Your answer about {ticket} is sent to the officer.", ticket=answered.ticket)
        removed = removed_notice(tr, answered.removed, to_officer=False)
        await leave_flow(message, state, tr, f"{said}\n{removed}" if removed else said)

    @r.message(AnswerFlow.text)
    async def not_text(message: Message, tr: Translator) -> None:
        await message.answer(tr("Please type your answer as text, or /batal."))

    return r
