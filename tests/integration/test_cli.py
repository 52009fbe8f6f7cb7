"""The command-line contract: JSON on stdout, exit 2 with one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
