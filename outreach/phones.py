"""Telephone numbers as people write them ("0812-3456 7890", "+62 812 3456 7890", "(024) 7601234"): the one
place that reads them. Pure functions."""
from __future__ import annotations

import re
from typing import Optional

_SEPARATORS = re.compile(r"[\s\-.()]")


def mobile_number(raw: str) -> Optional[str]:
    """An Indonesian mobile number as 628…, from 08…, +628… or 628… with spaces or dashes; None otherwise
    (a landline, a foreign number, too short or too long): what a visit request's WhatsApp number must be."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+62", "62", "0"):
        if digits.startswith(prefix):
            rest = digits[len(prefix):]
            break
    else:
        return None
    # Mobile numbers: 08 followed by 8 to 11 digits (10 to 13 digits written the 08… way).
    if not re.fullmatch(r"8[0-9]{8,11}", rest):
        return None
    return "62" + rest


def whatsapp_number(raw: Optional[str]) -> Optional[str]:
    """Any number as wa.me wants it ("0812-3456 7890" → "6281234567890"; a site's landline may run WhatsApp
    Business too), or None when unusable."""
    text = (raw or "").strip()
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") and not digits.startswith("62"):
        return digits if 8 <= len(digits) <= 15 else None  # a foreign number, kept as written
    if digits.startswith("0"):
        digits = "62" + digits.lstrip("0")
    elif digits.startswith("8"):
        digits = "62" + digits
    if not digits.startswith("62") or not 10 <= len(digits) <= 15:
        return None
    return digits


def readable(number: Optional[str]) -> str:
    """A stored mobile number as people write it: "6285712349876" → "0857-1234-9876" (anything else as given)."""
    text = (number or "").strip()
    if not re.fullmatch(r"628[0-9]{8,11}", text):
        return text
    local = "0" + text[2:]
    return "-".join((local[:4], local[4:8], local[8:]))
