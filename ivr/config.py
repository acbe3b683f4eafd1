"""Settings read from the environment (and an optional .env file), validated at start-up."""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from dotenv import dotenv_values

from routing.hours import OpeningHours, OpeningHoursError
from routing.vocabulary import Route

DEFAULT_SECRET_KEY = "dev-only-change-me"
DEFAULT_HOURS = "Mon-Thu 08:30-17:30; Fri 08:30-17:00"
TWILIO_API_DEFAULT = "https://api.twilio.com"
DEFAULT_FORWARDED_ALLOW_IPS = ("127.0.0.1", "::1")  # gunicorn's own default: a proxy on the same host
DEFAULT_UNIT_COST_GBP = 265.50  # the report's cost of one MASH contact, for the needless contacts' estimate
DEFAULT_PROMISE_TARGET = 0.9  # the share of decisions made by the promised time that MASH aims for


class ConfigError(RuntimeError):
    """A configuration value is missing or wrong; the message names the variable."""


def normalise_uk_number(value: str, variable: str = "number") -> str:
    """Return a UK phone number in E.164 form, or raise ConfigError naming the variable."""
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ConfigError(f"{variable}: {value!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ConfigError(f"{variable}: {value!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_database_url(url: str) -> str:
    """A DATABASE_URL as SQLAlchemy takes it (PostgreSQL through psycopg 3), or ConfigError."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError(f"DATABASE_URL: {url.split(':')[0]!r} is not supported (use sqlite or postgresql)")
    return url


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: {raw!r} is not a yes/no value (use true or false)")


def _networks(env: dict, name: str) -> tuple[str, ...]:
    """A comma list of addresses or networks (CIDR), or "*"; each is checked."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return DEFAULT_FORWARDED_ALLOW_IPS
    items = tuple(part.strip() for part in raw.split(",") if part.strip())
    for item in items:
        if item != "*":
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ConfigError(f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return items


def _int(env: dict, name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {value}")
    return value


def _share(env: dict, name: str, default: float) -> float:
    """A share above 0 and at most 1, such as 0.9."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number (write a share such as 0.9)") from None
    if not 0 < value <= 1:
        raise ConfigError(f"{name}: must be above 0 and at most 1 (a share such as 0.9), got {raw}")
    return value


def _money(env: dict, name: str, default: float) -> float:
    """An amount in pounds above 0, such as 265.50 (a pound sign and commas are allowed)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw.lstrip("£").replace(",", ""))
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not an amount in pounds (write one such as 265.50)") from None
    if not 0 < value < 1_000_000 or value != value:
        raise ConfigError(f"{name}: must be above 0 and under 1,000,000 pounds, got {raw}")
    return round(value, 2)


def _https_origin(env: dict, name: str) -> str | None:
    raw = (env.get(name) or "").strip().rstrip("/")
    if not raw:
        return None
    if not raw.startswith(("https://", "http://")):
        raise ConfigError(f"{name}: {raw!r} must start with https:// (the origin Twilio calls)")
    return raw


def _case_system_webhook(env: dict, mode: str) -> tuple[str | None, str | None]:
    """CASE_SYSTEM_WEBHOOK_URL and its secret: both or neither, https outside development and test."""
    url = (env.get("CASE_SYSTEM_WEBHOOK_URL") or "").strip() or None
    secret = (env.get("CASE_SYSTEM_WEBHOOK_SECRET") or "").strip() or None
    if url is None:
        return None, None
    if not url.startswith(("https://", "http://")) or (mode == "production" and not url.startswith("https://")):
        raise ConfigError(f"CASE_SYSTEM_WEBHOOK_URL: {url!r} must be an https:// URL")
    if secret is None or len(secret) < 32:
        raise ConfigError("CASE_SYSTEM_WEBHOOK_SECRET: needed with CASE_SYSTEM_WEBHOOK_URL, at least 32 characters "
                          "(the receiver checks each push's X-Mash-Signature with it)")
    return url, secret


def _notify(env: dict, mode: str) -> tuple[str, NotifySettings | None]:
    """SMS_PROVIDER and, for notify, NOTIFY_API_KEY, NOTIFY_TEMPLATE_ID(S), NOTIFY_CALLBACK_TOKEN, NOTIFY_API_BASE_URL."""
    provider = (env.get("SMS_PROVIDER") or "twilio").strip().lower()
    if provider not in ("twilio", "notify"):
        raise ConfigError(f"SMS_PROVIDER: {provider!r} must be twilio or notify")
    if provider == "twilio":
        return provider, None
    key, template = (env.get("NOTIFY_API_KEY") or "").strip(), (env.get("NOTIFY_TEMPLATE_ID") or "").strip()
    if not re.fullmatch(r".+-[0-9a-f-]{36}-[0-9a-f-]{36}", key):
        raise ConfigError("NOTIFY_API_KEY: needed with SMS_PROVIDER=notify, as Notify gives it (name-service-secret)")
    uuid_text = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    if not re.fullmatch(uuid_text, template):
        raise ConfigError("NOTIFY_TEMPLATE_ID: the id of a Notify text template whose message is ((body))")
    templates = []
    for item in filter(None, (part.strip() for part in (env.get("NOTIFY_TEMPLATE_IDS") or "").split(","))):
        kind, _, template_id = (piece.strip() for piece in item.partition("="))
        if not kind or not re.fullmatch(uuid_text, template_id):
            raise ConfigError(f"NOTIFY_TEMPLATE_IDS: {item!r} must be kind=template-id")
        templates.append((kind, template_id))
    token = (env.get("NOTIFY_CALLBACK_TOKEN") or "").strip() or None
    if mode == "production" and (token is None or len(token) < 32):
        raise ConfigError("NOTIFY_CALLBACK_TOKEN: at least 32 characters in production, the bearer token set "
                          "for delivery receipts in Notify (else receipts cannot be told from forgeries)")
    base = (env.get("NOTIFY_API_BASE_URL") or NotifySettings.base_url).rstrip("/")
    if not base.startswith(("https://", "http://")) or (mode == "production" and not base.startswith("https://")):
        raise ConfigError(f"NOTIFY_API_BASE_URL: {base!r} must be an https:// URL")
    return provider, NotifySettings(key, template, tuple(templates), token, base)


def _sender_id(env: dict) -> str | None:
    """Twilio's alphanumeric sender ID rule: 1-11 of A-Z, a-z, 0-9 and space, at least one letter."""
    raw = (env.get("SMS_SENDER_ID") or "").strip()
    if not raw:
        return None
    if len(raw) > 11 or not re.fullmatch(r"[A-Za-z0-9 ]+", raw) or not re.search(r"[A-Za-z]", raw):
        raise ConfigError(f"SMS_SENDER_ID: {raw!r} must be 1 to 11 letters, digits or spaces, with a letter")
    return raw


def _messaging_service(env: dict) -> str | None:
    raw = (env.get("TWILIO_MESSAGING_SERVICE_SID") or "").strip()
    if raw and not re.fullmatch(r"MG[0-9a-f]{32}", raw):
        raise ConfigError(f"TWILIO_MESSAGING_SERVICE_SID: {raw!r} is not a Messaging Service SID (MG + 32 hex)")
    return raw or None


def _duty_numbers(env: dict, name: str) -> tuple[str, ...]:
    """A comma list of phone numbers in escalation order, each in E.164; empty when unset."""
    raw = [item.strip() for item in (env.get(name) or "").split(",")]
    return tuple(normalise_uk_number(item, name) for item in raw if item)


def _check_production(env: dict, secret_key: str, public_base_url: str | None, api_base: str) -> None:
    """What a server must have: a real secret and token, and https both ways (else signatures fail behind TLS)."""
    if secret_key == DEFAULT_SECRET_KEY or len(secret_key) < 16:
        raise ConfigError("SECRET_KEY: set a long random value in production")
    if not env.get("TWILIO_AUTH_TOKEN"):
        raise ConfigError("TWILIO_AUTH_TOKEN: required in production")
    if not public_base_url or not public_base_url.startswith("https://"):
        raise ConfigError("PUBLIC_BASE_URL: required in production, as the https:// origin Twilio calls "
                          "(e.g. https://ivr.example.gov.uk)")
    if not api_base.startswith("https://"):
        raise ConfigError(f"TWILIO_API_BASE_URL: {api_base!r} must be https:// in production")
    if not _duty_numbers(env, "DUTY_NUMBERS"):
        # Without them an urgent message would again wait unseen on a web page: the alarm must have somewhere to ring.
        raise ConfigError("DUTY_NUMBERS: required in production, the duty phones urgent alerts ring in order "
                          "(comma-separated)")


@dataclass(frozen=True)
class NotifySettings:
    """GOV.UK Notify for texts: the API key, the template of each kind of text, and the receipts' bearer token."""

    api_key: str
    template_id: str  # a template whose whole message is ((body)), for any kind not named in templates
    templates: tuple[tuple[str, str], ...] = ()  # (callback kind, template id)
    callback_token: str | None = None  # what Notify sends as "Authorization: Bearer ..." with each receipt
    base_url: str = "https://api.notifications.service.gov.uk"

    def template_for(self, kind: str) -> str:
        return dict(self.templates).get(kind, self.template_id)


@dataclass(frozen=True)
class Settings:
    """Validated settings; one instance per app."""

    env: str = "production"
    database_url: str = ""
    secret_key: str = DEFAULT_SECRET_KEY
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: str = "dev-auth-token"
    # A second token Twilio's signatures are also checked against, so the token can be rotated without an outage.
    twilio_auth_token_secondary: str | None = None
    twilio_messaging_service_sid: str | None = None
    sms_sender_id: str | None = None  # an alphanumeric sender such as "WarksMASH" (one-way)
    twilio_api_base_url: str = TWILIO_API_DEFAULT
    public_base_url: str | None = None
    twilio_phone_number: str = "+441926414144"
    mash_number: str = "+441926414144"
    dsl_infoline_number: str = "+441926418608"
    early_help_number: str = "+441926412412"
    edt_number: str = "+441926886922"
    opening_hours: OpeningHours = field(default_factory=lambda: OpeningHours.parse(DEFAULT_HOURS))
    voice: str = "Polly.Amy"
    language: str = "en-GB"
    dial_timeout: int = 25
    signature_check: bool = True
    retention_days: int = 400
    decision_promise_working_days: int = 1
    promise_target: float = DEFAULT_PROMISE_TARGET  # drawn on the dashboard's promise-kept chart
    unit_cost_gbp: float = DEFAULT_UNIT_COST_GBP  # times the needless contacts: the dashboard's estimated cost
    callback_target_hours: int = 2  # a busy line's caller is called back within this many working hours
    proxy_fix_hops: int = 1  # proxies in front of the app whose X-Forwarded-* headers are trusted
    # Addresses whose X-Forwarded-* headers are believed (gunicorn reads the same variable); "*" trusts any.
    forwarded_allow_ips: tuple[str, ...] = DEFAULT_FORWARDED_ALLOW_IPS
    # Urgent alerts ring these in order (E.164), round and round until one presses 1; out of hours the EDT
    # list, which falls back to the day list when unset (an alert must always have somewhere to ring).
    duty_numbers: tuple[str, ...] = ()
    edt_duty_numbers: tuple[str, ...] = ()
    alert_escalate_after: int = 300  # seconds an alert waits for a press before the next number is rung
    mash_closures: tuple = ()  # (from, to) of MASH's dated closures, from the line's settings (ivr/line_settings.py)
    # Where each new contact and status change is pushed (signed with the secret); None: nothing is pushed.
    case_system_webhook_url: str | None = None
    case_system_webhook_secret: str | None = None
    sms_provider: str = "twilio"  # or "notify": texts through GOV.UK Notify (voice stays on Twilio)
    notify: NotifySettings | None = None  # when sms_provider is "notify"

    def mash_open(self, now) -> bool:
        """Whether MASH answers now: within its hours and not closed (else urgent calls go to EDT)."""
        return self.opening_hours.is_open(now) and not any(start <= now < end for start, end in self.mash_closures)

    def duty_numbers_at(self, now) -> tuple[str, ...]:
        """The duty numbers an urgent alert rings now: the EDT list when MASH is closed, if there is one."""
        if self.mash_open(now) or not self.edt_duty_numbers:
            return self.duty_numbers
        return self.edt_duty_numbers

    def number_for(self, route: str) -> str:
        """The line a route's calls are put through to."""
        return {line: getattr(self, field_name) for _name, field_name, line in NUMBER_VARIABLES if line}[route]


def read_env(environ: dict | None = None) -> dict:
    """The variables settings are read from: the given mapping, else .env (if present) overlaid by the environment.

    The one .env loader: gunicorn, `ivr` and the tests all read configuration through here.
    """
    if environ is not None:
        return dict(environ)
    merged = {}
    dotenv = Path(".env")
    if dotenv.exists():
        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(os.environ)
    return merged


# Each phone number's variable, the Settings field it fills (whose default is the default number), and
# the route whose calls are put through to it (none for the IVR's own number).
NUMBER_VARIABLES = (("TWILIO_PHONE_NUMBER", "twilio_phone_number", None),
                    ("MASH_NUMBER", "mash_number", Route.MASH),
                    ("DSL_INFOLINE_NUMBER", "dsl_infoline_number", Route.DSL_INFOLINE),
                    ("EARLY_HELP_NUMBER", "early_help_number", Route.EARLY_HELP),
                    ("EDT_NUMBER", "edt_number", Route.EDT))


def load_settings(environ: dict | None = None, instance_path: str = "instance") -> Settings:
    """Build Settings from environment variables; raise ConfigError naming any bad variable."""
    env = read_env(environ)
    # Unset means production: a server that forgot to say must not run with development's defaults.
    mode = (env.get("IVR_ENV") or "production").strip().lower()
    if mode not in {"development", "production", "test"}:
        raise ConfigError(f"IVR_ENV: {mode!r} must be development, production or test")
    database_url = normalise_database_url(env.get("DATABASE_URL")
                                          or f"sqlite:///{Path(instance_path).resolve() / 'mash_ivr.sqlite3'}")
    try:
        hours = OpeningHours.parse(env.get("OPENING_HOURS") or DEFAULT_HOURS)
    except OpeningHoursError as exc:
        raise ConfigError(f"OPENING_HOURS: {exc}") from None
    numbers = {field_name: normalise_uk_number(env.get(name) or getattr(Settings, field_name), name)
               for name, field_name, _route in NUMBER_VARIABLES}
    signature_check = _bool(env, "TWILIO_SIGNATURE_CHECK", True)
    if not signature_check and mode != "development":
        raise ConfigError("TWILIO_SIGNATURE_CHECK: may be turned off only when IVR_ENV=development")
    secret_key = env.get("SECRET_KEY") or DEFAULT_SECRET_KEY
    api_base = (env.get("TWILIO_API_BASE_URL") or TWILIO_API_DEFAULT).rstrip("/")
    if not api_base.startswith(("https://", "http://")):
        raise ConfigError(f"TWILIO_API_BASE_URL: {api_base!r} must be an http(s) URL")
    public_base_url = _https_origin(env, "PUBLIC_BASE_URL")
    if mode == "production":
        _check_production(env, secret_key, public_base_url, api_base)
    webhook_url, webhook_secret = _case_system_webhook(env, mode)
    sms_provider, notify = _notify(env, mode)
    return Settings(
        env=mode,
        database_url=database_url,
        secret_key=secret_key,
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or Settings.twilio_account_sid,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or Settings.twilio_auth_token,
        twilio_auth_token_secondary=(env.get("TWILIO_AUTH_TOKEN_SECONDARY") or "").strip() or None,
        twilio_messaging_service_sid=_messaging_service(env),
        sms_sender_id=_sender_id(env),
        twilio_api_base_url=api_base,
        public_base_url=public_base_url,
        **numbers,
        opening_hours=hours,
        voice=env.get("IVR_VOICE") or Settings.voice,
        language=env.get("IVR_LANGUAGE") or Settings.language,
        dial_timeout=_int(env, "DIAL_TIMEOUT", Settings.dial_timeout, minimum=5),
        signature_check=signature_check,
        retention_days=_int(env, "RETENTION_DAYS", Settings.retention_days, minimum=1),
        proxy_fix_hops=_int(env, "PROXY_FIX_HOPS", Settings.proxy_fix_hops, minimum=0),
        promise_target=_share(env, "PROMISE_TARGET", Settings.promise_target),
        unit_cost_gbp=_money(env, "UNIT_COST_GBP", Settings.unit_cost_gbp),
        callback_target_hours=_int(env, "CALLBACK_TARGET", Settings.callback_target_hours, minimum=1),
        forwarded_allow_ips=_networks(env, "FORWARDED_ALLOW_IPS"),
        duty_numbers=_duty_numbers(env, "DUTY_NUMBERS"),
        edt_duty_numbers=_duty_numbers(env, "EDT_DUTY_NUMBERS"),
        alert_escalate_after=_int(env, "ALERT_ESCALATE_AFTER", Settings.alert_escalate_after, minimum=1),
        case_system_webhook_url=webhook_url,
        case_system_webhook_secret=webhook_secret,
        sms_provider=sms_provider,
        notify=notify,
    )
