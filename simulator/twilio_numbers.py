"""The stand-in's IncomingPhoneNumbers and Messaging Services: what `ivr twilio configure` sets and checks."""
from __future__ import annotations

import threading
from email.utils import formatdate

from simulator.twilio_rest import ApiError, e164, new_sid

API = "/2010-04-01"
# Twilio's parameter for each field `ivr twilio configure` may update, and the field in the resource.
UPDATABLE = {"VoiceUrl": "voice_url", "VoiceMethod": "voice_method", "VoiceFallbackUrl": "voice_fallback_url",
             "VoiceFallbackMethod": "voice_fallback_method", "StatusCallback": "status_callback",
             "StatusCallbackMethod": "status_callback_method", "VoiceApplicationSid": "voice_application_sid"}


class PhoneNumbers:
    """The account's numbers (as Twilio lists and updates them) and its Messaging Services' SIDs."""

    def __init__(self, account_sid: str):
        self.account_sid = account_sid
        self.numbers: dict[str, dict] = {}
        self.messaging_services: set[str] = set()
        self._lock = threading.Lock()

    def add(self, phone_number: str, *, sms: bool = True, voice_url: str = "", voice_application_sid: str = "") -> dict:
        """Put a number on the account, as buying it in the console would."""
        sid, now = new_sid("PN"), formatdate(usegmt=True)
        record = {"sid": sid, "account_sid": self.account_sid, "phone_number": e164(phone_number, "PhoneNumber", 21421),
                  "friendly_name": phone_number, "voice_url": voice_url, "voice_method": "POST",
                  "voice_fallback_url": "", "voice_fallback_method": "POST", "status_callback": "",
                  "status_callback_method": "POST", "sms_url": "", "date_created": now, "date_updated": now,
                  "voice_application_sid": voice_application_sid or None, "trunk_sid": None,
                  "capabilities": {"voice": True, "sms": sms, "mms": False, "fax": False},
                  "uri": f"{API}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json"}
        with self._lock:
            self.numbers[sid] = record
        return dict(record)

    def handle(self, method: str, sid: str | None, form: dict) -> tuple[int, dict]:
        """GET the list (filtered by PhoneNumber) or one number; POST to a number updates its URLs."""
        with self._lock:
            if sid is None:
                if method != "GET":
                    raise ApiError(405, 20004, "Buy numbers in the console: the stand-in only lists and updates")
                items = [dict(n) for n in self.numbers.values()
                         if form.get("PhoneNumber") in (None, n["phone_number"])]
                uri = f"{API}/Accounts/{self.account_sid}/IncomingPhoneNumbers.json"
                return 200, {"incoming_phone_numbers": items, "page": 0, "page_size": 50, "start": 0,
                             "end": max(len(items) - 1, 0), "uri": uri, "first_page_uri": uri, "next_page_uri": None,
                             "previous_page_uri": None}
            if sid not in self.numbers:
                raise ApiError(404, 20404, f"The requested resource IncomingPhoneNumbers/{sid} was not found")
            record = self.numbers[sid]
            if method == "POST":
                record.update({field: form[name] or None if field == "voice_application_sid" else form[name]
                               for name, field in UPDATABLE.items() if name in form}, date_updated=formatdate(usegmt=True))
            return 200, dict(record)

    def service(self, sid: str) -> tuple[int, dict]:
        """GET /v1/Services/<sid> (Messaging): the service, or Twilio's 404."""
        if sid not in self.messaging_services:
            raise ApiError(404, 20404, f"The requested resource /Services/{sid} was not found")
        return 200, {"sid": sid, "account_sid": self.account_sid, "friendly_name": "MASH IVR texts",
                     "url": f"https://messaging.twilio.com/v1/Services/{sid}"}
