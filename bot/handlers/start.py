"""/start (with deep links), language, help, privacy, the main menu, and the last-resort answer."""
from __future__ import annotations

from enum import StrEnum

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.donation import start_pledge
from bot.flows.report_nav import escape, menu_markup, shown
from bot.flows.report_review import start_report
from bot.handlers.my_reports import show_my_reports, show_ticket
from bot.menus import MENU_DONATE, MENU_HELP, MENU_MY_REPORTS, MENU_REPORT
from core.clock import Clock
from core.i18n import LANGUAGES, Translator, all_translations, translator
from core.region import RegionConfig
from core.reporters import ReporterInfo, request_deletion, set_language


class SettingsAction(StrEnum):
    """The buttons of the resident's settings: the language (/bahasa) and a deletion request (/privasi)."""

    LANGUAGE = "lang"
    DELETE_ASK = "delask"
    DELETE_YES = "delyes"
    DELETE_NO = "delno"


class StartCb(CallbackData, prefix="s"):
    action: SettingsAction
    arg: str = ""


LANGUAGE_NAMES = {"id": "🇮🇩 Bahasa Indonesia", "en": "🇬🇧 English"}


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=LANGUAGE_NAMES[lang], callback_data=StartCb(action=SettingsAction.LANGUAGE,
                                                                              arg=lang).pack())
        for lang in LANGUAGES
    ]])


def welcome_text(tr: Translator, region: RegionConfig) -> str:
    numbers = ", ".join(f"{escape(e.number)} ({escape(e.label.get(tr.lang))})" for e in region.emergency)
    return "\n\n".join([
        tr("👋 <b>Lapor PMKS — {region}</b>", region=region.region.name),
        tr("Here you can report street children, beggars, prostitution and other people who need social "
           "help, so that Dinas Sosial or Satpol PP can follow up. You get a ticket number and are told "
           "what happens."),
        tr("🔒 Your identity is hidden from officers unless you allow it. Photos and descriptions are seen "
           "only by the agencies handling the case. See /privasi."),
        tr("⚠️ Do not confront anyone yourself."),
        # numbers is escaped above, so plain() must not escape it again.
        tr.plain("🚨 If someone is in danger, call: {numbers}.", numbers=numbers),
        tr("Tap “📝 Make a report” below to start, or /bantuan for help. Pilih bahasa / choose a language:"),
    ])


def help_text(tr: Translator, region: RegionConfig) -> str:
    return "\n".join([
        tr("❓ <b>Help</b>"),
        tr("/lapor — make a report (category, place, what you saw; under a minute)"),
        tr("/status — your reports, their status and history; add information or withdraw"),
        tr("/sumbangan — offer a donation of money or goods, channelled through Dinas Sosial"),
        tr("/bahasa — change the language"),
        tr("/privasi — what we store and how to ask for deletion"),
        tr("/batal — cancel what you are doing"),
        "",
        tr("Categories you can report:"),
        *[f"• {escape(c.label.get(tr.lang))}" for c in region.categories],
    ])


def privacy_text(tr: Translator, region: RegionConfig) -> str:
    return "\n".join([
        tr("🔒 <b>Privacy</b> (UU 27/2022 on personal data protection)"),
        tr("We store: your Telegram account number (to send you status updates), your language, and the "
           "reports you send (category, place, time, description, photos)."),
        tr("Officers do not see your name or account unless you allowed it for that report; they can only "
           "ask you questions through this bot."),
        tr("Photos are deleted {days} days after a report is closed; reports are kept {report_days} days "
           "for the regency's records.", days=region.privacy.media_retention_days,
           report_days=region.privacy.report_retention_days),
        tr("You may ask for your data to be deleted with the button below."),
    ])


def router() -> Router:
    r = Router(name="start")

    @r.message(CommandStart())
    async def start(message: Message, command: CommandObject, state: FSMContext, tr: Translator,
                    region: RegionConfig, reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        arg = (command.args or "").strip().lower()
        if arg in LANGUAGES and arg != tr.lang:
            await set_language(session, reporter_id=reporter.id, language=arg)
            tr = translator(arg)
        if arg in ("lapor", "report"):
            await message.answer(welcome_text(tr, region), reply_markup=menu_markup(tr))
            await start_report(message, state, tr, region, reporter, session, clock)
            return
        if arg in ("status", "laporan"):
            await show_my_reports(message, tr, region, reporter, session)
            return
        if arg in ("sumbangan", "donasi", "donate"):
            await start_pledge(message, state, tr, region, reporter, session, clock)
            return
        await message.answer(welcome_text(tr, region), reply_markup=menu_markup(tr))
        await message.answer("🌐", reply_markup=language_keyboard())

    @r.message(Command("bahasa", "language"))
    async def language(message: Message) -> None:
        await message.answer("🌐 Pilih bahasa / Choose a language:", reply_markup=language_keyboard())

    @r.callback_query(StartCb.filter(F.action == SettingsAction.LANGUAGE))
    async def chose_language(callback: CallbackQuery, callback_data: StartCb, callback_answer: CallbackAnswer,
                             reporter: ReporterInfo, session: AsyncSession) -> None:
        if callback_data.arg not in LANGUAGES:
            callback_answer.text, callback_answer.show_alert = "?", True
            return
        await set_language(session, reporter_id=reporter.id, language=callback_data.arg)
        tr = translator(callback_data.arg)
        await shown(callback).edit_reply_markup(reply_markup=None)
        await shown(callback).answer(tr("✅ Language: English. Tap “📝 Make a report” to start."),
                                     reply_markup=menu_markup(tr))

    @r.message(Command("bantuan", "help"))
    @r.message(F.text.in_(all_translations(MENU_HELP)))
    async def help_(message: Message, tr: Translator, region: RegionConfig) -> None:
        await message.answer(help_text(tr, region), reply_markup=menu_markup(tr))

    @r.message(Command("privasi", "privacy"))
    async def privacy(message: Message, tr: Translator, region: RegionConfig) -> None:
        await message.answer(privacy_text(tr, region), reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text=tr.plain("🗑️ Ask to delete my data"),
                                 callback_data=StartCb(action=SettingsAction.DELETE_ASK).pack())]]))

    @r.callback_query(StartCb.filter(F.action == SettingsAction.DELETE_ASK))
    async def delete_ask(callback: CallbackQuery, tr: Translator) -> None:
        await shown(callback).edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=tr.plain("Yes, delete my data"),
                                  callback_data=StartCb(action=SettingsAction.DELETE_YES).pack())],
            [InlineKeyboardButton(text=tr.plain("No, keep it"),
                                  callback_data=StartCb(action=SettingsAction.DELETE_NO).pack())],
        ]))

    @r.callback_query(StartCb.filter(F.action.in_({SettingsAction.DELETE_YES, SettingsAction.DELETE_NO})))
    async def delete_answer(callback: CallbackQuery, callback_data: StartCb, tr: Translator,
                            reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        await shown(callback).edit_reply_markup(reply_markup=None)
        if callback_data.action == SettingsAction.DELETE_NO:
            await shown(callback).answer(tr("Nothing was changed."))
            return
        fresh = await request_deletion(session, reporter_id=reporter.id, now=clock.now())
        await shown(callback).answer(
            tr("✅ Your request is recorded. Your data will be deleted within 30 days, except what the "
               "law requires the regency to keep about open cases.") if fresh else
            tr("Your deletion request was already recorded."))

    @r.message(Command("lapor", "report"))
    @r.message(F.text.in_(all_translations(MENU_REPORT)))
    async def report(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                     reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        await start_report(message, state, tr, region, reporter, session, clock)

    @r.message(Command("status", "laporansaya"))
    @r.message(F.text.in_(all_translations(MENU_MY_REPORTS)))
    async def my_reports(message: Message, tr: Translator, region: RegionConfig, reporter: ReporterInfo,
                         session: AsyncSession, command: CommandObject | None = None) -> None:
        if command is not None and command.args:
            await show_ticket(message, tr, region, reporter, session, command.args.strip())
        else:
            await show_my_reports(message, tr, region, reporter, session)

    @r.message(Command("sumbangan", "donasi", "donate"))
    @r.message(F.text.in_(all_translations(MENU_DONATE)))
    async def donate(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                     reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        await start_pledge(message, state, tr, region, reporter, session, clock)

    return r


def fallback_router() -> Router:
    """Anything no one else understood: a polite pointer to the menu, never silence."""
    r = Router(name="fallback")

    @r.message(F.photo)
    async def stray_photo(message: Message, tr: Translator) -> None:
        await message.answer(tr("Thank you for the photo. To send it with a report, start with “📝 Make a "
                                "report”; to add it to a report you sent, use /status."), reply_markup=menu_markup(tr))

    @r.message(F.location)
    async def stray_location(message: Message, tr: Translator) -> None:
        await message.answer(tr("To report something at this place, start with “📝 Make a report”."),
                             reply_markup=menu_markup(tr))

    @r.message()
    async def anything(message: Message, tr: Translator) -> None:
        await message.answer(tr("Sorry, I did not understand that. Please use the menu buttons below, "
                                "or /bantuan for help."), reply_markup=menu_markup(tr))

    @r.callback_query()
    async def unknown_button(callback: CallbackQuery, callback_answer: CallbackAnswer, tr: Translator) -> None:
        callback_answer.text = tr.plain("This button is no longer valid. Use the latest message, or the menu.")
        callback_answer.show_alert = True

    return r
