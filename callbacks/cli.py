"""`ivr worker`: run the callback worker."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from callbacks.outbox import LEASE
from callbacks.worker import BATCH, SEND_INTERVAL_S, run_worker


@click.command("worker")
@click.option("--interval", default=SEND_INTERVAL_S, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between looks for due callbacks.")
@click.option("--batch", default=BATCH, show_default=True, type=click.IntRange(min=1),
              help="Callbacks claimed at a time.")
@click.option("--lease", default=int(LEASE.total_seconds()), show_default=True, type=click.IntRange(min=1),
              help="Seconds after which a callback left 'sending' by a dead worker is sent again.")
@with_appcontext
def worker_command(interval: float, batch: int, lease: int):
    """Run the callback worker until stopped (SIGTERM or Ctrl-C): sends due SMS and voice callbacks."""
    if not current_app.config["SETTINGS"].public_base_url:
        # Twilio fetches a callback's TwiML and posts its status to PUBLIC_BASE_URL: without it nothing comes back.
        raise click.ClickException("PUBLIC_BASE_URL: required to run the worker (the origin Twilio calls back on)")
    click.echo(f"Callback worker: looking for due callbacks every {interval:g}s (Ctrl-C to stop)")
    run_worker(current_app._get_current_object(), send_interval=interval, batch=batch, lease=timedelta(seconds=lease))
