"""outbox: request id of the originating request

Revision ID: 20261125_2110
Revises: 20261125_1930
Create Date: 2026-11-25 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261125_2110"
down_revision = "20261125_1930"
branch_labels = None
depends_on = None

SCHEMA = "video"


def upgrade() -> None:
    op.add_column("outbox", sa.Column("request_id", sa.String(128), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("outbox", "request_id", schema=SCHEMA)
