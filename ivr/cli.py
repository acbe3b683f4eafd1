"""The `ivr` command, built on Flask's CLI; each feature adds its own command group."""
from __future__ import annotations

import os
import sys
from dataclasses import replace

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from werkzeug.serving import run_simple

from callbacks.cli import worker_command
from callbacks.retention import retention_group
from callbacks.worker import start_in_background
from contacts.cli import contacts_group
from db.migrate import revision, upgrade
from ivr import create_app
from ivr.config import ConfigError, read_env
from dsls.cli import dsls_group
from ivr.demo import demo_group
from ivr.twilio_setup import twilio_group
from line.cli import line_group, menu_group
from messages.cli import messages_group
from schools.cli import schools_group
from simulator.cli import simulate_group
from simulator.twilio_api import TwilioStandIn
from staff.cli import tokens_group, users_group
from staff.reasons import reasons_group
from trials.cli import trials_group


def _create_app():
    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, load_dotenv=False)  # ivr.config.read_env is the one .env loader
@click.pass_context
def main(ctx: click.Context):
    """Warwickshire MASH front-door IVR."""
    # The one .env loader (ivr.config.read_env) also feeds the options read from the environment, such as
    # the Twilio stand-in's --auth-token; a variable already set wins over .env.
    for name, value in read_env().items():
        os.environ.setdefault(name, value)
    if ctx.invoked_subcommand == "run" and not os.environ.get("IVR_ENV"):
        # `ivr run` is the development server: it says so, as unset IVR_ENV now means production.
        os.environ["IVR_ENV"] = "development"


main.add_command(routes_command)
main.add_command(shell_command)


def webhook_urls(base: str) -> list[str]:
    """The URLs to paste into the Twilio console."""
    return [
        f"Voice URL (POST):           {base}/voice/incoming",
        f"Status callback URL (POST): {base}/voice/status",
        f"Fallback URL (POST):        {base}/voice/fallback",
    ]


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--with-worker", is_flag=True, help="Also run the callback worker in this process (quick start only).")
@click.option("--twilio-stand-in", is_flag=True,
              help="Send callbacks to a local Twilio stand-in in this process instead of Twilio (quick start only).")
@with_appcontext
def run_command(host: str, port: int, with_worker: bool, twilio_stand_in: bool):
    """Serve the app (development server) and print the webhook URLs."""
    app = current_app._get_current_object()
    settings = app.config["SETTINGS"]
    if twilio_stand_in:
        if settings.env == "production":
            raise click.ClickException("--twilio-stand-in is for local use, not IVR_ENV=production")
        stand_in = TwilioStandIn(settings.twilio_account_sid, settings.twilio_auth_token,
                                 app_url=f"http://{host}:{port}", delay=2.0).start()
        settings = replace(settings, twilio_api_base_url=stand_in.url)
        app.config["SETTINGS"] = settings
    if not settings.public_base_url:
        # The development server is its own public origin: the worker builds Twilio's URLs on it.
        settings = replace(settings, public_base_url=f"http://{host}:{port}")
        app.config["SETTINGS"] = settings
    base = settings.public_base_url
    click.echo(f"MASH IVR on http://{host}:{port}  (health: http://{host}:{port}/health)")
    for line in webhook_urls(base):
        click.echo("  " + line)
    if with_worker:
        start_in_background(app)
        click.echo("  Callback worker: running in this process"
                   + (f", sending to the Twilio stand-in at {settings.twilio_api_base_url}" if twilio_stand_in else ""))
    # Not app.run(): Flask ignores it inside its own CLI.
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.group("db")
def db_group():
    """Database schema commands."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply the Alembic migrations up to the newest."""
    upgrade(current_app.config["SETTINGS"].database_url)
    click.echo("Database is up to date.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str):
    """Write a new migration from the models (for developers)."""
    revision(current_app.config["SETTINGS"].database_url, message)


# Each feature's own command group; a feature adds its line here.
FEATURE_COMMANDS = (worker_command, contacts_group, messages_group, reasons_group, retention_group, schools_group,
                    dsls_group, users_group, tokens_group, simulate_group, trials_group, line_group, menu_group,
                    demo_group, twilio_group)
for _command in FEATURE_COMMANDS:
    main.add_command(_command)
