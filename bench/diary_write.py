"""Benchmark: 100,000 diary days written through the service layer vs a raw SQLAlchemy Core executemany.

Both runs write the same rows into fresh, migrated SQLite files (WAL, synchronous=NORMAL) in the same process;
the baseline is a plain ``insert(diary_days)`` executemany, the gutwise run is ``diary.service.log_days`` (pydantic
validation, access check, upsert, audit). Target: gutwise >= 0.5 of the baseline's rows per second.

Also reported: days per second for one-day-per-transaction saves (what the web form does), for information.

    python bench/diary_write.py [--rows 100000] [--db-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from gutwise.core import migrate
from gutwise.core.authz import Actor
from gutwise.core.db import make_engine, utcnow
from gutwise.core.uow import UnitOfWork
from gutwise.diary import service as diary_service
from gutwise.diary.models import DiaryDay

DAYS_PER_PATIENT = 1000


def _fresh(url: str | None, folder: Path, name: str):
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        engine = make_engine(f"sqlite:///{folder / name}")
    migrate.upgrade(engine)
    return engine


def _patients(engine, n: int) -> list[int]:
    from gutwise.accounts import service as accounts_service

    uow = UnitOfWork(engine)
    with uow:
        ids = [accounts_service.create_patient(uow=uow, actor=Actor.system("bench"),
                                               data={"label": f"Bench {i}", "synthetic": True}).id
               for i in range(n)]
        uow.commit()
    return ids


def _rows(patient_ids: list[int], n_rows: int) -> list[tuple[int, date, int, bool, str | None]]:
    first = date.today() - timedelta(days=DAYS_PER_PATIENT)
    out = []
    for i in range(n_rows):
        pid = patient_ids[i // DAYS_PER_PATIENT]
        out.append((pid, first + timedelta(days=i % DAYS_PER_PATIENT), i % 11, i % 17 == 0,
                    "note" if i % 9 == 0 else None))
    return out


def run(n_rows: int, url: str | None) -> dict[str, float]:
    n_patients = -(-n_rows // DAYS_PER_PATIENT)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        engine = _fresh(url, folder, "baseline.db")
        rows = _rows(_patients(engine, n_patients), n_rows)
        now = utcnow()
        dicts = [{"patient_id": p, "day": d, "fatigue": f, "crash": c, "note": n, "answers": {},
                  "created_at": now, "updated_at": now} for p, d, f, c, n in rows]
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(DiaryDay), dicts)
        baseline = time.perf_counter() - t0
        engine.dispose()

        engine = _fresh(url, folder, "service.db")
        rows = _rows(_patients(engine, n_patients), n_rows)
        t0 = time.perf_counter()
        days = [diary_service.DayInput(p, d, {"fatigue": f, "crash": c, "note": n}) for p, d, f, c, n in rows]
        written = diary_service.log_days(uow=UnitOfWork(engine), actor=Actor.system("bench"), days=days,
                                         source="bench")
        service = time.perf_counter() - t0
        assert written == n_rows

        single_n = 2000
        uow = UnitOfWork(engine)
        t0 = time.perf_counter()
        for p, d, f, _c, _n in rows[:single_n]:
            diary_service.log_day(uow=uow, actor=Actor.system("bench"), patient_id=p, day=d, entry={"fatigue": f})
        single = time.perf_counter() - t0
        engine.dispose()
    return {"baseline_rps": n_rows / baseline, "service_rps": n_rows / service, "single_dps": single_n / single}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db-url", default=None, help="a PostgreSQL URL (its public schema is dropped!)")
    args = parser.parse_args()
    r = run(args.rows, args.db_url)
    backend = "PostgreSQL" if args.db_url else "SQLite"
    print(f"diary_write on {backend}, {args.rows:,} diary days")
    print(f"  baseline (Core executemany insert): {r['baseline_rps']:>10,.0f} rows/s")
    print(f"  gutwise service layer (log_days):   {r['service_rps']:>10,.0f} rows/s")
    print(f"  ratio service/baseline:             {r['service_rps'] / r['baseline_rps']:>10.2f}  (target >= 0.50)")
    print(f"  one day per transaction (log_day):  {r['single_dps']:>10,.0f} days/s  (for information)")


if __name__ == "__main__":
    main()
