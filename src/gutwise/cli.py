"""The gutwise command line: the same services as the web app, for operators and scripts.

Exit status: 0 success, 2 bad input (one line on stderr naming the file, row/field and reason), 1 internal error.
Heavy libraries are imported inside the commands so that ``gutwise --help`` stays instant.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from gutwise.core.uow import UnitOfWork

app = typer.Typer(
    name="gutwise",
    help="gutwise: screen, test, treat, track, learn and share for people with ME/CFS and their clinicians.\n\n"
    "Start with `gutwise db upgrade`, then `gutwise demo` for synthetic data, then `gutwise serve`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts: add users, make API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
fhir_app = typer.Typer(help="FHIR R4: import bundles or bulk NDJSON, export a patient or the cohort.",
                       no_args_is_help=True)
app.add_typer(fhir_app, name="fhir")
export_app = typer.Typer(help="Tidy CSV zips (a patient, or the cohort for research) and REDCap.",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file path or database URL (default: GUTWISE_DATABASE_URL, else a SQLite "
                 "file in your data folder).", metavar="PATH|URL"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class CliInputError(Exception):
    """Bad input found by a command: printed as one line, exit status 2."""


def _uow(db: str | None, *, migrate: bool = False) -> UnitOfWork:
    from gutwise.core import migrate as migrations
    from gutwise.core.db import make_engine
    from gutwise.core.settings import get_settings
    from gutwise.core.uow import UnitOfWork

    url = get_settings().resolved_database_url(db)
    engine = make_engine(url)
    if migrate:
        migrations.upgrade(engine)
    elif not migrations.is_up_to_date(engine):
        raise CliInputError(f"{_display_url(url)}: the database is not up to date; run `gutwise db upgrade` first")
    return UnitOfWork(engine)


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or update the database tables to the latest version (safe to run again)."""
    from gutwise.core import migrate as migrations

    uow = _uow(db, migrate=True)
    revision = migrations.current_revision(uow.engine)
    typer.echo(f"Database {_display_url(str(uow.engine.url))} is at revision {revision}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1 keeps it on this computer).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    db: DbOption = None,
) -> None:
    """Run the web app (and its JSON API under /api/v1, documented at /api/docs)."""
    import uvicorn

    from gutwise.accounts import service as accounts_service
    from gutwise.core.settings import get_settings
    from gutwise.demo.service import DEMO_LOGINS
    from gutwise.web.app import create_app

    settings = get_settings()
    uow = _uow(db)
    url = f"http://{host}:{port}"
    typer.echo(f"gutwise is running at {url}  (database: {_display_url(str(uow.engine.url))})")
    emails = {u.email for u in accounts_service.list_users(uow=uow, actor=_system())}
    demo = [login for login in DEMO_LOGINS if login[0] in emails]
    if demo:
        typer.echo("Demo logins (synthetic data only):")
        for email, password, role, _name in demo:
            typer.echo(f"  {role.value:<10} {email:<34} password: {password}")
    typer.echo("Press Ctrl+C to stop.")
    uvicorn.run(create_app(settings, uow.engine), host=host, port=port, log_level="warning",
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips)


def _system() -> Any:
    from gutwise.core.authz import Actor

    return Actor.system("cli")


@app.command()
def demo(
    patients: Annotated[int, typer.Option(help="How many synthetic patients.", min=1, max=100_000)] = 24,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and end date give the same data.")] = 7,
    end: Annotated[str | None, typer.Option(
        help="Last diary date (YYYY-MM-DD); default yesterday, so today is yours to fill.", metavar="DATE")] = None,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing if the database has users.")] = False,
    db: DbOption = None,
) -> None:
    """Fill a database with a synthetic, clearly labelled demo cohort (12 months of diaries)."""
    from gutwise.accounts import service as accounts_service
    from gutwise.demo.service import load_demo

    end_date = _parse_date(end, "--end") if end else None
    uow = _uow(db)
    if if_empty and accounts_service.count_users(uow=uow) > 0:
        typer.echo("The database already has accounts; demo data not loaded.")
        return
    result = load_demo(uow=uow, n_patients=patients, seed=seed, end=end_date or date.today() - timedelta(days=1))
    typer.echo(f"Loaded {result.patients} synthetic patients with {result.diary_days} diary days.")
    typer.echo("Demo logins (synthetic data only):")
    for email, password, role, _name in result.logins:
        typer.echo(f"  {role.value:<10} {email:<34} password: {password}")


def _parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliInputError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


@app.command("patients")
def patients_cmd(as_json: JsonOption = False, db: DbOption = None) -> None:
    """List patients: id, label, and whether they are synthetic demo data."""
    from gutwise.accounts import service as accounts_service

    rows = accounts_service.list_patients(uow=_uow(db), actor=_system())
    if as_json:
        _print_json([{"id": p.id, "label": p.label, "synthetic": p.synthetic} for p in rows])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "label", "synthetic")
    for p in rows:
        table.add_row(str(p.id), p.label, "yes" if p.synthetic else "no")
    Console().print(table)


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="Their e-mail address (the login name).")],
    role: Annotated[str, typer.Option(help="patient, clinician or admin.")] = "clinician",
    name: Annotated[str | None, typer.Option(help="Display name (default: the e-mail address).")] = None,
    password: Annotated[str | None, typer.Option(
        help="Password (at least 10 characters). Leave out to be asked without echo.")] = None,
    db: DbOption = None,
) -> None:
    """Add an account. Patients also need a patient record; use the web app or the API for that."""
    from gutwise.accounts import service as accounts_service
    from gutwise.core.authz import Role

    if role not in {r.value for r in Role}:
        raise CliInputError(f"--role: {role!r} is not one of patient, clinician, admin")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = accounts_service.register_user(
        uow=_uow(db), actor=_system(),
        data={"email": email, "password": password, "role": role, "display_name": name or email})
    typer.echo(f"Added {user.role.value} {user.email} (id {user.id}).")


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="The account the token acts as.")],
    name: Annotated[str, typer.Option(help="A name to recognise the token by.")] = "script",
    db: DbOption = None,
) -> None:
    """Make a personal API token for an account (printed once; only its digest is stored)."""
    from gutwise.accounts import service as accounts_service

    token = accounts_service.create_api_token(uow=_uow(db), actor=_system(), user_email=email, name=name)
    typer.echo(token)


def _read_json(path: str) -> Any:
    """Parse a JSON file; every failure names the file (and line/column for syntax errors)."""
    from pathlib import Path

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliInputError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliInputError(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None


@app.command("score")
def score_cmd(
    instrument: Annotated[str, typer.Argument(help="phq9, gad7, dsq_sf, rand36_pf, fibrofatigue or daily.")],
    answers_file: Annotated[str, typer.Argument(metavar="ANSWERS.json", help='{"answers": [..]} in item order, '
                                                'or {"answers": {"item_id": value}}.')],
    as_json: JsonOption = False,
) -> None:
    """Score one questionnaire: total, band, subscales, per-item values and safety alerts."""
    from gutwise import knowledge
    from gutwise.screening.scoring import AnswerError, score

    try:
        inst = knowledge.instrument(instrument)
    except KeyError as exc:
        raise CliInputError(f"INSTRUMENT: {exc.args[0]}") from None
    data = _read_json(answers_file)
    if not isinstance(data, dict) or "answers" not in data:
        raise CliInputError(f'{answers_file}: expected an object with an "answers" list or object')
    try:
        result = score(inst, data["answers"])
    except AnswerError as exc:
        raise CliInputError(f"{answers_file}: " + "; ".join(f"item {i}: {r}" for i, r in exc.problems)) from None
    if as_json:
        _print_json(result.as_json())
        return
    for alert in result.alerts:
        typer.echo(f"!! {alert.title}\n   {alert.message}\n")
    typer.echo(f"{inst.title}")
    if inst.scoring.method == "freq_sev":
        for symptom, composite in result.subscales.items():
            present = result.present.get(symptom)
            mark = "present" if present else "absent" if present is False else "not answered"
            typer.echo(f"  {symptom:<14} {'' if composite is None else composite:>6}  {mark}")
    else:
        band = f" ({result.band})" if result.band else ""
        typer.echo(f"  total: {'not scored' if result.total is None else result.total}{band}")
    if result.missing:
        typer.echo(f"  missing items: {', '.join(result.missing)}")


@app.command("screen")
def screen_cmd(
    intake_file: Annotated[str, typer.Argument(metavar="INTAKE.json", help="The intake; see docs/intake.md.")],
    as_json: JsonOption = False,
) -> None:
    """Check an intake against the Fukuda, IOM, Canadian and NICE case definitions, with red flags first."""
    from gutwise.core.errors import InvalidInput
    from gutwise.core.validation import parse
    from gutwise.screening.schemas import Intake
    from gutwise.screening.scoring import AnswerError
    from gutwise.screening.screen import screen

    data = _read_json(intake_file)
    try:
        intake = parse(Intake, data, location=intake_file)
        result = screen(intake)
    except InvalidInput as exc:
        raise CliInputError("; ".join(e.line() for e in exc.errors)) from None
    except AnswerError as exc:
        raise CliInputError(f"{intake_file}: " + "; ".join(f"item {i}: {r}" for i, r in exc.problems)) from None
    if as_json:
        _print_json(result.as_json())
        return
    for line in result.advice[: len(result.alerts) + (1 if result.red_flags else 0)]:
        typer.echo(f"!! {line}\n")
    for definition in result.definitions.values():
        typer.echo(f"{definition.title}: {definition.status.replace('_', ' ')}")
        typer.echo(f"  {definition.wording}")
        for c in definition.criteria:
            typer.echo(f"    [{c.status:^11}] {c.label}: {'; '.join(c.decided_by)}")
    typer.echo("")
    for line in result.advice[len(result.alerts) + (1 if result.red_flags else 0):]:
        typer.echo(f"- {line}")


def _read_text(path: str) -> str:
    from pathlib import Path

    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliInputError(f"{path}: cannot be read ({exc.__class__.__name__})") from None


@app.command("labs")
def labs_cmd(
    results_file: Annotated[str, typer.Argument(metavar="RESULTS.(csv|json)", help="CSV (patient, analyte, value, "
                                                "unit, ref_low, ref_high, collected, lab) or FHIR R4 JSON/NDJSON.")],
    as_json: JsonOption = False,
) -> None:
    """Interpret lab results: flags against the lab's interval, the LPS panel summary, changes between tests."""
    from gutwise import knowledge
    from gutwise.core.errors import FieldError, InvalidInput
    from gutwise.labs.importer import parse_file
    from gutwise.labs.interpret import changes, interpret, lps_panel_summaries

    parsed = parse_file(_read_text(results_file), source=results_file)
    if parsed.problems:
        raise InvalidInput([FieldError(p.field, p.reason, p.where) for p in parsed.problems])
    analytes = knowledge.analytes().by_id()
    rows = []
    for v in parsed.results:
        i = interpret(v)
        rows.append({"patient": v.patient, "analyte": v.analyte, "loinc": analytes[v.analyte].loinc,
                     "value": v.value, "unit": v.unit, "flag": i.flag, "collected": v.collected.isoformat(),
                     "lab": v.lab, "interval": {"low": i.low, "high": i.high, "source": i.interval_source},
                     "research_assay": analytes[v.analyte].research_assay})
    out = {"results": rows,
           "panels": {"lps_panel": [p.as_json() for p in lps_panel_summaries(parsed.results)]},
           "changes": [c.as_json() for c in changes(parsed.results)],
           "unmapped": parsed.unmapped}
    if as_json:
        _print_json(out)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("patient", "collected", "analyte", "value", "unit", "flag", "interval")
    for r in rows:
        iv = r["interval"]
        interval = "" if iv["source"] is None else f"{iv['low'] if iv['low'] is not None else ''}–" \
                                                    f"{iv['high'] if iv['high'] is not None else ''}"
        table.add_row(r["patient"], r["collected"], r["analyte"], f"{r['value']:g}", r["unit"], r["flag"], interval)
    console = Console()
    console.print(table)
    for p in out["panels"]["lps_panel"]:
        console.print(f"LPS panel {p['patient']} {p['collected']}: {p['summary']}. Research assay, not a "
                      "validated diagnostic test.")
    for u in parsed.unmapped:
        console.print(f"not a gutwise analyte (kept out): {u['system']} {u['code']} {u['display']} x{u['count']}")


@app.command("microbiome")
def microbiome_cmd(
    table_file: Annotated[str, typer.Argument(metavar="TABLE.(biom|tsv)", help="A BIOM table (JSON or HDF5) or "
                                              "the TSV layout of `biom convert` (#OTU ID, samples, taxonomy).")],
    tree: Annotated[str | None, typer.Option(help="A Newick tree of the taxa, for Faith's PD.", metavar="TREE.nwk")]
    = None,
    as_json: JsonOption = False,
) -> None:
    """Diversity per sample (Shannon, Simpson, observed, Chao1, Faith's PD) and taxa flags against cited cohorts."""
    from pathlib import Path

    from gutwise import knowledge
    from gutwise.microbiome.diversity import alpha, taxa_flags
    from gutwise.microbiome.reader import TableError, read_table

    try:
        data = Path(table_file).read_bytes()
    except OSError:
        raise CliInputError(f"{table_file}: no such file or not readable") from None
    try:
        table = read_table(data, source=table_file)
    except TableError as exc:
        raise CliInputError("; ".join(f"{w}: {r}" for w, r in exc.problems)) from None
    phylogeny = None
    if tree is not None:
        from skbio import TreeNode

        try:
            phylogeny = TreeNode.read(tree)
        except Exception as exc:  # scikit-bio raises format-specific errors
            raise CliInputError(f"{tree}: not a readable Newick tree ({exc.__class__.__name__})") from None
        missing = sorted(set(table.taxa) - {n.name for n in phylogeny.tips()})
        if missing:
            raise CliInputError(f"{tree}: {len(missing)} taxa of the table are not in the tree (e.g. {missing[0]})")
    flags = taxa_flags(table)
    rows = [{**{k: v for k, v in a.as_json().items() if k != "faith_pd" or tree is not None},
             "flags": [f.as_json() for f in flags[a.sample] if f.flagged],
             "taxa": [f.as_json() for f in flags[a.sample]]} for a in alpha(table, phylogeny)]
    k = knowledge.microbiome()
    notes = [k.caution] + ([k.no_chao1_reason] if table.kind == "relative" else [])
    if as_json:  # one object per sample (the contract); the table's kind and the caveats ride along in each
        _print_json([{**r, "kind": table.kind, "notes": notes} for r in rows])
        return
    for r in rows:
        chao = "n/a" if r["chao1"] is None else f"{r['chao1']:.1f}"
        typer.echo(f"{r['sample']}: Shannon {r['shannon']:.3f}, Simpson {r['simpson']:.3f}, observed {r['observed']}, "
                   f"Chao1 {chao}" + (f", Faith PD {r['faith_pd']:.3f}" if tree else ""))
        for f in r["flags"]:
            typer.echo(f"  - {f['message']}")
    for note in notes:
        typer.echo(f"Note: {note}")


@app.command("plan")
def plan_cmd(
    intake_file: Annotated[str, typer.Argument(metavar="INTAKE.json", help="The intake (docs/intake.md); its optional "
                                               '"plan" object gives conditions, weight_kg, exclude.')],
    labs: Annotated[str | None, typer.Option(help="Lab results (CSV or FHIR) of the same person.",
                                             metavar="RESULTS.csv")] = None,
    medicines: Annotated[str | None, typer.Option(help='{"medicines": ["ciprofloxacin", ...]}: generic names.',
                                                  metavar="MEDS.json")] = None,
    as_json: JsonOption = False,
) -> None:
    """Propose a personalised plan: each item with its reason, evidence grade and safety warnings."""
    from gutwise.core.errors import FieldError, InvalidInput
    from gutwise.core.validation import parse
    from gutwise.labs.importer import parse_file
    from gutwise.protocol.builder import propose
    from gutwise.protocol.safety import Context
    from gutwise.screening.schemas import Intake
    from gutwise.screening.scoring import AnswerError
    from gutwise.screening.screen import screen

    try:
        intake = parse(Intake, _read_json(intake_file), location=intake_file)
        result = screen(intake)
    except InvalidInput as exc:
        raise CliInputError("; ".join(e.line() for e in exc.errors)) from None
    except AnswerError as exc:
        raise CliInputError(f"{intake_file}: " + "; ".join(f"item {i}: {r}" for i, r in exc.problems)) from None
    values = []
    if labs is not None:
        parsed = parse_file(_read_text(labs), source=labs)
        if parsed.problems:
            raise InvalidInput([FieldError(p.field, p.reason, p.where) for p in parsed.problems])
        values = parsed.results
    meds: list[str] = []
    if medicines is not None:
        data = _read_json(medicines)
        if not isinstance(data, dict) or not isinstance(data.get("medicines"), list) or not all(
                isinstance(m, str) for m in data["medicines"]):
            raise CliInputError(f'{medicines}: expected {{"medicines": ["generic name", ...]}}')
        meds = data["medicines"]
    inputs = intake.plan
    weight = inputs.weight_kg if inputs and inputs.weight_kg else None
    if weight is None:
        weights = sorted((v for v in values if v.analyte == "body_weight"), key=lambda v: v.collected)
        if weights:
            from gutwise.labs.units import convert

            weight = convert(weights[-1].value, weights[-1].unit, "kg")
    ctx = Context(medicines=meds, conditions=frozenset(inputs.conditions if inputs else []), weight_kg=weight,
                  labs=values, dietitian_referral=bool(inputs and inputs.dietitian_referral))
    proposal = propose(screen=result, ctx=ctx, exclude=inputs.exclude if inputs else ())
    if as_json:
        _print_json(proposal.as_json())
        return
    for warning in proposal.warnings:
        typer.echo(f"! {warning}")
    for item in proposal.items:
        dose = f" ({item.dose.text()})" if item.dose else (
            " (dose to be set by the clinician)" if item.kind in ("supplement", "probiotic") else "")
        typer.echo(f"day {item.start_day:>3}: {item.name}{dose}; evidence {item.evidence['grade']}")
        for reason in item.reasons:
            typer.echo(f"         because: {reason}")
        for w in item.warnings:
            typer.echo(f"         {w.severity}: {w.message}")
    for b in proposal.blocked:
        typer.echo(f"not proposed: {b['name']}: {'; '.join(b['reasons'])}")


def _read_diary_csv(path: str, outcome: str) -> tuple[list[date], list[float | None]]:
    """A diary CSV: a ``date`` column and one column per outcome; a blank cell is a missing day."""
    import csv
    import io
    import math

    reader = csv.DictReader(io.StringIO(_read_text(path).lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    if "date" not in header:
        raise CliInputError(f"{path} header: no 'date' column")
    if outcome not in header:
        raise CliInputError(f"{path} header: no '{outcome}' column (columns: {', '.join(header)})")
    days: list[date] = []
    values: list[float | None] = []
    seen: set[date] = set()
    for line, row in enumerate(reader, start=2):
        raw_day = (row.get("date") or "").strip()
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise CliInputError(f"{path} row {line}: date: {raw_day!r} is not a date (YYYY-MM-DD)") from None
        if day in seen:
            raise CliInputError(f"{path} row {line}: date: {day.isoformat()} appears twice")
        seen.add(day)
        raw = (row.get(outcome) or "").strip()
        value: float | None = None
        if raw:
            try:
                value = float(raw)
            except ValueError:
                raise CliInputError(f"{path} row {line}: {outcome}: {raw!r} is not a number") from None
            if not math.isfinite(value):
                raise CliInputError(f"{path} row {line}: {outcome}: {raw!r} is not a finite number")
        days.append(day)
        values.append(value)
    if not days:
        raise CliInputError(f"{path}: no rows")
    return days, values


@app.command("nof1")
def nof1_cmd(
    diary: Annotated[str, typer.Argument(metavar="DIARY.csv", help="A 'date' column and one column per outcome; "
                                         "a blank cell is a missing day (never a good day).")],
    outcome: Annotated[str, typer.Option(help="The column to analyse, e.g. fatigue.")],
    change: Annotated[list[str], typer.Option(help="DATE[:LABEL] of a change, e.g. 2026-03-01:glutamine; "
                                              "repeat for several.", metavar="DATE[:LABEL]")],
    lag: Annotated[int, typer.Option(help="Days before a change is expected to act.", min=0, max=120)] = 0,
    run_in: Annotated[int, typer.Option("--run-in", help="Days after each change left out of the fit.", min=0,
                                        max=120)] = 0,
    as_json: JsonOption = False,
) -> None:
    """Did a change help this person? Level change at each change with a 95% interval, P(benefit > MID), P(harm)."""
    from gutwise.outcomes.nof1 import Change, analyse

    changes = []
    for spec in change:
        day_text, _, label = spec.partition(":")
        changes.append(Change(_parse_date(day_text, f"--change {spec}"), label or day_text, lag, run_in))
    days, values = _read_diary_csv(diary, outcome)
    result = analyse(days, values, changes, outcome=outcome)
    if as_json:
        _print_json(result.as_json())
        return
    from gutwise.outcomes.nof1 import plain_words

    typer.echo(f"{outcome}: {result.n_days} observed days; model: {result.model['name']} "
               f"(phi = {result.model.get('phi', 'n/a')})")
    for c in result.changes:
        typer.echo("  " + plain_words(c, label=c.label, lower_is_better=bool(result.model["lower_is_better"])))
    for w in result.warnings:
        typer.echo(f"  ! {w}")
    typer.echo(f"  {result.model['observational']}.")


@app.command("cohort")
def cohort_cmd(
    as_json: JsonOption = False,
    db: DbOption = None,
    outcome: Annotated[str, typer.Option(help="Daily outcome whose n-of-1 effects are pooled.")] = "fatigue",
) -> None:
    """Responder rates and predictors for the cohort (observational), time to response and pooled n-of-1 effects."""
    from gutwise.core.authz import Actor
    from gutwise.outcomes import service

    out = service.cohort(uow=_uow(db), actor=Actor.system("cli"), outcome=outcome)
    if as_json:
        _print_json(out)
        return
    from rich.console import Console

    console = Console(soft_wrap=True)
    r = out["responders"]
    ci = r["ci95"]
    console.print(f"{out['patients']} patients; responders on {out['responder_instrument']}: {r['responders']} of "
                  f"{r['n']}" + ("" if ci is None else f" ({r['rate']:.0%}, 95% CI {ci[0]:.0%} to {ci[1]:.0%})"))
    for name, rows in out["by_group"].items():
        for g in rows:
            console.print(f"  {name}: {g['group']}: {g['responders']} of {g['n']}")
    for o in out["logistic"]["odds_ratios"]:
        console.print(f"  odds ratio, {o['variable']}: {o['odds_ratio']} (95% CI {o['ci95'][0]} to {o['ci95'][1]})")
    for w in out["logistic"]["warnings"]:
        console.print(f"  ! {w}")
    km = out["time_to_response"]
    console.print(f"  time to response: median {km['median_days'] or 'not reached'} days ({km['n']} patients)")
    for name, p in out["pooled_effects"].items():
        if p["population_effect"] is not None:
            console.print(f"  pooled effect of {name} on {out['pooled_outcome']}: {p['population_effect']:+.2f} "
                          f"(95% CI {p['ci95'][0]:+.2f} to {p['ci95'][1]:+.2f}; between-patient SD {p['tau']:.2f}; "
                          f"{p['k']} patients)")
    console.print(out["observational"])


@fhir_app.command("import")
def fhir_import_cmd(
    files: Annotated[list[str], typer.Argument(metavar="FILE...", help="A Bundle or resource (.json), bulk NDJSON "
                                               "(.ndjson), or a folder of bulk NDJSON (Patient files first).")],
    patient: Annotated[int | None, typer.Option(help="Attach resources whose subject is not in the file to this "
                                                "gutwise patient.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Take in FHIR R4 resources; each file is all or nothing, with every problem listed by its path."""
    from pathlib import Path

    from gutwise.core.authz import Actor
    from gutwise.interop.fhir_import import import_text

    paths: list[Path] = []
    for name in files:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.ndjson"), key=lambda p: ("Patient." not in p.name, p.name))
            if not found:
                raise CliInputError(f"{name}: no .ndjson files in this folder")
            paths += found
        else:
            paths.append(path)
    uow = _uow(db)
    reports = []
    for path in paths:
        report = import_text(uow=uow, actor=Actor.system("cli"), text=_read_text(str(path)), filename=str(path),
                             patient_id=patient)
        reports.append(report)
    if as_json:
        if len(reports) == 1:
            _print_json(reports[0].as_json())
        else:
            _print_json({"patients": sorted({p for r in reports for p in r.patients}),
                         "resources": _sum_counts(r.resources for r in reports),
                         "unmapped": [u for r in reports for u in r.unmapped],
                         "files": [{"file": str(p), **r.as_json()} for p, r in zip(paths, reports, strict=True)]})
        return
    for path, r in zip(paths, reports, strict=True):
        typer.echo(f"{path}: {len(r.patients)} patient(s); " + ", ".join(f"{k} {v}" for k, v in r.resources.items()))
        for u in r.unmapped:
            typer.echo(f"  not imported: {u['resourceType']} {u.get('code') or ''} {u.get('display') or ''} "
                       f"x{u['count']} ({u['reason']})")


def _sum_counts(counts: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    return dict(sorted(total.items()))


@fhir_app.command("export")
def fhir_export_cmd(
    patient_id: Annotated[int | None, typer.Argument(metavar="PATIENT_ID", help="Omit with --all.")] = None,
    out: Annotated[str, typer.Option("--out", help="A .json file (one patient) or a folder (--all).")] = "-",
    all_patients: Annotated[bool, typer.Option("--all", help="Bulk NDJSON of every patient, one file per "
                                               "resource type.")] = False,
    db: DbOption = None,
) -> None:
    """One patient as a FHIR R4 Bundle, or the whole cohort as bulk NDJSON; every resource validates."""
    from pathlib import Path

    from gutwise.core.authz import Actor
    from gutwise.interop.fhir_export import export_bulk, export_patient

    uow = _uow(db)
    actor = Actor.system("cli")
    if all_patients:
        if out == "-":
            raise CliInputError("--all needs --out FOLDER")
        counts = export_bulk(uow=uow, actor=actor, folder=Path(out))
        typer.echo(f"wrote {sum(counts.values())} resources to {out}: " +
                   ", ".join(f"{k} {v}" for k, v in counts.items()))
        return
    if patient_id is None:
        raise CliInputError("name a PATIENT_ID, or use --all")
    data = json.dumps(export_patient(uow=uow, actor=actor, patient_id=patient_id), indent=1, ensure_ascii=False)
    if out == "-":
        typer.echo(data)
    else:
        Path(out).write_text(data + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")


@app.command("report")
def report_cmd(
    patient_id: Annotated[int, typer.Argument(metavar="PATIENT_ID")],
    fmt: Annotated[str, typer.Option("--format", help="html or pdf.")] = "pdf",
    out: Annotated[str, typer.Option("--out", help="The file to write.")] = "report.pdf",
    audience: Annotated[str, typer.Option(help="patient (plain words) or clinician.")] = "patient",
    start: Annotated[str | None, typer.Option("--from", help="First day covered (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day covered (YYYY-MM-DD).")] = None,
    page: Annotated[str, typer.Option(help="a4 or letter.")] = "a4",
    db: DbOption = None,
) -> None:
    """A patient or clinician report as self-contained HTML or as PDF, with charts, results and provenance."""
    from pathlib import Path

    from gutwise.core.authz import Actor
    from gutwise.reports import content, render

    if fmt not in ("html", "pdf"):
        raise CliInputError(f"--format: {fmt!r} is not html or pdf")
    if audience not in ("patient", "clinician"):
        raise CliInputError(f"--audience: {audience!r} is not patient or clinician")
    if page not in ("a4", "letter"):
        raise CliInputError(f"--page: {page!r} is not a4 or letter")
    data = content.gather(uow=_uow(db), actor=Actor.system("cli"), patient_id=patient_id,
                          audience=audience,  # type: ignore[arg-type]
                          start=_parse_date(start, "--from") if start else None,
                          end=_parse_date(end, "--to") if end else None)
    path = Path(out)
    if fmt == "html":
        path.write_text(render.html(data, page=page), encoding="utf-8")  # type: ignore[arg-type]
    else:
        path.write_bytes(render.pdf(data, page=page))  # type: ignore[arg-type]
    typer.echo(f"wrote {out}")


@export_app.command("patient")
def export_patient_cmd(
    patient_id: Annotated[int, typer.Argument(metavar="PATIENT_ID")],
    out: Annotated[str, typer.Option("--out", help="The .zip file to write.")],
    db: DbOption = None,
) -> None:
    """Everything about one patient: tidy CSVs, the audit trail of their record and the FHIR bundle."""
    from pathlib import Path

    from gutwise.core.authz import Actor
    from gutwise.interop.tabular import patient_zip

    Path(out).write_bytes(patient_zip(uow=_uow(db), actor=Actor.system("cli"), patient_id=patient_id))
    typer.echo(f"wrote {out}")


@export_app.command("cohort")
def export_cohort_cmd(
    out: Annotated[str, typer.Option("--out", help="The .zip file to write.")],
    redcap: Annotated[bool, typer.Option("--redcap", help="REDCap data dictionary + records instead of tidy "
                                         "CSVs.")] = False,
    db: DbOption = None,
) -> None:
    """The research export of every patient (ids, no names or notes), or the REDCap dictionary and records."""
    from pathlib import Path

    from gutwise.core.authz import Actor
    from gutwise.interop.tabular import cohort_zip, redcap_zip

    make = redcap_zip if redcap else cohort_zip
    Path(out).write_bytes(make(uow=_uow(db), actor=Actor.system("cli")))
    typer.echo(f"wrote {out}")


def _fail(message: str, code: int) -> int:
    typer.echo(f"gutwise: {message}", err=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the Typer app and maps errors to exit status 2 (bad input) or 1 (internal)."""
    from gutwise.core.errors import Conflict, GutwiseError, InvalidInput, NotFound

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="gutwise", standalone_mode=False)
    except typer.Abort:
        return _fail("aborted", 1)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except CliInputError as exc:
        return _fail(str(exc), 2)
    except InvalidInput as exc:
        lines = [e.line() for e in exc.errors]
        if len(lines) > 1:
            typer.echo(f"gutwise: {len(lines)} problems in the input:", err=True)
            for line in lines:
                typer.echo(f"  {line}", err=True)
            return 2
        return _fail(lines[0] if lines else "invalid input", 2)
    except (NotFound, Conflict) as exc:
        return _fail(str(exc), 2)
    except GutwiseError as exc:
        return _fail(str(exc), 1)
    except Exception as exc:
        # Click's usage errors (Typer vendors its own click, so match by shape, not by class).
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(ctx.get_help() if ctx else "")
                return 0
            where = f"{ctx.command_path}: " if ctx is not None else ""
            return _fail(f"{where}{exc.format_message()}", int(exc.exit_code) or 2)
        raise
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
