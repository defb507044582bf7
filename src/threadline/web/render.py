"""Page rendering: the Jinja2 environment, its filters, and the context every page gets.

Templates autoescape everything, so a name or message body holding HTML or script is shown as
text, never run. Every page prints the case's GSC marking at its top and bottom (requirement 9);
pages outside a case print the deployment default. Times are shown in UTC and in UK local time
with GMT or BST named (requirement 22).
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from threadline.model.marking import DEFAULT_MARKING
from threadline.model.time_basis import uk_local
from threadline.web.deps import current_session


def _parse(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def utc_and_local(value: str | datetime | None) -> str:
    """``2026-03-29 00:30:00 UTC · 01:30:00 BST``; empty for no time."""
    moment = _parse(value)
    if moment is None:
        return ""
    if moment.tzinfo is None:
        # the case store writes UTC; SQLite hands it back without its zone
        moment = moment.replace(tzinfo=UTC)
    local, label = uk_local(moment)
    utc = moment.astimezone(UTC)
    return (
        f"{utc.strftime('%Y-%m-%d %H:%M:%S')} UTC · {local.strftime('%Y-%m-%d %H:%M:%S')} {label}"
    )


def size(value: int | None) -> str:
    """A byte count as people read it: ``20 GiB``, ``3.4 MiB``."""
    if value is None:
        return ""
    amount = float(value)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return (
                f"{amount:,.0f} {unit}"
                if unit == "bytes"
                else f"{amount:,.1f} {unit}".replace(".0 ", " ")
            )
        amount /= 1024
    return str(value)  # pragma: no cover - the loop always returns


def number(value: int | float | None) -> str:
    """A count with thousands separators; empty for none."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}"
    return f"{value:,}"


def duration(seconds: float | None) -> str:
    """``1 h 02 min``, ``3 min 05 s`` or ``12 s``; empty for none."""
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def make_templates() -> Jinja2Templates:
    """The template environment, reading the package's own templates."""
    folder = resources.files("threadline.web").joinpath("templates")
    templates = Jinja2Templates(directory=str(folder))
    templates.env.autoescape = True
    templates.env.filters["when"] = utc_and_local
    templates.env.filters["number"] = number
    templates.env.filters["size"] = size
    templates.env.filters["duration"] = duration
    return templates


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with the shared context: the user, their CSRF token and the marking."""
    values: dict[str, Any] = {"marking": DEFAULT_MARKING.value, "case": None}
    values.update(context or {})
    active = current_session(request)
    values["user"] = active
    if active is not None:
        values["csrf_token"] = active.csrf_token
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, values, status_code=status_code)
