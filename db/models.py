"""Tables of Lapor PMKS.

In the spirit of FixMyStreet: a report has a life-cycle state, and what has been delivered
about it lives apart (outbox); every change is a row of its own (report_events).
Portable types only: the same migrations build SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores UTC; SQLite hands back naive values, so make every value aware on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Reporter(Base):
    """A resident who has written to the citizen bot. Kept minimal (UU 27/2022)."""

    __tablename__ = "reporters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The user blocked the bot (403): status updates wait until they write again.
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Abuse control: a supervisor may block a reporter who files false reports.
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    deletion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The request was carried out: the Telegram identity and name are gone (core/retention.py).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TicketCounter(Base):
    """Per prefix and month sequence behind ticket numbers like PSR-2611-0042."""

    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_reporter_created", "reporter_id", "created_at"),
        Index("ix_reports_agency_state", "agency", "state"),
        Index("ix_reports_created", "created_at"),
        # Scale (bench/scale.py): what the summaries, the overdue lists and the escalation tick
        # read is found through these, never by scanning the whole history. Open states lead
        # the first (a few rows whatever the history); a period's closures the second.
        Index("ix_reports_state_due", "state", "response_due_at"),
        Index("ix_reports_state_closed", "state", "closed_at"),
        Index("ix_reports_acknowledged", "acknowledged_at"),
        # The dashboard (bench/dashboard.py, migration 0010): an agency's reports newest first, or
        # of a period; a kecamatan's newest first; the map's counts per area read from an index
        # alone. The first is partial so that SQLite, which plans without statistics, uses it only
        # where a query asks for it (core/report_list.py, BY_CREATION), never for the open queue.
        # Migration 0011 adds the same for a state's reports newest first (the auditor's closed).
        Index("ix_reports_agency_created", "agency", "created_at",
              sqlite_where=text("created_at IS NOT NULL"), postgresql_where=text("created_at IS NOT NULL")),
        Index("ix_reports_agency_acknowledged", "agency", "acknowledged_at"),
        Index("ix_reports_state_created", "state", "created_at",
              sqlite_where=text("created_at IS NOT NULL"), postgresql_where=text("created_at IS NOT NULL")),
        Index("ix_reports_kecamatan_created", "kecamatan_code", "created_at"),
        Index("ix_reports_area", "kecamatan_code", "kecamatan", "desa_code", "category"),
        Index("ix_reports_agency_area", "agency", "kecamatan_code", "kecamatan", "desa_code", "category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket: Mapped[str] = mapped_column(String(24), unique=True)
    # One draft becomes at most one report, however often "send" is pressed or redelivered.
    draft_token: Mapped[str] = mapped_column(String(36), unique=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("reporters.id"))
    region: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    agency: Mapped[str] = mapped_column(String(32))
    informed_agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    kecamatan: Mapped[str | None] = mapped_column(String(64))
    desa: Mapped[str | None] = mapped_column(String(64))
    # Kemendagri codes (35.14.14, 35.14.14.1002) with a region pack: names change between decrees,
    # codes do not, so history groups by these.
    kecamatan_code: Mapped[str | None] = mapped_column(String(8), index=True)
    desa_code: Mapped[str | None] = mapped_column(String(13), index=True)
    landmark: Mapped[str | None] = mapped_column(Text)
    outside_region: Mapped[bool] = mapped_column(Boolean, default=False)
    people_count: Mapped[str | None] = mapped_column(String(8))
    age_group: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_when: Mapped[str] = mapped_column(String(16))
    reporter_type: Mapped[str] = mapped_column(String(16))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    response_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Working the report (backoffice): who holds it, and the milestones the targets are judged on.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(32))
    persons_count: Mapped[int | None] = mapped_column(Integer)
    # Age group / sex counts and "from outside the region", as the closing officer recorded them.
    case_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    # A nearby open report of the same category when this one came in (shown in the alert).
    near_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    rating: Mapped[int | None] = mapped_column(Integer)
    # Retention: free text and the exact pin are erased N days after closure (core/retention.py).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    reporter: Mapped[Reporter] = relationship(lazy="raise")
    photos: Mapped[list[ReportPhoto]] = relationship(
        back_populates="report", order_by="ReportPhoto.id", lazy="raise"
    )


class ReportPhoto(Base):
    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    # file_id is valid only for the bot that received it (the citizen bot).
    file_id: Mapped[str] = mapped_column(String(256))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Retention: media are purged N days after closure; the row stays as a trace.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    report: Mapped[Report] = relationship(back_populates="photos", lazy="raise")


class AuditEvent(Base):
    """Append-only audit log: who did what, when, from -> to. Most rows concern a report (its
    history); others record access attempts and changes to officers. Never updated or deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_type: Mapped[str] = mapped_column(String(16))  # reporter | officer | system | unknown
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DonationPledge(Base):
    """An offer of money or goods (BAB V); Dinsos contacts the donor. No money moves here."""

    __tablename__ = "donation_pledges"
    __table_args__ = (Index("ix_donation_pledges_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket: Mapped[str] = mapped_column(String(24), unique=True)
    draft_token: Mapped[str] = mapped_column(String(36), unique=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("reporters.id"), index=True)
    agency: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # uang | barang
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="baru")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Outbox(Base):
    """Messages owed to someone, written in the same transaction as the change that owes them."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "bot", "status", "priority", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot: Mapped[str] = mapped_column(String(16))  # citizen | backoffice
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(32))  # sendMessage | sendPhoto | sendLocation
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Lower goes first: replies to a person waiting ahead of bulk alerts.
    priority: Mapped[int] = mapped_column(Integer, default=10)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    # A worker that claimed the row; a claim older than the lease is taken over after a crash.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboxUpdate(Base):
    """Every update confirmed to Telegram is first written here, so none is lost in a crash."""

    __tablename__ = "inbox_updates"
    __table_args__ = (Index("ix_inbox_status", "bot", "status"),)

    bot: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|done|failed
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    # Webhook mode, several instances: the instance that took the update holds it this long; an
    # update still pending after that (its instance died) is taken over by another.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AppInstance(Base):
    """A running instance in webhook mode, as last seen: instances that share one bot token share
    its send budget (Telegram's ~30 messages/s per bot), so each sends at the rate over how many
    are alive."""

    __tablename__ = "app_instances"

    instance: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FsmRecord(Base):
    """Conversation state and the half-finished report (draft) of each chat."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Officer(Base):
    """An officer, supervisor, admin or auditor of one agency (codes from the region config)."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(128))
    agency: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16))  # officer | supervisor | admin | auditor
    # Kecamatan this officer covers (a TKSK covers one); empty: the whole regency.
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="id")
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OfficerInvite(Base):
    """A one-time, expiring deep link t.me/<bot>?start=<code> that registers whoever opens it."""

    __tablename__ = "officer_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    agency: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))


class AccessRefusal(Base):
    """Refused attempts of one sender in one chat in one hour (a stranger writing to the officers'
    bot, a forged button): counted here; the audit log gets one row, for the first of the hour."""

    __tablename__ = "access_refusals"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    officer_id: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_what: Mapped[str] = mapped_column(String(64))
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Escalation(Base):
    """One row per report and threshold passed, so an escalation is sent exactly once."""

    __tablename__ = "escalations"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # ack | close
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class RelayQuestion(Base):
    """An officer's question to the reporter, relayed by the citizen bot; the reporter's answer
    comes back to the officer. Neither side sees the other's account."""

    __tablename__ = "relay_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SummarySubscription(Base):
    """A supervisor's choice of scheduled summaries; no row means the default (all of them)."""

    __tablename__ = "summary_subscriptions"

    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # daily | weekly | monthly
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class SummarySend(Base):
    """One row per period and recipient: a summary goes out once, whatever runs the schedule."""

    __tablename__ = "summary_sends"

    period_key: Mapped[str] = mapped_column(String(24), primary_key=True)  # e.g. daily:2026-11-21
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class WebLoginLink(Base):
    """A one-time link into the supervisors' dashboard, sent by the backoffice bot on /dasbor (or
    printed by `lapor web login-link`): valid minutes, used once, bound to one officer. Only a
    hash of its token is kept, so the table leaks no working link."""

    __tablename__ = "web_login_links"
    __table_args__ = (Index("ix_web_login_links_officer_created", "officer_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A dashboard session: its cookie carries a random key whose hash is found here. Who the
    officer is, and whether they are still active, is read from officers on every request."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_officer", "officer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    # Sent in each form and checked on each POST (the synchroniser-token pattern).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_why: Mapped[str | None] = mapped_column(String(16))  # logout | disabled


class Open311Key(Base):
    """A partner's key to the Open311 GeoReport v2 API (`lapor open311 key add`): another channel
    that submits reports (scope `submit`), an agency's own tools (`agency:CODE`: its reports in
    full) or an oversight body (`read-all`). Only a SHA-256 hash of the key is kept; a revoked key
    stays as a row, so the audit log's uses of it keep naming a partner."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    partner: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(48))  # submit | agency:CODE | read-all
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
