"""The staff entrance: which dashboards each role may open (every service checks again)."""
from __future__ import annotations

from flask import Blueprint, render_template

from gateway import session as user_session

bp = Blueprint("ops", __name__)

DASHBOARDS = [
    ("identity", "账户与身份", "账户查询、登录记录、照片审核、短信与审计日志",
     {"platform_admin", "auditor", "reviewer"}),
    ("verification", "资格核验", "学历核验队列、人工核验、模拟学信网记录",
     {"reviewer", "exam_admin", "platform_admin", "auditor"}),
    ("registration", "报名与考务", "报名漏斗、资格审核、成绩导入与发布", {"exam_admin", "reviewer", "auditor"}),
    ("payment", "缴费与对账", "订单、对账、退费与减免", {"finance", "auditor"}),
    ("certificates", "证书", "证书签发、查验、补正与吊销", {"certificate_officer", "auditor"}),
]
# Professional titles (seed 003): registration's title pages, one tile per role.
TITLE_ROLES = {"title_unit", "title_admin", "title_committee"}
TITLE_BOARDS = [
    ("registration/titles/", "职称申报受理", "受理单位：审核申报书，退回或通过（初定、确认）、转报（评审）",
     {"title_unit"}),
    ("registration/titles/", "职称评审管理", "评审计划与受理单位设置，安排评审会议或退回",
     {"title_admin"}),
    ("registration/titles/", "评审委员会", "录入评审会议表决结果", {"title_committee"}),
]
DEAD_LETTER_ROLES = {"platform_admin", "auditor"}


def allowed(service: str, roles: set[str], path: str = "") -> bool:
    if path.startswith("dead-letters"):
        return bool(roles & DEAD_LETTER_ROLES)
    if service == "registration" and (path == "titles" or path.startswith("titles/")) \
            and roles & TITLE_ROLES:
        return True  # registration checks role and scope (unit) again on every page
    return any(s == service and roles & r for s, _, _, r in DASHBOARDS)


@bp.get("/ops/")
@user_session.login_required()
def index():
    roles = user_session.roles()
    boards = [(s + "/", title, desc) for s, title, desc, r in DASHBOARDS if roles & r]
    boards += [(path, title, desc) for path, title, desc, r in TITLE_BOARDS if roles & r]
    return render_template("ops_index.html", boards=boards,
                           dead_letters=bool(roles & DEAD_LETTER_ROLES))
