"""`lapor demo` as a newcomer meets it: a session typed into the real command (text is text, buttons
are b1/k1, edits, toasts and alerts are shown as such, no input ends in a traceback, the personas),
the demo beside a database with real officers, and the temp folder it leaves behind (none)."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select

from core.officers import add_officer
from core.region import load_region_config
from db import migrate
from db.engine import create_engine, create_sessionmaker
from db.models import Officer, Outbox
from lapor.demo import DEMO_OFFICER, run_demo

ROOT = Path(__file__).resolve().parent.parent
PROMPT = re.compile(r"(?:^|\n)(?:warga|petugas|supervisor|auditor)> $")


class Demo:
    """`python -m lapor.cli demo` in a child process, typed into line by line."""

    def __init__(self, *args: str, tmp: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CITIZEN_BOT_TOKEN")}
        env["TMPDIR"] = str(tmp)  # where its lapor-demo-* folder goes
        self.proc = subprocess.Popen([sys.executable, "-m", "lapor.cli", "demo", *args], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._out, self._err = bytearray(), bytearray()
        self._changed = threading.Condition()
        self._pumps = [threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
                       for stream, sink in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))]
        for pump in self._pumps:
            pump.start()
        self.start = self._wait_for_prompt(0)

    def _pump(self, stream, sink: bytearray) -> None:
        while chunk := stream.read1(65536):
            with self._changed:
                sink += chunk
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def out(self) -> str:
        return self._out.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self._err.decode("utf-8", "replace")

    def _wait_for_prompt(self, since: int, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not PROMPT.search(new := self._out[since:].decode("utf-8", "replace")):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"no prompt came back\n{self.out[-3000:]}\n{self.err[-3000:]}")
                self._changed.wait(0.2)
        return new

    def type(self, line: str) -> str:
        """What the terminal shows after `line`, up to the next prompt."""
        since = len(self._out)
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        return self._wait_for_prompt(since)

    def finish(self, *, interrupt: bool = False) -> int:
        if interrupt:
            self.proc.send_signal(signal.SIGINT)  # Ctrl+C
            code = self.proc.wait(timeout=60)
            self.proc.stdin.close()
        else:
            self.proc.stdin.close()  # Ctrl+D
            code = self.proc.wait(timeout=60)
        for pump in self._pumps:
            pump.join(10)
        return code


def button(shown: str, label: str) -> str:
    """What to type for the last button shown with `label` in `shown` (b1, b2...)."""
    numbers = re.findall(rf"\[(b\d+) [^\]\n]*{re.escape(label)}", shown)
    assert numbers, f"no button {label!r} in\n{shown}"
    return numbers[-1]


def one_line(shown: str) -> str:
    """The one line the demo answered an input with (between its echo and the next prompt)."""
    lines = shown.strip().splitlines()
    assert len(lines) == 3, shown
    return lines[1]


def block(shown: str, start: str) -> str:
    """The part of `shown` from `start` up to the next thing shown for someone else."""
    rest = shown[shown.index(start):]
    end = re.search(r"\n(?:\[→ |\S+> )", rest[len(start):])
    return rest[:len(start) + end.start()] if end else rest


def typed(monkeypatch, *lines: str) -> None:
    """The demo's stdin for a run in this process: `lines`, then the end of the input."""
    read, write = os.pipe()
    os.write(write, "".join(line + "\n" for line in lines).encode())
    os.close(write)
    monkeypatch.setattr(sys, "stdin", os.fdopen(read, encoding="utf-8"))


def test_a_session_typed_into_the_demo(tmp_path):
    demo = Demo(tmp=tmp_path)
    assert [p.name for p in tmp_path.glob("lapor-demo-*")], "the demo's database is in a lapor-demo-* folder"
    assert "[k1 " in demo.start and ":supervisor" in demo.start and ":auditor" in demo.start
    # The dashboard is served beside the chat, and the link printed logs the supervisor in.
    link = re.search(r"http://127\.0\.0\.1:\d+/dasbor/masuk/[\w-]+", demo.start).group(0)
    token = re.search(r'name="token" value="([^"]+)"', urllib.request.urlopen(link).read().decode()).group(1)
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    today = browser.open(link.split("/masuk/")[0] + "/masuk", data=urlencode({"token": token}).encode())
    assert today.url.endswith("/dasbor/") and "Kepala Demo" in today.read().decode()

    # Donation: the amount and the phone number are typed, and reach the bot as text.
    demo.type(button(demo.type("/sumbangan"), "Uang"))
    demo.type("2")
    offer = demo.type("081234567890")
    assert "(no such" not in offer and "081234567890" in offer.split("\n", 1)[1]
    assert re.search(r"^   \S+: 2$", offer, re.M), offer  # the offer card: what was typed, "2"
    demo.type(button(offer, "Kirim"))

    # Inputs the demo cannot take get one line, never a traceback.
    assert one_line(demo.type(":it's")).startswith("  (no command :it's")
    assert one_line(demo.type(":loc 1 x")).startswith("  (:loc LAT LON")
    assert one_line(demo.type("b99")).startswith("  (")

    # A report: ℹ️ shows the criteria as an edit of the list; "someone is in danger" edits in the
    # emergency numbers; the time is typed; sending gets a toast.
    categories = demo.type("📝 Buat laporan")  # a key's label typed presses it
    info = "b" + str(int(button(categories, "Pengemis")[1:]) + 1)  # the ℹ️ beside it
    criteria = demo.type(info)
    assert criteria.split("\n")[1].startswith("✏️ edited: ℹ️"), criteria
    demo.type(button(criteria, "✅"))
    pace = demo.type("📍 Kirim lokasi saya sekarang")
    danger = demo.type(button(pace, "bahaya"))
    assert "✏️ edited: 🚨" in danger and "112" in block(danger, "✏️ edited:")
    demo.type(button(demo.type(button(danger, "Waktu")), "Pada jam"))
    review = demo.type("9")
    assert "09.00" in review
    sent = demo.type(button(review, "Kirim laporan"))
    assert re.search(r"^💬 toast: .*PSR-\d{4}-\d{4}", sent, re.M), sent
    assert "[→ petugas] 🤖 🚨 PSR-" in sent and "[→ supervisor] 🤖 🚨 PSR-" in sent

    # The officer takes it: a toast, and the alert edited to the buttons the holder has now.
    alert = block(sent, "[→ petugas] 🤖 🚨")
    assert "(you are now petugas" in demo.type(":petugas")
    taken = demo.type(button(alert, "Terima"))
    assert "💬 toast: " in taken and "✏️ edited: 🚨 PSR-" in taken and "[→ warga] 🤖" in taken

    # The supervisor: too late to take it (an alert), then /terlambat.
    assert "(you are now supervisor" in demo.type(":supervisor")
    late = demo.type(button(block(sent, "[→ supervisor] 🤖 🚨"), "Terima"))
    assert "⚠️ alert: " in late, late
    assert "🤖 " in demo.type("/terlambat")
    assert "(you are now auditor" in demo.type(":auditor")

    assert demo.finish(interrupt=True) == 130
    assert "(interrupted" in demo.out
    assert "Traceback" not in demo.out + demo.err
    assert not list(tmp_path.glob("lapor-demo-*")), "the temp folder is removed on the way out"


async def test_the_demo_runs_beside_real_officers_again_and_again(tmp_path, capsys, monkeypatch):
    region = load_region_config()
    url = f"sqlite+aiosqlite:///{tmp_path}/real.sqlite3"
    await migrate.upgrade(url)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:  # a real officer covering the script's kecamatan
        await add_officer(session, region=region, now=datetime.now(UTC), telegram_id=123, name="Budi",
                          agency="satpolpp", role="officer", areas=["Bangil"])
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CITIZEN_BOT_TOKEN")}
    env["TMPDIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "lapor.cli", "demo", "--script", "--database-url", url],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    resident, officer = result.stdout.split("=== Petugas (backoffice bot) ===")
    assert "Nomor tiket Anda: PSR-" in resident
    assert "Pengemis" in resident and "menuju lokasi" in resident  # told of each step
    assert "Kec. Bangil" in officer and "[photo]" in officer and "[location]" in officer
    assert "Traceback" not in result.stderr

    # Again on the same database, typed: the same demo officer, and the bots answer (a second run's
    # updates are not taken for the first run's).
    typed(monkeypatch, ":petugas", "/tugas")
    assert await run_demo(region=region, script=False, database_url=url) == 0
    out = capsys.readouterr().out
    assert re.search(r"PSR-\d{4}-\d{4}", out[out.index("petugas> /tugas"):]) and "(end of input" in out, out
    assert not list(tmp_path.glob("lapor-demo-*"))
    async with create_sessionmaker(engine)() as session:
        officers = {o.telegram_id: o for o in (await session.execute(select(Officer))).scalars()}
    await engine.dispose()
    assert len(officers) == 4 and officers[123].active and not officers[123].unreachable


async def test_what_it_refuses_in_one_line_and_the_folder_it_keeps(tmp_path, capsys, monkeypatch):
    region = load_region_config()
    now = datetime.now(UTC)

    async def database(name: str, revision: str = "head"):
        url = f"sqlite+aiosqlite:///{tmp_path}/{name}.sqlite3"
        await migrate.upgrade(url, revision)
        return url, create_engine(url)

    async def refused(url: str) -> str:
        assert await run_demo(region=region, script=False, database_url=url) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("lapor demo: "), err
        return err

    behind, engine = await database("behind", migrate.all_revisions()[-2])
    await engine.dispose()
    assert "lapor db upgrade" in await refused(behind)

    busy, engine = await database("busy")  # a deployment's messages still waiting to go out
    async with create_sessionmaker(engine)() as session:
        session.add(Outbox(bot="citizen", chat_id=42, method="sendMessage", payload={"text": "x"},
                           next_attempt_at=now, created_at=now))
        await session.commit()
    await engine.dispose()
    assert "waiting to go to Telegram" in await refused(busy)

    taken, engine = await database("taken")  # someone else has the demo officer's Telegram id
    async with create_sessionmaker(engine)() as session:
        await add_officer(session, region=region, now=now, telegram_id=DEMO_OFFICER, name="Budi",
                          agency="satpolpp", role="officer", areas=[])
    await engine.dispose()
    assert "Budi" in await refused(taken)

    typed(monkeypatch)  # Ctrl+D at once
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert await run_demo(region=region, script=False, database_url=None, keep=True) == 0
    out = capsys.readouterr().out
    kept = re.search(r"kept in (\S+)\)", out)
    assert kept and Path(kept[1]).parent == tmp_path and (Path(kept[1]) / "demo.sqlite3").exists(), out
