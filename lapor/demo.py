"""`lapor demo`: the real bots against the project's Bot API emulator, chatted with from a terminal.

No token, no internet: a newcomer can try every flow, as a resident or as the backoffice's people
(a field officer, the agency's supervisor, the Inspektorat's auditor). What a person would see in
Telegram is printed as it happens: new messages with their buttons, messages the bot edits, the
toasts and alerts a tap gets. `--script` plays a whole report unattended and prints the
conversation (also a smoke test of a fresh install).

The demo's own lines are in English (a developer tool); the bots speak their users' language.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from botapi_emulator import BotAPIEmulator, EmulatedUser, VirtualClock
from botapi_emulator.models import CallbackQuery, Message
from core.desa_placement import PackPlacer
from core.officers import OfficerError, add_officer
from core.region import RegionConfig
from db import migrate
from db.engine import create_engine, create_sessionmaker
from db.models import InboxUpdate, Officer, Outbox
from lapor.app import App
from lapor.settings import Settings

DEMO_TOKEN = "100000:DEMO-CITIZEN-BOT"
DEMO_BACKOFFICE_TOKEN = "200000:DEMO-BACKOFFICE-BOT"
# Telegram's user ids have at most 52 significant bits: from 2**52 on, an id is nobody's. The demo's
# people never meet a real resident's or officer's rows in a database they share.
DEMO_ID_BASE = 2**52
DEMO_USER = DEMO_ID_BASE + 1
DEMO_OFFICER = DEMO_ID_BASE + 2
DEMO_SUPERVISOR = DEMO_ID_BASE + 3
DEMO_AUDITOR = DEMO_ID_BASE + 4
DEMO_IDS = (DEMO_USER, DEMO_OFFICER, DEMO_SUPERVISOR, DEMO_AUDITOR)
# The demo's update ids start above any Telegram gives: a database that keeps a real bot's inbox (or an
# earlier demo's) never takes a demo update for one it has already handled.
DEMO_UPDATE_BASE = 2**52

BUTTON = re.compile(r"[bB](\d{1,4})")
KEY = re.compile(r"[kK](\d{1,4})")


class DemoRefused(Exception):
    """The demo will not run as asked; the message says why, in one line."""


@dataclass(frozen=True)
class Persona:
    key: str  # what `:key` switches to
    telegram_id: int
    first_name: str
    role: str | None = None  # the officer's role in the backoffice bot; None: the resident (citizen bot)
    officer_name: str = ""  # the demo's own officer row is recognised by it
    about: str = ""


def personas(agency: str) -> list[Persona]:
    return [
        Persona("warga", DEMO_USER, "Warga", about="a resident, in the citizen bot"),
        Persona("petugas", DEMO_OFFICER, "Petugas", "officer", "Petugas Demo",
                f"a {agency} field officer, in the backoffice bot: receives the alerts"),
        Persona("supervisor", DEMO_SUPERVISOR, "Kepala", "supervisor", "Kepala Demo",
                f"the head of {agency}: try /terlambat, /ringkasan, /langganan"),
        Persona("auditor", DEMO_AUDITOR, "Inspektorat", "auditor", "Inspektorat Demo",
                "the Inspektorat's auditor: reads every report, changes nothing"),
    ]


def help_text(people: list[Persona]) -> str:
    return "\n".join([
        "Type a message and press Enter: it goes to the bot as text, numbers included. Besides:",
        "  b1, b2, ...       tap a button of the last buttons shown, printed [b1 Label]",
        "  k1, k2, ...       press a key of the keyboard under the chat, printed [k1 Label] (or type its label)",
        "  :say TEXT         send TEXT exactly, even when it looks like one of these (:say b1)",
        "  :loc [LAT LON]    send a location pin (without numbers: a pin in the region)",
        "  :photo [CAPTION]  :doc   :sticker   :voice   :contact [PHONE]      send one of those",
        "  :buttons          show again the last message that still has buttons",
        *(f"  :{p.key:<16} be {p.about}" for p in people),
        "  :help             this help                  :quit    leave (so do Ctrl+D and Ctrl+C)",
        "Shown: 🤖 a new message, ✏️ a message the bot edited (with the buttons it has now),",
        "       💬 a toast (a short note over the chat), ⚠️ an alert (a pop-up the person must close).",
    ])


async def settle(app: App, emu: BotAPIEmulator, timeout: float = 15.0) -> None:
    """Waits until the bots have taken and handled every update and no outbox has anything due."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    def undelivered() -> bool:
        return any(emu.pending_updates(token) for token in emu.bots)

    while loop.time() < deadline:
        if undelivered():
            await emu.wait_for(lambda: not undelivered(), max(0.01, deadline - loop.time()))
            continue
        for runtime in app.runtimes:
            await runtime.poller.idle()
        async with app.sessionmaker() as session:
            pending = (await session.execute(
                select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending"))).scalar()
            due = (await session.execute(
                select(func.count()).select_from(Outbox)
                .where(Outbox.status == "pending", Outbox.next_attempt_at <= app.clock.now()))).scalar()
        if not pending and not due and not any(r.poller.pending_tasks() for r in app.runtimes):
            return
        for runtime in app.runtimes:
            runtime.worker.wake()
        await asyncio.sleep(0.01)  # give the workers a turn; bounded by the deadline
    raise TimeoutError("the bots did not finish answering")


def _centre(region: RegionConfig) -> tuple[float, float]:
    """Where the demo's resident stands: in the region's first kecamatan (a pack's), else the
    middle of its bounding box."""
    placer = region.placer
    if isinstance(placer, PackPlacer):
        return placer.point_in(region.kecamatan[0].code or "")
    if region.region.bbox:
        min_lon, min_lat, max_lon, max_lat = region.region.bbox
        return (min_lat + max_lat) / 2, (min_lon + max_lon) / 2
    return -7.6, 112.8


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ----------------------------------------------------------------------------------- the terminal

Buttons = list[dict]  # an inline keyboard's buttons, row after row, as the bot sent them


def _buttons_of(message: Message) -> Buttons:
    return [dict(button) for row in message.inline_keyboard or [] for button in row]


def _body(message: Message) -> str:
    if message.text is not None:
        return message.text
    body = message.summary()  # [photo] caption, [location] lat, lon...
    for flag in (" (deleted)", " (edited)"):
        body = body.removesuffix(flag)
    return body


def _indent(text: str) -> str:
    return text.replace("\n", "\n   ")


def _quote(message: Message) -> str:
    line = next((line for line in _body(message).splitlines() if line.strip()), "")
    return f"“{line[:40]}…”" if len(line) > 40 else f"“{line}”"


class Terminal:
    """Plays one person at a time and shows what every demo person receives, the moment it
    arrives: new messages, edits, deletions, and the toast or alert a tap gets."""

    def __init__(self, app: App, emu: BotAPIEmulator, users: dict[str, EmulatedUser], people: list[Persona],
                 region: RegionConfig) -> None:
        self.app, self.emu, self.users, self.region = app, emu, users, region
        self.people = {p.key: p for p in people}
        self.help = help_text(people)
        self.current = people[0].key
        self._messages_read = dict.fromkeys(users, 0)  # cursors into each chat's messages...
        self._edits_read = dict.fromkeys(users, 0)  # ...and into its edit log
        self._printed: dict[int, tuple[str, Buttons]] = {}  # id(message): its text and buttons as last shown
        self._shown: dict[str, list[Message]] = {key: [] for key in users}
        self._gone: set[int] = set()  # deletions already told
        # What b1, b2... tap for each person: the last buttons printed, as they were printed.
        self._target: dict[str, tuple[Message, Buttons] | None] = dict.fromkeys(users)
        self._taps: list[tuple[str, CallbackQuery]] = []  # taps whose answer (a toast?) is not shown yet
        self._held: dict[str, list[list[str]]] = {}  # shown when the person is first played

    @property
    def user(self) -> EmulatedUser:
        return self.users[self.current]

    # --- showing ----------------------------------------------------------------------------

    def _button_lines(self, who: str, message: Message) -> list[str]:
        lines, number = [], 0
        for row in message.inline_keyboard or []:
            cells = []
            for button in row:
                number += 1
                cells.append(f"[b{number} {button.get('text', '')}{' ↗' if 'url' in button else ''}]")
            lines.append("   " + " ".join(cells))
        if number:
            self._target[who] = (message, _buttons_of(message))
        return lines

    def _remember(self, who: str, message: Message) -> None:
        self._printed[id(message)] = (_body(message), _buttons_of(message))
        if all(m is not message for m in self._shown[who]):
            self._shown[who].append(message)

    def _new(self, who: str, message: Message) -> list[str]:
        lines = ["🤖 " + _indent(_body(message)), *self._button_lines(who, message)]
        if message.reply_keyboard:
            keys = [label for row in message.reply_keyboard for label in row]
            lines.append("   keys: " + " ".join(f"[k{i} {label}]" for i, label in enumerate(keys, 1)))
        elif message.removes_keyboard:
            lines.append("   (the keys under the chat are gone)")
        self._remember(who, message)
        return lines

    def _edit(self, who: str, message: Message) -> list[str] | None:
        """An edit as an edit: the new text (or only what became of the buttons) and the buttons it
        has now. None when nothing visible changed since it was last shown."""
        body, buttons = _body(message), _buttons_of(message)
        before = self._printed.get(id(message))
        if before == (body, buttons):
            return None
        if before is not None and before[0] == body:
            lines = ([f"✏️ new buttons on {_quote(message)}:", *self._button_lines(who, message)] if buttons
                     else [f"✏️ buttons removed from {_quote(message)}"])
        else:
            lines = ["✏️ edited: " + _indent(body), *self._button_lines(who, message)]
        target = self._target[who]
        if not buttons and target is not None and target[0] is message:
            self._target[who] = (message, [])  # the numbers shown last are gone: b1 must not tap older ones
        self._remember(who, message)
        return lines

    def _updates(self, who: str) -> list[list[str]]:
        blocks: list[list[str]] = []
        for entry in list(self._taps):
            person, query = entry
            if person == who and query.answered:
                self._taps.remove(entry)
                if query.text:
                    blocks.append([("⚠️ alert: " if query.show_alert else "💬 toast: ") + _indent(query.text)])
        chat = self.users[who].chat
        if chat is None:
            return blocks
        fresh = [m for m in chat.messages[self._messages_read[who]:] if m.from_bot and not m.deleted]
        self._messages_read[who] = len(chat.messages)
        edited: list[Message] = []
        for message in chat.edit_log[self._edits_read[who]:]:
            # A message sent and edited since the last look is shown once, as it is now.
            if all(message is not m for m in (*fresh, *edited)):
                edited.append(message)
        self._edits_read[who] = len(chat.edit_log)
        for message in edited:
            if not message.deleted and (lines := self._edit(who, message)):
                blocks.append(lines)
        for message in self._shown[who]:
            if message.deleted and id(message) not in self._gone:
                self._gone.add(id(message))
                blocks.append([f"🗑 the bot deleted {_quote(message)}"])
        blocks += [self._new(who, message) for message in fresh]
        return blocks

    def show(self) -> None:
        """Prints what arrived: the person played first, then the others, marked [→ name]."""
        for who in [self.current, *(key for key in self.users if key != self.current)]:
            for block in self._updates(who):
                print(("" if who == self.current else f"[→ {who}] ") + "\n".join(block))

    def hold(self, who: str) -> None:
        """Keeps what `who` has received so far (their welcome) for the moment they are played."""
        self._held[who] = self._updates(who)

    def switch(self, key: str) -> None:
        self.current = key
        print(f"  (you are now {key}: {self.people[key].about})")
        for block in self._held.pop(key, []):
            print("\n".join(block))

    # --- acting ----------------------------------------------------------------------------

    def handle(self, line: str) -> bool | None:
        """One line typed: True when it went to a bot, False when not (a line says why), None to
        leave. Whatever is typed, the answer is a line, never a traceback."""
        text = line.strip()
        if not text:
            return False
        try:
            return self._handle(text)
        except Exception as exc:  # e.g. a key label on the keyboard twice: say so, keep going
            print(f"  (could not do that: {_first_line(exc)})")
            return False

    def _handle(self, text: str) -> bool | None:
        if text.startswith(":"):
            return self._command(text[1:])
        if match := BUTTON.fullmatch(text):
            return self._tap(int(match[1]))
        if match := KEY.fullmatch(text):
            return self._press(int(match[1]))
        keys = [label for row in self.user.reply_keyboard or [] for label in row]
        if text in keys:  # a key's label typed: as the key (a location key sends a pin)
            self.user.press(text, location=_centre(self.region))
        else:
            self.user.send_text(text)
        return True

    def _command(self, rest: str) -> bool | None:
        name, _, arg = rest.strip().partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in ("quit", "q", "exit"):
            return None
        if name in ("help", "h", "?", ""):
            print(self.help)
            return False
        if name in self.users:
            self.switch(name)
            return False
        if name == "say":
            if not arg:
                print("  (:say TEXT sends TEXT as it is, e.g. :say b1)")
                return False
            self.user.send_text(arg)
        elif name == "loc":
            return self._location(arg)
        elif name == "photo":
            self.user.send_photo(caption=arg or None)
        elif name == "doc":
            self.user.send_document()
        elif name == "sticker":
            self.user.send_sticker()
        elif name == "voice":
            self.user.send_voice()
        elif name == "contact":
            self.user.send_contact(arg or None)
        elif name == "buttons":
            self._show_buttons()
            return False
        else:
            print(f"  (no command :{name}; :help lists them. To send it as text: :say :{rest.strip()})")
            return False
        return True

    def _location(self, arg: str) -> bool:
        if not arg:
            self.user.send_location(*_centre(self.region))
            return True
        try:
            lat, lon = (float(part) for part in arg.replace(",", " ").split())
        except ValueError:
            print("  (:loc LAT LON sends a pin, e.g. :loc -7.6 112.8; :loc alone sends one in the region)")
            return False
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            print("  (a latitude is between -90 and 90, a longitude between -180 and 180)")
            return False
        self.user.send_location(lat, lon)
        return True

    def _tap(self, number: int) -> bool:
        target = self._target[self.current]
        if target is None:
            print("  (no buttons have been shown here yet; type text, or :help)")
            return False
        message, buttons = target
        if message.deleted:
            print("  (the message with those buttons was deleted; :buttons shows the last one that has some)")
            return False
        if _buttons_of(message) != buttons:  # changed since it was printed: show it, tap nothing
            if lines := self._edit(self.current, message):
                print("\n".join(lines))
            print("  (those buttons have just changed, see above; nothing was tapped)")
            return False
        if not buttons:
            print("  (the buttons shown last were removed; :buttons shows the last message that still has some)")
            return False
        if not 1 <= number <= len(buttons):
            print(f"  (no button b{number}: the buttons shown last are b1 to b{len(buttons)})")
            return False
        button = buttons[number - 1]
        if "callback_data" not in button:
            print(f"  (b{number} opens {button.get('url') or 'something outside the chat'}; not in the demo)")
            return False
        self.emu.user_acts()
        query = self.emu.user_callback(self.user.bot, self.user.id, message, button["callback_data"],
                                       label=button.get("text"))
        self._taps.append((self.current, query))
        return True

    def _press(self, number: int) -> bool:
        keys = [label for row in self.user.reply_keyboard or [] for label in row]
        if not keys:
            print("  (no keys are shown under the chat)")
            return False
        if not 1 <= number <= len(keys):
            print(f"  (no key k{number}: the keys are k1 to k{len(keys)})")
            return False
        self.user.press(keys[number - 1], location=_centre(self.region))
        return True

    def _show_buttons(self) -> None:
        message = next((m for m in reversed(self.user.messages) if m.inline_keyboard and not m.deleted), None)
        if message is None:
            print("  (no message here has buttons now)")
            return
        print("\n".join(["🤖 " + _indent(_body(message)), *self._button_lines(self.current, message)]))
        self._remember(self.current, message)


class Lines:
    """Lines typed (or piped) on stdin, read by a daemon thread straight from the file descriptor.
    The demo's loop stays free, and leaving (Ctrl+C included) never waits for a thread blocked in a
    read, as one of asyncio.to_thread's would (until Enter)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        try:
            self._fd: int | None = sys.stdin.fileno()
        except (AttributeError, ValueError, OSError):
            self._fd = None
        self.echo = self._fd is None or not os.isatty(self._fd)  # piped lines are not echoed by a terminal
        threading.Thread(target=self._read, name="lapor-demo-stdin", daemon=True).start()

    def _read(self) -> None:
        pending = b""
        try:
            while self._fd is not None:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    break
                *complete, pending = (pending + chunk).split(b"\n")
                for raw in complete:
                    self._put(raw.decode("utf-8", "replace").rstrip("\r"))
        except OSError:
            pass
        if pending:
            self._put(pending.decode("utf-8", "replace"))
        self._put(None)

    def _put(self, line: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the demo is over
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)

    async def get(self) -> str | None:
        """The next line, None at the end of the input."""
        return await self._queue.get()


# ------------------------------------------------------------------------------ the bots and data

def _shown_url(url: str) -> str:
    with contextlib.suppress(Exception):
        return make_url(url).render_as_string(hide_password=True)
    return "the database"


async def _check_database(url: str) -> None:
    """A database the demo did not make: it runs beside the data there, but refuses (one line) a
    schema it would have to migrate, or a deployment's work it would take over (queued messages
    would go to the emulator instead of Telegram)."""
    shown = _shown_url(url)
    try:
        current = await migrate.current_revision(url)
    except Exception as exc:
        raise DemoRefused(f"cannot open {shown}: {_first_line(exc)}") from exc
    head = migrate.head_revision()
    if current is None:
        return  # empty: the demo sets it up
    if current != head:
        raise DemoRefused(f"{shown} is at revision {current}, the code expects {head}; run `lapor db upgrade` "
                          "first (the demo migrates only a database it makes)")
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            queued = (await session.execute(select(func.count()).select_from(Outbox).where(
                Outbox.status == "pending", Outbox.chat_id.not_in(DEMO_IDS)))).scalar_one()
            unhandled = (await session.execute(select(func.count()).select_from(InboxUpdate).where(
                InboxUpdate.status == "pending", InboxUpdate.update_id < DEMO_UPDATE_BASE))).scalar_one()
    finally:
        await engine.dispose()
    if queued or unhandled:
        raise DemoRefused(f"{shown} has {queued} message(s) waiting to go to Telegram and {unhandled} update(s) "
                          "not yet handled: a deployment's work, which the demo would take over. Try the demo "
                          "on a copy of it, or without --database-url")


def _demo_agency(region: RegionConfig) -> str:
    """The agency that takes beggars' reports (the script's), else the region's first."""
    if any(c.code == "pengemis" for c in region.categories):
        return region.category("pengemis").primary
    return region.agencies[0].code


async def _ensure_officers(app: App, region: RegionConfig, agency: str, people: list[Persona]) -> None:
    """The demo's officers, found or added: the same rows on every run, beside any real ones. The
    field officer covers every kecamatan, so the alerts reach it whoever else covers the place."""
    everywhere = [k.name for k in region.kecamatan]
    async with app.sessionmaker() as session:
        for person in people:
            if person.role is None:
                continue
            areas = everywhere if person.role == "officer" else []
            row = (await session.execute(
                select(Officer).where(Officer.telegram_id == person.telegram_id))).scalar_one_or_none()
            if row is None:
                try:
                    await add_officer(session, region=region, now=app.clock.now(), telegram_id=person.telegram_id,
                                      name=person.officer_name, agency=agency, role=person.role, areas=areas,
                                      actor="demo")
                except OfficerError as exc:
                    raise DemoRefused(f"cannot add the demo's {person.key}: {exc}") from exc
                continue
            if row.name != person.officer_name:
                raise DemoRefused(f"Telegram id {person.telegram_id}, the demo's {person.key}, is officer #{row.id} "
                                  f"({row.name}) in this database; the demo will not act as them")
            wanted = {"active": True, "unreachable": False, "agency": agency, "role": person.role,
                      "areas": areas, "chat_id": person.telegram_id}
            changed = {field: value for field, value in wanted.items() if getattr(row, field) != value}
            for field, value in changed.items():
                setattr(row, field, value)
            if changed:
                await session.commit()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _start(region: RegionConfig, database_url: str, *, stack: contextlib.AsyncExitStack,
                 http_port: int | None = None) -> tuple[BotAPIEmulator, App]:
    # A script (or a session piped in) taps without pausing; in virtual time each action counts as
    # a person's two-second pause, so Telegram's per-chat limits are judged as they would be for a
    # real resident, and nobody waits a second for the bot's next message.
    emu = BotAPIEmulator(clock=VirtualClock(follow_real_time=True), think_time=2.0)
    await emu.start()
    stack.push_async_callback(emu.stop)
    emu.add_bot(DEMO_TOKEN, "lapor_pmks_demo_bot", "Lapor PMKS (demo)")
    emu.add_bot(DEMO_BACKOFFICE_TOKEN, "lapor_pmks_petugas_demo_bot", "Petugas Lapor PMKS (demo)")
    # Self-contained: no Redis, HTTP port or webhook of a deployment's environment. The dashboard,
    # when asked for, on a free port of this machine only.
    settings = Settings(citizen_bot_token=DEMO_TOKEN, backoffice_bot_token=DEMO_BACKOFFICE_TOKEN,
                        database_url=database_url, telegram_api_url=emu.base_url, redis_url=None,
                        http_host="127.0.0.1", http_port=http_port, web_url=None, basemap_url=None,
                        webhook_url=None, webhook_secret=None, _env_file=None)
    # The waits for Telegram's limits pass on the emulator's clock, as the taps do. No scheduled
    # jobs: escalations come hours later and summaries at 07:00 (/ringkasan sends one now), and a
    # database beside real data gets nothing the demo was not asked for.
    app = App(settings, region=region, poll_timeout=1, run_scheduler=False, send_clock=emu.clock.monotonic,
              send_sleep=emu.clock.sleep)
    stack.push_async_callback(app.stop)
    await app.start()
    async with app.sessionmaker() as session:
        for token, name in ((DEMO_TOKEN, "citizen"), (DEMO_BACKOFFICE_TOKEN, "backoffice")):
            last = (await session.execute(
                select(func.max(InboxUpdate.update_id)).where(InboxUpdate.bot == name))).scalar()
            emu.bot(token).updates.next_id = max(DEMO_UPDATE_BASE, (last or 0) + 1)
    return emu, app


# A whole report in Indonesian, as a resident would make it: category, pin (placed in its kecamatan),
# tell more: no landmark, count, age, description, time, one photo, no danger, individual, anonymous;
# send. The officer acknowledges it and goes on the way.
SCRIPT: list[tuple[str, str]] = [
    ("say", "/start"),
    ("key", "📝 Buat laporan"),
    ("tap", "Pengemis"),
    ("key", "📍 Kirim lokasi saya sekarang"),
    # The pin is placed in its desa (Kec. Bangil) by the region pack: no kecamatan question.
    ("tap", "Tambah keterangan"),  # rather than send it now
    ("tap", "Lewati"),
    ("tap", "2-3 orang"),
    ("tap", "Anak-anak"),
    ("say", "Dua anak laki-laki meminta-minta di perempatan, sekitar 10 tahun, kaos merah"),
    ("tap", "Sekarang"),
    ("photo", ""),
    ("tap", "Selesai"),
    ("tap", "Tidak"),
    ("tap", "Perorangan"),
    ("tap", "Tetap anonim"),
    ("tap", "Kirim laporan"),
    ("petugas_tap", "✋ Terima"),
    ("petugas_tap", "🚶 Menuju lokasi"),
    ("say", "/status"),
]


async def _play_script(terminal: Terminal) -> int:
    user, officer = terminal.users["warga"], terminal.users["petugas"]
    stopped = None
    try:
        await settle(terminal.app, terminal.emu)  # the officers' /start
        for kind, arg in SCRIPT:
            if kind == "petugas_tap":
                alert = next((m for m in reversed(officer.messages)
                              if m.buttons and any(arg in b for row in m.buttons for b in row)), None)
                if alert is None:
                    raise AssertionError(f"the officer has no message with {arg!r}")
                officer.click(arg, message=alert)
            elif kind == "say":
                user.send_text(arg)
            elif kind == "key":
                user.press(arg, location=_centre(terminal.region))
            elif kind == "tap":
                user.click(arg)
            elif kind == "photo":
                user.send_photo()
            await settle(terminal.app, terminal.emu)
    except (AssertionError, TimeoutError) as exc:
        stopped = _first_line(exc)
    print("=== Warga (citizen bot) ===")
    print(user.transcript())
    print("\n=== Petugas (backoffice bot) ===")
    print(officer.transcript())
    if stopped:
        print(f"lapor demo: the script stopped: {stopped}", file=sys.stderr)
        return 1
    return 0


async def _converse(terminal: Terminal, region: RegionConfig) -> int:
    lines = Lines()
    print(f"Lapor PMKS demo — {region.region.name}. You are a resident talking to the citizen bot;")
    print(f"{', '.join(':' + key for key in terminal.people if key != 'warga')} switch to the backoffice's people.")
    print(terminal.help)
    terminal.user.send_text("/start")
    await settle(terminal.app, terminal.emu)
    for key, person in terminal.people.items():
        if person.role is not None:
            terminal.hold(key)  # their welcome is shown when they are first played
    while True:
        terminal.show()
        print(f"{terminal.current}> ", end="", flush=True)
        line = await lines.get()
        if line is None:
            print("\n(end of input: leaving the demo)")
            return 0
        if lines.echo:
            print(line)
        sent = terminal.handle(line)
        if sent is None:
            return 0
        if sent:
            try:
                await settle(terminal.app, terminal.emu)
            except TimeoutError:
                print("  (the bots are still busy; what they sent so far is shown)")


async def _session(region: RegionConfig, *, script: bool, database_url: str, own_database: bool,
                   stack: contextlib.AsyncExitStack) -> int:
    if not own_database:
        await _check_database(database_url)
    # The interactive demo serves the supervisors' dashboard too, and says how to open it.
    emu, app = await _start(region, database_url, stack=stack, http_port=None if script else _free_port())
    agency = _demo_agency(region)
    people = personas(region.agency(agency).short.get("en"))
    await _ensure_officers(app, region, agency, people)
    if not script:
        await _print_dashboard_link(app)
    users = {p.key: emu.add_user(p.telegram_id, first_name=p.first_name, language_code="id",
                                 bot_token=DEMO_BACKOFFICE_TOKEN if p.role else DEMO_TOKEN) for p in people}
    for person in people:
        if person.role is not None:  # an officer must have opened the backoffice bot to receive alerts
            users[person.key].send_text("/start")
    terminal = Terminal(app, emu, users, people, region)
    if script:
        return await _play_script(terminal)
    return await _converse(terminal, region)


async def _print_dashboard_link(app: App) -> None:
    from core.officers import find_officer
    from core.web_login import issue_login_link
    from lapor.settings import dashboard_url

    async with app.sessionmaker() as session:
        officer = await find_officer(session, DEMO_SUPERVISOR)
        if officer is None:
            return
        link = await issue_login_link(session, officer_id=officer.id, now=app.clock.now(), by="demo")
    print(f"The supervisors' dashboard, as {officer.name}, in a browser on this machine (one use, 10 minutes; "
          f"as :supervisor, /dasbor gives a new link):\n  {dashboard_url(app.settings, serving=True)}"
          f"/dasbor/masuk/{link.token}")


async def run_demo(*, region: RegionConfig, script: bool, database_url: str | None, keep: bool = False) -> int:
    """Runs the demo; 0 when it ended as asked, 2 when it refused (one line on stderr), 130 after
    Ctrl+C. Without `database_url`, its database is a SQLite file in a `lapor-demo-*` temp folder,
    removed on the way out however the demo ends, unless `keep` (then the folder is named)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupted = leaving = False

    def interrupt() -> None:
        nonlocal interrupted
        if not leaving and task is not None:
            interrupted = True
            task.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, interrupt)
    folder = None
    if database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="lapor-demo-"))
        database_url = f"sqlite+aiosqlite:///{folder / 'demo.sqlite3'}"
    stack = contextlib.AsyncExitStack()
    try:
        return await _session(region, script=script, database_url=database_url, own_database=folder is not None,
                              stack=stack)
    except asyncio.CancelledError:
        if not interrupted or task is None:
            raise
        task.uncancel()
        print("\n(interrupted: leaving the demo)")
        return 130
    except DemoRefused as exc:
        print(f"lapor demo: {exc}", file=sys.stderr)
        return 2
    finally:
        leaving = True
        try:
            await stack.aclose()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)
            root.setLevel(level)
            if folder is not None:
                if keep:
                    print(f"(the demo's database is kept in {folder})")
                else:
                    shutil.rmtree(folder, ignore_errors=True)
