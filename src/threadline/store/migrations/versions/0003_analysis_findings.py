"""analysis runs, their findings and the findings' subjects

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "analysis_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=100), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("question", sa.String(length=32), nullable=False),
        sa.Column("evidence_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.Text(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_analysis_runs_case_id", "analysis_runs", ["case_id"], unique=False)
    op.create_index("ix_analysis_runs_question", "analysis_runs", ["question"], unique=False)
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("finding_id", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("derived_from", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("first_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_utc", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["analysis_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_findings_run_id", "findings", ["run_id"], unique=False)
    op.create_index("ix_findings_finding_id", "findings", ["finding_id"], unique=False)
    op.create_table(
        "finding_subjects",
        sa.Column("finding", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["finding"], ["findings.id"]),
        sa.PrimaryKeyConstraint("finding", "position"),
    )
    op.create_index("ix_finding_subjects_subject", "finding_subjects", ["subject"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_finding_subjects_subject", table_name="finding_subjects")
    op.drop_table("finding_subjects")
    op.drop_index("ix_findings_finding_id", table_name="findings")
    op.drop_index("ix_findings_run_id", table_name="findings")
    op.drop_table("findings")
    op.drop_index("ix_analysis_runs_question", table_name="analysis_runs")
    op.drop_index("ix_analysis_runs_case_id", table_name="analysis_runs")
    op.drop_table("analysis_runs")
