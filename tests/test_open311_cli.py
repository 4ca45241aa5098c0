"""`lapor open311 key add|list|revoke` as an operator runs it: a process of its own, one-line errors
with exit code 2, and the key it prints opens the API until it is revoked."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.partner_keys import resolve_key
from db.engine import create_engine, create_sessionmaker
from db.models import AuditEvent, Open311Key
from tests.harness import TEST_REGION
from tests.procs import run_cli_async


async def test_add_list_revoke_as_the_operator_does(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/lapor.sqlite3"
    env = {"DATABASE_URL": url, "REGION_CONFIG": str(TEST_REGION)}
    added = await run_cli_async("open311", "key", "add", "--partner", "SP4N-LAPOR!", "--scope", "agency:dinsos",
                                env=env)
    key = added.stdout.strip()
    assert key.startswith("o311_") and len(key.splitlines()) == 1
    assert "key #1 for SP4N-LAPOR!, scope agency:dinsos" in added.stderr and "shown once" in added.stderr
    await run_cli_async("open311", "key", "add", "--partner", "Inspektorat", "--scope", "read-all", env=env)
    listed = (await run_cli_async("open311", "key", "list", env=env)).stdout.splitlines()
    assert listed[0].split() == ["ID", "Partner", "Scope", "Created", "Revoked"]
    assert listed[1].split()[:3] == ["1", "SP4N-LAPOR!", "agency:dinsos"] and listed[1].endswith("-")
    assert listed[2].split()[:3] == ["2", "Inspektorat", "read-all"]
    assert key not in "\n".join(listed)

    engine = create_engine(url)
    try:
        sessionmaker = create_sessionmaker(engine)
        now = datetime(2026, 12, 3, tzinfo=UTC)
        async with sessionmaker() as session:
            partner = await resolve_key(session, key=key, now=now, use="test")
            assert partner is not None and (partner.partner, partner.scope) == ("SP4N-LAPOR!", "agency:dinsos")
            stored = list((await session.execute(select(Open311Key))).scalars())
            assert key not in str([(k.key_hash, k.partner) for k in stored])

        revoked = await run_cli_async("open311", "key", "revoke", "1", env=env)
        assert revoked.stdout.strip() == "key #1 of SP4N-LAPOR! revoked"
        listed = (await run_cli_async("open311", "key", "list", env=env)).stdout.splitlines()
        assert not listed[1].endswith("-") and listed[2].endswith("-")
        async with sessionmaker() as session:
            assert await resolve_key(session, key=key, now=now, use="test") is None
            actions = [e.action for e in (await session.execute(
                select(AuditEvent).where(AuditEvent.action.like("open311_%")).order_by(AuditEvent.id))).scalars()]
        assert actions == ["open311_key_added", "open311_key_added", "open311_key_used", "open311_key_revoked",
                           "open311_key_refused"]
    finally:
        await engine.dispose()

    # Mistakes: one line on stderr, exit code 2.
    for args, words in ((("revoke", "9"), "no key #9"),
                        (("add", "--partner", "X", "--scope", "agency:polisi"), "there is no agency 'polisi'"),
                        (("add", "--partner", "X", "--scope", "everything"), "use submit, read-all or agency:CODE"),
                        (("add", "--partner", "  ", "--scope", "submit"), "--partner is empty"),
                        (("revoke", "abc"), "is not a key's number")):
        result = await run_cli_async("open311", "key", *args, env=env, check=False)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("lapor: ") and words in lines[0], (args, result.stderr)
