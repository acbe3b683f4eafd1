"""Realistic traffic through the real webhooks, dated over the past days, with progress and a summary."""
from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from bisect import bisect_right
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable

import requests
from flask import has_request_context, request

from db.calls import get_call_by_sid
from db.models import Route
from db.session import session_scope
from db.traffic import get_reference_for_call_sid, get_traffic_schools, save_backdated_call, save_simulated_update
from ivr.config import load_settings
from simulator.behaviour import Behaviour, CallerBehaviour, ModelCaller
from simulator.caller import SimulatedCall, SimulatorError, real_clock
from simulator.model import (ADVICE, CALLS_PER_YEAR, EARLY_HELP, FOLLOW_UP, SCHOOL, Calendar, PlannedCall,
                             SchoolInfo, TrafficModel, build_population, plan_calls)
from simulator.transcript import Exchange, ServiceDirectory, Transcript

Progress = Callable[[int, int, int], None]  # (calls done, calls planned, errors so far)
WALL_SLACK = timedelta(seconds=20)  # the app's own stamps land within a request's lifetime of its sending


def default_calls(days: int) -> int:
    """The report's volume for a number of days: about 29,000 calls a year."""
    return max(1, round(CALLS_PER_YEAR * days / 365))


class PlannedClock:
    """An app CLOCK for traffic served in-process: each call hears the app at its own planned time.

    Installed only on an app instance that traffic itself serves (never in production): the webhook's
    CallSid picks the call's planned start, plus the simulated seconds the call has lasted so far.
    """

    def __init__(self, base: Callable[[], datetime]):
        self._base = base  # the app's own clock, for requests that are not a planned call's
        self._calls: dict[str, tuple[datetime, Callable[[], float]]] = {}
        self._lock = threading.Lock()

    def plan(self, call_sid: str, start: datetime, elapsed: Callable[[], float]) -> None:
        with self._lock:
            self._calls[call_sid] = (start, elapsed)

    def forget(self, call_sid: str) -> None:
        with self._lock:
            self._calls.pop(call_sid, None)

    def __call__(self) -> datetime:
        call_sid = request.form.get("CallSid") if has_request_context() else None
        entry = self._calls.get(call_sid) if call_sid else None
        if entry is None:
            return self._base()
        start, elapsed = entry
        return start + timedelta(seconds=elapsed())


@dataclass(frozen=True)
class Timeline:
    """Maps a remote app's own stamps for one call onto its planned start plus simulated time."""

    start: datetime
    exchanges: tuple[Exchange, ...]

    def __call__(self, t: datetime | None) -> datetime | None:
        if t is None or not self.exchanges:
            return t
        walls = [x.sent_at for x in self.exchanges]
        if walls[0] - WALL_SLACK <= t <= walls[-1] + WALL_SLACK:
            k = max(0, bisect_right(walls, t) - 1)
            return self.start + timedelta(seconds=self.exchanges[k].sim_s) + (t - walls[k])
        # Outside the call: a value the app computed from its clock (a promised time, a due time).
        return t + (self.start - walls[0])


@dataclass
class TrafficSummary:
    """What a traffic run did."""

    calls: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    routes: Counter = field(default_factory=Counter)
    route_source: str = "inferred from the transcripts"
    school_calls: int = 0
    follow_ups: int = 0
    failsafe_calls: int = 0
    status_updates: int = 0  # the built-in effect's updates recorded as delivered
    backdated: int = 0
    requests: int = 0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    elapsed_s: float = 0.0
    first_at: datetime | None = None
    last_at: datetime | None = None
    dsls: int = 0
    dsls_non_urgent_mash: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary as printable lines."""
        rate = self.calls / self.elapsed_s if self.elapsed_s else 0.0
        share = lambda n: f"{n} ({n / self.calls:.0%})" if self.calls else "0"  # noqa: E731
        out = [f"Calls: {self.calls} in {self.elapsed_s:.1f} s ({rate:.1f} calls/s); errors: {self.errors}",
               f"Webhook requests: {self.requests}; latency p50 {self.latency_p50_ms:.1f} ms, p99 {self.latency_p99_ms:.1f} ms",
               f"Routes ({self.route_source}): " + ", ".join(f"{r} {share(n)}" for r, n in self.routes.most_common()),
               f"From schools: {share(self.school_calls)}; follow-up calls: {self.follow_ups}; "
               f"fail-safe answers: {self.failsafe_calls}"]
        if self.status_updates:
            out.append(f"Status updates delivered (the built-in effect): {self.status_updates}")
        if self.dsls:
            out.append(f"DSLs with a non-urgent MASH call: {self.dsls_non_urgent_mash} of {self.dsls} "
                       f"({self.dsls_non_urgent_mash / self.dsls:.0%})")
        if self.first_at:
            out.append(f"Dated from {self.first_at:%Y-%m-%d %H:%M} to {self.last_at:%Y-%m-%d %H:%M} UTC; "
                       f"back-dated in the database: {self.backdated}")
        out += [f"Note: {n}" for n in self.notes]
        out += [f"Error: {e}" for e in self.error_samples]
        return out


@dataclass
class _Outcome:
    planned: PlannedCall
    call_sid: str
    route: str
    error: str | None
    backdated: bool
    failsafe: bool


class _Runner:
    """Runs planned calls on a thread pool; each thread keeps its own HTTP session."""

    def __init__(self, base_url, auth_token, settings, engine, clock, behaviour, model, app_clock):
        self.base_url, self.auth_token, self.settings = base_url, auth_token, settings
        self.engine, self.clock, self.behaviour, self.model = engine, clock, behaviour, model
        self.app_clock = app_clock
        self.directory = ServiceDirectory.from_settings(settings)
        self.latencies: list[float] = []
        self.sids: dict[int, str] = {}
        self._local = threading.local()
        self._lock = threading.Lock()

    def _http(self) -> requests.Session:
        if not hasattr(self._local, "http"):
            self._local.http = requests.Session()
        return self._local.http

    def _latency(self, ms: float) -> None:
        with self._lock:
            self.latencies.append(ms)

    def one(self, planned: PlannedCall) -> _Outcome:
        """Make one planned call, then date it to its planned time."""
        profile = planned.profile
        if planned.parent is not None and self.engine is not None and planned.parent in self.sids:
            with session_scope(self.engine) as session:
                profile = replace(profile, reference=get_reference_for_call_sid(session, self.sids[planned.parent]))
        call_sid = "CA" + uuid.uuid4().hex
        self.sids[planned.index] = call_sid
        caller = ModelCaller(profile, random.Random(planned.seed), self.model, self.behaviour, self.directory)
        sim = SimulatedCall(self.base_url, self.auth_token, caller, profile.caller_id,
                            self.settings.twilio_phone_number, account_sid=self.settings.twilio_account_sid,
                            call_sid=call_sid, directory=self.directory, http=self._http(), on_request=self._latency,
                            clock=self.app_clock)
        if self.clock is not None:
            self.clock.plan(call_sid, planned.at, lambda: sim.elapsed_s)
        error = None
        try:
            sim.run()
        except SimulatorError as exc:
            error = str(exc)
        finally:
            if self.clock is not None:
                self.clock.forget(call_sid)
        return self._finish(planned, sim.transcript, error)

    def _finish(self, planned: PlannedCall, transcript: Transcript, error: str | None) -> _Outcome:
        route, backdated = transcript.inferred_route(), False
        if self.engine is not None and transcript.exchanges and self.clock is None:
            # A remote app stamps by its own clock: move its rows to the planned time afterwards.
            timeline = Timeline(planned.at, tuple(transcript.exchanges))
            with session_scope(self.engine) as session:
                backdated = save_backdated_call(session, transcript.call_sid, timeline)
        if self.engine is not None and transcript.exchanges:
            with session_scope(self.engine) as session:
                call = get_call_by_sid(session, transcript.call_sid)
                route = (call.route if call is not None else None) or route
        failsafe = any("/voice/fallback" in x.url for x in transcript.exchanges)
        return _Outcome(planned, transcript.call_sid, route, error, backdated, failsafe)


def load_schools(engine) -> list[SchoolInfo]:
    """The registered schools with their numbers."""
    with session_scope(engine) as session:
        return [SchoolInfo(urn, phase, pupils, tuple(numbers))
                for urn, phase, pupils, numbers in get_traffic_schools(session)]


def run_traffic(base_url: str, auth_token: str, calls: int, concurrency: int, days: int, engine=None,
                seed: int | None = None, progress: Progress | None = None, *, behaviour: Behaviour | None = None,
                model: TrafficModel | None = None, settings=None, clock: PlannedClock | None = None,
                now: datetime, app_clock: Callable[[], datetime] = real_clock) -> TrafficSummary:
    """Make `calls` modelled calls to the app at base_url, `concurrency` at a time, dated over the `days` before `now`.

    Pass `clock` when the app's CLOCK is that PlannedClock: each call is then answered and stamped as at
    its planned time (in or out of hours). Without it the app answers by its own clock, so planned times
    are drawn only from hours in the same state (open or closed) as now, and with `engine` (the app's
    database) each call's rows are back-dated to its planned time afterwards, read against `app_clock`:
    the clock that app stamps by (the real time, unless a test serves it on its own clock).
    """
    if settings is None:
        settings = load_settings()
    model = model or TrafficModel()
    rng = random.Random(seed)
    summary = TrafficSummary()
    if engine is None and model.status_update_share:
        # Updates are recorded in the database: without it, none could be delivered, so none are planted.
        model = replace(model, status_update_share=0.0)
        summary.notes.append("no database access: no status updates planted (--status-updates needs the database)")
    schools = load_schools(engine) if engine is not None else []
    if not schools:
        summary.notes.append("no schools registered (or no database access): every caller is a non-school caller")
    only_open = None if clock is not None else settings.opening_hours.is_open(now)
    if only_open is not None:
        summary.notes.append(f"the app answers by its own clock, so every call is dated {'in' if only_open else 'out of'} "
                             "opening hours; run traffic in-process (no --base-url) for both")
    population = build_population(schools, model, rng)
    plan = plan_calls(model, population, calls, Calendar(now, days, settings.opening_hours, only_open), rng)
    runner = _Runner(base_url, auth_token, settings, engine, clock, behaviour or CallerBehaviour(), model,
                     app_clock)
    started = time.perf_counter()
    outcomes: list[_Outcome] = []
    # Follow-ups go second, so the calls they follow up have opened their contacts (and references), and
    # the status updates of the built-in effect have reached those schools.
    for second, batch in enumerate(([p for p in plan if p.parent is None], [p for p in plan if p.parent is not None])):
        if second and engine is not None:
            summary.status_updates = _deliver_updates(engine, outcomes)
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for future in as_completed([pool.submit(runner.one, p) for p in batch]):
                outcomes.append(future.result())
                if progress is not None:
                    progress(len(outcomes), len(plan), sum(o.error is not None for o in outcomes))
    summary.elapsed_s = time.perf_counter() - started
    _summarise(summary, outcomes, runner.latencies, population, engine is not None)
    return summary


def _deliver_updates(engine, outcomes: list[_Outcome]) -> int:
    """Record the planned status updates of the calls made so far (only those that opened a contact)."""
    delivered = 0
    with session_scope(engine) as session:
        for outcome in outcomes:
            if outcome.planned.update_at is not None and outcome.error is None:
                delivered += save_simulated_update(session, outcome.call_sid, outcome.planned.update_at)
    return delivered


def _summarise(summary: TrafficSummary, outcomes: list[_Outcome], latencies: list[float], population,
               recorded: bool) -> None:
    summary.calls = len(outcomes)
    errors = [o.error for o in outcomes if o.error]
    summary.errors, summary.error_samples = len(errors), errors[:5]
    summary.routes = Counter(o.route for o in outcomes if o.error is None)
    if recorded:
        summary.route_source = "recorded in the database"
    summary.school_calls = sum(o.planned.profile.kind == SCHOOL for o in outcomes)
    summary.follow_ups = sum(o.planned.parent is not None for o in outcomes)
    summary.failsafe_calls = sum(o.failsafe for o in outcomes)
    summary.backdated = sum(o.backdated for o in outcomes)
    summary.requests = len(latencies)
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        summary.latency_p50_ms, summary.latency_p99_ms = cuts[49], cuts[98]
    times = [o.planned.at for o in outcomes]
    summary.first_at, summary.last_at = (min(times), max(times)) if times else (None, None)
    summary.dsls = sum(population.dsls.values())
    summary.dsls_non_urgent_mash = len({o.planned.profile.dsl for o in outcomes
                                        if o.planned.profile.intent in (ADVICE, EARLY_HELP, FOLLOW_UP)
                                        and o.route == Route.MASH and o.planned.profile.dsl})
