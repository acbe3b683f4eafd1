"""The report's measures per settled month: the same figures as counted from the contacts, kept current."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from itertools import count

import pytest
from sqlmodel import select

from contacts.states import save_status
from db.models import Call, Contact, Dsl, MonthlyOutcomeStat, Route, School, StatMonth, Verdict
from db.monthly_stats import count_measures, get_measures, split_period
from db.session import session_scope
from tests.db_support import lock_held_on

NOW = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
YEAR = (date(2025, 11, 25), date(2026, 11, 24))
ABBEY, BROOK = 100001, 100002
_ids = count(1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _add_contact(session, when: datetime, urn: int | None, outcome: str | None, dsl_id: int | None = None,
                 service: str = Route.MASH, decided_after: timedelta = timedelta(hours=20)) -> Contact:
    n = next(_ids)
    call = Call(call_sid=f"CA{n:032d}", caller="+447700900123", started_at=when - timedelta(minutes=3),
                route=service, service=service, school_urn=urn, dsl_id=dsl_id)
    session.add(call)
    session.flush()
    contact = Contact(reference=str(600000 + n), call_id=call.id, school_urn=urn, dsl_id=dsl_id, service=service,
                      created_at=when, status="decided" if outcome else "received", outcome=outcome,
                      promised_by=when + timedelta(days=1), first_promised_by=when + timedelta(days=1),
                      decided_at=when + decided_after if outcome else None)
    session.add(contact)
    session.flush()
    return contact


@pytest.fixture
def year(engine):
    """Contacts over three months, some at a month's London edges, with DSLs, promises and verdicts."""
    with session_scope(engine) as session:
        session.add_all([School(urn=ABBEY, name="Abbey Primary School", pupils=200, updated_at=NOW),
                         School(urn=BROOK, name="Brook Academy", pupils=1000, updated_at=NOW)])
        session.flush()
        dsl = Dsl(urn=ABBEY, name="Ann Example", trained_on=date(2025, 9, 1), updated_at=NOW)
        session.add(dsl)
        session.flush()
        rows = [
            (utc("2026-09-14 10:00"), ABBEY, "no_further_action", dsl.id),
            # 00:30 on 1 October in London (BST): October's, not September's.
            (utc("2026-09-30 23:30"), BROOK, "social_care_assessment", None),
            (utc("2026-10-07 14:00"), ABBEY, "early_help", dsl.id),
            (utc("2026-10-07 15:00"), None, "strategy_discussion", None),
            (utc("2026-10-31 23:30"), BROOK, None, None),  # 23:30 on 31 October in London (GMT): still October
            (utc("2026-11-03 09:00"), ABBEY, "no_further_action", None),
            (utc("2026-11-20 16:00"), BROOK, None, dsl.id),
        ]
        contacts = [_add_contact(session, *row) for row in rows]
        # Decided late: its promise was not kept (decided 3 days after, promised by the next day).
        _add_contact(session, utc("2026-10-12 10:00"), ABBEY, "other", decided_after=timedelta(days=3))
        _add_contact(session, utc("2026-10-13 10:00"), ABBEY, "advice_given", service=Route.DSL_INFOLINE)
        for n, (contact, answer) in enumerate(zip(contacts, ("answered", None, "needs_more", "answered"))):
            session.add(Verdict(source="callback", source_id=n + 1, contact_id=contact.id, answer=answer,
                                asked_at=contact.created_at + timedelta(days=1)))
    return engine


def _summed(measures) -> tuple:
    """Rows with equal keys summed, so a read from months and one from contacts compare."""
    def total(rows):
        sums = Counter()
        for *key, n in rows:
            sums[tuple(key)] += n
        return +sums
    return (total(measures.schools), total(measures.dsls), total(measures.times), +measures.promise,
            +measures.verdicts)


def test_a_year_read_from_settled_months_equals_the_year_counted_from_the_contacts(year):
    with session_scope(year) as session:
        from_months = get_measures(session, *YEAR, NOW)
        from_contacts = count_measures(session, *YEAR)
        built = session.exec(select(StatMonth.month).where(StatMonth.built_version == StatMonth.version)).all()
        october = session.exec(select(MonthlyOutcomeStat).where(MonthlyOutcomeStat.month == date(2026, 10, 1),
                                                                MonthlyOutcomeStat.dimension == "school")).all()
    assert _summed(from_months) == _summed(from_contacts)
    assert len(built) == 11, "December 2025 to October 2026 are settled whole months; November is not over"
    assert sorted(((row.key, row.outcome, row.contacts) for row in october), key=lambda r: (r[0] or 0, r[1])) == [
        (None, "strategy_discussion", 1), (ABBEY, "early_help", 1), (ABBEY, "other", 1),
        (BROOK, "social_care_assessment", 1), (BROOK, "undecided", 1)], \
        "October's MASH contacts in London time (the Infoline's left out), the unknown school apart"
    assert from_months.promise_kept() == {Route.MASH: (6, 5)}


def test_deciding_a_contact_of_a_built_month_is_in_the_next_report(app, year):
    with session_scope(year) as session:
        get_measures(session, *YEAR, NOW)
        undecided = session.exec(select(Contact).where(Contact.created_at == utc("2026-10-31 23:30"))).one()
        save_status(session, undecided.reference, "decided", outcome="early_help", actor="Sam Staff",
                    settings=app.config["SETTINGS"], now=NOW)
    with session_scope(year) as session:
        schools = Counter({(urn, outcome): n for urn, outcome, n in get_measures(session, *YEAR, NOW).schools})
    assert (schools[BROOK, "early_help"], schools[BROOK, "undecided"]) == (1, 1), \
        "October's contact is decided; November's is still undecided"


def test_a_contact_stored_later_into_a_built_month_is_counted(year):
    with session_scope(year) as session:
        get_measures(session, *YEAR, NOW)
        _add_contact(session, utc("2026-10-20 10:00"), BROOK, "strategy_discussion")  # an import, back-dated
    with session_scope(year) as session:
        measures = get_measures(session, *YEAR, NOW)
        assert _summed(measures) == _summed(count_measures(session, *YEAR))
    assert Counter({(u, o): n for u, o, n in measures.schools})[BROOK, "strategy_discussion"] == 1


def test_a_year_splits_into_its_settled_whole_months_and_the_days_at_either_end():
    months, spans = split_period(*YEAR, NOW)
    assert (months[0], months[-1], len(months)) == (date(2025, 12, 1), date(2026, 10, 1), 11)
    assert spans == [(date(2025, 11, 25), date(2025, 11, 30)), (date(2026, 11, 1), date(2026, 11, 24))]


def test_a_month_is_read_from_the_contacts_until_six_hours_after_it_ends():
    november = (date(2026, 11, 1), date(2026, 11, 30))
    assert split_period(*november, utc("2026-12-01 05:59")) == ([], [november])
    assert split_period(*november, utc("2026-12-01 06:00")) == ([date(2026, 11, 1)], [])


def test_a_period_within_one_month_is_read_from_the_contacts():
    assert split_period(date(2026, 10, 5), date(2026, 10, 20), NOW) == ([], [(date(2026, 10, 5), date(2026, 10, 20))])


def test_while_the_months_cannot_be_written_the_year_is_counted_from_the_contacts(year, json_log):
    with session_scope(year) as session, lock_held_on(year, "statmonth"):
        measures = get_measures(session, *YEAR, NOW)
    with session_scope(year) as session:
        assert _summed(measures) == _summed(count_measures(session, *YEAR))
        assert session.exec(select(StatMonth)).all() == [], "nothing was half-written"
    assert any(line.get("event") == "stats_build_failed" for line in json_log())
