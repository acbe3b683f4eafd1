"""CSV downloads that open cleanly in Excel: UTF-8 with a byte-order mark, formulas neutralised."""
from __future__ import annotations

import csv
import io
from typing import Iterable

from flask import Response, stream_with_context

from routing.hours import LONDON
from staff.filters import phone
from staff.tables import Table, cell_value

BOM = "\ufeff"  # tells Excel the file is UTF-8 (school names have apostrophes and accents)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CALL_COLUMNS = ["Started (Europe/London)", "In hours", "Route", "Service", "Reference", "School URN", "School",
                "How the school was found", "Caller number", "Duration (s)", "Seconds to route", "Transfer outcome",
                "No-input count", "Invalid-key count", "Message left", "Urgent message", "Trial variant", "CallSid"]

MESSAGE_COLUMNS = ["Message", "Left at (Europe/London)", "Waiting", "Service", "Urgent", "State", "Assigned to",
                   "Last change (Europe/London)", "School URN", "School", "Caller number", "Recording", "CallSid",
                   "Kind", "Call back by (Europe/London)"]


def safe_cell(value):
    """A text cell that Excel would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> Response:
    """Stream rows as a CSV attachment."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield BOM + buffer.getvalue()
        for row in rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([safe_cell(value) for value in row])
            yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def table_rows(table: Table) -> tuple[list[str], list[list]]:
    """A dashboard table's header and rows as CSV values."""
    kinds = [kind for _, kind in table.columns]
    header = [f"{heading} (%)" if kind == "pct" else heading for heading, kind in table.columns]
    return header, [[cell_value(value, kind) for value, kind in zip(row, kinds)] for row in table.rows]


def _london(moment) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")


def call_row(call, reference: str | None, school: str | None) -> list:
    """One call as a CSV row (times in Europe/London, numbers in UK national form)."""
    to_route = int((call.routed_at - call.started_at).total_seconds()) if call.routed_at else None
    return [_london(call.started_at), "yes" if call.in_hours else "no",
            call.route or "IN_PROGRESS", call.service or "", reference or "", call.school_urn or "", school or "",
            call.school_match or "", phone(call.caller), call.duration_s, to_route, call.transfer_status or "",
            call.no_input_count, call.invalid_count, "yes" if call.recording_url else "no",
            "yes" if call.urgent_flag else "no", call.variant or "", call.call_sid]


def message_row(message, call, school: str | None, waited: str) -> list:
    """One inbox entry as a CSV row; staff's notes are not in it."""
    recording = "deleted after the retention period" if call.recording_deleted else "yes" if call.recording_url else "no"
    return [message.id, _london(message.created_at), waited, message.service, "yes" if message.urgent else "no",
            message.state, message.assigned_to or "", _london(message.updated_at), call.school_urn or "",
            school or "", phone(call.caller), recording, call.call_sid, message.kind,
            _london(message.due_by) if message.due_by else ""]
