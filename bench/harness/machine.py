"""The machine a benchmark ran on, and the CPU its processes used: printed with every figure."""
from __future__ import annotations

import os
import platform
import sqlite3
import sys
import time
from pathlib import Path


def machine_info() -> list[str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    import aiogram
    import sqlalchemy

    return [
        f"CPU: {model}; {cores} cores ({usable} usable); load average {load} (others share this machine)",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}",
        f"aiogram {aiogram.__version__}, SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}",
    ]


def print_header(title: str, argv: list[str]) -> None:
    print(f"== {title}")
    print("command: " + " ".join([Path(sys.executable).name, "-m", *argv]))
    for line in machine_info():
        print(line)
    print(flush=True)


class CpuMeter:
    """CPU seconds used by this process, a child (main thread vs its other threads, e.g. aiosqlite's)
    and the whole machine, between start() and stop()."""

    def __init__(self, child_pid: int | None = None) -> None:
        self.child_pid = child_pid

    @staticmethod
    def _ticks(path: str) -> float:
        try:
            fields = Path(path).read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _child(self) -> tuple[float, float]:
        if self.child_pid is None:
            return 0.0, 0.0
        main = self._ticks(f"/proc/{self.child_pid}/task/{self.child_pid}/stat")
        total = self._ticks(f"/proc/{self.child_pid}/stat")
        return main, total

    @staticmethod
    def _system() -> tuple[float, float]:
        parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        values = [int(p) for p in parts]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.self0 = time.process_time()
        self.child0 = self._child()
        self.sys0 = self._system()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        main, total = self._child()
        busy, all_ = self._system()
        sys_busy = (busy - self.sys0[0]) / max(1, all_ - self.sys0[1])
        return {
            "wall": wall,
            "emulator_cpu": (time.process_time() - self.self0) / wall,
            "bot_main_cpu": (main - self.child0[0]) / wall,
            "bot_other_cpu": ((total - self.child0[1]) - (main - self.child0[0])) / wall,
            "machine_busy": sys_busy * (os.cpu_count() or 1),
        }


def cpu_line(c: dict[str, float]) -> str:
    return (f"CPU (cores busy): emulator+residents {c['emulator_cpu']:.2f}, bot main thread "
            f"{c['bot_main_cpu']:.2f}, bot other threads {c['bot_other_cpu']:.2f}, "
            f"whole machine {c['machine_busy']:.2f} of {os.cpu_count()}")
