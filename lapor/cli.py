"""`lapor`: run the bots, migrate the database, or try everything in a demo without Telegram."""
from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from core.region import RegionConfigError, load_region_config
from lapor import open311_cli, web_cli
from lapor.cli_error import CliError
from lapor.cli_table import aligned
from lapor.settings import MissingToken, Settings, require_tokens, require_webhook


class _Parser(argparse.ArgumentParser):
    """argparse, with its complaints in the one-line form of every other `lapor` error."""

    def error(self, message: str) -> NoReturn:
        text = message.removeprefix("argument ")
        if "; use " not in text and "choose from" not in text:
            text += f" (see `{self.prog} --help`)"
        print(f"lapor: {text}", file=sys.stderr)
        raise SystemExit(2)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _telegram_id(text: str) -> int:
    if not text.strip().isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Telegram user id; use its number, e.g. 123456789")
    return int(text)


def _officer_number(text: str) -> int:
    number = text.strip().removeprefix("#")
    if not number.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not an officer's number; use the No. that "
                                         "`lapor officer list` shows, e.g. 3 (or --telegram-id ID)")
    return int(number)


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number; use e.g. 1000")
    return int(text)


def _bot_username(text: str) -> str:
    name = text.strip().removeprefix("@")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", name):
        raise argparse.ArgumentTypeError(f"{text!r} is not a bot's username; use its @username, "
                                         "e.g. lapor_petugas_bot")
    return name


def _output_file(path: str, example: str) -> Path:
    """The file an export is to be written to, checked before any work: its folder exists and
    may be written in."""
    target = Path(path)
    if target.is_dir():
        raise CliError(f"-o: {path} is a folder; give a file name, e.g. {target / example}")
    folder = target.parent
    if not folder.is_dir():
        raise CliError(f"-o: the folder {folder} does not exist; give a file in an existing folder, e.g. {example}")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise CliError(f"-o: {path} cannot be written (permission denied); give a file in a folder you may "
                       f"write to, e.g. {example}")
    return target


def _public_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "DATABASE_URL"


@contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be opened, or is not set up, is a one-line error naming it."""
    from alembic.util import CommandError
    from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

    url = _public_url(settings.database_url)
    try:
        yield
    except CommandError as exc:
        raise CliError(str(exc)) from None
    except ArgumentError as exc:
        raise CliError(f"DATABASE_URL: {exc}; use e.g. sqlite+aiosqlite:///./data/lapor.sqlite3 or "
                       "postgresql+asyncpg://user@host/db") from None
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        hint = "check DATABASE_URL"
        if "no such table" in reason or "does not exist" in reason:
            hint = "the database is not set up: run `lapor db upgrade`"
        raise CliError(f"database {url}: {reason}; {hint}") from None
    except SQLAlchemyError as exc:
        raise CliError(f"database {url}: {str(exc).splitlines()[0]}; check DATABASE_URL") from None
    except OSError as exc:
        raise CliError(f"database {url}: {exc.strerror or exc}; check DATABASE_URL and that the database "
                       "server is running") from None


async def _require_current(database_url: str) -> None:
    """Read-only commands read a database the code knows: no tables (a mistyped DATABASE_URL
    names a new, empty file) or an older schema is said, not exported as an empty file."""
    from db import migrate

    current, head = await migrate.current_revision(database_url), migrate.head_revision()
    if current != head:
        raise CliError(f"database {_public_url(database_url)} is at {current or 'no revision (no tables)'}, "
                       f"the code expects {head}: check DATABASE_URL, or run `lapor db upgrade`")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"lapor: bad setting {'.'.join(map(str, first['loc'])).upper()}: {first['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


async def _run(settings: Settings, webhook: bool = False) -> None:
    from db import migrate
    from lapor.app import App

    with _database_errors(settings):  # a database that cannot be opened is said before anything starts
        await migrate.upgrade(settings.database_url)
    app = App(settings, webhook=webhook)
    await app.start()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    logging.getLogger("lapor").info("Lapor PMKS running for %s; Ctrl+C to stop", app.region.region.name)
    waiter = asyncio.create_task(app.wait())
    await asyncio.wait({waiter, asyncio.create_task(stopping.wait())}, return_when=asyncio.FIRST_COMPLETED)
    await app.stop()


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        require_tokens(settings)
        if args.webhook:
            require_webhook(settings)
        load_region_config(settings.region_config)
    except (MissingToken, RegionConfigError) as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_run(settings, webhook=args.webhook))
    return 0


async def _fill_area_codes(settings) -> int:
    from core.area_codes import fill_area_codes
    from db.engine import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await fill_area_codes(session, load_region_config(settings.region_config))
    finally:
        await engine.dispose()


def cmd_db(args: argparse.Namespace) -> int:
    settings = _settings()
    with _database_errors(settings):
        return _db(args, settings)


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from db import migrate

    if args.db_command != "downgrade" and args.revision:
        raise CliError(f"`lapor db {args.db_command}` takes no revision (only downgrade does)")
    if args.db_command == "upgrade":
        asyncio.run(migrate.upgrade(settings.database_url))
        print(f"database is at revision {migrate.head_revision()}")
        filled = asyncio.run(_fill_area_codes(settings))
        if filled:
            print(f"{filled} earlier reports placed in their kecamatan and desa (Kemendagri codes)")
        return 0
    if args.db_command == "downgrade":
        revisions = migrate.all_revisions()
        if not args.revision:
            raise CliError("name the revision to go back to, e.g. `lapor db downgrade 0004` "
                           f"(revisions: {', '.join(revisions)})")
        if args.revision not in revisions:
            raise CliError(f"no revision {args.revision!r}; use one of {', '.join(revisions)}")
        asyncio.run(migrate.downgrade(settings.database_url, args.revision))
        print(f"database is at revision {args.revision}")
        return 0
    current = asyncio.run(migrate.current_revision(settings.database_url))
    head = migrate.head_revision()
    if current == head:
        print(f"database is current (revision {head})")
        return 0
    print(f"database is at {current or 'no revision'}, code expects {head}: run `lapor db upgrade`")
    return 1


def cmd_demo(args: argparse.Namespace) -> int:
    from lapor.demo import run_demo

    try:
        region = load_region_config(args.region) if args.region else load_region_config()
    except RegionConfigError as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(run_demo(region=region, script=args.script, database_url=args.database_url,
                                    keep=args.keep))
    except KeyboardInterrupt:  # Ctrl+C before the demo took the terminal over
        return 130


def cmd_check_config(args: argparse.Namespace) -> int:
    try:
        region = load_region_config(args.path)
    except RegionConfigError as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2
    desa = sum(len(k.desa) for k in region.kecamatan)
    pack = (f", pack {region.kemendagri_code} with {desa} desa/kelurahan and their boundaries"
            if region.kemendagri_code else "")
    print(f"{region.region.name}: {len(region.categories)} categories, {len(region.kecamatan)} kecamatan, "
          f"{len(region.agencies)} agencies{pack}: OK")
    return 0


def cmd_region(args: argparse.Namespace) -> int:
    from core.placement import BoundaryFileError
    from core.region_import import (
        RegionImportError,
        import_region,
        missing_answers_message,
        prompt_answers,
        read_answers,
    )
    from core.wilayah import WilayahError, read_wilayah

    try:
        if args.answers:
            answers = read_answers(args.answers)
        elif sys.stdin.isatty():
            answers = prompt_answers(read_wilayah(args.wilayah))
        else:
            raise RegionImportError(missing_answers_message(read_wilayah(args.wilayah)))
        pack, config = import_region(args.wilayah, args.desa, args.out, answers,
                                     kecamatan_geojson=args.kecamatan, overwrite=args.force)
        load_region_config(config)
    except (RegionImportError, WilayahError, BoundaryFileError, RegionConfigError) as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2
    kecamatan = "kecamatan from --kecamatan" if not pack.kecamatan_derived else "kecamatan derived from their desa"
    print(f"{pack.region_name}: {pack.kecamatan} kecamatan, {pack.areas} desa/kelurahan → {pack.folder}; "
          f"config {config} (check with lapor check-config {config})")
    print(f"  {pack.desa} desa, {pack.kelurahan} kelurahan; {kecamatan}")
    if pack.repaired:
        print(f"  {len(pack.repaired)} invalid polygon(s) made valid: {', '.join(pack.repaired)}")
    if pack.misplaced:
        print(f"  warning: the interior point of {len(pack.misplaced)} desa falls in a neighbour's overlapping "
              f"polygon: {', '.join(pack.misplaced[:10])}")
    print(f"  next: fill in {pack.folder / 'SOURCES.md'} (where the data came from, its licence) and review "
          f"{config} (categories and outcomes are Kabupaten Pasuruan's defaults)")
    return 0


def _officer_table(rows: list) -> list[str]:
    """`lapor officer list`: a header, then one aligned line per officer."""
    header = ["No.", "Telegram id", "Name", "Agency", "Role", "Areas", "State"]
    lines = [[str(o.id), str(o.telegram_id or "-"), o.name, o.agency, o.role.value, ", ".join(o.areas) or "all",
              ("active" if o.active else "disabled") + (", unreachable" if o.unreachable else "")] for o in rows]
    return aligned(header, lines)


async def _officer(args: argparse.Namespace, settings: Settings) -> int:
    from core import officers
    from core.clock import SystemClock
    from db import migrate
    from db.engine import create_engine, create_sessionmaker

    region = load_region_config(settings.region_config)
    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    now = SystemClock().now()
    try:
        async with create_sessionmaker(engine)() as session:
            if args.officer_command == "add":
                if not args.name.strip():
                    raise CliError("--name is empty; give the officer's name, e.g. --name 'Budi Santoso'")
                o = await officers.add_officer(session, region=region, now=now, telegram_id=args.telegram_id,
                                               name=args.name, agency=args.agency, role=args.role,
                                               areas=args.area or [], language=args.language)
                print(f"officer #{o.id} {o.name}: {o.agency} {o.role.value}, areas: {', '.join(o.areas) or 'all'}")
            elif args.officer_command == "invite":
                code, expires = await officers.create_invite(session, region=region, now=now, agency=args.agency,
                                                             role=args.role, areas=args.area or [])
                username = args.bot_username or "<backoffice_bot>"
                print(f"https://t.me/{username}?start={code}")
                print(f"one use, valid until {expires.astimezone(region.tz):%Y-%m-%d %H:%M %Z}")
            elif args.officer_command == "list":
                listed = await officers.list_officers(session)
                print("\n".join(_officer_table(listed)))
                if not listed:
                    print("no officers yet: `lapor officer add` or `lapor officer invite` registers one",
                          file=sys.stderr)
            elif args.officer_command == "disable":
                everyone = await officers.list_officers(session)
                if args.telegram_id is not None:
                    found = next((o for o in everyone if o.telegram_id == args.telegram_id), None)
                    if found is None:
                        raise CliError(f"no officer with Telegram id {args.telegram_id} "
                                       "(`lapor officer list` shows them)")
                else:
                    found = next((o for o in everyone if o.id == args.number), None)
                    if found is None:
                        raise CliError(f"no officer No. {args.number} (`lapor officer list` shows them; "
                                       "or give --telegram-id ID)")
                if not found.active:
                    print(f"officer #{found.id} {found.name} (Telegram id {found.telegram_id}) was already disabled")
                    return 0
                o = await officers.disable_officer(session, now=now, officer_id=found.id)
                print(f"officer #{o.id} {o.name} (Telegram id {o.telegram_id}) disabled")
    except officers.OfficerError as exc:
        raise CliError(str(exc)) from None
    finally:
        await engine.dispose()
    return 0


def cmd_officer(args: argparse.Namespace) -> int:
    settings = _settings()
    with _database_errors(settings):
        return asyncio.run(_officer(args, settings))


async def _audit_export(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime, time

    from core.audit_export import export_csv
    from db.engine import create_engine, create_sessionmaker

    def day(value: date | None) -> datetime | None:
        return datetime.combine(value, time.min, tzinfo=UTC) if value else None

    if args.since and args.until and args.until <= args.since:
        raise CliError(f"--until {args.until} is not after --since {args.since}; the period is --since up to "
                       "--until, which is excluded: e.g. --since 2026-11-01 --until 2026-12-01 for November")
    target = _output_file(args.output, "audit.csv") if args.output != "-" else None
    await _require_current(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            if target is None:
                count = await export_csv(session, sys.stdout, since=day(args.since), until=day(args.until))
            else:
                try:
                    out = target.open("w", newline="", encoding="utf-8")
                except OSError as exc:
                    raise CliError(f"-o: {args.output} cannot be written ({exc.strerror})") from None
                with out:
                    count = await export_csv(session, out, since=day(args.since), until=day(args.until))
    finally:
        await engine.dispose()
    print(f"{count} audit events written", file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    settings = _settings()
    with _database_errors(settings):
        return asyncio.run(_audit_export(args, settings))


_TAG = re.compile(r"<[^>]+>")


def plain_text(telegram_html: str) -> str:
    """A message written for Telegram's HTML, as a terminal shows it: no tags, entities as the
    characters they stand for, the line breaks kept."""
    return html.unescape(_TAG.sub("", telegram_html))


async def _summary(args: argparse.Namespace, settings: Settings) -> int:
    from core.clock import SystemClock
    from core.i18n import translator
    from core.summary import Period, compute, render, window
    from core.summary_sends import send_summaries
    from db import migrate
    from db.engine import create_engine, create_sessionmaker

    region = load_region_config(settings.region_config)
    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            win = window(region, Period(args.period), args.date)
            if args.print:
                summary = await compute(session, region, win)
                print(plain_text(render(summary, region, translator(args.language or region.region.default_language))))
                return 0
            # Queued in the outbox: the running app delivers it; each subscriber gets it once.
            queued = await send_summaries(session, region=region, period=Period(args.period),
                                          now=SystemClock().now(), reference=win.end)
    finally:
        await engine.dispose()
    print(f"{win.key}: queued for {queued} subscriber(s); the running app delivers them")
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime, time, timedelta

    from core.exports import csv_text, workbook
    from db.engine import create_engine, create_sessionmaker

    if args.date_to < args.date_from:
        raise CliError(f"--from {args.date_from} is after --to {args.date_to}; give the first day with --from "
                       "and the last with --to, e.g. --from 2026-12-01 --to 2026-12-03")
    kind = args.format or ("csv" if args.output.lower().endswith(".csv") else "xlsx")
    target = _output_file(args.output, f"laporan.{kind}")
    region = load_region_config(settings.region_config)
    start = datetime.combine(args.date_from, time.min, tzinfo=region.tz)
    end = datetime.combine(args.date_to + timedelta(days=1), time.min, tzinfo=region.tz)
    await _require_current(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            if kind == "xlsx":
                data = await workbook(session, region, start, end, language=args.language)
            else:
                data = (await csv_text(session, region, start, end, language=args.language)).encode("utf-8")
    finally:
        await engine.dispose()
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise CliError(f"-o: {args.output} cannot be written ({exc.strerror})") from None
    print(f"written {args.output}", file=sys.stderr)
    return 0


async def _retention(settings: Settings) -> int:
    from core.clock import SystemClock
    from core.retention import run_retention
    from db import migrate
    from db.engine import create_engine, create_sessionmaker

    region = load_region_config(settings.region_config)
    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            result = await run_retention(session, region=region, now=SystemClock().now())
    finally:
        await engine.dispose()
    if settings.redis_url and result.forgotten_chats:
        # The app keeps conversations in Redis: the deleted residents' drafts go from there too.
        from lapor.app import bot_ids, forget_conversations, redis_storage

        storage = redis_storage(settings)
        try:
            ids = bot_ids(settings)
            await forget_conversations([storage] * len(ids), ids, result.forgotten_chats)
        finally:
            await storage.close()
    print(f"photos purged: {result.photos_purged} (closed more than {region.privacy.media_retention_days} days ago)")
    print(f"reports anonymised: {result.reports_anonymised} "
          f"(closed more than {region.privacy.report_retention_days} days ago)")
    print(f"deletion requests carried out: {result.reporters_deleted}; "
          f"waiting for an open case to close: {result.deletions_waiting}")
    print(f"stale drafts deleted: {result.drafts_purged}")
    print(f"donors' contacts erased: {result.pledge_contacts_erased} "
          f"(pledged more than {region.privacy.pledge_contact_days} days ago)")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    settings = _settings()
    with _database_errors(settings):
        return asyncio.run(_retention(settings))


def cmd_export(args: argparse.Namespace) -> int:
    settings = _settings()
    with _database_errors(settings):
        return asyncio.run(_export(args, settings))


def cmd_summary(args: argparse.Namespace) -> int:
    settings = _settings()
    with _database_errors(settings):
        return asyncio.run(_summary(args, settings))


async def _seed(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from core.clock import SystemClock
    from db.engine import create_engine
    from lapor.seed import DEFAULT_SEED, SEED_ID_BASE, NotSynthetic, seed_reports

    if args.days > 3650:
        raise CliError(f"--days {args.days}: at most 3650 (ten years); e.g. --days 365")
    region = load_region_config(settings.region_config)
    await _require_current(settings.database_url)
    started, shown = time.perf_counter(), [0]

    def progress(done: int) -> None:
        while done >= shown[0] + 100_000:
            shown[0] += 100_000
            print(f"  {shown[0]:,} reports written ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    engine = create_engine(settings.database_url)
    try:
        stats = await seed_reports(engine, region, reports=args.reports, days=args.days,
                                   seed=DEFAULT_SEED if args.seed is None else args.seed, now=SystemClock().now(),
                                   progress=progress)
    except NotSynthetic as exc:
        raise CliError(f"{_public_url(settings.database_url)}: {exc}; `lapor seed` never writes into a database "
                       "with real data: point DATABASE_URL at a new one (e.g. sqlite+aiosqlite:///./data/seed.sqlite3) "
                       "and run `lapor db upgrade`") from None
    finally:
        await engine.dispose()
    if stats.officers_created:
        print(f"{stats.officers_created} synthetic officers added (Telegram ids from {SEED_ID_BASE:,}: nobody's)",
              file=sys.stderr)
    assert stats.first is not None and stats.last is not None
    print(f"{stats.reports:,} synthetic reports, created {stats.first.astimezone(region.tz):%Y-%m-%d} to "
          f"{stats.last.astimezone(region.tz):%Y-%m-%d}, written in {stats.seconds:.1f} s "
          f"({stats.open_reports:,} open now, {stats.overdue_reports:,} of them overdue)")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    settings = _settings()
    with _database_errors(settings):
        return asyncio.run(_seed(args, settings))


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lapor", description="Lapor PMKS: Telegram reporting channel for PMKS")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bots (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true",
                     help="take updates by webhook on HTTP_HOST:HTTP_PORT (needs WEBHOOK_URL and WEBHOOK_SECRET); "
                          "several instances may share one database")
    run.set_defaults(func=cmd_run)
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("db_command", choices=["upgrade", "check", "downgrade"])
    db.add_argument("revision", nargs="?", help="downgrade: the revision to go back to (take a backup first)")
    db.set_defaults(func=cmd_db)
    demo = sub.add_parser("demo", help="try the bots in the terminal, with no token and no internet")
    demo.add_argument("--script", action="store_true", help="play a whole report unattended and print it")
    demo.add_argument("--region", help="region config TOML (default: Kabupaten Pasuruan)")
    demo.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    demo.add_argument("--keep", action="store_true",
                      help="keep the temp folder with the demo's database (removed on exit by default)")
    demo.set_defaults(func=cmd_demo)
    officer = sub.add_parser("officer", help="register and manage officers of the backoffice bot")
    osub = officer.add_subparsers(dest="officer_command", required=True)
    add = osub.add_parser("add", help="register an officer by Telegram user id")
    add.add_argument("--telegram-id", type=_telegram_id, required=True, metavar="ID",
                     help="the officer's Telegram user id (a number; @userinfobot tells it)")
    add.add_argument("--name", required=True)
    add.add_argument("--agency", required=True, help="agency code from the region config, e.g. satpolpp")
    add.add_argument("--role", default="officer", help="officer | supervisor | admin | auditor")
    add.add_argument("--area", action="append",
                     help="kecamatan covered, or a desa as Kecamatan/Desa or its code (repeat); none: the whole region")
    add.add_argument("--language", choices=["id", "en"], default=None, help="default: the region's")
    invite = osub.add_parser("invite", help="a one-time, expiring deep link that registers whoever opens it")
    invite.add_argument("--agency", required=True)
    invite.add_argument("--role", default="officer")
    invite.add_argument("--area", action="append")
    invite.add_argument("--bot-username", type=_bot_username, default=None,
                        help="the backoffice bot's @username, for the link")
    osub.add_parser("list", help="all officers: No., Telegram id, name, agency, role, areas, state")
    disable = osub.add_parser(
        "disable", help="an officer leaves: their buttons stop working at once",
        description="Disable an officer, given by their No. in `lapor officer list` (e.g. `lapor officer disable 3`) "
                    "or by their Telegram user id (`lapor officer disable --telegram-id 123456789`).")
    who = disable.add_mutually_exclusive_group(required=True)
    who.add_argument("number", nargs="?", type=_officer_number, metavar="NUMBER",
                     help="the officer's No. in `lapor officer list`")
    who.add_argument("--telegram-id", type=_telegram_id, metavar="ID", help="the officer's Telegram user id")
    officer.set_defaults(func=cmd_officer)
    summary = sub.add_parser("summary", help="supervisors' summaries")
    ssub = summary.add_subparsers(dest="summary_command", required=True)
    send = ssub.add_parser("send", help="the summary of any period (--print writes it out)")
    send.add_argument("--period", choices=["daily", "weekly", "monthly"], default="daily")
    send.add_argument("--date", type=_date, required=True, metavar="YYYY-MM-DD", help="a local day inside the period")
    send.add_argument("--print", action="store_true",
                      help="print the text (plain, for the terminal) instead of queueing it for subscribers")
    send.add_argument("--language", choices=["id", "en"], default=None, help="default: the region's")
    summary.set_defaults(func=cmd_summary)
    export = sub.add_parser(
        "export", help="the reports of a period and their history, as xlsx or csv",
        description="A workbook with a sheet each for the reports, their history, the outcomes per agency and "
                    "the reports per kecamatan and desa (or the reports alone as CSV); times in the region's "
                    "local time, headers and labels in Indonesian unless --language en.")
    export.add_argument("--from", dest="date_from", type=_date, required=True, metavar="YYYY-MM-DD",
                        help="first local day")
    export.add_argument("--to", dest="date_to", type=_date, required=True, metavar="YYYY-MM-DD",
                        help="last local day (included)")
    export.add_argument("--format", choices=["xlsx", "csv"], default=None,
                        help="default: csv for a file named *.csv, else xlsx")
    export.add_argument("--language", choices=["id", "en"], default=None,
                        help="headers and labels (default: the region's language, Indonesian)")
    export.add_argument("--output", "-o", required=True, metavar="FILE", help="e.g. laporan-desember.xlsx")
    export.set_defaults(func=cmd_export)
    audit = sub.add_parser("audit", help="the append-only audit log")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    export = asub.add_parser("export", help="write the audit log as CSV")
    export.add_argument("--output", "-o", default="-", help="file (default: standard output)")
    export.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="first day (UTC), included")
    export.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="day (UTC) the period ends, excluded")
    audit.set_defaults(func=cmd_audit)
    retention = sub.add_parser("retention", help="data retention (UU 27/2022); the running app does it daily")
    rsub = retention.add_subparsers(dest="retention_command", required=True)
    rsub.add_parser("run", help="purge old media, anonymise old reports, carry out deletion requests")
    retention.set_defaults(func=cmd_retention)
    seed = sub.add_parser(
        "seed", help="fill a new database with synthetic reports, for trying and benchmarking (never production)",
        description="Writes N synthetic reports created over the last D days, as the app would have written them: "
                    "their residents (Telegram ids from 2**53, which no person has), officers for agencies that "
                    "have none, the audit events, escalations and donation pledges; places and targets from the "
                    "region config. Nothing is sent to anyone. It refuses a database that holds anything of a "
                    "real person (a resident, a report, a registered officer), and there is no override: give it "
                    "a new database (DATABASE_URL, after `lapor db upgrade`). Run again to add more.")
    seed.add_argument("--reports", type=_positive, required=True, metavar="N", help="how many reports, e.g. 100000")
    seed.add_argument("--days", type=_positive, default=90, metavar="D",
                      help="spread over the last D days (default 90)")
    seed.add_argument("--seed", type=int, default=None, metavar="S",
                      help="random seed (default: a fixed one; the same seed, database and moment make the same rows)")
    seed.set_defaults(func=cmd_seed)
    check = sub.add_parser("check-config", help="validate a region config file")
    check.add_argument("path", nargs="?", default=None)
    check.set_defaults(func=cmd_check_config)
    region = sub.add_parser("region", help="region packs for a kabupaten/kota that is not bundled")
    regsub = region.add_subparsers(dest="region_command", required=True)
    rimport = regsub.add_parser("import", help="build a region pack and its config from a Kemendagri-coded CSV "
                                               "and a GeoJSON of desa boundaries")
    rimport.add_argument("--wilayah", required=True, help="CSV code,name,level,parent_code (core/regions/packs)")
    rimport.add_argument("--desa", required=True, help="GeoJSON FeatureCollection, a 'code' property per desa")
    rimport.add_argument("--kecamatan", default=None, help="GeoJSON of the kecamatan (default: derived from the desa)")
    rimport.add_argument("--answers", default=None,
                         help="TOML with code, ticket_prefix, timezone, [agency_names] "
                              "(default: asked in the terminal)")
    rimport.add_argument("--out", required=True, help="folder for <code>.toml and packs/<code>-<name>/")
    rimport.add_argument("--force", action="store_true", help="replace an existing config and pack")
    region.set_defaults(func=cmd_region)
    web_cli.add_parser(sub, _telegram_id, _settings, _database_errors)
    open311_cli.add_parser(sub, _settings, _database_errors)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # one line per update is noise
    try:
        return args.func(args)
    except CliError as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2
    except RegionConfigError as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
