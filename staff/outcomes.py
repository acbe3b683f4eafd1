"""The report's measures from contacts' outcomes: referral ratios, needless contacts, cost, the DSL groups (pure)."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Mapping

from routing.statistics import TOO_FEW, mean_interval, ratio_interval, two_proportion_test, wilson_interval
from routing.vocabulary import OUTCOMES
from staff.stats import WEEKDAYS, rate

UNDECIDED = "undecided"
REFERRALS = ("social_care_assessment", "strategy_discussion")
NEEDLESS = ("no_further_action", "early_help")  # ended in no further action, or should have gone to Early Help
TOP_NEEDLESS = 30


def tally(outcomes: Mapping[str, int]) -> dict:
    """Contacts with an outcome, referrals, needless and undecided contacts, and contacts per referral."""
    decided = sum(n for key, n in outcomes.items() if key != UNDECIDED)
    referrals = sum(outcomes.get(key, 0) for key in REFERRALS)
    return {"contacts": decided, "referrals": referrals, "needless": sum(outcomes.get(key, 0) for key in NEEDLESS),
            "undecided": outcomes.get(UNDECIDED, 0), "ratio": decided / referrals if referrals else None}


def _per_100(count: int, pupils: int | None) -> float | None:
    return round(100 * count / pupils, 2) if pupils else None


def school_outcomes(rows: list, names: Mapping[int, tuple[str, int | None]]) -> list[dict]:
    """One row per known school: its tally, and needless contacts per 100 pupils; most contacts first."""
    by_school: dict = defaultdict(Counter)
    for urn, outcome, n in rows:
        if urn is not None:
            by_school[urn][outcome] += n
    table = []
    for urn, outcomes in by_school.items():
        name, pupils = names.get(urn, (f"URN {urn}", None))
        counts = tally(outcomes)
        table.append({"urn": urn, "name": name, "pupils": pupils, **counts,
                      "needless_per_100_pupils": _per_100(counts["needless"], pupils)})
    return sorted(table, key=lambda r: (-r["contacts"], r["name"]))


def outcome_figures(rows: list, names: Mapping[int, tuple[str, int | None]], unit_cost: float) -> dict:
    """The /api/stats keys outcomes, contact_to_referral_ratio, needless_contacts and estimated_cost_gbp."""
    outcomes = Counter()
    for _, outcome, n in rows:
        outcomes[outcome] += n
    overall, schools = tally(outcomes), school_outcomes(rows, names)
    low, high = ratio_interval(overall["contacts"], overall["referrals"])
    with_pupils = [s for s in schools if s["pupils"]]
    ranked = sorted(with_pupils, key=lambda s: (-s["needless_per_100_pupils"], -s["needless"], s["name"]))
    top = [{"rank": position, **{k: s[k] for k in ("urn", "name", "pupils", "needless", "needless_per_100_pupils")}}
           for position, s in enumerate(ranked[:TOP_NEEDLESS], start=1) if s["needless"]]
    pupils = sum(s["pupils"] for s in with_pupils)
    return {
        "outcomes": {key: outcomes.get(key, 0) for key in (*OUTCOMES, UNDECIDED)},
        "contact_to_referral_ratio": {
            "contacts": overall["contacts"], "referrals": overall["referrals"], "ratio": overall["ratio"],
            "ci_low": low, "ci_high": high, "undecided": overall["undecided"],
            "by_school": [{k: s[k] for k in ("urn", "name", "contacts", "referrals", "ratio")} for s in schools]},
        "needless_contacts": {
            "contacts": overall["needless"], "decided": overall["contacts"],
            "share": rate(overall["needless"], overall["contacts"]),
            "per_100_pupils": _per_100(sum(s["needless"] for s in with_pupils), pupils),
            "by_school": [{k: s[k] for k in ("urn", "name", "pupils", "needless", "needless_per_100_pupils")}
                          for s in schools], "top_schools": top},
        "estimated_cost_gbp": {"estimate": True, "amount": round(overall["needless"] * unit_cost, 2),
                               "unit_cost_gbp": unit_cost, "needless_contacts": overall["needless"]},
    }


def _time_line(outcomes: Counter) -> dict:
    counts = tally(outcomes)
    return {k: counts[k] for k in ("contacts", "referrals", "needless", "undecided")} | {
        "referral_rate": rate(counts["referrals"], counts["contacts"])}


def outcomes_by_time(rows: list) -> dict:
    """outcomes_by_weekday (Monday first) and outcomes_by_hour (00 to 23, London), from the contacts' times."""
    weekdays, hours = defaultdict(Counter), defaultdict(Counter)
    for weekday, hour, outcome, n in rows:
        weekdays[weekday][outcome] += n
        hours[hour][outcome] += n
    return {"outcomes_by_weekday": [{"weekday": name, **_time_line(weekdays[day])} for day, name in enumerate(WEEKDAYS)],
            "outcomes_by_hour": [{"hour": hour, **_time_line(hours[hour])} for hour in range(24)]}


def _group(dsl_ids: list[int], by_dsl: Mapping[int, Counter]) -> dict:
    counts = [tally(by_dsl.get(dsl, Counter())) for dsl in dsl_ids]
    contacts = [c["contacts"] + c["undecided"] for c in counts]
    non_urgent = sum(1 for c in counts if c["needless"])
    together = Counter()
    for dsl in dsl_ids:
        together.update(by_dsl.get(dsl, {}))  # in place: summing Counters would copy one per DSL
    overall = tally(together)
    n = len(dsl_ids)
    return {"dsls": n, "too_few_to_compare": n < TOO_FEW,
            "contacts": sum(contacts), "contacts_per_dsl": rate(sum(contacts), n),
            "contacts_per_dsl_ci": list(mean_interval(contacts)),
            "made_non_urgent_contact": non_urgent, "share_non_urgent": rate(non_urgent, n),
            "share_non_urgent_ci": list(wilson_interval(non_urgent, n)),
            "decided": overall["contacts"], "referrals": overall["referrals"],
            "contact_to_referral_ratio": overall["ratio"],
            "contact_to_referral_ratio_ci": list(ratio_interval(overall["contacts"], overall["referrals"]))}


def dsl_training(rows: list, trained_on: Mapping[int, date | None], by: date) -> dict:
    """dsl_training: trained (by the period's end) against untrained DSLs, each group with 95% intervals."""
    by_dsl: dict = defaultdict(Counter)
    for dsl, outcome, n in rows:
        by_dsl[dsl][outcome] += n
    trained = sorted(d for d, when in trained_on.items() if when is not None and when <= by)
    untrained = sorted(set(trained_on) - set(trained))
    groups = {"trained": _group(trained, by_dsl), "untrained": _group(untrained, by_dsl)}
    comparable = not any(g["too_few_to_compare"] for g in groups.values())
    difference = p_value = None
    if comparable:
        difference, p_value = two_proportion_test(groups["trained"]["made_non_urgent_contact"], len(trained),
                                                  groups["untrained"]["made_non_urgent_contact"], len(untrained))
    return {"dsl_training": {**groups, "trained_by": by.isoformat(), "too_few_below": TOO_FEW,
                             "share_non_urgent_difference": difference, "p_value": p_value}}
