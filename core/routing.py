"""Routing is data: (region, category) -> primary agency queue, agencies informed, response target."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.region import RegionConfig


@dataclass(frozen=True)
class Routing:
    agency: str
    informed: tuple[str, ...]
    response_minutes: int

    def due(self, submitted_at: datetime) -> datetime:
        return submitted_at + timedelta(minutes=self.response_minutes)


def route(region: RegionConfig, category_code: str, *, urgent: bool) -> Routing:
    category = region.category(category_code)
    minutes = category.urgent_response_minutes if urgent else category.response_minutes
    informed = tuple(a for a in category.informed if a != category.primary)
    return Routing(agency=category.primary, informed=informed, response_minutes=minutes)
