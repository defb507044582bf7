"""Documentation kept in step with the code (examples.md: docs enforced by tests)."""

from __future__ import annotations

from pathlib import Path

from threadline.ingest.parsers.cdr_uk.profile import Profile, builtin_profiles
from threadline.model.evidence_schema import render_markdown
from threadline.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_evidence_schema_doc_is_generated_from_the_model() -> None:
    doc = (ROOT / "docs" / "evidence-schema.md").read_text("utf-8")
    assert doc == render_markdown(), (
        "docs/evidence-schema.md is stale: regenerate with .venv/bin/python -c "
        '"from threadline.model.evidence_schema import render_markdown; '
        "open('docs/evidence-schema.md','w').write(render_markdown())\""
    )


def test_every_mapping_key_is_documented() -> None:
    doc = (ROOT / "docs" / "cdr-mapping.md").read_text("utf-8")
    for key in Profile.model_fields:
        assert f"`{key}`" in doc, f"mapping key {key} is not documented in docs/cdr-mapping.md"
    for field in Profile.model_fields["columns"].annotation.__args__[0].__args__:  # type: ignore[union-attr]
        assert f"`{field}`" in doc, f"canonical field {field} is not documented"


def test_every_shipped_profile_is_documented() -> None:
    doc = (ROOT / "docs" / "cdr-mapping.md").read_text("utf-8")
    for profile in builtin_profiles():
        assert f"`{profile.name}`" in doc


def test_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in Settings.model_fields:
        assert f"THREADLINE_{name.upper()}" in readme, f"setting {name} missing from README"
