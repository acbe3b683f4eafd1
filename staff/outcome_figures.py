"""The report's own measures as dashboard figures: outcomes, referral ratios, needless contacts, DSL training."""
from __future__ import annotations

from db.outcomes import get_dsl_training_dates
from db.stats import get_schools
from db.verdicts import verdict_counts
from routing.vocabulary import OUTCOME_LABELS
from staff.charts import Chart
from staff.outcomes import UNDECIDED, dsl_training, outcome_figures, outcomes_by_time
from staff.reads import Figure, Reads, follow_up, measures, shared
from staff.stats import rate

SECTION = "Outcomes"
LABELS = {**OUTCOME_LABELS, UNDECIDED: "not decided yet"}
TIME_COLUMNS = (("Decided", "int"), ("Referrals", "int"), ("Referral rate", "pct"), ("No further action or Early Help", "int"),
                ("Not decided yet", "int"))


@shared
def _by_school(reads: Reads) -> dict:
    # Contacts cover all hours, counted by when they were made: an outcome belongs to the contact, not the call.
    rows = measures(reads).schools
    names = reads.query(get_schools, tuple(sorted({urn for urn, _, _ in rows if urn is not None})))
    return outcome_figures(rows, names, reads.unit_cost_gbp)


@shared
def _times(reads: Reads) -> dict:
    return outcomes_by_time(measures(reads).times)


def _outcome_rows(report: dict) -> list[list]:
    outcomes = report["outcomes"]
    total = sum(outcomes.values())
    return [[LABELS[key].capitalize(), n, rate(n, total)] for key, n in outcomes.items()]


def _ratio_rows(report: dict) -> list[list]:
    ratio = report["contact_to_referral_ratio"]
    return [["All schools", "", ratio["contacts"], ratio["referrals"], ratio["ratio"]]] + [
        [s["name"], s["urn"], s["contacts"], s["referrals"], s["ratio"]] for s in ratio["by_school"]]


def _cost_rows(report: dict) -> list[list]:
    cost = report["estimated_cost_gbp"]
    return [[cost["needless_contacts"], cost["unit_cost_gbp"], cost["amount"]]]


def _time_rows(lines: list[dict], label) -> list[list]:
    return [[label(line), line["contacts"], line["referrals"], line["referral_rate"] if line["contacts"] else None,
             line["needless"], line["undecided"]] for line in lines]


def _training(reads: Reads) -> dict:
    rows = measures(reads).dsls
    return dsl_training(rows, reads.query(get_dsl_training_dates), reads.period.end)


def _training_rows(report: dict) -> list[list]:
    def bounds(values: list) -> str:
        return "–" if values[0] is None else f"{values[0]:.2f} to {values[1]:.2f}" if values[1] is not None \
            else f"{values[0]:.2f} or more"

    groups = report["dsl_training"]
    rows = []
    for name in ("trained", "untrained"):
        g = groups[name]
        share_ci = g["share_non_urgent_ci"]
        rows.append([f"{name.capitalize()} DSLs", g["dsls"], g["contacts_per_dsl"], bounds(g["contacts_per_dsl_ci"]),
                     g["share_non_urgent"], "–" if share_ci[0] is None else f"{share_ci[0]:.0%} to {share_ci[1]:.0%}",
                     g["contact_to_referral_ratio"], bounds(g["contact_to_referral_ratio_ci"]),
                     "too few to compare" if g["too_few_to_compare"] else ""])
    return rows


def _follow_up_rows(report: dict) -> list[list]:
    follow_up = report["follow_up"]
    return [[label, g["contacts"], g["followed_up"], g["rate"] if g["contacts"] else None, g["ci_low"], g["ci_high"]]
            for label, g in (("A status update reached the DSL first", follow_up["after_callback"]),
                             ("No status update first", follow_up["without_callback"]))]


def _verdict_rows(report: dict) -> list[list]:
    verdict = report["callback_verdict"]
    unanswered = verdict["asked"] - verdict["answered_yes"] - verdict["needs_more"]
    return [[verdict["asked"], verdict["answered_yes"], verdict["needs_more"], unanswered, verdict["rate"]]]


OUTCOME_FIGURES: tuple[Figure, ...] = (
    Figure("outcomes", "MASH and EDT contacts by outcome (made in the period)", SECTION,
           lambda reads: {"outcomes": _by_school(reads)["outcomes"]}, (("Outcome", "text"), ("Contacts", "int"),
                                                                      ("Share", "pct")), _outcome_rows,
           Chart("bar", lambda row: (row[0], row[1], f"{row[1]} ({row[2]:.0%})") if row[1] else None,
                 title="Contacts by outcome")),
    Figure("contact_to_referral_ratio", "Contacts per referral (social care assessment or strategy discussion)",
           SECTION, lambda reads: {"contact_to_referral_ratio": _by_school(reads)["contact_to_referral_ratio"]},
           (("School", "text"), ("URN", "text"), ("Decided contacts", "int"), ("Referrals", "int"),
            ("Contacts per referral", "ratio")), _ratio_rows, scroll="scroll scroll--tall"),
    Figure("needless_contacts", "Top 30 schools by needless contacts (no further action or Early Help) per 100 pupils",
           SECTION, lambda reads: {"needless_contacts": _by_school(reads)["needless_contacts"]},
           (("Rank", "int"), ("School", "text"), ("URN", "text"), ("Needless contacts", "int"), ("Pupils", "int"),
            ("Per 100 pupils", "ratio")),
           lambda report: [[s["rank"], s["name"], s["urn"], s["needless"], s["pupils"], s["needless_per_100_pupils"]]
                           for s in report["needless_contacts"]["top_schools"]]),
    Figure("estimated_cost", "Estimated cost of needless contacts (an estimate: contacts times the unit cost)",
           SECTION, lambda reads: {"estimated_cost_gbp": _by_school(reads)["estimated_cost_gbp"]},
           (("Needless contacts", "int"), ("Unit cost", "gbp"), ("Estimated cost", "gbp")), _cost_rows),
    Figure("outcomes_by_weekday", "Outcomes by the day the contact was made", SECTION,
           lambda reads: {"outcomes_by_weekday": _times(reads)["outcomes_by_weekday"]},
           (("Day", "text"), *TIME_COLUMNS), lambda report: _time_rows(report["outcomes_by_weekday"],
                                                                       lambda line: line["weekday"]),
           Chart("share", lambda row: (row[0], row[3], f"{row[3]:.0%} of {row[1]}") if row[1] else None,
                 title="Share of decided contacts that became a referral, by day")),
    Figure("outcomes_by_hour", "Outcomes by the hour the contact was made (Europe/London)", SECTION,
           lambda reads: {"outcomes_by_hour": _times(reads)["outcomes_by_hour"]},
           (("Hour", "text"), *TIME_COLUMNS), lambda report: _time_rows(report["outcomes_by_hour"],
                                                                        lambda line: f"{line['hour']:02d}:00"),
           scroll="scroll scroll--tall"),
    Figure("dsl_training", "Trained against untrained DSLs (trained by the period's end; 95% intervals)", SECTION,
           _training, (("Group", "text"), ("DSLs", "int"), ("Contacts per DSL", "ratio"), ("95% interval", "text"),
                       ("Share who made a non-urgent contact", "pct"), ("95% interval", "text"),
                       ("Contacts per referral", "ratio"), ("95% interval", "text"), ("Note", "text")),
           _training_rows, scroll="scroll"),
    Figure("follow_up_callbacks", "Follow-up calls after a status update, and without one (95% intervals)", SECTION,
           lambda reads: {"follow_up": follow_up(reads)}, (("Contacts (at least 14 days old)", "text"), ("Contacts", "int"), ("Followed up", "int"),
                              ("Rate", "pct"), ("From", "pct"), ("To", "pct")), _follow_up_rows),
    Figure("callback_verdict", "Did the status answer the DSL's question? (after a status update call, or option 4)",
           SECTION, lambda reads: {"callback_verdict": verdict_counts(measures(reads).verdicts)},
           (("Asked", "int"), ("Answered: pressed 1", "int"), ("Still needed someone: pressed 2", "int"),
            ("No key", "int"), ("Answered share", "pct")), _verdict_rows),
)
