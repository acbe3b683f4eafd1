"""`ivr dsls ...`: import the DSL register and manage the numbers that identify each DSL."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from db.dsls import delete_dsl, delete_dsl_phone, find_dsl, get_dsl_phones, get_dsls, get_dsls_by_number, save_dsl_phone
from db.schools import get_school
from db.session import get_engine, session_scope
from dsls import DslFormatError, import_dsls
from ivr.cli_params import UK_NUMBER


def _dsl(session, urn: int, name: str):
    dsl = find_dsl(session, urn, name)
    if dsl is None:
        raise click.ClickException(f"no DSL {name!r} at URN {urn} in the register (import them first)")
    return dsl


@click.group("dsls")
def dsls_group():
    """The DSL register: each school's DSLs, their numbers and DSL training."""


@dsls_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(file: Path):
    """Add or update DSLs from a CSV: URN, DSL name, phone numbers (;-separated), DSL training date or blank."""
    with session_scope(get_engine()) as session:
        try:
            report = import_dsls(session, file, now=current_app.config["CLOCK"]())
        except DslFormatError as exc:
            raise click.ClickException(f"{file}: {exc}") from None
    for line in report.problem_lines():
        click.echo(f"  {line}")
    click.echo(report.summary())


@dsls_group.command("list")
@click.option("--urn", type=int, help="Only this school's DSLs.")
@click.option("--number", type=UK_NUMBER, help="Only the DSLs a caller from this number would match.")
@with_appcontext
def list_command(urn: int | None, number: str | None):
    """Print the register: URN, school, DSL, training date and phone numbers."""
    with session_scope(get_engine()) as session:
        dsls = get_dsls_by_number(session, number) if number else get_dsls(session, urn)
        if number and urn is not None:
            dsls = [d for d in dsls if d.urn == urn]
        phones = get_dsl_phones(session, [d.id for d in dsls])
        for dsl in dsls:
            school = get_school(session, dsl.urn)
            numbers = ", ".join(f"{p.number}{' (by hand)' if p.source == 'hand' else ''}"
                                for p in phones.get(dsl.id, [])) or "no number"
            trained = f"trained {dsl.trained_on.isoformat()}" if dsl.trained_on else "not trained"
            click.echo(f"{dsl.urn}  {school.name if school else '?'}  {dsl.name}  [{trained}]  {numbers}")
        click.echo(f"{len(dsls)} DSL{'s' if len(dsls) != 1 else ''}")


@dsls_group.command("add-number")
@click.argument("urn", type=int)
@click.argument("name")
@click.argument("number", type=UK_NUMBER)
@with_appcontext
def add_number_command(urn: int, name: str, number: str):
    """Register a phone number for a DSL by hand (a re-import keeps it; one number may belong to several DSLs)."""
    with session_scope(get_engine()) as session:
        dsl = _dsl(session, urn, name)
        added = save_dsl_phone(session, dsl.id, number)
        session.flush()
        others = [d for d in get_dsls_by_number(session, number) if d.id != dsl.id]
        label = f"{dsl.name} ({dsl.urn})"
    click.echo(f"{'Added' if added else 'Already registered:'} {number} for {label}")
    if others:
        names = ", ".join(f"{d.name} ({d.urn})" for d in others)
        click.echo(f"Note: this number also belongs to {names}; its calls are not put down to one DSL.")


@dsls_group.command("remove-number")
@click.argument("urn", type=int)
@click.argument("name")
@click.argument("number", type=UK_NUMBER)
@with_appcontext
def remove_number_command(urn: int, name: str, number: str):
    """Remove a phone number from a DSL."""
    with session_scope(get_engine()) as session:
        dsl = _dsl(session, urn, name)
        removed = delete_dsl_phone(session, dsl.id, number)
        label = f"{dsl.name} ({dsl.urn})"
    if not removed:
        raise click.ClickException(f"{number} is not registered for {label}")
    click.echo(f"Removed {number} from {label}")


@dsls_group.command("remove")
@click.argument("urn", type=int)
@click.argument("name")
@with_appcontext
def remove_command(urn: int, name: str):
    """Take a DSL off the register (they left, or moved school): their numbers stop matching at once."""
    with session_scope(get_engine()) as session:
        dsl = _dsl(session, urn, name)
        label = f"{dsl.name} ({dsl.urn})"
        gone = delete_dsl(session, dsl)
    click.echo(f"Removed {label}" if gone else
               f"Removed {label}'s numbers; the record stays, without numbers, for the calls put down to them")
