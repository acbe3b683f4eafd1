"""Trials vary the published wording: a variant changes only its own sentences of the version that plays."""
from __future__ import annotations

import pytest
import yaml

from line.changes import LineRefused
from tests.line_support import publish_wording
from tests.staff_support import page, signed_in_client
from tests.trial_support import NORMS_CLOSING, make_trial, trial_data
from tests.twilio_client import call_params, said
from trials.cli import trials_group

PUBLISHED_OPTION3 = "Worried a family is struggling? Press 3 for Early Help."
# Each is safe alone; with the other the longest menu keeps a silent caller past 45 s.
LONGER_CLOSING = "Thank you for choosing the right line, which keeps MASH clear for emergencies."
LONGER_OPTION3 = "If you first think a child or family might be struggling, press 3 for Early Help."


def test_every_variant_hears_the_published_versions_sentences_it_does_not_change(app, twilio, engine, clock):
    publish_wording(app, option3=PUBLISHED_OPTION3)
    make_trial(engine, clock.now)
    heard = [said(twilio.twiml("/voice/incoming", call_params(call_sid=f"CA{n:032d}", caller=f"+442079460{n:03d}")))
             for n in range(20)]
    assert all(PUBLISHED_OPTION3 in text for text in heard)
    assert {NORMS_CLOSING in text for text in heard} == {True, False}  # both variants played


def test_a_trial_whose_variant_breaks_a_rule_on_the_published_wording_is_refused(app, tmp_path):
    path = tmp_path / "trial.yaml"
    path.write_text(yaml.safe_dump(trial_data(variants={"control": {}, "long": {"option3": LONGER_OPTION3}},
                                              allocation={"control": 50, "long": 50})))
    publish_wording(app, closing=LONGER_CLOSING)
    result = app.test_cli_runner().invoke(trials_group, ["create", str(path)])
    assert result.exit_code != 0
    assert "variants.long: rule 'a caller who presses nothing reaches MASH within 45 s'" in result.output


def test_the_same_trial_is_accepted_on_the_default_wording(app, tmp_path):
    path = tmp_path / "trial.yaml"
    path.write_text(yaml.safe_dump(trial_data(variants={"control": {}, "long": {"option3": LONGER_OPTION3}},
                                              allocation={"control": 50, "long": 50})))
    result = app.test_cli_runner().invoke(trials_group, ["create", str(path)])
    assert result.exit_code == 0, result.output


def test_publishing_a_version_that_would_make_a_running_trials_variant_unsafe_is_refused(app, engine, clock):
    make_trial(engine, clock.now)  # its "norms" variant lengthens option 2 and the closing line
    with pytest.raises(LineRefused) as refused:
        publish_wording(app, option3="If you first think a family is struggling, please press 3 for Early Help.")
    assert refused.value.errors[0].startswith(
        "trial social-norms variant norms: rule 'a caller who presses nothing reaches MASH within 45 s'")


def test_the_trial_form_starts_from_the_published_wording(app):
    publish_wording(app, option3=PUBLISHED_OPTION3)
    shown = page(signed_in_client(app, "admin").get("/trials/new"))
    assert [t.strip() for t in shown.xpath("//textarea[@name='variants-1-option3']/text()")] == [PUBLISHED_OPTION3]
