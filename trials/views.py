"""Admin pages for trials: the list, a form to define one, its results table and CSV, stopping it."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from db.session import get_session
from db.trials import get_trial, get_trials
from ivr.clock import app_now
from ivr.line_settings import current_line, line_cache
from line.changes import locked_state, spoken_notices
from routing.menu import VARIABLE_FIELDS
from staff.auth import current_user, login_required
from staff.errors import error_pages
from trials.analysis import DEFAULT_EFFECT, DEFAULT_EFFECT_SECONDS, to_csv
from trials.definition import TrialDefinitionError
from trials.forms import FIELD_LABELS, check_form, new_trial_form
from trials.report import (CLUSTER_COLUMNS, COLUMNS, SCHOOL_COLUMNS, cluster_table, date_words, last_day, results_for,
                           school_table, shares_text, table, trial_status, unit_text)
from trials.saving import save_trial, save_trial_stop

bp = Blueprint("trials", __name__, url_prefix="/trials", template_folder="templates", static_folder="static")
error_pages(bp)
HELPERS = dict(date_words=date_words, last_day=last_day, shares_text=shares_text, trial_status=trial_status,
               unit_text=unit_text, field_labels=FIELD_LABELS, variable_fields=VARIABLE_FIELDS)


def _published():
    """The playing wording, which a trial's variants change."""
    return current_line().state.wording


def _new_page(form, errors: list[str]):
    published = _published()
    return render_template("trials/new.html", form=form, errors=errors,
                           fixed_opening=" ".join(published.sentences(True)[:2]), **HELPERS)


def _trial_or_404(trial_id: int):
    trial = get_trial(get_session(), trial_id)
    if trial is None:
        abort(404, description="No such trial.")
    return trial


def _number_arg(name: str, default: float, low: float, high: float) -> float:
    """A number from the query string, or a 400 naming the parameter."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        abort(400, description=f"{name}: give a number from {low:g} to {high:g}")
    return value


def _effects() -> tuple[float, float]:
    """The effects to size the trial for: percentage points, and seconds of time to route."""
    return (_number_arg("effect", DEFAULT_EFFECT * 100, 0.1, 99.9),
            _number_arg("effect_seconds", DEFAULT_EFFECT_SECONDS, 0.1, 600))


@bp.get("/")
@login_required(role="admin")
def index():
    """Every trial, the latest first."""
    return render_template("trials/index.html", trials=get_trials(get_session()), now=app_now(), **HELPERS)


@bp.route("/new", methods=["GET", "POST"])
@login_required(role="admin")
def new():
    """Define a trial; the same checks as `ivr trials create`."""
    form = new_trial_form(_published())
    if not form.is_submitted():
        return _new_page(form, [])
    definition, errors = check_form(form, _published())
    if definition is not None:
        session = get_session()
        try:
            state = locked_state(session, line_cache().defaults.state, app_now())
            trial = save_trial(session, definition, app_now(), current_user().username, state.wording,
                               spoken_notices(state))
            session.commit()
        except TrialDefinitionError as exc:
            session.rollback()
            errors = exc.errors
        else:
            flash(f"Trial {trial.name} created.")
            return redirect(url_for("trials.show", trial_id=trial.id))
    return _new_page(form, errors), 400


@bp.get("/<int:trial_id>")
@login_required(role="admin")
def show(trial_id: int):
    """A trial's wordings and its results table."""
    trial = _trial_or_404(trial_id)
    effect, effect_seconds = _effects()
    results = results_for(get_session(), trial, effect / 100, effect_seconds)
    return render_template("trials/show.html", trial=trial, results=results, rows=table(results), columns=COLUMNS,
                           cluster_rows=cluster_table(results), cluster_columns=CLUSTER_COLUMNS,
                           school_rows=school_table(results), school_columns=SCHOOL_COLUMNS, effect=effect, effect_seconds=effect_seconds, now=app_now(), stop_form=FlaskForm(),
                           **HELPERS)


@bp.get("/<int:trial_id>/results.csv")
@login_required(role="admin")
def results_csv(trial_id: int):
    """The results table as CSV."""
    trial = _trial_or_404(trial_id)
    effect, effect_seconds = _effects()
    body = to_csv(results_for(get_session(), trial, effect / 100, effect_seconds))
    return Response("\ufeff" + body, mimetype="text/csv",  # the BOM makes Excel read UTF-8
                    headers={"Content-Disposition": f'attachment; filename="trial-{trial.name}-results.csv"'})


@bp.post("/<int:trial_id>/stop")
@login_required(role="admin")
def stop(trial_id: int):
    """Stop a trial now; new calls hear the published wording."""
    trial = _trial_or_404(trial_id)
    if not FlaskForm().validate_on_submit():
        abort(400, description="The form has expired; reload the page and try again.")
    session = get_session()
    try:
        save_trial_stop(session, trial, app_now(), current_user().username)
        session.commit()
        flash(f"Trial {trial.name} stopped: new calls hear the published wording.")
    except TrialDefinitionError as exc:
        session.rollback()
        flash(str(exc))
    return redirect(url_for("trials.show", trial_id=trial.id))
