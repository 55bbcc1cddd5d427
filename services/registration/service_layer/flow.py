"""The seed-002 flow step by step: commitment choice, draft, letter, proofs, confirm, modify.

The quick path (``applications.apply``) stays for exams configured like the demo's 统计 exam;
this module adds the steps the full flow needs. Verification and the photo check are reached
through adapters in ``runtime.services`` (see ``adapters/verification.py``).
"""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.common import clock
from services.common.errors import Conflict, DomainError, Invalid, NotFound
from services.registration.adapters import orm
from services.registration.adapters.verification import VerificationUnavailable
from services.registration.domain import catalog as rules
from services.registration.domain import notices
from services.registration.domain.application import DRAFT, Application, application_number
from services.registration.domain.catalog import BEIJING
from services.registration.service_layer import applications, archive, catalog, projections

COMMIT, DECLINE = "commit", "decline"


# -- commitment mode (告知承诺制) -----------------------------------------------------------------
def commitment(session, candidate_id: str, sitting_id: str) -> dict:
    row = session.execute(select(orm.commitment_choices).where(
        orm.commitment_choices.c.candidate_id == candidate_id,
        orm.commitment_choices.c.sitting_id == sitting_id)).first()
    s = catalog.sitting(session, sitting_id)
    offered = catalog.exam_settings(session, s.exam_code)["commitment_offered"]
    return {"sitting_id": sitting_id, "offered": offered,
            "choice": row.choice if row else None, "chosen_at": row.chosen_at if row else None,
            "can_commit": offered and (row is None or row.choice == COMMIT),
            "notice": notices.COMMITMENT_NOTICE, "letter": notices.COMMITMENT_LETTER,
            "exam_notice": notices.EXAM_NOTICE}


def choose(uow, *, candidate_id: str, sitting_id: str, commit: bool, verification,
           token: str | None) -> dict:
    """Record the choice. Declining (or withdrawing a commitment) is final for the sitting;
    committing is refused to people on the integrity list, and while verification is
    unreachable (fail closed: the candidate can retry, or go on without commitment mode)."""
    state = commitment(uow.session, candidate_id, sitting_id)
    if not state["offered"]:
        if commit:
            raise Invalid("该考试不实行告知承诺制", code="commitment_not_offered")
        return state
    if commit and state["choice"] == DECLINE:
        raise Conflict("您已选择不采用（或已撤回）告知承诺制，本年度该项考试不再适用告知承诺制",
                       code="commitment_irreversible")
    if commit and state["choice"] != COMMIT:
        today = clock.now().astimezone(BEIJING).date()
        try:
            listed = verification.on_integrity_list(candidate_id, today, token)
        except VerificationUnavailable:
            raise DomainError("暂时无法查询诚信档案，请稍后再试，或选择不采用告知承诺制",
                              code="integrity_unavailable", status=503) from None
        if listed:
            raise Invalid("您被记入资格考试诚信档案库且在记录期内，不适用告知承诺制，"
                          "请选择不采用告知承诺制并上传证明材料", code="integrity_listed")
    choice = COMMIT if commit else DECLINE
    if state["choice"] != choice:
        t = orm.commitment_choices
        values = dict(choice=choice, chosen_at=clock.now())
        if state["choice"] is None:
            uow.session.execute(insert(t).values(candidate_id=candidate_id, sitting_id=sitting_id,
                                                 **values))
        else:
            uow.session.execute(update(t).where(t.c.candidate_id == candidate_id,
                                                t.c.sitting_id == sitting_id).values(**values))
    return commitment(uow.session, candidate_id, sitting_id)


# -- the form ------------------------------------------------------------------------------------
def _form(data: dict) -> dict:
    return dict(city=data["city"], review_point=data.get("review_point"), level=data["level"],
                specialty=data.get("specialty"), subjects=list(data["subjects"]),
                exempt_subjects=[{"code": e["code"], "basis": e["basis"]}
                                 for e in data.get("exempt_subjects") or []])


def _check_review_point(session, s, form: dict) -> None:
    """On-site review happens at the review point the candidate chose: it must be named."""
    if s.review_mode == "on_site" and not form["review_point"]:
        raise Invalid("该考试须到审核点现场审核，请选择审核点", code="review_point_required",
                      field="review_point")


def save_draft(uow, *, candidate_id: str, data: dict, verification, token: str | None,
               idempotency_key: str | None = None) -> Application:
    """Save the form (after the notices were accepted): the application number is given now."""
    if not data.get("notice_accepted"):
        raise Invalid("请先阅读并同意报考须知", code="notice_not_accepted", field="notice_accepted")
    scoped_key = f"{candidate_id}:{idempotency_key}" if idempotency_key else None
    existing = applications._replay(uow, scoped_key, data)
    if existing is not None:
        return existing
    now = clock.now()
    form = _form(data)
    s, fee = applications.validate_form(uow.session, now, sitting_id=data["sitting_id"],
                                        province=data["province"], **form)
    _check_review_point(uow.session, s, form)
    if applications._live(uow.session, candidate_id, s.id) is not None:
        raise Conflict("您已报名本次考试，不能重复报名；如需修改请修改原报名", code="application_exists")
    archive.check_not_carried(uow.session, candidate_id, s, form["subjects"])
    try:  # PostgreSQL checks unique keys per statement: a twin may fail here, not at commit
        choose(uow, candidate_id=candidate_id, sitting_id=s.id, commit=data["commitment_mode"],
               verification=verification, token=token)
        seq = applications.next_sequence(uow.session, f"application:{s.id}:{data['province']}")
    except IntegrityError:
        return applications.lost_race(uow, scoped_key, data, candidate_id, s.id)
    application = Application(
        candidate_id=candidate_id, sitting_id=s.id, exam_code=s.exam_code, exam_name=s.exam_name,
        province=data["province"], number=application_number(s.year, data["province"],
                                                             s.exam_code, seq),
        fee_per_subject_fen=fee, amount_fen=rules.fee_total(fee, len(form["subjects"])),
        review_mode=s.review_mode, now=now, draft=True, commitment_mode=data["commitment_mode"],
        **form)
    application.archive_number = (archive.archive_number(uow.session, candidate_id, s.exam_code)
                                 or application.application_number)
    return applications.store_new(uow, application, scoped_key=scoped_key, data=data, now=now,
                                  review=False)


def modify(uow, *, application_id: str, candidate_id: str, data: dict, verification,
           token: str | None) -> Application:
    """Change the form until paid (seed 002); a submitted one goes back to draft."""
    application = uow.track(applications.owned(uow, application_id, candidate_id, lock=True))
    application.check_editable()  # the reason comes first: "已缴费的报名不能修改…"
    now = clock.now()
    form = _form(data)
    s, fee = applications.validate_form(uow.session, now, sitting_id=application.sitting_id,
                                        province=application.province, **form)
    archive.check_not_carried(uow.session, candidate_id, s, form["subjects"])
    _check_review_point(uow.session, s, form)
    choose(uow, candidate_id=candidate_id, sitting_id=application.sitting_id,
           commit=data["commitment_mode"], verification=verification, token=token)
    application.modify(now, fee_per_subject_fen=fee, commitment_mode=data["commitment_mode"],
                       amount_fen=rules.fee_total(fee, len(form["subjects"])), **form)
    uow.commit()
    return application


def sign_letter(uow, application_id: str, candidate_id: str) -> Application:
    application = uow.track(applications.owned(uow, application_id, candidate_id, lock=True))
    application.sign_letter(clock.now())
    uow.commit()
    return application


# -- proofs ---------------------------------------------------------------------------------------
def proofs(session, application_id: str) -> list[dict]:
    p = orm.proofs
    return [r._asdict() for r in session.execute(
        select(p.c.id, p.c.kind, p.c.filename, p.c.content_type, p.c.size, p.c.uploaded_at)
        .where(p.c.application_id == application_id).order_by(p.c.uploaded_at)).all()]


def add_proof(uow, application_id: str, candidate_id: str, *, kind: str, filename: str,
              content: bytes) -> dict:
    application = applications.owned(uow, application_id, candidate_id)
    if application.state != DRAFT:
        raise Conflict("报名已确认提交；如需补传材料请先修改报名信息", code="state_conflict")
    if kind not in notices.PROOF_KINDS:
        raise Invalid("请选择证明材料类别", code="proof_kind_unknown", field="kind")
    problem = notices.proof_problem(content)
    if problem:
        raise Invalid(problem[1], code=problem[0], field="file")
    if len(proofs(uow.session, application_id)) >= 10:
        raise Invalid("每个报名最多上传 10 份证明材料", code="proof_limit", field="file")
    row = dict(id=str(uuid.uuid4()), application_id=application_id, kind=kind,
               filename=(filename or "proof")[-200:], content_type=notices.sniff(content),
               size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content,
               uploaded_at=clock.now())
    uow.session.execute(insert(orm.proofs).values(**row))
    uow.commit()
    return {k: row[k] for k in ("id", "kind", "filename", "content_type", "size", "uploaded_at")}


def delete_proof(uow, application_id: str, candidate_id: str, proof_id: str) -> None:
    application = applications.owned(uow, application_id, candidate_id)
    if application.state != DRAFT:
        raise Conflict("报名已确认提交，不能删除证明材料", code="state_conflict")
    gone = uow.session.execute(delete(orm.proofs).where(
        orm.proofs.c.id == proof_id, orm.proofs.c.application_id == application_id))
    if gone.rowcount == 0:
        raise NotFound("没有找到该证明材料", code="proof_not_found")
    uow.commit()


def proof_content(session, application_id: str, proof_id: str):
    row = session.execute(select(orm.proofs).where(
        orm.proofs.c.id == proof_id, orm.proofs.c.application_id == application_id)).first()
    if row is None:
        raise NotFound("没有找到该证明材料", code="proof_not_found")
    return row


def needs_proofs(application: Application) -> bool:
    """Seed 004: without commitment mode, or claiming an exemption, proofs come before review.
    Automatic-review exams (the demo's 统计) decide from verification alone."""
    if application.exempt_subjects:
        return True
    return not application.commitment_mode and application.review_mode != "automatic"


# -- confirm ----------------------------------------------------------------------------------------
def confirm(uow, application_id: str, candidate_id: str, *, verification, photos,
            token: str | None) -> Application:
    """Confirm the saved form: window, photo, letter and proofs checked; major warning noted."""
    application = uow.track(applications.owned(uow, application_id, candidate_id, lock=True))
    if application.state != DRAFT:
        raise Conflict("该报名已确认提交", code="already_confirmed")
    now = clock.now()
    windows = catalog.windows(uow.session, application.sitting_id, application.province)
    if "application" not in windows:
        raise Invalid("该省份尚未公布报名时间", code="window_closed")
    windows["application"].check(now)
    if not photos.approved(uow.session, candidate_id):
        raise Invalid("您的证件照尚未通过审核：请在“我的照片”上传符合要求的照片，审核通过后再确认提交",
                      code="photo_not_approved")
    if needs_proofs(application) and not proofs(uow.session, application.id):
        raise Invalid("请先上传证明材料（学历证书、专业工作年限证明或免试依据）",
                      code="proofs_required")
    warnings = []
    cand = projections.candidate(uow.session, candidate_id)
    major = cand.major if cand is not None else None
    relation = None
    if major:
        try:
            relation = verification.major_relation(application.exam_code, application.level,
                                                   major, token)
        except VerificationUnavailable:
            relation = None
    warning = notices.major_warning(relation, major)
    if warning:
        warnings.append(warning)
    application.confirm(now, warnings)
    applications.run_review(uow, application)
    uow.commit()
    return application


def form_sheet(session, application: Application, base_url: str):
    """What the application form PDF prints (a ``FormData``; any state from draft on: the
    number exists once saved). Its QR code leads to the gateway's status page."""
    from services.registration.adapters.application_form_pdf import FormData
    from services.registration.domain.application import STATE_LABELS

    v = applications.view(session, application)
    cand = projections.candidate(session, application.candidate_id)
    province = catalog.province_names(session)[application.province]
    return FormData(
        title=f"{v['year']}年度{application.exam_name}报名表",
        application_number=application.application_number,
        state_label=STATE_LABELS[application.state],
        lines=[("姓　　名", cand.name if cand and cand.name else "—"),
               ("证件号码", cand.document_number_masked if cand and cand.document_number_masked
                else "—"),
               ("报 名 地", f"{v['province_name']} {v['city_name'] or ''}"),
               ("审 核 点", v["review_point_name"] or "—"),
               ("报考级别", v["level_name"] or application.level),
               ("报考专业", v["specialty_name"] or "—"),
               ("报名费用", f"{rules.yuan(application.amount_fen)} 元")],
        subjects=[x["name"] for x in v["subjects"]],
        exempt=[f"{e['name'] or e['code']}：{e['basis']}" for e in v["exempt_subjects"]],
        commitment="告知承诺制（已签署告知承诺书）" if application.commitment_mode
        and application.letter_signed_at else ("告知承诺制（未签署）" if application.commitment_mode
                                          else "提交证明材料"),
        status_url=f"{base_url.rstrip('/')}/applications/{application.id}",
        authority=province["authority"])


def form_document(form, candidate_id: str, photos) -> bytes:
    """The form (a ``form_sheet``) as an A4 PDF with the candidate's locked photo, asked of
    identity outside the transaction; a placeholder says why when there is none."""
    from services.registration.adapters.application_form_pdf import render
    return render(form, photo=photos.fetch(candidate_id))
