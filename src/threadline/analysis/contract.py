"""The analysis plugin contract (design.md "Extension points").

An analysis is a class with a validated :class:`AnalysisInfo` and a :meth:`Analysis.run` that
reads the evidence and returns findings. Its parameters are a pydantic model, so the CLI, the web
application and the JSON API validate them alike and a run is keyed on their canonical form
(:func:`threadline.model.finding.canonical_parameters`). An analysis never writes anything: the
analyse service stores its findings with ``method@version`` and the parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from threadline.analysis.evidence import Evidence
from threadline.model.finding import Finding
from threadline.model.time_basis import uk_instant

__all__ = ["Analysis", "AnalysisInfo", "Parameters"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


class Parameters(BaseModel):
    """Base of every analysis's parameters: immutable, unknown names refused, and instants
    read as everywhere on the command line and in forms: typed text without an offset is UK
    local time (a date alone is that whole day: ``until`` its end), an offset is honoured, and
    the result is UTC (:func:`threadline.model.time_basis.uk_instant`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _typed_instants(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, str) and field is not None and _is_instant(field.annotation):
            return uk_instant(value, info.field_name or "", end_of_day=info.field_name == "until")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _instants_in_utc(cls, value: Any) -> Any:
        # a datetime handed over by code without a zone is taken as UTC, the evidence's basis
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


def _is_instant(annotation: Any) -> bool:
    """Whether a field holds an instant (``datetime`` or ``datetime | None``)."""
    return annotation is datetime or datetime in getattr(annotation, "__args__", ())


@dataclass(frozen=True, slots=True)
class AnalysisInfo:
    """What an analysis is, declared once as data.

    Attributes:
        name: lower-case snake case (``common_contacts``); the key in the registry and the
            CLI's ``threadline analyse <name>``.
        version: semantic version; bump whenever the findings for the same evidence and
            parameters change, because findings record it (requirement 17).
        title: a short human name.
        summary: one paragraph for the analyst: what it finds and how far that goes.
        tables: the canonical tables it reads.
        parameters: its parameters' model.
        requirements: the domain.md §8 requirements it serves.
        interactive: quick enough to run on request from a page (under a second at scale).
    """

    name: str
    version: str
    title: str
    summary: str
    tables: tuple[str, ...]
    parameters: type[Parameters]
    requirements: tuple[int, ...] = ()
    interactive: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"analysis name {self.name!r} must be lower-case snake case")
        if not _VERSION.match(self.version):
            raise ValueError(f"analysis {self.name} version {self.version!r} is not X.Y.Z")

    @property
    def ref(self) -> str:
        """``name@version``, the form every finding records."""
        return f"{self.name}@{self.version}"


class Analysis(Protocol):
    """An analysis plugin."""

    info: ClassVar[AnalysisInfo]

    def run(self, evidence: Evidence, parameters: Any) -> list[Finding]:
        """Read the evidence and return the findings (``parameters`` is an instance of
        ``info.parameters``)."""
        ...
