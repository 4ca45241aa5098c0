"""The `lapor` command as a newcomer meets it: clear one-line errors, migrations (the demo: test_demo.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lapor(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 120):
    full_env = {k: v for k, v in os.environ.items() if k not in ("CITIZEN_BOT_TOKEN", "DATABASE_URL")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "lapor.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=timeout)


def test_run_without_a_token_says_so_in_one_line(tmp_path):
    result = lapor("run", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert "CITIZEN_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_broken_region_config_names_the_field(tmp_path):
    broken = tmp_path / "region.toml"
    text = (ROOT / "tests" / "data" / "testregion.toml").read_text()
    broken.write_text(text.replace('primary = "satpolpp"', 'primary = "satpol"', 1))
    result = lapor("check-config", str(broken))
    assert result.returncode == 2 and "primary" in result.stderr and "satpol" in result.stderr
    result = lapor("run", env={"CITIZEN_BOT_TOKEN": "1:x", "REGION_CONFIG": str(broken)})
    assert result.returncode == 2 and "unknown agency 'satpol'" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_then_check(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"}
    assert lapor("db", "check", env=env).returncode == 1
    upgraded = lapor("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = lapor("db", "check", env=env)
    assert checked.returncode == 0 and "current" in checked.stdout
    down = lapor("db", "downgrade", "0003", env=env)
    assert down.returncode == 0, down.stderr
    behind = lapor("db", "check", env=env)
    assert behind.returncode == 1 and "lapor db upgrade" in behind.stdout


def test_webhook_mode_says_what_is_missing(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "CITIZEN_BOT_TOKEN": "1:x", "WEBHOOK_URL": "", "WEBHOOK_SECRET": ""}
    result = lapor("run", "--webhook", cwd=tmp_path, env={**env, "WEBHOOK_SECRET": "a" * 32})
    assert result.returncode == 2 and "WEBHOOK_URL is not set" in result.stderr
    result = lapor("run", "--webhook", cwd=tmp_path, env={**env, "WEBHOOK_URL": "https://x.example",
                                                          "WEBHOOK_SECRET": "short"})
    assert result.returncode == 2 and "WEBHOOK_SECRET" in result.stderr and "Traceback" not in result.stderr


def test_retention_run_prints_what_it_did(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/r.sqlite3"}
    result = lapor("retention", "run", env=env)
    assert result.returncode == 0, result.stderr
    assert "photos purged: 0" in result.stdout and "deletion requests carried out: 0" in result.stdout


def test_officer_add_list_invite_disable(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/o.sqlite3",
           "REGION_CONFIG": str(ROOT / "tests" / "data" / "testregion.toml")}
    added = lapor("officer", "add", "--telegram-id", "123", "--name", "Budi", "--agency", "satpolpp",
                  "--area", "alpha", env=env)
    assert added.returncode == 0, added.stderr
    assert "officer #1 Budi: satpolpp officer, areas: Alpha" in added.stdout
    wrong = lapor("officer", "add", "--telegram-id", "124", "--name", "X", "--agency", "polisi", env=env)
    assert wrong.returncode == 2 and "unknown agency 'polisi'" in wrong.stderr
    again = lapor("officer", "add", "--telegram-id", "123", "--name", "Budi", "--agency", "satpolpp", env=env)
    assert again.returncode == 2 and "already registered" in again.stderr
    invite = lapor("officer", "invite", "--agency", "dinsos", "--role", "supervisor",
                   "--bot-username", "lapor_petugas_bot", env=env)
    assert invite.returncode == 0 and "https://t.me/lapor_petugas_bot?start=" in invite.stdout
    listed = lapor("officer", "list", env=env)
    assert "Budi" in listed.stdout and "active" in listed.stdout
    disabled = lapor("officer", "disable", "1", env=env)
    assert disabled.returncode == 0
    assert "disabled" in lapor("officer", "list", env=env).stdout


def test_audit_export_writes_csv(tmp_path):
    import csv

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/a.sqlite3",
           "REGION_CONFIG": str(ROOT / "tests" / "data" / "testregion.toml")}
    lapor("officer", "add", "--telegram-id", "1", "--name", "Budi", "--agency", "satpolpp", env=env)
    lapor("officer", "disable", "1", env=env)
    out = tmp_path / "audit.csv"
    result = lapor("audit", "export", "-o", str(out), env=env)
    assert result.returncode == 0 and "2 audit events written" in result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["action"] for r in rows] == ["officer_added", "officer_disabled"]


async def test_audit_export_period_is_a_bounded_range(db):
    import io
    from datetime import datetime, timedelta

    from core.audit_export import export_csv
    from db.models import AuditEvent

    start = datetime(2026, 11, 1, tzinfo=UTC)
    async with db() as session:
        session.add_all([AuditEvent(at=start + timedelta(days=d), actor_type="system", action=f"day{d}", data={})
                         for d in range(10)])
        await session.commit()
        out = io.StringIO()
        n = await export_csv(session, out, since=start + timedelta(days=3), until=start + timedelta(days=6))
        assert n == 3 and [line.split(",")[6] for line in out.getvalue().splitlines()[1:]] == ["day3", "day4", "day5"]
        assert await export_csv(session, io.StringIO(), since=start + timedelta(days=30)) == 0
        assert await export_csv(session, io.StringIO(), until=start - timedelta(days=1)) == 0
        assert await export_csv(session, io.StringIO()) == 10
