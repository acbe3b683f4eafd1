"""Who is on the phone in a simulated call: the Caller protocol and the scripted caller of `ivr simulate call`."""
from __future__ import annotations

from typing import Protocol

from simulator.twiml import GatherSpec

DEFAULT_TALK_S = 180

# The tester's words for a transfer outcome -> Twilio's DialCallStatus.
TRANSFER_OUTCOMES = {"answered": "completed", "busy": "busy", "no-answer": "no-answer", "failed": "failed"}
HANGUP = object()  # a caller's answer meaning "hangs up now"


class Caller(Protocol):
    """Who is on the phone: decides keys, transfer outcomes, messages and when to hang up."""

    def hangs_up_at(self, document: int) -> bool:
        """True to hang up while hearing the given TwiML document (1 = the greeting)."""

    def press(self, prompt: str, gather: "GatherSpec") -> str | None | object:
        """Keys pressed at a Gather ('' or None = silence), or HANGUP."""

    def transfer(self, number: str) -> tuple[str, int]:
        """How a transfer to a number ends (answered, busy, no-answer, failed) and seconds talked."""

    def record(self, prompt: str) -> int | None:
        """Seconds of message left at a Record, or None to say nothing."""

    def hangs_up_during_transfer(self, number: str, outcome: str) -> bool:
        """True to hang up while a transfer rings or is connected, instead of waiting for it to end."""


class ScriptedCaller:
    """A caller who follows a script: keys for each prompt, outcomes for each transfer, a hang-up step."""

    def __init__(self, presses=(), transfers=(), hangup_at: int | None = None, message_s: int | None = 20,
                 talk_s: int = DEFAULT_TALK_S, hang_up_during_transfer: bool = False):
        self.presses = list(presses)
        self.transfers = list(transfers)
        self.hangup_at = hangup_at
        self.message_s = message_s
        self.talk_s = talk_s
        self.hang_up_during_transfer = hang_up_during_transfer
        self.unused_presses: list[str] = []

    def hangs_up_at(self, document: int) -> bool:
        """Hang up at the scripted document, if any."""
        if self.hangup_at is not None and document >= self.hangup_at:
            self.unused_presses = [p or "(silence)" for p in self.presses]
            return True
        return False

    def press(self, prompt: str, gather: GatherSpec):
        """The next scripted keys; silence once the script runs out."""
        return self.presses.pop(0) if self.presses else None

    def transfer(self, number: str) -> tuple[str, int]:
        """The next scripted outcome; answered once the script runs out."""
        outcome = self.transfers.pop(0) if self.transfers else "answered"
        return outcome, (self.talk_s if outcome == "answered" else 0)

    def record(self, prompt: str) -> int | None:
        """Leave a message of the scripted length."""
        return self.message_s

    def hangs_up_during_transfer(self, number: str, outcome: str) -> bool:
        """Hang up during the first transfer when the script says so; the call is then over."""
        return self.hang_up_during_transfer

    def leftovers(self) -> list[str]:
        """Scripted keys and outcomes the call ended before using: the flow was not what the script expected."""
        keys = self.unused_presses or [p or "(silence)" for p in self.presses]
        return [f"press {k}" for k in keys] + [f"transfer {t}" for t in self.transfers]
