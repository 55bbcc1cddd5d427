"""The application form PDF: what the professional filled, section by section. The phone is
printed in full only on the professional's own download (to sign and file); the authorities'
copies show it masked like their screens."""
from __future__ import annotations

from services.registration.domain.titles.application import TitleApplication
from services.registration.domain.titles.sections import ARCHIVE_KINDS, BASIC_FIELDS
from services.registration.service_layer.titles import applications


def _row(item: dict, *keys: str) -> str:
    return "　".join(str(item.get(k)) for k in keys if item.get(k))


def form_document(sheet, candidate_id: str, photos) -> bytes:
    """The form (a ``form``) as an A4 PDF with the professional's locked photo, asked of identity
    outside the transaction; a placeholder says why when there is none."""
    from services.registration.adapters.title_form_pdf import render
    return render(sheet, photo=photos.fetch(candidate_id))


def form(session, application: TitleApplication, base_url: str, *, owner: bool):
    """What the PDF prints (a ``TitleForm``)."""
    from services.registration.adapters.title_form_pdf import TitleForm

    basic = applications.basic_for(application, owner=owner)
    heading = "职称评审表" if application.is_review else f"{application.type_label}申报书"
    lines = [("申报项目", application.type_label),
             ("申报计划" if application.plan_id else "受理单位",
              application.plan_name or application.unit_name),
             ("受理单位", application.unit_name),
             ("申报职称", f"{application.series} {application.title_name}（{application.title_level}）"),
             ("申报专业", application.specialty or "—")]
    lines += [(label, str(basic[key])) for key, label in BASIC_FIELDS.items() if basic.get(key)]
    sections = [
        ("学历学位", [_row(e, "start", "end", "school", "education", "degree", "major")
                  for e in application.education]),
        ("工作经历", [_row(w, "start", "end", "employer", "position", "duties")
                  for w in application.work_history]),
        ("主要工作成绩及业绩材料", [
            f"【{ARCHIVE_KINDS.get(a.get('kind'), a.get('kind') or '业绩')}】"
            + _row(a, "date", "title", "role", "description") for a in application.achievements]),
    ]
    if application.application_type == "initial" or application.probation_summary:
        sections.append(("见习期工作小结", [application.probation_summary or ""]))
    sections.append(("附件材料", [f"{a['label']}：{a['filename']}（{a['size'] // 1024 + 1} KB）"
                              for a in applications.attachments(session, application.id)]))
    return TitleForm(
        title=f"{application.plan_name or ''}{heading}" if application.plan_name else heading,
        application_number=application.application_number,
        state_label=application.state_label, lines=lines, sections=sections,
        status_url=f"{base_url.rstrip('/')}/titles/applications/{application.id}",
        footer=application.issuing_authority or application.unit_name)
