"""Trial definitions: only options 2-4 and the closing line may change, clear errors naming the field."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from routing.menu import DEFAULT_WORDING, SILENT_CALLER_LIMIT_S, make_wording, silent_caller_seconds
from trials.definition import TrialDefinitionError, check_schedule, load_definition_text, parse_definition

EXAMPLE = Path(__file__).resolve().parents[2] / "trials" / "examples" / "intrinsic_motivation.yaml"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def trial(**changes) -> dict:
    """A valid trial as a mapping, with some fields changed."""
    data = {
        "name": "framing",
        "control": "control",
        "start": "2027-01-04",
        "end": "2027-01-29",
        "allocation": {"control": 1, "norms": 1},
        "variants": {"control": {}, "norms": {"closing": "Most schools call the Infoline first for advice."}},
    }
    data.update(changes)
    return data


def errors_of(data) -> list[str]:
    with pytest.raises(TrialDefinitionError) as caught:
        parse_definition(data)
    return caught.value.errors


def test_the_shipped_example_is_a_valid_trial_with_the_report_framing():
    definition = load_definition_text(EXAMPLE.read_text())
    assert definition.name == "intrinsic-motivation"
    assert definition.allocation == {"control": 0.5, "keep-lines-clear": 0.5}
    assert definition.wording("control") == DEFAULT_WORDING
    assert "keep the MASH lines clear" in definition.wording("keep-lines-clear").closing


def test_dates_are_whole_london_days_and_the_end_day_is_included():
    definition = parse_definition(trial(start="2027-06-01", end="2027-06-30"))
    # June is British Summer Time: London midnight is 23:00 UTC the day before.
    assert definition.starts_at == datetime(2027, 5, 31, 23, 0, tzinfo=timezone.utc)
    assert definition.ends_at == datetime(2027, 6, 30, 23, 0, tzinfo=timezone.utc)


def test_a_start_with_a_time_is_read_as_london_time():
    definition = parse_definition(trial(start="2027-06-01 08:30", end="2027-06-30"))
    assert definition.starts_at == datetime(2027, 6, 1, 7, 30, tzinfo=timezone.utc)


def test_shares_are_scaled_to_add_up_to_one():
    definition = parse_definition(trial(allocation={"control": 80, "norms": 20}))
    assert definition.allocation == {"control": 0.8, "norms": 0.2}


def test_without_an_allocation_the_variants_share_equally():
    data = trial()
    del data["allocation"]
    assert parse_definition(data).allocation == {"control": 0.5, "norms": 0.5}


@pytest.mark.parametrize("field", ["danger", "option1", "option1_closed"])
def test_a_variant_may_not_change_the_999_line_or_option_1(field):
    data = trial(variants={"control": {}, "norms": {field: "Press 1 for MASH."}})
    [error] = errors_of(data)
    assert error.startswith(f"variants.norms.{field}:")
    assert "999 line, option 1 and the keys never change" in error


def test_a_variant_may_not_add_words_before_option_1():
    [error] = errors_of(trial(variants={"control": {}, "norms": {"intro": "Welcome to MASH."}}))
    assert error.startswith("variants.norms.intro:")


def test_a_variant_may_not_move_a_key_to_another_service():
    data = trial(variants={"control": {}, "norms": {"option2": "For the DSL Infoline, press 3."}})
    [error] = errors_of(data)
    assert error.startswith("variants.norms.option2:") and "keys never change" in error


def test_a_variant_must_still_offer_its_key():
    [error] = errors_of(trial(variants={"control": {}, "norms": {"option3": "Early Help can support families."}}))
    assert error.startswith("variants.norms.option3:") and "press 3" in error


def test_the_closing_line_may_not_offer_a_key():
    [error] = errors_of(trial(variants={"control": {}, "norms": {"closing": "Or press 5 to hear this again."}}))
    assert error.startswith("variants.norms.closing:")


def test_keys_spelt_as_words_are_refused():
    [error] = errors_of(trial(variants={"control": {}, "norms": {"option4": "To check a contact, press four."}}))
    assert error.startswith("variants.norms.option4:") and "digits" in error


def test_markup_and_empty_sentences_are_refused():
    errors = errors_of(trial(variants={"control": {}, "norms": {"closing": "<break/>Thanks", "option4": " "}}))
    assert any(e.startswith("variants.norms.closing:") and "markup" in e for e in errors)
    assert any(e.startswith("variants.norms.option4:") and "empty" in e for e in errors)


def test_a_trial_needs_two_different_wordings():
    assert errors_of(trial(variants={"control": {}}))[0].startswith("variants:")
    [error] = errors_of(trial(variants={"control": {}, "norms": {}}))
    assert "same wording" in error


@pytest.mark.parametrize("allocation, field", [
    ({"control": 1}, "allocation:"),
    ({"control": 1, "norms": -2}, "allocation.norms:"),
    ({"control": 1, "norms": "half"}, "allocation.norms:"),
    ({"control": 1, "norms": 1, "other": 1}, "allocation.other:"),
])
def test_a_bad_allocation_names_the_share(allocation, field):
    assert any(e.startswith(field) for e in errors_of(trial(allocation=allocation)))


def test_the_control_must_be_one_of_the_variants():
    [error] = errors_of(trial(control="baseline"))
    assert error.startswith("control:")


@pytest.mark.parametrize("changes, field", [
    ({"start": "next week"}, "start:"),
    ({"end": None}, "end:"),
    ({"start": "2027-02-01", "end": "2027-01-01"}, "end:"),
    ({"name": "has spaces and !"}, "name:"),
    ({"colour": "blue"}, "colour:"),
])
def test_bad_fields_are_named(changes, field):
    assert any(e.startswith(field) for e in errors_of(trial(**changes)))


def test_every_problem_is_reported_at_once():
    errors = errors_of(trial(control="baseline", start="soon", variants={"control": {}, "norms": {"option1": "x"}}))
    assert {e.split(":")[0] for e in errors} >= {"control", "start", "variants.norms.option1"}


def test_broken_yaml_names_the_line():
    with pytest.raises(TrialDefinitionError) as caught:
        load_definition_text("name: framing\nvariants:\n  control: {\n")
    assert caught.value.errors[0].startswith("line ")


def existing(name, start, end, stopped=None):
    return SimpleNamespace(name=name, starts_at=start, ends_at=end, stopped_at=stopped)


def test_a_trial_that_overlaps_another_is_refused_naming_it():
    definition = parse_definition(trial())
    other = existing("simplification", datetime(2027, 1, 20, tzinfo=timezone.utc), datetime(2027, 3, 1, tzinfo=timezone.utc))
    with pytest.raises(TrialDefinitionError) as caught:
        check_schedule(definition, [other], NOW)
    assert caught.value.errors[0].startswith("start:") and "simplification" in caught.value.errors[0]


def test_back_to_back_trials_and_trials_stopped_before_the_start_do_not_overlap():
    definition = parse_definition(trial())
    before = existing("before", datetime(2026, 12, 1, tzinfo=timezone.utc), definition.starts_at)
    stopped = existing("stopped", datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2027, 6, 1, tzinfo=timezone.utc),
                       stopped=datetime(2026, 12, 20, tzinfo=timezone.utc))
    check_schedule(definition, [before, stopped], NOW)


def test_a_trial_that_is_already_over_or_reuses_a_name_is_refused():
    definition = parse_definition(trial(start="2026-01-05", end="2026-02-01"))
    same_name = existing("framing", datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 2, 1, tzinfo=timezone.utc))
    with pytest.raises(TrialDefinitionError) as caught:
        check_schedule(definition, [same_name], NOW)
    assert {e.split(":")[0] for e in caught.value.errors} == {"end", "name"}


# A caller who presses nothing: the variant's menu, a wait, the short replay and a wait, at most 45 s.
LONG_OPTION2 = ("Unsure what to do, and want some advice from a colleague when there is no immediate risk "
                "to the child? Press 2 for the DSL Infoline.")


def test_a_variant_that_keeps_a_silent_caller_from_mash_over_45_seconds_is_refused():
    assert silent_caller_seconds(DEFAULT_WORDING) <= SILENT_CALLER_LIMIT_S
    [error] = errors_of(trial(variants={"control": {}, "norms": {"option2": LONG_OPTION2}}))
    assert error.startswith("variants.norms:") and "presses nothing" in error and "for MASH" in error
    assert "the limit is 45 s, so cut at least 2 words" in error


def test_a_variant_too_long_only_out_of_hours_is_refused_naming_the_emergency_duty_team():
    # Four words under the limit with MASH open: option 1's closed form is four words longer.
    long_closed = ("To leave a message for the DSL Infoline, who will ring you back within one working day of your call, "
                   "press 2.")
    [error] = errors_of(trial(variants={"control": {}, "norms": {"option2_closed": long_closed}}))
    assert error.startswith("variants.norms:") and "the Emergency Duty Team out of hours" in error


def test_a_variant_a_few_words_longer_than_the_default_is_still_allowed():
    variants = parse_definition(trial()).variants
    assert silent_caller_seconds(make_wording(variants["norms"])) <= SILENT_CALLER_LIMIT_S
