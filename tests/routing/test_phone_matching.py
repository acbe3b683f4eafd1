"""Any way a registered number is written finds the same school (generated inputs with hypothesis)."""
from __future__ import annotations

import csv
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from db.models import SchoolMatch
from db.schools import get_schools_by_number
from routing.identify import identify_from_matches
from routing.phone import WITHHELD, caller_number, normalise_number
from schools import DEMO_SCHOOLS_CSV, import_schools
from tests.call_support import recorded_call, start
from tests.conftest import IN_HOURS

with open(DEMO_SCHOOLS_CSV, encoding="utf-8", newline="") as _f:
    REGISTER = [(int(r["URN"]), r["TelephoneE164"]) for r in csv.DictReader(_f)]
SCHOOLS_BY_NUMBER: dict[str, list[int]] = {}
for _urn, _number in REGISTER:
    SCHOOLS_BY_NUMBER.setdefault(_number, []).append(_urn)
NUMBERS = sorted(SCHOOLS_BY_NUMBER)
FEDERATION = "+441926290646"
# Fixture-scoped data is only read in these tests, so sharing it between examples is safe.
DB_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def written_forms(draw, e164: str) -> str:
    """One way a person, a spreadsheet or a phone system might write this UK number."""
    national = e164[3:]  # after +44
    prefix = draw(st.sampled_from(["0", "+44", "0044", "+44 ", "0044 ", "+44 (0)", "+44(0)", "+44 0"]))
    cuts = sorted(draw(st.sets(st.integers(1, len(national) - 1), max_size=3)))
    groups = [national[i:j] for i, j in zip([0, *cuts], [*cuts, len(national)])]
    separators = draw(st.lists(st.sampled_from([" ", "", "-", "  ", "."]), min_size=len(groups) - 1,
                               max_size=len(groups) - 1))
    if prefix == "0" and draw(st.booleans()):
        groups[0] = f"(0{groups[0]})"  # "(01926) 290646"
        prefix = ""
    body = groups[0] + "".join(sep + group for sep, group in zip(separators, groups[1:]))
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return f"{padding}{prefix}{body}{padding}"


@st.composite
def registered_number_written_any_way(draw) -> tuple[str, str]:
    number = draw(st.sampled_from(NUMBERS))
    return number, draw(written_forms(number))


@pytest.fixture
def register(engine):
    with Session(engine, expire_on_commit=False) as session:
        import_schools(session, DEMO_SCHOOLS_CSV, now=IN_HOURS)


@given(registered_number_written_any_way())
@settings(max_examples=400)
def test_any_way_of_writing_a_registered_number_normalises_to_it(case):
    number, written = case
    assert normalise_number(written) == number
    assert caller_number(written) == number


@given(case=registered_number_written_any_way())
@DB_SETTINGS
def test_any_way_of_writing_a_registered_number_finds_the_same_school(engine, register, case):
    number, written = case
    with Session(engine) as session:
        found = [s.urn for s in get_schools_by_number(session, normalise_number(written))]
    assert found == sorted(SCHOOLS_BY_NUMBER[number])


@given(written=written_forms(FEDERATION))
@DB_SETTINGS
def test_the_federation_number_written_any_way_matches_both_schools_so_it_is_ambiguous(engine, register, written):
    with Session(engine) as session:
        urns = [s.urn for s in get_schools_by_number(session, caller_number(written))]
    assert urns == [149717, 150777]
    assert identify_from_matches(caller_number(written), urns).method == SchoolMatch.AMBIGUOUS


@given(case=registered_number_written_any_way(), last=st.integers(0, 9))
@DB_SETTINGS
def test_a_number_one_digit_away_from_a_registered_one_finds_no_school(engine, register, case, last):
    number, _ = case
    other = number[:-1] + str(last)
    if other in SCHOOLS_BY_NUMBER:
        return  # a neighbouring school's own number
    with Session(engine) as session:
        assert get_schools_by_number(session, other) == []


@given(caller=st.sampled_from(["", "anonymous", "Anonymous", "restricted", "unknown", "+266696687", "private",
                               "12", "not a number", "+1 202", "0000000000"]))
def test_withheld_and_invalid_caller_ids_are_recorded_quietly_as_withheld(caller):
    assert caller_number(caller) == WITHHELD
    assert identify_from_matches(caller_number(caller), []).method == SchoolMatch.WITHHELD


@given(case=registered_number_written_any_way())
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_caller_id_written_any_way_identifies_the_school_on_the_call(engine, register, twilio, case):
    number, written = case
    sid = "CA" + hashlib.sha256(written.encode()).hexdigest()[:32]
    start(twilio, caller=written, call_sid=sid)
    call = recorded_call(engine, sid)
    expected = SCHOOLS_BY_NUMBER[number]
    assert call.caller == number
    assert call.school_urn == (expected[0] if len(expected) == 1 else None)
    assert call.school_match == (SchoolMatch.CALLER_ID if len(expected) == 1 else SchoolMatch.AMBIGUOUS)
