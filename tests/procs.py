"""Real app processes for tests: start `python -m lapor.cli ...` with environment overrides, wait
until it is ready, kill it with SIGKILL (a crash), stop it with SIGTERM (a deploy), and read its
log for failure messages.

    proc = AppProcess(env={"CITIZEN_BOT_TOKEN": ..., "DATABASE_URL": ...}, log_dir=tmp_path)
    proc.start()
    await proc.wait_ready(emulator_polling(emu, CITIZEN_TOKEN))   # or log_pattern="running for"
    proc.kill()                                                  # kill -9
    proc.start()                                                 # the same command again, same log file
    code = await proc.stop()                                     # SIGTERM, then SIGKILL after a timeout
    print(proc.log_tail())

Output (stdout and stderr) goes to a log file, never to a pipe, so a chatty process cannot block
on a full pipe; every start appends to the same file under a "=== start N ===" line. Nothing here
is specific to one test: the webhook tests run two of these side by side.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Settings the app reads from the environment: a test gives its own, never the developer's.
APP_ENV_VARS = ("CITIZEN_BOT_TOKEN", "BACKOFFICE_BOT_TOKEN", "DATABASE_URL", "REGION_CONFIG", "TELEGRAM_API_URL",
                "REDIS_URL", "REDIS_PREFIX", "POLLING_TIMEOUT", "SEND_RATE_PER_SECOND", "OUTBOX_RATE_PER_SECOND",
                "LOG_LEVEL", "HTTP_HOST", "HTTP_PORT", "WEB_URL", "BASEMAP_URL")


def app_env(overrides: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The process environment: this one without the app's settings, plus `overrides` (None drops a
    variable). PYTHONUNBUFFERED so the log is complete up to a kill."""
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV_VARS}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONPATH", str(ROOT))
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


class ProcessFailed(AssertionError):
    """The process exited, or did not become ready, when it should have; the message has its log."""


class AppProcess:
    """One app process (restartable). `args` are the CLI arguments after `lapor`."""

    def __init__(self, *, env: Mapping[str, Any] | None = None, args: Sequence[str] = ("run",),
                 cwd: Path | str | None = None, log_dir: Path | str | None = None, name: str = "app",
                 python: str = sys.executable) -> None:
        self.name = name
        self.args = list(args)
        self.env_overrides = dict(env or {})
        self.python = python
        base = Path(log_dir) if log_dir is not None else Path(cwd) if cwd is not None else Path.cwd()
        base.mkdir(parents=True, exist_ok=True)
        # The working directory is where a `.env` would be read from: a test's own folder, not the repo.
        self.cwd = Path(cwd) if cwd is not None else base
        self.log_path = base / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0
        self._log_offset = 0  # where the current start's output begins in the log
        self.started_at: float | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self, *extra_args: str, env: Mapping[str, Any] | None = None) -> AppProcess:
        """Starts the process (again); `extra_args` are appended to `args`, `env` to the overrides."""
        if self.alive:
            raise RuntimeError(f"{self.name} is already running (pid {self.proc.pid})")
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start {self.starts} ===\n".encode())
            self._log_offset = log.tell()
        command = [self.python, "-m", "lapor.cli", *self.args, *extra_args]
        with open(self.log_path, "ab") as log:  # closed here: the child holds its own descriptor
            self.proc = subprocess.Popen(command, cwd=self.cwd, env=app_env({**self.env_overrides, **(env or {})}),
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.started_at = time.monotonic()
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def kill(self) -> None:
        """kill -9: no handler, no cleanup, no flush. Waits until the process is gone."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM (the app stops gracefully), then SIGKILL if it is still there after `timeout`."""
        if self.proc is None:
            raise RuntimeError(f"{self.name} was never started")
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise ProcessFailed(
                    f"{self.name} did not stop within {timeout} s of SIGTERM\n{self.describe()}") from None
        return self.proc.returncode

    async def stop(self, timeout: float = 20.0) -> int:
        """`terminate` without blocking the event loop (an in-process emulator must keep answering)."""
        return await asyncio.to_thread(self.terminate, timeout)

    def close(self) -> None:
        """For teardown: whatever state it is in, it is gone afterwards."""
        self.kill()

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- readiness -------------------------------------------------------------------------------
    async def wait_ready(self, predicate: Callable[[], Any] | None = None, *, log_pattern: str | None = None,
                         timeout: float = 60.0, interval: float = 0.05) -> None:
        """Until `predicate()` is truthy and/or `log_pattern` (a regex) appears in this start's log.
        Raises ProcessFailed, with the log, if the process exits first or `timeout` passes."""
        if predicate is None and log_pattern is None:
            raise ValueError("give a predicate, a log_pattern or both")
        pattern = re.compile(log_pattern) if log_pattern else None
        deadline = time.monotonic() + timeout
        while True:
            log_ok = pattern is None or bool(pattern.search(self.current_log()))
            if log_ok and (predicate is None or predicate()):
                return
            if not self.alive:
                raise ProcessFailed(f"{self.name} exited with {self.returncode} before it was ready\n{self.describe()}")
            if time.monotonic() > deadline:
                raise ProcessFailed(f"{self.name} not ready within {timeout} s\n{self.describe()}")
            await asyncio.sleep(interval)  # polling a condition; the timeout bounds it

    async def wait_exit(self, timeout: float = 60.0) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name} was never started")
        try:
            return await asyncio.to_thread(self.proc.wait, timeout)
        except subprocess.TimeoutExpired:
            raise ProcessFailed(f"{self.name} still running after {timeout} s\n{self.describe()}") from None

    # --- log -------------------------------------------------------------------------------------
    def log(self) -> str:
        """Everything every start of this process wrote."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def current_log(self) -> str:
        """What the current (latest) start wrote."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def log_lines(self, *, levels: Iterable[str] = ("ERROR", "CRITICAL")) -> list[str]:
        """Log lines at these levels (the CLI's format: "time LEVEL logger: message") with their
        tracebacks, and any traceback printed outside logging."""
        wanted = tuple(f" {level} " for level in levels)
        out, keep = [], False
        for line in self.log().splitlines():
            if line.startswith("=== start"):
                keep = False
            elif re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line):
                keep = any(w in line for w in wanted)
            elif line.startswith("Traceback (most recent call last)"):
                keep = True  # an exception nothing logged (the process died of it)
            if keep:
                out.append(line)
        return out

    def describe(self, lines: int = 60) -> str:
        state = "running" if self.alive else f"exited {self.returncode}"
        return (f"--- {self.name} (pid {self.pid}, {state}, started {self.starts}x, killed {self.kills}x), "
                f"log {self.log_path}, last {lines} lines:\n{self.log_tail(lines)}")


def run_cli(*args: str, env: Mapping[str, Any] | None = None, cwd: Path | str | None = None,
            timeout: float = 120.0, check: bool = True) -> subprocess.CompletedProcess:
    """A one-shot `lapor ...` command (officer add, summary send, db upgrade) in its own process."""
    result = subprocess.run([sys.executable, "-m", "lapor.cli", *args], capture_output=True, text=True,
                            env=app_env(env), cwd=cwd or ROOT, timeout=timeout)
    if check and result.returncode != 0:
        raise ProcessFailed(f"lapor {' '.join(args)} exited {result.returncode}\n"
                            f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result


async def run_cli_async(*args: str, **kwargs: Any) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(run_cli, *args, **kwargs)


def emulator_polling(emu: Any, *tokens: str) -> Callable[[], bool]:
    """A readiness predicate: true once each bot (token) has sent a getUpdates after this call, i.e.
    a (new) process is polling. Reads the emulator's per-bot poll counter."""
    before = {token: emu.bot(token).poll_generation for token in tokens}

    def ready() -> bool:
        return all(emu.bot(token).poll_generation > seen for token, seen in before.items())

    return ready
