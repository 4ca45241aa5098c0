"""`lapor demo`: the real bots against the project's Bot API emulator, chatted with from a terminal.

No token, no internet: a newcomer can try every flow. `--script` plays a whole report unattended
and prints the conversation (also a smoke test of a fresh install).
"""
from __future__ import annotations

import asyncio
import logging
import shlex
import tempfile
from pathlib import Path

from sqlalchemy import func, select

from botapi_emulator import BotAPIEmulator, EmulatedUser, VirtualClock
from core.desa_placement import PackPlacer
from core.officers import add_officer, find_officer
from core.region import RegionConfig
from db.models import InboxUpdate, Outbox
from lapor.app import App
from lapor.settings import Settings

DEMO_TOKEN = "100000:DEMO-CITIZEN-BOT"
DEMO_BACKOFFICE_TOKEN = "200000:DEMO-BACKOFFICE-BOT"
DEMO_USER = 777001
DEMO_OFFICER = 777002

HELP = """Commands (anything else is sent as a text message):
  1, 2, ...        tap inline button number N of the last message with buttons
  k1, k2, ...      press reply-keyboard button number N (location buttons send a pin in the region)
  :loc LAT LON     send a location pin          :photo     send a photo
  :sticker         send a sticker               :doc       send a file
  :petugas         act as an officer (Satpol PP) in the backoffice bot
  :warga           act as the resident again
  :help            this help                    :quit      leave the demo"""


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


def render(message) -> str:
    lines = [("🤖 " + (message.text or message.caption or message.summary())).replace("\n", "\n   ")]
    number = 1
    for row in message.buttons or []:
        cells = []
        for label in row:
            cells.append(f"[{number}] {label}")
            number += 1
        lines.append("   " + "   ".join(cells))
    if message.reply_keyboard:
        keys = [label for row in message.reply_keyboard for label in row]
        lines.append("   keyboard: " + "   ".join(f"[k{i}] {label}" for i, label in enumerate(keys, 1)))
    return "\n".join(lines)


class Terminal:
    """Plays one person at a time, the resident or the officer; shows what either receives."""

    def __init__(self, app: App, emu: BotAPIEmulator, personas: dict[str, EmulatedUser],
                 region: RegionConfig) -> None:
        self.app, self.emu, self.personas, self.region = app, emu, personas, region
        self.current = "warga"
        self.shown = {name: 0 for name in personas}

    @property
    def user(self) -> EmulatedUser:
        return self.personas[self.current]

    def new_messages(self) -> list[tuple[str, object]]:
        fresh = []
        for name, user in self.personas.items():
            messages = user.messages if user.chat is not None else []
            fresh += [(name, m) for m in messages[self.shown[name]:]]
            self.shown[name] = len(messages)
        return fresh

    def act(self, line: str) -> bool:
        """Turns one line of input into a user action; False when there is nothing to send."""
        line = line.strip()
        if not line:
            return False
        if line.isdigit():
            target = next((m for m in reversed(self.user.messages) if m.buttons), None)
            rows = (target.reply_markup or {}).get("inline_keyboard", []) if target else []
            buttons = [button for row in rows for button in row]
            index = int(line) - 1
            if not 0 <= index < len(buttons) or "callback_data" not in buttons[index]:
                print("  (no such button)")
                return False
            # By position: several buttons may share a label (the ℹ️ of each category).
            self.user.click_data(buttons[index]["callback_data"], message=target)
            return True
        if line[0] == "k" and line[1:].isdigit():
            keys = [label for row in (self.user.reply_keyboard or []) for label in row]
            index = int(line[1:]) - 1
            if not 0 <= index < len(keys):
                print("  (no such keyboard button)")
                return False
            self.user.press(keys[index], location=_centre(self.region))
            return True
        if line.startswith(":"):
            parts = shlex.split(line[1:])
            command = parts[0] if parts else ""
            if command == "loc" and len(parts) == 3:
                self.user.send_location(float(parts[1]), float(parts[2]))
            elif command == "photo":
                self.user.send_photo()
            elif command == "sticker":
                self.user.send_sticker()
            elif command == "doc":
                self.user.send_document()
            elif command in self.personas:
                self.current = command
                print(f"  (you are now: {command})")
                return False
            else:
                print(HELP)
                return False
            return True
        self.user.send_text(line)
        return True


async def _start(region: RegionConfig, database_url: str | None, *, scripted: bool) -> tuple[BotAPIEmulator, App]:
    # A script taps without pausing; in virtual time each tap counts as a person's two-second
    # pause, so Telegram's per-chat limits are judged as they would be for a real resident.
    emu = BotAPIEmulator(clock=VirtualClock(follow_real_time=True), think_time=2.0) if scripted else BotAPIEmulator()
    await emu.start()
    emu.add_bot(DEMO_TOKEN, "lapor_pmks_demo_bot", "Lapor PMKS (demo)")
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='lapor-demo-')) / 'demo.sqlite3'}"
    emu.add_bot(DEMO_BACKOFFICE_TOKEN, "lapor_pmks_petugas_demo_bot", "Petugas Lapor PMKS (demo)")
    settings = Settings(citizen_bot_token=DEMO_TOKEN, backoffice_bot_token=DEMO_BACKOFFICE_TOKEN,
                        database_url=database_url, telegram_api_url=emu.base_url, _env_file=None)
    # The script's waits for Telegram's limits pass on the emulator's clock, as its taps do.
    timing = {"send_clock": emu.clock.monotonic, "send_sleep": emu.clock.sleep} if scripted else {}
    app = App(settings, region=region, poll_timeout=1, **timing)
    await app.start()
    # One field officer of the agency that takes beggars' reports, covering the whole regency.
    agency = region.category("pengemis").primary if any(c.code == "pengemis" for c in region.categories) \
        else region.agencies[0].code
    async with app.sessionmaker() as session:
        if not await find_officer(session, DEMO_OFFICER):
            await add_officer(session, region=region, now=app.clock.now(), telegram_id=DEMO_OFFICER,
                              name="Petugas Demo", agency=agency, role="officer", areas=[], actor="demo")
    return emu, app


# A whole report in Indonesian, as a resident would make it: category, pin and kecamatan, no landmark,
# count, age, description, time, one photo, no danger, individual, anonymous, send.
SCRIPT: list[tuple[str, str]] = [
    ("petugas", "/start"),  # an officer must have opened the backoffice bot to receive alerts
    ("say", "/start"),
    ("key", "📝 Buat laporan"),
    ("tap", "Pengemis"),
    ("key", "📍 Kirim lokasi saya sekarang"),
    # The pin is placed in its desa (Kec. Bangil) by the region pack: no kecamatan question.
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


async def _play_script(terminal: Terminal) -> None:
    user, officer = terminal.personas["warga"], terminal.personas["petugas"]
    for kind, arg in SCRIPT:
        if kind == "petugas":
            officer.send_text(arg)
        elif kind == "petugas_tap":
            alert = next(m for m in reversed(officer.messages)
                         if m.buttons and any(arg in b for row in m.buttons for b in row))
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


async def run_demo(*, region: RegionConfig, script: bool, database_url: str | None) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    emu, app = await _start(region, database_url, scripted=script)
    user = emu.add_user(DEMO_USER, first_name="Warga", language_code="id")
    officer = emu.add_user(DEMO_OFFICER, first_name="Petugas", language_code="id").with_bot(DEMO_BACKOFFICE_TOKEN)
    terminal = Terminal(app, emu, {"warga": user, "petugas": officer}, region)
    try:
        if script:
            await _play_script(terminal)
            print("=== Warga (citizen bot) ===")
            print(user.transcript())
            print("\n=== Petugas (backoffice bot) ===")
            print(officer.transcript())
            return 0
        print(f"Lapor PMKS demo — {region.region.name}. You are a resident talking to the citizen bot;")
        print("type :petugas to switch to the officer who receives the alerts.")
        print(HELP)
        user.send_text("/start")
        officer.send_text("/start")
        await settle(app, emu)
        while True:
            for who, message in terminal.new_messages():
                if message.from_bot:
                    print(("" if who == terminal.current else f"[→ {who}] ") + render(message))
            try:
                line = await asyncio.to_thread(input, f"{terminal.current}> ")
            except EOFError:
                return 0
            if line.strip() in (":quit", ":q"):
                return 0
            try:
                sent = terminal.act(line)
            except AssertionError as exc:  # e.g. a button that is not there
                print(f"  ({str(exc).splitlines()[0]})")
                continue
            if sent:
                await settle(app, emu)
    finally:
        await app.stop()
        await emu.stop()

