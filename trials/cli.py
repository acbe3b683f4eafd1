"""`ivr trials ...`: create, list, stop and report trials of the menu's wording."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from db.session import get_engine, session_scope
from db.trials import get_trial_by_name, get_trials
from ivr.clock import app_now
from ivr.line_settings import line_cache
from line.changes import locked_state, spoken_notices
from trials.analysis import DEFAULT_EFFECT, DEFAULT_EFFECT_SECONDS, to_csv
from trials.definition import TrialDefinitionError, load_definition_text
from trials.report import last_day, date_words, plain_text, results_for, shares_text, trial_status, unit_text
from trials.saving import save_trial, save_trial_stop

CLI_ACTOR = "cli"


def _trial(session, name: str):
    trial = get_trial_by_name(session, name)
    if trial is None:
        raise click.ClickException(f"no trial called {name!r} (see `ivr trials list`)")
    return trial


@click.group("trials")
def trials_group():
    """Trials of the menu's wording: one change at a time, measured."""


@trials_group.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def create_command(file: Path):
    """Create a trial from a YAML file (see trials/examples/intrinsic_motivation.yaml)."""
    try:
        definition = load_definition_text(file.read_text(encoding="utf-8"))
        with session_scope(get_engine()) as session:
            state = locked_state(session, line_cache().defaults.state, app_now())
            trial = save_trial(session, definition, app_now(), CLI_ACTOR, state.wording, spoken_notices(state))
            summary = (f"{trial.name}: {date_words(trial.starts_at)} to {last_day(trial)}, {shares_text(trial)}, "
                       f"allocating {unit_text(trial)}")
    except (TrialDefinitionError, UnicodeDecodeError) as exc:
        errors = getattr(exc, "errors", [str(exc)])
        raise click.ClickException("\n".join(f"{file}: {error}" for error in errors)) from None
    click.echo(f"Created trial {summary}")


@trials_group.command("list")
@with_appcontext
def list_command():
    """Every trial, the latest first, with its status."""
    now = app_now()
    with session_scope(get_engine()) as session:
        trials = get_trials(session)
        for trial in trials:
            click.echo(f"{trial.name}  {trial_status(trial, now)}  {date_words(trial.starts_at)} to {last_day(trial)}"
                       f"  shares: {shares_text(trial)} (control: {trial.control})  unit: {trial.unit}")
    if not trials:
        click.echo("No trials yet. Create one with `ivr trials create FILE.yaml`.")


@trials_group.command("stop")
@click.argument("name")
@with_appcontext
def stop_command(name: str):
    """Stop a trial now: from the next call on, the published wording plays."""
    with session_scope(get_engine()) as session:
        trial = _trial(session, name)
        try:
            save_trial_stop(session, trial, app_now(), CLI_ACTOR)
        except TrialDefinitionError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Stopped trial {name}; new calls hear the published wording.")


@trials_group.command("results")
@click.argument("name")
@click.option("--effect", default=DEFAULT_EFFECT * 100, show_default=True, type=click.FloatRange(0.1, 99.9),
              help="The change to detect, in percentage points, for the sample size.")
@click.option("--effect-seconds", default=DEFAULT_EFFECT_SECONDS, show_default=True, type=click.FloatRange(0.1),
              help="The change in time to route to detect, in seconds.")
@click.option("--csv", "csv_file", type=click.File("w", encoding="utf-8"), help="Write the table as CSV ('-' for stdout).")
@with_appcontext
def results_command(name: str, effect: float, effect_seconds: float, csv_file):
    """The results table: per variant N, shares with 95% CIs, difference against the control, p-value."""
    with session_scope(get_engine()) as session:
        results = results_for(session, _trial(session, name), effect / 100, effect_seconds)
    if csv_file is not None:
        csv_file.write(to_csv(results))
        return
    click.echo(plain_text(results))
