"""A half-finished report: what the resident has entered so far, kept in the conversation state
(persisted), validated here so the bot and the submit service agree on what is complete."""
from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from core.i18n import N_


class SeenWhen(StrEnum):
    NOW = "now"
    EARLIER_TODAY = "earlier"
    AT_TIME = "time"


class ReporterType(StrEnum):
    PERORANGAN = "perorangan"
    KELOMPOK = "kelompok"
    ORGANISASI = "organisasi"


class PeopleCount(StrEnum):
    ONE = "1"
    FEW = "2-3"
    SEVERAL = "4-10"
    MANY = "10+"
    UNKNOWN = "unknown"


class AgeGroup(StrEnum):
    CHILD = "anak"
    TEEN = "remaja"
    ADULT = "dewasa"
    ELDERLY = "lansia"
    MIXED = "campuran"
    UNKNOWN = "unknown"


REPORTER_TYPE_LABELS = {
    ReporterType.PERORANGAN: N_("Individual"),
    ReporterType.KELOMPOK: N_("Group (RT/RW, community)"),
    ReporterType.ORGANISASI: N_("Organisation"),
}
PEOPLE_COUNT_LABELS = {
    PeopleCount.ONE: N_("1 person"),
    PeopleCount.FEW: N_("2-3 people"),
    PeopleCount.SEVERAL: N_("4-10 people"),
    PeopleCount.MANY: N_("More than 10"),
    PeopleCount.UNKNOWN: N_("Not sure"),
}
AGE_GROUP_LABELS = {
    AgeGroup.CHILD: N_("Children"),
    AgeGroup.TEEN: N_("Teenagers"),
    AgeGroup.ADULT: N_("Adults"),
    AgeGroup.ELDERLY: N_("Elderly"),
    AgeGroup.MIXED: N_("Mixed ages"),
    AgeGroup.UNKNOWN: N_("Not sure"),
}


class Photo(BaseModel):
    file_id: str
    file_unique_id: str


class ReportDraft(BaseModel):
    token: str = Field(default_factory=lambda: str(uuid.uuid4()))
    category: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    kecamatan: str | None = None
    desa: str | None = None
    # Kemendagri codes, with a region pack (core.region): from the pin, or the names chosen.
    kecamatan_code: str | None = None
    desa_code: str | None = None
    landmark: str | None = None
    outside_region: bool = False
    # A pin the region pack places outside the region: the kecamatan must be chosen by hand.
    ask_kecamatan: bool = False
    # The optional landmark after a pin was answered (given or skipped).
    landmark_done: bool = False
    # Once the place is known: True, send now (the rest takes its defaults, changeable on the review
    # card); False, the resident tells more; None, not asked yet.
    quick: bool | None = None
    people_count: PeopleCount | None = None
    age_group: AgeGroup | None = None
    description: str | None = None
    description_done: bool = False
    seen_when: SeenWhen | None = None
    seen_at: datetime | None = None
    photos: list[Photo] = []
    photos_done: bool = False
    urgent: bool | None = None
    reporter_type: ReporterType | None = None
    anonymous: bool | None = None

    @property
    def has_pin(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def location_complete(self) -> bool:
        if self.has_pin:
            if self.ask_kecamatan:
                return self.kecamatan is not None
            return self.outside_region or self.kecamatan is not None
        return self.kecamatan is not None and bool(self.landmark)

    def send_now(self, now: datetime, *, urgent: bool = False) -> None:
        """A resident in a hurry: what was not said takes a default that hides nothing and claims
        nothing (not sure how many or how old, seen now, no description or photo beyond those sent,
        anonymous, as an individual). Every field stays changeable on the review card."""
        self.quick = True
        if self.people_count is None:
            self.people_count = PeopleCount.UNKNOWN
        if self.age_group is None:
            self.age_group = AgeGroup.UNKNOWN
        self.description_done = True
        if self.seen_when is None or self.seen_at is None:
            self.seen_when, self.seen_at = SeenWhen.NOW, now
        self.photos_done = True
        self.urgent = urgent or bool(self.urgent)
        if self.reporter_type is None:
            self.reporter_type = ReporterType.PERORANGAN
        if self.anonymous is None:
            self.anonymous = True

    def missing(self) -> list[str]:
        """Steps still to do, in the order the bot asks them: what the report cannot do without
        (category, place), then "send now or tell more?" while anything else is unanswered;
        telling more asks the rest."""
        out = []
        if self.category is None:
            out.append("category")
        if not self.location_complete():
            out.append("location")
        rest = []
        if self.has_pin and not self.landmark_done and not self.landmark and self.quick is False:
            rest.append("landmark")
        if self.people_count is None:
            rest.append("people_count")
        if self.age_group is None:
            rest.append("age_group")
        if not self.description_done:
            rest.append("description")
        if self.seen_when is None or self.seen_at is None:
            rest.append("seen_when")
        if not self.photos_done:
            rest.append("photos")
        if self.urgent is None:
            rest.append("urgent")
        if self.reporter_type is None:
            rest.append("reporter_type")
        if self.anonymous is None:
            rest.append("anonymous")
        if rest and self.quick is None:
            out.append("pace")
        return out + rest
