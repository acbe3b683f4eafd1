"""What a caller hears at a moment, from the line's settings: hours per service, closures, announcements, emergency."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from routing import prompts
from routing.hours import OpeningHours
from routing.line import LineState, Notice, transcript
from routing.menu import DEFAULT_WORDING as W
from routing.vocabulary import Route

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
TUESDAY_1630 = datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)
NUMBERS = {Route.MASH: "+441926414144", Route.DSL_INFOLINE: "+441926418608", Route.EARLY_HELP: "+441926412412",
           Route.EDT: "+441926886922"}


def state(**changes) -> LineState:
    hours = {s: OpeningHours.parse("Mon-Fri 08:30-17:30") for s in (Route.MASH, Route.DSL_INFOLINE, Route.EARLY_HELP)}
    hours.update(changes.pop("hours", {}))
    return LineState(hours=hours, numbers=NUMBERS, **changes)


def test_each_service_keeps_its_own_hours():
    line = state(hours={Route.DSL_INFOLINE: OpeningHours.parse("Mon-Fri 09:00-16:00")})
    assert line.greeting(W, TUESDAY_1630) == [W.danger, W.option1, W.option2_closed, W.option3, W.option4, W.closing]
    assert line.is_open(Route.EDT, TUESDAY_1630)


def test_a_closure_closes_only_its_service_while_it_lasts():
    closure = Notice(1, "The Infoline is closed for training.", TUESDAY_10, TUESDAY_10 + timedelta(hours=2),
                     Route.DSL_INFOLINE)
    line = state(closures=(closure,))
    assert line.greeting(W, TUESDAY_10)[2] == W.option2_closed
    assert line.closure(Route.DSL_INFOLINE, TUESDAY_10) == closure
    assert line.is_open(Route.DSL_INFOLINE, TUESDAY_10 + timedelta(hours=2))  # its end is not included
    assert line.is_open(Route.MASH, TUESDAY_10)


def test_an_announcement_is_spoken_after_option_1_and_never_before():
    notice = Notice(2, "We are receiving a high number of calls today.", TUESDAY_10, TUESDAY_10 + timedelta(hours=1))
    heard = state(announcements=(notice,)).greeting(W, TUESDAY_10)
    assert heard[:3] == [W.danger, W.option1, notice.say]
    assert notice.say not in state(announcements=(notice,)).greeting(W, TUESDAY_10 + timedelta(hours=1))


def test_emergency_mode_speaks_its_sentence_after_option_1_and_offers_no_other_service():
    heard = state(emergency=True).greeting(W, TUESDAY_10)
    assert heard == [W.danger, W.option1, prompts.EMERGENCY]


def test_a_closed_mash_sends_urgent_calls_to_edt_in_the_preview_with_its_timings():
    heard = transcript(state(), W, datetime(2026, 11, 24, 22, 0, tzinfo=timezone.utc))
    assert heard.sentences[1] == W.option1_closed
    assert "Urgent calls go to the Emergency Duty Team" in heard.notes
    assert 0 < heard.seconds_to_option1 <= 8 < heard.seconds_total <= 40
