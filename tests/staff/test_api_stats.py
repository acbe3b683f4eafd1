"""GET /api/stats: JSON for Power BI and scripts, behind a bearer token; numbers against the seeded month."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from db.models import ApiToken
from staff.cli import tokens_group
from tests.staff_support import EXPECTED, seed_month


def _token(app, name: str = "powerbi") -> str:
    result = app.test_cli_runner().invoke(tokens_group, ["create", name])
    assert result.exit_code == 0, result.output
    return result.stdout.split(": ", 1)[1].strip()


@pytest.fixture
def api(app):
    """A client and the headers that authorise it, over the seeded month."""
    seed_month(app.extensions["db_engine"])
    return app.test_client(), {"Authorization": f"Bearer {_token(app)}"}


def test_the_stats_hold_calls_by_route_and_by_school(api):
    client, headers = api
    response = client.get("/api/stats?from=2026-10-26&to=2026-11-24", headers=headers)
    assert response.status_code == 200 and response.is_json
    stats = response.get_json()
    assert stats["calls"] == EXPECTED["calls"]
    assert stats["by_route"] == EXPECTED["by_route"]
    assert stats["diversion"] == EXPECTED["diversion"]
    assert stats["abandonment"]["rate"] == EXPECTED["abandonment_rate"]
    assert stats["no_input"]["rate"] == EXPECTED["no_input_rate"]
    assert stats["invalid_key"]["rate"] == EXPECTED["invalid_key_rate"]
    assert stats["median_seconds_to_route"] == EXPECTED["median_seconds_to_route"]
    assert stats["transfer_outcomes"] == EXPECTED["transfer_outcomes"]
    assert stats["identified"]["identified"] == EXPECTED["identified"]
    assert {k: stats["follow_up"][k] for k in EXPECTED["follow_up"]} == EXPECTED["follow_up"]
    assert {k: v for k, v in stats["callbacks"].items() if v} == EXPECTED["callbacks"]
    schools = {row["urn"]: (row["rank"], row["calls"], row["mash_contacts"], row["mash_per_100_pupils"])
               for row in stats["by_school"]}
    assert schools == EXPECTED["schools"]
    assert len(stats["daily"]) == 30 and len(stats["hour_of_week"]) == 7


def test_without_dates_the_stats_cover_the_last_30_days(api):
    client, headers = api
    stats = client.get("/api/stats", headers=headers).get_json()
    assert (stats["from"], stats["to"], stats["hours"]) == ("2026-10-26", "2026-11-24", "all")
    assert stats["calls"] == EXPECTED["calls"]


def test_the_hours_filter_splits_in_and_out_of_hours(api):
    client, headers = api
    inside = client.get("/api/stats?hours=in", headers=headers).get_json()
    outside = client.get("/api/stats?hours=out", headers=headers).get_json()
    assert (inside["calls"], outside["calls"]) == (EXPECTED["in_hours_calls"], EXPECTED["out_of_hours_calls"])


def test_a_range_before_the_seeded_month_holds_only_its_own_call(api):
    client, headers = api
    stats = client.get("/api/stats?from=2026-10-01&to=2026-10-25", headers=headers).get_json()
    assert stats["calls"] == 1 and stats["by_school"][0]["name"] == "Castle Infant School"
    assert stats["by_school"][0]["mash_per_100_pupils"] is None, "no pupil numbers, no rate"


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01&to=2026-11-24", "'from' must be a date written YYYY-MM-DD"),
    ("from=24/11/2026", "'from' must be a date written YYYY-MM-DD"),
    ("from=2026-11-24&to=2026-11-01", "must not be after"),
    ("from=2000-01-01&to=2026-11-24", "at most 3660 days"),
    ("hours=night", "'hours' must be all, in or out"),
])
def test_bad_parameters_get_400_with_a_message(api, query, message):
    client, headers = api
    response = client.get(f"/api/stats?{query}", headers=headers)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_no_token_or_a_wrong_token_gets_401(api):
    client, _ = api
    response = client.get("/api/stats")
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    assert client.get("/api/stats", headers={"Authorization": "Bearer mivr_wrong"}).status_code == 401
    assert client.get("/api/stats?from=nonsense").status_code == 401, "no hints about parameters without a token"


def test_a_revoked_token_stops_working(app, api):
    client, headers = api
    assert client.get("/api/stats", headers=headers).status_code == 200
    assert app.test_cli_runner().invoke(tokens_group, ["revoke", "powerbi"]).exit_code == 0
    assert client.get("/api/stats", headers=headers).status_code == 401


def test_using_a_token_records_when_it_was_last_used(app, api):
    client, headers = api
    client.get("/api/stats", headers=headers)
    with Session(app.extensions["db_engine"]) as session:
        token = session.exec(select(ApiToken)).one()
    assert token.last_used_at is not None
