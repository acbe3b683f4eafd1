"""Contacts past their promised time: the first promise is kept, and `ivr contacts list --overdue` lists them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from callbacks import planner
from contacts.cli import contacts_group
from contacts.overdue import overdue_by
from db.models import Contact
from tests.callback_support import SCHOOL_URN, add_contact
from tests.conftest import IN_HOURS
from tests.staff_support import utc


def invoke(app, *args):
    return app.test_cli_runner().invoke(contacts_group, list(args))


def test_a_contact_keeps_its_first_promise_when_the_planner_moves_it_on(app, engine, overdue_week):
    with Session(engine) as session:
        planner.schedule_overdue_updates(session, app.config["SETTINGS"], IN_HOURS)
        oldest = session.get(Contact, overdue_week["oldest"].id)
        assert oldest.first_promised_by == utc("2026-11-20 17:00")
        assert oldest.promised_by == utc("2026-11-25 17:30"), "the DSL is told the end of the next working day"


def test_list_overdue_prints_undecided_contacts_past_their_promise_oldest_first_with_the_time_and_how_late(app, overdue_week):
    result = invoke(app, "list", "--overdue")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{overdue_week['oldest'].reference}  -  -  received  2026-11-20T17:00+00:00  3 days 17 hours overdue",
        f"{overdue_week['recent'].reference}  -  {SCHOOL_URN}  received  2026-11-23T17:30+00:00  16 hours 30 minutes overdue",
    ]


def test_list_overdue_still_lists_a_contact_by_its_first_promise_after_the_planner_moved_it(app, engine, overdue_week):
    with Session(engine) as session:
        planner.schedule_overdue_updates(session, app.config["SETTINGS"], IN_HOURS)
    lines = invoke(app, "list", "--overdue").stdout.splitlines()
    assert [line.split()[0] for line in lines] == [overdue_week["oldest"].reference, overdue_week["recent"].reference]
    assert "2026-11-20T17:00+00:00" in lines[0]


def test_list_overdue_prints_the_promise_in_london_time(app, engine, clock):
    with Session(engine) as session:
        contact = add_contact(session, utc("2026-07-01 09:00"), promised_by=utc("2026-07-02 16:30"), urn=None)
    clock.now = utc("2026-07-03 09:00")
    assert invoke(app, "list", "--overdue").stdout.split()[4:] == ["2026-07-02T17:30+01:00", "16", "hours", "30",
                                                                   "minutes", "overdue"], contact.reference


def test_list_overdue_takes_the_status_and_limit_options_too(app, engine, overdue_week):
    with Session(engine) as session:
        session.get(Contact, overdue_week["recent"].id).status = "being_assessed"
        session.commit()
    assert [line.split()[0] for line in invoke(app, "list", "--overdue", "--status", "being_assessed").stdout
            .splitlines()] == [overdue_week["recent"].reference]
    assert [line.split()[0] for line in invoke(app, "list", "--overdue", "--limit", "1").stdout.splitlines()] == \
        [overdue_week["oldest"].reference]


def test_list_overdue_says_so_on_stderr_when_no_contact_is_late(app, engine):
    with Session(engine) as session:
        add_contact(session, IN_HOURS, promised_by=IN_HOURS + timedelta(days=1), urn=None)
    result = invoke(app, "list", "--overdue")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == "No contacts past their promised time.\n"


@pytest.mark.parametrize("late, words", [
    (timedelta(days=2, hours=3, minutes=20), "2 days 3 hours"),
    (timedelta(days=1, minutes=5), "1 day"),
    (timedelta(hours=1, minutes=1), "1 hour 1 minute"),
    (timedelta(hours=5), "5 hours"),
    (timedelta(minutes=40, seconds=30), "40 minutes"),
    (timedelta(seconds=20), "less than a minute"),
])
def test_how_long_overdue_reads_in_its_two_largest_units(late, words):
    assert overdue_by(IN_HOURS - late, IN_HOURS) == words
