"""Run scenario files against an app and report every expectation that failed as a diff."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from db.calls import get_call_by_sid
from db.session import session_scope
from simulator.caller import FALLBACK_PATH, AppUnreachable, ScriptedCaller, SimulatedCall, SimulatorError
from simulator.scenario_file import NOBODY, Expect, Scenario, ScenarioFileError, load_scenarios
from simulator.transcript import ServiceDirectory, Transcript

PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"


@dataclass(frozen=True)
class Recorded:
    """What the app's database holds about a call."""

    route: str | None
    in_hours: bool
    school_urn: int | None
    school_match: str | None


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold."""

    what: str
    expected: str
    actual: str


@dataclass
class ScenarioResult:
    """How one scenario went."""

    scenario: Scenario
    status: str
    mismatches: list[Mismatch] = field(default_factory=list)
    transcript: Transcript | None = None
    note: str = ""
    unreachable: bool = False


@dataclass
class Target:
    """The app under test: where it is, how to sign for it, and what the simulator may know about it."""

    base_url: str
    auth_token: str
    settings: object  # ivr.config.Settings: numbers, hours, account and phone number, as the app has them
    engine: object | None  # the app's database, to compare the recorded call; None when unreachable
    clock: Callable[[], datetime]  # the app's clock, to tell whether it is open now
    fallback_url: str | None = FALLBACK_PATH  # the number's Fallback URL, relative to base_url; None: none set

    def is_open(self) -> bool:
        """Whether the app's OPENING_HOURS say it is open now."""
        return self.settings.opening_hours.is_open(self.clock())


def load_files(paths) -> tuple[list[Scenario], list[ScenarioFileError]]:
    """Every scenario in the files, and every file's error (all files are checked before any call)."""
    scenarios, errors = [], []
    for path in paths:
        try:
            scenarios.extend(load_scenarios(path))
        except ScenarioFileError as exc:
            errors.append(exc)
    return scenarios, errors


def run_scenario(scenario: Scenario, target: Target, listener: Callable[[str], None] | None = None) -> ScenarioResult:
    """Make the scenario's call and check it; the app's hours decide whether it applies now."""
    if scenario.requires:
        open_now = target.is_open()
        if open_now != (scenario.requires == "in_hours"):
            state = "open" if open_now else "closed"
            return ScenarioResult(scenario, SKIPPED, note=f"needs {scenario.requires}; the app's OPENING_HOURS say it is {state} now")
    s = target.settings
    caller = ScriptedCaller(scenario.presses, scenario.transfers, scenario.hangup_at, scenario.message_s,
                            hang_up_during_transfer=scenario.hang_up_during_transfer)
    call = SimulatedCall(target.base_url, target.auth_token, caller, scenario.caller, s.twilio_phone_number,
                        account_sid=s.twilio_account_sid, directory=ServiceDirectory.from_settings(s),
                        listener=listener, fallback_url=target.fallback_url)
    try:
        transcript = call.run()
    except SimulatorError as exc:
        return ScenarioResult(scenario, ERROR, transcript=call.transcript, note=str(exc),
                              unreachable=isinstance(exc, AppUnreachable))
    recorded = recorded_call(target.engine, transcript.call_sid) if target.engine is not None else None
    if recorded is not None:
        transcript.recorded_route = recorded.route
    mismatches = check(scenario, transcript, recorded, caller.leftovers(), target.engine is not None)
    return ScenarioResult(scenario, FAILED if mismatches else PASSED, mismatches, transcript)


def recorded_call(engine, call_sid: str) -> Recorded | None:
    with session_scope(engine) as session:
        call = get_call_by_sid(session, call_sid)
        if call is None:
            return None
        return Recorded(call.route, call.in_hours, call.school_urn, call.school_match)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def check(scenario: Scenario, transcript: Transcript, recorded: Recorded | None, leftovers: list[str],
          has_database: bool) -> list[Mismatch]:
    """Every expectation of the scenario that the call did not meet."""
    e: Expect = scenario.expect
    out: list[Mismatch] = []
    if leftovers:
        out.append(Mismatch("script", "every scripted key and transfer used",
                            "the call ended before: " + ", ".join(leftovers)))
    if has_database and recorded is None:
        out.append(Mismatch("database", f"a recorded call {transcript.call_sid}", "no such call in the database"))
    if recorded is not None and scenario.requires and recorded.in_hours != (scenario.requires == "in_hours"):
        out.append(Mismatch("hours", scenario.requires, "the app recorded the call as "
                            + ("in_hours" if recorded.in_hours else "out_of_hours")))
    fallbacks = transcript.fallbacks()
    if fallbacks and not e.fallback:
        # The fail-safe may well reach the expected service; the run must still show that the app broke.
        out.append(Mismatch("fallback", "every webhook answered usable TwiML (or expect fallback: true)",
                            "Twilio used the Fallback URL after: " + "; ".join(f.text for f in fallbacks)))
    elif e.fallback and not fallbacks:
        out.append(Mismatch("fallback", "Twilio using the Fallback URL", "every webhook answered usable TwiML"))
    if e.connected_to is not None:
        out.extend(_check_connected(e, transcript))
    heard = _norm(" ".join(transcript.heard()))
    for text in e.says:
        if _norm(text) not in heard:
            out.append(Mismatch("says", f'"{text}" said at some point', "never said (transcript below)"))
    for text in e.not_says:
        if _norm(text) in heard:
            out.append(Mismatch("not_says", f'"{text}" never said', "said (transcript below)"))
    position, previous = 0, None
    for text in e.hears:
        found = heard.find(_norm(text), position)
        if found < 0:
            after = f' after "{previous}"' if previous else ""
            out.append(Mismatch("hears", f'"{text}"{after}', "not said" + (" in that order" if previous else "")
                                + " (transcript below)"))
            break
        position, previous = found + len(_norm(text)), text
    if e.route is not None:
        route, source = transcript.final_route()
        if route != e.route:
            out.append(Mismatch("route", e.route, f"{route} ({source})"))
    for name in ("school_urn", "school_match"):
        wanted = getattr(e, name)
        if wanted is None:
            continue
        if recorded is None:
            out.append(Mismatch(name, str(wanted), "not checkable: needs the app's database (--database-url)"))
        elif getattr(recorded, name) != wanted:
            out.append(Mismatch(name, str(wanted), str(getattr(recorded, name))))
    return out


def _check_connected(e: Expect, transcript: Transcript) -> list[Mismatch]:
    directory = transcript.directory
    dials = transcript.dials()

    def label(number: str) -> str:
        return directory.service_of(number) or number

    def matches(wanted: str, number: str | None) -> bool:
        return number is not None and wanted in (number, directory.service_of(number))

    if e.connected_all:
        actual = [f"{label(d.number)} ({d.outcome})" for d in dials]
        wanted = [w for w in e.connected_to if w != NOBODY]
        if len(wanted) != len(dials) or not all(matches(w, d.number) for w, d in zip(wanted, dials)):
            return [Mismatch("connected_to", ", ".join(wanted) or NOBODY, ", ".join(actual) or NOBODY)]
        return []
    answered = [d for d in dials if d.outcome == "answered"]
    last = answered[-1].number if answered else None
    wanted = e.connected_to[0]
    if (wanted == NOBODY and last is None) or matches(wanted, last):
        return []
    return [Mismatch("connected_to", wanted, label(last) if last else NOBODY)]


def format_result(result: ScenarioResult, with_transcript: bool = True) -> str:
    """A report block: status, where, name, then each mismatch as expected/actual lines."""
    s = result.scenario
    lines = [f"{result.status.upper():7} {s.where}  {s.name}"]
    if result.note:
        lines.append(f"        {result.note}")
    for m in result.mismatches:
        lines += [f"        {m.what}:", f"          - expected: {m.expected}", f"          + actual:   {m.actual}"]
    t = result.transcript
    if with_transcript and result.status == FAILED and t is not None:
        lines += ["        transcript:"] + ["        " + line for line in t.format().splitlines()]
    elif with_transcript and result.status == ERROR and t is not None and t.events:
        lines += ["        transcript until the error:", "        " + t.header()]
        lines += ["        " + t.line(e) for e in t.events]
    return "\n".join(lines)


def summarise(results: list[ScenarioResult]) -> str:
    """One line: how many passed, failed, errored and were skipped."""
    counts = {status: sum(r.status == status for r in results) for status in (PASSED, FAILED, ERROR, SKIPPED)}
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n or status == PASSED)


def run_paths(paths: list[str | Path], target: Target, report: Callable[[str], None]) -> int:
    """Run every scenario in the files, reporting each; the exit status: 0 all passed, 1 failures, 2 bad files."""
    scenarios, errors = load_files(paths)
    for exc in errors:
        report(f"ERROR   {exc}")
    if errors:
        report(f"{len(errors)} scenario file(s) malformed; no calls were made.")
        return 2
    if not scenarios:
        report("No scenarios given.")
        return 2
    results = []
    for scenario in scenarios:
        result = run_scenario(scenario, target)
        results.append(result)
        report(format_result(result))
        if result.unreachable:
            report(f"Stopped: the app at {target.base_url} cannot be reached; {len(scenarios) - len(results)} scenario(s) not run.")
            break
    report(summarise(results))
    return 1 if any(r.status in (FAILED, ERROR) for r in results) else 0
