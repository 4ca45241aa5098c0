"""Donation pledge (sumbangan, BAB V): what is offered and how Dinsos can reach the donor."""
from __future__ import annotations

from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.report_nav import leave_flow, shown
from core.clock import Clock
from core.donations import DONATION_KIND_LABELS, DonationKind, PledgeDraft, TooManyPledges, may_pledge, submit_pledge
from core.i18n import N_, Translator, all_translations
from core.region import RegionConfig
from core.reporters import ReporterInfo

CONTACT_MAX = 64
BTN_SHARE_PHONE = N_("📱 Share my phone number")
BTN_TELEGRAM_ONLY = N_("💬 Contact me here on Telegram")


class PledgeFlow(StatesGroup):
    kind = State()
    description = State()
    contact = State()
    review = State()


class DonationAction(StrEnum):
    """The buttons of the donation pledge (/sumbangan)."""

    KIND = "kind"
    SEND = "send"
    CANCEL = "cancel"


class DonationCb(CallbackData, prefix="d"):
    action: DonationAction
    arg: str = ""


def _btn(text: str, action: DonationAction, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=DonationCb(action=action, arg=arg).pack())


def _cancel_row(tr: Translator) -> list[InlineKeyboardButton]:
    return [_btn(tr.plain("✖️ Cancel"), DonationAction.CANCEL)]


TOO_MANY_PLEDGES = N_("Thank you! You have already made as many donation offers today as we can take in one day. "
                      "Dinas Sosial will contact you about them; you can offer more tomorrow.")


async def start_pledge(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                       reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
    if not await may_pledge(session, region=region, reporter_id=reporter.id, now=clock.now()):
        await leave_flow(message, state, tr, tr(TOO_MANY_PLEDGES))
        return
    await state.set_state(PledgeFlow.kind)
    await state.set_data({"pledge": PledgeDraft().model_dump(mode="json")})
    await message.answer(
        tr("🤝 <b>Offer a donation</b> (Perda BAB V: donations are channelled through Dinas Sosial).\n"
           "This bot never takes money: Dinas Sosial will contact you to arrange it.\n\n"
           "<b>What would you like to give?</b>"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[
            [_btn(tr.plain(label), DonationAction.KIND, kind) for kind, label in DONATION_KIND_LABELS.items()],
            _cancel_row(tr),
        ]),
    )


async def _pledge(state: FSMContext) -> PledgeDraft:
    return PledgeDraft.model_validate((await state.get_data()).get("pledge") or {})


async def _save(state: FSMContext, pledge: PledgeDraft) -> None:
    await state.update_data(pledge=pledge.model_dump(mode="json"))


def router() -> Router:
    r = Router(name="donation")

    @r.callback_query(PledgeFlow.kind, DonationCb.filter(F.action == DonationAction.KIND))
    async def chose_kind(callback: CallbackQuery, callback_data: DonationCb, callback_answer: CallbackAnswer,
                         state: FSMContext, tr: Translator) -> None:
        try:
            kind = DonationKind(callback_data.arg)
        except ValueError:
            callback_answer.text, callback_answer.show_alert = tr.plain("This button is no longer valid."), True
            return
        pledge = await _pledge(state)
        pledge.kind = kind
        await _save(state, pledge)
        await state.set_state(PledgeFlow.description)
        await shown(callback).edit_text(tr("✅ {v}", v=tr.plain(DONATION_KIND_LABELS[kind])), reply_markup=None)
        hint = (tr("Write the amount you have in mind, e.g. “Rp 500.000 for school needs of street children”.")
                if kind == DonationKind.MONEY else
                tr("Write what you would like to give, e.g. “20 food parcels” or “used clothes for children”."))
        await shown(callback).answer(hint, reply_markup=InlineKeyboardMarkup(inline_keyboard=[_cancel_row(tr)]))

    @r.message(PledgeFlow.description, F.text)
    async def got_description(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        text = (message.text or "").strip()
        limit = region.limits.info_max_chars
        if not text or text.startswith("/"):
            await message.answer(tr("Please describe your offer in words."))
            return
        if len(text) > limit:
            await message.answer(tr("That is {n} characters; please keep it under {limit}.", n=len(text), limit=limit))
            return
        pledge = await _pledge(state)
        pledge.description = text
        await _save(state, pledge)
        await state.set_state(PledgeFlow.contact)
        await message.answer(
            tr("📞 <b>How can Dinas Sosial reach you?</b> Share your phone number, type one, or choose to be "
               "contacted here on Telegram."),
            reply_markup=ReplyKeyboardMarkup(keyboard=[
                [KeyboardButton(text=tr.plain(BTN_SHARE_PHONE), request_contact=True)],
                [KeyboardButton(text=tr.plain(BTN_TELEGRAM_ONLY))],
            ], resize_keyboard=True, one_time_keyboard=True),
        )

    @r.message(PledgeFlow.contact, F.contact)
    async def got_contact(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await _set_contact(message, state, tr, region, message.contact.phone_number if message.contact else None)

    @r.message(PledgeFlow.contact, F.text.in_(all_translations(BTN_TELEGRAM_ONLY)))
    async def telegram_only(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await _set_contact(message, state, tr, region, None)

    @r.message(PledgeFlow.contact, F.text.regexp(r"^\s*\+?[\d\s\-()]{8,20}\s*$"))
    async def typed_phone(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await _set_contact(message, state, tr, region, (message.text or "").strip())

    @r.message(PledgeFlow.contact)
    async def contact_other(message: Message, tr: Translator) -> None:
        await message.answer(tr("That does not look like a phone number. Type it like <code>0812 3456 7890</code>, "
                                "or use the buttons below."))

    @r.message(PledgeFlow.kind)
    @r.message(PledgeFlow.review)
    async def use_buttons(message: Message, tr: Translator) -> None:
        await message.answer(tr("Please answer with the buttons above, or /batal to cancel."))

    @r.message(PledgeFlow.description)
    async def description_other(message: Message, tr: Translator) -> None:
        await message.answer(tr("Please describe your offer in words."))

    @r.callback_query(PledgeFlow.review, DonationCb.filter(F.action == DonationAction.SEND))
    async def send(callback: CallbackQuery, state: FSMContext, tr: Translator, region: RegionConfig,
                   reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        pledge = await _pledge(state)
        try:
            await submit_pledge(session, clock=clock, region=region, reporter_id=reporter.id, draft=pledge)
        except TooManyPledges:
            # The offer stays in the conversation: "send" works again once a day has passed.
            await shown(callback).answer(tr(TOO_MANY_PLEDGES))
            return
        await state.clear()
        await shown(callback).edit_reply_markup(reply_markup=None)

    @r.callback_query(PledgeFlow(), DonationCb.filter(F.action == DonationAction.CANCEL))
    async def cancel(callback: CallbackQuery, state: FSMContext, tr: Translator) -> None:
        await shown(callback).edit_reply_markup(reply_markup=None)
        await leave_flow(shown(callback), state, tr, tr("Cancelled. Nothing was sent."))

    @r.callback_query(DonationCb.filter())
    async def stale(callback: CallbackQuery, callback_answer: CallbackAnswer, tr: Translator) -> None:
        callback_answer.text = tr.plain("This button is no longer valid. Use the latest message, or the menu.")
        callback_answer.show_alert = True

    return r


async def _set_contact(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                       contact: str | None) -> None:
    pledge = await _pledge(state)
    pledge.contact, pledge.contact_done = (contact[:CONTACT_MAX] if contact else None), True
    await _save(state, pledge)
    await state.set_state(PledgeFlow.review)
    await message.answer(tr("✅ Thank you."), reply_markup=ReplyKeyboardRemove())
    assert pledge.kind is not None  # chosen first
    kind_label = tr.plain(DONATION_KIND_LABELS[pledge.kind])
    await message.answer(
        "\n".join([
            tr("🤝 <b>Your offer</b>"),
            tr("<b>Kind:</b> {v}", v=kind_label),
            tr("<b>Offer:</b> {v}", v=pledge.description),
            tr("<b>Contact:</b> {v}", v=pledge.contact or tr.plain("here on Telegram")),
            tr("Passed to: {v}", v=region.agency(region.donations.agency).name.get(tr.lang)),
        ]),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[
            [_btn(tr.plain("✅ Send offer"), DonationAction.SEND)], _cancel_row(tr)]),
    )
