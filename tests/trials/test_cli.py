"""`ivr trials create | list | stop | results`."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from db.models import AuditEvent, Trial
from tests.trial_support import NORMS_CLOSING, trial_data
from tests.twilio_client import call_params, said
from trials.cli import trials_group

EXAMPLE = Path(__file__).resolve().parents[2] / "trials" / "examples" / "intrinsic_motivation.yaml"


@pytest.fixture
def ivr(app):
    """Run `ivr trials ...` against the test app."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(trials_group, list(args))


def write(tmp_path, data, name="trial.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_create_stores_the_example_trial(ivr, engine):
    result = ivr("create", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("Created trial intrinsic-motivation: 4 Jan 2027 to 26 Mar 2027, "
                                     "control 50%, keep-lines-clear 50%, allocating each caller")
    with Session(engine) as session:
        trial = session.exec(select(Trial)).one()
        audit = session.exec(select(AuditEvent)).one()
    assert trial.control == "control" and set(trial.variants) == {"control", "keep-lines-clear"}
    assert (audit.actor, audit.action) == ("cli", "trial_created")


def test_create_refuses_a_bad_file_naming_the_file_and_field(ivr, tmp_path, engine):
    data = trial_data(variants={"control": {}, "norms": {"option1": "Press 1 now."}})
    path = write(tmp_path, data)
    result = ivr("create", path)
    assert result.exit_code == 1
    assert f"{path}: variants.norms.option1:" in result.output
    with Session(engine) as session:
        assert session.exec(select(Trial)).first() is None


def test_create_refuses_a_trial_that_overlaps_another(ivr, tmp_path):
    assert ivr("create", write(tmp_path, trial_data(), "a.yaml")).exit_code == 0
    result = ivr("create", write(tmp_path, trial_data(name="second", start="2026-11-29", end="2026-12-20"), "b.yaml"))
    assert result.exit_code == 1 and "overlaps trial 'social-norms'" in result.output


def test_list_shows_each_trial_with_its_status(ivr, tmp_path):
    assert "No trials yet" in ivr("list").output
    ivr("create", write(tmp_path, trial_data(), "a.yaml"))
    ivr("create", str(EXAMPLE))
    lines = ivr("list").output.splitlines()
    assert lines[0].startswith("intrinsic-motivation  scheduled  4 Jan 2027 to 26 Mar 2027")
    assert lines[1] == ("social-norms  running  23 Nov 2026 to 30 Nov 2026  shares: control 50%, norms 50% "
                        "(control: control)  unit: caller")


def test_create_and_list_show_a_trial_allocated_by_school(ivr, tmp_path, engine):
    result = ivr("create", write(tmp_path, trial_data(unit="school")))
    assert result.exit_code == 0 and "allocating each school" in result.output, result.output
    assert ivr("list").output.splitlines()[0].endswith("unit: school")
    with Session(engine) as session:
        assert session.exec(select(Trial)).one().unit == "school"


def test_stop_ends_a_running_trial_at_once(ivr, tmp_path, twilio):
    ivr("create", write(tmp_path, trial_data()))
    assert NORMS_CLOSING in " ".join(said(twilio.twiml("/voice/incoming", call_params(call_sid=f"CA{n:032d}",
                                         caller=f"+442079460{n:03d}"))) for n in range(12))
    result = ivr("stop", "social-norms")
    assert result.exit_code == 0 and "published wording" in result.output
    for n in range(12, 24):
        heard = said(twilio.twiml("/voice/incoming", call_params(call_sid=f"CA{n:032d}", caller=f"+442079460{n:03d}")))
        assert NORMS_CLOSING not in heard
    assert "social-norms  stopped" in ivr("list").output
    assert ivr("stop", "social-norms").exit_code == 1


def test_stop_names_an_unknown_trial(ivr):
    result = ivr("stop", "nothing-like-it")
    assert result.exit_code == 1 and "no trial called 'nothing-like-it'" in result.output


def test_results_print_the_table_and_export_csv(ivr, tmp_path, twilio):
    ivr("create", write(tmp_path, trial_data()))
    for n in range(20):
        params = call_params(call_sid=f"CA{n:032d}", caller=f"+442079460{n:03d}")
        twilio.twiml("/voice/incoming", params)
        twilio.twiml("/voice/menu?attempt=1", dict(params, Digits="2" if n % 2 else "1"))
    table = ivr("results", "social-norms").output.splitlines()
    assert table[0].split()[:4] == ["Measure", "Variant", "N", "Share"]
    assert any(line.startswith("Routed to MASH (or EDT)") and " control " in line for line in table)
    exported = list(csv.DictReader(io.StringIO(ivr("results", "social-norms", "--csv", "-").output)))
    mash = [r for r in exported if r["measure"] == "mash"]
    assert sum(int(r["count"]) for r in mash) == 10 and sum(int(r["n"]) for r in mash) == 20
