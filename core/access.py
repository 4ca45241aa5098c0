"""Who may read what and do what: the one authorisation policy of Lapor PMKS.

Everything that shows a report or changes one asks here, and nothing else compares roles or
agencies: the backoffice's handlers, the relay, the outbox when it resolves a notice's recipient
at send time, summaries and exports, the scheduler, the CLI, and what comes later (a web
dashboard, an API).

The inputs are facts loaded fresh from the database for every request: the actor (an officer's
row: role, agency, areas, active; None for anyone who is not a registered officer), the report
(its current agency, holder, state and kecamatan) and the channel the request came through (the
actor's private chat, an agency's duty group, any other chat). Nothing a client sends (a button's
callback data, a cookie, a URL) is an input here beyond naming what is asked for.

The answer is a Decision. A report the actor may not read is refused in the same words whether it
exists or not (UNSEEN), so a forged id teaches nothing. README's "Security model" has the matrix;
tests/test_access_matrix.py drives every action through the real bot for every kind of actor.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from core.i18n import N_
from core.lifecycle import ReportState


class Role(StrEnum):
    """An officer's role, stored as its value in officers.role and officer_invites.role."""

    OFFICER = "officer"  # petugas of one agency: its reports (in their kecamatan, if areas are set)
    SUPERVISOR = "supervisor"  # head of an agency (Kepala Dinas, Kasatpol PP): all of its reports
    ADMIN = "admin"  # an agency's administrator: as its supervisor, for reports
    AUDITOR = "auditor"  # Inspektorat (BAB VI): every report of the region, read-only


SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


class Action(StrEnum):
    """What can be done with one report."""

    VIEW = "view"  # its details, place, photos and history
    RECEIVE = "receive"  # be sent news of it: an alert, an escalation, the reporter's answer
    ACKNOWLEDGE = "acknowledge"
    START_HANDLING = "start_handling"  # "on the way"
    CLOSE = "close"
    REJECT = "reject"
    HAND_OVER = "hand_over"
    MARK_DUPLICATE = "mark_duplicate"  # and merge into the nearby report
    ASK_REPORTER = "ask_reporter"
    ADD_NOTE = "add_note"
    REOPEN = "reopen"
    REASSIGN = "reassign"


class View(StrEnum):
    """What can be seen that is not one report."""

    HELP = "help"
    QUEUE = "queue"  # the open reports of the actor's scope
    TASKS = "tasks"  # the reports the actor holds
    OVERDUE = "overdue"
    SUMMARY = "summary"  # summaries, their chart, workbook and CSV
    SUBSCRIPTIONS = "subscriptions"
    AUDIT_LOG = "audit_log"  # the audit log (the dashboard's Audit page)


class ChannelKind(StrEnum):
    PRIVATE = "private"  # the actor's own private chat with the bot
    DUTY_GROUP = "duty_group"  # the Telegram group an agency configured for its duty officers
    OTHER = "other"  # any other chat: a group someone added the bot to


@dataclass(frozen=True)
class Channel:
    kind: ChannelKind
    agency: str | None = None  # the duty group's agency
    chat_id: int | None = None  # None: the actor's own private chat


PRIVATE = Channel(ChannelKind.PRIVATE)
OTHER = Channel(ChannelKind.OTHER)


class AgencyConfig(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def duty_chat_id(self) -> int | None: ...


def channel_of(agencies: Iterable[AgencyConfig], *, chat_id: int, chat_type: str | None,
               user_id: int | None) -> Channel:
    """The channel a request came through. A private chat counts only as the sender's own."""
    if chat_type == "private":
        return PRIVATE if user_id is not None and chat_id == user_id else Channel(ChannelKind.OTHER, chat_id=chat_id)
    for agency in agencies:
        if agency.duty_chat_id is not None and agency.duty_chat_id == chat_id:
            return Channel(ChannelKind.DUTY_GROUP, agency.code, chat_id)
    return Channel(ChannelKind.OTHER, chat_id=chat_id)


class ActorFacts(Protocol):
    """An officer as loaded from the database (core.officers.OfficerInfo)."""

    @property
    def id(self) -> int: ...
    @property
    def telegram_id(self) -> int | None: ...
    @property
    def agency(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def areas(self) -> tuple[str, ...]: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class Subject:
    """A report as the policy needs it, loaded from the database (core.report_access)."""

    id: int
    agency: str  # the agency handling it now
    owner_id: int | None  # the officer holding it
    state: str
    kecamatan: str | None
    # Some active officer of its agency has its kecamatan (or its desa) among their areas. An area
    # officer reads reports of their own kecamatan and desa, and those nobody covers (they are
    # alerted of those too: core.officers.officers_for_alert).
    kecamatan_covered: bool = True
    # Its desa's Kemendagri code (a region pack): an area officer may cover single desa.
    desa_code: str | None = None


class Refusal(StrEnum):
    UNSEEN = "unseen"  # may not read it (or it does not exist): say nothing about it
    NOT_PERMITTED = "not_permitted"  # may read it, may not do this
    WRONG_STATE = "wrong_state"  # may do this, but not in the report's present state
    WRONG_CHANNEL = "wrong_channel"  # may do this, but not from this chat


@dataclass(frozen=True)
class Decision:
    allowed: bool
    refusal: Refusal | None = None
    reason: str | None = None  # a msgid for the actor; may use {ticket}, {state}, {name}

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
NOT_AVAILABLE = N_("That report is not available to you.")
UNSEEN = Decision(False, Refusal.UNSEEN, NOT_AVAILABLE)
ONLY_PRIVATE = N_("Please do this in your private chat with the officers' bot.")
# Any chat but the actor's own and their agency's duty group: refused before any report is looked
# at, in the same words whatever the report, so the refusal says nothing about it.
ELSEWHERE = Decision(False, Refusal.WRONG_CHANNEL, ONLY_PRIVATE)

ACKNOWLEDGEABLE = frozenset({ReportState.BARU, ReportState.DIALIHKAN})
WORKING = frozenset({ReportState.DITERIMA, ReportState.DITANGANI})
OPEN = ACKNOWLEDGEABLE | WORKING
REOPENABLE = frozenset({ReportState.SELESAI, ReportState.DITOLAK, ReportState.DUPLIKAT})
# Pressed on an alert in the agency's duty group: the group saw the alert; the rest of the work
# (texts typed in reply, the file's notes) is done in the officer's private chat.
DUTY_GROUP_ACTIONS = frozenset({Action.VIEW, Action.ACKNOWLEDGE, Action.START_HANDLING})
# Done only by the report's holder or a supervisor of its agency.
HOLDER_OR_SUPERVISOR = frozenset({Action.START_HANDLING, Action.CLOSE, Action.REJECT, Action.MARK_DUPLICATE,
                                  Action.ASK_REPORTER})
SUPERVISOR_ONLY = frozenset({Action.REOPEN, Action.REASSIGN})
STATES_FOR = {
    Action.ACKNOWLEDGE: ACKNOWLEDGEABLE,
    Action.START_HANDLING: frozenset({ReportState.DITERIMA}),
    Action.CLOSE: WORKING,
    Action.REJECT: OPEN,
    Action.HAND_OVER: OPEN,
    Action.MARK_DUPLICATE: OPEN,
    Action.ASK_REPORTER: OPEN,
    Action.REOPEN: REOPENABLE,
    Action.REASSIGN: OPEN,
}
STATE_REASONS = {
    Action.ACKNOWLEDGE: N_("{ticket} can no longer be acknowledged (it is {state})."),
    Action.START_HANDLING: N_("{ticket} is {state}; only an acknowledged report can be set on the way."),
    Action.CLOSE: N_("{ticket} is {state}; only a report being worked can be closed."),
    Action.REOPEN: N_("{ticket} is {state}; only a closed report can be reopened."),
}
ALREADY = N_("{ticket} is already {state}.")
TAKEN = N_("{ticket} is already taken by {name}.")
HELD_BY_OTHER = N_("{ticket} is held by {name}; only they or a supervisor can do that.")
SUPERVISORS_ONLY = N_("Only a supervisor can do that.")
READ_ONLY = N_("Your role can only read reports.")


def active(actor: ActorFacts | None) -> bool:
    return actor is not None and actor.active


def supervises(actor: ActorFacts | None) -> bool:
    return active(actor) and actor.role in SUPERVISING_ROLES  # type: ignore[union-attr]


def region_wide(actor: ActorFacts | None) -> bool:
    """Reads every report of the region (and changes none)."""
    return active(actor) and actor.role == Role.AUDITOR  # type: ignore[union-attr]


def can_act(actor: ActorFacts | None) -> bool:
    """May change reports at all (every role but the read-only ones)."""
    return active(actor) and actor.role != Role.AUDITOR  # type: ignore[union-attr]


def _in_areas(actor: ActorFacts, report: Subject) -> bool:
    return (not actor.areas or report.owner_id == actor.id or report.kecamatan in actor.areas
            or (report.desa_code is not None and report.desa_code in actor.areas) or not report.kecamatan_covered)


def may_read(actor: ActorFacts | None, report: Subject, channel: Channel = PRIVATE) -> bool:
    """Whether the report may be shown to `actor` through `channel`. In a duty group the group is
    the audience: it sees its own agency's reports, whoever asks (actor None: the group itself,
    as the recipient of an alert)."""
    if channel.kind == ChannelKind.OTHER:
        return False
    if channel.kind == ChannelKind.DUTY_GROUP:
        if report.agency != channel.agency:
            return False
        return actor is None or (active(actor) and actor.agency == channel.agency)
    if not active(actor):
        return False
    assert actor is not None
    if actor.role == Role.AUDITOR:
        return True
    if actor.agency != report.agency:
        return False
    return actor.role in SUPERVISING_ROLES or _in_areas(actor, report)


def decide(actor: ActorFacts | None, report: Subject, action: Action, channel: Channel = PRIVATE) -> Decision:
    """May `actor` do `action` to `report` now, through `channel`?"""
    if channel.kind == ChannelKind.OTHER:
        return ELSEWHERE
    if not may_read(actor, report, channel):
        return UNSEEN
    if action == Action.VIEW:
        return ALLOW
    if actor is None:  # a duty group as such receives alerts; it does nothing
        return ALLOW if action == Action.RECEIVE else Decision(False, Refusal.NOT_PERMITTED, READ_ONLY)
    if action == Action.RECEIVE:
        # The handling agency's people are told of it; region-wide readers look for themselves.
        return ALLOW if actor.agency == report.agency and can_act(actor) else \
            Decision(False, Refusal.NOT_PERMITTED, READ_ONLY)
    if not can_act(actor):
        return Decision(False, Refusal.NOT_PERMITTED, READ_ONLY)
    if channel.kind != ChannelKind.PRIVATE and action not in DUTY_GROUP_ACTIONS:
        return Decision(False, Refusal.WRONG_CHANNEL, ONLY_PRIVATE)
    holder = report.owner_id is not None and report.owner_id == actor.id
    boss = actor.role in SUPERVISING_ROLES
    if action in SUPERVISOR_ONLY and not boss:
        return Decision(False, Refusal.NOT_PERMITTED, SUPERVISORS_ONLY)
    states = STATES_FOR.get(action)
    if states is not None and report.state not in states:
        if action == Action.ACKNOWLEDGE and report.state in WORKING:
            return Decision(False, Refusal.WRONG_STATE, TAKEN)
        return Decision(False, Refusal.WRONG_STATE, STATE_REASONS.get(action, ALREADY))
    if action == Action.ACKNOWLEDGE and report.owner_id is not None:
        return Decision(False, Refusal.WRONG_STATE, TAKEN)
    held_by_other = report.owner_id is not None and not holder
    if action in HOLDER_OR_SUPERVISOR and not (holder or boss):
        return Decision(False, Refusal.NOT_PERMITTED, HELD_BY_OTHER if held_by_other else
                        N_("Only the officer holding {ticket} or a supervisor can do that; acknowledge it first."))
    if action == Action.HAND_OVER and held_by_other and not boss:
        return Decision(False, Refusal.NOT_PERMITTED, HELD_BY_OTHER)
    return ALLOW


def allowed_actions(actor: ActorFacts | None, report: Subject, channel: Channel = PRIVATE) -> frozenset[Action]:
    """Every action `actor` may take on `report` now: what their buttons offer."""
    return frozenset(a for a in Action if decide(actor, report, a, channel))


def offered_actions(actor: ActorFacts | None, report: Subject, channel: Channel = PRIVATE) -> frozenset[Action]:
    """The buttons a message about the report shows its audience. For a person: what they may do.
    For a duty group (actor None): what a member of the agency may press there, if the report's
    state allows it; the policy judges whoever presses."""
    if actor is None and channel.kind == ChannelKind.DUTY_GROUP:
        if not may_read(None, report, channel):
            return frozenset()
        offered = {Action.VIEW}
        if report.state in ACKNOWLEDGEABLE and report.owner_id is None:
            offered.add(Action.ACKNOWLEDGE)
        if report.state == ReportState.DITERIMA:
            offered.add(Action.START_HANDLING)
        return frozenset(offered)
    return allowed_actions(actor, report, channel) - {Action.RECEIVE}


def may_view(actor: ActorFacts | None, view: View, channel: Channel = PRIVATE) -> Decision:
    """The views that are not one report. Commands are answered in the actor's private chat only:
    a queue, a summary or a workbook posted into a group reaches whoever is in it."""
    if not active(actor):
        return UNSEEN
    assert actor is not None
    if channel.kind != ChannelKind.PRIVATE:
        return Decision(False, Refusal.WRONG_CHANNEL, ONLY_PRIVATE)
    if view in (View.HELP, View.QUEUE):
        return ALLOW
    if view == View.TASKS:
        return ALLOW if can_act(actor) else Decision(False, Refusal.NOT_PERMITTED, READ_ONLY)
    if actor.role in SUPERVISING_ROLES or actor.role == Role.AUDITOR:
        return ALLOW
    if view in (View.SUMMARY, View.SUBSCRIPTIONS):
        return Decision(False, Refusal.NOT_PERMITTED, N_("Only supervisors receive summaries."))
    if view == View.AUDIT_LOG:
        return Decision(False, Refusal.NOT_PERMITTED, N_("Only supervisors and auditors read the audit log."))
    return Decision(False, Refusal.NOT_PERMITTED, N_("Only supervisors see the overdue list."))


@dataclass(frozen=True)
class Scope:
    """Which reports a list, a summary or an export holds for an actor.

    agency None: every agency's (region-wide readers, and the operator's CLI). areas empty: all
    of the agency's kecamatan; else those, the kecamatan nobody covers, and what the actor holds.
    """

    agency: str | None
    areas: tuple[str, ...] = ()
    officer_id: int | None = None

    @property
    def region_wide(self) -> bool:
        return self.agency is None


WHOLE_REGION = Scope(None)


def list_scope(actor: ActorFacts) -> Scope:
    """The queue and the overdue list."""
    if actor.role == Role.AUDITOR:
        return WHOLE_REGION
    if actor.role in SUPERVISING_ROLES:
        return Scope(actor.agency)
    return Scope(actor.agency, tuple(actor.areas), actor.id)


def summary_scope(actor: ActorFacts) -> Scope:
    """Summaries and their files: the agency's reports in full (all its kecamatan: the
    supervisors who get them oversee the whole agency), or every report for region-wide readers.
    Agencies informed of a category see counts of those reports, never the reports (need to know:
    a report reaches an agency in full only by a hand-over)."""
    return WHOLE_REGION if actor.role == Role.AUDITOR else Scope(actor.agency)


def audit_scope(actor: ActorFacts) -> Scope:
    """The audit log a reader may open (View.AUDIT_LOG): all of it for region-wide readers; for a
    supervisor, the events of their agency's reports and what their agency's officers did."""
    return WHOLE_REGION if actor.role == Role.AUDITOR else Scope(actor.agency)


def may_hold(actor: ActorFacts | None, agency: str) -> bool:
    """May be given a report of `agency` to hold (a supervisor's reassignment)."""
    return can_act(actor) and actor.agency == agency  # type: ignore[union-attr]


def may_oversee(actor: ActorFacts | None, agency: str) -> bool:
    """Is told about the agency's officers (one blocked the bot, say)."""
    return supervises(actor) and actor.agency == agency  # type: ignore[union-attr]


# ---- Open311 partners (core.partner_keys, core.open311) -----------------------------------------
# A partner is not an officer: it presents a key to the Open311 API. Anyone without a key reads
# every report only as published (category, state, agency, dates, the kecamatan's centroid); a key
# widens that, by its scope, to some reports in full, or lets its partner submit reports.

PARTNER_SUBMIT = "submit"  # another reporting channel: submits reports, reads as the public does
PARTNER_READ_ALL = "read-all"  # an oversight body (the auditor's view): every report in full
PARTNER_AGENCY = "agency:"  # agency:CODE, an agency's own tools: its reports in full


@dataclass(frozen=True)
class PartnerFacts:
    """A partner's live key, as loaded from the database (core.partner_keys.resolve_key)."""

    key_id: int
    partner: str
    scope: str


def partner_full_scope(partner: PartnerFacts | None) -> Scope | None:
    """The reports an Open311 client reads in full (description, desa, the exact place); None: none.
    Every other report it reads only as published."""
    if partner is None:
        return None
    if partner.scope == PARTNER_READ_ALL:
        return WHOLE_REGION
    if partner.scope.startswith(PARTNER_AGENCY) and len(partner.scope) > len(PARTNER_AGENCY):
        return Scope(partner.scope[len(PARTNER_AGENCY):])
    return None


def partner_reads_in_full(partner: PartnerFacts | None, report_agency: str) -> bool:
    """May this Open311 client read a report of `report_agency` (the agency handling it now) in full?"""
    scope = partner_full_scope(partner)
    return scope is not None and (scope.region_wide or scope.agency == report_agency)


def partner_may_submit(partner: PartnerFacts | None) -> bool:
    return partner is not None and partner.scope == PARTNER_SUBMIT
