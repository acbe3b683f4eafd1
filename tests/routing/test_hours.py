"""Tests for routing.hours: opening hours in London time with England & Wales bank holidays."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.hours import (
    DEFAULT_SPEC,
    LONDON,
    OpeningHours,
    OpeningHoursError,
    is_bank_holiday,
    working_days_after,
)

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
DEFAULT = OpeningHours.parse(DEFAULT_SPEC)


def london(*args: int) -> datetime:
    """Return an aware London datetime."""
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def in_utc(moment: datetime) -> datetime:
    """Return moment in UTC, since Python never calls a repeated-hour time equal across zones."""
    return moment.astimezone(UTC)


# --- is_open on ordinary days -------------------------------------------------------------


def test_a_weekday_mid_morning_is_open():
    assert DEFAULT.is_open(london(2026, 1, 14, 10, 0))


def test_a_weekday_evening_is_closed():
    assert not DEFAULT.is_open(london(2026, 1, 14, 19, 0))


def test_a_weekday_early_morning_is_closed():
    assert not DEFAULT.is_open(london(2026, 1, 14, 7, 0))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (london(2026, 1, 14, 8, 29, 59), False),
        (london(2026, 1, 14, 8, 30), True),
        (london(2026, 1, 14, 17, 29), True),
        (london(2026, 1, 14, 17, 29, 59, 999999), True),
        (london(2026, 1, 14, 17, 30), False),
    ],
)
def test_opening_time_is_inclusive_and_closing_time_is_exclusive(moment, expected):
    assert DEFAULT.is_open(moment) is expected


def test_friday_closes_at_five_instead_of_half_past():
    assert DEFAULT.is_open(london(2026, 1, 16, 16, 59))
    assert not DEFAULT.is_open(london(2026, 1, 16, 17, 0))
    assert not DEFAULT.is_open(london(2026, 1, 16, 17, 15))


@pytest.mark.parametrize("day", [17, 18])
def test_the_weekend_is_closed_all_day(day):
    assert not DEFAULT.is_open(london(2026, 1, day, 12, 0))
    assert not DEFAULT.is_working_day(date(2026, 1, day))


# --- bank holidays ------------------------------------------------------------------------


def test_easter_monday_2026_is_a_closed_bank_holiday():
    assert is_bank_holiday(date(2026, 4, 6))
    assert not DEFAULT.is_open(london(2026, 4, 6, 10, 0))
    assert not DEFAULT.is_working_day(date(2026, 4, 6))


def test_christmas_day_2026_is_closed():
    assert is_bank_holiday(date(2026, 12, 25))
    assert not DEFAULT.is_open(london(2026, 12, 25, 10, 0))


def test_the_boxing_day_substitute_monday_2026_is_closed():
    # 26 December 2026 is a Saturday, so the bank holiday moves to Monday 28th.
    assert date(2026, 12, 26).weekday() == 5
    assert is_bank_holiday(date(2026, 12, 28))
    assert not DEFAULT.is_open(london(2026, 12, 28, 10, 0))
    assert DEFAULT.close_of(date(2026, 12, 28)) is None


def test_an_ordinary_weekday_is_not_a_bank_holiday():
    assert not is_bank_holiday(date(2026, 4, 7))
    assert DEFAULT.is_working_day(date(2026, 4, 7))


def test_a_datetime_on_a_bank_holiday_counts_as_a_bank_holiday():
    assert is_bank_holiday(datetime(2026, 4, 6, 9, 0))


# --- time zones ---------------------------------------------------------------------------


def test_five_pm_london_in_july_is_four_pm_utc():
    # Friday 17 July 2026 is in BST, so 16:00 UTC is the 17:00 London close.
    assert DEFAULT.is_open(utc(2026, 7, 17, 15, 59))
    assert not DEFAULT.is_open(utc(2026, 7, 17, 16, 0))
    assert DEFAULT.close_of(date(2026, 7, 17)) == utc(2026, 7, 17, 16, 0)


def test_five_pm_london_in_january_is_five_pm_utc():
    assert DEFAULT.is_open(utc(2026, 1, 16, 16, 59))
    assert not DEFAULT.is_open(utc(2026, 1, 16, 17, 0))
    assert DEFAULT.close_of(date(2026, 1, 16)) == utc(2026, 1, 16, 17, 0)


def test_half_past_eight_london_in_summer_is_half_past_seven_utc():
    assert not DEFAULT.is_open(utc(2026, 7, 15, 7, 29))
    assert DEFAULT.is_open(utc(2026, 7, 15, 7, 30))


def test_a_datetime_in_another_zone_is_converted_to_london_time():
    # 04:00 in New York on 14 January is 09:00 in London.
    assert DEFAULT.is_open(datetime(2026, 1, 14, 4, 0, tzinfo=NEW_YORK))
    assert not DEFAULT.is_open(datetime(2026, 1, 14, 3, 0, tzinfo=NEW_YORK))


def test_a_naive_datetime_is_treated_as_utc():
    # 07:45 naive is 07:45 UTC, which is 08:45 BST: open, though 07:45 London would not be.
    assert DEFAULT.is_open(datetime(2026, 7, 15, 7, 45))
    assert not DEFAULT.is_open(datetime(2026, 7, 15, 7, 15))


# --- next_open and clamp_to_open ----------------------------------------------------------


def test_next_open_from_friday_evening_is_monday_half_past_eight():
    result = DEFAULT.next_open(london(2026, 1, 16, 18, 0))
    assert result == london(2026, 1, 19, 8, 30)
    assert result.tzinfo is LONDON


def test_next_open_before_a_bank_holiday_monday_is_tuesday_half_past_eight():
    assert DEFAULT.next_open(london(2026, 5, 22, 18, 0)) == london(2026, 5, 26, 8, 30)


def test_next_open_over_easter_skips_good_friday_and_easter_monday():
    assert DEFAULT.next_open(london(2026, 4, 2, 18, 0)) == london(2026, 4, 7, 8, 30)


def test_next_open_over_christmas_2026_is_the_tuesday_after_boxing_day():
    assert DEFAULT.next_open(london(2026, 12, 24, 18, 0)) == london(2026, 12, 29, 8, 30)


def test_next_open_before_opening_is_the_same_morning():
    assert DEFAULT.next_open(london(2026, 1, 14, 6, 0)) == london(2026, 1, 14, 8, 30)


def test_next_open_at_closing_time_is_the_next_morning():
    assert DEFAULT.next_open(london(2026, 1, 14, 17, 30)) == london(2026, 1, 15, 8, 30)


def test_next_open_while_open_is_the_same_moment_in_london_time():
    moment = utc(2026, 7, 15, 12, 0)
    result = DEFAULT.next_open(moment)
    assert result == moment
    assert result.tzinfo is LONDON


def test_next_open_in_summer_is_half_past_seven_utc():
    assert DEFAULT.next_open(utc(2026, 7, 18, 12, 0)) == utc(2026, 7, 20, 7, 30)


def test_clamp_to_open_leaves_an_open_moment_alone():
    moment = london(2026, 1, 14, 10, 0)
    assert DEFAULT.clamp_to_open(moment) == moment


def test_clamp_to_open_moves_a_closed_moment_to_the_next_opening():
    assert DEFAULT.clamp_to_open(london(2026, 1, 17, 10, 0)) == london(2026, 1, 19, 8, 30)


def test_next_open_after_clocks_go_forward_is_the_moment_of_the_jump():
    # On 29 March 2026 clocks jump from 01:00 GMT to 02:00 BST, so 01:30 never happens.
    hours = OpeningHours.parse("Sun 01:30-05:00")
    assert in_utc(hours.next_open(utc(2026, 3, 28, 12, 0))) == utc(2026, 3, 29, 1, 0)


def test_next_open_during_the_repeated_hour_uses_the_second_pass_of_the_clock():
    # On 25 October 2026 clocks go back from 02:00 BST to 01:00 GMT; 01:10 GMT is the second 01:10.
    hours = OpeningHours.parse("Sun 01:30-03:00")
    assert in_utc(hours.next_open(utc(2026, 10, 25, 1, 10))) == utc(2026, 10, 25, 1, 30)


def test_next_open_when_clocks_go_back_into_opening_hours_is_the_moment_of_the_change():
    # 00:45 UTC is 01:45 BST (closed); at 01:00 UTC clocks read 01:00 GMT, inside the window again.
    hours = OpeningHours.parse("Sun 00:30-01:30")
    assert not hours.is_open(utc(2026, 10, 25, 0, 45))
    assert in_utc(hours.next_open(utc(2026, 10, 25, 0, 45))) == utc(2026, 10, 25, 1, 0)
    assert in_utc(hours.close_of(date(2026, 10, 25))) == utc(2026, 10, 25, 1, 30)


def test_a_closing_time_skipped_by_clocks_going_forward_closes_at_the_jump():
    hours = OpeningHours.parse("Sun 00:30-01:30")
    assert in_utc(hours.close_of(date(2026, 3, 29))) == utc(2026, 3, 29, 1, 0)


# --- close_of and end_of_next_working_day -------------------------------------------------


def test_close_of_a_monday_is_half_past_five_london_time():
    result = DEFAULT.close_of(date(2026, 1, 12))
    assert result == london(2026, 1, 12, 17, 30)
    assert result.tzinfo is LONDON


def test_close_of_a_friday_is_five_pm():
    assert DEFAULT.close_of(date(2026, 1, 16)) == london(2026, 1, 16, 17, 0)


def test_close_of_a_saturday_is_none():
    assert DEFAULT.close_of(date(2026, 1, 17)) is None


def test_close_of_easter_monday_is_none():
    assert DEFAULT.close_of(date(2026, 4, 6)) is None


def test_end_of_next_working_day_from_a_thursday_is_friday_at_five():
    assert DEFAULT.end_of_next_working_day(london(2026, 1, 15, 10, 0)) == london(2026, 1, 16, 17, 0)


def test_end_of_next_working_day_from_a_friday_is_monday_at_half_past_five():
    assert DEFAULT.end_of_next_working_day(london(2026, 1, 16, 10, 0)) == london(2026, 1, 19, 17, 30)


def test_end_of_next_working_day_from_a_saturday_is_monday_at_half_past_five():
    assert DEFAULT.end_of_next_working_day(london(2026, 1, 17, 10, 0)) == london(2026, 1, 19, 17, 30)


def test_end_of_next_working_day_before_easter_is_the_tuesday_after():
    assert DEFAULT.end_of_next_working_day(london(2026, 4, 2, 10, 0)) == london(2026, 4, 7, 17, 30)


def test_end_of_next_working_day_uses_the_london_date_not_the_utc_date():
    # 23:30 UTC on Thursday 16 July is already 00:30 BST on Friday in London.
    result = DEFAULT.end_of_next_working_day(utc(2026, 7, 16, 23, 30))
    assert result == london(2026, 7, 20, 17, 30)


# --- working_days_after -------------------------------------------------------------------


def test_one_working_day_after_maundy_thursday_is_the_tuesday_after_easter():
    assert working_days_after(date(2026, 4, 2), 1) == date(2026, 4, 7)


def test_one_working_day_after_christmas_eve_2026_is_the_twenty_ninth():
    assert working_days_after(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_five_working_days_after_a_monday_is_the_next_monday():
    assert working_days_after(date(2026, 1, 12), 5) == date(2026, 1, 19)


def test_zero_working_days_after_a_day_is_that_day():
    assert working_days_after(date(2026, 1, 17), 0) == date(2026, 1, 17)


def test_a_negative_number_of_working_days_is_rejected():
    with pytest.raises(ValueError):
        working_days_after(date(2026, 1, 12), -1)


# --- always and never ---------------------------------------------------------------------


def test_always_is_open_at_three_am_on_christmas_day():
    hours = OpeningHours.parse("always")
    assert hours.is_open(london(2026, 12, 25, 3, 0))
    assert hours.is_working_day(date(2026, 12, 25))
    assert hours.is_working_day(date(2026, 1, 18))


def test_always_next_open_and_clamp_return_the_same_moment():
    hours = OpeningHours.parse("always")
    moment = london(2026, 12, 26, 23, 59)
    assert hours.next_open(moment) == moment
    assert hours.clamp_to_open(moment) == moment


def test_always_closes_each_day_at_midnight():
    hours = OpeningHours.parse("Always")
    assert hours.close_of(date(2026, 1, 17)) == london(2026, 1, 18, 0, 0)
    assert hours.end_of_next_working_day(london(2026, 1, 16, 12, 0)) == london(2026, 1, 18, 0, 0)


def test_never_is_never_open_and_has_no_working_days():
    hours = OpeningHours.parse("never")
    assert not hours.is_open(london(2026, 1, 14, 10, 0))
    assert not hours.is_working_day(date(2026, 1, 14))
    assert hours.close_of(date(2026, 1, 14)) is None


def test_never_has_no_next_opening():
    hours = OpeningHours.parse(" NEVER ")
    with pytest.raises(OpeningHoursError, match="never"):
        hours.next_open(london(2026, 1, 14, 10, 0))
    with pytest.raises(OpeningHoursError, match="never"):
        hours.clamp_to_open(london(2026, 1, 14, 10, 0))
    with pytest.raises(OpeningHoursError, match="never"):
        hours.end_of_next_working_day(london(2026, 1, 14, 10, 0))


# --- parsing ------------------------------------------------------------------------------


def test_case_whitespace_and_full_day_names_are_accepted():
    hours = OpeningHours.parse("  monday - THURSDAY  08:30 - 17:30 ;friday 08:30-17:00 ; ")
    for moment in [london(2026, 1, 12, 8, 30), london(2026, 1, 16, 16, 59), london(2026, 1, 16, 17, 0)]:
        assert hours.is_open(moment) == DEFAULT.is_open(moment)
    assert hours.close_of(date(2026, 1, 15)) == DEFAULT.close_of(date(2026, 1, 15))


def test_a_comma_list_of_days_opens_only_on_those_days():
    hours = OpeningHours.parse("Mon, Wed 09:00-12:00")
    assert hours.is_open(london(2026, 1, 12, 10, 0))
    assert not hours.is_open(london(2026, 1, 13, 10, 0))
    assert hours.is_open(london(2026, 1, 14, 10, 0))


def test_a_day_range_may_wrap_past_sunday():
    hours = OpeningHours.parse("Sat-Mon 10:00-14:00")
    assert [hours.is_working_day(date(2026, 1, d)) for d in range(12, 19)] == [
        True, False, False, False, False, True, True,
    ]


def test_weekend_hours_still_close_on_a_saturday_bank_holiday():
    hours = OpeningHours.parse("Sat 10:00-14:00")
    assert is_bank_holiday(date(2026, 12, 26))
    assert not hours.is_open(london(2026, 12, 26, 11, 0))


def test_the_constructor_parses_just_like_parse():
    assert OpeningHours(DEFAULT_SPEC) == DEFAULT
    with pytest.raises(OpeningHoursError):
        OpeningHours("Mon 09:00")


def test_opening_hours_errors_are_value_errors():
    assert issubclass(OpeningHoursError, ValueError)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (" ; ; ", "empty"),
        ("Funday 09:00-17:00", "unknown day 'Funday'"),
        ("Mon-Funday 09:00-17:00", "unknown day 'Funday'"),
        ("Mon,,Tue 09:00-17:00", "empty day"),
        ("Mon 25:00-26:00", "bad time '25:00'"),
        ("Mon 09:00-24:00", "bad time '24:00'"),
        ("Mon 09:60-17:00", "bad time '09:60'"),
        ("Mon 9.30-17:00", "bad time '9.30'"),
        ("Mon 0930-1730", "bad time '0930'"),
        ("Mon 17:00-09:00", "not after opening time"),
        ("Mon 09:00-09:00", "not after opening time"),
        ("Mon 09:00", "HH:MM-HH:MM"),
        ("Mon 09:00 17:00", "HH:MM-HH:MM"),
        ("Mon-Fri", "expected days then times"),
        ("09:00-17:00", "expected days then times"),
        ("sometimes", "expected days then times"),
        ("Mon 09:00-17:00; Mon 10:00-11:00", "Monday is given hours more than once"),
        ("Mon,Mon 09:00-10:00", "Monday is given hours more than once"),
        ("Mon-Fri 09:00-17:00; Wed 10:00-12:00", "Wednesday is given hours more than once"),
    ],
)
def test_a_malformed_spec_is_rejected_with_a_clear_message(spec, message):
    with pytest.raises(OpeningHoursError, match=message) as caught:
        OpeningHours.parse(spec)
    assert repr(spec) in str(caught.value)


def test_a_spec_that_is_not_a_string_is_rejected():
    with pytest.raises(OpeningHoursError, match="must be a string"):
        OpeningHours.parse(None)


# --- properties ---------------------------------------------------------------------------

aware_datetimes = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2028, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC, LONDON, NEW_YORK, ZoneInfo("Asia/Kolkata")]),
)


@settings(deadline=None)
@given(aware_datetimes)
def test_next_open_is_never_earlier_than_asked_and_is_open(moment):
    moment, result = in_utc(moment), in_utc(DEFAULT.next_open(moment))
    assert result >= moment
    assert DEFAULT.is_open(result)
    # Nothing between the asked moment and the answer is open.
    assert result == moment or not DEFAULT.is_open(max(moment, result - timedelta(microseconds=1)))


@settings(deadline=None)
@given(aware_datetimes)
def test_clamp_to_open_always_returns_an_open_moment_no_earlier_than_asked(moment):
    moment, result = in_utc(moment), in_utc(DEFAULT.clamp_to_open(moment))
    assert result >= moment
    assert DEFAULT.is_open(result)
    assert (result == moment) == DEFAULT.is_open(moment)


@settings(deadline=None)
@given(
    st.sampled_from(["Sun 00:30-01:30", "Sun 01:30-05:00", "Sat-Sun 00:00-23:59", "Wed 12:00-12:01"]),
    aware_datetimes,
)
def test_next_open_is_the_first_open_moment_for_night_and_weekend_specs(spec, moment):
    hours = OpeningHours.parse(spec)
    moment, result = in_utc(moment), in_utc(hours.next_open(moment))
    assert result >= moment
    assert hours.is_open(result)
    assert result == moment or not hours.is_open(max(moment, result - timedelta(microseconds=1)))


def test_a_london_time_skipped_by_clocks_going_forward_is_read_as_the_real_instant():
    # 01:15 on 29 March 2026 never shows on London clocks; Python reads it as 01:15 UTC (02:15 BST).
    hours = OpeningHours.parse("Sun 00:30-01:30")
    assert not hours.is_open(london(2026, 3, 29, 1, 15))
