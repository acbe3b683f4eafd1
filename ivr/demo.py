"""`ivr demo seed`: schools, DSLs, demo accounts and a month of calls for the quick start (never in production)."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from contacts.states import ContactError, save_status
from db.contacts import get_references_received_before
from db.reasons import DEFAULT_REASONS
from db.session import session_scope
from db.traffic import count_calls
from db.users import get_user_by_name
from dsls import DEMO_DSLS_CSV, import_dsls
from routing.vocabulary import Route, outcomes_for
from schools import DEMO_SCHOOLS_CSV, import_schools
from simulator.model import TrafficModel
from simulator.server import serve
from simulator.traffic import PlannedClock, run_traffic
from staff.auth import create_user

# Demo accounts exist only where IVR_ENV is not production; the passwords are printed by `make run`.
DEMO_ACCOUNTS = (
    ("demo-staff", "staff", "demo-staff-password"),
    ("demo-supervisor", "supervisor", "demo-supervisor-password"),
    ("demo-admin", "admin", "demo-admin-password"),
)
# The demo staff account works in every team, so its inboxes show the demo's messages (supervisors see all anyway).
DEMO_TEAMS = {"demo-staff": Route.LINES}
# The standard reasons a new database starts with (what demo decisions are sent with).
DEMO_REASONS = tuple(code for code, _ in DEFAULT_REASONS)
# Half the demo's school MASH contacts hear a status update a day on, so the follow-up figure has both groups.
DEMO_TRAFFIC = TrafficModel(status_update_share=0.5)
PROMISE_KEPT_SHARE = 0.8  # demo staff decide most contacts by the promised time


@click.group("demo")
def demo_group():
    """Demo data for trying the service locally."""


def seed_schools(engine, now) -> str:
    """Load the shipped Warwickshire schools once."""
    with session_scope(engine) as session:
        report = import_schools(session, DEMO_SCHOOLS_CSV, now=now)
    return report.summary()


def seed_dsls(engine, now) -> str:
    """Load the demo DSLs (made-up people on Ofcom's drama numbers), so calls can be put down to a DSL."""
    with session_scope(engine) as session:
        report = import_dsls(session, DEMO_DSLS_CSV, now=now)
    return report.summary()


def seed_accounts(engine, now) -> list[str]:
    """Create the demo accounts that do not exist yet."""
    made = []
    with session_scope(engine) as session:
        for name, role, password in DEMO_ACCOUNTS:
            if get_user_by_name(session, name) is None:
                create_user(session, name, password, role, now, actor="demo", services=list(DEMO_TEAMS.get(name, ())))
                made.append(name)
    return made


def seed_calls(app, calls: int, days: int, seed: int) -> str:
    """Make calls through the real webhooks, served on loopback, dated over the past days."""
    settings = replace(app.config["SETTINGS"], public_base_url=None)
    clock = PlannedClock(app.config["CLOCK"])
    now = clock()
    app.config.update(CLOCK=clock, SETTINGS=settings)
    with serve(app) as url:
        summary = run_traffic(url, settings.twilio_auth_token, calls, 4, days, now=now,
                              engine=app.extensions["db_engine"], seed=seed, settings=settings, clock=clock,
                              model=DEMO_TRAFFIC)
    return f"{summary.calls} calls through the webhooks, {summary.errors} errors"


def decision_time(rng: random.Random, created_at: datetime, promised_by: datetime | None, now: datetime) -> datetime:
    """When demo staff decided: most by the promised time, some late (so the promise figure means something)."""
    promised = promised_by or created_at + timedelta(hours=4)
    if rng.random() < PROMISE_KEPT_SHARE:
        at = created_at + (promised - created_at) * rng.uniform(0.1, 0.95)
    else:
        at = promised + timedelta(hours=rng.uniform(1, 30))
    return min(at, now)


def seed_decisions(engine, settings, now, seed: int) -> int:
    """Decide most contacts older than a day, as MASH staff would have."""
    rng = random.Random(seed)
    decided = 0
    with session_scope(engine) as session:
        old = get_references_received_before(session, now - timedelta(days=1))
    for reference, service, created_at, promised_by in old:
        if rng.random() < 0.15:
            continue  # some stay open, so the pages show work in progress
        outcome = rng.choice(outcomes_for(service))  # MASH decides; the Infoline and Early Help note an outcome
        code = rng.choice(DEMO_REASONS) if outcome == "no_further_action" else None
        with session_scope(engine) as session:
            try:
                save_status(session, reference, "decided", outcome=outcome, reason_code=code, actor="demo-staff",
                            settings=settings, now=decision_time(rng, created_at, promised_by, now))
                decided += 1
            except ContactError:
                session.rollback()
    return decided


@demo_group.command("seed")
@click.option("--calls", default=400, show_default=True, type=click.IntRange(0, 100_000))
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 365))
@click.option("--seed", default=2026, show_default=True, type=int, help="Random seed, for repeatable demo data.")
@with_appcontext
def seed_command(calls: int, days: int, seed: int):
    """Load schools, DSLs, demo accounts and calls; safe to run again (adds only what is missing)."""
    app = current_app._get_current_object()
    settings = app.config["SETTINGS"]
    if settings.env == "production":
        raise click.ClickException("demo data is never loaded with IVR_ENV=production")
    engine = app.extensions["db_engine"]
    now = app.config["CLOCK"]()
    with session_scope(engine) as session:
        existing_calls = count_calls(session)
    click.echo("Schools: " + seed_schools(engine, now))
    click.echo("DSLs: " + seed_dsls(engine, now))
    for name in seed_accounts(engine, now):
        click.echo(f"Demo account created: {name}")
    if existing_calls:
        click.echo(f"Calls: {existing_calls} already recorded; none added")
    elif calls:
        click.echo("Calls: " + seed_calls(app, calls, days, seed))
        click.echo(f"Contacts decided: {seed_decisions(engine, settings, now, seed)}")
    click.echo("Log in at /login as:")
    for name, role, password in DEMO_ACCOUNTS:
        click.echo(f"  {name:16} password {password:26} ({role})")
