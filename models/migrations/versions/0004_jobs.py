"""one durable job queue for every kind of work

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 09:00:00

The service's profile-keyed jobs, leases and timers become the shared queue (models/jobs.py): jobs
of a kind in a lane, lane leases with a generation, timers that make jobs of any kind, and effect
keys. Existing rows move over: a job becomes kind ``sync`` in the lane named after its profile (its
old kind is its origin), a profile lease becomes that lane's lease, a timer makes ``sync`` jobs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NOW = sa.func.current_timestamp()
CHUNK = 1000


def _create_tables() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", JSON_DOCUMENT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_lane_status", ["lane", "status"], unique=False)
        batch_op.create_index("ix_jobs_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "job_lanes",
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lane", name=op.f("pk_job_lanes")),
    )
    op.create_table(
        "job_timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("job_kind", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("spec", JSON_DOCUMENT, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fired_count", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_timers")),
        sa.UniqueConstraint("name", name=op.f("uq_job_timers_name")),
    )
    with op.batch_alter_table("job_timers", schema=None) as batch_op:
        batch_op.create_index("ix_job_timers_active_due", ["active", "due_at"], unique=False)
        batch_op.create_index("ix_job_timers_lane", ["lane"], unique=False)

    op.create_table(
        "job_effects",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", JSON_DOCUMENT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_job_effects")),
    )


def _rows(conn: sa.Connection, table: sa.Table, order: sa.ColumnElement[Any]) -> Iterator[list[dict[str, Any]]]:
    offset = 0
    while True:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(order).limit(CHUNK).offset(offset))]
        if not rows:
            return
        yield rows
        offset += len(rows)


def _move_rows() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    old_jobs = sa.Table("service_jobs", meta, autoload_with=conn)
    old_leases = sa.Table("service_profile_leases", meta, autoload_with=conn)
    old_timers = sa.Table("service_timers", meta, autoload_with=conn)
    jobs = sa.Table("jobs", meta, autoload_with=conn)
    lanes = sa.Table("job_lanes", meta, autoload_with=conn)
    timers = sa.Table("job_timers", meta, autoload_with=conn)

    for chunk in _rows(conn, old_jobs, old_jobs.c.id):
        out = []
        for r in chunk:
            result = dict(r["result"]) if isinstance(r["result"], dict) else r["result"]
            if r["run_id"] is not None:
                result = {**(result or {}), "run_id": r["run_id"]}
            out.append({"id": r["id"], "kind": "sync", "lane": r["profile"], "origin": r["kind"], "status": r["status"],
                        "due_at": r["due_at"], "attempts": r["attempts"], "max_attempts": r["max_attempts"],
                        "generation": 0, "payload": r["payload"] or {}, "owner": r["owner"],
                        "lease_until": r["lease_until"], "received_at": r["received_at"],
                        "finished_at": r["finished_at"], "last_error": r["last_error"], "result": result,
                        "created_at": r["created_at"], "updated_at": r["updated_at"]})
        conn.execute(sa.insert(jobs), out)
    for chunk in _rows(conn, old_leases, old_leases.c.profile):
        conn.execute(sa.insert(lanes), [{"lane": r["profile"], "owner": r["owner"], "lease_until": r["lease_until"],
                                          "generation": 0} for r in chunk])
    for chunk in _rows(conn, old_timers, old_timers.c.id):
        out = []
        for r in chunk:
            spec = dict(r["spec"] or {})
            new_spec: dict[str, Any] = {"payload": dict(spec.get("job") or {}),
                                        "origin": "schedule" if r["kind"] == "schedule" else "timer"}
            if "trigger" in spec:
                new_spec["schedule"] = spec["trigger"]
            out.append({"id": r["id"], "name": r["name"], "lane": r["profile"], "job_kind": "sync", "kind": r["kind"],
                        "spec": new_spec, "due_at": r["due_at"], "generation": 0,
                        "last_fired_at": r["last_fired_at"], "fired_count": r["fired_count"], "active": r["active"],
                        "created_at": r["created_at"], "updated_at": r["updated_at"]})
        conn.execute(sa.insert(timers), out)
    if conn.dialect.name == "postgresql":  # rows kept their ids: move the sequences past them
        for table in ("jobs", "job_timers"):
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def upgrade() -> None:
    _create_tables()
    _move_rows()
    with op.batch_alter_table("service_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_service_jobs_status_due")
        batch_op.drop_index("ix_service_jobs_profile_status")
    op.drop_table("service_jobs")
    op.drop_table("service_profile_leases")
    with op.batch_alter_table("service_timers", schema=None) as batch_op:
        batch_op.drop_index("ix_service_timers_active_due")
    op.drop_table("service_timers")


def _create_old_tables() -> None:
    op.create_table(
        "service_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", JSON_DOCUMENT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_jobs")),
    )
    with op.batch_alter_table("service_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_service_jobs_profile_status", ["profile", "status"], unique=False)
        batch_op.create_index("ix_service_jobs_status_due", ["status", "due_at"], unique=False)
    op.create_table(
        "service_profile_leases",
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("profile", name=op.f("pk_service_profile_leases")),
    )
    op.create_table(
        "service_timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("spec", JSON_DOCUMENT, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fired_count", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_timers")),
        sa.UniqueConstraint("name", name=op.f("uq_service_timers_name")),
    )
    with op.batch_alter_table("service_timers", schema=None) as batch_op:
        batch_op.create_index("ix_service_timers_active_due", ["active", "due_at"], unique=False)


def _move_rows_back() -> None:
    """Only sync work fits the old queue; jobs and timers of other kinds are dropped with their tables."""
    conn = op.get_bind()
    meta = sa.MetaData()
    jobs = sa.Table("jobs", meta, autoload_with=conn)
    lanes = sa.Table("job_lanes", meta, autoload_with=conn)
    timers = sa.Table("job_timers", meta, autoload_with=conn)
    old_jobs = sa.Table("service_jobs", meta, autoload_with=conn)
    old_leases = sa.Table("service_profile_leases", meta, autoload_with=conn)
    old_timers = sa.Table("service_timers", meta, autoload_with=conn)
    sync_lanes: set[str] = set()
    for chunk in _rows(conn, jobs, jobs.c.id):
        out = []
        for r in chunk:
            if r["kind"] != "sync":
                continue
            sync_lanes.add(r["lane"])
            result = dict(r["result"]) if isinstance(r["result"], dict) else None
            run_id = result.pop("run_id", None) if result is not None else None
            out.append({"id": r["id"], "profile": r["lane"], "kind": r["origin"][:16],
                        "status": "failed" if r["status"] == "cancelled" else r["status"], "due_at": r["due_at"],
                        "attempts": r["attempts"], "max_attempts": r["max_attempts"], "payload": r["payload"] or {},
                        "owner": r["owner"], "lease_until": r["lease_until"], "run_id": run_id,
                        "received_at": r["received_at"], "finished_at": r["finished_at"],
                        "last_error": r["last_error"], "result": result, "created_at": r["created_at"],
                        "updated_at": r["updated_at"]})
        if out:
            conn.execute(sa.insert(old_jobs), out)
    for chunk in _rows(conn, lanes, lanes.c.lane):
        out = [{"profile": r["lane"], "owner": r["owner"], "lease_until": r["lease_until"]}
               for r in chunk if r["lane"] in sync_lanes and len(r["lane"]) <= 100]
        if out:
            conn.execute(sa.insert(old_leases), out)
    for chunk in _rows(conn, timers, timers.c.id):
        out = []
        for r in chunk:
            if r["job_kind"] != "sync":
                continue
            spec = dict(r["spec"] or {})
            old_spec: dict[str, Any] = {"job": dict(spec.get("payload") or {})}
            if "schedule" in spec:
                old_spec["trigger"] = spec["schedule"]
            out.append({"id": r["id"], "name": r["name"], "profile": r["lane"], "kind": r["kind"], "spec": old_spec,
                        "due_at": r["due_at"], "last_fired_at": r["last_fired_at"], "fired_count": r["fired_count"],
                        "active": r["active"], "created_at": r["created_at"], "updated_at": r["updated_at"]})
        if out:
            conn.execute(sa.insert(old_timers), out)
    if conn.dialect.name == "postgresql":
        for table in ("service_jobs", "service_timers"):
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def downgrade() -> None:
    _create_old_tables()
    _move_rows_back()
    op.drop_table("job_effects")
    with op.batch_alter_table("job_timers", schema=None) as batch_op:
        batch_op.drop_index("ix_job_timers_lane")
        batch_op.drop_index("ix_job_timers_active_due")
    op.drop_table("job_timers")
    op.drop_table("job_lanes")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_due")
        batch_op.drop_index("ix_jobs_lane_status")
    op.drop_table("jobs")
