"""Every figure declared in staff/figures.py is on the dashboard, in its CSV and in /api/stats; one more
declaration is all a new figure needs."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from db.session import session_scope
from db.stats import get_callback_states
from staff import figures
from staff.charts import Chart
from staff.cli import tokens_group
from staff.figures import FIGURES, Figure
from staff.stats import Period
from tests.staff_support import page, seed_month, signed_in_client, table_rows

DEFAULT_PERIOD = "2026-10-26-to-2026-11-24"  # the seeded month, the dashboard's default 30 days


@pytest.fixture
def supervisor(app):
    """A supervisor's client over the seeded month, and its dashboard page."""
    seed_month(app.extensions["db_engine"])
    client = signed_in_client(app, "supervisor")
    response = client.get("/dashboard")
    assert response.status_code == 200
    return client, page(response)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _api_stats(app, query: str = "") -> dict:
    result = app.test_cli_runner().invoke(tokens_group, ["create", "figures-test"])
    token = result.stdout.split(": ", 1)[1].strip()
    response = app.test_client().get(f"/api/stats{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.get_json()


def _table(doc, figure: Figure):
    found = doc.xpath(f"//table[@id='table-{figure.key}']")
    assert len(found) == 1, f"the {figure.key} table is on the dashboard once"
    return found[0]


def test_every_declared_figure_has_its_table_with_its_label_and_columns_under_its_section(supervisor):
    _, doc = supervisor
    for figure in FIGURES:
        table = _table(doc, figure)
        assert table.xpath("./caption")[0].text_content().startswith(figure.label), figure.key
        assert [" ".join(th.text_content().split()) for th in table.xpath("./thead//th")] == \
            [heading for heading, _ in figure.columns], figure.key
        assert table.xpath("preceding::h2[1]")[0].text_content() == figure.section, figure.key
    assert len(doc.xpath("//table[starts-with(@id, 'table-')]")) == len(FIGURES), "no table without a declaration"


def test_every_declared_chart_is_drawn_with_its_title(supervisor):
    _, doc = supervisor
    charted = [figure for figure in FIGURES if figure.chart is not None]
    for figure in charted:
        svg = doc.xpath(f"//svg[@id='{figure.chart.id or 'chart-' + figure.key}']")
        assert len(svg) == 1, figure.key
        assert svg[0].xpath("./title/text()") == [figure.chart.title or figure.label]
    assert len(doc.xpath("//svg[@role='img']")) == len(charted), "no chart without a declaration"


def test_every_declared_figure_downloads_as_csv_with_its_columns_and_the_rows_on_the_page(supervisor):
    client, doc = supervisor
    for figure in FIGURES:
        [link] = _table(doc, figure).xpath(".//a[contains(@class, 'csv-link')]/@href")
        response = client.get(link)
        assert f'filename="mash-ivr-{figure.key}-{DEFAULT_PERIOD}.csv"' in response.headers["Content-Disposition"]
        header, *rows = _csv(response)
        assert header == [f"{h} (%)" if kind == "pct" else h for h, kind in figure.columns], figure.key
        assert len(rows) == len(table_rows(doc, f"table-{figure.key}")), figure.key
        assert [row[0] for row in rows] == [row[0] for row in table_rows(doc, f"table-{figure.key}")], figure.key


def test_every_declared_figures_data_is_in_the_api_json(app, engine):
    seed_month(engine)
    stats = _api_stats(app)
    with session_scope(engine) as session:
        reads = figures.Reads(session, Period(date.fromisoformat(stats["from"]), date.fromisoformat(stats["to"])), app.config["CLOCK"]())
        for figure in FIGURES:
            data = figure.data(reads)
            assert data, f"{figure.key} fills at least one key of the API"
            for key, value in data.items():
                assert stats[key] == json.loads(json.dumps(value)), (figure.key, key)


def _callbacks_total(reads) -> dict:
    return {"callbacks_total": sum(reads.query(get_callback_states, reads.period.start, reads.period.end).values())}


NEW_FIGURE = Figure("callbacks_total", "All callbacks made", "Callbacks to DSLs", _callbacks_total,
                    (("Measure", "text"), ("Callbacks", "int")),
                    lambda report: [["Callbacks", report["callbacks_total"]]], Chart("bar"))


def test_a_new_declaration_alone_puts_a_figure_on_the_page_in_a_csv_and_in_the_api(app, monkeypatch):
    monkeypatch.setattr(figures, "FIGURES", (*FIGURES, NEW_FIGURE))
    seed_month(app.extensions["db_engine"])
    client = signed_in_client(app, "supervisor")
    doc = page(client.get("/dashboard"))
    assert table_rows(doc, "table-callbacks_total") == [["Callbacks", "3"]]
    assert doc.xpath("//svg[@id='chart-callbacks_total']/title/text()") == ["All callbacks made"]
    assert _csv(client.get("/dashboard/callbacks_total.csv")) == [["Measure", "Callbacks"], ["Callbacks", "3"]]
    assert _api_stats(app)["callbacks_total"] == 3
