"""The statuses and outcomes of a contact, in the plain words a DSL reads or hears."""
from __future__ import annotations

STATUSES = ("received", "being_assessed", "decided", "closed")
STATUS_LABELS = {
    "received": "received",
    "being_assessed": "being assessed",
    "decided": "decided",
    "closed": "closed",
}

OUTCOME_LABELS = {
    "no_further_action": "no further action",
    "early_help": "passed to Early Help",
    "social_care_assessment": "a social care assessment",
    "strategy_discussion": "a strategy discussion",
    "other": "another outcome",
}
OUTCOMES = tuple(OUTCOME_LABELS)
NO_FURTHER_ACTION = "no_further_action"

# What happens next, from the DSL's side, for each outcome.
NEXT_STEPS = {
    "no_further_action": "MASH will take no further action. Keep following your school's safeguarding "
                         "procedures and contact us again if anything changes.",
    "early_help": "Early Help will contact the family to offer support.",
    "social_care_assessment": "A social worker will carry out an assessment and may contact you for information.",
    "strategy_discussion": "A strategy discussion will be held and you may be asked to take part.",
    "other": "MASH will contact you if anything more is needed from you.",
}
