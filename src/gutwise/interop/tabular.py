"""Tidy CSV exports (a zip per patient, or of the cohort for research) and a REDCap-compatible export.

Per patient (the right of access): every table gutwise holds about the person, one CSV each, plus the audit trail
of who read or changed their record. For research (the cohort), the same tables keyed by gutwise's patient id
without names, free-text notes or the audit trail.

REDCap: a data dictionary (the 18 columns of REDCap's import template) with one form per instrument, repeating,
and a records file in REDCap's flat layout (``record_id``, ``redcap_repeat_instrument``,
``redcap_repeat_instance``, then the fields). Choices are the instruments' own option values and labels.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from gutwise import knowledge
from gutwise.accounts import access
from gutwise.accounts.models import Patient
from gutwise.core import audit
from gutwise.core.authz import Actor
from gutwise.core.uow import UnitOfWork

REDCAP_COLUMNS = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
                  "Choices, Calculations, OR Slider Labels", "Field Note",
                  "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
                  "Identifier?", "Branching Logic (Show field only if...)", "Required Field?", "Custom Alignment",
                  "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?", "Field Annotation"]
REDCAP_INSTRUMENTS = ("phq9", "gad7", "dsq_sf", "rand36_pf", "fibrofatigue")


def _cell(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, (dict, list)):
        import json

        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    if hasattr(v, "value") and not isinstance(v, (int, float, str)):
        return v.value  # enums
    return v


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


def _tables(uow: UnitOfWork, ids: list[int], *, research: bool) -> dict[str, str]:
    """Every table, one CSV each, for these patients (already access-checked by the caller)."""
    from gutwise.diary.models import DiaryDay
    from gutwise.interop.models import Condition, MedicationStatement
    from gutwise.labs.models import LabResult
    from gutwise.microbiome.models import MicrobiomeSample
    from gutwise.outcomes.models import Nof1Design
    from gutwise.protocol.models import Adherence, Plan, PlanEvent, PlanItem
    from gutwise.screening.models import Intake, QuestionnaireResponse

    s = uow.session
    out: dict[str, str] = {}
    patients = list(s.scalars(select(Patient).where(Patient.id.in_(ids)).order_by(Patient.id)))
    out["patients.csv"] = _csv(
        ["patient_id", *([] if research else ["label"]), "birth_date", "birth_year", "sex", "illness_onset",
         "synthetic"],
        [[p.id, *([] if research else [p.label]), None if research else p.birth_date,
          p.birth_year or (p.birth_date.year if p.birth_date else None), p.sex, p.illness_onset, p.synthetic]
         for p in patients])
    days = list(s.scalars(select(DiaryDay).where(DiaryDay.patient_id.in_(ids))
                          .order_by(DiaryDay.patient_id, DiaryDay.day)))
    extra = sorted({k for d in days for k in d.answers})
    out["diary.csv"] = _csv(["patient_id", "date", "fatigue", "crash", *([] if research else ["note"]), *extra],
                            [[d.patient_id, d.day, d.fatigue, d.crash, *([] if research else [d.note]),
                              *[d.answers.get(k) for k in extra]] for d in days])
    responses = list(s.scalars(select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id.in_(ids))
                               .order_by(QuestionnaireResponse.patient_id, QuestionnaireResponse.answered_on,
                                         QuestionnaireResponse.id)))
    out["questionnaire_scores.csv"] = _csv(
        ["patient_id", "response_id", "instrument", "date", "total", "band", "source"],
        [[r.patient_id, r.id, r.instrument, r.answered_on, r.total, r.band, r.source] for r in responses])
    out["questionnaire_answers.csv"] = _csv(
        ["patient_id", "response_id", "instrument", "date", "item", "value"],
        [[r.patient_id, r.id, r.instrument, r.answered_on, item, value] for r in responses
         for item, value in r.answers.items()])
    intakes = list(s.scalars(select(Intake).where(Intake.patient_id.in_(ids)).order_by(Intake.id)))
    out["screening_intakes.csv"] = _csv(
        ["patient_id", "intake_id", "status", "completed_at", "answers", "result"],
        [[i.patient_id, i.id, i.status, i.completed_at, i.data, i.result] for i in intakes])
    labs = list(s.scalars(select(LabResult).where(LabResult.patient_id.in_(ids))
                          .order_by(LabResult.patient_id, LabResult.collected, LabResult.analyte)))
    out["lab_results.csv"] = _csv(
        ["patient_id", "collected", "analyte", "loinc", "value", "unit", "ref_low", "ref_high", "lab", "source"],
        [[r.patient_id, r.collected, r.analyte, knowledge.analytes().by_id()[r.analyte].loinc, r.value, r.unit,
          r.ref_low, r.ref_high, r.lab, r.source] for r in labs])
    samples = list(s.scalars(select(MicrobiomeSample).where(MicrobiomeSample.patient_id.in_(ids))
                             .order_by(MicrobiomeSample.patient_id, MicrobiomeSample.collected)))
    out["microbiome_samples.csv"] = _csv(
        ["patient_id", "sample_id", "collected", "kind", "reads", "shannon", "simpson", "observed", "chao1",
         "faith_pd", "source"],
        [[m.patient_id, m.sample_id, m.collected, m.kind, m.reads, m.shannon, m.simpson, m.observed, m.chao1,
          m.faith_pd, m.source] for m in samples])
    out["microbiome_abundances.csv"] = _csv(
        ["patient_id", "sample_id", "collected", "taxon", "relative_abundance"],
        [[m.patient_id, m.sample_id, m.collected, taxon, share] for m in samples
         for taxon, share in sorted(m.abundances.items())])
    plans = list(s.scalars(select(Plan).where(Plan.patient_id.in_(ids)).order_by(Plan.id)))
    out["plans.csv"] = _csv(["patient_id", "plan_id", "status", "start_date", "approved_at"],
                            [[p.patient_id, p.id, p.status, p.start_date, p.approved_at] for p in plans])
    items = list(s.scalars(select(PlanItem).where(PlanItem.plan_id.in_([p.id for p in plans])).order_by(PlanItem.id)))
    owner = {p.id: p.patient_id for p in plans}
    out["plan_items.csv"] = _csv(
        ["patient_id", "plan_id", "intervention", "dose_amount", "dose_unit", "times_per_day", "start_day",
         "stopped_on"],
        [[owner[i.plan_id], i.plan_id, i.intervention, i.dose_amount, i.dose_unit, i.times_per_day, i.start_day,
          i.stopped_on] for i in items])
    events = list(s.scalars(select(PlanEvent).where(PlanEvent.patient_id.in_(ids))
                            .order_by(PlanEvent.patient_id, PlanEvent.on_date, PlanEvent.id)))
    out["plan_events.csv"] = _csv(["patient_id", "plan_id", "date", "intervention", "kind", "detail"],
                                  [[e.patient_id, e.plan_id, e.on_date, e.intervention, e.kind, e.detail]
                                   for e in events])
    adherence = list(s.scalars(select(Adherence).where(Adherence.patient_id.in_(ids))
                               .order_by(Adherence.patient_id, Adherence.day, Adherence.intervention)))
    out["adherence.csv"] = _csv(["patient_id", "date", "intervention", "status"],
                                [[a.patient_id, a.day, a.intervention, a.status] for a in adherence])
    designs = list(s.scalars(select(Nof1Design).where(Nof1Design.patient_id.in_(ids)).order_by(Nof1Design.id)))
    out["nof1_experiments.csv"] = _csv(
        ["patient_id", "design_id", "intervention", "design", "period_days", "washout_days", "outcome", "mid",
         "start_date", "periods", "created_at"],
        [[d.patient_id, d.id, d.intervention, d.design, d.period_days, d.washout_days, d.outcome, d.mid,
          d.start_date, d.periods, d.created_at] for d in designs])
    conditions = list(s.scalars(select(Condition).where(Condition.patient_id.in_(ids)).order_by(Condition.id)))
    out["conditions.csv"] = _csv(
        ["patient_id", "system", "code", "display", "clinical_status", "onset", "abatement", "recorded", "source"],
        [[c.patient_id, c.system, c.code, c.display, c.clinical_status, c.onset, c.abatement, c.recorded, c.source]
         for c in conditions])
    meds = list(s.scalars(select(MedicationStatement).where(MedicationStatement.patient_id.in_(ids))
                          .order_by(MedicationStatement.id)))
    out["medications.csv"] = _csv(
        ["patient_id", "system", "code", "display", "status", "start", "end", "dosage", "source"],
        [[m.patient_id, m.system, m.code, m.display, m.status, m.start, m.end, m.dosage, m.source] for m in meds])
    if not research:
        trail = list(s.scalars(select(audit.AuditEvent).where(audit.AuditEvent.patient_id.in_(ids))
                               .order_by(audit.AuditEvent.id)))
        out["audit_trail.csv"] = _csv(["at", "who", "action", "what", "record", "detail"],
                                      [[a.at, a.actor, a.action, a.entity, a.entity_id, a.detail] for a in trail])
    return out


README = """gutwise export ({kind}), made {made}.

One CSV per table, UTF-8, comma-separated, one header row. Dates are ISO 8601 (YYYY-MM-DD).
A day missing from diary.csv was not recorded: it is missing, never a good day.
questionnaire_answers.csv holds each item's answer value (the instruments' own option values);
questionnaire_scores.csv the totals and bands gutwise computed from them.
The LPS IgA/IgM panel (lab_results.csv, analytes lps_*) is a research assay, not a validated diagnostic test.
{extra}
"""


def _zip(files: dict[str, str], kind: str, extra: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", README.format(kind=kind, made=datetime.now().astimezone().isoformat(
            timespec="seconds"), extra=extra))
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def patient_zip(*, uow: UnitOfWork, actor: Actor, patient_id: int, with_fhir: bool = True) -> bytes:
    """Everything gutwise holds about one person: the tidy CSVs, their audit trail and the FHIR bundle."""
    import json

    from gutwise.interop.fhir_export import export_patient

    bundle = export_patient(uow=uow, actor=actor, patient_id=patient_id) if with_fhir else None
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        files = _tables(uow, [patient_id], research=False)
        audit.record(uow, actor=actor, action="export", entity="patient", entity_id=patient_id,
                     patient_id=patient_id, detail={"format": "csv zip"})
        uow.commit()
    if bundle is not None:
        files["fhir_bundle.json"] = json.dumps(bundle, indent=1, ensure_ascii=False)
    return _zip(files, "one person", "audit_trail.csv lists every read and change of this record;"
                " fhir_bundle.json holds the same data as FHIR R4.")


def cohort_zip(*, uow: UnitOfWork, actor: Actor) -> bytes:
    """The research export: every visible patient, keyed by id, without names, notes or the audit trail."""
    with uow:
        ids = list(uow.session.scalars(select(Patient.id).where(access.patient_scope(actor)).order_by(Patient.id)))
        files = _tables(uow, ids, research=True)
        for pid in ids:
            audit.record(uow, actor=actor, action="export", entity="patient", entity_id=pid, patient_id=pid,
                         detail={"format": "research csv zip"})
        uow.commit()
    return _zip(files, f"research, {len(ids)} people", "Names, birth dates (year kept), free-text notes and the "
                "audit trail are left out; patient_id links the tables.")


# --- REDCap --------------------------------------------------------------------------------------------


def _redcap_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", text.lower())
    return name if name[:1].isalpha() else f"v_{name}"


def redcap_dictionary() -> str:
    rows = [["record_id", "participant", "", "text", "Record ID", "", "", "", "", "", "", "", "", "", "", "", "",
             ""],
            ["birth_year", "participant", "", "text", "Year of birth", "", "", "integer", "1900", "2100", "", "",
             "", "", "", "", "", ""],
            ["sex", "participant", "", "dropdown", "Sex", "1, female | 2, male | 3, other | 4, unknown", "", "", "",
             "", "", "", "", "", "", "", "", ""],
            ["illness_onset", "participant", "", "text", "Illness onset", "", "", "date_ymd", "", "", "", "", "",
             "", "", "", "", ""]]
    for iid in REDCAP_INSTRUMENTS:
        inst = knowledge.instrument(iid)
        form = _redcap_name(iid)
        rows.append([f"{form}_date", form, inst.title, "text", "Date answered", "", "", "date_ymd", "", "", "", "",
                     "y", "", "", "", "", ""])
        for item in inst.items:
            if item.type == "choice":
                choices = " | ".join(f"{o.value}, {o.label}" for o in inst.option_sets[item.options or ""])
                rows.append([_redcap_name(item.id), form, "", "radio", item.text, choices, "", "", "", "", "", "",
                             "", "", "", "", "", ""])
            else:
                rows.append([_redcap_name(item.id), form, "", "text", item.text, "", "", "number", "", "", "", "",
                             "", "", "", "", "", ""])
        rows.append([f"{form}_total", form, "", "text", f"{inst.short_title} total (computed by gutwise)", "",
                     inst.licence[:200], "number", "", "", "", "", "", "", "", "", "", "@READONLY"])
    return _csv(REDCAP_COLUMNS, rows)


def redcap_records(*, uow: UnitOfWork, actor: Actor) -> str:
    """REDCap's flat layout: one participant row per patient, one repeating row per questionnaire."""
    from gutwise.screening.models import QuestionnaireResponse

    sex_code = {"female": 1, "male": 2, "other": 3, "unknown": 4}
    fields = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance", "birth_year", "sex",
              "illness_onset"]
    for iid in REDCAP_INSTRUMENTS:
        form = _redcap_name(iid)
        fields += [f"{form}_date", *[_redcap_name(i.id) for i in knowledge.instrument(iid).items], f"{form}_total"]
    rows: list[list[Any]] = []
    with uow:
        patients = list(uow.session.scalars(select(Patient).where(access.patient_scope(actor)).order_by(Patient.id)))
        ids = [p.id for p in patients]
        responses = list(uow.session.scalars(
            select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id.in_(ids),
                                                QuestionnaireResponse.instrument.in_(REDCAP_INSTRUMENTS))
            .order_by(QuestionnaireResponse.patient_id, QuestionnaireResponse.answered_on, QuestionnaireResponse.id)))
        for pid in ids:
            audit.record(uow, actor=actor, action="export", entity="questionnaire_response", patient_id=pid,
                         detail={"format": "redcap"})
        uow.commit()
    index = {f: i for i, f in enumerate(fields)}
    for p in patients:
        row: list[Any] = [""] * len(fields)
        row[0] = p.id
        row[index["birth_year"]] = p.birth_year or (p.birth_date.year if p.birth_date else "")
        row[index["sex"]] = sex_code[p.sex.value]
        row[index["illness_onset"]] = p.illness_onset or ""
        rows.append(row)
        instance: dict[str, int] = {}
        for r in (r for r in responses if r.patient_id == p.id):
            form = _redcap_name(r.instrument)
            instance[form] = instance.get(form, 0) + 1
            rep: list[Any] = [""] * len(fields)
            rep[0], rep[1], rep[2] = p.id, form, instance[form]
            rep[index[f"{form}_date"]] = r.answered_on
            for item, value in r.answers.items():
                key = _redcap_name(item)
                if key in index and value is not None:
                    rep[index[key]] = int(value) if isinstance(value, bool) else value
            rep[index[f"{form}_total"]] = "" if r.total is None else r.total
            rows.append(rep)
    return _csv(fields, rows)


def redcap_zip(*, uow: UnitOfWork, actor: Actor) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("data_dictionary.csv", redcap_dictionary())
        z.writestr("records.csv", redcap_records(uow=uow, actor=actor))
        z.writestr("README.txt", "Load data_dictionary.csv in REDCap (Project Setup > Data Dictionary), mark the "
                   "questionnaire forms as repeating instruments, then import records.csv (Data Import Tool, "
                   "records in rows). Item wording is reproduced only where the instrument's licence allows.\n")
    return buf.getvalue()
