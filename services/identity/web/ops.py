"""Identity's ops dashboard: accounts (search through the keyed hash), login history, unlock,
forced password reset, staff accounts and roles, the photo review queue, the SMS / e-mail log
and the audit log. Every staff view of an unmasked value is written to the audit log."""
from __future__ import annotations

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from services.common.auth import ROLES
from services.common.errors import DomainError, Forbidden, NotFound
from services.common.web.ops import ops_page
from services.identity.adapters.orm import accounts, outbound_messages
from services.identity.domain import documents
from services.identity.domain.model import Account
from services.identity.service_layer import logins, photos, staff

ADMIN, AUDITOR, REVIEWER = "platform_admin", "auditor", "reviewer"


def _row(a: Account) -> dict:
    return {"id": a.id, "username": a.username, "name": a.name, "roles": a.roles,
            "document": documents.mask(a.document_number),
            "phone": documents.mask_phone(a.phone) if a.phone else "",
            "created_at": a.created_at, "locked": bool(a.locked_until), "scope": a.scope or {},
            "totp": a.totp_enrolled_at is not None, "must_change": a.must_change_password,
            "phone_verified": a.phone_verified_at is not None,
            "email_verified": a.email_verified_at is not None}


def _scope_of(form) -> dict:
    """The scope fields of the staff forms; the service keeps those the chosen roles read."""
    return {k: form.get(k) for k in ("province", "review_point", "unit_id", "committee")}


def _may_review_photos(principal) -> None:
    """A locked photo is printed on every province's admit cards and certificates, and identity
    does not know where a candidate applies: photo review is national, for platform admins and
    reviewers without a province scope, not for a province's reviewers."""
    if not principal.has_any(ADMIN) and (principal.scope or {}).get("province"):
        raise Forbidden("照片审核由平台管理员（或不限省份的审核人员）负责，省级审核人员无此权限",
                        code="photo_review_national")


def ops_blueprint(runtime) -> Blueprint:
    bp = Blueprint("identity_ops", __name__, url_prefix="/ops/identity")
    cipher = runtime.services["cipher"]

    @bp.get("/")
    @ops_page(ADMIN, AUDITOR)
    def index():
        q = (request.args.get("q") or "").strip()
        with runtime.uow() as uow:
            query = uow.session.query(Account)
            if q:
                hashes = [cipher.lookup_hash(f"{t}:{documents.normalise(t, q)}")
                          for t in documents.DOCUMENT_TYPES]
                query = query.filter((Account.document_hash.in_(hashes))
                                     | (Account.phone_hash == cipher.lookup_hash(q))
                                     | (Account._username_lower == q.lower()))
            rows = query.order_by(Account.created_at.desc()).limit(100).all()
            total = uow.session.execute(select(func.count()).select_from(accounts)).scalar()
            view = [_row(a) for a in rows]
        return render_template("identity/ops_index.html", rows=view, q=q, total=total)

    @bp.get("/accounts/<account_id>")
    @ops_page(ADMIN, AUDITOR)
    def account(account_id: str):
        reveal = request.args.get("reveal") if g.principal.has_any(ADMIN) else None
        with runtime.uow() as uow:
            a = uow.session.get(Account, account_id)
            if a is None:
                raise NotFound("没有这个账号", code="account_not_found")
            row = _row(a)
            revealed = None
            if reveal in ("document", "phone"):
                revealed = a.document_number if reveal == "document" else (a.phone or "")
                uow.audit(g.principal.username, f"reveal.{reveal}", a.id,
                          reason=(request.args.get("reason") or "")[:200])
                uow.commit()
            history = logins.history(uow, a.id, limit=100)
        return render_template("identity/ops_account.html", a=row, history=history,
                               revealed=revealed, reveal=reveal,
                               staff_roles=staff.ASSIGNABLE, role_names=ROLES)

    @bp.post("/accounts/<account_id>/<action>")
    @ops_page(ADMIN)
    def account_action(account_id: str, action: str):
        actor = g.principal.username
        with runtime.uow() as uow:
            if action == "unlock":
                staff.unlock(uow, actor=actor, account_id=account_id)
            elif action == "force-reset":
                staff.force_password_reset(uow, actor=actor, account_id=account_id)
            elif action == "reset-totp":
                staff.reset_totp(uow, actor=actor, account_id=account_id)
            elif action == "roles":
                staff.set_roles(uow, actor=actor, account_id=account_id,
                                roles=request.form.getlist("roles"),
                                scope=_scope_of(request.form))
            else:
                raise NotFound("没有这个操作")
        return redirect(url_for(".account", account_id=account_id))

    @bp.route("/staff/new", methods=["GET", "POST"])
    @ops_page(ADMIN)
    def new_staff():
        made, error = None, None
        if request.method == "POST":
            f = request.form
            try:
                with runtime.uow() as uow:
                    acc, password = staff.create(
                        uow, cipher, actor=g.principal.username, username=f.get("username", ""),
                        name=f.get("name", ""), document_type=f.get("document_type", ""),
                        document_number=f.get("document_number", ""), roles=f.getlist("roles"),
                        scope=_scope_of(f))
                made = {"id": acc.id, "username": acc.username, "password": password}
            except DomainError as exc:  # shown above the form, the input kept
                error = exc.message
        return render_template("identity/ops_staff_new.html", made=made, error=error,
                               form=request.form, staff_roles=staff.ASSIGNABLE,
                               document_types=documents.DOCUMENT_TYPES), 422 if error else 200

    @bp.get("/photos")
    @ops_page(ADMIN, REVIEWER)
    def photo_queue():
        _may_review_photos(g.principal)
        with runtime.uow() as uow:
            rows = photos.queue(uow)
            names = {a.id: (a.name, a.username) for a in uow.session.query(Account).filter(
                Account.id.in_([r.account_id for r in rows])).all()} if rows else {}
        return render_template("identity/ops_photos.html", rows=rows, names=names)

    @bp.get("/photos/<photo_id>.jpg")
    @ops_page(ADMIN, REVIEWER)
    def photo_image(photo_id: str):
        _may_review_photos(g.principal)
        with runtime.uow() as uow:
            return Response(photos.image(uow, photo_id), mimetype="image/jpeg")

    @bp.post("/photos/<photo_id>/<decision>")
    @ops_page(ADMIN, REVIEWER)
    def photo_review(photo_id: str, decision: str):
        if decision not in ("approve", "reject"):
            raise NotFound("没有这个操作")
        _may_review_photos(g.principal)
        with runtime.uow() as uow:
            photos.review(uow, photo_id, decision == "approve", g.principal.username,
                          request.form.get("reason"))
        return redirect(url_for(".photo_queue"))

    @bp.get("/sms")
    @ops_page(ADMIN)
    def messages():
        """The SMS / e-mail log: what was sent, to whom (masked), when. Bodies carry live codes
        and reset links: in production they are not even read, let alone shown."""
        m, sandbox = outbound_messages, not runtime.settings.production
        columns = [m.c.created_at, m.c.channel, m.c.recipient_masked, m.c.purpose]
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(*columns, *([m.c.body] if sandbox else []))
                                .order_by(m.c.created_at.desc()).limit(200)).all()
        return render_template("identity/ops_messages.html", rows=rows, sandbox=sandbox)

    @bp.get("/audit")
    @ops_page(AUDITOR, ADMIN)
    def audit():
        t = runtime.tables.audit_log
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.id.desc()).limit(300)).all()
        return render_template("identity/ops_audit.html", rows=rows)

    return bp
