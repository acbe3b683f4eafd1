"""Command-line value types the feature commands share."""
from __future__ import annotations

import click

from routing.phone import normalise_number


class UkNumber(click.ParamType):
    """A UK phone number in any common form, given back in E.164; anything else is a usage error."""

    name = "number"

    def convert(self, value, param, ctx):
        number = normalise_number(value)
        if number is None:
            self.fail(f"{value!r} is not a valid UK phone number", param, ctx)
        return number


UK_NUMBER = UkNumber()
