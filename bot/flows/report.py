"""The report flow's steps: category, location, what was seen, when, photos, danger, reporter.

Each handler reads one answer, checks it, stores it in the draft and asks what comes next.
Unexpected input gets a polite explanation and the same question again; the draft is kept.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.flows.report_nav import advance, escape, location_summary, menu_markup, shown
from bot.flows.report_ui import (
    BTN_PICK_KECAMATAN,
    PACE_DANGER,
    PACE_MORE,
    PACE_NOW,
    WHEN_LABELS,
    ReportAction,
    ReportCb,
    ReportFlow,
    ask,
    button,
    category_keyboard,
    desa_keyboard,
    emergency_text,
    footer,
    is_editing,
    kecamatan_keyboard,
    load_draft,
    markup,
    photos_keyboard,
    refuse,
    save_draft,
    skip_keyboard,
)
from core.area_names import match_desa, match_kecamatan
from core.clock import Clock
from core.draft import (
    AGE_GROUP_LABELS,
    PEOPLE_COUNT_LABELS,
    REPORTER_TYPE_LABELS,
    AgeGroup,
    PeopleCount,
    Photo,
    ReportDraft,
    ReporterType,
    SeenWhen,
)
from core.i18n import Translator, all_translations
from core.region import Kecamatan, RegionConfig
from core.when import moment

LOCATION_STATES = (ReportFlow.location, ReportFlow.kecamatan, ReportFlow.desa, ReportFlow.landmark)
TIME_RE = re.compile(r"^\s*(\d{1,2})(?:[.:](\d{2}))?\s*$")


async def _draft(state: FSMContext) -> ReportDraft:
    return await load_draft(state) or ReportDraft()


async def _confirm(callback: CallbackQuery, text: str) -> None:
    """Turns the answered question into a one-line record of the answer, without buttons."""
    if shown(callback) is not None:
        await shown(callback).edit_text(text, reply_markup=None)


def router() -> Router:
    r = Router(name="report-steps")

    # --- category ------------------------------------------------------------------------
    @r.callback_query(ReportFlow.category, ReportCb.filter(F.action == ReportAction.CATEGORY))
    async def chose_category(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                             state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        category = next((c for c in region.categories if c.code == callback_data.arg), None)
        if category is None:
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        draft = await _draft(state)
        draft.category = category.code
        await _confirm(callback, tr("✅ Category: <b>{v}</b>", v=category.label.get(tr.lang)))
        await advance(shown(callback), state, tr, region, draft)

    @r.callback_query(ReportFlow.category, ReportCb.filter(F.action == ReportAction.CATEGORY_HELP))
    async def category_help(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                            tr: Translator, region: RegionConfig) -> None:
        category = next((c for c in region.categories if c.code == callback_data.arg), None)
        if category is None:
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        text = "\n".join([
            f"ℹ️ <b>{escape(category.label.get(tr.lang))}</b>",
            escape(category.criteria.get(tr.lang)),
            f"<i>{escape(category.source)}</i>" if category.source else "",
        ]).strip()
        await shown(callback).edit_text(text, reply_markup=markup([
            [button(tr.plain("✅ Choose this category"), ReportAction.CATEGORY, category.code)],
            [button(tr.plain("⬅️ Back to the list"), ReportAction.CATEGORY_LIST)],
        ]))

    @r.callback_query(ReportFlow.category, ReportCb.filter(F.action == ReportAction.CATEGORY_LIST))
    async def category_list(callback: CallbackQuery, state: FSMContext, tr: Translator,
                            region: RegionConfig) -> None:
        await shown(callback).edit_text(
            tr("<b>What did you see?</b> Choose a category. Tap ℹ️ to read what counts as each."),
            reply_markup=category_keyboard(tr, region, await is_editing(state)),
        )

    # --- location --------------------------------------------------------------------------
    @r.message(ReportFlow.location, F.location)
    @r.message(ReportFlow.kecamatan, F.location)
    @r.message(ReportFlow.desa, F.location)
    @r.message(ReportFlow.landmark, F.location)
    async def got_pin(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        assert message.location is not None  # the filter let only locations through
        lat, lon = message.location.latitude, message.location.longitude
        draft = await _draft(state)
        try:
            placement = region.placer.place(lat, lon)
        except ValueError:  # no place on earth (a modified client): ask for the place again
            await ask("location", message, state, tr, region, draft, prefix=tr("I need the place first."))
            return
        draft.latitude, draft.longitude = lat, lon
        draft.landmark_done = False
        draft.outside_region = placement.inside_region is False
        draft.kecamatan, draft.desa, draft.desa_code = placement.kecamatan, placement.desa, placement.desa_code
        draft.kecamatan_code = placement.desa_code.rsplit(".", 1)[0] if placement.desa_code else None
        # A region pack knows the region's every desa: a pin outside them all is asked about.
        draft.ask_kecamatan = draft.outside_region and placement.by_desa
        await save_draft(state, draft)
        if draft.ask_kecamatan:
            where = tr(" It seems to be in <b>{other}</b>.", other=placement.elsewhere) if placement.elsewhere else ""
            await state.set_state(ReportFlow.kecamatan)
            await message.answer(
                tr("📍 This place is outside {region}.", region=region.region.name) + where + " "
                + tr("This service takes reports in {region}. If the place is in {region}, choose its kecamatan "
                     "below, or send the location again.", region=region.region.name),
                reply_markup=kecamatan_keyboard(tr, region, await is_editing(state)))
        elif draft.desa:
            received = tr("📍 Location received: Desa/Kel. <b>{desa}</b>, Kec. <b>{kecamatan}</b>.",
                          desa=draft.desa, kecamatan=draft.kecamatan)
            if placement.snapped_m is not None:
                received += " " + tr("(The pin was just outside the boundary; this is the nearest desa.)")
            await _finish_location(message, state, tr, region, draft, received)
        elif draft.outside_region:
            received = tr("📍 Location received. It is outside {region}; the report is still accepted and "
                          "flagged so the officers can coordinate with the area concerned.",
                          region=region.region.name)
            await _finish_location(message, state, tr, region, draft, received)
        elif draft.kecamatan:
            received = tr("📍 Location received: Kec. <b>{v}</b>.", v=draft.kecamatan)
            await _finish_location(message, state, tr, region, draft, received)
        else:
            await state.set_state(ReportFlow.kecamatan)
            await message.answer(tr("📍 Location received. <b>Which kecamatan is it in?</b>"),
                                 reply_markup=kecamatan_keyboard(tr, region, await is_editing(state)))

    @r.message(ReportFlow.location, F.text.in_(all_translations(BTN_PICK_KECAMATAN)))
    async def pick_from_list(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        draft.latitude = draft.longitude = None
        draft.outside_region = draft.ask_kecamatan = False
        await save_draft(state, draft)
        await state.set_state(ReportFlow.kecamatan)
        await message.answer(tr("🗺️ <b>Choose the kecamatan:</b>"),
                             reply_markup=kecamatan_keyboard(tr, region, await is_editing(state)))

    @r.message(ReportFlow.location)
    async def location_other(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        # A kecamatan typed instead of a pin ("bangil") is as good as one chosen from the list.
        text = (message.text or "").strip()
        matches = match_kecamatan(region, text) if text and not text.startswith("/") else []
        if matches:
            draft = await _draft(state)
            draft.latitude = draft.longitude = None
            draft.outside_region = draft.ask_kecamatan = False
            await save_draft(state, draft)
            await state.set_state(ReportFlow.kecamatan)
            if len(matches) == 1:
                await message.answer(tr("✅ Kecamatan: <b>{v}</b>", v=matches[0].name))
                await _chose_kecamatan(message, state, tr, region, matches[0])
            else:
                await message.answer(tr("Did you mean one of these? Choose the kecamatan:"),
                                     reply_markup=kecamatan_keyboard(tr, region, await is_editing(state),
                                                                     only=matches))
            return
        await ask("location", message, state, tr, region, await _draft(state),
                  prefix=tr("I need the place first."))

    @r.callback_query(ReportFlow.kecamatan, ReportCb.filter(F.action == ReportAction.KECAMATAN))
    async def chose_kecamatan(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                              state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        index = int(callback_data.arg) if callback_data.arg.isdecimal() else -1
        if not 0 <= index < len(region.kecamatan):
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        await _confirm(callback, tr("✅ Kecamatan: <b>{v}</b>", v=region.kecamatan[index].name))
        await _chose_kecamatan(shown(callback), state, tr, region, region.kecamatan[index])

    @r.callback_query(ReportFlow.kecamatan, ReportCb.filter(F.action == ReportAction.KECAMATAN_LIST))
    async def kecamatan_list(callback: CallbackQuery, state: FSMContext, tr: Translator,
                             region: RegionConfig) -> None:
        await shown(callback).edit_reply_markup(reply_markup=kecamatan_keyboard(tr, region, await is_editing(state)))

    @r.callback_query(ReportFlow.desa, ReportCb.filter(F.action == ReportAction.DESA_PAGE))
    async def desa_page(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                        state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        kecamatan = region.kecamatan_by_name(draft.kecamatan or "")
        page = int(callback_data.arg) if callback_data.arg.isdecimal() else 0
        if kecamatan is None:
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        await shown(callback).edit_reply_markup(
            reply_markup=desa_keyboard(tr, kecamatan.desa, page, await is_editing(state)))

    @r.callback_query(ReportFlow.desa, ReportCb.filter(F.action.in_({ReportAction.DESA, ReportAction.SKIP})))
    async def chose_desa(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                         state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        kecamatan = region.kecamatan_by_name(draft.kecamatan or "")
        if kecamatan is None:
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        if callback_data.action == ReportAction.DESA:
            index = int(callback_data.arg) if callback_data.arg.isdecimal() else -1
            if not 0 <= index < len(kecamatan.desa):
                refuse(callback_answer, tr.plain("This button is no longer valid."))
                return
            await _confirm(callback, tr("✅ Desa/Kel.: <b>{v}</b>", v=kecamatan.desa[index]))
            await _chose_desa(shown(callback), state, tr, region, kecamatan, kecamatan.desa[index])
        else:
            await _confirm(callback, tr("✅ Desa/Kel.: not sure"))
            await _chose_desa(shown(callback), state, tr, region, kecamatan, None)

    @r.message(ReportFlow.kecamatan, F.text)
    async def typed_kecamatan(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        """A kecamatan typed instead of chosen: taken when the name is certain, else "did you mean"."""
        matches = match_kecamatan(region, message.text or "")
        if len(matches) == 1:
            await message.answer(tr("✅ Kecamatan: <b>{v}</b>", v=matches[0].name))
            await _chose_kecamatan(message, state, tr, region, matches[0])
            return
        editing = await is_editing(state)
        if matches:
            await message.answer(tr("Did you mean one of these? Choose the kecamatan:"),
                                 reply_markup=kecamatan_keyboard(tr, region, editing, only=matches))
        else:
            await message.answer(tr("I do not know a kecamatan called “{typed}” in {region}. Please choose it "
                                    "from the list.", typed=(message.text or "")[:40], region=region.region.name),
                                 reply_markup=kecamatan_keyboard(tr, region, editing))

    @r.message(ReportFlow.desa, F.text)
    async def typed_desa(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        kecamatan = region.kecamatan_by_name(draft.kecamatan or "")
        if kecamatan is None:  # the region changed under a draft: ask for the kecamatan again
            await state.set_state(ReportFlow.kecamatan)
            await message.answer(tr("🗺️ <b>Choose the kecamatan:</b>"),
                                 reply_markup=kecamatan_keyboard(tr, region, await is_editing(state)))
            return
        matches = match_desa(kecamatan, message.text or "")
        if len(matches) == 1:
            await message.answer(tr("✅ Desa/Kel.: <b>{v}</b>", v=matches[0]))
            await _chose_desa(message, state, tr, region, kecamatan, matches[0])
            return
        editing = await is_editing(state)
        if matches:
            await message.answer(tr("Did you mean one of these? Choose the desa/kelurahan:"),
                                 reply_markup=desa_keyboard(tr, kecamatan.desa, 0, editing, only=matches))
        else:
            await message.answer(tr("I do not know a desa/kelurahan called “{typed}” in Kec. {kecamatan}. Please "
                                    "choose it from the list.", typed=(message.text or "")[:40],
                                    kecamatan=kecamatan.name),
                                 reply_markup=desa_keyboard(tr, kecamatan.desa, 0, editing))

    @r.message(ReportFlow.kecamatan)
    @r.message(ReportFlow.desa)
    async def list_other(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        current = await state.get_state()
        please = tr("Please choose from the buttons of the list.")
        if current == ReportFlow.desa.state:
            kecamatan = region.kecamatan_by_name(draft.kecamatan or "")
            await message.answer(please + "\n\n" + tr("<b>Which desa/kelurahan?</b>"),
                                 reply_markup=desa_keyboard(tr, kecamatan.desa if kecamatan else [], 0,
                                                            await is_editing(state)))
        else:
            await message.answer(please + "\n\n" + tr("🗺️ <b>Choose the kecamatan:</b>"),
                                 reply_markup=kecamatan_keyboard(tr, region, await is_editing(state)))

    @r.message(ReportFlow.landmark, F.text)
    async def got_landmark(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        text = (message.text or "").strip()
        limit = region.limits.landmark_max_chars
        if not text or text.startswith("/"):
            await message.answer(tr("Please type a landmark in words, e.g. “in front of Al-Ikhlas mosque, "
                                    "Jl. Raya Bangil”."))
            return
        if len(text) > limit:
            await message.answer(tr("That is {n} characters; please keep it under {limit}. Your other "
                                    "answers are kept.", n=len(text), limit=limit))
            return
        draft = await _draft(state)
        draft.landmark, draft.landmark_done = text, True
        if draft.quick is None:  # the place itself (no pin): the location step ends here
            await _finish_location(message, state, tr, region, draft)
        else:
            await advance(message, state, tr, region, draft, prefix=tr("✅ Landmark kept."))

    @r.callback_query(ReportFlow.landmark, ReportCb.filter((F.action == ReportAction.SKIP) & (F.arg == "landmark")))
    async def skip_landmark(callback: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext,
                            tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        if not draft.has_pin:
            refuse(callback_answer, tr.plain("Without a pin, a landmark is needed so officers can find the place."))
            return
        draft.landmark, draft.landmark_done = None, True
        await _confirm(callback, tr("✅ No landmark."))
        await advance(shown(callback), state, tr, region, draft)

    # --- send now, or tell more -------------------------------------------------------------
    @r.callback_query(ReportFlow.pace, ReportCb.filter(F.action == ReportAction.PACE))
    async def chose_pace(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                         state: FSMContext, tr: Translator, region: RegionConfig, clock: Clock) -> None:
        draft = await _draft(state)
        if callback_data.arg == PACE_MORE:
            draft.quick = False
            await _confirm(callback, tr("📝 Tell more:"))
        elif callback_data.arg in (PACE_NOW, PACE_DANGER):
            draft.send_now(clock.now(), urgent=callback_data.arg == PACE_DANGER)
            if draft.urgent:
                await _confirm(callback, emergency_text(tr, region) + "\n\n" +
                               tr("⚠️ Your report is marked <b>urgent</b>."))
            else:
                await _confirm(callback, tr("📨 Ready to send."))
        else:
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        await advance(shown(callback), state, tr, region, draft)

    @r.message(ReportFlow.pace, F.photo)
    async def pace_photo(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        limit = region.limits.max_photos
        if len(draft.photos) < limit:
            best = (message.photo or [])[-1]
            draft.photos.append(Photo(file_id=best.file_id, file_unique_id=best.file_unique_id))
            prefix = tr("📷 Photo {n}/{limit} received.", n=len(draft.photos), limit=limit)
        else:
            prefix = tr("You already sent {n} photos, the most one report can hold.", n=limit)
        await save_draft(state, draft)
        await ask("pace", message, state, tr, region, draft, prefix=prefix)

    @r.message(ReportFlow.pace, F.text)
    async def pace_text(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        """Words typed here are what the resident saw: kept as the description."""
        text = (message.text or "").strip()
        draft = await _draft(state)
        limit = region.limits.description_max_chars
        if not text or text.startswith("/"):
            prefix = tr("Please choose below.")
        elif len(text) > limit:
            prefix = tr("That is {n} characters; please keep it under {limit}. Your other answers are kept.",
                        n=len(text), limit=limit)
        else:
            draft.description, draft.description_done = text, True
            prefix = tr("📝 Description kept.")
        await save_draft(state, draft)
        await ask("pace", message, state, tr, region, draft, prefix=prefix)

    @r.message(ReportFlow.pace)
    async def pace_other(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await ask("pace", message, state, tr, region, await _draft(state), prefix=tr("Please choose below."))

    @r.message(ReportFlow.landmark)
    async def landmark_other(message: Message, tr: Translator) -> None:
        await message.answer(tr("Please type the landmark as text."))

    # --- people, age, description ----------------------------------------------------------
    @r.callback_query(ReportFlow.people_count, ReportCb.filter(F.action == ReportAction.PEOPLE))
    async def chose_people(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                           state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await _set_choice(callback, callback_answer, state, tr, region, "people_count", PeopleCount, callback_data.arg)

    @r.callback_query(ReportFlow.age_group, ReportCb.filter(F.action == ReportAction.AGE))
    async def chose_age(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                        state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await _set_choice(callback, callback_answer, state, tr, region, "age_group", AgeGroup, callback_data.arg)

    @r.message(ReportFlow.description, F.text)
    async def got_description(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        text = (message.text or "").strip()
        limit = region.limits.description_max_chars
        if len(text) > limit:
            await message.answer(tr("That is {n} characters; please keep it under {limit}. Your other "
                                    "answers are kept.", n=len(text), limit=limit))
            return
        if not text or text.startswith("/"):
            await message.answer(tr("Please type a short description, or tap “Skip”."))
            return
        draft = await _draft(state)
        draft.description, draft.description_done = text, True
        await advance(message, state, tr, region, draft)

    @r.callback_query(ReportFlow.description,
                      ReportCb.filter((F.action == ReportAction.SKIP) & (F.arg == "description")))
    async def skip_description(callback: CallbackQuery, state: FSMContext, tr: Translator,
                               region: RegionConfig) -> None:
        draft = await _draft(state)
        draft.description, draft.description_done = None, True
        await _confirm(callback, tr("✅ No description."))
        await advance(shown(callback), state, tr, region, draft)

    # --- when ------------------------------------------------------------------------------
    @r.callback_query(ReportFlow.seen_when, ReportCb.filter(F.action == ReportAction.WHEN))
    async def chose_when(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                         state: FSMContext, tr: Translator, region: RegionConfig, clock: Clock) -> None:
        try:
            when = SeenWhen(callback_data.arg)
        except ValueError:
            refuse(callback_answer, tr.plain("This button is no longer valid."))
            return
        if when == SeenWhen.AT_TIME:
            await state.set_state(ReportFlow.seen_time)
            await _confirm(callback, tr("🕒 At a time:"))
            await shown(callback).answer(tr("Type the time you saw it, e.g. <code>14.30</code>."),
                                         reply_markup=skip_keyboard(tr, "time", await is_editing(state),
                                                                     label="⬅️"))
            return
        draft = await _draft(state)
        draft.seen_when, draft.seen_at = when, clock.now()
        await _confirm(callback, tr("✅ Seen: <b>{v}</b>", v=tr.plain(WHEN_LABELS[when])))
        await advance(shown(callback), state, tr, region, draft)

    @r.callback_query(ReportFlow.seen_time, ReportCb.filter((F.action == ReportAction.SKIP) & (F.arg == "time")))
    async def time_back(callback: CallbackQuery, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await _confirm(callback, "⬅️")
        await ask("seen_when", shown(callback), state, tr, region, await _draft(state))

    @r.message(ReportFlow.seen_time, F.text)
    async def got_time(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                       clock: Clock) -> None:
        match = TIME_RE.match(message.text or "")
        hour, minute = (int(match.group(1)), int(match.group(2) or 0)) if match else (99, 99)
        if hour > 23 or minute > 59:
            await message.answer(tr("I could not read that time. Please type it like <code>14.30</code> "
                                    "or <code>9</code>."))
            return
        now_local = clock.now().astimezone(region.tz)
        seen = now_local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if seen > now_local:
            # A time later than now can only mean yesterday evening (reports are about the last hours).
            seen -= timedelta(days=1)
        draft = await _draft(state)
        draft.seen_when, draft.seen_at = SeenWhen.AT_TIME, seen
        await advance(message, state, tr, region, draft,
                      prefix=tr("✅ Seen: <b>{v}</b>", v=moment(tr, seen, region.tz, now=clock.now())))

    @r.message(ReportFlow.seen_time)
    async def time_other(message: Message, tr: Translator) -> None:
        await message.answer(tr("I could not read that time. Please type it like <code>14.30</code> "
                                "or <code>9</code>."))

    # --- photos ----------------------------------------------------------------------------
    @r.message(ReportFlow.photos, F.photo)
    async def got_photo(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        limit = region.limits.max_photos
        if len(draft.photos) >= limit:
            draft.photos_done = True
            await advance(message, state, tr, region, draft,
                          prefix=tr("You already sent {n} photos, the most one report can hold.", n=limit))
            return
        best = (message.photo or [])[-1]  # the filter let only photos through
        draft.photos.append(Photo(file_id=best.file_id, file_unique_id=best.file_unique_id))
        if len(draft.photos) >= limit:
            draft.photos_done = True
            await advance(message, state, tr, region, draft,
                          prefix=tr("📷 Photo {n}/{limit} received.", n=len(draft.photos), limit=limit))
            return
        await save_draft(state, draft)
        await message.answer(tr("📷 Photo {n}/{limit} received. Send another, or tap “Done”.",
                                n=len(draft.photos), limit=limit),
                             reply_markup=photos_keyboard(tr, len(draft.photos), await is_editing(state)))

    @r.callback_query(ReportFlow.photos, ReportCb.filter(F.action == ReportAction.PHOTOS_DONE))
    async def photos_done(callback: CallbackQuery, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        draft.photos_done = True
        await _confirm(callback, tr("✅ Photos: {n}", n=len(draft.photos)))
        await advance(shown(callback), state, tr, region, draft)

    @r.callback_query(ReportFlow.photos, ReportCb.filter(F.action == ReportAction.PHOTOS_CLEAR))
    async def photos_clear(callback: CallbackQuery, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        draft.photos = []
        await save_draft(state, draft)
        await _confirm(callback, tr("🗑️ Photos removed."))
        await ask("photos", shown(callback), state, tr, region, draft)

    @r.message(ReportFlow.photos)
    async def photos_other(message: Message, state: FSMContext, tr: Translator) -> None:
        draft = await _draft(state)
        # A picture sent as a file is the common slip: say how to send it as a photo.
        text = (tr("Please send the picture as a photo (📎 → Gallery), not as a file.") if message.document else
                tr("Please send a photo (📎 → Gallery), or tap the button when you are done."))
        await message.answer(text, reply_markup=photos_keyboard(tr, len(draft.photos), await is_editing(state)))

    # --- danger, reporter --------------------------------------------------------------------
    @r.callback_query(ReportFlow.urgent, ReportCb.filter(F.action == ReportAction.URGENT))
    async def chose_urgent(callback: CallbackQuery, callback_data: ReportCb, state: FSMContext,
                           tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        draft.urgent = callback_data.arg == "1"
        if draft.urgent:
            # The question itself turns into the emergency numbers: shown at once, no extra message.
            await _confirm(callback, emergency_text(tr, region) + "\n\n" +
                           tr("⚠️ Your report is marked <b>urgent</b>."))
        else:
            await _confirm(callback, tr("✅ No one in immediate danger."))
        await advance(shown(callback), state, tr, region, draft)

    @r.callback_query(ReportFlow.reporter_type, ReportCb.filter(F.action == ReportAction.REPORTER_TYPE))
    async def chose_reporter_type(callback: CallbackQuery, callback_answer: CallbackAnswer, callback_data: ReportCb,
                                  state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        await _set_choice(callback, callback_answer, state, tr, region, "reporter_type", ReporterType,
                          callback_data.arg)

    @r.callback_query(ReportFlow.anonymous, ReportCb.filter(F.action == ReportAction.ANONYMOUS))
    async def chose_anonymous(callback: CallbackQuery, callback_data: ReportCb, state: FSMContext,
                              tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        draft.anonymous = callback_data.arg != "0"
        await _confirm(callback, tr("✅ Anonymous.") if draft.anonymous else tr("✅ Officers may see your name."))
        await advance(shown(callback), state, tr, region, draft)

    # --- anything else while a question with buttons is open ---------------------------------
    @r.message(ReportFlow.category)
    @r.message(ReportFlow.people_count)
    @r.message(ReportFlow.age_group)
    @r.message(ReportFlow.seen_when)
    @r.message(ReportFlow.urgent)
    @r.message(ReportFlow.reporter_type)
    @r.message(ReportFlow.anonymous)
    @r.message(ReportFlow.description)
    async def expected_button(message: Message, state: FSMContext, tr: Translator, region: RegionConfig) -> None:
        draft = await _draft(state)
        step = (await state.get_state() or ":").split(":", 1)[1]
        if message.photo and len(draft.photos) < region.limits.max_photos:
            # A photo sent early is kept rather than refused: nothing entered is lost.
            best = message.photo[-1]
            draft.photos.append(Photo(file_id=best.file_id, file_unique_id=best.file_unique_id))
            await save_draft(state, draft)
            prefix = tr("📷 Photo kept for this report ({n}/{limit}). Now please answer the question.",
                        n=len(draft.photos), limit=region.limits.max_photos)
        elif step == "description":
            prefix = tr("Please type the description as text, or tap “Skip”.")
        else:
            prefix = tr("Please answer with the buttons below.")
        await ask(step, message, state, tr, region, draft, prefix=prefix)

    return r


async def _set_choice(callback: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext, tr: Translator,
                      region: RegionConfig, field: str, enum: type, raw: str) -> None:
    try:
        value = enum(raw)
    except ValueError:
        refuse(callback_answer, tr.plain("This button is no longer valid."))
        return
    draft = await _draft(state)
    setattr(draft, field, value)
    all_labels: dict[str, dict[Any, str]] = {"people_count": PEOPLE_COUNT_LABELS, "age_group": AGE_GROUP_LABELS,
                                             "reporter_type": REPORTER_TYPE_LABELS}
    labels = all_labels[field]
    await _confirm(callback, "✅ " + escape(tr.plain(labels[value])))
    await advance(shown(callback), state, tr, region, draft)


async def _chose_kecamatan(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                           kecamatan: Kecamatan) -> None:
    draft = await _draft(state)
    draft.kecamatan, draft.desa, draft.kecamatan_code, draft.desa_code = kecamatan.name, None, kecamatan.code, None
    await save_draft(state, draft)
    # A pin placed the desa already; a pin outside the region did not, nor did no pin at all.
    if kecamatan.desa and (not draft.has_pin or draft.ask_kecamatan):
        await state.set_state(ReportFlow.desa)
        await message.answer(tr("<b>Which desa/kelurahan?</b> Choose it, or type its name."),
                             reply_markup=desa_keyboard(tr, kecamatan.desa, 0, await is_editing(state)))
    elif draft.has_pin:
        await _finish_location(message, state, tr, region, draft)
    else:
        await _ask_landmark(message, state, tr, region, required=True)


async def _chose_desa(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                      kecamatan: Kecamatan, desa: str | None) -> None:
    draft = await _draft(state)
    draft.desa = desa
    draft.desa_code = kecamatan.desa_code(desa) if desa else None
    await save_draft(state, draft)
    if draft.has_pin:
        await _finish_location(message, state, tr, region, draft)
    else:
        await _ask_landmark(message, state, tr, region, required=True)


async def _ask_landmark(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                        *, required: bool, prefix: str | None = None) -> None:
    await state.set_state(ReportFlow.landmark)
    editing = await is_editing(state)
    if required:
        text = tr("🏷️ <b>Type a landmark</b> so officers can find the place, e.g. “in front of Al-Ikhlas "
                  "mosque, Jl. Raya Bangil”.")
        keyboard = markup(footer(tr, editing))
    else:
        text = tr("🏷️ Add a landmark to help officers (optional), e.g. “near the market gate”.")
        keyboard = skip_keyboard(tr, "landmark", editing)
    await message.answer(f"{prefix}\n\n{text}" if prefix else text, reply_markup=keyboard)


async def _finish_location(message: Message, state: FSMContext, tr: Translator, region: RegionConfig,
                           draft: ReportDraft, received: str | None = None) -> None:
    # The location keyboard gives way to the main menu again (which stays usable mid-report).
    await message.answer(received or tr("✅ Location:") + " " + location_summary(tr, region, draft),
                         reply_markup=menu_markup(tr))
    await advance(message, state, tr, region, draft)
