"""The callback worker: APScheduler jobs that send due callbacks, beat a heartbeat and check promises."""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session

from callbacks import alarm, confirm, notify, outbox, planner, pushes, schedule, sender
from callbacks.allowed import why_not_sent
from callbacks.retention import run_retention
from db.models import Callback
from db.outbox import claim_checks, claim_due, known_sids, release, save_change
from db.suppressions import save_suppression
from db.workers import save_heartbeat
from ivr.config import Settings
from ivr.line_settings import line_at, settings_for
from routing.hours import LONDON

log = logging.getLogger("callbacks.worker")

SEND_INTERVAL_S = 5
ALERT_INTERVAL_S = 2  # the first alert goes within 10 s of the message: a run every 2 s leaves room for the call
HEARTBEAT_INTERVAL_S = 10
PROMISE_CHECK_INTERVAL_S = 60
BATCH = 10
HEARTBEAT_KEEP = timedelta(days=7)
CREDENTIALS_HOLD = timedelta(minutes=5)  # how long rows wait after Twilio refused our credentials


def _drop_overlap_notice(record: logging.LogRecord) -> bool:
    """A send run still draining the outbox when the next is due is normal, not worth a warning line."""
    return "maximum number of running instances reached" not in record.getMessage()


class Worker:
    """Sends due callbacks from the outbox; any number may run against one database."""

    def __init__(self, app, *, batch: int = BATCH, lease: timedelta = outbox.LEASE,
                 rest_timeout: float = sender.REST_TIMEOUT_S):
        self.app = app
        self.base_settings = app.config["SETTINGS"]
        self.engine = app.extensions["db_engine"]
        self.batch = batch
        self.lease = lease
        self.rest_timeout = rest_timeout
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:128]
        self.stopping = threading.Event()
        self.problem: str | None = None  # why Twilio refuses to send for us, while it does
        self._run = threading.local()  # per send run: the two jobs (texts, alerts) run at once in their own threads
        self._client = None
        self._notify_client = None
        if not self.base_settings.public_base_url:
            raise ValueError("PUBLIC_BASE_URL is required: Twilio calls the worker's callbacks back on it")
        base = urlsplit(self.base_settings.public_base_url)
        self._urls = app.url_map.bind(base.netloc, url_scheme=base.scheme)

    @property
    def refused_now(self) -> bool:
        """This send run met Twilio refusing our credentials: it stops (another job's run is not told)."""
        return getattr(self._run, "refused", False)

    @refused_now.setter
    def refused_now(self, value: bool) -> None:
        self._run.refused = value

    def now(self):
        """The app's clock (frozen in tests)."""
        return self.app.config["CLOCK"]()

    @property
    def settings(self) -> Settings:
        """The worker's settings with the line's hours, closures and numbers, as the calls use them: each use reads
        the revision (one primary-key read), so a supervisor's change reaches the worker at once."""
        return settings_for(self.base_settings, line_at(self.app, self.now()).state)

    @property
    def client(self):
        """One REST client per worker, made on first use."""
        if self._client is None:
            self._client = sender.make_client(self.settings, self.rest_timeout)
        return self._client

    @property
    def notify_client(self):
        """One GOV.UK Notify client per worker, made on first use (SMS_PROVIDER=notify)."""
        if self._notify_client is None:
            self._notify_client = notify.make_client(self.base_settings, self.rest_timeout)
        return self._notify_client

    def send_by_provider(self, callback: Callback) -> str:
        """Send through Notify (a text, when SMS_PROVIDER=notify) or Twilio; returns the provider's id."""
        settings = self.settings
        if notify.uses_notify(settings, callback):
            return notify.send_sms(self.notify_client, settings, callback)
        return sender.send(self.client, settings, callback, self.urls(callback))

    def urls(self, callback: Callback) -> sender.CallbackUrls:
        """Our signed webhook URLs for this attempt at a callback, at PUBLIC_BASE_URL."""
        def build(endpoint, **values):
            return self._urls.build(endpoint, values, force_external=True)
        ids = {"callback": callback.id, "attempt": callback.attempts}
        twiml = "outbound.alert_twiml" if callback.kind == outbox.ALERT else "outbound.callback_twiml"
        return sender.CallbackUrls(build(twiml, callback_id=callback.id, attempt=callback.attempts),
                                   build("outbound.callback_status", **ids), build("outbound.message_status", **ids))

    def send_due(self) -> int:
        """Claim due callbacks in small batches and send each; out of hours only reference texts and alerts go."""
        self.check_doubtful()
        return self.drain(lambda now: schedule.sendable_kinds(self.settings.opening_hours, now))

    def send_alerts(self) -> int:
        """Ring the duty numbers: alerts have their own job, so no backlog of texts ever holds one up."""
        self.check_doubtful()  # an alert whose send is in doubt is settled here too, not after the texts
        return self.drain(lambda now: (outbox.ALERT,))

    def drain(self, kinds_at) -> int:
        """Send what is due of the kinds sendable now, batch by batch, until none is left or we stop."""
        sent, self.refused_now = 0, False
        while not self.stopping.is_set():
            # Before every batch, so a failed alert call rings the next number within seconds; never stops sending.
            self.guarded(self.escalate_alerts)()
            now = self.now()
            ids = claim_due(self.engine, self.worker_id, now, limit=self.batch, lease=self.lease,
                            kinds=kinds_at(now))
            if not ids:
                break
            for position, callback_id in enumerate(ids):
                if self.stopping.is_set() or self.refused_now:
                    release(self.engine, ids[position:], self.worker_id, self.now())
                    return sent
                sent += self.send_one(callback_id)
            if self.refused_now:
                return sent  # Twilio refuses our credentials: the rest wait for the next run
        return sent

    def send_one(self, callback_id: int) -> int:
        """Send one claimed callback and record the outcome; returns 1 if Twilio accepted it."""
        with Session(self.engine, expire_on_commit=False) as session:
            callback = session.get(Callback, callback_id)
            session.expunge(callback)  # a detached copy: recording the outcome must not refresh it
            session.commit()  # no transaction (and no SQLite lock) may be held across the HTTP request
            about = {"callback_id": callback_id, "kind": callback.kind, "channel": callback.channel,
                     "attempt": callback.attempts}
            refused = why_not_sent(session, callback, self.now())
            if refused:
                session.rollback()
                save_change(session, callback_id, outbox.not_sent(refused, False, self.settings.opening_hours,
                                                                         self.now()))
                return 0
            session.rollback()
            try:
                sid = self.send_by_provider(callback)
            except Exception as exc:
                error, transient = notify.describe_failure(exc) or sender.describe_failure(exc)
                if confirm.outcome_unknown(notify.unwrapped(exc)):
                    log.warning("callback send in doubt; Twilio will be asked before any resend",
                                extra=about | {"event": "callback_unconfirmed", "error": type(exc).__name__})
                    save_change(session, callback_id, confirm.unconfirmed(error, self.now()))
                    return 0
                if self.refused(session, callback, callback_id, exc, error):
                    return 0
                log.warning("callback not sent", extra=about | {"event": "callback_not_sent", "transient": transient,
                                                                "error": type(exc).__name__})
                save_change(session, callback_id,
                                   outbox.not_sent(error, transient, self.settings.opening_hours, self.now()))
                return 0
            save_change(session, callback_id, outbox.sent(self.worker_id, sid, self.now()))
        if self.problem:
            self.problem = None
            log.warning("Twilio accepts our credentials again", extra={"event": "twilio_credentials_accepted"})
        log.info("callback sent", extra=about | {"event": "callback_sent", "to_number": callback.to_number,
                                                 "twilio_sid": sid})
        return 1

    def check_doubtful(self) -> None:
        """Ask Twilio about each send in doubt: record it if it went, send it again if not, else hold it."""
        while not self.stopping.is_set():
            ids = claim_checks(self.engine, self.worker_id, self.now(), limit=self.batch, lease=self.lease)
            if not ids:
                return
            for callback_id in ids:
                self.check_one(callback_id)

    def check_one(self, callback_id: int) -> None:
        """Look one send in doubt up at Twilio and record what it says."""
        with Session(self.engine, expire_on_commit=False) as session:
            callback = session.get(Callback, callback_id)
            known = known_sids(session, callback.to_number)
            session.expunge(callback)
            session.commit()  # no transaction is held across the HTTP request
            about = {"callback_id": callback_id, "attempt": callback.attempts, "event": "callback_checked"}
            try:
                sid, status = (notify.find_sent(self.notify_client, callback) if notify.uses_notify(self.settings, callback)
                               else confirm.find_sent(self.client, callback, callback.claimed_at, known))
            except Exception as exc:
                log.error("could not ask Twilio whether a callback went: held as uncertain",
                          extra=about | {"event": "callback_uncertain", "error": type(exc).__name__})
                save_change(session, callback_id, confirm.uncertain(type(exc).__name__, self.now()))
                return
            if sid is None:
                log.info("callback in doubt had not reached Twilio: sending again", extra=about | {"found": False})
                save_change(session, callback_id, confirm.not_found(self.now()))
            else:
                log.info("callback in doubt had reached its provider: recorded, not sent again",
                         extra=about | {"found": True, "twilio_sid": sid})
                save_change(session, callback_id, confirm.found(sid, status, self.now()))
                if notify.uses_notify(self.settings, callback):  # Notify may have delivered it already
                    save_change(session, callback_id, notify.receipt_change(status, sid, callback.attempts, self.now()))

    def refused(self, session, callback: Callback, callback_id: int, exc: Exception, error: str) -> bool:
        """Handle a refusal about our credentials (hold every row, raise one alert) or an opt-out (suppress)."""
        kind = notify.refusal(exc) or sender.refusal(exc)
        now = self.now()
        if kind == sender.CREDENTIALS_REFUSED:
            save_change(session, callback_id, outbox.held(error, now + CREDENTIALS_HOLD, now))
            if self.problem is None:
                log.error("Twilio refuses our credentials: callbacks are held until it accepts them", extra={
                    "event": "twilio_credentials_refused", "callback_id": callback_id, "error": error})
            self.problem, self.refused_now = f"Twilio refuses our credentials: {error}"[:300], True
            self.heartbeat()
            return True
        if kind == sender.UNSUBSCRIBED and callback.channel == "sms":
            save_suppression(session, callback.to_number, "unsubscribed (Twilio error 21610)", now)
            session.commit()
        return False

    def heartbeat(self) -> None:
        """Record that this worker is alive (GET /health reads it); forget workers gone a week."""
        now = self.now()
        with Session(self.engine) as session:
            save_heartbeat(session, self.worker_id, self.problem, now, forget_before=now - HEARTBEAT_KEEP)

    def escalate_alerts(self) -> int:
        """Queue the first step of any urgent alert the webhook could not raise, and the next step of each whose
        call failed or has waited unaccepted too long."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                alarm.raise_missed(session, self.settings, self.now())
            except Exception:  # apart: a sweep that fails (a slow read) must not stop a ringing alert's next number
                session.rollback()
                log.error("urgent alert sweep failed; tried again next run", exc_info=True,
                          extra={"event": "alert_sweep_failed"})
            return alarm.escalate(session, self.settings, self.now())

    def check_promises(self) -> int:
        """Queue "still being assessed" updates for undecided contacts past their promised time."""
        with Session(self.engine, expire_on_commit=False) as session:
            return planner.schedule_overdue_updates(session, self.settings, self.now())

    def push_case_system(self) -> int:
        """Queue the new contacts for the case system's webhook and send the due pushes; nothing when none is set."""
        settings = self.base_settings
        if not settings.case_system_webhook_url:
            return 0
        with Session(self.engine, expire_on_commit=False) as session:
            pushes.queue_new_contacts(session, self.now())
            return pushes.deliver_due(session, settings, self.worker_id, self.now, self.stopping.is_set)

    def retention(self) -> None:
        """The daily data-protection job: recordings deleted and numbers anonymised past RETENTION_DAYS."""
        run_retention(self.engine, self.settings, self.now())

    def guarded(self, job):
        """Run a job, logging (never raising) its errors so the schedule keeps going."""
        def run():
            try:
                job()
            except Exception:
                log.error("worker job failed", exc_info=True, extra={"event": "worker_job_failed",
                                                                     "job": job.__name__})
        run.__name__ = job.__name__
        return run

    def add_jobs(self, scheduler, send_interval: float = SEND_INTERVAL_S) -> None:
        """Register the jobs; one instance of each at a time, late runs merged into one."""
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
        first = datetime.now(timezone.utc)  # the scheduler runs on real time; jobs read the app's clock
        scheduler.add_job(self.guarded(self.send_due), "interval", seconds=send_interval, id="send_due",
                          next_run_time=first, **common)
        scheduler.add_job(self.guarded(self.send_alerts), "interval", seconds=min(send_interval, ALERT_INTERVAL_S),
                          id="send_alerts", next_run_time=first, **common)
        scheduler.add_job(self.guarded(self.push_case_system), "interval", seconds=send_interval,
                          id="push_case_system", next_run_time=first, **common)
        scheduler.add_job(self.guarded(self.heartbeat), "interval", seconds=HEARTBEAT_INTERVAL_S, id="heartbeat",
                          next_run_time=first, **common)
        scheduler.add_job(self.guarded(self.check_promises), "interval", seconds=PROMISE_CHECK_INTERVAL_S,
                          id="check_promises", **common)
        scheduler.add_job(self.guarded(self.retention), "cron", hour=2, minute=30, timezone=LONDON, id="retention",
                          **common)

    def start(self, send_interval: float = SEND_INTERVAL_S) -> BackgroundScheduler:
        """Start the jobs on a background scheduler (daemon threads)."""
        scheduler = BackgroundScheduler(timezone=LONDON, daemon=True)
        logging.getLogger("apscheduler.scheduler").addFilter(_drop_overlap_notice)
        self.add_jobs(scheduler, send_interval)
        scheduler.start()
        log.info("callback worker started", extra={"event": "worker_started", "worker_id": self.worker_id})
        return scheduler

    def stop(self, scheduler) -> None:
        """Stop taking work, let the current send finish, and give back anything claimed but unsent."""
        self.stopping.set()
        scheduler.shutdown(wait=True)
        log.info("callback worker stopped", extra={"event": "worker_stopped", "worker_id": self.worker_id})


def start_in_background(app, *, send_interval: float = SEND_INTERVAL_S, batch: int = BATCH,
                        lease: timedelta = outbox.LEASE) -> BackgroundScheduler:
    """Run one worker inside this process (the quick start's `ivr run --with-worker`)."""
    worker = Worker(app, batch=batch, lease=lease)
    scheduler = worker.start(send_interval)
    app.extensions["callback_worker"] = (worker, scheduler)
    return scheduler


def run_worker(app, *, send_interval: float = SEND_INTERVAL_S, batch: int = BATCH,
               lease: timedelta = outbox.LEASE) -> None:
    """Run the worker until SIGTERM or SIGINT (`ivr worker`, the Procfile's worker process)."""
    worker = Worker(app, batch=batch, lease=lease)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = worker.start(send_interval)
    while not stop.wait(1):
        pass
    worker.stop(scheduler)
