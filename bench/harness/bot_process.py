"""The bot under test in a process of its own (bench/harness/child.py), as the parent sees it:
start, stop, its figures and its log; and its profile, printed."""
from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import ROOT


class BotProcess:
    """The bot under test in its own process."""

    def __init__(self, kind: str, args: list[str]) -> None:
        self.kind, self.args = kind, args
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr_path = Path(tempfile.mkstemp(prefix=f"bench-{kind}-", suffix=".log")[1])
        self.result: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def start(self, timeout: float = 120.0) -> None:
        # The child writes its log straight into this file (kept open for the child's lifetime).
        self._stderr = open(self.stderr_path, "wb")  # noqa: ASYNC230, SIM115
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.harness.child", self.kind, *self.args, cwd=str(ROOT),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._stderr,
        )
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        if line.strip() != b"READY":
            await self.kill()
            raise RuntimeError(f"the {self.kind} bot did not start: {line!r}\n{self.stderr_tail()}")

    async def stop(self, timeout: float = 60.0) -> dict[str, Any]:
        self.proc.stdin.write(b"STOP\n")
        await self.proc.stdin.drain()
        try:
            out = await asyncio.wait_for(self.proc.stdout.read(), timeout)
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            await self.kill()
            raise RuntimeError(f"the {self.kind} bot did not stop\n{self.stderr_tail()}") from None
        self._stderr.close()
        lines = [x for x in out.decode().splitlines() if x.startswith("{")]
        self.result = json.loads(lines[-1]) if lines else {}
        return self.result

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if not self._stderr.closed:
            self._stderr.close()

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def warnings(self) -> int:
        try:
            return sum(1 for line in self.stderr_path.read_text(errors="replace").splitlines()
                       if "WARNING" in line or "ERROR" in line or "Traceback" in line)
        except OSError:
            return 0


def app_args(api: str, database_url: str, *, send_rate: float | None = None, profile: str | None = None,
             backoffice: bool = True, gc_freeze: bool = False,
             poller_concurrency: int | None = None, pacer_burst: float | None = None,
             think: float = 0.0, volatile: bool = False) -> list[str]:
    args = ["--api", api, "--db", database_url]
    if volatile:
        args += ["--volatile"]
    if think:
        args += ["--think", str(think)]
    if pacer_burst:
        args += ["--pacer-burst", str(pacer_burst)]
    if poller_concurrency:
        args += ["--poller-concurrency", str(poller_concurrency)]
    if gc_freeze:
        args += ["--gc-freeze"]
    if send_rate is not None:
        args += ["--send-rate", str(send_rate)]
    if profile:
        args += ["--profile", profile]
    if not backoffice:
        args += ["--no-backoffice"]
    return args


def print_profile(path: str, top: int = 30) -> None:
    """The child's cProfile: where the bot's main thread spent its time (aiosqlite's thread, i.e.
    SQLite itself, is not in it; see the CPU line for that thread's share)."""
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    out.write("\n-- cumulative, project code --\n")
    stats.sort_stats("cumulative").print_stats(r"/work/main/(lapor|core|bot|backoffice|db)/", top)
    text = out.getvalue()
    print("\n".join(line for line in text.splitlines() if line.strip()))
