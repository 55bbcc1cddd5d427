"""Certificates' ops dashboard: certificates and keys, and the officers' desk (revocations,
corrections and replacement materials awaiting a decision, the mailing queue, batches,
verifications per day)."""
from __future__ import annotations

import json

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from services.certificates.adapters.orm import certificates
from services.certificates.domain import changes, numbers
from services.certificates.domain.model import STATUSES, TITLE, Certificate
from services.certificates.service_layer import (
    batches,
    corrections,
    dashboard,
    mailing,
    national,
    queries,
    revocation,
)
from services.certificates.web.holder import _file
from services.certificates.web.officer import material_response
from services.common.errors import NotFound
from services.common.web.ops import ops_page

ROLES = ("certificate_officer", "auditor")
OFFICER = "certificate_officer"


def ops_blueprint(runtime) -> Blueprint:
    bp = Blueprint("certificates_ops", __name__, url_prefix="/ops/certificates")
    keys, cipher = runtime.services["keys"], runtime.services["pii"]
    platform = runtime.services["national"]
    base_url = runtime.settings.public_base_url.rstrip("/")

    @bp.get("/")
    @ops_page(*ROLES)
    def index():
        q = numbers.normalise(request.args.get("q") or "")[:40]
        t = certificates
        with runtime.uow() as uow:
            query = select(Certificate).order_by(t.c.issued_at.desc()).limit(100)
            if q:
                escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                query = query.where(t.c.number.like(escaped + "%", escape="\\"))
            rows = uow.session.execute(query).scalars().all()
            by_status = dict(uow.session.execute(
                select(t.c.status, func.count()).group_by(t.c.status)).all())
            by_exam = uow.session.execute(
                select(t.c.sitting_year, t.c.title, func.count()).group_by(t.c.sitting_year, t.c.title)
                .order_by(t.c.sitting_year.desc(), func.count().desc()).limit(50)).all()
            counts = {"total": sum(by_status.values()),
                      **{label: by_status.get(code, 0) for code, label in STATUSES.items()}}
            return render_template("certificates/ops_index.html", rows=rows, q=q, counts=counts,
                                   by_exam=by_exam, keys=keys.listing())

    @bp.get("/desk")
    @ops_page(*ROLES)
    def desk():
        with runtime.uow() as uow:
            series = dashboard.verifications_per_day(uow)
            return render_template(
                "certificates/ops_desk.html",
                revocations=revocation.listing(uow, "pending"),
                corrections=corrections.listing(uow, status="pending"),
                mailings=mailing.queue(uow, cipher), batches=batches.progress(uow),
                replacements=mailing.review_queue(uow, cipher),
                national=national.desk(uow), national_switch=platform.switch.state(),
                platform_title=platform.title,
                chart=dashboard.chart(series), series=series, channels=dashboard.CHANNELS,
                reasons=changes.REVOCATION_REASONS, kinds=changes.KINDS,
                me=g.principal.sub, is_officer=g.principal.has_any(OFFICER))

    @bp.get("/batches/<bid>")
    @ops_page(*ROLES)
    def batch(bid: str):
        with runtime.uow() as uow:
            found = batches.progress(uow, bid[:32])
            if not found:
                raise NotFound("没有这个批次", code="batch_not_found")
            return render_template("certificates/ops_batch.html", b=found[0],
                                   items=batches.items(uow, bid[:32]))

    @bp.get("/<number>")
    @ops_page(*ROLES)
    def detail(number: str):
        with runtime.uow() as uow:
            cert = uow.session.get(Certificate, numbers.normalise(number)[:40])
            if cert is None:
                raise NotFound("没有这本证书", code="certificate_not_found")
            verdict = queries.check_signature(cert, keys)
            document = json.dumps(json.loads(cert.credential), ensure_ascii=False, indent=2)
            return render_template(
                "certificates/ops_detail.html", c=cert, verdict=verdict, document=document,
                versions=queries.history(uow, cert),
                revocations=revocation.listing(uow, None, cert.number),
                corrections=corrections.listing(uow, number=cert.number),
                mailings=mailing.for_certificate(uow, cipher, cert.number),
                national=national.status(uow, cert) if cert.kind == TITLE else None,
                reasons=changes.REVOCATION_REASONS, is_officer=g.principal.has_any(OFFICER))

    @bp.get("/corrections/<cid>/proofs/<pid>")
    @ops_page(*ROLES)
    def proof(cid: str, pid: str):
        with runtime.uow() as uow:
            return _file(corrections.proof_file(uow, cid[:32], pid[:32]))

    @bp.get("/replacements/<mid>/materials/<material_id>")
    @ops_page(*ROLES)
    def material(mid: str, material_id: str):
        """A replacement's material; the view is in the audit log (committed before serving)."""
        with runtime.uow() as uow:
            _kind, content_type, data = mailing.material_file(
                uow, cipher, mid[:32], material_id[:32], g.principal)
            uow.commit()
        return material_response(content_type, data)

    def act(fn):
        """Run an officer's action in a unit of work, then go back where they came from."""
        with runtime.uow() as uow:
            fn(uow)
            uow.commit()
        back = request.form.get("back", "")
        return redirect(back if back.startswith("/ops/certificates/") else url_for(".desk"))

    @bp.post("/<number>/revoke")
    @ops_page(OFFICER)
    def ask_revoke(number: str):
        return act(lambda uow: revocation.request(uow, number, request.form.get("reason_code", ""),
                                                  request.form.get("reason", ""), g.principal))

    @bp.post("/revocations/<rid>/<decision>")
    @ops_page(OFFICER)
    def decide_revocation(rid: str, decision: str):
        fn = {"approve": revocation.approve, "reject": revocation.reject}.get(decision)
        if fn is None:
            raise NotFound("没有这个操作")
        return act(lambda uow: fn(uow, rid[:32], g.principal))

    @bp.post("/corrections/<cid>/<decision>")
    @ops_page(OFFICER)
    def decide_correction(cid: str, decision: str):
        if decision == "approve":
            return act(lambda uow: corrections.approve(uow, keys, base_url, cid[:32], g.principal))
        if decision == "reject":
            return act(lambda uow: corrections.reject(uow, cid[:32], g.principal,
                                                      request.form.get("note", "")))
        raise NotFound("没有这个操作")

    @bp.post("/mailings/<mid>")
    @ops_page(OFFICER)
    def move_mailing(mid: str):
        return act(lambda uow: mailing.advance(uow, cipher, mid[:32], request.form.get("state", ""),
                                               request.form.get("tracking_number"), g.principal))

    @bp.post("/replacements/<mid>/<decision>")
    @ops_page(OFFICER)
    def review_replacement(mid: str, decision: str):
        if decision not in ("approve", "reject"):
            raise NotFound("没有这个操作")
        return act(lambda uow: mailing.review(uow, cipher, mid[:32], g.principal,
                                              approve=decision == "approve",
                                              reason=request.form.get("reason", "")))

    @bp.post("/national/<number>/requeue")
    @ops_page(OFFICER)
    def national_requeue(number: str):
        return act(lambda uow: national.officer_requeue(uow, numbers.normalise(number)[:40],
                                                        g.principal))

    @bp.post("/national/outage")
    @ops_page(OFFICER)
    def national_outage():
        """The simulated national platform's outage switch (demos and drills)."""
        outage = request.form.get("outage") == "on"
        platform.switch.set(outage, g.principal.username)
        with runtime.uow() as uow:
            uow.audit(g.principal.username, "national_platform.outage", "national",
                      outage=outage)
            uow.commit()
        return redirect(url_for(".desk"))

    @bp.post("/batches")
    @ops_page(OFFICER)
    def new_batch():
        with runtime.uow() as uow:
            bid = batches.create(uow, request.form.get("qualification_ids", ""), g.principal)
            uow.commit()
        return redirect(url_for(".batch", bid=bid))

    return bp
