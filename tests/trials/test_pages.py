"""The admin pages for trials: list, define (CSRF), results table, CSV, stop."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from lxml import html
from sqlmodel import Session, select

from db.models import AuditEvent, Call, Contact, Route, Trial
from routing.menu import DEFAULT_WORDING
from staff.auth import create_user
from tests.trial_support import make_trial
from trials.analysis import two_proportion_test

PASSWORD = "correct horse battery"


def csrf_token(page: bytes) -> str:
    return html.fromstring(page).xpath("//input[@name='csrf_token']/@value")[0]


@pytest.fixture
def sign_in(app, engine, clock):
    """A browser-like client signed in with the given role."""

    def signed_in(role: str = "admin"):
        with app.app_context(), Session(engine) as session:
            create_user(session, f"{role}1", PASSWORD, role, clock.now)
        client = app.test_client()
        token = csrf_token(client.get("/login").data)
        resp = client.post("/login", data={"username": f"{role}1", "password": PASSWORD, "csrf_token": token})
        assert resp.status_code == 302, resp.data[:300]
        return client

    return signed_in


def text_of(page: bytes, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in html.fromstring(page).xpath(xpath)]


def table_rows(page: bytes, table_id: str) -> list[list[str]]:
    """The body of a table as rows of cell texts."""
    return [[" ".join(c.text_content().split()) for c in tr.xpath("./th|./td")]
            for tr in html.fromstring(page).xpath(f"//table[@id='{table_id}']/tbody/tr")]


def trial_urls(app, trial_id: int) -> list[tuple[str, str]]:
    """Every trials URL, with a real trial id."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("trials.") and rule.endpoint != "trials.static":
            method = "POST" if "POST" in rule.methods and "GET" not in rule.methods else "GET"
            urls.append((method, rule.rule.replace("<int:trial_id>", str(trial_id))))
    return urls


def test_every_trial_page_needs_an_admin(app, engine, clock, sign_in):
    trial_id = make_trial(engine, clock.now)
    urls = trial_urls(app, trial_id)
    assert len(urls) == 5
    anonymous = app.test_client()
    for method, url in urls:
        resp = anonymous.open(url, method=method)
        assert resp.status_code in (302, 400) and (resp.status_code == 400 or "/login" in resp.location), url
    supervisor = sign_in("supervisor")
    for method, url in urls:
        if method == "GET":
            assert supervisor.get(url).status_code == 403, url


def test_the_list_shows_each_trial_and_its_status(engine, clock, sign_in):
    make_trial(engine, clock.now)
    make_trial(engine, clock.now, name="later", start="2027-01-04", end="2027-01-29")
    page = sign_in().get("/trials/")
    assert page.status_code == 200
    assert table_rows(page.data, "trials") == [
        ["later", "Scheduled", "4 Jan 2027", "29 Jan 2027", "control", "control 50%, norms 50%"],
        ["social-norms", "Running", "23 Nov 2026", "30 Nov 2026", "control", "control 50%, norms 50%"],
    ]


def form_data(page: bytes, **changes) -> dict:
    """The new-trial form as a browser would submit it, with some fields changed."""
    doc = html.fromstring(page)
    form = doc.xpath("//form[@method='post' and contains(@action, '/trials/new')]")[0]
    data = dict(form.fields)
    data.update(changes)
    return data


def test_the_form_starts_from_the_default_wording(sign_in):
    page = sign_in().get("/trials/new")
    assert page.status_code == 200
    doc = html.fromstring(page.data)
    assert doc.xpath("//textarea[@id='variants-1-closing']")[0].text_content().strip() == DEFAULT_WORDING.closing
    assert doc.xpath("//input[@id='variants-0-name']/@value") == ["control"]
    assert DEFAULT_WORDING.danger in page.data.decode()  # the fixed opening is shown, not editable


def test_an_admin_defines_a_trial_with_the_form(engine, sign_in):
    client = sign_in()
    data = form_data(client.get("/trials/new").data, **{
        "name": "plain-words", "start": "2026-12-01", "end": "2026-12-18",
        "variants-1-name": "plain", "variants-1-share": "30", "variants-0-share": "70",
        "variants-1-option3": "Need extra support for a family? Press 3 for Early Help."})
    resp = client.post("/trials/new", data=data)
    assert resp.status_code == 302
    page = client.get(resp.location)
    assert "Trial plain-words created." in page.data.decode()
    with Session(engine) as session:
        trial = session.exec(select(Trial)).one()
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "trial_created")).one()
    assert trial.variants == {"control": {}, "plain": {"option3": "Need extra support for a family? Press 3 for Early Help."}}
    assert trial.allocation == {"control": 0.7, "plain": 0.3}
    assert audit.actor == "admin1"


def test_an_admin_can_give_each_school_one_variant_and_callers_is_the_default(engine, sign_in):
    client = sign_in()
    page = client.get("/trials/new").data
    assert html.fromstring(page).xpath("//input[@name='unit' and @checked]/@value") == ["caller"]
    data = form_data(page, **{"name": "by-school", "start": "2026-12-01", "end": "2026-12-18", "unit": "school",
                              "variants-1-name": "plain",
                              "variants-1-option3": "Need extra support for a family? Press 3 for Early Help."})
    assert client.post("/trials/new", data=data).status_code == 302
    forged = form_data(page, **{"name": "forged", "start": "2026-12-01", "end": "2026-12-18", "unit": "class",
                                "variants-1-name": "plain"})
    refused = client.post("/trials/new", data=forged)
    assert refused.status_code == 400
    assert any(e.startswith("unit:") for e in text_of(refused.data, "//div[@class='error-summary']//li"))
    with Session(engine) as session:
        assert [(t.name, t.unit) for t in session.exec(select(Trial))] == [("by-school", "school")]


def test_a_form_that_changes_a_key_is_refused_naming_the_field(engine, sign_in):
    client = sign_in()
    data = form_data(client.get("/trials/new").data, **{
        "name": "bad", "start": "2026-12-01", "end": "2026-12-18", "variants-1-name": "swap",
        "variants-1-option2": "For the DSL Infoline, press 3."})
    resp = client.post("/trials/new", data=data)
    assert resp.status_code == 400
    errors = text_of(resp.data, "//div[@class='error-summary']//li")
    assert len(errors) == 1 and errors[0].startswith("variants.swap.option2:")
    with Session(engine) as session:
        assert session.exec(select(Trial)).first() is None


def test_a_form_with_several_problems_lists_them_all(sign_in):
    client = sign_in()
    data = form_data(client.get("/trials/new").data, **{"name": "has spaces", "start": "soon", "end": ""})
    resp = client.post("/trials/new", data=data)
    assert resp.status_code == 400
    errors = text_of(resp.data, "//div[@class='error-summary']//li")
    assert [e.split(":")[0] for e in errors] == ["start", "name", "variants", "end"], errors
    assert errors[0] == "start: Not a valid date value."


def test_a_trial_that_overlaps_the_running_one_is_refused(engine, clock, sign_in):
    make_trial(engine, clock.now)
    client = sign_in()
    data = form_data(client.get("/trials/new").data, **{
        "name": "second", "start": "2026-11-30", "end": "2026-12-18", "variants-1-name": "plain",
        "variants-1-closing": "Thank you for choosing carefully."})
    resp = client.post("/trials/new", data=data)
    assert resp.status_code == 400 and "overlaps trial &#39;social-norms&#39;" in resp.data.decode()


def test_a_form_without_its_csrf_token_is_refused(engine, sign_in):
    client = sign_in()
    data = form_data(client.get("/trials/new").data, name="x", start="2026-12-01", end="2026-12-18")
    data.pop("csrf_token")
    assert client.post("/trials/new", data=data).status_code == 400
    with Session(engine) as session:
        assert session.exec(select(Trial)).first() is None


def seed_calls(engine, trial_id: int, clock) -> None:
    """Control: 6 of 10 to MASH (2 later no further action); norms: 3 of 10 to MASH, 7 to the Infoline."""
    with Session(engine) as session:
        for n in range(20):
            variant = "control" if n < 10 else "norms"
            to_mash = n < 6 or 10 <= n < 13
            service = Route.MASH if to_mash else Route.DSL_INFOLINE
            call = Call(call_sid=f"CA{n:032d}", caller=f"+442079460{n:03d}", trial_id=trial_id, variant=variant,
                        route=service, service=service, started_at=clock.now,
                        routed_at=clock.now + timedelta(seconds=10 + n))
            session.add(call)
            session.flush()
            if to_mash:
                session.add(Contact(reference=f"{100000 + n}", call_id=call.id, created_at=clock.now,
                                    outcome="no_further_action" if n < 2 else None))
        session.commit()


def test_the_trial_page_shows_the_results_table(engine, clock, sign_in):
    trial_id = make_trial(engine, clock.now)
    seed_calls(engine, trial_id, clock)
    page = sign_in().get(f"/trials/{trial_id}")
    assert page.status_code == 200
    headings = text_of(page.data, "//table[@id='results']/thead//th")
    assert headings == ["Measure", "Variant", "N", "Share (95% CI)", "Difference vs control", "p-value",
                        "N needed", "Reached"]
    rows = table_rows(page.data, "results")
    p_value = two_proportion_test(6, 10, 3, 10)[1]
    assert rows[0][:6] == ["Routed to MASH (or EDT)", "control", "10", "60.0% (31.3% to 83.2%)", "control", ""]
    assert rows[1][:6] == ["", "norms", "10", "30.0% (10.8% to 60.3%)", "-30.0 points", f"{p_value:.3f}"]
    assert rows[1][7] == "not yet"
    needless = [r for r in rows if r[0] == "MASH contact decided no further action"][0]
    assert needless[1:4] == ["control", "10", "20.0% (5.7% to 51.0%)"]
    assert "control 10 (10 callers), norms 10 (10 callers)" in page.data.decode()


def test_the_results_download_as_csv(engine, clock, sign_in):
    trial_id = make_trial(engine, clock.now)
    seed_calls(engine, trial_id, clock)
    resp = sign_in().get(f"/trials/{trial_id}/results.csv?effect=10")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="trial-social-norms-results.csv"'
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    mash = {r["variant"]: r for r in rows if r["measure"] == "mash"}
    assert (mash["control"]["count"], mash["norms"]["count"]) == ("6", "3")
    assert int(mash["norms"]["needed_per_variant"]) < 500  # sized for a 10-point change


@pytest.mark.parametrize("query", ["effect=0", "effect=lots", "effect_seconds=-1"])
def test_a_bad_effect_gets_a_clear_400(engine, clock, sign_in, query):
    trial_id = make_trial(engine, clock.now)
    resp = sign_in().get(f"/trials/{trial_id}?{query}")
    assert resp.status_code == 400
    assert query.split("=")[0] + ": give a number" in resp.data.decode()


def test_an_unknown_trial_is_not_found(sign_in):
    assert sign_in().get("/trials/999").status_code == 404


def test_an_admin_stops_a_running_trial_from_its_page(engine, clock, sign_in):
    trial_id = make_trial(engine, clock.now)
    client = sign_in()
    page = client.get(f"/trials/{trial_id}")
    assert client.post(f"/trials/{trial_id}/stop", data={}).status_code == 400  # no CSRF token
    resp = client.post(f"/trials/{trial_id}/stop", data={"csrf_token": csrf_token(page.data)})
    assert resp.status_code == 302
    after = client.get(resp.location).data.decode()
    assert "stopped: new calls hear the published wording" in after
    assert text_of(after.encode(), "//dd[@id='trial-status']") == ["Stopped"]
    with Session(engine) as session:
        assert session.get(Trial, trial_id).stopped_at == clock.now
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "trial_stopped")).one().actor == "admin1"
