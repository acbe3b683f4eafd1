"""`ivr schools import`: the DfE GIAS CSV into the register, upserted, with every rejected row explained."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import Session, select

from db.models import School, SchoolPhone
from db.schools import get_school, get_schools_by_number
from schools import DEMO_SCHOOLS_CSV, GiasFormatError, import_schools
from schools.cli import schools_group
from schools.importer import detect_encoding
from tests.conftest import IN_HOURS

DATA = Path(__file__).resolve().parents[1] / "data"
NATIONAL = DATA / "edubasealldata_sample.csv"  # the national download's 139 columns, in Windows-1252
EXCEL_UTF8 = DATA / "gias_excel_utf8_bom.csv"  # the shared layout saved by Excel as "CSV UTF-8"
FEDERATION = "+441926290646"


def run_import(engine, path, la_code=None, **kwargs):
    with Session(engine, expire_on_commit=False) as session:
        return import_schools(session, path, la_code, now=IN_HOURS, **kwargs)


def schools(engine) -> dict[int, School]:
    with Session(engine) as session:
        return {s.urn: s for s in session.exec(select(School))}


def numbers(engine) -> set[tuple[int, str, str]]:
    with Session(engine) as session:
        return {(p.urn, p.number, p.label) for p in session.exec(select(SchoolPhone))}


def matching(engine, number: str) -> list[int]:
    with Session(engine) as session:
        return [s.urn for s in get_schools_by_number(session, number)]


def shared_rows() -> tuple[list[str], list[list[str]]]:
    with open(DEMO_SCHOOLS_CSV, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def test_the_shared_warwickshire_file_adds_every_school_with_its_number(engine):
    report = run_import(engine, DEMO_SCHOOLS_CSV)
    assert (report.added, report.updated, report.unchanged, report.rejected) == (228, 0, 0, [])
    registered = schools(engine)
    assert len(registered) == 228
    atherstone = registered[125484]
    assert (atherstone.name, atherstone.la_code, atherstone.phase, atherstone.postcode, atherstone.pupils) == (
        "Atherstone Nursery School", "937", "Nursery", "CV9 1LF", None)
    assert (125484, "+441827794164", "switchboard") in numbers(engine)
    assert len(numbers(engine)) == 228


def test_importing_the_same_file_twice_changes_nothing(engine):
    run_import(engine, DEMO_SCHOOLS_CSV)
    before = ({urn: s.model_dump() for urn, s in schools(engine).items()}, numbers(engine))
    report = run_import(engine, DEMO_SCHOOLS_CSV)
    assert report.summary() == "0 added, 0 updated, 228 unchanged, 0 rejected"
    assert ({urn: s.model_dump() for urn, s in schools(engine).items()}, numbers(engine)) == before


def test_the_shared_federation_number_belongs_to_two_schools(engine):
    run_import(engine, DEMO_SCHOOLS_CSV)
    assert matching(engine, FEDERATION) == [149717, 150777]


def test_the_national_download_is_read_unchanged_and_filtered_to_warwickshire(engine):
    report = run_import(engine, NATIONAL, "937")
    assert report.encoding == "cp1252"
    assert (report.added, report.updated, report.unchanged, len(report.rejected), report.skipped) == (5, 0, 0, 3, 2)
    registered = schools(engine)
    assert sorted(registered) == [990001, 990002, 990005, 990006, 990007]
    # Windows-1252 characters come through as written.
    assert registered[990001].name == "St Mary\u2019s CofE Primary School"
    assert registered[990002].name == "Bront\u00eb Academy"
    assert registered[990007].name == "Caf\u00e9 Hill Independent School"
    assert (registered[990001].pupils, registered[990002].pupils, registered[990007].pupils) == (210, 1100, 64)
    assert registered[990001].postcode == "CV34 4AA"


def test_without_a_filter_other_authorities_are_imported_but_closed_schools_are_not(engine):
    report = run_import(engine, NATIONAL)
    assert (report.added, report.skipped) == (6, 1)
    assert schools(engine)[990004].la_code == "201"
    assert 990003 not in schools(engine)


def test_each_rejected_row_is_reported_with_its_row_number_and_reason(engine):
    report = run_import(engine, NATIONAL, "937")
    assert report.problem_lines() == [
        "row 6: rejected: has 6 fields, expected 139 (a broken or cut line?)",
        "row 7 (URN 990005): phone number '0123' is not a valid UK number; school kept without it",
        "row 8: rejected: URN 'ABC123' is not a 6-digit number",
        "row 9 (URN 990006): NumberOfPupils 'n/a' is not a number of pupils; left blank",
        "row 10: rejected: URN 990002 appears again (first at row 3)",
    ]
    assert report.summary() == "5 added, 0 updated, 0 unchanged, 3 rejected (2 skipped: closed, or outside LA 937)"


def test_a_bad_phone_number_drops_the_number_not_the_school(engine):
    run_import(engine, NATIONAL, "937")
    assert schools(engine)[990005].name == "Oakfield, The Federation School"
    assert not [n for n in numbers(engine) if n[0] == 990005]


def test_telephone_numbers_without_telephone_e164_are_normalised(engine):
    run_import(engine, NATIONAL, "937")
    registered = numbers(engine)
    # "1214960102": the leading zero lost by a spreadsheet; "+44 121 496 0107" with spaces.
    assert (990002, "+441214960102", "switchboard") in registered
    assert (990007, "+441214960107", "switchboard") in registered
    # "02079460101" and "0207 946 0101": a federation in the national layout too.
    assert matching(engine, "+442079460101") == [990001, 990006]


def test_a_utf8_file_saved_by_excel_is_read(engine):
    report = run_import(engine, EXCEL_UTF8)
    assert (report.encoding, report.added) == ("utf-8-sig", 2)
    assert schools(engine)[990101].name == "Saint-Ex\u00e9p\u00e9ry Primary School"
    # An empty TelephoneE164 falls back to TelephoneNum.
    assert (990102, "+441214960112", "switchboard") in numbers(engine)


def test_the_encoding_is_detected_from_the_bytes():
    assert detect_encoding(NATIONAL) == "cp1252"
    assert detect_encoding(EXCEL_UTF8) == "utf-8-sig"
    assert detect_encoding(DEMO_SCHOOLS_CSV) == "utf-8"


def test_a_file_without_pupil_numbers_keeps_the_pupils_an_earlier_import_stored(engine, tmp_path):
    run_import(engine, NATIONAL, "937")
    header, rows = shared_rows()
    row = rows[0][:]
    row[header.index("URN")] = "990001"
    row[header.index("EstablishmentName")] = "St Mary's CofE Primary School"
    report = run_import(engine, write_csv(tmp_path / "no_pupils.csv", header, [row]))
    assert report.updated == 1
    assert schools(engine)[990001].pupils == 210


def test_a_changed_name_and_number_are_updated_and_the_old_number_stops_matching(engine, tmp_path):
    run_import(engine, DEMO_SCHOOLS_CSV)
    header, rows = shared_rows()
    rows[0][header.index("EstablishmentName")] = "Atherstone Nursery School and Children's Centre"
    rows[0][header.index("TelephoneNum")] = "020 7946 0777"
    rows[0][header.index("TelephoneE164")] = ""
    report = run_import(engine, write_csv(tmp_path / "changed.csv", header, rows))
    assert (report.added, report.updated, report.unchanged) == (0, 1, 227)
    assert schools(engine)[125484].name == "Atherstone Nursery School and Children's Centre"
    assert matching(engine, "+442079460777") == [125484]
    assert matching(engine, "+441827794164") == []


def test_numbers_added_by_hand_survive_a_reimport(engine, app):
    run_import(engine, DEMO_SCHOOLS_CSV)
    runner = app.test_cli_runner()
    runner.invoke(schools_group, ["add-number", "125484", "020 7946 0555", "--label", "dsl mobile"])
    report = run_import(engine, DEMO_SCHOOLS_CSV)
    assert report.unchanged == 228
    assert (125484, "+442079460555", "dsl mobile") in numbers(engine)


def test_a_school_that_closes_keeps_its_record_but_its_number_stops_matching(engine, tmp_path):
    run_import(engine, DEMO_SCHOOLS_CSV)
    header, rows = shared_rows()
    rows[0][header.index("EstablishmentStatus (name)")] = "Closed"
    report = run_import(engine, write_csv(tmp_path / "closed.csv", header, rows[:1]))
    assert report.updated == 1
    assert schools(engine)[125484].name == "Atherstone Nursery School"
    assert matching(engine, "+441827794164") == []
    assert run_import(engine, tmp_path / "closed.csv").unchanged == 1


def test_small_batches_give_the_same_register(engine):
    report = run_import(engine, NATIONAL, "937", batch_size=2)
    assert (report.added, len(report.rejected), report.skipped) == (5, 3, 2)
    assert run_import(engine, NATIONAL, "937", batch_size=2).unchanged == 5


def test_an_unreadable_line_is_rejected_and_the_rest_of_the_file_still_imports(engine, tmp_path):
    path = tmp_path / "damaged.csv"
    path.write_text("URN,EstablishmentName\n990001,Nul\x00 School\n990002,\"unclosed " + "x" * 200_000
                    + "\n990003,Last School\n", encoding="utf-8")
    report = run_import(engine, path)
    assert [r.row for r in report.rejected] == [3]
    assert "cannot be read as CSV" in report.rejected[0].reason
    assert {urn: s.name for urn, s in schools(engine).items()} == {990001: "Nul School", 990003: "Last School"}


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty"),
    ("Name,Phone\nSomething,0123\n", "no URN, EstablishmentName column"),
])
def test_a_file_that_is_not_gias_is_refused_and_imports_nothing(engine, tmp_path, content, message):
    path = tmp_path / "other.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GiasFormatError, match=message):
        run_import(engine, path)
    assert schools(engine) == {}


def test_filtering_by_authority_needs_the_la_column(engine, tmp_path):
    path = write_csv(tmp_path / "no_la.csv", ["URN", "EstablishmentName"], [["990001", "A School"]])
    with pytest.raises(GiasFormatError, match="LA \\(code\\)"):
        run_import(engine, path, "937")
    assert run_import(engine, path).added == 1


def test_the_command_prints_the_counts_and_each_rejected_row(app, engine):
    runner = app.test_cli_runner()
    first = runner.invoke(schools_group, ["import", str(NATIONAL), "--la", "937"])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == f"Read {NATIONAL} (cp1252)"
    assert "  row 6: rejected: has 6 fields, expected 139 (a broken or cut line?)" in lines
    assert "  row 8: rejected: URN 'ABC123' is not a 6-digit number" in lines
    assert lines[-1] == "5 added, 0 updated, 0 unchanged, 3 rejected (2 skipped: closed, or outside LA 937)"
    second = runner.invoke(schools_group, ["import", str(NATIONAL), "--la", "937"])
    assert second.output.splitlines()[-1].startswith("0 added, 0 updated, 5 unchanged, 3 rejected")


def test_the_command_refuses_a_file_that_is_not_gias(app, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Name\nX\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(schools_group, ["import", str(path)])
    assert result.exit_code == 1
    assert "is this a GIAS CSV?" in result.output


def test_the_command_refuses_an_la_code_that_is_not_a_number(app, engine):
    result = app.test_cli_runner().invoke(schools_group, ["import", str(NATIONAL), "--la", "Warwickshire"])
    assert result.exit_code == 1 and "is not a number" in result.output
    assert schools(engine) == {}


def test_add_number_and_remove_number_change_who_a_caller_matches(app, engine):
    run_import(engine, DEMO_SCHOOLS_CSV)
    runner = app.test_cli_runner()
    added = runner.invoke(schools_group, ["add-number", "149717", "(020) 7946 0556"])
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "Added +442079460556 (dsl) for 149717 Oakley School"
    assert matching(engine, "+442079460556") == [149717]
    shared = runner.invoke(schools_group, ["add-number", "150777", "+44 20 7946 0556"])
    assert "also belongs to 149717 Oakley School" in shared.output
    assert matching(engine, "+442079460556") == [149717, 150777]
    again = runner.invoke(schools_group, ["add-number", "150777", "02079460556"])
    assert again.exit_code == 0 and again.output.startswith("Already registered:")
    removed = runner.invoke(schools_group, ["remove-number", "149717", "0044 20 7946 0556"])
    assert removed.exit_code == 0 and removed.output.strip() == "Removed +442079460556 from 149717 Oakley School"
    assert matching(engine, "+442079460556") == [150777]


@pytest.mark.parametrize("args, message", [
    (["add-number", "149717", "0123"], "'0123' is not a valid UK phone number"),
    (["add-number", "999999", "020 7946 0556"], "no school with URN 999999"),
    (["add-number", "149717", "020 7946 0556", "--label", " "], "give a label"),
    (["remove-number", "149717", "020 7946 0556"], "+442079460556 is not registered for 149717 Oakley School"),
    (["remove-number", "999999", "020 7946 0556"], "no school with URN 999999"),
])
def test_number_commands_refuse_bad_input_and_change_nothing(app, engine, args, message):
    run_import(engine, DEMO_SCHOOLS_CSV)
    before = numbers(engine)
    result = app.test_cli_runner().invoke(schools_group, args)
    assert result.exit_code != 0
    assert message in result.output
    assert numbers(engine) == before


def test_list_shows_the_schools_a_number_matches(app, engine):
    run_import(engine, DEMO_SCHOOLS_CSV)
    result = app.test_cli_runner().invoke(schools_group, ["list", "--number", "01926 290646"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "149717  Oakley School  [All-through, pupils unknown]  +441926290646 (switchboard)",
        "150777  Myton Gardens  [Primary, pupils unknown]  +441926290646 (switchboard)",
        "2 schools",
    ]
    everyone = app.test_cli_runner().invoke(schools_group, ["list", "--la", "937"])
    assert everyone.output.splitlines()[-1] == "228 schools"


def test_get_school_finds_a_school_by_urn(engine):
    run_import(engine, DEMO_SCHOOLS_CSV)
    with Session(engine) as session:
        assert get_school(session, 150777).name == "Myton Gardens"
        assert get_school(session, 999999) is None
