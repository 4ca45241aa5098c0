"""`lapor`: run the bots, migrate the database, or try everything in a demo without Telegram."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import UTC

from pydantic import ValidationError

from core.region import RegionConfigError, load_region_config
from lapor.settings import MissingToken, Settings, require_tokens, require_webhook


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"lapor: bad setting {'.'.join(map(str, first['loc'])).upper()}: {first['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


async def _run(settings: Settings, webhook: bool = False) -> None:
    from lapor.app import App

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
    from db import migrate

    settings = _settings()
    if args.db_command == "upgrade":
        asyncio.run(migrate.upgrade(settings.database_url))
        print(f"database is at revision {migrate.head_revision()}")
        filled = asyncio.run(_fill_area_codes(settings))
        if filled:
            print(f"{filled} earlier reports placed in their kecamatan and desa (Kemendagri codes)")
        return 0
    if args.db_command == "downgrade":
        if not args.revision:
            print("lapor: name the revision to go back to, e.g. `lapor db downgrade 0004` "
                  f"(revisions: {', '.join(migrate.all_revisions())})", file=sys.stderr)
            return 2
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
    return asyncio.run(run_demo(region=region, script=args.script, database_url=args.database_url))


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
                for o in await officers.list_officers(session):
                    state = "active" if o.active else "disabled"
                    print(f"#{o.id}\t{o.telegram_id}\t{o.name}\t{o.agency}\t{o.role.value}\t"
                          f"{','.join(o.areas) or 'all'}\t{state}{' unreachable' if o.unreachable else ''}")
            elif args.officer_command == "disable":
                o = await officers.disable_officer(session, now=now, officer_id=args.officer_id)
                print(f"officer #{o.id} {o.name} disabled")
    except officers.OfficerError as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    return 0


def cmd_officer(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        return asyncio.run(_officer(args, settings))
    except RegionConfigError as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2


async def _audit_export(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime

    from core.audit_export import export_csv
    from db.engine import create_engine, create_sessionmaker

    def day(text: str | None):
        return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            if args.output == "-":
                count = await export_csv(session, sys.stdout, since=day(args.since), until=day(args.until))
            else:
                with open(args.output, "w", newline="", encoding="utf-8") as out:
                    count = await export_csv(session, out, since=day(args.since), until=day(args.until))
    finally:
        await engine.dispose()
    print(f"{count} audit events written", file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    return asyncio.run(_audit_export(args, _settings()))


async def _summary(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

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
            win = window(region, Period(args.period), date.fromisoformat(args.date))
            if args.print:
                summary = await compute(session, region, win)
                print(render(summary, region, translator(args.language or region.region.default_language)))
                return 0
            # Queued in the outbox: the running app delivers it; each subscriber gets it once.
            queued = await send_summaries(session, region=region, period=Period(args.period),
                                          now=SystemClock().now(), reference=win.end)
    finally:
        await engine.dispose()
    print(f"{win.key}: queued for {queued} subscriber(s); the running app delivers them")
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date, datetime, time, timedelta

    from core.exports import csv_text, workbook
    from db.engine import create_engine, create_sessionmaker

    region = load_region_config(settings.region_config)
    start = datetime.combine(date.fromisoformat(args.date_from), time.min, tzinfo=region.tz)
    end = datetime.combine(date.fromisoformat(args.date_to) + timedelta(days=1), time.min, tzinfo=region.tz)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            if args.format == "xlsx":
                data = await workbook(session, region, start, end)
                with open(args.output, "wb") as out:
                    out.write(data)
            else:
                text = await csv_text(session, region, start, end)
                with open(args.output, "w", encoding="utf-8", newline="") as out:
                    out.write(text)
    finally:
        await engine.dispose()
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
    try:
        return asyncio.run(_retention(_settings()))
    except RegionConfigError as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2


def cmd_export(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_export(args, _settings()))
    except (RegionConfigError, ValueError) as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2


def cmd_summary(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_summary(args, _settings()))
    except (RegionConfigError, ValueError) as exc:
        print(f"lapor: {exc}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lapor", description="Lapor PMKS: Telegram reporting channel for PMKS")
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
    demo.set_defaults(func=cmd_demo)
    officer = sub.add_parser("officer", help="register and manage officers of the backoffice bot")
    osub = officer.add_subparsers(dest="officer_command", required=True)
    add = osub.add_parser("add", help="register an officer by Telegram user id")
    add.add_argument("--telegram-id", type=int, required=True)
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
    invite.add_argument("--bot-username", default=None, help="the backoffice bot's @username, for the link")
    osub.add_parser("list", help="all officers")
    disable = osub.add_parser("disable", help="an officer leaves: their buttons stop working at once")
    disable.add_argument("officer_id", type=int)
    officer.set_defaults(func=cmd_officer)
    summary = sub.add_parser("summary", help="supervisors' summaries")
    ssub = summary.add_subparsers(dest="summary_command", required=True)
    send = ssub.add_parser("send", help="the summary of any period (--print writes it out)")
    send.add_argument("--period", choices=["daily", "weekly", "monthly"], default="daily")
    send.add_argument("--date", required=True, help="a local date inside the period, YYYY-MM-DD")
    send.add_argument("--print", action="store_true", help="print the text instead of queueing it for subscribers")
    send.add_argument("--language", choices=["id", "en"], default=None)
    summary.set_defaults(func=cmd_summary)
    export = sub.add_parser("export", help="the reports of a period and their history, as xlsx or csv")
    export.add_argument("--from", dest="date_from", required=True, help="first local date, YYYY-MM-DD")
    export.add_argument("--to", dest="date_to", required=True, help="last local date, YYYY-MM-DD (included)")
    export.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    export.add_argument("--output", "-o", required=True)
    export.set_defaults(func=cmd_export)
    audit = sub.add_parser("audit", help="the append-only audit log")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    export = asub.add_parser("export", help="write the audit log as CSV")
    export.add_argument("--output", "-o", default="-", help="file (default: standard output)")
    export.add_argument("--since", help="YYYY-MM-DD (UTC)")
    export.add_argument("--until", help="YYYY-MM-DD (UTC), exclusive")
    audit.set_defaults(func=cmd_audit)
    retention = sub.add_parser("retention", help="data retention (UU 27/2022); the running app does it daily")
    rsub = retention.add_subparsers(dest="retention_command", required=True)
    rsub.add_parser("run", help="purge old media, anonymise old reports, carry out deletion requests")
    retention.set_defaults(func=cmd_retention)
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # one line per update is noise
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
