"""Alembic environment: runs on the engine handed over by ``gutwise.core.migrate``."""

from alembic import context

from gutwise.core import models_registry  # noqa: F401  (fills Base.metadata)
from gutwise.core.db import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only reached when someone runs the alembic CLI by hand
    from gutwise.core.db import make_engine
    from gutwise.core.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url())

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
