"""Ops dashboard plumbing: role checks on every page, and the dead-letter page all share."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import wraps

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy import select

from services.common import clock
from services.common.auth import ROLES
from services.common.errors import Conflict, Forbidden, NotFound, Unauthorized
from services.common.web.device import device

SERVICE_TITLES = {"identity": "账户与身份", "verification": "资格核验", "registration": "报名与考务",
                  "payment": "缴费与对账", "certificates": "证书"}


def ops_page(*roles: str):
    """Every dashboard route names the roles that may see it; nothing is open by default."""
    if not roles:
        raise ValueError("an ops page must name its roles")

    def decorate(fn):
        @wraps(fn)
        def view(*args, **kwargs):
            principal = g.get("principal")
            if principal is None:
                raise Unauthorized("请先以工作人员身份登录", code="login_required")
            if not principal.has_any(*roles):
                raise Forbidden("您的角色无权访问此页面", code="role_required")
            return fn(*args, **kwargs)
        view.ops_roles = roles
        return view
    return decorate


BEIJING = timezone(timedelta(hours=8), "CST")


def beijing(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Staff read Beijing time like everyone else; stored times are UTC (SQLite returns them
    without a zone; JSON records keep them as ISO text)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).strftime(fmt)


SCOPE_LABELS = {"province": "省份", "city": "城市", "review_point": "审核点", "unit_id": "受理单位",
                "committee": "评委会"}


def scope_text(scope: dict | None, names: dict | None = None) -> str:
    """A staff member's scope as they read it ("省份 重庆市；审核点 全部"), not a dict; ``names``
    turns codes and ids into names where the page knows them."""
    names = names or {}
    return "；".join(f"{SCOPE_LABELS.get(k, k)} {names.get(v, v) if v else '全部'}"
                    for k, v in (scope or {}).items())


def install_ops_context(app, runtime) -> None:
    app.jinja_env.filters.setdefault("beijing", beijing)
    app.jinja_env.filters.setdefault("device", device)
    app.jinja_env.filters.setdefault("scope", scope_text)

    @app.context_processor
    def _ops_context():
        return {"service_name": runtime.name, "service_title": SERVICE_TITLES.get(runtime.name,
                runtime.name), "principal": g.get("principal"), "role_names": ROLES,
                "csrf_token": g.get("csrf_token", "")}


def dead_letters_blueprint(runtime) -> Blueprint:
    bp = Blueprint(f"{runtime.name}_dead_letters", __name__,
                   url_prefix=f"/ops/{runtime.name}/dead-letters")
    t = runtime.tables.dead_letters

    @bp.get("/")
    @ops_page("platform_admin", "auditor")
    def index():
        status = request.args.get("status", "parked")
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.status == status)
                                .order_by(t.c.parked_at.desc()).limit(200)).all()
        return render_template("ops/dead_letters.html", rows=rows, status=status)

    @bp.post("/<path:row_id>/<action>")
    @ops_page("platform_admin")
    def resolve(row_id: str, action: str):
        if action not in ("replay", "discard"):
            raise NotFound("没有这个操作")
        with runtime.uow() as uow:
            row = uow.session.execute(select(t).where(t.c.id == row_id)).first()
            if row is None:
                raise NotFound("没有这条死信")
            if row.status != "parked":
                raise Conflict(f"这条死信已处理（{row.status}）", code="already_resolved")
            if action == "replay":
                runtime.transport.redeliver(row.queue, row.payload.encode())
            uow.session.execute(t.update().where(t.c.id == row_id).values(
                status="replayed" if action == "replay" else "discarded",
                resolved_by=g.principal.username, resolved_at=clock.now()))
            uow.audit(g.principal.username, f"dead_letter.{action}", row_id,
                      queue=row.queue, event_type=row.event_type)
            uow.commit()
        return redirect(url_for(".index"))

    return bp
