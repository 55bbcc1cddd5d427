"""Use cases on applications: apply, review, withdraw, and the payment facts that move them."""
from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound
from services.registration.adapters import orm
from services.registration.domain import catalog as rules
from services.registration.domain import review
from services.registration.domain.application import (
    APPROVED,
    BEFORE_PAYMENT,
    DRAFT,
    NEVER_PAID,
    RETURNED,
    SUBMITTED,
    UNDER_REVIEW,
    Application,
    application_number,
)
from services.registration.service_layer import admit_cards, catalog, projections


def next_sequence(session, name: str) -> int:
    """A counter in the service's own database: one atomic upsert, so concurrent requests
    (the first ones included, when the row does not exist yet) never share a number."""
    t = orm.sequences
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(t).values(name=name, value=1).on_conflict_do_update(
        index_elements=[t.c.name], set_={"value": t.c.value + 1}).returning(t.c.value)
    return session.execute(stmt).scalar_one()


def _request_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _by_key(session, key: str | None):
    if not key:
        return None
    return session.execute(select(orm.idempotency_keys).where(
        orm.idempotency_keys.c.key == key)).first()


def _replay(uow, scoped_key: str | None, data: dict) -> Application | None:
    row = _by_key(uow.session, scoped_key)
    if row is None:
        return None
    if row.request_hash != _request_hash(data):
        raise Invalid("同一个 Idempotency-Key 不能用于不同的报名内容", code="idempotency_key_reused")
    return uow.session.get(Application, row.application_id)


def apply(uow, *, candidate_id: str, sitting_id: str, province: str, city: str, level: str,
          specialty: str | None, subjects: list[str], idempotency_key: str | None = None
          ) -> Application:
    """Submit an application, then run qualification review at once (automatic mode)."""
    data = dict(sitting_id=sitting_id, province=province, city=city, level=level,
                specialty=specialty, subjects=subjects)
    scoped_key = f"{candidate_id}:{idempotency_key}" if idempotency_key else None
    existing = _replay(uow, scoped_key, data)
    if existing is not None:
        return existing
    now = clock.now()
    s, fee = validate_form(uow.session, now, sitting_id=sitting_id, province=province, city=city,
                           level=level, specialty=specialty, subjects=subjects)
    from services.registration.service_layer import archive
    earlier = archive.earlier(uow.session, candidate_id, s.exam_code)
    if any(r.live_key == f"{candidate_id}:{sitting_id}" for r in earlier):
        twin = _replay(uow, scoped_key, data)  # a double click's twin committed meanwhile
        if twin is not None:
            return twin
        raise Conflict("您已报名本次考试，不能重复报名；如需修改请先撤回原报名", code="application_exists")
    archive.check_not_carried(uow.session, candidate_id, s, subjects, applied_before=bool(earlier))
    archived = archive.first_number(earlier)
    # Everything that can happen before the counter's row lock does: the sequence upsert locks
    # the (sitting, province) row until commit, so every statement after it delays the next
    # applicant of that province. The Idempotency-Key goes first (a twin stops there).
    cand = projections.candidate(uow.session, candidate_id)
    application_id = str(uuid.uuid4())
    try:
        _remember_key(uow, scoped_key, data, application_id, now)
        seq = next_sequence(uow.session, f"application:{sitting_id}:{province}")
    except IntegrityError:
        return lost_race(uow, scoped_key, data, candidate_id, sitting_id)
    application = Application(
        id=application_id, candidate_id=candidate_id, sitting_id=sitting_id,
        exam_code=s.exam_code, exam_name=s.exam_name, province=province, city=city, level=level,
        specialty=specialty, subjects=subjects,
        number=application_number(s.year, province, s.exam_code, seq),
        fee_per_subject_fen=fee, amount_fen=rules.fee_total(fee, len(subjects)),
        review_mode=s.review_mode, now=now)
    application.archive_number = archived or application.application_number
    run_review(uow, application, candidate=cand)  # before the row is written: one INSERT
    return store_new(uow, application, scoped_key=scoped_key, data=data, now=now, review=False,
                     key_stored=True)


def _remember_key(uow, scoped_key: str | None, data: dict, application_id: str, now) -> None:
    if scoped_key:
        uow.session.execute(insert(orm.idempotency_keys).values(
            key=scoped_key, request_hash=_request_hash(data), application_id=application_id,
            created_at=now))


def store_new(uow, application: Application, *, scoped_key: str | None, data: dict, now,
              review: bool, key_stored: bool = False) -> Application:
    """Insert a new application (and its Idempotency-Key, unless ``key_stored``) and commit.
    PostgreSQL checks unique keys per statement, SQLite at commit: either way a twin that got
    there first wins, and this request answers as the twin was answered."""
    try:
        if review:  # before the row is written: one INSERT of the reviewed application
            run_review(uow, application)
        uow.add(application)
        if not key_stored:
            _remember_key(uow, scoped_key, data, application.id, now)
        uow.commit()
    except IntegrityError:
        return lost_race(uow, scoped_key, data, application.candidate_id, application.sitting_id)
    return application


def lost_race(uow, scoped_key, data, candidate_id, sitting_id) -> Application:
    """A unique key said a twin request got there first: answer as the twin was answered."""
    uow.rollback()
    existing = _replay(uow, scoped_key, data)
    if existing is not None:
        return existing
    if _live(uow.session, candidate_id, sitting_id) is not None:
        raise Conflict("您已报名本次考试，不能重复报名", code="application_exists") from None
    raise Conflict("系统繁忙，请稍后重试", code="retry") from None


def validate_form(session, now, *, sitting_id: str, province: str, city: str, level: str,
                  specialty: str | None, subjects: list[str], review_point: str | None = None,
                  exempt_subjects: list[dict] | None = None):
    """Check a form against the catalog and the application window; → (sitting, fee)."""
    s = catalog.sitting(session, sitting_id)
    if catalog.sitting_status(session, sitting_id) != "open":
        raise Invalid("该考试已停止报名", code="sitting_closed")
    fee = catalog.fee_per_subject(session, sitting_id, province)
    if fee is None:
        raise Invalid("该考试不在所选省份报名", code="province_unknown", field="province")
    if not catalog.city_in_province(session, city, province):
        raise Invalid("请选择所选省份下的地市", code="city_unknown", field="city")
    if review_point is not None and not catalog.review_point_in_city(session, review_point, city):
        raise Invalid("请选择所选地市下的审核点", code="review_point_unknown", field="review_point")
    windows = catalog.windows(session, sitting_id, province)
    if "application" not in windows:
        raise Invalid("该省份尚未公布报名时间", code="window_closed")
    windows["application"].check(now)
    paying = windows.get("payment")
    if paying is not None and paying.end is not None and paying.end < now:
        # An application now could never be paid (seed 004: no late payment); it would only
        # expire at the next sweep, so it is refused with the dates instead.
        raise Invalid(f"缴费时间为 {paying.describe()}（北京时间），缴费已经结束，本次报名无法完成缴费",
                      code="payment_window_closed")
    lv = catalog.level(session, sitting_id, level)
    rules.check_choice(level=None if lv is None else {
        "specialties": [x["code"] for x in lv["specialties"]],
        "subjects": [x["code"] for x in lv["subjects"]]}, specialty=specialty, subjects=subjects)
    rules.check_exemptions(exempt_subjects or [], subjects=subjects, exemptable={
        x["code"] for x in lv["subjects"] if x.get("exemptable")})
    return s, fee


def _live(session, candidate_id: str, sitting_id: str):
    return session.execute(select(orm.applications.c.id).where(
        orm.applications.c.live_key == f"{candidate_id}:{sitting_id}")).first()


_READ = object()


def run_review(uow, application: Application, *, candidate=_READ) -> None:
    """Qualification review in the sitting's mode; automatic for now (online/on-site later).
    ``candidate``: the candidate's projection when the caller has read it already."""
    if application.state not in (SUBMITTED, UNDER_REVIEW):
        return
    now = clock.now()
    cand = (projections.candidate(uow.session, application.candidate_id)
            if candidate is _READ else candidate)
    lv = catalog.level(uow.session, application.sitting_id, application.level)
    outcome = cand.education_outcome if cand else None
    decision = review.automatic(
        outcome=outcome, reason=cand.education_reason if cand else None,
        education_level=(cand.education_level or cand.claimed_education) if cand else None,
        min_education=lv["min_education"] if lv else None)
    verdict = review.by_mode(decision, application.review_mode, application.commitment_mode)
    if verdict.verdict == review.WAIT:
        application.await_review(now, verdict.note)
    elif verdict.verdict == review.RETURN:
        application.return_(now, verdict.note)
    else:
        approve(uow, application, now)


def approve(uow, application: Application, now) -> None:
    """Approve and ask payment for the fee, due at the end of the province's payment window."""
    payment = catalog.windows(uow.session, application.sitting_id,
                              application.province).get("payment")
    deadline = payment.end if payment and payment.end else now
    application.approve(now, payment_deadline=deadline, description=(
        f"{application.exam_name} 报名费（{len(application.subjects)} 科，报名序号 "
        f"{application.application_number}）"))


def review_waiting(uow, candidate_id: str) -> None:
    """Re-run review of a candidate's applications that wait for the education check."""
    waiting = uow.session.query(Application).filter(
        Application.candidate_id == candidate_id,
        Application.state.in_([SUBMITTED, UNDER_REVIEW])).all()
    for application in waiting:
        uow.track(application)
        run_review(uow, application)


def owned(uow, application_id: str, candidate_id: str, *, lock: bool = False) -> Application:
    """The candidate's own application; ``lock`` takes its row lock (PostgreSQL) for a change,
    so two concurrent moves of one application run one after the other."""
    application = uow.session.get(Application, application_id, with_for_update=lock or None)
    if application is None or application.candidate_id != candidate_id:
        raise NotFound("没有找到该报名", code="application_not_found")
    return application


def mine(uow, candidate_id: str) -> list[Application]:
    return (uow.session.query(Application).filter(Application.candidate_id == candidate_id)
            .order_by(Application.created_at.desc()).all())


def withdraw(uow, application_id: str, candidate_id: str) -> Application:
    application = uow.track(owned(uow, application_id, candidate_id, lock=True))
    application.withdraw(clock.now())
    uow.commit()
    return application


# -- payment facts -------------------------------------------------------------------------
def on_order_paid(event, uow) -> None:
    d = event.data
    application = uow.session.get(Application, d["application_id"])
    if application is None:
        return  # not ours (another exam system's order); nothing to do
    uow.track(application)
    now = clock.now()
    payment = catalog.windows(uow.session, application.sitting_id,
                              application.province).get("payment")
    paid_at = projections._parse(d["paid_at"])
    if payment is not None and application.state == APPROVED and not payment.contains(paid_at):
        application.remark(now, f"订单 {d['order_number']} 于缴费期外支付（缴费时间为 "
                                f"{payment.describe()}），不予受理，待对账后退费")
        return  # seed 004: nothing is paid after the payment window
    in_window = payment is None or payment.contains(paid_at)
    if application.paid(now, order_number=d["order_number"], amount_fen=d["amount_fen"],
                        in_window=in_window):
        admit_cards.on_paid(uow, application)


def on_order_refunded(event, uow) -> None:
    d = event.data
    application = uow.session.get(Application, d["application_id"])
    if application is None:
        return
    uow.track(application)
    if application.refunded(clock.now(), order_number=d["order_number"], reason=d["reason"]):
        admit_cards.void(uow, application)


# -- what the candidate sees ---------------------------------------------------------------
def view(session, application: Application) -> dict:
    now = clock.now()
    s = catalog.sitting(session, application.sitting_id)
    subjects = catalog.subject_map(session, application.sitting_id)
    windows = catalog.windows(session, application.sitting_id, application.province)
    lv = catalog.level(session, application.sitting_id, application.level) or {}
    spec_name = next((x["name"] for x in lv.get("specialties", [])
                      if x["code"] == application.specialty), None)
    from services.registration.service_layer import flow, qualification, scores
    proofs = flow.proofs(session, application.id) if application.ever_draft else []
    # Admit card, scores and the post-exam check all come after payment: not looked up before.
    paid_once = application.state not in NEVER_PAID
    card = admit_cards.card(session, application.id) if paid_once else None
    step = review.next_step(application.state, now=now, payment=windows.get("payment"),
                            admit_card=windows.get("admit_card"), exam_date=s.exam_date,
                            review_reason=application.review_reason,
                            qualified=application.qualified,
                            needs_letter=application.commitment_mode
                            and application.letter_signed_at is None,
                            needs_proofs=application.state == DRAFT
                            and flow.needs_proofs(application) and not proofs)
    from services.registration.domain.application import STATE_LABELS
    return {
        "id": application.id, "application_number": application.application_number,
        "sitting_id": application.sitting_id, "exam_code": application.exam_code,
        "exam_name": application.exam_name, "year": s.year,
        "province": application.province,
        "province_name": catalog.province_names(session)[application.province]["name"],
        "city": application.city, "city_name": catalog.city_name(session, application.city),
        "level": application.level, "level_name": lv.get("name"),
        "specialty": application.specialty, "specialty_name": spec_name,
        "subjects": [{"code": c, "name": subjects[c]["name"]} for c in application.subjects],
        "state": application.state, "state_label": STATE_LABELS[application.state],
        "next_step": step.sentence, "next_action": step.action,
        "amount_fen": application.amount_fen,
        "fee_per_subject_fen": application.fee_per_subject_fen,
        "payment_deadline": windows["payment"].end if application.state == APPROVED
        and "payment" in windows else None,
        "review_reason": application.review_reason if application.state == RETURNED else None,
        "admit_card": admit_cards.view(session, application, s.exam_date, card) if card else None,
        "scores": scores.published_view(session, application) if paid_once else None,
        "qualified": application.qualified,
        "history": application.history,
        "created_at": application.created_at,
        "review_point": application.review_point,
        "review_point_name": catalog.review_point_name(session, application.review_point),
        "review_mode": application.review_mode,
        "commitment_mode": application.commitment_mode,
        "letter_signed_at": application.letter_signed_at,
        "exempt_subjects": [dict(e, name=subjects.get(e["code"], {}).get("name"))
                            for e in application.exempt_subjects or []],
        "warnings": application.warnings or [],
        "proofs": proofs,
        "needs_proofs": flow.needs_proofs(application),
        "editable": application.state in BEFORE_PAYMENT,
        "admit_card_sessions": admit_cards.sessions_view(session, application, s.exam_date, card)
        if card else None,
        "qualification": (qualification.view(session, application.id) if paid_once else None) or (
            {"stage": "qualified", "stage_label": "已取得资格，证书制作中", "note": None,
             "notice_ends_at": None} if application.qualified else None),
        "archive_number": application.archive_number,
    }
