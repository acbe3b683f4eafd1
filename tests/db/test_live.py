"""The live page's queries: however many calls are being put through, two queries read them all."""
from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session

from db.live import get_calls_being_put_through
from tests.call_support import press, start
from tests.callback_support import SWITCHBOARD, add_school


def test_the_live_calls_and_their_open_contacts_take_two_queries_however_many_calls(twilio, engine, clock):
    with Session(engine) as session:
        add_school(session)
    for n in range(4):
        sid = f"CA{n:032d}"
        press(twilio, start(twilio, call_sid=sid, caller=SWITCHBOARD), "1", call_sid=sid, caller=SWITCHBOARD)
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            calls = get_calls_being_put_through(session, clock.now)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(calls) == 4 and all(len(call.open_contacts) == 3 for call in calls)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
