from datetime import date

import numpy as np

from gutwise.demo.simulate import COURSES, simulate_cohort

END = date(2026, 6, 30)


def test_same_seed_same_cohort_and_different_seed_differs():
    a = simulate_cohort(6, seed=11, end=END)
    b = simulate_cohort(6, seed=11, end=END)
    c = simulate_cohort(6, seed=12, end=END)
    assert a == b
    assert [p.days for p in a] != [p.days for p in c]


def test_a_year_of_plausible_days_with_crashes_and_gaps():
    cohort = simulate_cohort(30, seed=3, end=END)
    for p in cohort:
        days = [d.day for d in p.days]
        assert days == sorted(days) and len(set(days)) == len(days)
        assert days[-1] <= END and (END - days[0]).days < 365
        assert all(0 <= d.fatigue <= 10 for d in p.days)
        assert 200 < len(p.days) < 365  # some days are missed, never all
    assert {p.course for p in cohort} == set(COURSES)
    assert sum(d.crash for p in cohort for d in p.days) > 100


def test_courses_move_in_their_direction():
    cohort = simulate_cohort(60, seed=5, end=END)

    def change(p):
        f = np.array([d.fatigue for d in p.days], dtype=float)
        return f[-60:].mean() - f[:60].mean()

    improving = [change(p) for p in cohort if p.course == "improving"]
    unchanged = [change(p) for p in cohort if p.course == "unchanged"]
    assert np.mean(improving) < -1.0
    assert abs(np.mean(unchanged)) < 0.6
