"""Where the report flow goes next, the review card, and leaving the flow."""
from __future__ import annotations

import html

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardMarkup

from bot.flows.report_ui import (
    EDITABLE_FIELDS,
    ReportAction,
    ReportFlow,
    ask,
    button,
    chunk,
    markup,
    save_draft,
)
from bot.menus import main_menu
from core.draft import AGE_GROUP_LABELS, PEOPLE_COUNT_LABELS, REPORTER_TYPE_LABELS, ReportDraft
from core.i18n import Translator
from core.region import RegionConfig
from core.when import moment


async def advance(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                  draft: ReportDraft, prefix: str | None = None) -> None:
    """Saves the draft and asks the first thing still missing; the review card once complete.

    While a field is being changed from the review card, completing it returns to the card.
    """
    await save_draft(state, draft)
    missing = draft.missing()
    if not missing:
        await show_review(message, state, tr, region, draft, prefix)
    else:
        await ask(missing[0], message, state, tr, region, draft, prefix)


def location_summary(tr: Translator, region: RegionConfig, draft: ReportDraft) -> str:
    parts = []
    if draft.has_pin:
        parts.append(tr("pin {lat:.5f}, {lon:.5f}", lat=draft.latitude, lon=draft.longitude))
    if draft.outside_region:
        parts.append(tr("outside {region}", region=region.region.name))
    if draft.kecamatan:
        parts.append(tr("Kec. {name}", name=draft.kecamatan))
    if draft.desa:
        parts.append(tr("Desa/Kel. {name}", name=draft.desa))
    if draft.landmark:
        parts.append(tr("landmark: {text}", text=draft.landmark))
    return ", ".join(parts)


def review_text(tr: Translator, region: RegionConfig, draft: ReportDraft) -> str:
    # The review comes only once every step is answered (draft.missing() is empty).
    assert draft.category and draft.seen_when and draft.people_count and draft.age_group and draft.seen_at \
        and draft.reporter_type, draft.missing()
    category = region.category(draft.category)
    lines = [
        tr("📋 <b>Check your report before sending</b>"),
        "",
        tr("<b>Category:</b> {v}", v=category.label.get(tr.lang)),
        # location_summary escapes what the resident typed itself.
        tr("<b>Location:</b>") + " " + location_summary(tr, region, draft),
        tr("<b>Number of people:</b> {v}", v=tr.plain(PEOPLE_COUNT_LABELS[draft.people_count])),
        tr("<b>Age group:</b> {v}", v=tr.plain(AGE_GROUP_LABELS[draft.age_group])),
        tr("<b>Description:</b> {v}", v=draft.description or tr.plain("(none)")),
        tr("<b>Seen:</b> {v}", v=moment(tr, draft.seen_at, region.tz)),
        tr("<b>Photos:</b> {n}", n=len(draft.photos)),
        tr("<b>Someone in danger:</b> {v}", v=tr.plain("YES ⚠️") if draft.urgent else tr.plain("no")),
        tr("<b>Reporting as:</b> {v}", v=tr.plain(REPORTER_TYPE_LABELS[draft.reporter_type])),
        tr("<b>Identity:</b> {v}",
           v=tr.plain("anonymous") if draft.anonymous else tr.plain("officers may see my name")),
        "",
        tr("Tap a ✏️ button to change anything, or send the report."),
    ]
    return "\n".join(lines)


def review_keyboard(tr: Translator):
    edits = [button(tr.plain(label), ReportAction.EDIT, field) for field, label in EDITABLE_FIELDS]
    return markup(
        [[button(tr.plain("✅ Send report"), ReportAction.SUBMIT)]]
        + chunk(edits, 2)
        + [[button(tr.plain("✖️ Cancel report"), ReportAction.CANCEL)]]
    )


async def show_review(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                      draft: ReportDraft, prefix: str | None = None) -> None:
    await state.set_state(ReportFlow.review)
    await state.update_data(editing=False)
    text = review_text(tr, region, draft)
    await message.answer(f"{prefix}\n\n{text}" if prefix else text, reply_markup=review_keyboard(tr))


def shown(callback: CallbackQuery) -> Message:
    """The message the pressed button is on. lapor.middlewares.StaleButtonMiddleware gives every
    press one before any handler runs: the message as the update showed it, whose edits skip what
    would change nothing, or for a message Telegram sent as inaccessible (deleted, too old to edit)
    a stand-in whose edits come as fresh messages in the chat."""
    assert isinstance(callback.message, Message), "a press without its message reached a handler"
    return callback.message


async def leave_flow(message: Message, state: FSMContext, tr: Translator, text: str) -> None:
    """Ends any conversation, drops its draft and brings the main menu back."""
    await state.clear()
    await message.answer(text, reply_markup=menu_markup(tr))


def menu_markup(tr: Translator) -> ReplyKeyboardMarkup:
    return main_menu(tr)


def escape(text: str | None) -> str:
    return html.escape(text or "", quote=False)
