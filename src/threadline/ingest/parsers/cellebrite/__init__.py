"""Cellebrite UFED report (UFDR or report.xml)."""
