"""The command-line contract: JSON on stdout, exit 2 with one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gutwise.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_db_upgrade_demo_and_patients_json(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    assert run(capsys, "db", "upgrade", "--db", db)[0] == 0
    code, out, _ = run(capsys, "demo", "--patients", "3", "--seed", "1", "--end", "2026-06-30", "--db", db)
    assert code == 0
    assert "Loaded 3 synthetic patients" in out
    assert "patient@demo.gutwise.invalid" in out
    code, out, _ = run(capsys, "patients", "--json", "--db", db)
    rows = json.loads(out)
    assert [set(r) for r in rows] == [{"id", "label", "synthetic"}] * 3
    assert all(r["synthetic"] for r in rows)
    code, out, _ = run(capsys, "demo", "--if-empty", "--db", db)
    assert code == 0
    assert "not loaded" in out


def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys):
    for args in (["patients", "--bogus"], ["demo", "--patients", "many"], ["demo", "--end", "soon",
                                                                            "--db", str(tmp_path / "x.db")]):
        code, out, err = run(capsys, *args)
        assert code == 2, args
        assert out == ""
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("gutwise: ")


def test_a_database_that_was_never_upgraded_is_named(tmp_path, capsys):
    code, _, err = run(capsys, "patients", "--db", str(tmp_path / "new.db"))
    assert code == 2
    assert "new.db" in err
    assert "gutwise db upgrade" in err


def test_users_add_and_token(tmp_path, capsys):
    db = str(tmp_path / "u.db")
    run(capsys, "db", "upgrade", "--db", db)
    code, out, _ = run(capsys, "users", "add", "doc@example.org", "--role", "clinician", "--password",
                       "a long password", "--db", db)
    assert code == 0
    assert "Added clinician doc@example.org" in out
    code, _, err = run(capsys, "users", "add", "doc@example.org", "--password", "a long password", "--db", db)
    assert code == 2
    assert "already exists" in err
    code, _, err = run(capsys, "users", "add", "x@example.org", "--role", "boss", "--password", "a long password",
                       "--db", db)
    assert code == 2
    assert "--role" in err
    code, _, err = run(capsys, "users", "add", "y@example.org", "--password", "short", "--db", db)
    assert (code, err.strip()) == (2, "gutwise: password: must be at least 10 characters")
    code, out, _ = run(capsys, "users", "token", "doc@example.org", "--db", db)
    assert code == 0
    assert out.startswith("gw_")


def test_console_script_is_installed_and_help_is_quick(tmp_path):
    exe = Path(sys.executable).with_name("gutwise")
    done = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0
    assert "gutwise db upgrade" in done.stdout
    bad = subprocess.run([str(exe), "nosuchcommand"], capture_output=True, text=True, timeout=30, check=False)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    # --help must not import the web or science stacks (DESIGN: "gutwise --help stays instant").
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; from gutwise.cli import main; main(['--help']); "
         "print(sorted(m for m in ('fastapi', 'statsmodels', 'skbio', 'pandas', 'sqlalchemy') if m in sys.modules))"],
        capture_output=True, text=True, timeout=30, check=False)
    assert probe.stdout.strip().endswith("[]")


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_score_contract(tmp_path, capsys):
    code, out, _ = run(capsys, "score", "gad7", _write(tmp_path, "a.json", {"answers": [1, 2, 3, 0, 1, 2, 3]}),
                       "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) >= {"instrument", "total", "band", "subscales", "items", "alerts"}
    assert (result["instrument"], result["total"], result["band"]) == ("gad7", 12, "moderate")
    code, out, _ = run(capsys, "score", "dsq_sf",
                       _write(tmp_path, "d.json", {"answers": {"fatigue": {"frequency": 3, "severity": 2}}}),
                       "--json")
    result = json.loads(out)
    assert result["subscales"]["fatigue"] == 62.5
    assert result["present"]["fatigue"] is True
    assert result["total"] is None


@pytest.mark.parametrize(("instrument", "content", "expected"), [
    ("gad7", {"answers": {"gad7_1": 4}}, "item gad7_1: 4 is not one of 0, 1, 2, 3"),
    ("gad7", {"answers": {"gad7_99": 1}}, "item gad7_99: unknown item of gad7"),
    ("gad7", {"answers": {"gad7_1": "two"}}, "item gad7_1: 'two' is not one of 0, 1, 2, 3"),
    ("nope", {"answers": []}, "INSTRUMENT: unknown instrument 'nope'"),
    ("gad7", "{not json", "line 1, column 2: not valid JSON"),
    ("gad7", {"items": []}, 'expected an object with an "answers" list or object'),
])
def test_score_bad_input_exits_2_with_one_line(tmp_path, capsys, instrument, content, expected):
    code, out, err = run(capsys, "score", instrument, _write(tmp_path, "bad.json", content), "--json")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert expected in err


def test_screen_contract_and_bad_intake(tmp_path, capsys):
    intake = {"age": 34, "sex": "female",
              "fatigue": {"duration_months": 18, "new_onset": True, "lifelong": False,
                          "due_to_ongoing_exertion": False, "relieved_by_rest": False,
                          "substantial_activity_reduction": True},
              "symptoms": {"post_exertional_malaise": {"frequency": 3, "severity": 3},
                           "unrefreshing_sleep": {"frequency": 3, "severity": 3},
                           "memory_concentration": {"frequency": 3, "severity": 3}},
              "conditions": [], "red_flags": ["weight_loss"]}
    code, out, _ = run(capsys, "screen", _write(tmp_path, "i.json", intake), "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result["definitions"]) == {"fukuda_1994", "iom_2015", "ccc_2003", "nice_2021"}
    assert {d["status"] for d in result["definitions"].values()} <= {"met", "not_met", "cannot_tell"}
    assert result["definitions"]["iom_2015"]["status"] == "met"
    assert result["definitions"]["iom_2015"]["criteria"][0]["decided_by"]
    assert result["red_flags"][0]["id"] == "weight_loss"
    assert result["advice"][0].startswith("See a doctor before anything else")
    code, _, err = run(capsys, "screen", _write(tmp_path, "b.json", {"symptoms": {"brainfog": {}}}))
    assert code == 2
    assert "b.json: symptoms: unknown symptom ids ['brainfog']" in err
    code, _, err = run(capsys, "screen", _write(tmp_path, "c.json", {"fatigue": {"duration_months": "long"}}))
    assert code == 2
    assert "fatigue.duration_months" in err


def _diary_csv(path: Path, *, effect: float, blank_every: int = 9) -> None:
    import numpy as np

    rng = np.random.default_rng(21)
    lines = ["date,fatigue,note"]
    from datetime import date, timedelta

    e = 0.0
    for i in range(120):
        e = 0.3 * e + rng.normal(0, 0.6)
        value = 6 + e + (effect if i >= 60 else 0)
        cell = "" if i % blank_every == 4 else f"{value:.1f}"
        lines.append(f"{date(2026, 1, 1) + timedelta(days=i)},{cell},")
    path.write_text("\n".join(lines) + "\n")


def test_nof1_contract(tmp_path, capsys):
    csv_path = tmp_path / "diary.csv"
    _diary_csv(csv_path, effect=-2.0)
    code, out, _ = run(capsys, "nof1", str(csv_path), "--outcome", "fatigue", "--change", "2026-03-02:glutamine",
                       "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"outcome", "n_days", "changes", "model"}
    assert data["n_days"] == 120 - 13  # the 13 blank cells are missing days, not zeros
    [c] = data["changes"]
    assert set(c) >= {"label", "date", "effect", "ci95", "p_benefit_gt_mid", "p_harm", "adequate", "warnings"}
    assert (c["label"], c["date"], c["adequate"]) == ("glutamine", "2026-03-02", True)
    assert c["ci95"][0] <= -2.0 <= c["ci95"][1] and c["p_benefit_gt_mid"] > 0.9
    code, out, _ = run(capsys, "nof1", str(csv_path), "--outcome", "fatigue", "--change", "2026-03-02")
    assert code == 0 and "lower (better)" in out and "not a controlled trial" in out


@pytest.mark.parametrize(("content", "expected"), [
    ("day,fatigue\n2026-01-01,3\n", "no 'date' column"),
    ("date,mood\n2026-01-01,3\n", "no 'fatigue' column"),
    ("date,fatigue\n2026-01-01,3\n2026-13-01,4\n", "row 3: date: '2026-13-01' is not a date"),
    ("date,fatigue\n2026-01-01,3\n2026-01-01,4\n", "row 3: date: 2026-01-01 appears twice"),
    ("date,fatigue\n2026-01-01,lots\n", "row 2: fatigue: 'lots' is not a number"),
])
def test_nof1_bad_diary_exits_2_with_the_row(tmp_path, capsys, content, expected):
    path = tmp_path / "d.csv"
    path.write_text(content)
    code, out, err = run(capsys, "nof1", str(path), "--outcome", "fatigue", "--change", "2026-01-01")
    assert code == 2 and out == ""
    assert expected in err and len(err.strip().splitlines()) == 1


def test_cohort_contract(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    run(capsys, "db", "upgrade", "--db", db)
    run(capsys, "demo", "--patients", "6", "--seed", "3", "--end", "2026-06-30", "--db", db)
    code, out, _ = run(capsys, "cohort", "--json", "--db", db)
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"observational", "patients", "responders", "by_group", "logistic", "time_to_response",
                         "pooled_effects", "table"}
    assert data["patients"] == 6 and "not randomised" in data["observational"]
    # six patients are too few for the clinic SD of FibroFatigue: gutwise says it cannot tell, not "unchanged"
    assert {t["status"] for t in data["table"]} == {"cannot tell"}
    code, out, _ = run(capsys, "cohort", "--db", db)
    assert code == 0 and "Observational" in out


def test_report_fhir_and_export_commands(tmp_path, capsys):
    import zipfile

    db = str(tmp_path / "s.db")
    run(capsys, "db", "upgrade", "--db", db)
    run(capsys, "demo", "--patients", "2", "--seed", "4", "--end", "2026-06-30", "--db", db)
    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    assert run(capsys, "report", "1", "--format", "pdf", "--out", str(pdf), "--audience", "clinician",
               "--db", db)[0] == 0
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert run(capsys, "report", "1", "--format", "html", "--out", str(html), "--from", "2026-01-01", "--to",
               "2026-03-31", "--db", db)[0] == 0
    assert "My gutwise report" in html.read_text()
    code, _, err = run(capsys, "report", "1", "--format", "docx", "--db", db)
    assert code == 2 and "--format" in err

    bundle = tmp_path / "p1.json"
    assert run(capsys, "fhir", "export", "1", "--out", str(bundle), "--db", db)[0] == 0
    other = str(tmp_path / "other.db")
    run(capsys, "db", "upgrade", "--db", other)
    code, out, _ = run(capsys, "fhir", "import", str(bundle), "--json", "--db", other)
    data = json.loads(out)
    assert code == 0 and set(data) == {"patients", "resources", "unmapped"} and data["patients"] == [1]
    code, out, _ = run(capsys, "fhir", "import", str(FHIR / "bulk-Patient.000.ndjson"),
                       str(FHIR / "bulk-Condition.000.ndjson"), "--json", "--db", other)
    assert code == 0 and json.loads(out)["resources"] == {"Condition": 555, "Patient": 13}
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"resourceType": "Condition", "subject": {"reference": "Patient/ghost"}, '
                   '"code": {"text": "x"}}\n')
    code, out, err = run(capsys, "fhir", "import", str(bad), "--db", other)
    assert code == 2 and "bad.ndjson line 1: subject.reference: 'Patient/ghost'" in err
    assert run(capsys, "fhir", "export", "--all", "--out", str(tmp_path / "bulk"), "--db", other)[0] == 0
    assert (tmp_path / "bulk" / "Patient.000.ndjson").exists()

    zpath, rpath = tmp_path / "p.zip", tmp_path / "rc.zip"
    assert run(capsys, "export", "patient", "1", "--out", str(zpath), "--db", db)[0] == 0
    assert "audit_trail.csv" in zipfile.ZipFile(zpath).namelist()
    assert run(capsys, "export", "cohort", "--redcap", "--out", str(rpath), "--db", db)[0] == 0
    assert {"data_dictionary.csv", "records.csv"} <= set(zipfile.ZipFile(rpath).namelist())


FHIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fhir"
