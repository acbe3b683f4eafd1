"""Data retention past RETENTION_DAYS: Twilio's copies deleted through its REST API, then ours cleared.

Deleted at Twilio: recordings, the texts and calls we sent (bodies and numbers), and the logs of the calls
we answered (with From). Cleared here: caller and callback numbers, message texts, errors and staff notes.
Routes, times, schools, steps and outcomes stay, so every statistic still adds up. Anything Twilio could
not delete is kept and tried again at the next run, and reported: never silently dropped.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import Engine
from twilio.base.exceptions import TwilioRestException

from callbacks.sender import make_client
from db.retention import (get_old_inbound_sids, get_old_outbound_sids, get_old_recordings, retention_cutoff,
                          save_anonymised, save_inbound_deleted, save_outbound_deleted, save_recordings_deleted)
from db.session import session_scope

log = logging.getLogger("callbacks.retention")
RECORDING_SID = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})")
Delete = Callable[[str, str], None]  # (Twilio resource: recordings, messages or calls; its SID)


def twilio_deleter(settings) -> Delete:
    """Delete a resource at Twilio (TWILIO_API_BASE_URL); one already gone counts as deleted."""
    client = make_client(settings)

    def delete(resource: str, sid: str) -> None:
        try:
            getattr(client, resource)(sid).delete()
        except TwilioRestException as exc:
            if exc.status != 404:
                raise

    return delete


def _outbound_resource(sid: str) -> str | None:
    """Twilio's resource for a SID of ours; None for a GOV.UK Notify id (Notify deletes under its own retention)."""
    if sid.startswith("CA"):
        return "calls"
    return "messages" if sid.startswith(("SM", "MM")) else None


def _delete_all(items: list[tuple[int, str]], delete: Delete, resource: Callable[[str], str | None],
                kind: str) -> tuple[list[int], int]:
    """Delete each at Twilio; returns the ids done and how many must wait for the next run."""
    done, kept = [], 0
    for row_id, value in items:
        target = resource(value)
        try:
            if target is not None:
                delete(*target)
            done.append(row_id)
        except Exception as exc:  # Twilio down or refusing: keep it so the next run tries again
            kept += 1
            log.warning("not deleted at Twilio; will retry at the next run", extra={
                "event": "retention_kept", "kind": kind, "row_id": row_id, "error": type(exc).__name__})
    return done, kept


def _recording(url: str) -> tuple[str, str] | None:
    match = RECORDING_SID.search(url or "")
    return ("recordings", match.group(1)) if match else None  # not a Twilio recording: only the link to delete


def run_retention(engine: Engine, settings, now: datetime, delete: Delete | None = None, *,
                  dry_run: bool = False) -> dict:
    """Delete and clear everything past settings.retention_days; a dry run only counts. Safe to repeat."""
    cutoff = retention_cutoff(now, settings.retention_days)
    with session_scope(engine) as session:
        recordings = get_old_recordings(session, cutoff)
        outbound = get_old_outbound_sids(session, cutoff)
        inbound = get_old_inbound_sids(session, cutoff)
    result = {"cutoff": cutoff.isoformat(), "dry_run": dry_run}
    if dry_run:
        with session_scope(engine) as session:
            cleared = save_anonymised(session, cutoff, dry_run=True)
            session.rollback()
        return result | {"recordings_deleted": len(recordings), "twilio_messages_and_calls_deleted": len(outbound),
                         "twilio_call_logs_deleted": len(inbound), "kept_for_retry": 0, **cleared}
    delete = delete or twilio_deleter(settings)
    gone, kept_recordings = _delete_all(recordings, delete, _recording, "recording")
    sent, kept_sent = _delete_all(outbound, delete,
                                  lambda sid: (_outbound_resource(sid), sid) if _outbound_resource(sid) else None,
                                  "outbound")
    logs, kept_logs = _delete_all(inbound, delete, lambda sid: ("calls", sid), "call_log")
    with session_scope(engine) as session:
        save_recordings_deleted(session, gone)
        save_outbound_deleted(session, sent)
        save_inbound_deleted(session, logs)
        cleared = save_anonymised(session, cutoff)
    result |= {"recordings_deleted": len(gone), "recordings_kept_for_retry": kept_recordings,
               "twilio_messages_and_calls_deleted": len(sent), "twilio_call_logs_deleted": len(logs),
               "kept_for_retry": kept_recordings + kept_sent + kept_logs, **cleared}
    if result["kept_for_retry"]:
        log.error("retention incomplete: Twilio kept some records; the next run tries again",
                  extra={"event": "retention_incomplete", **result})
    else:
        log.info("retention run", extra={"event": "retention", **result})
    return result


@click.group("retention")
def retention_group():
    """Data retention past RETENTION_DAYS (the worker runs it daily at 02:30)."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted and cleared; change nothing.")
@with_appcontext
def run_command(dry_run: bool):
    """Delete Twilio's copies and clear our personal data past RETENTION_DAYS; prints what, per kind."""
    app = current_app._get_current_object()
    result = run_retention(app.extensions["db_engine"], app.config["SETTINGS"], app.config["CLOCK"](),
                           dry_run=dry_run)
    click.echo(f"Retention {'(dry run: nothing changed) ' if dry_run else ''}for records before {result['cutoff']}:")
    for kind, count in result.items():
        if kind not in ("cutoff", "dry_run"):
            click.echo(f"  {kind.replace('_', ' ')}: {count}")
    if result["kept_for_retry"]:
        raise click.ClickException(f"{result['kept_for_retry']} record(s) could not be deleted at Twilio; "
                                   "the next run tries again (see the log)")
