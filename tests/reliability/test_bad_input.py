"""Property tests: arbitrary updates to both bots, as a broken or hostile client could send them.

Residents: any text and unicode, huge texts and captions, photos with captions, stickers, voice,
files, contacts, locations far outside any valid range, commands with junk arguments, and forged
callback_data (random strings, and well-formed data of every button kind naming other residents'
reports). The backoffice: the same from people who are not officers (in private and in a group
the bot is in), and forged officer buttons (OfficerCb with any action, report id and argument) from
an officer of another agency and from a read-only auditor.

Asserted after every example: no update failed and nothing was logged at ERROR; every call the bots
made was accepted by the emulator (it validates HTML, lengths, callback_data bytes, ...); residents
are never left without an answer, and every button press is answered (no spinner left running);
and nothing changed that the sender had no right to change: the other residents' reports, the
reports in the officers' queue, the officers, no notice went to a resident, and the audit log gained
only refusals ('unregistered_access', 'access_refused'), at most one per sender and chat an hour.

One app per test function (in a thread with its own event loop, shared by all examples). Few
examples in the default run; `-m slow` runs many (LAPOR_BAD_INPUT_EXAMPLES, default 300).
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backoffice.keyboards import OfficerAction
from bot.flows.report_ui import ReportAction
from botapi_emulator import EmulatedUser
from db.models import AuditEvent, InboxUpdate, Officer, Outbox, Report
from tests.flows import english
from tests.harness import BACKOFFICE_TOKEN, Harness, make_harness
from tests.reliability.checks import already_so

SHORT_EXAMPLES = 12
SLOW_EXAMPLES = int(os.environ.get("LAPOR_BAD_INPUT_EXAMPLES", "300"))


class LoopThread:
    """An event loop in a thread of its own: the app lives there for a whole test function while
    hypothesis, which is synchronous, runs examples against it one by one."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bad-input-loop", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 120.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


# --- strategies ---------------------------------------------------------------------------------

def _utf8_at_most(limit: int):
    return lambda s: len(s.encode("utf-8", "surrogatepass")) <= limit


any_text = st.text(max_size=300)
huge_text = st.builds(lambda chunk, n: (chunk * n)[:4096], st.text(min_size=1, max_size=16), st.integers(200, 4096))
texts = st.one_of(any_text, huge_text, st.sampled_from(["", " ", "\n", "\u200b", "<b>", "</i>", "&amp;", "<a href='x'>",
                                                        "🏳️‍🌈" * 50, "\x00", "UJI-2611-0001", "PSR-٢٦١١-٤٢"]))
# Ids as a forged button may carry them: small, any 64-bit, and beyond what a database column holds.
big_int = st.one_of(st.integers(-3, 12), st.integers(-(2**63), 2**63 - 1),
                    st.sampled_from([2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -(10**30)]))
codes = st.one_of(st.sampled_from(["", "pengemis", "satpolpp", "dinsos", "tidak_ditemukan", "ditertibkan", "0", "1",
                                   "landmark", "description", "time", "desa", "en", "id", "uang", "barang"]),
                  st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789:", max_size=24))

CITIZEN_COMMANDS = ["start", "lapor", "report", "status", "laporansaya", "sumbangan", "donate", "bantuan", "help",
                    "privasi", "bahasa", "language", "batal", "cancel", "xyz", "start lapor", "start status",
                    "start en", "start sumbangan"]
BACKOFFICE_COMMANDS = ["start", "antrian", "tugas", "terlambat", "lapor", "ringkasan", "ringkasan hari",
                       "ringkasan minggu", "ringkasan bulan", "langganan", "bantuan", "help", "xyz"]
MENU = ["📝 Make a report", "📋 My reports", "🤝 Donate", "❓ Help", "📝 Buat laporan", "📋 Laporan saya",
        "📍 Send my current location", "🗺️ Choose kecamatan from a list", "✖️ Cancel report"]


def commands(names: list[str]):
    return st.builds(lambda c, arg: f"/{c} {arg}".rstrip(), st.sampled_from(names),
                     st.one_of(st.just(""), st.text(max_size=80), st.sampled_from(["UJI-2611-0001", "UJI-2611-0002"])))


def ids(known: Callable[[], list[int]]):
    """A report (or question) id: one that exists, or any integer at all."""
    return st.one_of(st.sampled_from(known()) if known() else big_int, big_int)


def citizen_callbacks(known: Callable[[], list[int]]):
    return st.one_of(
        st.text(min_size=1, max_size=64).filter(_utf8_at_most(64)),
        st.builds(lambda a, arg: f"r:{a}:{arg}", st.sampled_from([*ReportAction, "zz"]), codes),
        st.builds(lambda r, n: f"rate:{r}:{n}", ids(known), big_int),
        st.builds(lambda a, r: f"m:{a}:{r}", st.sampled_from(["page", "det", "info", "photo", "wask", "wyes",
                                                              "stop", "x"]),
                  ids(known)),
        st.builds(lambda a, arg: f"s:{a}:{arg}", st.sampled_from(["lang", "delask", "delyes", "delno", "x"]), codes),
        st.builds(lambda a, arg: f"d:{a}:{arg}", st.sampled_from(["kind", "send", "cancel", "x"]), codes),
        st.builds(lambda q: f"ans:{q}", big_int),
        st.builds(lambda a, r, arg: f"o:{a}:{r}:{arg}", st.sampled_from([*OfficerAction]), ids(known), codes),
    ).filter(_utf8_at_most(64))


def officer_callbacks(known: Callable[[], list[int]]):
    return st.one_of(
        st.builds(lambda a, r, arg: f"o:{a}:{r}:{arg}", st.sampled_from([*OfficerAction, "zz"]), ids(known), codes),
        st.builds(lambda p, o, k, s, pick: f"q:{p}:{o}:{k}:{s}:{pick}", big_int, st.sampled_from(["0", "1", "x"]),
                  big_int, st.sampled_from(["", "baru", "diterima", "selesai", "zz"]),
                  st.sampled_from(["", "kec", "state", "zz"])),
        st.builds(lambda p, on: f"sub:{p}:{on}", st.sampled_from(["daily", "weekly", "monthly", "yearly"]),
                  st.sampled_from(["0", "1", "true", "x"])),
        st.text(min_size=1, max_size=64),
    ).filter(_utf8_at_most(64))


@dataclass(frozen=True)
class Act:
    who: int  # index into the test's actors
    kind: str
    args: tuple = ()


def message_acts(n_actors: int, command_names: list[str], group: bool):
    who = st.integers(0, n_actors - 1)
    kinds = [
        st.builds(lambda w, t: Act(w, "text", (t,)), who, texts),
        st.builds(lambda w, t: Act(w, "text", (t,)), who, commands(command_names)),
        st.builds(lambda w, t: Act(w, "text", (t,)), who, st.sampled_from(MENU)),
        st.builds(lambda w, c: Act(w, "photo", (c,)), who, st.one_of(st.none(), any_text, huge_text)),
        st.builds(lambda w, la, lo: Act(w, "location", (la, lo)), who,
                  st.one_of(st.floats(-90, 90), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
                  st.one_of(st.floats(-180, 180), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))),
        st.builds(lambda w: Act(w, "sticker"), who),
        st.builds(lambda w: Act(w, "voice"), who),
        st.builds(lambda w, c: Act(w, "document", (c,)), who, st.one_of(st.none(), any_text)),
        st.builds(lambda w, p: Act(w, "contact", (p,)), who, st.one_of(st.none(), st.text(max_size=30))),
    ]
    if group:
        kinds.append(st.builds(lambda w, t: Act(w, "group", (t,)), who, st.one_of(texts, commands(command_names))))
    return kinds


# --- the app in a thread, and what each example checks ------------------------------------------

@dataclass
class World:
    bg: LoopThread
    h: Harness
    actors: list[EmulatedUser]
    private: bool = True  # every message gets an answer (citizen bot); not so for the backoffice's strangers
    group: Any = None
    report_ids: list[int] = field(default_factory=list)
    examples: int = 0
    problems: list[str] = field(default_factory=list)

    def known(self) -> list[int]:
        return self.report_ids


async def snapshot(h: Harness) -> dict[str, Any]:
    def report_state(r: Report) -> tuple:
        return (r.state, r.owner_id, r.agency, r.closed_at, r.outcome, r.persons_count, r.rating, r.duplicate_of_id,
                r.description, r.landmark, r.urgent, r.acknowledged_at, r.reporter_id)

    async with h.app.sessionmaker() as session:
        reports = {r.id: report_state(r) for r in (await session.execute(select(Report))).scalars()}
        officers = {o.id: (o.telegram_id, o.agency, o.role, o.active, tuple(o.areas or ()))
                    for o in (await session.execute(select(Officer))).scalars()}
        audit = max((await session.execute(select(AuditEvent.id))).scalars(), default=0)
        outbox = max((await session.execute(select(Outbox.id))).scalars(), default=0)
        citizen_outbox = len(list((await session.execute(select(Outbox.id).where(Outbox.bot == "citizen"))).scalars()))
    return {"reports": reports, "officers": officers, "audit": audit, "outbox": outbox,
            "citizen_outbox": citizen_outbox, "calls": len(h.emu.calls)}


def perform(world: World, act: Act) -> tuple[EmulatedUser, Any]:
    """Sends one update; returns the user and the callback query (for callbacks)."""
    user = world.actors[act.who]
    if act.kind == "text":
        user.send_text(act.args[0])
    elif act.kind == "photo":
        user.send_photo(caption=act.args[0])
    elif act.kind == "location":
        user.send_location(*act.args)
    elif act.kind == "sticker":
        user.send_sticker()
    elif act.kind == "voice":
        user.send_voice()
    elif act.kind == "document":
        user.send_document(caption=act.args[0])
    elif act.kind == "contact":
        user.send_contact(act.args[0])
    elif act.kind == "group":
        emu = world.h.emu
        world.group.members.add(user.id)
        emu.user_acts()
        message = world.group.new_message(emu.users[user.id], from_bot=False, text=act.args[0])
        emu.push_update(user.bot, "message", message.to_api())
    elif act.kind == "callback":
        # On the latest bot message of the chat, whatever it is, as a modified client could. A
        # button needs a bot message: someone the bot never wrote to says /start instead.
        target = next((m for m in reversed(user.messages) if not m.deleted), None)
        if target is None:
            user.send_text("/start")
            return user, None
        return user, user.click_data(act.args[0], message=target)
    else:
        raise AssertionError(act.kind)
    return user, None


async def run_example(world: World, acts: list[Act], caplog, check_changes: Callable[[dict, dict], list[str]]) -> None:
    h = world.h
    world.examples += 1
    before = await snapshot(h)
    errors_before = len([r for r in caplog.records if r.levelno >= logging.ERROR])
    problems: list[str] = []
    for act in acts:
        actor = world.actors[act.who]
        sent_before = len(actor.messages)
        user, query = perform(world, act)
        await h.settle(timeout=60)
        if world.private and act.kind not in ("callback", "group") and len(user.messages) <= sent_before:
            problems.append(f"{act}: no answer at all")
        if query is not None and not query.answered:
            problems.append(f"{act}: the button press was never answered")
    after = await snapshot(h)
    async with h.app.sessionmaker() as session:
        failed = list((await session.execute(select(InboxUpdate).where(InboxUpdate.status == "failed"))).scalars())
        new_audit = list((await session.execute(select(AuditEvent).where(AuditEvent.id > before["audit"]))).scalars())
        dead = list((await session.execute(select(Outbox).where(Outbox.status == "dead"))).scalars())
    problems += [f"update {r.update_id} failed: {r.error}" for r in failed]
    problems += [f"outbox row {r.id} refused: {r.last_error}" for r in dead]
    refused = [c for c in h.emu.calls[before["calls"]:] if c.status not in (200, 429) and not already_so(c)]
    problems += [f"the emulator refused {c.method} to {c.chat_id}: {c.status} {c.description}" for c in refused]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR][errors_before:]
    problems += [f"logged {r.levelname} {r.name}: {r.getMessage()}" for r in errors]
    problems += check_changes(before, after, new_audit=new_audit)
    if problems:
        # The next example starts clean: failures of this one are reported by hypothesis with the input.
        async with h.app.sessionmaker() as session:
            for row in failed:
                await session.delete(row)
            for row in dead:
                row.status = "sent"
            await session.commit()
        caplog.clear()
        raise AssertionError("\n".join(problems[:20]) + f"\ninput: {acts!r}")


def property_test(world: World, strategy, caplog, check_changes, examples: int,
                  explicit: list[list[Act]] = ()) -> None:
    # No shrinking: the app keeps state from one example to the next, so a smaller input run later
    # is a different experiment. A failure names its input in the message instead.
    def with_examples(f):
        for acts in reversed(explicit):
            f = example(acts=acts)(f)
        return f

    @with_examples
    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.reuse, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(acts=strategy)
    def prop(acts):
        world.bg.run(run_example(world, acts, caplog, check_changes))

    prop()
    print(f"{world.examples} examples run")


# --- the citizen bot ----------------------------------------------------------------------------

async def quick_report(h: Harness, user_id: int, n: int) -> None:
    """A resident with a sent report, made through the services (the UI flow is tested elsewhere)."""
    from datetime import timedelta

    from core.draft import AgeGroup, PeopleCount, ReportDraft, ReporterType, SeenWhen
    from core.report_submit import submit_report
    from db.models import Reporter

    owner = h.resident(user_id, f"Warga {user_id}")
    await english(owner)  # opens the chat and registers the resident
    reporter = await h.scalar(select(Reporter).where(Reporter.telegram_id == user_id))
    draft = ReportDraft(category="pengemis", latitude=-7.05 + n / 1000, longitude=112.05, kecamatan="Alpha",
                        people_count=PeopleCount.FEW, age_group=AgeGroup.MIXED, description=f"report {n}",
                        description_done=True, seen_when=SeenWhen.NOW, seen_at=h.clock.now() - timedelta(minutes=5),
                        photos_done=True, urgent=False, reporter_type=ReporterType.PERORANGAN, anonymous=True)
    async with h.app.sessionmaker() as session:
        await submit_report(session, clock=h.clock, region=h.region, reporter_id=reporter.id, draft=draft)
    await h.settle()


async def citizen_world(tmp_path, bg: LoopThread) -> World:
    h = await make_harness(tmp_path)
    await h.start()
    # Two residents with a report each: the actors are other people and must not touch them.
    for n, uid in enumerate((5101, 5102)):
        await quick_report(h, uid, n)
    actors = [h.emu.add_user(5201, first_name="Mallory", language_code="id"),
              h.emu.add_user(5202, first_name="Eve", language_code="en", username="eve")]
    world = World(bg, h, actors)
    world.report_ids = [r.id for r in await h.rows(select(Report))]
    return world


def citizen_changes(world: World):
    def check(before: dict, after: dict, new_audit: list[AuditEvent]) -> list[str]:
        problems = []
        for rid, state in before["reports"].items():
            if after["reports"].get(rid) != state:
                problems.append(f"report {rid} changed: {state} -> {after['reports'].get(rid)}")
        for event in new_audit:
            if event.report_id in before["reports"]:
                problems.append(f"audit: {event.action} on another resident's report {event.report_id}")
        if after["officers"] != before["officers"]:
            problems.append("the officers changed")
        return problems
    return check


def citizen_strategy(world: World):
    callback = st.builds(lambda w, d: Act(w, "callback", (d,)), st.integers(0, len(world.actors) - 1),
                         citizen_callbacks(world.known))
    return st.lists(st.one_of(*message_acts(len(world.actors), CITIZEN_COMMANDS, group=False), callback),
                    min_size=1, max_size=6)


@pytest.fixture
def bg():
    loop = LoopThread()
    yield loop
    loop.close()


def _citizen(tmp_path, bg, caplog, examples: int) -> None:
    caplog.set_level(logging.WARNING)
    world = bg.run(citizen_world(tmp_path, bg))
    other = world.report_ids[0]
    explicit = [
        # Found by this test (fixed): ids no database column holds, and digits int() cannot read.
        [Act(0, "callback", (f"m:det:{10**30}",)), Act(1, "callback", (f"rate:{2**63}:5",)),
         Act(0, "callback", (f"m:page:{10**30}",)), Act(1, "callback", (f"ans:{-(2**63) - 1}",))],
        [Act(0, "text", ("/batal",)), Act(0, "text", ("📝 Make a report",)), Act(0, "callback", ("r:cat:pengemis",)),
         Act(0, "text", ("🗺️ Choose kecamatan from a list",)), Act(0, "callback", ("r:kec:²",))],
        # Another resident's report: rate it, withdraw it.
        [Act(1, "callback", (f"rate:{other}:1",)), Act(0, "callback", (f"m:wyes:{other}",))],
    ]
    try:
        property_test(world, citizen_strategy(world), caplog, citizen_changes(world), examples, explicit)
    finally:
        bg.run(_stop(world.h))


async def _stop(h: Harness) -> None:
    await h.app.stop()
    await h.emu.stop()


def test_citizen_bot_takes_any_input(tmp_path, bg, caplog):
    _citizen(tmp_path, bg, caplog, SHORT_EXAMPLES)


@pytest.mark.slow
def test_citizen_bot_takes_any_input_many(tmp_path, bg, caplog):
    _citizen(tmp_path, bg, caplog, SLOW_EXAMPLES)


# --- the backoffice -----------------------------------------------------------------------------

async def backoffice_world(tmp_path, bg: LoopThread) -> World:
    from core.officers import find_officer
    from core.report_actions import acknowledge, start_handling

    h = await make_harness(tmp_path)
    await h.start()
    # The reports come before the officers are registered: nobody is alerted (no paced alerts to wait for).
    for n, uid in enumerate((5101, 5102, 5103)):
        await quick_report(h, uid, n)
    await h.officer(9001, "Budi", areas=["Alpha"])
    auditor = await h.officer(9002, "Inspektur", role="auditor")
    other = await h.officer(9003, "Dewi", agency="dinsos")
    reports = await h.rows(select(Report).order_by(Report.id))
    # One report taken and on the way, one taken, one new: every button has something to act on.
    async with h.app.sessionmaker() as session:
        budi = await find_officer(session, 9001)
        for r in reports[:2]:
            await acknowledge(session, clock=h.clock, region=h.region, officer=budi, report_id=r.id)
        await start_handling(session, clock=h.clock, region=h.region, officer=budi, report_id=reports[0].id)
    await h.settle()
    strangers = [h.emu.add_user(uid, first_name=f"Orang {uid}").with_bot(BACKOFFICE_TOKEN) for uid in (6601, 6602)]
    group = h.emu.add_group(-100777, "Grup piket", members=[9001], bots=[BACKOFFICE_TOKEN])
    world = World(bg, h, [*strangers, auditor.user, other.user], private=False, group=group)
    world.report_ids = [r.id for r in reports]
    return world


def backoffice_changes(world: World):
    def check(before: dict, after: dict, new_audit: list[AuditEvent]) -> list[str]:
        problems = []
        if after["reports"] != before["reports"]:
            changed = {rid for rid in before["reports"] if before["reports"][rid] != after["reports"].get(rid)}
            problems.append(f"reports changed by people with no right to: {sorted(changed)} "
                            f"(new: {sorted(set(after['reports']) - set(before['reports']))})")
        if after["officers"] != before["officers"]:
            problems.append(f"the officers changed: {before['officers']} -> {after['officers']}")
        refusals = Counter()
        for event in new_audit:
            if event.action not in ("unregistered_access", "access_refused"):
                problems.append(f"audit gained {event.action!r} (report {event.report_id}, actor {event.actor_id})")
            else:
                hour = event.at.replace(minute=0, second=0, microsecond=0)
                refusals[(event.data.get("telegram_id"), event.data.get("chat_id"), hour)] += 1
        problems += [f"{n} refusal rows in one hour for {key}" for key, n in refusals.items() if n > 1]
        if after["citizen_outbox"] != before["citizen_outbox"]:
            problems.append("a resident was sent a notice")
        return problems
    return check


def backoffice_strategy(world: World):
    callback = st.builds(lambda w, d: Act(w, "callback", (d,)), st.integers(0, len(world.actors) - 1),
                         officer_callbacks(world.known))
    return st.lists(st.one_of(*message_acts(len(world.actors), BACKOFFICE_COMMANDS, group=True), callback),
                    min_size=1, max_size=6)


def _backoffice(tmp_path, bg, caplog, examples: int) -> None:
    caplog.set_level(logging.WARNING)
    world = bg.run(backoffice_world(tmp_path, bg))
    taken, new = world.report_ids[0], world.report_ids[2]
    explicit = [
        # Found by this test (fixed): ids no database column holds, and digits int() cannot read.
        [Act(2, "callback", (f"o:det:{10**30}:",)), Act(3, "callback", (f"q:{10**30}:0:-1::",)),
         Act(3, "callback", (f"o:ack:{2**63}:",))],
        [Act(3, "callback", (f"o:outc:{taken}:ditertibkan",)), Act(3, "text", ("²",))],
        # Found by the slow run (fixed): a button forged onto a photo (the summary's chart) refreshed
        # the "alert" with editMessageText, which a photo has no text for.
        [Act(2, "text", ("/ringkasan hari",)), Act(2, "callback", (f"o:ack:{new}:",)),
         Act(2, "callback", ("q:0:0:-1::",)), Act(2, "callback", (f"o:way:{taken}:",))],
        # Another agency's officer and the auditor try every action on the queue's reports.
        [Act(w, "callback", (f"o:{a.value}:{rid}:{arg}",)) for w in (2, 3) for rid in (taken, new)
         for a, arg in ((OfficerAction.ACK, ""), (OfficerAction.ON_THE_WAY, ""), (OfficerAction.REJECT, ""),
                        (OfficerAction.HANDOVER_TO, "dinsos"),
                        (OfficerAction.MERGE, ""), (OfficerAction.REOPEN, ""), (OfficerAction.REASSIGN_TO, "1"))],
        [Act(3, "callback", (f"o:rej:{new}:",)), Act(3, "text", ("not found",)),
         Act(2, "callback", (f"o:close:{taken}:",)), Act(2, "callback", (f"o:outc:{taken}:tidak_ditemukan",)),
         Act(2, "text", ("a note",))],
    ]
    try:
        property_test(world, backoffice_strategy(world), caplog, backoffice_changes(world), examples, explicit)
        # The citizen side owes nothing to anyone because of this: no notice was queued.
    finally:
        bg.run(_stop(world.h))


def test_backoffice_refuses_strangers_and_forged_buttons(tmp_path, bg, caplog):
    _backoffice(tmp_path, bg, caplog, SHORT_EXAMPLES)


@pytest.mark.slow
def test_backoffice_refuses_strangers_and_forged_buttons_many(tmp_path, bg, caplog):
    _backoffice(tmp_path, bg, caplog, SLOW_EXAMPLES)
