"""States, callback data, keyboards and questions of the report flow.

Shared by the step handlers (report.py) and the review card (report_review.py). Callback data
carries only an action and codes or indexes from the region config, never free text, and stays
well under Telegram's 64 bytes.
"""
from __future__ import annotations

import html
from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.callback_answer import CallbackAnswer

from core.draft import (
    AGE_GROUP_LABELS,
    PEOPLE_COUNT_LABELS,
    REPORTER_TYPE_LABELS,
    ReportDraft,
)
from core.i18n import N_, Translator
from core.region import Kecamatan, RegionConfig


class ReportFlow(StatesGroup):
    category = State()
    location = State()
    kecamatan = State()
    desa = State()
    landmark = State()
    pace = State()
    people_count = State()
    age_group = State()
    description = State()
    seen_when = State()
    seen_time = State()
    photos = State()
    urgent = State()
    reporter_type = State()
    anonymous = State()
    review = State()


class ReportAction(StrEnum):
    """The buttons of the report flow: each step's choices, the review card's edits, send."""

    CATEGORY = "cat"
    CATEGORY_HELP = "hlp"
    CATEGORY_LIST = "cls"
    KECAMATAN = "kec"
    KECAMATAN_LIST = "kls"
    DESA = "des"
    DESA_PAGE = "dpg"
    SKIP = "skp"
    PACE = "pace"
    PEOPLE = "ppl"
    AGE = "age"
    WHEN = "when"
    PHOTOS_DONE = "phd"
    PHOTOS_CLEAR = "phc"
    URGENT = "urg"
    REPORTER_TYPE = "rty"
    ANONYMOUS = "ano"
    SUBMIT = "send"
    EDIT = "edit"
    BACK_TO_REVIEW = "back"
    CANCEL = "cancel"
    RESUME = "resume"
    RESTART = "restart"


class ReportCb(CallbackData, prefix="r"):
    action: ReportAction
    arg: str = ""


DESA_PAGE_SIZE = 12

# Labels of the location reply keyboard; matched in every language.
BTN_SEND_LOCATION = N_("📍 Send my current location")
BTN_PICK_KECAMATAN = N_("🗺️ Choose kecamatan from a list")
BTN_CANCEL = N_("✖️ Cancel report")

WHEN_LABELS = {
    "now": N_("Right now"),
    "earlier": N_("Earlier today"),
    "time": N_("At a time I'll type"),
}

EDITABLE_FIELDS = (
    ("category", N_("✏️ Category")),
    ("location", N_("✏️ Location")),
    ("people_count", N_("✏️ Number of people")),
    ("age_group", N_("✏️ Age group")),
    ("description", N_("✏️ Description")),
    ("seen_when", N_("✏️ Time seen")),
    ("photos", N_("✏️ Photos")),
    ("urgent", N_("✏️ Danger")),
    ("reporter_type", N_("✏️ Reporting as")),
    ("anonymous", N_("✏️ Identity")),
)


def button(text: str, action: ReportAction, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=ReportCb(action=action, arg=arg).pack())


def footer(tr: Translator, editing: bool) -> list[list[InlineKeyboardButton]]:
    row = [button(tr.plain("✖️ Cancel"), ReportAction.CANCEL)]
    if editing:
        row.insert(0, button(tr.plain("↩️ Back to summary"), ReportAction.BACK_TO_REVIEW))
    return [row]


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def chunk(items: list[InlineKeyboardButton], size: int) -> list[list[InlineKeyboardButton]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# --- draft persistence -------------------------------------------------------------------

async def load_draft(state: FSMContext) -> ReportDraft | None:
    raw = (await state.get_data()).get("draft")
    return ReportDraft.model_validate(raw) if raw else None


async def save_draft(state: FSMContext, draft: ReportDraft, **extra: Any) -> None:
    await state.update_data(draft=draft.model_dump(mode="json"), **extra)


async def is_editing(state: FSMContext) -> bool:
    return bool((await state.get_data()).get("editing"))


# --- questions ---------------------------------------------------------------------------

def category_keyboard(tr: Translator, region: RegionConfig, editing: bool) -> InlineKeyboardMarkup:
    rows = [
        [button(f"{c.emoji} {c.label.get(tr.lang)}".strip(), ReportAction.CATEGORY, c.code),
         button("ℹ️", ReportAction.CATEGORY_HELP, c.code)]
        for c in region.categories
    ]
    return markup(rows + footer(tr, editing))


def location_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=tr.plain(BTN_SEND_LOCATION), request_location=True)],
            [KeyboardButton(text=tr.plain(BTN_PICK_KECAMATAN))],
            [KeyboardButton(text=tr.plain(BTN_CANCEL))],
        ],
        resize_keyboard=True,
        one_time_keyboard=False,
    )


def kecamatan_keyboard(tr: Translator, region: RegionConfig, editing: bool,
                       only: list[Kecamatan] | None = None) -> InlineKeyboardMarkup:
    """Every kecamatan, or `only` these ("did you mean"), then the whole list one tap away."""
    buttons = [button(k.name, ReportAction.KECAMATAN, str(i)) for i, k in enumerate(region.kecamatan)
               if only is None or k in only]
    rows = chunk(buttons, 3)
    if only is not None:
        rows.append([button(tr.plain("🗺️ All kecamatan"), ReportAction.KECAMATAN_LIST)])
    return markup(rows + footer(tr, editing))


def desa_keyboard(tr: Translator, desa: list[str], page: int, editing: bool,
                  only: list[str] | None = None) -> InlineKeyboardMarkup:
    """A page of the kecamatan's desa (or `only` these), paged so that 30+ stay usable."""
    if only is not None:
        rows = chunk([button(name, ReportAction.DESA, str(desa.index(name))) for name in only], 2)
        rows.append([button(tr.plain("◀️ All desa/kelurahan"), ReportAction.DESA_PAGE, "0")])
        rows.append([button(tr.plain("Don't know / skip"), ReportAction.SKIP, "desa")])
        return markup(rows + footer(tr, editing))
    start = page * DESA_PAGE_SIZE
    buttons = [button(name, ReportAction.DESA, str(start + i)) for i,
               name in enumerate(desa[start:start + DESA_PAGE_SIZE])]
    rows = chunk(buttons, 2)
    nav = []
    if page > 0:
        nav.append(button(tr.plain("◀️ Previous"), ReportAction.DESA_PAGE, str(page - 1)))
    if start + DESA_PAGE_SIZE < len(desa):
        nav.append(button(tr.plain("Next ▶️"), ReportAction.DESA_PAGE, str(page + 1)))
    if nav:
        rows.append(nav)
    rows.append([button(tr.plain("Don't know / skip"), ReportAction.SKIP, "desa")])
    return markup(rows + footer(tr, editing))


def choice_keyboard(tr: Translator, action: ReportAction, labels: dict, editing: bool,
                    per_row: int = 2) -> InlineKeyboardMarkup:
    buttons = [button(tr.plain(label), action, str(value)) for value, label in labels.items()]
    return markup(chunk(buttons, per_row) + footer(tr, editing))


def skip_keyboard(tr: Translator, what: str, editing: bool, label: str = N_("Skip")) -> InlineKeyboardMarkup:
    return markup([[button(tr.plain(label), ReportAction.SKIP, what)]] + footer(tr, editing))


PACE_NOW, PACE_DANGER, PACE_MORE = "now", "danger", "more"


def pace_keyboard(tr: Translator, editing: bool) -> InlineKeyboardMarkup:
    return markup([
        [button(tr.plain("📨 Send now"), ReportAction.PACE, PACE_NOW)],
        [button(tr.plain("🚨 Someone is in danger now"), ReportAction.PACE, PACE_DANGER)],
        [button(tr.plain("📝 Tell more"), ReportAction.PACE, PACE_MORE)],
    ] + footer(tr, editing))


def photos_keyboard(tr: Translator, count: int, editing: bool) -> InlineKeyboardMarkup:
    rows = [[button(tr.plain("✅ Done with photos") if count else tr.plain("Skip, no photos"),
                    ReportAction.PHOTOS_DONE)]]
    if count:
        rows.append([button(tr.plain("🗑️ Remove the photos"), ReportAction.PHOTOS_CLEAR)])
    return markup(rows + footer(tr, editing))


def yes_no_keyboard(tr: Translator, action: ReportAction, yes: str, no: str, editing: bool) -> InlineKeyboardMarkup:
    return markup([[button(tr.plain(yes), action, "1")], [button(tr.plain(no), action, "0")]] + footer(tr, editing))


def question(step: str, tr: Translator, region: RegionConfig, draft: ReportDraft,
             editing: bool) -> tuple[State, str, Any]:
    """The state, text and keyboard of one step's question."""
    limits = region.limits
    if step == "category":
        return (ReportFlow.category,
                tr("<b>What did you see?</b> Choose a category. Tap ℹ️ to read what counts as each."),
                category_keyboard(tr, region, editing))
    if step == "location":
        return (ReportFlow.location,
                tr("📍 <b>Where is it?</b>\nIf you are there now, tap “{send}”. You can also send a pin "
                   "(📎 → Location), or choose the kecamatan from a list.", send=tr.plain(BTN_SEND_LOCATION)),
                location_keyboard(tr))
    if step == "pace":
        return (ReportFlow.pace,
                tr("📨 <b>Send it now, or tell more?</b> Officers can act on this already; how many, their age "
                   "and what you saw help them find the people. You can also send a photo now."),
                pace_keyboard(tr, editing))
    if step == "landmark":
        return (ReportFlow.landmark,
                tr("🏷️ Add a landmark to help officers (optional), e.g. “near the market gate”."),
                skip_keyboard(tr, "landmark", editing))
    if step == "people_count":
        return (ReportFlow.people_count, tr("👥 <b>How many people did you see?</b>"),
                choice_keyboard(tr, ReportAction.PEOPLE, PEOPLE_COUNT_LABELS, editing))
    if step == "age_group":
        return (ReportFlow.age_group, tr("<b>About how old are they?</b>"),
                choice_keyboard(tr, ReportAction.AGE, AGE_GROUP_LABELS, editing, per_row=3))
    if step == "description":
        return (ReportFlow.description,
                tr("📝 <b>Describe what you saw</b> in a few words (what they were doing, clothes, anything "
                   "that helps officers find them). At most {n} characters.", n=limits.description_max_chars),
                skip_keyboard(tr, "description", editing))
    if step == "seen_when":
        return (ReportFlow.seen_when, tr("🕒 <b>When did you see it?</b> These people often move on within hours."),
                choice_keyboard(tr, ReportAction.WHEN, WHEN_LABELS, editing, per_row=1))
    if step == "photos":
        return (ReportFlow.photos,
                tr("📷 <b>Photos</b> (optional, up to {n}). Send them as photos, not files. "
                   "Only take a photo if it is safe, and never up close.", n=limits.max_photos),
                photos_keyboard(tr, len(draft.photos), editing))
    if step == "urgent":
        return (ReportFlow.urgent,
                tr("⚠️ <b>Is someone in danger right now?</b> For example a child in traffic, violence, "
                   "or someone badly ill."),
                yes_no_keyboard(tr, ReportAction.URGENT, N_("Yes, someone is in danger"), N_("No"), editing))
    if step == "reporter_type":
        return (ReportFlow.reporter_type, tr("<b>Are you reporting as…</b>"),
                choice_keyboard(tr, ReportAction.REPORTER_TYPE, REPORTER_TYPE_LABELS, editing, per_row=1))
    if step == "anonymous":
        return (ReportFlow.anonymous,
                tr("🔒 <b>Stay anonymous?</b> Officers never see your name or account unless you allow it. "
                   "Either way they can only ask you questions through this bot."),
                yes_no_keyboard(tr, ReportAction.ANONYMOUS, N_("Stay anonymous"), N_("Officers may see my name"),
                                editing))
    raise ValueError(step)  # a programming error, not user input


async def ask(step: str, message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
              draft: ReportDraft, prefix: str | None = None) -> None:
    """Sends the question of `step` and moves the conversation there.

    `prefix` (why we ask again, or a confirmation) goes in the same message: one message per
    answer keeps the bot well under Telegram's one message a second per chat.
    """
    new_state, text, keyboard = question(step, tr, region, draft, await is_editing(state))
    await state.set_state(new_state)
    await message.answer(f"{prefix}\n\n{text}" if prefix else text, reply_markup=keyboard)


def emergency_text(tr: Translator, region: RegionConfig) -> str:
    numbers = "\n".join(
        f"☎️ <b>{html.escape(e.number)}</b> — {html.escape(e.label.get(tr.lang))}" for e in region.emergency
    )
    return "\n".join([
        tr("🚨 <b>If someone is in danger, call now:</b>"),
        numbers,
        tr("Do not confront anyone yourself."),
    ])


def refuse(callback_answer: CallbackAnswer, text: str) -> None:
    """The toast a pressed button gets; the middleware sends it once the handler is done."""
    callback_answer.text = text
    callback_answer.show_alert = True
