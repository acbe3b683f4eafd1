"""`ivr contacts import-events FILE.csv [--dry-run]`: the case system's exported statuses, applied row by row."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from contacts.cli import contacts_group
from db.models import Contact, ContactEvent
from tests.callback_support import add_contact, add_school, callbacks_of
from tests.conftest import IN_HOURS

HEADING = "reference,event_id,status,outcome,reason_code,occurred_at,actor\n"


@pytest.fixture
def two_contacts(engine) -> list[Contact]:
    with Session(engine) as session:
        add_school(session)
        return [add_contact(session, IN_HOURS - timedelta(hours=3)) for _ in range(2)]


def _file(tmp_path, contacts, extra: str = "") -> str:
    a, b = (c.reference for c in contacts)
    path = tmp_path / "events.csv"
    path.write_text(HEADING
                    + f"{a},E1,being_assessed,,,2026-11-24T08:00:00Z,Sam Social Worker\n"
                    + f"{a},E2,decided,early_help,,2026-11-24T09:00:00Z,Sam Social Worker\n"
                    + f"{b},E3,decided,no_further_action,,2026-11-24T09:00:00Z,Sam Social Worker\n"  # no reason
                    + "999999,E4,decided,early_help,,2026-11-24T09:00:00Z,Sam Social Worker\n"
                    + f"{b},E5,being_assessed,,,yesterday,Sam Social Worker\n" + extra)
    return str(path)


def _statuses(engine, contacts) -> list[str]:
    with Session(engine) as session:
        return [session.get(Contact, c.id).status for c in contacts]


def test_each_row_is_applied_in_order_and_each_rejected_row_is_printed_with_its_number_and_reason(
        app, engine, two_contacts, tmp_path):
    result = app.test_cli_runner().invoke(contacts_group, ["import-events", _file(tmp_path, two_contacts)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Row 4: No further action needs a standard reason: choose the one the DSL will be told.",
        "Row 5: No contact has the reference '999999'.",
        "Row 6: 'occurred_at' must be an ISO 8601 time, such as 2026-11-24T10:00:00Z."]
    assert result.stdout.strip() == "2 applied, 0 already applied (unchanged), 3 rejected."
    assert _statuses(engine, two_contacts) == ["decided", "received"]
    assert [c.kind for c in callbacks_of(engine, two_contacts[0].id)] == ["decision"]


def test_running_the_same_file_again_changes_nothing(app, engine, two_contacts, tmp_path):
    path = _file(tmp_path, two_contacts)
    app.test_cli_runner().invoke(contacts_group, ["import-events", path])
    callbacks = len(callbacks_of(engine))
    again = app.test_cli_runner().invoke(contacts_group, ["import-events", path])
    assert again.stdout.strip() == "0 applied, 2 already applied (unchanged), 3 rejected."
    assert len(callbacks_of(engine)) == callbacks
    with Session(engine) as session:
        assert len(session.exec(select(ContactEvent)).all()) == 2


def test_a_dry_run_reports_what_would_happen_and_changes_nothing(app, engine, two_contacts, tmp_path):
    result = app.test_cli_runner().invoke(contacts_group, ["import-events", "--dry-run",
                                                           _file(tmp_path, two_contacts)])
    assert result.stdout.strip() == ("2 would be applied, 0 already applied (unchanged), 3 rejected "
                                     "(a dry run: nothing was changed).")
    assert len(result.stderr.splitlines()) == 3
    assert _statuses(engine, two_contacts) == ["received", "received"]
    assert callbacks_of(engine) == []


def test_a_dry_run_follows_each_contact_through_the_file(app, engine, two_contacts, tmp_path):
    a = two_contacts[0].reference
    path = tmp_path / "events.csv"
    path.write_text(HEADING + f"{a},E1,decided,early_help,,2026-11-24T09:00:00Z,Sam\n"
                    + f"{a},E2,being_assessed,,,2026-11-24T09:10:00Z,Sam\n"
                    + f"{a},E1,decided,early_help,,2026-11-24T09:00:00Z,Sam\n")
    result = app.test_cli_runner().invoke(contacts_group, ["import-events", "--dry-run", str(path)])
    assert result.stderr.splitlines() == ["Row 3: A contact cannot move back from decided to being assessed."]
    assert result.stdout.startswith("1 would be applied, 1 already applied")


def test_a_file_without_the_columns_is_refused_before_any_row(app, engine, two_contacts, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("ref,status\n123456,decided\n")
    result = app.test_cli_runner().invoke(contacts_group, ["import-events", str(path)])
    assert result.exit_code == 1 and "missing reference, event_id, occurred_at, actor" in result.output
    assert _statuses(engine, two_contacts) == ["received", "received"]


def test_a_dry_run_refuses_an_event_id_used_for_two_contacts_as_the_real_run_does(app, engine, two_contacts,
                                                                                  tmp_path):
    a, b = (c.reference for c in two_contacts)
    path = tmp_path / "events.csv"
    path.write_text(HEADING + f"{a},E1,being_assessed,,,2026-11-24T08:00:00Z,Sam\n"
                    + f"{b},E1,being_assessed,,,2026-11-24T08:00:00Z,Sam\n")
    dry = app.test_cli_runner().invoke(contacts_group, ["import-events", "--dry-run", str(path)])
    real = app.test_cli_runner().invoke(contacts_group, ["import-events", str(path)])
    assert dry.stderr == real.stderr == "Row 3: This event_id was already sent for another contact.\n"
    assert dry.exit_code == real.exit_code == 1


def test_a_rejected_row_is_named_by_its_line_in_the_file_past_blank_lines(app, engine, two_contacts, tmp_path):
    a = two_contacts[0].reference
    path = tmp_path / "events.csv"
    path.write_text(HEADING + "\n" + f"{a},E1,decided,,,2026-11-24T08:00:00Z,Sam\n")
    result = app.test_cli_runner().invoke(contacts_group, ["import-events", str(path)])
    assert result.stderr.startswith("Row 3: A decision needs an outcome.")
