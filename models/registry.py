"""The complete table metadata: importing every model module here is what makes Alembic see all tables.

Add each new model module to the import list below (autogenerate and the models-vs-migrations test
both read :data:`metadata`).
"""

from __future__ import annotations

from sqlalchemy import MetaData

# Each import registers its tables on Base.metadata.
import models.connections
import models.jobs
import models.profiles
import models.runs
import models.service
import models.sync_state  # noqa: F401
from models.base import Base

metadata: MetaData = Base.metadata
