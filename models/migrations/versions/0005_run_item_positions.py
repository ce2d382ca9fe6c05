"""positions of run items, for paging by index seek

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:00:00

Each item gets ``seq`` (its position in its run) and ``action_seq`` (its position among the run's items
of the same action), numbered for existing rows in id order, with indexes that make any page of a run a
seek instead of an OFFSET scan.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBER = """
UPDATE sync_run_items SET seq = numbered.seq, action_seq = numbered.action_seq
FROM (SELECT id,
             ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY id) AS seq,
             ROW_NUMBER() OVER (PARTITION BY run_id, action ORDER BY id) AS action_seq
      FROM sync_run_items) AS numbered
WHERE sync_run_items.id = numbered.id
"""


def upgrade() -> None:
    with op.batch_alter_table("sync_run_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("action_seq", sa.Integer(), nullable=False, server_default="0"))
    op.execute(NUMBER)
    with op.batch_alter_table("sync_run_items", schema=None) as batch_op:
        batch_op.alter_column("seq", server_default=None)
        batch_op.alter_column("action_seq", server_default=None)
        batch_op.create_index("ix_sync_run_items_run_seq", ["run_id", "seq"], unique=False)
        batch_op.create_index("ix_sync_run_items_run_action_seq", ["run_id", "action", "action_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sync_run_items", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_run_items_run_action_seq")
        batch_op.drop_index("ix_sync_run_items_run_seq")
        batch_op.drop_column("action_seq")
        batch_op.drop_column("seq")
