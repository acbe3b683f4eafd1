"""Which message links are ours: a Twilio recording of our own account, and nothing else Twilio serves."""
from __future__ import annotations

import re

TWILIO_API = "https://api.twilio.com"
_PATH = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings/(RE[0-9a-fA-F]{32})(\.mp3|\.wav)?")


def recording_audio_url(url: str | None, account_sid: str, api_base_url: str) -> str | None:
    """The audio address of a recording link of this account on Twilio's API (or the configured one); else None.

    Checked when a link is stored and again when it is played, so a forged RecordingUrl can never make the
    player fetch another path (Messages.json, another account) with our credentials.
    """
    if not url:
        return None
    for origin in {TWILIO_API, api_base_url.rstrip("/")}:
        if url.startswith(origin + "/"):
            match = _PATH.fullmatch(url[len(origin):])
            if match and match.group(1) == account_sid:
                return url if match.group(3) else url + ".mp3"
    return None
