"""Developer tool: autogenerate the next Alembic revision from the models, with gutwise's conventions.

    .venv/bin/python scripts/new_migration.py 0003 labs "labs: results and imports"

It migrates a scratch SQLite database to head, autogenerates the difference, and rewrites the file into the
project's form: date-prefixed name, plain SQLAlchemy types (no imports of gutwise code, so old migrations never
break when the models change), JSONB on PostgreSQL.
"""

from __future__ import annotations

import datetime
import re
import sys
import tempfile
from pathlib import Path

from alembic import command

from gutwise.core import models_registry  # noqa: F401
from gutwise.core.db import make_engine
from gutwise.core.migrate import MIGRATIONS, alembic_config, upgrade


def main(rev_id: str, slug: str, message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        upgrade(engine)
        command.revision(alembic_config(engine), message=message, autogenerate=True, rev_id=rev_id)
    versions = MIGRATIONS / "versions"
    target = versions / f"{datetime.date.today():%Y-%m-%d}_{rev_id}_{slug}.py"
    generated = next(p for p in versions.iterdir() if p.name.split("_")[1:2] == [rev_id] and p != target)
    text = generated.read_text()
    text = text.replace("gutwise.core.db.UTCDateTime(timezone=True)", "sa.DateTime(timezone=True)")
    text = text.replace("postgresql.JSONB(astext_type=Text())", "postgresql.JSONB()")
    text = re.sub(r"^import gutwise\.core\.db\n", "", text, flags=re.M)
    text = re.sub(r"^\s*# ### .*\n", "", text, flags=re.M)
    target.write_text(text)
    generated.unlink()
    print(target)


if __name__ == "__main__":
    main(*sys.argv[1:4])
