"""`ivr dsls import` and `ivr dsls list`: the DSL register upserted from a CSV, each bad row reported by number."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from db.dsls import get_dsls_by_number
from db.models import Call, Dsl, DslPhone
from dsls import DEMO_DSLS_CSV, DslFormatError, import_dsls
from dsls.cli import dsls_group
from schools import DEMO_SCHOOLS_CSV, import_schools
from tests.conftest import IN_HOURS

ATHERSTONE, OAKLEY, MYTON = 125484, 149717, 150777
HEADER = "URN,DSL name,Phone numbers,DSL training date\n"


@pytest.fixture
def schools(engine):
    """The shared Warwickshire schools register, which DSLs belong to."""
    with Session(engine) as session:
        import_schools(session, DEMO_SCHOOLS_CSV, now=IN_HOURS)


def write(tmp_path: Path, body: str, header: str = HEADER, name: str = "dsls.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def run_import(engine, path):
    with Session(engine, expire_on_commit=False) as session:
        return import_dsls(session, path, now=IN_HOURS)


def register(engine) -> dict[tuple[int, str], tuple[date | None, set[tuple[str, str]]]]:
    """Each DSL by (URN, name): their training date and (number, source) pairs."""
    with Session(engine) as session:
        dsls = list(session.exec(select(Dsl)))
        phones = list(session.exec(select(DslPhone)))
    return {(d.urn, d.name): (d.trained_on, {(p.number, p.source) for p in phones if p.dsl_id == d.id})
            for d in dsls}


def test_a_file_adds_each_dsl_with_their_numbers_and_training_date(engine, schools, tmp_path):
    path = write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0100; 0044 20 7946 0150 ,2025-09-01\n"
                           f"{OAKLEY},Jo Evans,01926 290646,14/03/2024\n"
                           f"{MYTON},Chris Hall,,\n")
    report = run_import(engine, path)
    assert (report.added, report.updated, report.unchanged, report.rejected) == (3, 0, 0, [])
    assert register(engine) == {
        (ATHERSTONE, "Sam Patel"): (date(2025, 9, 1), {("+442079460100", "import"), ("+442079460150", "import")}),
        (OAKLEY, "Jo Evans"): (date(2024, 3, 14), {("+441926290646", "import")}),
        (MYTON, "Chris Hall"): (None, set()),
    }


def test_running_the_same_file_twice_changes_nothing(engine, schools, tmp_path):
    path = write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0100,2025-09-01\n")
    run_import(engine, path)
    before = register(engine)
    again = run_import(engine, path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert register(engine) == before


def test_a_reimport_finds_the_dsl_by_school_and_name_whatever_the_case_and_updates_them(engine, schools, tmp_path):
    run_import(engine, write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0100,\n"))
    report = run_import(engine, write(tmp_path, f"{ATHERSTONE},  sam   PATEL ,020 7946 0101,2026-01-05\n"))
    assert (report.added, report.updated) == (0, 1)
    assert register(engine) == {(ATHERSTONE, "sam PATEL"): (date(2026, 1, 5), {("+442079460101", "import")})}


def test_a_reimport_keeps_numbers_added_by_hand_and_drops_imported_ones_the_file_no_longer_has(
        app, engine, schools, tmp_path):
    run_import(engine, write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0100,\n"))
    added = app.test_cli_runner().invoke(dsls_group, ["add-number", str(ATHERSTONE), "sam patel", "020 7946 0199"])
    assert added.exit_code == 0, added.output
    run_import(engine, write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0101,\n"))
    assert register(engine)[(ATHERSTONE, "Sam Patel")][1] == {("+442079460101", "import"), ("+442079460199", "hand")}


@pytest.mark.parametrize("row, reason", [
    ("12345,Sam Patel,,", "row 2: rejected: URN '12345' is not a 6-digit number"),
    (",Sam Patel,,", "row 2: rejected: URN is missing"),
    (f"{ATHERSTONE},,,", f"row 2: rejected: URN {ATHERSTONE}: DSL name is missing"),
    (f"{ATHERSTONE},Sam Patel,020 7946 0100; 12,",
     f"row 2: rejected: URN {ATHERSTONE}, Sam Patel: '12' is not a valid UK phone number"),
    (f"{ATHERSTONE},Sam Patel,,31/02/2025",
     f"row 2: rejected: URN {ATHERSTONE}, Sam Patel: training date '31/02/2025' is not a date "
     f"(use 2026-01-31 or 31/01/2026)"),
    (f"{ATHERSTONE},Sam Patel,,2027-01-01",
     f"row 2: rejected: URN {ATHERSTONE}, Sam Patel: training date 2027-01-01 is in the future"),
    ("999999,Sam Patel,,", "row 2: rejected: URN 999999 is not in the schools register (import the schools first)"),
])
def test_a_bad_value_rejects_its_whole_row_by_number_and_adds_nothing_of_it(engine, schools, tmp_path, row, reason):
    report = run_import(engine, write(tmp_path, row + "\n"))
    assert report.problem_lines() == [reason]
    assert register(engine) == {}


def test_bad_rows_do_not_stop_the_good_ones_and_are_reported_in_file_order(engine, schools, tmp_path):
    path = write(tmp_path, f"999999,A Person,,\n{ATHERSTONE},Sam Patel,,\n\n{OAKLEY},Jo Evans,not a phone,\n"
                           f"{ATHERSTONE},SAM PATEL,,\n")
    report = run_import(engine, path)
    assert report.added == 1
    assert [line.split(":")[0] for line in report.problem_lines()] == ["row 2", "row 5", "row 6"]
    assert "appears again (first at row 3)" in report.problem_lines()[2]


def test_headings_are_matched_whatever_their_case_and_spacing(engine, schools, tmp_path):
    path = write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0100,2025-09-01\n",
                 header=" urn , Name ,PHONE, Trained on\n")
    assert run_import(engine, path).added == 1
    assert register(engine)[(ATHERSTONE, "Sam Patel")][0] == date(2025, 9, 1)


def test_a_file_without_a_name_column_is_refused_and_imports_nothing(engine, schools, tmp_path):
    with pytest.raises(DslFormatError, match="no DSL name column"):
        run_import(engine, write(tmp_path, f"{ATHERSTONE},x\n", header="URN,School\n"))
    assert register(engine) == {}


def test_a_number_may_belong_to_several_dsls(engine, schools, tmp_path):
    run_import(engine, write(tmp_path, f"{OAKLEY},Jo Evans,01926 290646,\n{MYTON},Chris Hall,01926 290646,\n"))
    with Session(engine) as session:
        assert [d.name for d in get_dsls_by_number(session, "+441926290646")] == ["Jo Evans", "Chris Hall"]


def test_the_command_prints_each_rejected_row_and_the_counts(app, engine, schools, tmp_path):
    path = write(tmp_path, f"{ATHERSTONE},Sam Patel,,\n{ATHERSTONE},,,\n")
    result = app.test_cli_runner().invoke(dsls_group, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"  row 3: rejected: URN {ATHERSTONE}: DSL name is missing",
                                          "1 added, 0 updated, 0 unchanged, 1 rejected"]


def test_the_command_refuses_a_file_that_is_not_the_register_and_exits_1(app, engine, tmp_path):
    result = app.test_cli_runner().invoke(dsls_group, ["import", str(write(tmp_path, "", header="a,b\n"))])
    assert result.exit_code == 1
    assert "no URN, DSL name column" in result.output


def test_list_shows_each_school_s_dsls_with_training_and_numbers(app, engine, schools, tmp_path):
    run_import(engine, write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0100,2025-09-01\n"
                                       f"{OAKLEY},Jo Evans,,\n"))
    result = app.test_cli_runner().invoke(dsls_group, ["list", "--urn", str(ATHERSTONE)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{ATHERSTONE}  Atherstone Nursery School  Sam Patel  [trained 2025-09-01]  +442079460100", "1 DSL"]
    everyone = app.test_cli_runner().invoke(dsls_group, ["list"])
    assert everyone.output.splitlines()[-1] == "2 DSLs"
    assert "Jo Evans  [not trained]  no number" in everyone.output


def test_remove_number_stops_a_number_matching_and_refuses_one_the_dsl_lacks(app, engine, schools, tmp_path):
    run_import(engine, write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0100,\n"))
    runner = app.test_cli_runner()
    removed = runner.invoke(dsls_group, ["remove-number", str(ATHERSTONE), "Sam Patel", "+44 20 7946 0100"])
    assert removed.output.strip() == f"Removed +442079460100 from Sam Patel ({ATHERSTONE})"
    again = runner.invoke(dsls_group, ["remove-number", str(ATHERSTONE), "Sam Patel", "+44 20 7946 0100"])
    assert again.exit_code == 1 and "is not registered for Sam Patel" in again.output
    unknown = runner.invoke(dsls_group, ["add-number", str(ATHERSTONE), "Nobody", "020 7946 0100"])
    assert unknown.exit_code == 1 and "no DSL 'Nobody'" in unknown.output
    bad = runner.invoke(dsls_group, ["add-number", str(ATHERSTONE), "Sam Patel", "12"])
    assert bad.exit_code == 2 and "not a valid UK phone number" in bad.output


def test_the_demo_register_imports_whole_with_enough_dsls_in_each_group_to_compare(engine, schools):
    report = run_import(engine, DEMO_DSLS_CSV)
    assert (report.added, report.rejected) == (80, [])
    trained = [d for d, (when, _) in register(engine).items() if when is not None]
    assert len(trained) >= 30 and 80 - len(trained) >= 30


def test_a_reimport_finds_a_dsl_whose_name_has_accents_in_another_case(engine, schools, tmp_path):
    run_import(engine, write(tmp_path, f"{ATHERSTONE},Élodie Martin,020 7946 0100,\n"))
    report = run_import(engine, write(tmp_path, f"{ATHERSTONE},ÉLODIE MARTIN,020 7946 0100,\n"))
    assert (report.added, report.updated) == (0, 1)
    assert list(register(engine)) == [(ATHERSTONE, "ÉLODIE MARTIN")]


def test_a_dsl_trained_today_in_london_is_not_in_the_future_just_after_midnight_in_summer(engine, schools, tmp_path):
    just_after_midnight = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)  # 00:30 on 1 July in London
    with Session(engine) as session:
        report = import_dsls(session, write(tmp_path, f"{ATHERSTONE},Sam Patel,,2026-07-01\n"), now=just_after_midnight)
    assert report.rejected == [] and report.added == 1


def test_remove_takes_a_dsl_off_the_register_and_keeps_the_record_of_one_whose_calls_were_put_down_to_them(
        app, engine, schools, tmp_path):
    run_import(engine, write(tmp_path, f"{ATHERSTONE},Sam Patel,020 7946 0100,\n{OAKLEY},Jo Evans,020 7946 0101,\n"))
    with Session(engine) as session:
        jo = session.exec(select(Dsl).where(Dsl.name == "Jo Evans")).one()
        session.add(Call(call_sid="CA" + "5" * 32, caller="+442079460101", started_at=IN_HOURS, dsl_id=jo.id))
        session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(dsls_group, ["remove", str(ATHERSTONE), "sam patel"]).output.strip() == (
        f"Removed Sam Patel ({ATHERSTONE})")
    kept = runner.invoke(dsls_group, ["remove", str(OAKLEY), "Jo Evans"])
    assert kept.output.strip() == (f"Removed Jo Evans ({OAKLEY})'s numbers; the record stays, without numbers, "
                                   "for the calls put down to them")
    assert register(engine) == {(OAKLEY, "Jo Evans"): (None, set())}
    with Session(engine) as session:
        assert get_dsls_by_number(session, "+442079460101") == []
