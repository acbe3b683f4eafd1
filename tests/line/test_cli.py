"""`ivr line ...` and `ivr menu ...`: each prints what it changed; a refused change exits 1 and changes nothing."""
from __future__ import annotations

import pytest
import yaml
from sqlmodel import Session, select

from db.models import AuditEvent, LineConfig, LineNotice, MenuVersion
from line.cli import line_group, menu_group
from routing.menu import DEFAULT_WORDING
from tests.call_support import start
from tests.twilio_client import said

SAFE_OPTION2 = "Want advice from a colleague? Press 2 for the DSL Infoline."


@pytest.fixture
def ivr(app):
    """Run `ivr line ...` or `ivr menu ...` against the test app."""
    runner = app.test_cli_runner()
    groups = {"line": line_group, "menu": menu_group}
    return lambda group, *args: runner.invoke(groups[group], list(args))


def audit(engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(e.action, e.detail) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def revision(engine) -> int:
    with Session(engine) as session:
        config = session.get(LineConfig, 1)
        return config.revision if config else 0


def write_menu(tmp_path, texts: dict, name="menu.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(texts))
    return str(path)


def test_show_prints_the_environments_defaults_on_a_new_database(ivr, app):
    result = ivr("line", "show")
    assert result.exit_code == 0, result.output
    assert "Revision 0; menu: the default wording" in result.output
    assert "Emergency mode: off" in result.output
    assert "DSL_INFOLINE hours: Mon-Thu 08:30-17:30; Fri 08:30-17:00 (open now)" in result.output
    assert f"EDT number: {app.config['SETTINGS'].edt_number}" in result.output


def test_a_closure_is_added_shown_audited_and_removed(ivr, engine):
    added = ivr("line", "closure", "add", "--service", "DSL_INFOLINE", "--from", "2026-11-24T09:00",
                "--to", "2026-11-24T17:00", "--say", "The Infoline is closed today for staff training.",
                "--reason", "training day")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("Closure 1 added: DSL_INFOLINE closed 2026-11-24 09:00 to 2026-11-24 17:00")
    shown = ivr("line", "show").output
    assert "(closed now)" in shown.split("DSL_INFOLINE hours")[1].splitlines()[0]
    assert "Closure 1: DSL_INFOLINE 2026-11-24 09:00 to 2026-11-24 17:00 (training day): 'The Infoline" in shown
    assert "(training day)" in audit(engine)[0][1]
    removed = ivr("line", "closure", "remove", "1")
    assert removed.exit_code == 0 and "closure 1: DSL_INFOLINE closed -> removed" in removed.output
    assert [action for action, _ in audit(engine)] == ["line_closure_added", "line_closure_removed"]
    assert revision(engine) == 2


def test_the_emergency_duty_team_cannot_be_closed(ivr, engine):
    result = ivr("line", "closure", "add", "--service", "EDT", "--from", "2026-11-24", "--to", "2026-11-25",
                 "--say", "Closed.")
    assert result.exit_code == 1
    assert "the Emergency Duty Team answers whenever MASH is closed" in result.output
    assert revision(engine) == 0 and audit(engine) == []


def test_an_announcement_too_long_for_a_silent_caller_is_refused_and_nothing_changes(ivr, engine):
    long = ("Our colleagues are working very hard to answer every single call as quickly as they possibly can today, "
            "so please bear with us")
    result = ivr("line", "announce", "--say", long, "--from", "2026-11-24", "--to", "2026-11-24")
    assert result.exit_code == 1
    assert "Refused: rule 'a caller who presses nothing reaches MASH within 45 s'" in result.output
    with Session(engine) as session:
        assert session.exec(select(LineNotice)).all() == []


def test_an_announcement_for_today_is_saved_with_its_window(ivr, engine):
    result = ivr("line", "announce", "--say", "We are receiving a high number of calls today.",
                 "--from", "2026-11-24", "--to", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("Announcement 1 added: 'We are receiving a high number of calls today.' "
                                     "2026-11-24 00:00 to 2026-11-25 00:00")
    assert audit(engine)[0][0] == "line_announcement_added"


def test_emergency_mode_goes_on_with_its_sentence_and_off_again(ivr, engine):
    on = ivr("line", "emergency", "on", "--say", "The Infoline phones are down, so every call goes to MASH.")
    assert on.exit_code == 0, on.output
    assert "emergency mode: off -> on (The Infoline phones are down" in on.output
    assert "Emergency mode: on" in ivr("line", "show").output
    off = ivr("line", "emergency", "off")
    assert off.exit_code == 0 and "-> off" in off.output
    assert [a for a, _ in audit(engine)] == ["line_emergency", "line_emergency"]


def test_an_emergency_sentence_that_offers_a_key_is_refused(ivr, engine):
    result = ivr("line", "emergency", "on", "--say", "Press 2 to leave a message.")
    assert result.exit_code == 1 and "rule 'every option offers its own key" in result.output
    assert revision(engine) == 0


def test_hours_and_numbers_are_validated(ivr, app):
    assert ivr("line", "hours", "DSL_INFOLINE", "Mon-Fri 09:00-16:00").exit_code == 0
    bad_hours = ivr("line", "hours", "EARLY_HELP", "Mon-Fri 17:00-09:00")
    assert bad_hours.exit_code == 1 and "closing time 09:00 is not after opening time 17:00" in bad_hours.output
    bad_number = ivr("line", "number", "MASH", "0123")
    assert bad_number.exit_code == 1 and "not a valid phone number" in bad_number.output
    changed = ivr("line", "number", "EARLY_HELP", "01926 412 999")
    before = app.config["SETTINGS"].early_help_number
    assert changed.exit_code == 0 and f"EARLY_HELP number: {before} -> +441926412999" in changed.output
    assert "DSL_INFOLINE hours: Mon-Fri 09:00-16:00" in ivr("line", "show").output


def test_publish_a_wording_then_roll_back_to_it(ivr, engine, tmp_path):
    first = ivr("menu", "publish", write_menu(tmp_path, {"option2": SAFE_OPTION2}))
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Published version 1: menu: the default wording -> version 1"
    second = ivr("menu", "publish", write_menu(tmp_path, {"closing": "Thank you for choosing the right line."}))
    assert second.output.strip() == "Published version 2: menu: version 1 -> version 2"
    versions = ivr("menu", "versions").output.splitlines()
    assert versions[0].startswith("2  published (playing)") and versions[1].startswith("1  published 2026-11-24")
    back = ivr("menu", "rollback", "1")
    assert back.exit_code == 0 and back.output.strip() == "Rolled back: menu: version 2 -> version 1"
    with Session(engine) as session:
        assert session.get(LineConfig, 1).menu_version == 1
        # A version keeps every sentence: the one it did not name is the wording it was made from.
        assert session.get(MenuVersion, 2).texts["option2"] == SAFE_OPTION2
    assert [a for a, _ in audit(engine)][-1] == "menu_rolled_back"


@pytest.mark.parametrize("texts, rule", [
    ({"danger": "Welcome to the MASH front door."}, "the 999 sentence comes first"),
    ({"option1": "For urgent concerns, press 1."}, "option 1 keeps 'press 1' and 'stay on the line'"),
    ({"option3": "For Early Help, press 5."}, "every option offers its own key"),
    ({"option1": "If you are worried about a child and it is urgent, press 1, or stay on the line."},
     "the speech before option 1's key is at most 8 s"),
])
def test_a_wording_that_breaks_a_rule_is_refused_naming_it_and_nothing_is_saved(ivr, engine, tmp_path, texts, rule):
    result = ivr("menu", "publish", write_menu(tmp_path, texts))
    assert result.exit_code == 1
    assert f"Refused: rule '{rule}" in result.output
    with Session(engine) as session:
        assert session.exec(select(MenuVersion)).all() == [] and session.get(LineConfig, 1) is None


def test_a_menu_file_naming_an_unknown_sentence_is_refused(ivr, tmp_path):
    result = ivr("menu", "publish", write_menu(tmp_path, {"option5": "Press 5."}))
    assert result.exit_code == 1 and "option5: not a menu sentence" in result.output


def test_rollback_refuses_a_version_that_is_playing_or_unknown(ivr, tmp_path):
    assert ivr("menu", "publish", write_menu(tmp_path, {"option2": SAFE_OPTION2})).exit_code == 0
    playing = ivr("menu", "rollback", "1")
    assert playing.exit_code == 1 and "already published" in playing.output
    unknown = ivr("menu", "rollback", "9")
    assert unknown.exit_code == 1 and "no menu version 9" in unknown.output


def test_versions_lists_the_default_wording_as_version_0_playing_before_any_is_published(ivr):
    assert ivr("menu", "versions").output.startswith("0  published (playing)  the council's poster")


def test_rollback_0_restores_the_posters_default_wording(ivr, twilio, tmp_path):
    assert ivr("menu", "publish", write_menu(tmp_path, {"option2": SAFE_OPTION2})).exit_code == 0
    assert SAFE_OPTION2 in said(start(twilio, CallSid="CA" + "2" * 32))
    back = ivr("menu", "rollback", "0")
    assert back.exit_code == 0, back.output
    assert back.output.strip() == "Rolled back: menu: version 1 -> the default wording (version 0)"
    assert ivr("menu", "versions").output.splitlines()[-1].startswith("0  published (playing)")
    heard = said(start(twilio, CallSid="CA" + "3" * 32))
    assert DEFAULT_WORDING.option2 in heard and SAFE_OPTION2 not in heard


def test_turning_emergency_mode_off_keeps_its_sentence_and_refuses_a_new_one(ivr):
    assert ivr("line", "emergency", "on", "--say", "The Infoline phones are down today.").exit_code == 0
    refused = ivr("line", "emergency", "off", "--say", "Something else.")
    assert refused.exit_code == 1 and "--say goes with `on`" in refused.output
    assert ivr("line", "emergency", "off").exit_code == 0
    again = ivr("line", "emergency", "on")
    assert again.exit_code == 0 and "-> on (The Infoline phones are down today.)" in again.output


@pytest.mark.parametrize("args, problem", [
    (("line", "hours", "EDT", "Mon-Fri 09:00-17:00"), "service: 'EDT' is not one of MASH, DSL_INFOLINE, EARLY_HELP"),
    (("line", "number", "POLICE", "01926 410000"), "service: 'POLICE' is not one of"),
    (("line", "announce", "--say", "Busy today.", "--from", "soon", "--to", "2026-11-25"),
     "--from: 'soon' is not an ISO date"),
])
def test_a_bad_service_or_time_is_refused_with_exit_code_1(ivr, engine, args, problem):
    result = ivr(*args)
    assert result.exit_code == 1 and problem in result.output
    assert revision(engine) == 0


def test_turning_emergency_mode_on_twice_is_refused_as_no_change(ivr, engine):
    assert ivr("line", "emergency", "on").exit_code == 0
    again = ivr("line", "emergency", "on")
    assert again.exit_code == 1 and "already on" in again.output
    assert revision(engine) == 1
