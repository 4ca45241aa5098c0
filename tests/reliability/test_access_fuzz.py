"""Property test of the authorisation policy through the real backoffice bot: random callback data
(well-formed officer buttons with any action, report and argument, and garbage) pressed by random
actors of every kind (tests/access_world.py), in their own chats and in groups.

After every example: a report's planted description never reached the chat of an actor who may
not read it; a report changed only by someone the documented matrix lets do it (the expectations
of tests/test_access_matrix.py, not the policy's code); no update failed and every press was
answered. Few examples in the default run; `-m slow` runs many (LAPOR_ACCESS_EXAMPLES, default 200).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backoffice.keyboards import OfficerAction
from db.models import InboxUpdate, Report
from tests.access_world import ACTORS, World, make_world, seen_by
from tests.reliability.test_bad_input import LoopThread
from tests.test_access_matrix import CASES

SHORT_EXAMPLES = 10
SLOW_EXAMPLES = int(os.environ.get("LAPOR_ACCESS_EXAMPLES", "200"))
# Who may read Satpol PP's reports of Alpha (every report of this world is one).
READERS = {"holder", "same", "supervisor", "auditor", "duty"}
# What each button may change, and who may (from the matrix); a press by anyone else changes nothing.
CHANGERS = {c.button: c.allowed for c in CASES if c.becomes or c.holder}


@pytest.fixture
def loop_thread():
    thread = LoopThread()
    yield thread
    thread.close()


def presses(world: World):
    report_ids = st.sampled_from(world.report_ids)
    args = st.one_of(st.sampled_from(["", "dinsos", "satpolpp", "ditertibkan", "tidak_ditemukan",
                                      str(world.officer_ids["same"]), str(world.officer_ids["other"])]),
                     st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", max_size=24))
    officer_button = st.builds(lambda a, r, arg: f"o:{a}:{r}:{arg}", st.sampled_from(list(OfficerAction)),
                               report_ids, args)
    garbage = st.text(min_size=1, max_size=40).filter(lambda s: len(s.encode()) <= 64)
    data = st.one_of(officer_button, officer_button, garbage)
    return st.lists(st.tuples(st.sampled_from(ACTORS), data), min_size=1, max_size=6)


def may_change(world: World, kind: str, button: OfficerAction | None, *, holder_before: int | None) -> bool:
    """The matrix's answer for a press that changed a report. Its "holder" is whoever held the
    report when pressed (the world moves on: a supervisor may have given a report to Sri)."""
    allowed = CHANGERS.get(button, set()) if button is not None else set()
    if kind in allowed:
        return True
    person = {"same": "same", "group": "same", "duty": "same"}.get(kind, kind)
    holds = holder_before is not None and world.officer_ids.get(person) == holder_before
    return "holder" in allowed and holds and kind in ("holder", "same") or \
        (kind == "duty" and holds and button in (OfficerAction.ACK, OfficerAction.ON_THE_WAY) and "holder" in allowed)


async def _state(world: World) -> dict[int, tuple]:
    rows = await world.h.rows(select(Report).where(Report.id.in_(world.report_ids)))
    return {r.id: (r.state, r.owner_id) for r in rows}


async def run_example(world: World, acts: list[tuple[str, str]]) -> None:
    h = world.h
    problems = []
    for kind, data in acts:
        before = await _state(world)
        query = world.press(world.actors[kind], data)
        await h.settle(timeout=60)
        if not query.answered:
            problems.append(f"{kind} {data!r}: the press was never answered")
        after = await _state(world)
        changed = [rid for rid in before if before[rid] != after[rid]]
        button = next((a for a in OfficerAction if data.startswith(f"o:{a.value}:")), None)
        for rid in changed:
            if not may_change(world, kind, button, holder_before=before[rid][1]):
                problems.append(f"{kind} {data!r} changed report {rid} ({before[rid]} -> {after[rid]}), "
                                "which the matrix does not allow")
    failed = await h.count(InboxUpdate, InboxUpdate.status == "failed")
    if failed:
        problems.append(f"{failed} updates failed")
    for kind in set(ACTORS) - READERS:
        actor = world.actors[kind]
        seen = seen_by(h, actor.chat_id)
        leaked = [r for r in world.descriptions if r in seen]
        if leaked:
            problems.append(f"{kind} was shown reports it may not read: {leaked}")
    assert not problems, "\n".join(problems) + f"\ninput: {acts!r}"


def _property(tmp_path, loop_thread: LoopThread, examples: int) -> None:
    world = loop_thread.run(make_world(tmp_path, new=3, held=3, closed=2))

    async def catalogue() -> None:
        rows = await world.h.rows(select(Report))
        world.report_ids = [r.id for r in rows]
        world.descriptions = [r.description for r in rows]

    loop_thread.run(catalogue())

    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.reuse, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(acts=presses(world))
    def prop(acts):
        loop_thread.run(run_example(world, acts), timeout=300)

    try:
        prop()
    finally:
        async def stop() -> None:
            await world.h.app.stop()
            await world.h.emu.stop()

        loop_thread.run(stop())


def test_random_presses_never_leak_or_change_what_the_policy_forbids(tmp_path, loop_thread):
    _property(tmp_path, loop_thread, SHORT_EXAMPLES)


@pytest.mark.slow
def test_random_presses_never_leak_or_change_what_the_policy_forbids_many(tmp_path, loop_thread):
    _property(tmp_path, loop_thread, SLOW_EXAMPLES)
