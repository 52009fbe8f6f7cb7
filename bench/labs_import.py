"""Benchmark: 100,000 CSV lab rows through gutwise's importer vs a raw SQLAlchemy Core insert of the parsed rows.

The gutwise run is ``labs.service.import_file``: CSV parsing, analyte and unit checks on every row, the import
record, the audit event and the insert. The baseline inserts the already-parsed rows with one Core executemany.
Both write into fresh, migrated SQLite files in the same process. Target: gutwise >= 0.5 of the baseline's rows/s.

    python bench/labs_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert

from gutwise.core import migrate
from gutwise.core.authz import Actor
from gutwise.core.db import make_engine, utcnow
from gutwise.core.uow import UnitOfWork
from gutwise.labs import importer
from gutwise.labs import service as labs_service
from gutwise.labs.models import LabResult

ANALYTES = [("hs_crp", "mg/L", "0", "3"), ("ferritin", "ug/L", "15", "300"), ("tsh", "mIU/L", "0.4", "4"),
            ("lps_iga_hafnia_alvei", "{OD}", "", "0.5"), ("lps_igm_klebsiella_pneumoniae", "{OD}", "", "0.5"),
            ("haemoglobin", "g/dL", "12", "16"), ("faecal_calprotectin", "ug/g", "", "50"),
            ("30522-7", "mg/dL", "", "")]


def _csv(rows: int) -> str:
    first = date.today() - timedelta(days=rows // len(ANALYTES) + 1)
    lines = ["patient,analyte,value,unit,ref_low,ref_high,collected,lab"]
    for i in range(rows):
        analyte, unit, low, high = ANALYTES[i % len(ANALYTES)]
        day = first + timedelta(days=i // len(ANALYTES))
        lines.append(f"P1,{analyte},{(i % 97) / 10 + 0.1:.2f},{unit},{low},{high},{day.isoformat()},Bench lab")
    return "\n".join(lines) + "\n"


def _engine(folder: Path, name: str):
    engine = make_engine(f"sqlite:///{folder / name}")
    migrate.upgrade(engine)
    from gutwise.accounts import service as accounts_service

    uow = UnitOfWork(engine)
    accounts_service.create_patient(uow=uow, actor=Actor.system("bench"), data={"label": "Bench", "synthetic": True})
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    text = _csv(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parsed = importer.parse_csv(text, source="bench.csv")
        assert not parsed.problems and len(parsed.results) == args.rows
        now = utcnow()
        rows = [{"patient_id": 1, "analyte": v.analyte, "value": v.value, "unit": v.unit, "canonical_value": None,
                 "ref_low": v.ref_low, "ref_high": v.ref_high, "critical_low": None, "critical_high": None,
                 "rcv": None, "collected": v.collected, "lab": v.lab, "source": "csv", "import_id": None,
                 "created_at": now} for v in parsed.results]
        engine = _engine(folder, "baseline.db")
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(LabResult), rows)
        baseline = time.perf_counter() - t0
        engine.dispose()

        engine = _engine(folder, "gutwise.db")
        t0 = time.perf_counter()
        report = labs_service.import_file(uow=UnitOfWork(engine), actor=Actor.system("bench"), patient_id=1,
                                          text=text, filename="bench.csv")
        mine = time.perf_counter() - t0
        assert report.rows == args.rows
        engine.dispose()
    print(f"labs_import on SQLite, {args.rows:,} CSV rows")
    print(f"  baseline (Core insert of parsed rows): {args.rows / baseline:>10,.0f} rows/s")
    print(f"  gutwise importer (parse+check+store):  {args.rows / mine:>10,.0f} rows/s")
    print(f"  ratio gutwise/baseline:                {baseline / mine:>10.2f}  (target >= 0.50)")


if __name__ == "__main__":
    main()
