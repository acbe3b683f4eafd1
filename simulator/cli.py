"""`ivr simulate ...`: single calls, scenario files, traffic and the Twilio REST stand-in."""
from __future__ import annotations

import re
import sys
from dataclasses import replace
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from db.session import make_engine
from ivr.config import normalise_database_url
from simulator.caller import FALLBACK_PATH, TRANSFER_OUTCOMES, ScriptedCaller, SimulatedCall, SimulatorError
from simulator.interactive import InteractiveCaller
from simulator.model import TrafficModel
from simulator.scenario_file import DEFAULT_CALLER
from simulator.scenarios import Target, recorded_call, run_paths
from simulator.server import serve
from simulator.traffic import PlannedClock, default_calls, run_traffic
from simulator.transcript import ServiceDirectory
from simulator.twilio_api import twilio_api_command

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
@click.group("simulate")
def simulate_group():
    """Drive the IVR without a phone, exactly as Twilio would."""


def _fallback(ctx, param, value):
    return None if value.strip().lower() == "none" else value


def target_options(command):
    """--base-url, --auth-token, --fallback-url and --database-url, shared by the commands that call an app."""
    command = click.option("--fallback-url", default=FALLBACK_PATH, show_default=True, callback=_fallback,
                           help="The number's Fallback URL (\"Primary handler fails\"), relative to --base-url or "
                                "absolute; 'none' when the number has none.")(command)
    command = click.option("--database-url", default="auto", show_default=True,
                           help="The app's database, to read the recorded call: 'auto' uses DATABASE_URL when "
                                "--base-url is this machine, 'none' never reads it.")(command)
    command = click.option("--auth-token", default=None,
                           help="Token to sign with [default: TWILIO_AUTH_TOKEN, as the app reads it].")(command)
    return click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True,
                        help="Where the app is served (a staging URL works).")(command)


def settings():
    """The settings the app would read from this environment (numbers, hours, token)."""
    return current_app.config["SETTINGS"]


def database_engine(database_url: str, base_url: str):
    """An engine on the app's database, or None when the simulator should not read it."""
    if database_url == "none":
        return None
    if database_url == "auto":
        if urlsplit(base_url).hostname not in LOOPBACK:
            return None
        return current_app.extensions["db_engine"]
    return make_engine(normalise_database_url(database_url))


def _keys(ctx, param, values):
    for value in values:
        if value and not re.fullmatch(r"[0-9*#]+", value):
            raise click.BadParameter(f"{value!r}: keys are 0-9, * and #", ctx=ctx, param=param)
    return values


@simulate_group.command("call")
@target_options
@click.option("--from", "from_number", default=DEFAULT_CALLER, show_default=True,
              help="The caller ID; 'withheld' for a withheld number.")
@click.option("--to", "to_number", default=None, help="The number called [default: TWILIO_PHONE_NUMBER].")
@click.option("--press", "presses", multiple=True, callback=_keys,
              help="Keys for the next prompt, e.g. --press 2 --press 123456#. Repeat in order.")
@click.option("--silence", "presses", flag_value="", multiple=True, help="Press nothing at the next prompt.")
@click.option("--transfer", "transfers", multiple=True, type=click.Choice(list(TRANSFER_OUTCOMES)),
              help="How the next transfer ends (repeat for successive transfers; default answered).")
@click.option("--hangup-at", type=click.IntRange(min=1), default=None,
              help="Hang up while hearing the Nth TwiML document (1 = the greeting).")
@click.option("--hang-up-during-transfer", is_flag=True,
              help="Hang up during the first transfer: Twilio then requests the Dial action with "
                   "CallStatus=completed, and the call ends.")
@click.option("--message-seconds", type=click.IntRange(min=0), default=20, show_default=True,
              help="Length of a message left after the tone (0 = say nothing).")
@click.option("--interactive", is_flag=True, help="Read each prompt and type the keys yourself.")
@click.option("--show-requests", is_flag=True, help="Also list each webhook request with its latency.")
@with_appcontext
def call_command(base_url, auth_token, fallback_url, database_url, from_number, to_number, presses, transfers,
                 hangup_at, hang_up_during_transfer, message_seconds, interactive, show_requests):
    """Make one simulated call and print what the caller hears and does."""
    s = settings()
    directory = ServiceDirectory.from_settings(s)
    if interactive:
        caller = InteractiveCaller(directory)
    else:
        caller = ScriptedCaller(presses, transfers, hangup_at, message_seconds or None,
                                hang_up_during_transfer=hang_up_during_transfer)
    call = SimulatedCall(base_url, auth_token or s.twilio_auth_token, caller, from_number,
                         to_number or s.twilio_phone_number, account_sid=s.twilio_account_sid,
                         directory=directory, listener=click.echo, fallback_url=fallback_url)
    click.echo(call.transcript.header())
    try:
        transcript = call.run()
    except SimulatorError as exc:
        raise click.ClickException(str(exc)) from None
    engine = database_engine(database_url, base_url)
    if engine is not None:
        recorded = recorded_call(engine, transcript.call_sid)
        transcript.recorded_route = recorded.route if recorded else None
    for line in transcript.footer():
        click.echo(line)
    if show_requests:
        for x in transcript.exchanges:
            click.echo(f"  {x.method} {x.url} -> {x.status} ({x.ms:.0f} ms)")
    leftovers = [] if interactive else caller.leftovers()
    if leftovers:
        click.echo("Note: the call ended before these were used: " + ", ".join(leftovers), err=True)
    if transcript.fallbacks():
        # The caller was looked after, but the app's own answer broke: a script must see that.
        raise click.ClickException("Twilio used the Fallback URL after: "
                                   + "; ".join(e.text for e in transcript.fallbacks()))


@simulate_group.command("run")
@target_options
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@with_appcontext
def run_command(base_url, auth_token, fallback_url, database_url, files):
    """Run scenario files; exits 1 on any failed expectation, 2 on a malformed file."""
    s = settings()
    target = Target(base_url, auth_token or s.twilio_auth_token, s, database_engine(database_url, base_url),
                    current_app.config["CLOCK"], fallback_url)
    click.echo(f"Scenarios against {base_url} "
               + ("(recorded calls read from the database)" if target.engine is not None
                  else "(no database access: routes are inferred from the transcripts)"))
    sys.exit(run_paths(list(files), target, click.echo))


def _progress_printer(total: int):
    """A progress line about every tenth of the run (readable in CI logs as in a terminal)."""
    step = max(1, total // 10)

    def report(done: int, planned: int, errors: int) -> None:
        if done % step == 0 or done == planned:
            click.echo(f"  {done}/{planned} calls, {errors} errors", err=True)

    return report


@simulate_group.command("traffic")
@click.option("--calls", type=click.IntRange(min=1), default=None,
              help="Calls to make [default: the report's volume for --days, about 29,000 a year].")
@click.option("--concurrency", type=click.IntRange(1, 500), default=8, show_default=True,
              help="Calls in progress at once.")
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True,
              help="Date the calls over this many past days.")
@click.option("--seed", type=int, default=None, help="Random seed, for a repeatable plan.")
@click.option("--base-url", default=None,
              help="A running app to call [default: serve this app in-process on loopback, so each call is "
                   "answered as at its planned time].")
@click.option("--auth-token", default=None, help="Token to sign with [default: TWILIO_AUTH_TOKEN].")
@click.option("--database-url", default="auto", show_default=True,
              help="With --base-url: the app's database, to read schools and back-date calls ('none': neither).")
@click.option("--status-updates", "update_share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="The built-in effect: this share of schools' MASH contacts hear a status update a day later, "
                   "and are then chased 10% of the time instead of 30%.")
@with_appcontext
def traffic_command(calls, concurrency, days, seed, base_url, auth_token, database_url, update_share):
    """Fill the database with realistic calls through the real webhooks (model: see the README)."""
    s = settings()
    now = current_app.config["CLOCK"]()
    calls = calls or default_calls(days)
    model = TrafficModel(status_update_share=update_share)
    progress = _progress_printer(calls)
    click.echo(f"Traffic: {calls} calls over the past {days} days, {concurrency} at a time")
    if base_url is None:
        app = current_app._get_current_object()
        clock = PlannedClock(app.config["CLOCK"])
        # This process's own app instance: its clock follows each call's planned time, and it checks
        # signatures against the loopback URL it is served on.
        s = replace(s, public_base_url=None)
        app.config.update(CLOCK=clock, SETTINGS=s)
        with serve(app) as url:
            summary = run_traffic(url, s.twilio_auth_token, calls, concurrency, days, now=now,
                                  engine=app.extensions["db_engine"], seed=seed, progress=progress,
                                  settings=s, clock=clock, model=model)
    else:
        summary = run_traffic(base_url, auth_token or s.twilio_auth_token, calls, concurrency, days, now=now,
                              engine=database_engine(database_url, base_url), seed=seed, progress=progress,
                              settings=s, model=model)
    for line in summary.lines():
        click.echo(line)
    sys.exit(1 if summary.errors else 0)


simulate_group.add_command(twilio_api_command)
