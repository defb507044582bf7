"""Stores: the case store (SQLAlchemy: SQLite or PostgreSQL) and the evidence store (Parquet
queried with DuckDB), design.md "Storage"."""
