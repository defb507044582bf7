"""Ingest: the parser plugin contract, registry, parse context, tabular readers and parsers."""
