"""Report life cycle (domain brief): baru -> diterima -> ditangani -> selesai, with side paths."""
from __future__ import annotations

from enum import StrEnum

from core.i18n import N_


class ReportState(StrEnum):
    BARU = "baru"
    DITERIMA = "diterima"
    DITANGANI = "ditangani"
    SELESAI = "selesai"
    DIALIHKAN = "dialihkan"
    DITOLAK = "ditolak"
    DUPLIKAT = "duplikat"
    # The reporter took the report back before it was closed.
    DITARIK = "ditarik"


OPEN_STATES = frozenset({ReportState.BARU, ReportState.DITERIMA, ReportState.DITANGANI, ReportState.DIALIHKAN})
CLOSED_STATES = frozenset(set(ReportState) - OPEN_STATES)

STATE_LABELS = {
    ReportState.BARU: N_("New, waiting in the queue"),
    ReportState.DITERIMA: N_("Acknowledged by an officer"),
    ReportState.DITANGANI: N_("Being handled in the field"),
    ReportState.SELESAI: N_("Closed"),
    ReportState.DIALIHKAN: N_("Handed over to another agency"),
    ReportState.DITOLAK: N_("Rejected"),
    ReportState.DUPLIKAT: N_("Merged with another report"),
    ReportState.DITARIK: N_("Withdrawn by you"),
}


# The states as officers say them, inside a sentence ("PSR-2611-0042 is already acknowledged").
STATE_WORDS = {
    ReportState.BARU: N_("new"),
    ReportState.DITERIMA: N_("acknowledged"),
    ReportState.DITANGANI: N_("being handled"),
    ReportState.SELESAI: N_("closed"),
    ReportState.DIALIHKAN: N_("handed over"),
    ReportState.DITOLAK: N_("rejected"),
    ReportState.DUPLIKAT: N_("merged as a duplicate"),
    ReportState.DITARIK: N_("withdrawn"),
}


def is_open(state: str) -> bool:
    return state in OPEN_STATES
