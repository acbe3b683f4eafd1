"""The messages measure: messages left in the period by service and state now, and the median time to first action,
on the dashboard and in /api/stats."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from db.models import Message
from messages.states import save_state
from staff.cli import tokens_group
from tests.call_support import leave_message
from tests.conftest import IN_HOURS
from tests.staff_support import add_user, page, signed_in_client, table_rows


def left(twilio, engine, key: str, n: int) -> int:
    leave_message(twilio, key, call_sid=f"CA{n:032d}")
    with Session(engine) as session:
        return session.exec(select(Message).order_by(Message.id.desc())).first().id


def move(engine, message_id: int, state: str, minutes: int, assignee: str | None = None) -> None:
    with Session(engine) as session:
        save_state(session, message_id, state, assignee=assignee, actor="Sam", now=IN_HOURS + timedelta(minutes=minutes))


def stats(app) -> dict:
    token = app.test_cli_runner().invoke(tokens_group, ["create", "m"]).stdout.split(": ", 1)[1].strip()
    response = app.test_client().get("/api/stats", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.get_json()


def test_messages_are_counted_by_service_and_state_with_the_median_time_to_their_first_action(app, twilio, engine):
    add_user(app, "sam", "supervisor")
    first, second = left(twilio, engine, "2", 1), left(twilio, engine, "2", 2)
    left(twilio, engine, "3", 3)  # Early Help's, not yet touched
    move(engine, first, "assigned", 10, assignee="sam")
    move(engine, first, "called_back", 50)  # a later action: not the first
    move(engine, second, "closed", 30)
    messages = stats(app)["messages"]
    assert (messages["messages"], messages["acted_on"], messages["median_seconds_to_first_action"]) == (3, 2, 1200)
    assert messages["by_state"] == {"new": 1, "assigned": 0, "called_back": 1, "closed": 1}
    assert messages["by_service"]["DSL_INFOLINE"]["median_seconds_to_first_action"] == 1200
    assert messages["by_service"]["EARLY_HELP"] == {
        "messages": 1, "by_state": {"new": 1, "assigned": 0, "called_back": 0, "closed": 0}, "acted_on": 0,
        "median_seconds_to_first_action": None}


def test_the_dashboard_shows_the_messages_table_with_its_median(app, twilio, engine):
    add_user(app, "sam", "supervisor")
    move(engine, left(twilio, engine, "2", 1), "assigned", 5, assignee="sam")
    rows = table_rows(page(signed_in_client(app, "supervisor").get("/dashboard")), "table-messages")
    infoline = next(row for row in rows if row[0] == "DSL Infoline")
    assert infoline[1:6] == ["0", "1", "0", "0", "1"] and infoline[6] == "5 min 00 s"
