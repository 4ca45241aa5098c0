"""`lapor open311 key add|list|revoke`: partners' keys to the Open311 GeoReport v2 API."""
from __future__ import annotations

import argparse
import asyncio
import sys

from lapor.cli_error import CliError
from lapor.cli_table import aligned
from lapor.settings import Settings


def _key_id(text: str) -> int:
    number = text.strip().removeprefix("#")
    if not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a key's number; use the ID that "
                                         "`lapor open311 key list` shows, e.g. 3")
    return int(number)


def add_parser(sub: argparse._SubParsersAction, settings_of, database_errors) -> None:
    o311 = sub.add_parser("open311", help="the Open311 GeoReport v2 API at /open311/v2: partners' keys",
                          description="Partners present a key as api_key: `submit` to send reports from another "
                                      "channel, `agency:CODE` to read that agency's reports in full, `read-all` "
                                      "to read every report in full. Without a key the API serves only what is "
                                      "safe to publish.")
    osub = o311.add_subparsers(dest="open311_command", required=True)
    key = osub.add_parser("key", help="make, list or revoke a partner's key")
    ksub = key.add_subparsers(dest="key_command", required=True)
    add = ksub.add_parser("add", help="a new key, printed once (only its hash is stored)")
    add.add_argument("--partner", required=True, metavar="NAME", help="who gets it, e.g. 'SP4N-LAPOR!'")
    add.add_argument("--scope", required=True, metavar="SCOPE", help="submit, read-all or agency:CODE")
    ksub.add_parser("list", help="every key: ID, partner, scope, created, revoked")
    revoke = ksub.add_parser("revoke", help="refuse a key from now on")
    revoke.add_argument("id", type=_key_id, metavar="ID", help="the key's ID (`lapor open311 key list`)")

    def run(args: argparse.Namespace) -> int:
        settings = settings_of()
        with database_errors(settings):
            return asyncio.run(_key(args, settings))

    o311.set_defaults(func=run)


def _table(rows: list, tz) -> list[str]:
    header = ["ID", "Partner", "Scope", "Created", "Revoked"]
    lines = [[str(k.id), k.partner, k.scope, f"{k.created_at.astimezone(tz):%Y-%m-%d %H:%M}",
              f"{k.revoked_at.astimezone(tz):%Y-%m-%d %H:%M}" if k.revoked_at else "-"] for k in rows]
    return aligned(header, lines)


async def _key(args: argparse.Namespace, settings: Settings) -> int:
    from core import partner_keys
    from core.clock import SystemClock
    from core.region import load_region_config
    from db import migrate
    from db.engine import create_engine, create_sessionmaker

    region = load_region_config(settings.region_config)
    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    now = SystemClock().now()
    try:
        async with create_sessionmaker(engine)() as session:
            if args.key_command == "add":
                try:
                    info, key = await partner_keys.add_key(session, partner=args.partner, scope=args.scope,
                                                           region=region, now=now)
                except partner_keys.KeyProblem as exc:
                    raise CliError(str(exc)) from None
                print(key)
                print(f"key #{info.id} for {info.partner}, scope {info.scope}; shown once, only its hash is kept",
                      file=sys.stderr)
            elif args.key_command == "list":
                keys = await partner_keys.list_keys(session)
                print("\n".join(_table(keys, region.tz)))
                if not keys:
                    print("no keys yet: `lapor open311 key add --partner NAME --scope SCOPE` makes one",
                          file=sys.stderr)
            elif args.key_command == "revoke":
                revoked = await partner_keys.revoke_key(session, key_id=args.id, now=now)
                if revoked is None:
                    raise CliError(f"no key #{args.id} (`lapor open311 key list` shows them)")
                print(f"key #{revoked.id} of {revoked.partner} revoked")
    finally:
        await engine.dispose()
    return 0
