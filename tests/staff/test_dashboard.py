"""The supervisors' dashboard: every figure checked against a seeded month of calls, on both databases."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlmodel import Session, select

from db.daily_stats import first_live_day, save_days_changed
from db.models import Call, StatDay
from staff.figures import FIGURES
from staff.report import gather_report
from staff.stats import Period
from tests.staff_support import EXPECTED, decide_seeded_contacts, page, seed_month, signed_in_client, table_rows, utc


def _figure(doc, name: str) -> str:
    return doc.get_element_by_id(f"figure-{name}").text_content().strip()


def _dashboard(app, query: str = ""):
    seed_month(app.extensions["db_engine"])
    client = signed_in_client(app, "supervisor")
    response = client.get(f"/dashboard{query}")
    assert response.status_code == 200
    return client, page(response)


def test_the_dashboard_shows_the_last_30_days_by_default(app):
    _, doc = _dashboard(app)
    assert doc.get_element_by_id("from").value == "2026-10-26"
    assert doc.get_element_by_id("to").value == "2026-11-24"
    assert _figure(doc, "calls") == "10"
    assert _figure(doc, "diversion") == "37.5%"
    assert _figure(doc, "abandonment") == "10.0%"
    assert _figure(doc, "median") == "15 s"
    assert _figure(doc, "input") == "20.0% / 10.0%"
    assert _figure(doc, "follow-up") == "–"
    assert "3 newer still open to follow-up" in doc.get_element_by_id("follow-up-note").text_content()


def test_calls_by_route_are_counted_with_their_share(app):
    _, doc = _dashboard(app)
    rows = {row[0]: row[1:] for row in table_rows(doc, "table-routes")}
    assert rows["MASH"] == ["3", "30.0%"]
    assert rows["DSL Infoline"] == ["2", "20.0%"]
    assert rows["Early Help"] == ["1", "10.0%"]
    assert rows["Hung up in the menu"] == ["1", "10.0%"]
    assert rows["Left a message"] == ["1", "10.0%"]
    destinations = {row[0]: row[1] for row in table_rows(doc, "table-destinations")}
    # The urgent message left for MASH counts as reaching MASH.
    assert destinations == {"MASH": "4", "DSL Infoline": "2", "Early Help": "1", "Emergency Duty Team": "1"}


def test_transfer_outcomes_callbacks_and_identified_share_match_the_seed(app):
    _, doc = _dashboard(app)
    transfers = {row[0]: row[1] for row in table_rows(doc, "table-transfers")}
    assert transfers == {"Answered": "7", "No answer": "1"}
    callbacks = {row[0]: row[1] for row in table_rows(doc, "table-callbacks")}
    assert callbacks["Delivered"] == "1" and callbacks["Failed"] == "1" and callbacks["Scheduled"] == "1"
    identified = {row[0]: row[1:] for row in table_rows(doc, "table-identified")}
    assert identified == {"Identified": ["7", "70.0%"], "Not identified": ["3", "30.0%"]}


def test_out_of_hours_shows_only_calls_when_the_services_were_closed(app):
    _, doc = _dashboard(app, "?hours=out")
    assert _figure(doc, "calls") == str(EXPECTED["out_of_hours_calls"])
    rows = {row[0]: row[1] for row in table_rows(doc, "table-routes")}
    assert rows["Emergency Duty Team"] == "1" and rows["Checked on a contact (option 4)"] == "1"
    assert rows["MASH"] == "0"
    assert doc.xpath("//input[@name='hours'][@value='out']/@checked")


def test_in_hours_shows_only_calls_in_opening_hours(app):
    _, doc = _dashboard(app, "?hours=in")
    assert _figure(doc, "calls") == str(EXPECTED["in_hours_calls"])


def test_a_chosen_date_range_counts_only_its_days(app):
    _, doc = _dashboard(app, "?from=2026-11-10&to=2026-11-12")
    assert _figure(doc, "calls") == "4"
    daily = table_rows(doc, "table-daily")
    assert [row[:2] for row in daily] == [["2026-11-10", "2"], ["2026-11-11", "0"], ["2026-11-12", "2"]]


def test_the_daily_trend_has_a_row_for_every_day_of_the_period(app):
    _, doc = _dashboard(app)
    daily = {row[0]: row for row in table_rows(doc, "table-daily")}
    assert len(daily) == 30
    assert daily["2026-11-24"][1] == "2" and daily["2026-11-23"][1] == "1" and daily["2026-11-01"][1] == "0"


def test_the_hour_of_week_pattern_counts_calls_by_london_weekday_and_hour(app):
    _, doc = _dashboard(app)
    grid = {row[0]: [int(v.replace(",", "")) for v in row[1:]] for row in table_rows(doc, "table-hour_of_week")}
    assert grid["Tuesday"][9] == 3  # two calls on the 10th and one today, all 09:xx
    assert grid["Tuesday"][8] == 1 and grid["Thursday"][14] == 2 and grid["Sunday"][22] == 1
    assert sum(sum(line) for line in grid.values()) == EXPECTED["calls"]


def test_schools_are_ranked_by_mash_contacts_with_contacts_per_100_pupils(app):
    _, doc = _dashboard(app)
    top = table_rows(doc, "table-top_schools")
    assert [row[:4] for row in top] == [["1", "Brook Academy", "100002", "3"],
                                        ["2", "Abbey Primary School", "100001", "2"]]
    assert top[0][5] == "0.3" and top[1][5] == "1.0"
    per_route = {row[0]: row for row in table_rows(doc, "table-schools")}
    assert per_route["Brook Academy"][3] == "4"  # calls
    assert "Castle Infant School" not in per_route  # its only call is before the period


def test_every_chart_has_a_title_and_sits_beside_a_table_of_its_figures(app):
    _, doc = _dashboard(app)
    charts = doc.xpath("//svg[@role='img']")
    assert len(charts) == 10
    for chart in charts:
        assert chart.xpath("./title/text()"), "every chart is named for screen readers"
    for pair in doc.xpath("//div[@class='pair']"):
        assert pair.xpath(".//svg") and pair.xpath(".//table")
    for wide in doc.xpath("//figure[@class='wide-chart']"):
        assert wide.xpath("following-sibling::div[1]//table"), "a wide chart has its table right after it"
    assert not doc.xpath("//script"), "the dashboard needs no JavaScript"


def test_figures_read_from_built_days_equal_figures_counted_from_the_calls(app, engine):
    seed_month(engine)
    period = Period(date(2026, 10, 26), date(2026, 11, 24))
    with Session(engine) as session:
        # At 10:00 on the 24th days up to the 23rd are built; 40 days later every day of the period is.
        mixed = gather_report(session, period, utc("2026-11-24 10:00"))
        built = gather_report(session, period, utc("2027-01-03 10:00"))
        days = set(session.exec(select(StatDay.day)))
    assert date(2026, 11, 24) in days and date(2026, 10, 19) not in days
    for key in ("calls", "by_route", "by_destination", "diversion", "median_seconds_to_route", "transfer_outcomes",
                "hour_of_week", "by_school", "daily", "identified", "no_input", "invalid_key"):
        assert mixed[key] == built[key], key


def test_a_past_day_changed_later_is_rebuilt_once_marked(app, engine):
    seed_month(engine)
    period = Period(date(2026, 11, 10), date(2026, 11, 10))
    now = utc("2026-11-24 10:00")
    with Session(engine) as session:
        assert gather_report(session, period, now)["by_route"]["MASH"] == 1
        call = session.exec(select(Call).where(Call.started_at == utc("2026-11-10 09:30"))).one()
        call.route = "MASH"
        session.commit()
        assert gather_report(session, period, now)["by_route"]["MASH"] == 1, "a built day is read, not recounted"
        save_days_changed(session, [date(2026, 11, 10)])
        assert gather_report(session, period, now)["by_route"]["MASH"] == 2


def test_a_call_still_in_the_menu_counts_as_in_progress(app, engine):
    with Session(engine) as session:
        session.add(Call(call_sid="CA" + "7" * 32, caller="withheld", started_at=utc("2026-11-24 09:59")))
        session.commit()
        report = gather_report(session, Period(date(2026, 11, 24), date(2026, 11, 24)), utc("2026-11-24 10:00"))
    assert report["calls"] == 1 and report["by_route"]["IN_PROGRESS"] == 1
    assert report["median_seconds_to_route"] is None


def test_an_empty_database_shows_zeros(app):
    client = signed_in_client(app, "supervisor")
    doc = page(client.get("/dashboard"))
    assert _figure(doc, "calls") == "0" and _figure(doc, "median") == "–"


def test_staff_without_the_supervisor_role_cannot_open_the_dashboard(app):
    client = signed_in_client(app, "staff")
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/routes.csv").status_code == 403
    assert client.get("/exports/calls.csv").status_code == 403


def test_a_bad_date_range_gets_a_400_page_saying_why(app):
    client = signed_in_client(app, "supervisor")
    response = client.get("/dashboard?from=2026-11-30&to=2026-11-01")
    assert response.status_code == 400
    assert "must not be after" in page(response).text_content()
    assert client.get("/dashboard?from=30/11/2026").status_code == 400
    assert client.get("/dashboard?hours=weekends").status_code == 400


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "a UTF-8 byte-order mark, so Excel reads it as UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_each_table_downloads_as_csv_with_the_same_figures(app):
    seed_month(app.extensions["db_engine"])
    decide_seeded_contacts(app.extensions["db_engine"])
    client = signed_in_client(app, "supervisor")
    doc = page(client.get("/dashboard"))
    links = doc.xpath("//a[contains(@class,'csv-link')]/@href")
    assert len(links) == len(FIGURES)  # every declared figure downloads
    for link in links:
        assert len(_csv(client.get(link))) >= 2
    routes = _csv(client.get("/dashboard/routes.csv"))
    assert routes[0] == ["Route", "Calls", "Share (%)"]
    assert ["MASH", "3", "30.0"] in routes
    top = _csv(client.get("/dashboard/top_schools.csv"))
    assert top[1][:4] == ["1", "Brook Academy", "100002", "3"]
    assert client.get("/dashboard/nothing.csv").status_code == 404


def test_the_calls_csv_has_one_row_per_call_in_london_time(app):
    client, _ = _dashboard(app)
    rows = _csv(client.get("/exports/calls.csv?from=2026-11-10&to=2026-11-24"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Started (Europe/London)", "In hours", "Route"]
    assert len(body) == 10
    first = dict(zip(header, body[0]))
    assert first["Started (Europe/London)"] == "2026-11-10 09:00:00"
    assert first["Reference"] == "400001" and first["School"] == "Abbey Primary School"
    assert first["Caller number"] == "0121 496 0001", "UK form, which Excel keeps as text"
    assert first["Seconds to route"] == "12"


def test_a_school_name_that_looks_like_a_formula_is_neutralised_in_csv(app, engine):
    from db.models import School

    seed_month(engine)
    with Session(engine) as session:
        session.get(School, 100002).name = "=HYPERLINK(\"http://x\")"
        session.commit()
    client = signed_in_client(app, "supervisor")
    rows = _csv(client.get("/dashboard/top_schools.csv"))
    assert rows[1][1].startswith("'=")


def test_summer_time_days_are_bucketed_in_london_time(app, engine):
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
    with Session(engine) as session:
        session.add(Call(call_sid="CA" + "5" * 32, caller="withheld", started_at=utc("2026-07-01 23:30"),
                         route="MASH", routed_at=utc("2026-07-01 23:30") + timedelta(seconds=5)))
        session.commit()
        report = gather_report(session, Period(date(2026, 7, 2), date(2026, 7, 2)), utc("2026-11-24 10:00"))
    assert report["calls"] == 1
    assert report["hour_of_week"][3][0] == 1  # Thursday 00:00-01:00


def test_a_call_stored_later_into_a_built_day_is_counted(app, engine):
    seed_month(engine)
    period = Period(date(2026, 11, 10), date(2026, 11, 10))
    now = utc("2026-11-24 10:00")
    with Session(engine) as session:
        assert gather_report(session, period, now)["calls"] == 2
        session.add(Call(call_sid="CA" + "6" * 32, caller="withheld", started_at=utc("2026-11-10 15:00"),
                         route="EARLY_HELP", routed_at=utc("2026-11-10 15:00:20")))
        session.commit()
        report = gather_report(session, period, now)
    assert report["calls"] == 3 and report["by_route"]["EARLY_HELP"] == 1


def test_a_day_settles_six_hours_after_it_ends_when_no_call_can_still_change():
    # A call lasts at most four hours: a call begun at 23:59 has had its last webhook by 06:00.
    assert first_live_day(utc("2026-11-24 05:59")) == date(2026, 11, 23)
    assert first_live_day(utc("2026-11-24 06:00")) == date(2026, 11, 24)
    assert first_live_day(utc("2026-07-02 04:59")) == date(2026, 7, 1), "05:59 in London in summer"


def test_the_follow_up_rate_counts_contacts_once_their_14_days_have_passed(app, clock):
    # Abbey rang MASH again 10 days after its contact, Brook 5 days after one; Brook's last contact had no follow-up.
    clock.now = utc("2026-12-10 10:00")
    _, doc = _dashboard(app, "?from=2026-11-10&to=2026-12-10")
    assert _figure(doc, "follow-up") == "66.7%"
    note = doc.get_element_by_id("follow-up-note").text_content()
    assert note == "2 of 3 contacts made 2026-11-10 to 2026-11-25"
