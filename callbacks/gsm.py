"""SMS encoding as carriers and Twilio count it: GSM-7 normalisation and segment counts."""
from __future__ import annotations

import unicodedata

# The GSM 03.38 default alphabet (one septet each) and its extension table (an escape plus one: two septets).
BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
         "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
EXTENSION = "^{}\\[~]|€\f"
GSM_CHARS = frozenset(BASIC + EXTENSION)

# Twilio's rule: one GSM-7 part holds 160 septets, each part of a longer text 153 (the rest is the UDH);
# UCS-2 parts hold 70 UTF-16 code units, or 67 each when split.
GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
MAX_SEGMENTS = 3

# What word processors and phones put in staff's text, and its plain GSM-7 form.
REPLACEMENTS = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4\u02bc", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2022\u00b7", "-"),
    "\u2026": "...",
    **dict.fromkeys("\u00a0\u2002\u2003\u2007\u2009\u200a\u202f\t", " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
}


def _plain(char: str) -> str:
    """One character in GSM-7: itself, its usual replacement, its unaccented letters, or '?'."""
    if char in GSM_CHARS:
        return char
    if char in REPLACEMENTS:
        return REPLACEMENTS[char]
    # á, ç, ô, ligatures: the base letters, which GSM-7 has ("é" and the like were kept above).
    folded = "".join(c for c in unicodedata.normalize("NFKD", char) if c in GSM_CHARS)
    return folded or "?"


def to_gsm7(text: str) -> str:
    """The text in GSM-7 only, so one stray curly apostrophe cannot make the whole text UCS-2."""
    return "".join(_plain(char) for char in text)


def is_gsm7(text: str) -> bool:
    """Whether every character of the text is in GSM-7 (with its extension table)."""
    return all(char in GSM_CHARS for char in text)


def _parts(sizes: list[int], single: int, part: int) -> int:
    """How many parts units of these sizes fill, never splitting one unit across two parts."""
    if sum(sizes) <= single:
        return 1
    count, used = 1, 0
    for size in sizes:
        if used + size > part:
            count, used = count + 1, 0
        used += size
    return count


def segments(text: str) -> int:
    """How many segments Twilio bills for this body: GSM-7 160/153 septets, else UCS-2 70/67 code units."""
    if not text:
        return 1
    if is_gsm7(text):
        return _parts([2 if char in EXTENSION else 1 for char in text], GSM_SINGLE, GSM_PART)
    return _parts([2 if ord(char) > 0xFFFF else 1 for char in text], UCS2_SINGLE, UCS2_PART)


def fits(text: str, limit: int = MAX_SEGMENTS) -> bool:
    """Whether the body goes in at most `limit` segments."""
    return segments(text) <= limit
