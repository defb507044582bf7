"""Settings: where the workspace is, which database, and policy switches.

Read from the environment (prefix ``THREADLINE_``) by the entry points only, then passed down; no
module reads settings for itself (examples.md "Config"). Tests build ``Settings(home=tmp_path)``.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry in odd containers
        return "unknown"


#: Where the shared reference data's GB district boundaries are when Threadline runs from its
#: source tree beside ``shared/`` (``<repo>/../shared/data/...``); never copied into the repo.
_SHARED_BASEMAP = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "reference"
    / "uk_geography"
    / "uk_geojson_martinjc"
    / "gb_topo_lad.json"
)


def _default_basemap() -> Path | None:
    """``THREADLINE_BASEMAP`` if set (empty: no basemap), else the shared GB districts file if
    it is there, else no basemap (the map still works, without outlines)."""
    given = os.environ.get("THREADLINE_BASEMAP")
    if given is not None:
        return Path(given) if given.strip() else None
    return _SHARED_BASEMAP if _SHARED_BASEMAP.is_file() else None


class Settings(BaseSettings):
    """Threadline's settings (environment variables ``THREADLINE_<FIELD>``)."""

    model_config = SettingsConfigDict(env_prefix="THREADLINE_", extra="forbid")

    home: Path = Field(
        default_factory=lambda: Path.home() / "threadline",
        description="The workspace folder: case store (SQLite), preserved exhibits, evidence.",
    )
    """The workspace folder: case store (SQLite), preserved exhibits, evidence store."""

    database_url: str | None = Field(
        default=None,
        description="Case store URL; default a SQLite file in the workspace. PostgreSQL: "
        "postgresql+psycopg://user@host/db",
    )
    """Case store URL; default ``sqlite:///<home>/threadline.db``."""

    user: str = Field(
        default_factory=_default_user,
        description="The audited identity; in embedded mode the operating-system user.",
    )
    """The audited identity (embedded mode: the operating-system user)."""

    justification_required: bool = Field(
        default=False,
        description="Force policy: consultation and disclosure must give a justification "
        "(requirement 13).",
    )
    """Whether consultations and disclosures must carry a justification (requirement 13)."""

    accredited_above_official: bool = Field(
        default=False,
        description="Whether this deployment is accredited to hold SECRET material "
        "(requirement 10).",
    )
    """Whether this deployment may hold SECRET material (requirement 10)."""

    max_upload_bytes: int = Field(
        default=20 * 1024**3,
        description="Largest exhibit the web application accepts as an upload, in bytes "
        "(default 20 GiB); bigger files are registered from the server's import folder.",
    )
    """Largest upload the web application accepts (bytes)."""

    container_max_bytes: int = Field(
        default=256 * 1024**3,
        gt=0,
        description="Most bytes a container exhibit (ZIP, UFDR, TAR) may expand to, in all and "
        "per member (default 256 GiB); larger is refused as a possible ZIP bomb.",
    )
    """Expansion limit for container exhibits (bytes)."""

    container_max_ratio: float = Field(
        default=200.0,
        gt=1,
        description="Highest compression ratio a member over 1 MiB of a ZIP or UFDR may have "
        "(default 200); higher is refused as a possible ZIP bomb.",
    )
    """Compression-ratio limit for members of ZIP exhibits."""

    ingest_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Processes that may read one large extraction report together (default 2, "
        "at most the machine's cores): each reads its share of the records, so a report ingests "
        "faster on more cores, each process holding its own memory (about 0.5 GB).",
    )
    """Processes a parser may use for one large exhibit (see threadline.ingest.shares)."""

    import_folder: Path | None = Field(
        default=None,
        description="Folder on the server whose files web users may register as exhibits "
        "without uploading them; unset, registering server paths is turned off.",
    )
    """The only folder server-side paths may be registered from (web application)."""

    secure_cookies: bool = Field(
        default=False,
        description="Send the sign-in cookie only over HTTPS: set when the web application is "
        "served over TLS (directly or behind a proxy).",
    )
    """Whether the session cookie is marked Secure (HTTPS deployments)."""

    basemap_path: Path | None = Field(
        default_factory=_default_basemap,
        description="TopoJSON file of area outlines drawn under the case map (set with "
        "THREADLINE_BASEMAP or THREADLINE_BASEMAP_PATH; empty for none); default the GB local "
        "authority districts of the shared reference data when present.",
    )
    """The case map's basemap (TopoJSON, read at run time; ``None``: no basemap)."""

    def resolved_database_url(self) -> str:
        """The case store URL, defaulting to the SQLite file in the workspace."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'threadline.db').resolve()}"
