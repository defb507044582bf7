"""The web application: FastAPI app factory, pages and JSON API (design.md §4)."""
