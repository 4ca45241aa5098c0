"""A backoffice with every kind of actor the security model names, for the authorisation tests.

Satpol PP handles the reports (in kecamatan Alpha); each report carries a planted description, so
a test can tell whether a report reached a chat. The actors, as the matrix in README names them:

    holder      Budi, Satpol PP officer for Alpha, holds the "held" reports
    same        Sri, Satpol PP officer for Alpha, holds nothing
    area        Joko, Satpol PP officer for Beta (Alpha is covered by Budi and Sri)
    supervisor  Kasatpol, Satpol PP supervisor
    other       Ani, Dinsos officer
    other_boss  Dewi, Dinsos supervisor
    auditor     Inspektur, region-wide read-only
    disabled    Dodi, a Satpol PP officer since disabled
    stranger    someone who never registered
    group       Sri again, in a group chat someone added the bot to
    duty        Sri again, in Satpol PP's configured duty group

Reports are made through the services (the report flow is tested elsewhere), by residents who are
unreachable, so no receipt or notice to a resident is paced through the outbox.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from botapi_emulator import Message as EmulatorMessage
from core.draft import AgeGroup, PeopleCount, ReportDraft, ReporterType, SeenWhen
from core.officers import disable_officer, find_officer
from core.report_actions import acknowledge, close_report, start_handling
from core.report_submit import submit_report
from db.models import Officer, Report, Reporter
from tests.harness import BACKOFFICE_TOKEN, PIN_ALPHA, Harness, Resident, make_harness

DUTY_CHAT = -1009001
OTHER_GROUP = -1009002
PLANTED = "RAHASIA-{n}-jangan-bocor"

ACTORS = ["holder", "same", "area", "supervisor", "other", "other_boss", "auditor", "disabled", "stranger",
          "group", "duty"]


@dataclass
class Actor:
    kind: str
    person: Resident  # the user, on the backoffice bot
    chat_id: int  # where they press and type

    @property
    def user(self):
        return self.person.user


@dataclass
class World:
    h: Harness
    actors: dict[str, Actor] = field(default_factory=dict)
    officer_ids: dict[str, int] = field(default_factory=dict)
    pools: dict[str, list[int]] = field(default_factory=dict)

    async def take(self, state: str) -> Report:
        """An unused report prepared in `state`: new (baru), held (diterima, by Budi) or closed
        (selesai, closed by Budi)."""
        report_id = self.pools[state].pop(0)
        return await self.h.scalar(select(Report).where(Report.id == report_id))

    async def file(self, n: int, *, category: str = "pengemis", pin: tuple[float, float] = PIN_ALPHA,
                   kecamatan: str = "Alpha", description: str | None = None) -> int:
        """A report made through the services, straight into the database (the report flow is
        tested elsewhere), by an unreachable resident of its own; its description is planted."""
        h = self.h
        async with h.app.sessionmaker() as session:
            reporter = Reporter(telegram_id=700_000 + n, chat_id=700_000 + n, language="en",
                                created_at=h.clock.now(), unreachable=True)
            session.add(reporter)
            await session.commit()
            draft = ReportDraft(category=category, latitude=pin[0], longitude=pin[1],
                                kecamatan=kecamatan, people_count=PeopleCount.FEW, age_group=AgeGroup.CHILD,
                                description=description or PLANTED.format(n=n), description_done=True,
                                seen_when=SeenWhen.NOW, seen_at=h.clock.now() - timedelta(minutes=5),
                                photos_done=True, urgent=False, reporter_type=ReporterType.PERORANGAN,
                                anonymous=True)
            return (await submit_report(session, clock=h.clock, region=h.region, reporter_id=reporter.id,
                                        draft=draft)).report_id

    async def _work(self, state: str, report_id: int) -> None:
        h = self.h
        async with h.app.sessionmaker() as session:
            budi = await find_officer(session, 9001)
            await acknowledge(session, clock=h.clock, region=h.region, officer=budi, report_id=report_id)
            if state == "closed":
                await start_handling(session, clock=h.clock, region=h.region, officer=budi, report_id=report_id)
                await close_report(session, clock=h.clock, region=h.region, officer=budi, report_id=report_id,
                                   outcome="tidak_ditemukan", persons=None, from_outside=None, note=None)

    def press(self, actor: Actor, data: str):
        """`actor` presses a button carrying `data` (forged or real) in their chat."""
        h = self.h
        chat = h.emu.groups.get(actor.chat_id)
        if chat is None:
            return actor.user.click_data(data)
        h.emu.user_acts()
        # A message of the bot's in the group to press on (an alert, when the group had one).
        anchor = next((m for m in reversed(chat.messages) if m.from_bot and not m.deleted), None) or \
            chat.new_message(h.emu.bot(BACKOFFICE_TOKEN).to_api(), from_bot=True, text="🆕")
        return h.emu.user_callback(actor.user.bot, actor.user.id, anchor, data)

    def type(self, actor: Actor, text: str) -> None:
        """`actor` types `text` (a command, an answer) in their chat."""
        h = self.h
        chat = h.emu.groups.get(actor.chat_id)
        if chat is None:
            actor.user.send_text(text)
            return
        h.emu.user_acts()
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") \
            else []
        message = chat.new_message(h.emu.users[actor.user.id], from_bot=False, text=text, entities=entities)
        h.emu.push_update(actor.user.bot, "message", message.to_api())


async def make_world(tmp_path, *, new: int = 0, held: int = 0, closed: int = 0, serve_http: bool = False) -> World:
    """The actors, and reports prepared in each state. The reports come before the officers are
    registered, so nobody is alerted of them: a report reaches a chat only by what a test does."""
    h = await make_harness(tmp_path)
    h.serve_http = serve_http  # the dashboard, on the app's HTTP port
    await h.start()
    world = World(h)
    wanted = [("new", new), ("held", held), ("closed", closed)]
    numbers = iter(range(1, 10_000))
    for state, count in wanted:
        # Straight into the database: a resident's flood limits are not what is tested here.
        world.pools[state] = [await world.file(next(numbers)) for _ in range(count)]
    people = [("holder", 9001, "Budi", "satpolpp", "officer", ["Alpha"]),
              ("same", 9002, "Sri", "satpolpp", "officer", ["Alpha"]),
              ("area", 9003, "Joko", "satpolpp", "officer", ["Beta"]),
              ("supervisor", 9004, "Kasatpol", "satpolpp", "supervisor", []),
              ("other", 9005, "Ani", "dinsos", "officer", []),
              ("other_boss", 9006, "Dewi", "dinsos", "supervisor", []),
              ("auditor", 9007, "Inspektur", "satpolpp", "auditor", []),
              ("disabled", 9008, "Dodi", "satpolpp", "officer", [])]
    for kind, uid, name, agency, role, areas in people:
        person = await h.officer(uid, name, agency=agency, role=role, areas=areas)
        world.actors[kind] = Actor(kind, person, uid)
        world.officer_ids[kind] = (await h.scalar(select(Officer).where(Officer.telegram_id == uid))).id
    async with h.app.sessionmaker() as session:
        await disable_officer(session, now=h.clock.now(), officer_id=world.officer_ids["disabled"])
    for state, _ in wanted[1:]:
        for report_id in world.pools[state]:
            await world._work(state, report_id)
    stranger = Resident(h, h.emu.add_user(6601, first_name="Orang").with_bot(BACKOFFICE_TOKEN))
    await stranger.say("/start")
    world.actors["stranger"] = Actor("stranger", stranger, 6601)
    sri = world.actors["same"].person
    h.emu.add_group(OTHER_GROUP, "Grup warga", members=[9002], bots=[BACKOFFICE_TOKEN])
    world.actors["group"] = Actor("group", sri, OTHER_GROUP)
    # Satpol PP's duty group, as a deployment configures it (core.access: its members may
    # acknowledge and set off on the agency's reports there).
    h.region.agency("satpolpp").duty_chat_id = DUTY_CHAT
    h.emu.add_group(DUTY_CHAT, "Piket Satpol PP", members=[9001, 9002], bots=[BACKOFFICE_TOKEN])
    world.actors["duty"] = Actor("duty", sri, DUTY_CHAT)
    await h.settle()
    return world


def seen_by(h: Harness, chat_id: int) -> str:
    """Everything the chat got from either bot (an officer has a private chat with each)."""
    parts = []
    for bot in h.emu.bots.values():
        chat = h.emu.private_chat(bot, chat_id) if chat_id > 0 else h.emu.groups.get(chat_id)
        if chat is not None:
            for message in chat.messages:
                parts += _message_parts(h, message)
    return "\n".join(parts)


def _message_parts(h: Harness, message: EmulatorMessage) -> list[str]:
    if not message.from_bot:
        return []
    parts = [message.text or "", message.caption or "", str(message.reply_markup or "")]
    parts += [str(old) for old in message.history]
    if message.document:
        data = h.emu.files[message.document["file_id"]].data
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                parts += [book.read(name).decode("utf-8", "replace") for name in book.namelist()]
        else:
            parts.append(data.decode("utf-8", "replace"))
    return parts


def files_seen(h: Harness, chat_id: int) -> str:
    """The contents of the files (workbooks unzipped, CSVs) a chat received."""
    parts = []
    for bot in h.emu.bots.values():
        chat = h.emu.private_chat(bot, chat_id) if chat_id > 0 else h.emu.groups.get(chat_id)
        for message in chat.messages if chat is not None else []:
            if message.from_bot and message.document:
                parts += _message_parts(h, message)[3 + len(message.history):]
    return "\n".join(parts)
