"""Property tests: whatever a resident types, what the bot renders is valid for Telegram."""
from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.flows.report_nav import review_text
from botapi_emulator import parse_html
from core.draft import AgeGroup, PeopleCount, ReportDraft, ReporterType, SeenWhen
from core.i18n import translator
from core.tickets import format_ticket, normalise_ticket
from tests.harness import TEST_REGION

TEXT_LIMIT = 4096


def _region():
    from core.region import load_region_config

    return load_region_config(TEST_REGION)


REGION = _region()
typed = st.text(min_size=1, max_size=REGION.limits.description_max_chars)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(description=typed, landmark=st.text(min_size=1, max_size=REGION.limits.landmark_max_chars),
       lang=st.sampled_from(["id", "en"]), category=st.sampled_from([c.code for c in REGION.categories]))
def test_review_card_is_valid_html_within_the_limit(description, landmark, lang, category):
    draft = ReportDraft(
        category=category, kecamatan="Alpha", desa="Alpha Dua", landmark=landmark,
        people_count=PeopleCount.FEW, age_group=AgeGroup.MIXED, description=description, description_done=True,
        seen_when=SeenWhen.AT_TIME, seen_at=datetime(2026, 11, 23, 3, tzinfo=UTC), photos_done=True,
        urgent=True, reporter_type=ReporterType.KELOMPOK, anonymous=False,
    )
    html = review_text(translator(lang), REGION, draft)
    parsed = parse_html(html)  # raises on anything Telegram would refuse to parse
    assert 0 < len(parsed.text) <= TEXT_LIMIT
    assert description.strip()[:20] in parsed.text or not description.strip()


@given(st.text(max_size=60))
@example("AA:AAAA:A")  # once raised: three groups of letters
@example("PSR-٢٦١١-٤٢")  # digits of another script
def test_normalise_ticket_never_raises_and_round_trips(text):
    result = normalise_ticket(text)
    assert result is None or normalise_ticket(result) == result


@given(st.sampled_from(["PSR", "UJI", "ABCDE"]), st.integers(0, 99), st.integers(1, 12), st.integers(1, 99999))
def test_formatted_tickets_parse_back(prefix, year, month, number):
    ticket = format_ticket(prefix, f"{year:02d}{month:02d}", number)
    assert normalise_ticket(ticket) == ticket
