"""The form that defines a trial; it becomes the same mapping a YAML file gives (one set of checks)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, Form, FormField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from routing.menu import DEFAULT_WORDING, VARIABLE_FIELDS, Wording
from trials.definition import TrialDefinition, TrialDefinitionError, parse_definition

MAX_VARIANTS = 4
FIELD_LABELS = {
    "option2": "Option 2 (DSL Infoline), open",
    "option2_closed": "Option 2, closed",
    "option3": "Option 3 (Early Help), open",
    "option3_closed": "Option 3, closed",
    "option4": "Option 4 (check on a contact)",
    "closing": "Closing line",
}


class VariantForm(Form):
    """One wording: a name, its share of callers, and the sentences a trial may change."""

    name = StringField("Variant name", validators=[Optional()])
    share = IntegerField("Share of callers", validators=[Optional(), NumberRange(min=1, max=1000)])


for _field in VARIABLE_FIELDS:
    setattr(VariantForm, _field, TextAreaField(FIELD_LABELS[_field], default=getattr(DEFAULT_WORDING, _field)))


class TrialForm(FlaskForm):
    """A new trial: the first variant is the control."""

    # Missing values are reported by the trial checks (parse_definition), as for a YAML file.
    name = StringField("Trial name")
    start = DateField("First day", validators=[Optional()])
    end = DateField("Last day", validators=[Optional()])
    # Checked by parse_definition like a file's `unit:`, so a forged value is refused with the same words.
    unit = RadioField("Who is given a variant", default="caller", validate_choice=False, choices=[
        SelectChoice("caller", "Each caller (by their number)"),
        SelectChoice("school", "Each school (every caller from one school hears the same; unknown schools by caller)")])
    variants = FieldList(FormField(VariantForm), min_entries=MAX_VARIANTS, max_entries=MAX_VARIANTS)


def new_trial_form(published: Wording = DEFAULT_WORDING) -> TrialForm:
    """A blank form: the control is the published wording, a second variant to edit, even shares."""
    form = TrialForm()
    if not form.is_submitted():
        form.variants[0].form.name.data, form.variants[0].form.share.data = "control", 50
        form.variants[1].form.share.data = 50
        for entry in form.variants:
            for field in VARIABLE_FIELDS:
                getattr(entry.form, field).data = getattr(published, field)
    return form


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def definition_data(form: TrialForm, published: Wording = DEFAULT_WORDING) -> dict:
    """The form as a trial mapping; sentences left as published are not overrides, blank variants are skipped."""
    variants, allocation = {}, {}
    for entry in form.variants:
        sub = entry.form
        name = _clean(sub.name.data)
        if not name:
            continue
        sentences = {f: _clean(getattr(sub, f).data) for f in VARIABLE_FIELDS}
        variants[name] = {f: text for f, text in sentences.items() if text != getattr(published, f)}
        if sub.share.data is not None:
            allocation[name] = sub.share.data
    control = next(iter(variants), "control")
    return {"name": _clean(form.name.data), "control": control, "start": form.start.data,
            "end": form.end.data, "allocation": allocation, "variants": variants, "unit": form.unit.data or "caller"}


def form_errors(form: TrialForm) -> list[str]:
    """Every field error as 'field: message', variants numbered from 1."""
    errors = []
    for name, messages in form.errors.items():
        if name == "variants":
            for number, entry in enumerate(form.variants, start=1):
                errors += [f"variant {number} {field}: {m}" for field, ms in entry.form.errors.items() for m in ms]
        else:
            errors += [f"{name}: {m}" for m in messages]
    return errors


def check_form(form: TrialForm, published: Wording = DEFAULT_WORDING) -> tuple[TrialDefinition | None, list[str]]:
    """The checked trial, or every problem at once: unreadable fields first, then the trial's own checks."""
    form.validate()
    errors = form_errors(form)
    unreadable = {e.split(":")[0] for e in errors}
    try:
        definition = parse_definition(definition_data(form, published))
    except TrialDefinitionError as exc:
        # A date the form could not read is already reported; do not also call it missing.
        errors += [e for e in exc.errors if e.split(":")[0] not in unreadable]
        return None, errors
    return (None, errors) if errors else (definition, [])
