"""Benchmark: the full ``gutwise cohort`` computation over 10,000 demo patients x 365 days (3.65 M diary rows) in
the database, against a DuckDB group-by over the same rows exported to Parquet (the baseline), in one command.

The database is filled once (and kept at ``--db`` for reruns): ``--templates`` patients come from the demo
simulator (diary, FibroFatigue ratings, LPS panel, approved plan with its dated starts) and are copied under new
ids until ``--patients`` exist; rows go in with Core inserts. The daily checklist (adherence) is left out: at
~2,700 rows per patient it would be 27 M rows, and the n-of-1 results only report it.

Baseline: DuckDB reads the Parquet export and computes per patient the diary mean before and after the plan's
first change and the days observed, then the FibroFatigue first/last change - the group-by a hand analysis
would start from. gutwise: ``outcomes.service.cohort`` (queries, reliable change, responders, logistic model,
Kaplan-Meier, one AR(1) n-of-1 fit per patient, random-effects pooling). Target: <= 3x the baseline, peak memory
<= 2 GiB (resident set size of this process, which holds both).

    python bench/cohort.py [--patients 10000] [--templates 100] [--db /tmp/gutwise-bench-cohort.db]
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, insert, select

from gutwise.accounts.models import Patient
from gutwise.core import migrate
from gutwise.core.authz import Actor
from gutwise.core.db import make_engine, utcnow
from gutwise.core.uow import UnitOfWork
from gutwise.demo.simulate import simulate_cohort
from gutwise.diary.models import DiaryDay
from gutwise.labs.models import LabResult
from gutwise.outcomes import service
from gutwise.protocol.models import Plan, PlanEvent
from gutwise.screening.models import QuestionnaireResponse

END = date(2026, 6, 30)


def _fill(uow: UnitOfWork, patients: int, templates: int) -> None:
    sims = simulate_cohort(templates, seed=2026, end=END)
    now = utcnow()
    with uow:
        s = uow.session
        for start in range(0, patients, 500):
            block = range(start, min(start + 500, patients))
            ids = [s.execute(insert(Patient).values(label=f"Bench patient {i + 1:05d}", sex=sims[i % templates].sex,
                                                    birth_year=sims[i % templates].birth_year,
                                                    illness_onset=sims[i % templates].illness_onset, synthetic=True,
                                                    created_at=now).returning(Patient.id)).scalar_one()
                   for i in block]
            diary, responses, labs, events = [], [], [], []
            for i, pid in zip(block, ids, strict=True):
                sim = sims[i % templates]
                diary += [{"patient_id": pid, "day": d.day, "fatigue": d.fatigue, "crash": d.crash, "note": d.note,
                           "answers": {}, "created_at": now, "updated_at": now} for d in sim.days]
                responses += [{"patient_id": pid, "instrument": r.instrument, "answered_on": r.day, "source": "bench",
                               "answers": r.answers, "total": float(sum(r.answers.values())), "band": None,
                               "result": {}, "created_at": now} for r in sim.responses]
                labs += [{"patient_id": pid, "analyte": lab.analyte, "value": lab.value, "unit": lab.unit,
                          "ref_low": lab.ref_low, "ref_high": lab.ref_high, "collected": lab.day, "lab": "bench",
                          "source": "demo", "created_at": now} for lab in sim.labs]
                if sim.plan is not None:
                    plan_id = s.execute(insert(Plan).values(patient_id=pid, status="approved", context={},
                                                            warnings=[], blocked=[], start_date=sim.plan.start,
                                                            created_at=now).returning(Plan.id)).scalar_one()
                    events += [{"patient_id": pid, "plan_id": plan_id, "intervention": name, "kind": "start",
                                "on_date": date.fromordinal(sim.plan.start.toordinal() + day), "detail": {},
                                "created_at": now} for name, day in sim.plan.items]
            s.execute(insert(DiaryDay.__table__), diary)
            s.execute(insert(QuestionnaireResponse.__table__), responses)
            s.execute(insert(LabResult.__table__), labs)
            if events:
                s.execute(insert(PlanEvent.__table__), events)
            print(f"  filled {block.stop} of {patients} patients", flush=True)
        uow.commit()


def _baseline(uow: UnitOfWork, folder: Path) -> tuple[float, float]:
    """(export seconds, group-by seconds): the rows go to Parquet once; the timed part is the group-by."""
    import duckdb
    import pandas as pd

    t0 = time.perf_counter()
    con = duckdb.connect()
    with uow.engine.connect() as conn, contextlib.chdir(folder):
        for name, query in {
            "diary": select(DiaryDay.patient_id, DiaryDay.day, DiaryDay.fatigue),
            "events": select(PlanEvent.patient_id, PlanEvent.on_date),
            "scores": select(QuestionnaireResponse.patient_id, QuestionnaireResponse.answered_on,
                             QuestionnaireResponse.total).where(QuestionnaireResponse.instrument == "fibrofatigue"),
        }.items():
            frame = pd.read_sql(query, conn)  # noqa: F841 - DuckDB finds the frame by its variable name
            con.execute(f"copy frame to '{name}.parquet' (format parquet)")
    export = time.perf_counter() - t0
    t0 = time.perf_counter()
    con = duckdb.connect()  # a fresh connection: nothing cached from the export
    with contextlib.chdir(folder):
        con.execute("""
            with first_change as (select patient_id, min(on_date) as d from 'events.parquet' group by 1),
            diary as (
                select d.patient_id, avg(fatigue) filter (where d.day < f.d) as before,
                       avg(fatigue) filter (where d.day >= f.d) as after, count(*) as days
                from 'diary.parquet' d join first_change f using (patient_id) group by 1),
            scores as (
                select patient_id, arg_min(total, answered_on) as first, arg_max(total, answered_on) as last
                from 'scores.parquet' group by 1)
            select count(*), avg(after - before), avg(last - first), stddev_samp(first)
            from diary join scores using (patient_id)
        """).fetchall()
    return export, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--templates", type=int, default=100)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "gutwise-bench-cohort.db"))
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.db}" if "://" not in args.db else args.db)
    migrate.upgrade(engine)
    uow = UnitOfWork(engine)
    with uow:
        have = uow.session.scalar(select(func.count(Patient.id)))
    if have != args.patients:
        if have:
            raise SystemExit(f"{args.db} holds {have} patients, not {args.patients}: remove it or pass --db")
        print(f"Filling {args.db} with {args.patients} patients (once; kept for reruns)")
        t0 = time.perf_counter()
        _fill(uow, args.patients, args.templates)
        print(f"  filled in {time.perf_counter() - t0:.0f} s")
    with uow:
        rows = uow.session.scalar(select(func.count(DiaryDay.id)))
    with tempfile.TemporaryDirectory() as tmp:
        export, first = _baseline(uow, Path(tmp))
        baseline = min(first, _baseline(uow, Path(tmp))[1])
    gutwise = float("inf")
    for _ in range(2):  # the first run also pays for importing statsmodels and scipy
        t0 = time.perf_counter()
        out = service.cohort(uow=uow, actor=Actor.system("bench"))
        gutwise = min(gutwise, time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    pooled = sum(p["k"] for p in out["pooled_effects"].values())
    print(f"cohort: {args.patients} patients, {rows:,} diary rows; {pooled:,} individual n-of-1 effects pooled")
    print(f"  baseline: DuckDB group-by over Parquet   {baseline:8.2f} s  (export to Parquet {export:.1f} s, "
          "not counted)")
    print(f"  gutwise cohort                           {gutwise:8.2f} s  ({gutwise / baseline:6.1f}x baseline; "
          f"target <= 3x: {'met' if gutwise <= 3 * baseline else 'MISSED'})")
    print(f"  peak resident memory                     {peak:8.0f} MiB (target <= 2048 MiB: "
          f"{'met' if peak <= 2048 else 'MISSED'})")


if __name__ == "__main__":
    main()
