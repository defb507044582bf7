"""MSAB XRY exports (text and XML)."""
