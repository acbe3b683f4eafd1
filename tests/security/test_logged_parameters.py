"""Attack surface: a failed query's error, as it is logged, quotes the values it tried to store."""
from __future__ import annotations

import uuid

from sqlmodel import Session

from db.models import Call
from db.session import make_engine
from tests.conftest import IN_HOURS

SECRET_REASON = "Jane Doe aged 7"


def test_a_failed_save_names_no_value_in_its_error(database_url):
    engine = make_engine(database_url)
    Call.metadata.create_all(engine)
    sid = "CA" + uuid.uuid4().hex
    with Session(engine) as session:
        session.add(Call(call_sid=sid, caller="+442079460999", started_at=IN_HOURS))
        session.commit()
        session.add(Call(call_sid=sid, caller=SECRET_REASON, started_at=IN_HOURS))  # a duplicate
        try:
            session.commit()
            raise AssertionError("the duplicate was stored")
        except Exception as exc:  # IntegrityError: the message is what the log would print
            message = str(exc)
    engine.dispose()
    assert "Jane" not in message and "2079460999" not in message
    assert "hidden due to hide_parameters" in message
