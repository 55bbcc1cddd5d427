"""How personal numbers appear on screens, the same in every service: ID numbers keep their first
and last four characters, mobile phones read ``138****8001``."""
from __future__ import annotations


def mask_number(number: str) -> str:
    """Show the first 4 and last 4 characters only, e.g. ``5001**********123X``."""
    if len(number) <= 8:
        return number[:2] + "*" * max(0, len(number) - 3) + number[-1:]
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """``13800138001`` → ``138****8001``; other numbers (landlines, +86…) as ``mask_number``."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else mask_number(phone)
