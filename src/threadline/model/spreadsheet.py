"""Spreadsheet safety: values that a spreadsheet would read as a formula.

Evidence keeps such values as the text they are. When Threadline writes CSV or XLSX for people to
open, a value beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
an apostrophe so no spreadsheet evaluates it (formula injection, OWASP "CSV Injection").
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Return ``text`` made inert for spreadsheets (unchanged unless it could start a formula)."""
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
