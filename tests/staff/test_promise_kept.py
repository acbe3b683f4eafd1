"""Promises kept: the share of a period's MASH and EDT decisions made by the first promised time, against
PROMISE_TARGET, on the dashboard and in /api/stats."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from callbacks import planner
from db.contacts import get_promise_kept
from db.models import Route
from staff.cli import tokens_group
from tests.callback_support import add_contact, add_school, decide
from tests.staff_support import page, signed_in_client, table_rows, utc


@pytest.fixture
def decisions(app, engine) -> None:
    """In the default period (26 October to 24 November): MASH decided once on time and once late after the
    planner moved its promise on, EDT once on time; an Infoline outcome, one before the period, one undecided."""
    settings = app.config["SETTINGS"]
    with Session(engine) as session:
        add_school(session)
        on_time = add_contact(session, utc("2026-11-16 10:00"), promised_by=utc("2026-11-17 17:30"))
        late = add_contact(session, utc("2026-11-16 11:00"), promised_by=utc("2026-11-17 17:30"))
        edt = add_contact(session, utc("2026-11-20 22:00"), promised_by=utc("2026-11-23 17:30"), service=Route.EDT)
        infoline = add_contact(session, utc("2026-11-20 10:00"), service=Route.DSL_INFOLINE)
        before = add_contact(session, utc("2026-10-19 10:00"), promised_by=utc("2026-10-20 17:30"))
        add_contact(session, utc("2026-11-19 10:00"), promised_by=utc("2026-11-20 17:00"))  # still undecided
    decide(app, engine, on_time, now=utc("2026-11-17 12:00"))
    with Session(engine) as session:
        # Wednesday 09:00: the late one is told "now expected by Thursday 17:30" ...
        planner.schedule_overdue_updates(session, settings, utc("2026-11-18 09:00"))
    decide(app, engine, late, now=utc("2026-11-19 10:00"))  # ... and decided by then, but after the first promise
    decide(app, engine, edt, now=utc("2026-11-23 11:00"))
    decide(app, engine, infoline, outcome="advice_given", now=utc("2026-11-20 10:30"))
    decide(app, engine, before, now=utc("2026-10-21 10:00"))


def _stats(app, query: str = "") -> dict:
    token = app.test_cli_runner().invoke(tokens_group, ["create", "kept"]).stdout.split(": ", 1)[1].strip()
    response = app.test_client().get(f"/api/stats{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.get_json()


def test_promise_kept_counts_decisions_by_the_first_promise_per_service_and_ignores_services_without_one(
        app, decisions):
    assert _stats(app)["promise_kept"] == {
        "decided": 3, "kept": 2, "rate": 2 / 3, "target": 0.9,
        "by_service": {"MASH": {"decided": 2, "kept": 1, "rate": 0.5}, "EDT": {"decided": 1, "kept": 1, "rate": 1.0}},
    }


def test_the_query_counts_only_the_services_that_promise_a_decision(engine, decisions):
    with Session(engine) as session:
        assert get_promise_kept(session, utc("2026-10-26 00:00"), utc("2026-11-25 00:00")) == {
            Route.MASH: (2, 1), Route.EDT: (1, 1)}


def test_promise_kept_counts_the_decisions_made_in_the_period(app, decisions):
    kept = _stats(app, "?from=2026-10-01&to=2026-10-31")["promise_kept"]
    assert (kept["decided"], kept["kept"], kept["by_service"]["MASH"]["decided"]) == (1, 0, 1), "a day late"


def test_with_no_decisions_promise_kept_is_zero_of_zero(app):
    assert _stats(app)["promise_kept"] == {
        "decided": 0, "kept": 0, "rate": 0.0, "target": 0.9,
        "by_service": {"MASH": {"decided": 0, "kept": 0, "rate": 0.0}, "EDT": {"decided": 0, "kept": 0, "rate": 0.0}},
    }


def test_the_dashboard_shows_promises_kept_per_service_with_the_target_drawn(app, decisions):
    doc = page(signed_in_client(app, "supervisor").get("/dashboard"))
    assert table_rows(doc, "table-promise_kept") == [["MASH", "2", "1", "50.0%", "90.0%"],
                                                      ["Emergency Duty Team", "1", "1", "100.0%", "90.0%"],
                                                      ["All", "3", "2", "66.7%", "90.0%"]]
    [chart] = doc.xpath("//svg[@id='chart-promise_kept']")
    assert [" ".join(t.split()) for t in chart.xpath(".//text/text()")] == [
        "MASH", "50% of 2", "Emergency Duty Team", "100% of 1", "All", "67% of 3", "Target 90%"]
    assert len(chart.xpath(".//*[@class='chart__target']")) == 1
    assert doc.xpath("//*[@id='figure-promise-kept']/text()") == ["66.7%"]
    assert doc.xpath("//*[@id='promise-kept-note']//a/@href") == ["/contacts?overdue=1"]


def test_a_service_with_no_decisions_shows_a_dash_and_no_bar(app, engine):
    with Session(engine) as session:
        contact = add_contact(session, utc("2026-11-16 10:00"), promised_by=utc("2026-11-17 17:30"), urn=None)
    decide(app, engine, contact, now=utc("2026-11-18 12:00"))
    doc = page(signed_in_client(app, "supervisor").get("/dashboard"))
    assert table_rows(doc, "table-promise_kept")[1] == ["Emergency Duty Team", "0", "0", "–", "90.0%"]
    chart_labels = doc.xpath("//svg[@id='chart-promise_kept']//text/text()")
    assert "Emergency Duty Team" not in chart_labels and "0% of 1" in chart_labels


@pytest.fixture
def three_quarters(settings_env):
    settings_env["PROMISE_TARGET"] = "0.75"


def test_the_target_comes_from_the_promise_target_setting(three_quarters, app):
    assert _stats(app)["promise_kept"]["target"] == 0.75
    doc = page(signed_in_client(app, "supervisor").get("/dashboard"))
    assert "Target 75%" in doc.xpath("//svg[@id='chart-promise_kept']//text/text()")
