"""`lapor` as an operator meets it: every mistake is one line on stderr naming the problem and the
form expected, exit code 2, never a traceback; the export and the officer commands at work."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from openpyxl import load_workbook

from lapor.cli import plain_text
from tests.test_cli import ROOT, lapor

REGION = str(ROOT / "tests" / "data" / "testregion.toml")


def _env(tmp_path, name: str = "c.sqlite3") -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/{name}", "REGION_CONFIG": REGION}


async def _database_with_a_report(tmp_path) -> dict[str, str]:
    from db.models import Report
    from tests.db_fixtures import migrated_sessionmaker, new_reporter

    env = _env(tmp_path)
    engine, sessionmaker = await migrated_sessionmaker(env["DATABASE_URL"])
    created = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 06:30 WIB on 2 December
    async with sessionmaker() as session:
        reporter = await new_reporter(session)
        session.add(Report(ticket="UJI-2612-0001", draft_token="t1", reporter_id=reporter.id, region="uji",
                           category="pengemis", agency="satpolpp", informed_agencies=[], state="baru", urgent=False,
                           kecamatan="Alpha", seen_at=created, seen_when="now", reporter_type="perorangan",
                           anonymous=True, language="id", created_at=created, updated_at=created,
                           response_due_at=created, description="Seorang pengemis"))
        await session.commit()
    await engine.dispose()
    return env


def test_every_mistake_is_one_line_and_exit_2(tmp_path):
    env = _env(tmp_path)
    empty = {**env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/typo.sqlite3"}
    cases: list[tuple[tuple[str, ...], dict[str, str], list[str]]] = [
        (("export", "--from", "2026-12-03", "--to", "2026-12-01", "-o", str(tmp_path / "x.xlsx")), env,
         ["--from 2026-12-03 is after --to 2026-12-01"]),
        (("export", "--from", "2026-12-01", "--to", "2026-12-03", "-o", "/no/such/dir/x.xlsx"), env,
         ["-o", "/no/such/dir", "does not exist"]),
        (("export", "--from", "2026-12-01", "--to", "2026-12-03", "-o", str(tmp_path)), env,
         ["-o", "is a folder", "give a file name"]),
        (("export", "--from", "1 Desember", "--to", "2026-12-03", "-o", "x.xlsx"), env,
         ["--from", "'1 Desember' is not a date; use YYYY-MM-DD"]),
        (("export", "--from", "2026-12-01", "--to", "2026-12-03", "--language", "fr", "-o", "x.xlsx"), env,
         ["--language", "'fr'", "'id', 'en'"]),
        (("export", "--from", "2026-12-01"), env, ["required", "--to", "lapor export --help"]),
        (("export", "--from", "2026-12-01", "--to", "2026-12-03", "-o", str(tmp_path / "y.xlsx")), empty,
         ["no revision", "lapor db upgrade", "DATABASE_URL"]),
        (("audit", "export", "--since", "yesterday"), env,
         ["lapor: --since: 'yesterday' is not a date; use YYYY-MM-DD"]),
        (("audit", "export", "--since", "2026-12-02", "--until", "2026-12-01"), env,
         ["--until 2026-12-01 is not after --since 2026-12-02"]),
        (("audit", "export", "-o", "/no/such/dir/audit.csv"), env, ["-o", "/no/such/dir", "does not exist"]),
        (("summary", "send", "--date", "tomorrow", "--print"), env, ["--date", "'tomorrow' is not a date"]),
        (("summary", "send", "--date", "2026-11-21", "--period", "yearly"), env, ["--period", "'daily'"]),
        (("officer", "add", "--telegram-id", "@budi", "--name", "Budi", "--agency", "satpolpp"), env,
         ["--telegram-id", "'@budi' is not a Telegram user id"]),
        (("officer", "add", "--telegram-id", "5", "--name", " ", "--agency", "satpolpp"), env, ["--name is empty"]),
        (("officer", "add", "--telegram-id", "5", "--name", "Budi", "--agency", "satpolpp", "--language", "jv"), env,
         ["--language", "'jv'"]),
        (("officer", "disable", "--telegram-id", "777"), env, ["no officer with Telegram id 777"]),
        (("officer", "disable", "99"), env, ["no officer No. 99"]),
        (("officer", "disable", "Budi"), env, ["'Budi' is not an officer's number"]),
        (("officer", "disable"), env, ["NUMBER", "--telegram-id", "required"]),
        (("officer", "invite", "--agency", "satpolpp", "--bot-username", "a b"), env, ["--bot-username"]),
        (("db", "downgrade", "9999"), env, ["no revision '9999'", "0001"]),
        (("db", "check"), {**env, "DATABASE_URL": "mysql+nosuchdriver://x"}, ["DATABASE_URL", "sqlite+aiosqlite"]),
        (("retention", "run"), {**env, "DATABASE_URL": "postgresql+asyncpg://u:secret@127.0.0.1:9/x"},
         ["127.0.0.1:9", "check DATABASE_URL"]),
        (("frobnicate",), env, ["invalid choice", "'export'"]),
    ]
    # Each its own database file: processes migrating one SQLite file at once would race.
    envs = [case_env if case_env is not env else _env(tmp_path, f"case{i}.sqlite3")
            for i, (_args, case_env, _expected) in enumerate(cases)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda args, case_env: lapor(*args, env=case_env), [c[0] for c in cases], envs))
    problems = []
    for (args, _, expected), result in zip(cases, results, strict=True):
        lines = result.stderr.strip().splitlines()
        if result.returncode != 2 or "Traceback" in result.stderr or len(lines) != 1:
            problems.append(f"{args}: exit {result.returncode}, stderr {result.stderr[-600:]!r}")
        elif not lines[0].startswith("lapor: ") or not all(e in lines[0] for e in expected):
            problems.append(f"{args}: {lines[0]!r} lacks {expected}")
        if "secret" in result.stderr:
            problems.append(f"{args}: the database password was shown")
    assert not problems, "\n".join(problems)
    # A refused export writes nothing.
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "y.xlsx").exists()


def test_export_from_the_command_line_in_both_languages(tmp_path):
    env = asyncio.run(_database_with_a_report(tmp_path))
    out, out_en, out_csv = tmp_path / "laporan.xlsx", tmp_path / "reports.xlsx", tmp_path / "laporan.csv"
    first_day = tmp_path / "1-desember.xlsx"
    runs = [("export", "--from", "2026-12-01", "--to", "2026-12-02", "-o", str(out)),
            ("export", "--from", "2026-12-02", "--to", "2026-12-02", "--language", "en", "-o", str(out_en)),
            ("export", "--from", "2026-12-02", "--to", "2026-12-02", "-o", str(out_csv)),  # csv from the name
            ("export", "--from", "2026-12-01", "--to", "2026-12-01", "-o", str(first_day))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda args: lapor(*args, env=env), runs))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    book = load_workbook(out)
    assert book.sheetnames == ["Laporan", "Riwayat", "Hasil penanganan", "Per wilayah"]
    sheet = book["Laporan"]
    assert (sheet["A1"].value, sheet["B1"].value, sheet["E1"].value) == ("Tiket", "Waktu lapor (WIB)", "Status")
    assert (sheet["A2"].value, sheet["D2"].value, sheet["E2"].value) == ("UJI-2612-0001", "Satpol PP", "Baru")
    assert sheet["B2"].is_date and sheet["B2"].value == datetime(2026, 12, 2, 6, 30)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert book["Per wilayah"]["E2"].value == 1
    english = load_workbook(out_en)
    assert english.sheetnames == ["Reports", "History", "Outcomes", "By area"]
    assert (english["Reports"]["A1"].value, english["Reports"]["E2"].value) == ("Ticket", "New")
    text = out_csv.read_text(encoding="utf-8-sig")
    assert text.startswith("Tiket,Waktu lapor (WIB),") and "UJI-2612-0001,2026-12-02 06:30," in text
    # Days are local: at 23:30 UTC on 1 December it was already 2 December in Kabupaten Uji.
    assert load_workbook(first_day)["Laporan"].max_row == 1


def test_summary_print_is_plain_text():
    assert plain_text("📊 <b>Ringkasan</b>: 1 &amp; 2 &lt;3&gt;\n<i>Per instansi</i>\n<a href=\"x\">Satpol PP</a>") == \
        "📊 Ringkasan: 1 & 2 <3>\nPer instansi\nSatpol PP"


def test_summary_print_from_the_command_line_has_no_tags(tmp_path):
    printed = lapor("summary", "send", "--period", "weekly", "--date", "2026-11-21", "--print", env=_env(tmp_path))
    assert printed.returncode == 0, printed.stderr
    assert "Ringkasan Mingguan, Kabupaten Uji: 16-11-2026 – 22-11-2026" in printed.stdout
    assert "<b>" not in printed.stdout and "</b>" not in printed.stdout and "&amp;" not in printed.stdout
    assert len(printed.stdout.strip().splitlines()) > 3  # the line breaks stay


def test_officer_list_has_a_header_and_disable_takes_the_telegram_id(tmp_path):
    env = _env(tmp_path)
    for tid, name in (("12345", "Budi Santoso"), ("67890", "Sri")):
        added = lapor("officer", "add", "--telegram-id", tid, "--name", name, "--agency", "satpolpp", env=env)
        assert added.returncode == 0, added.stderr
    header, *lines = lapor("officer", "list", env=env).stdout.splitlines()
    assert header.split() == ["No.", "Telegram", "id", "Name", "Agency", "Role", "Areas", "State"]
    assert lines[0].split()[:2] == ["1", "12345"] and lines[1].split()[:2] == ["2", "67890"]
    # Columns line up under their headers.
    assert lines[0].index("12345") == header.index("Telegram id") and lines[1].index("Sri") == header.index("Name")
    disabled = lapor("officer", "disable", "--telegram-id", "67890", env=env)
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.strip() == "officer #2 Sri (Telegram id 67890) disabled"
    again = lapor("officer", "disable", "2", env=env)  # by number, as before
    assert again.returncode == 0 and "already disabled" in again.stdout
    states = {line.split()[0]: line.split()[-1] for line in lapor("officer", "list", env=env).stdout.splitlines()[1:]}
    assert states == {"1": "active", "2": "disabled"}
    assert "--telegram-id" in lapor("officer", "disable", "--help").stdout

