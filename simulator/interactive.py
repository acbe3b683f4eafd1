"""Interactive mode: the tester reads each prompt and types the keys a caller would press."""
from __future__ import annotations

import re
import sys
from typing import TextIO

from simulator.caller import DEFAULT_TALK_S, HANGUP, TRANSFER_OUTCOMES, GatherSpec
from simulator.transcript import ServiceDirectory

KEYS = re.compile(r"[0-9*#]+")


class InteractiveCaller:
    """A caller whose every choice is typed on stdin; the prompts have already been printed."""

    def __init__(self, directory: ServiceDirectory | None = None, stdin: TextIO | None = None,
                 stdout: TextIO | None = None):
        self.directory = directory or ServiceDirectory()
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout

    def _ask(self, question: str) -> str | None:
        """One answer line; None at end of input (the tester closed stdin: hang up)."""
        self.stdout.write(question)
        self.stdout.flush()
        line = self.stdin.readline()
        return None if line == "" else line.strip()

    def hangs_up_at(self, document: int) -> bool:
        """The tester hangs up by typing h at a prompt, not between documents."""
        return False

    def press(self, prompt: str, gather: GatherSpec):
        """Keys typed by the tester; Enter alone is silence, h hangs up."""
        hint = f"up to {gather.num_digits} key(s)" if gather.num_digits else f"keys, end with {gather.finish_on_key or 'a pause'}"
        while True:
            answer = self._ask(f"  Press {hint} (Enter = silence, h = hang up): ")
            if answer is None or answer.lower() == "h":
                return HANGUP
            if answer == "" or KEYS.fullmatch(answer):
                return answer
            self.stdout.write("  Only 0-9, * and # are keys.\n")

    def transfer(self, number: str) -> tuple[str, int]:
        """How the transfer ends, chosen by the tester (Enter = answered)."""
        choices = "/".join(TRANSFER_OUTCOMES)
        while True:
            answer = self._ask(f"  Transfer to {self.directory.describe(number)}: {choices}? [answered] ")
            if answer is None:
                return "answered", DEFAULT_TALK_S
            answer = answer.lower() or "answered"
            if answer in TRANSFER_OUTCOMES:
                return answer, (DEFAULT_TALK_S if answer == "answered" else 0)
            self.stdout.write(f"  Choose one of {choices}.\n")

    def record(self, prompt: str) -> int | None:
        """Whether the tester leaves a message after the tone."""
        answer = self._ask("  Leave a message after the tone? [Y/n] ")
        return None if (answer or "y").lower().startswith("n") else 20

    def hangs_up_during_transfer(self, number: str, outcome: str) -> bool:
        """The tester chooses how a transfer ends, not a hang-up during it."""
        return False
