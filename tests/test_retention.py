"""Retention: past RETENTION_DAYS recording links go and caller numbers are anonymised; statistics stay."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from db.models import Call, Callback, Contact, Route, Trial, TrialAssignment
from db.retention import run_retention

NOW = datetime(2027, 3, 1, 3, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=401)
RECENT = NOW - timedelta(days=399)
CALLER = "+442079460999"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"


@pytest.fixture
def settings(app):
    return app.config["SETTINGS"]


def _call(session, sid, started_at, route=Route.VOICEMAIL, recording=RECORDING):
    call = Call(call_sid=sid, caller=CALLER, called="+442079460001", started_at=started_at, route=route,
                service=Route.DSL_INFOLINE, recording_url=recording, duration_s=42)
    session.add(call)
    session.flush()
    return call


@pytest.fixture
def calls(engine):
    with Session(engine) as session:
        old = _call(session, "CA" + "a" * 32, OLD)
        recent = _call(session, "CA" + "b" * 32, RECENT)
        old_mash = _call(session, "CA" + "c" * 32, OLD, route=Route.MASH, recording=None)
        session.add(Contact(reference="123456", call_id=old_mash.id, caller=CALLER, created_at=OLD))
        session.add(Contact(reference="654321", call_id=recent.id, caller=CALLER, created_at=RECENT))
        session.commit()
    return engine


def _by_sid(engine, sid) -> Call:
    with Session(engine) as session:
        return session.exec(select(Call).where(Call.call_sid == sid)).one()


def test_a_recording_link_older_than_the_retention_period_is_deleted(calls, settings):
    run_retention(calls, settings, NOW)
    old = _by_sid(calls, "CA" + "a" * 32)
    assert old.recording_url is None
    assert old.recording_deleted is True


def test_a_caller_number_older_than_the_retention_period_is_anonymised_on_calls_and_contacts(calls, settings):
    run_retention(calls, settings, NOW)
    assert _by_sid(calls, "CA" + "a" * 32).caller is None
    with Session(calls) as session:
        contact = session.exec(select(Contact).where(Contact.reference == "123456")).one()
    assert contact.caller is None


def test_records_inside_the_retention_period_are_untouched(calls, settings):
    run_retention(calls, settings, NOW)
    recent = _by_sid(calls, "CA" + "b" * 32)
    assert (recent.caller, recent.recording_url, recent.recording_deleted) == (CALLER, RECORDING, False)
    with Session(calls) as session:
        contact = session.exec(select(Contact).where(Contact.reference == "654321")).one()
    assert contact.caller == CALLER


def test_statistics_still_add_up_after_retention(calls, settings):
    def routes():
        with Session(calls) as session:
            return sorted(session.exec(select(Call.route, Call.service, Call.duration_s, Call.started_at)).all())

    before = routes()
    run_retention(calls, settings, NOW)
    assert routes() == before
    with Session(calls) as session:
        assert session.exec(select(func.count()).select_from(Contact)).one() == 2


def test_the_report_counts_what_was_changed_and_a_second_run_changes_nothing(calls, settings):
    first = run_retention(calls, settings, NOW)
    assert first["recordings_deleted"] == 1
    assert first["calls_anonymised"] == 2
    assert first["contacts_anonymised"] == 1
    second = run_retention(calls, settings, NOW)
    assert (second["recordings_deleted"], second["calls_anonymised"], second["contacts_anonymised"]) == (0, 0, 0)


def test_the_retention_period_follows_the_setting(calls, settings):
    run_retention(calls, replace(settings, retention_days=30), NOW)
    assert _by_sid(calls, "CA" + "b" * 32).caller is None


def test_the_default_retention_period_is_400_days(settings):
    assert settings.retention_days == 400


def test_a_sent_callback_past_retention_loses_its_number_but_a_pending_one_keeps_it(calls, settings):
    with Session(calls) as session:
        contact = session.exec(select(Contact).where(Contact.reference == "123456")).one()
        for state in ("delivered", "scheduled"):
            session.add(Callback(contact_id=contact.id, kind="decision", channel="sms", to_number=CALLER,
                                 body="Reference 123456: decided.", due_at=OLD, state=state, created_at=OLD))
        session.commit()
    run_retention(calls, settings, NOW)
    with Session(calls) as session:
        numbers = dict(session.exec(select(Callback.state, Callback.to_number)).all())
    assert numbers == {"delivered": "", "scheduled": CALLER}


def test_sticky_trial_variants_of_a_long_finished_trial_no_longer_hold_the_caller_number(calls, settings):
    with Session(calls) as session:
        trial = Trial(name="wording-2025", variants={"control": {}}, allocation={"control": 1.0},
                      starts_at=OLD - timedelta(days=30), ends_at=OLD)
        session.add(trial)
        session.flush()
        session.add(TrialAssignment(trial_id=trial.id, caller=CALLER, variant="control"))
        session.commit()
    run_retention(calls, settings, NOW)
    with Session(calls) as session:
        assignments = session.exec(select(TrialAssignment)).all()
    assert len(assignments) == 1
    assert assignments[0].caller != CALLER and assignments[0].variant == "control"
