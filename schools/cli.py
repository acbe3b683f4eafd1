"""`ivr schools ...`: import the GIAS register and manage the numbers that identify schools."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from db.schools import delete_school_phone, get_school, get_school_phones, get_schools, get_schools_by_number
from db.schools import save_school_phone
from db.session import get_engine, session_scope
from ivr.cli_params import UK_NUMBER
from schools import GiasFormatError, import_schools

MAX_LABEL = 40


def _school(session, urn: int):
    school = get_school(session, urn)
    if school is None:
        raise click.ClickException(f"no school with URN {urn} in the register (import it first)")
    return school


@click.group("schools")
def schools_group():
    """The schools register: import from GIAS, phone numbers."""


@schools_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--la", "la_code", metavar="CODE", help="Only this local authority (Warwickshire is 937).")
@with_appcontext
def import_command(file: Path, la_code: str | None):
    """Add or update schools from a GIAS CSV (the national download or an extract)."""
    with session_scope(get_engine()) as session:
        try:
            report = import_schools(session, file, la_code, now=current_app.config["CLOCK"]())
        except GiasFormatError as exc:
            raise click.ClickException(f"{file}: {exc}") from None
    click.echo(f"Read {file} ({report.encoding})")
    for line in report.problem_lines():
        click.echo(f"  {line}")
    click.echo(report.summary())


@schools_group.command("add-number")
@click.argument("urn", type=int)
@click.argument("number", type=UK_NUMBER)
@click.option("--label", default="dsl", show_default=True, help="What the number is, e.g. dsl, switchboard, office.")
@with_appcontext
def add_number_command(urn: int, number: str, label: str):
    """Register a phone number for a school (one number may belong to several schools)."""
    label = label.strip()
    if not label or len(label) > MAX_LABEL:
        raise click.BadParameter(f"give a label of 1 to {MAX_LABEL} characters", param_hint="--label")
    with session_scope(get_engine()) as session:
        school = _school(session, urn)
        added = save_school_phone(session, urn, number, label)
        others = [s for s in get_schools_by_number(session, number) if s.urn != urn] if added else []
    click.echo(f"{'Added' if added else 'Already registered:'} {number} ({label}) for {urn} {school.name}")
    if others:
        names = ", ".join(f"{s.urn} {s.name}" for s in others)
        click.echo(f"Note: this number also belongs to {names}; callers from it will be asked for their URN.")


@schools_group.command("remove-number")
@click.argument("urn", type=int)
@click.argument("number", type=UK_NUMBER)
@with_appcontext
def remove_number_command(urn: int, number: str):
    """Remove a phone number from a school."""
    with session_scope(get_engine()) as session:
        school = _school(session, urn)
        removed = delete_school_phone(session, urn, number)
    if not removed:
        raise click.ClickException(f"{number} is not registered for {urn} {school.name}")
    click.echo(f"Removed {number} from {urn} {school.name}")


@schools_group.command("list")
@click.option("--la", "la_code", metavar="CODE", help="Only this local authority.")
@click.option("--number", type=UK_NUMBER, help="Only the schools a caller from this number would match.")
@with_appcontext
def list_command(la_code: str | None, number: str | None):
    """Print the register: URN, name, phase, pupils and phone numbers."""
    with session_scope(get_engine()) as session:
        schools = get_schools_by_number(session, number) if number else get_schools(session, la_code)
        phones = get_school_phones(session, [s.urn for s in schools])
        for school in schools:
            numbers = ", ".join(f"{p.number} ({p.label})" for p in phones.get(school.urn, [])) or "no number"
            pupils = f"{school.pupils} pupils" if school.pupils is not None else "pupils unknown"
            click.echo(f"{school.urn}  {school.name}  [{school.phase or '-'}, {pupils}]  {numbers}")
        click.echo(f"{len(schools)} school{'s' if len(schools) != 1 else ''}")
