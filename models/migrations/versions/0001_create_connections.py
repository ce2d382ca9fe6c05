"""create connections

Revision ID: 0001
Revises:
Create Date: 2026-11-26 21:07:03

Written out by hand (not importing models) so this revision keeps meaning what it meant when it shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("flavour", sa.String(length=20), nullable=False),
        sa.Column("base_url", sa.String(length=2048), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("secret_ref", sa.String(length=512), nullable=False),
        sa.Column("verify_tls", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("ca_file", sa.String(length=1024), nullable=True),
        sa.Column("settings", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(system = 'jira' AND flavour IN ('server', 'cloud')) "
            "OR (system = 'bitrix24' AND flavour IN ('webhook', 'oauth'))",
            name=op.f("ck_connections_flavour"),
        ),
        sa.CheckConstraint("system IN ('jira', 'bitrix24')", name=op.f("ck_connections_system")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("name", name=op.f("uq_connections_name")),
    )


def downgrade() -> None:
    op.drop_table("connections")
