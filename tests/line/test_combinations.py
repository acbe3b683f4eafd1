"""The whole line is checked as one: a trial variant, an announcement and MASH's closure that are each safe alone
are refused together, whichever is saved last; two supervisors' changes at once both count."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import yaml
from sqlmodel import Session

from db.models import LineConfig
from line.changes import LineRefused, add_announcement, add_closure, set_hours
from tests.call_support import start
from tests.line_support import change_line, publish_wording
from tests.trial_support import make_trial, trial_data
from tests.twilio_client import said
from trials.cli import trials_group

SILENT_RULE = "rule 'a caller who presses nothing reaches MASH within 45 s'"
# Safe alone on the default wording; with the trial's "norms" variant (longer option 2 and closing) it is not.
ANNOUNCEMENT = "We are receiving a high number of calls today, sorry."


def test_an_announcement_that_a_running_trials_variant_makes_too_long_is_refused(app, engine, clock):
    make_trial(engine, clock.now)
    with pytest.raises(LineRefused) as refused:
        change_line(app, add_announcement, ANNOUNCEMENT, clock.now, clock.now + timedelta(hours=4))
    assert refused.value.errors[0].startswith(f"trial social-norms variant norms: {SILENT_RULE}")


def test_the_same_announcement_is_accepted_with_no_trial_and_heard_on_the_next_call(app, twilio, clock):
    change_line(app, add_announcement, ANNOUNCEMENT, clock.now, clock.now + timedelta(hours=4))
    assert ANNOUNCEMENT in said(start(twilio))


def test_a_closure_of_mash_is_checked_with_the_running_trial_too(app, engine, clock):
    make_trial(engine, clock.now)
    with pytest.raises(LineRefused) as refused:
        change_line(app, add_closure, "MASH", clock.now, clock.now + timedelta(hours=4), ANNOUNCEMENT)
    assert SILENT_RULE in refused.value.errors[0]


def test_publishing_a_wording_that_an_announcement_makes_too_long_is_refused(app, clock):
    change_line(app, add_announcement, ANNOUNCEMENT, clock.now, clock.now + timedelta(days=2))
    with pytest.raises(LineRefused) as refused:
        publish_wording(app, option3="If you first think a child or family is struggling, press 3 for Early Help.")
    assert f"with the sentence '{ANNOUNCEMENT}'" in refused.value.errors[0]


def test_two_supervisors_changing_the_line_at_once_each_move_the_revision_and_neither_change_is_lost(app, engine):
    changes = [("DSL_INFOLINE", f"Mon-Fri 09:00-1{n % 6 + 2}:00") for n in range(8)] + \
              [("EARLY_HELP", f"Mon-Fri 08:00-1{n % 6 + 2}:30") for n in range(8)]
    errors, start = [], threading.Barrier(2)

    def supervisor(mine):
        start.wait()
        for service, spec in mine:
            try:
                change_line(app, set_hours, service, spec)
            except Exception as exc:  # noqa: BLE001 (reported below, so the test names what went wrong)
                errors.append(repr(exc))

    threads = [threading.Thread(target=supervisor, args=(changes[:8],)),
               threading.Thread(target=supervisor, args=(changes[8:],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with Session(engine) as session:
        config = session.get(LineConfig, 1)
    assert config.revision == 16
    assert (config.hours["DSL_INFOLINE"], config.hours["EARLY_HELP"]) == (changes[7][1], changes[15][1])


def test_a_trial_whose_variant_an_announcement_makes_too_long_is_refused(app, clock, tmp_path):
    change_line(app, add_announcement, ANNOUNCEMENT, clock.now, clock.now + timedelta(days=2))
    path = tmp_path / "trial.yaml"
    path.write_text(yaml.safe_dump(trial_data()))
    result = app.test_cli_runner().invoke(trials_group, ["create", str(path)])
    assert result.exit_code != 0 and f"variants.norms: {SILENT_RULE}" in result.output
