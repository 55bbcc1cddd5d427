"""API of professional titles (``/api/registration/titles/...``): the professional's profile,
archive and applications; the authorities' queue and steps; units and plans for the admin."""
from __future__ import annotations

from flask import Response, request
from marshmallow import Schema, fields

from services.common.web.api import Api
from services.registration.service_layer.titles import (
    applications,
    catalog,
    documents,
    handling,
    profiles,
)
from services.registration.web import titles_schemas as s
from services.registration.web.common import CANDIDATE

AUTHORITIES = handling.AUTHORITIES
READERS = CANDIDATE + AUTHORITIES
ADMIN = (handling.ADMIN,)
MAX_UPLOAD = 10 * 1024 * 1024


class TitlePlanQuery(Schema):
    all = fields.Boolean(load_default=False)


def register_titles(api: Api, runtime, base_url: str) -> None:
    def read(uow, application_id: str, principal):
        """The owner reads their own; staff read what was submitted to them (scope-checked)."""
        if principal.has_any("candidate"):
            found = uow.session.get(applications.TitleApplication, application_id)
            if found is not None and found.candidate_id == principal.sub:
                return applications.owned(uow, application_id, principal.sub)
        if principal.has_any(*AUTHORITIES):
            return handling.view_for_staff(uow, application_id, principal)
        return applications.owned(uow, application_id, principal.sub)

    # -- profile and archive -------------------------------------------------------------------
    @api.route("/titles/profile", response=s.TitleProfileOut, roles=CANDIDATE)
    def title_profile(principal):
        """My base profile (基本信息), copied into every new application."""
        with runtime.uow() as uow:
            return profiles.profile(uow.session, principal.sub, principal.name)

    @api.route("/titles/profile", ["PUT"], body=s.TitleProfileIn, response=s.TitleProfileOut,
               roles=CANDIDATE)
    def title_profile_save(data, principal):
        """Save my base profile (the name comes from the verified identity)."""
        with runtime.uow() as uow:
            return profiles.save_profile(uow, principal.sub, principal.name, data)

    @api.route("/titles/archive", response=s.TitleArchiveItemOut, roles=CANDIDATE)
    def title_archive(principal):
        """My performance archive (业绩档案): projects, papers, patents, awards, training."""
        with runtime.uow() as uow:
            return profiles.archive(uow.session, principal.sub)

    @api.route("/titles/archive/items", ["POST"], body=s.TitleArchiveItemIn,
               response=s.TitleArchiveItemOut, roles=CANDIDATE, status=201)
    def title_archive_add(data, principal):
        """Add an archive item."""
        with runtime.uow() as uow:
            return profiles.add_item(uow, principal.sub, data), 201

    @api.route("/titles/archive/items/<item_id>", ["PUT"], body=s.TitleArchiveItemIn,
               response=s.TitleArchiveItemOut, roles=CANDIDATE)
    def title_archive_update(item_id, data, principal):
        """Change an archive item."""
        with runtime.uow() as uow:
            return profiles.update_item(uow, principal.sub, item_id, data)

    @api.route("/titles/archive/items/<item_id>", ["DELETE"], roles=CANDIDATE)
    def title_archive_delete(item_id, principal):
        """Delete an archive item (applications keep what was synced until the next sync)."""
        with runtime.uow() as uow:
            profiles.delete_item(uow, principal.sub, item_id)
        return Response(status=204)

    # -- units and plans -------------------------------------------------------------------------
    @api.route("/titles/units", query=s.TitleUnitQuery, response=s.TitleUnitOut, roles=None)
    def title_units(args):
        """Accepting units (受理单位), searchable by name and district (属地原则)."""
        with runtime.uow() as uow:
            return catalog.units(uow.session, args["q"], args["region"])

    @api.route("/titles/units/<unit_id>", response=s.TitleUnitOut, roles=None)
    def title_unit(unit_id):
        """One unit: contact, notice (申报须知) and attachment rules (附件要求)."""
        with runtime.uow() as uow:
            return catalog.unit(uow.session, unit_id)

    @api.route("/titles/units", ["POST"], body=s.TitleUnitIn, response=s.TitleUnitOut, roles=ADMIN,
               status=201)
    def title_unit_create(data, principal):
        """Enable an accepting unit (title admin)."""
        with runtime.uow() as uow:
            return catalog.save_unit(uow, data, principal.username or principal.sub), 201

    @api.route("/titles/units/<unit_id>", ["PUT"], body=s.TitleUnitIn, response=s.TitleUnitOut,
               roles=ADMIN)
    def title_unit_update(unit_id, data, principal):
        """Change an accepting unit (title admin)."""
        with runtime.uow() as uow:
            return catalog.save_unit(uow, data, principal.username or principal.sub, unit_id)

    @api.route("/titles/plans", query=TitlePlanQuery, response=s.TitlePlanOut, roles=None)
    def title_plans(args):
        """Review plans open for applications now (``?all=true``: every plan)."""
        from services.common import clock
        with runtime.uow() as uow:
            return catalog.plans(uow.session, open_at=None if args["all"] else clock.now())

    @api.route("/titles/plans/<plan_id>", response=s.TitlePlanOut, roles=None)
    def title_plan(plan_id):
        """One review plan: window, fee, committee, titles, specialties, attachment rules."""
        with runtime.uow() as uow:
            return catalog.plan(uow.session, plan_id)

    @api.route("/titles/plans", ["POST"], body=s.TitlePlanIn, response=s.TitlePlanOut, roles=ADMIN,
               status=201)
    def title_plan_create(data, principal):
        """Publish a review plan (title admin)."""
        with runtime.uow() as uow:
            return catalog.save_plan(uow, data, principal.username or principal.sub), 201

    @api.route("/titles/plans/<plan_id>", ["PUT"], body=s.TitlePlanUpdateIn, response=s.TitlePlanOut,
               roles=ADMIN)
    def title_plan_update(plan_id, data, principal):
        """Change a review plan (any subset of its fields; title admin)."""
        with runtime.uow() as uow:
            return catalog.save_plan(uow, data, principal.username or principal.sub, plan_id)

    # -- the professional's applications ------------------------------------------------------------
    @api.route("/titles/applications", ["POST"], body=s.TitleCreateIn, response=s.TitleApplicationOut,
               roles=CANDIDATE, status=201)
    def title_create(data, principal):
        """Sign the integrity pledge and open an application (draft, 待填报)."""
        with runtime.uow() as uow:
            application = applications.create(uow, candidate_id=principal.sub,
                                              name=principal.name, data=data)
            return applications.view(uow.session, application, owner=True), 201

    @api.route("/titles/applications", response=s.TitleSummaryOut, roles=CANDIDATE)
    def title_mine(principal):
        """My applications (abandoned ones hidden), newest first."""
        with runtime.uow() as uow:
            return [applications.summary(a) for a in applications.mine(uow.session, principal.sub)]

    @api.route("/titles/applications/<application_id>", response=s.TitleApplicationOut, roles=READERS)
    def title_get(application_id, principal):
        """An application with its sections, completeness, return reasons and allowed actions
        (the phone in full for its owner, masked for the authorities)."""
        with runtime.uow() as uow:
            application = read(uow, application_id, principal)
            return applications.view(uow.session, application,
                                     owner=applications.is_owner(application, principal))

    def section_route(section: str, schema, value):
        def save(application_id, data, principal):
            with runtime.uow() as uow:
                application = applications.save_section(uow, application_id, principal.sub,
                                                        section, value(data))
                return applications.view(uow.session, application, owner=True)
        save.__name__ = f"title_section_{section}"
        save.__doc__ = f"Save the {section} section (save-as-you-go; editable states only)."
        api.route(f"/titles/applications/<application_id>/sections/{section}", ["PUT"],
                  body=schema, response=s.TitleApplicationOut, roles=CANDIDATE)(save)

    section_route("basic", s.TitleBasicIn, lambda d: d)
    section_route("education", s.TitleEducationIn, lambda d: d["items"])
    section_route("work_history", s.TitleWorkHistoryIn, lambda d: d["items"])
    section_route("achievements", s.TitleAchievementsIn, lambda d: d["items"])
    section_route("probation_summary", s.TitleTextIn, lambda d: d["text"])

    @api.route("/titles/applications/<application_id>/sync-archive", ["POST"],
               response=s.TitleApplicationOut, roles=CANDIDATE)
    def title_sync(application_id, principal):
        """Copy my performance archive into the achievements section."""
        with runtime.uow() as uow:
            return applications.view(uow.session, applications.sync_archive(
                uow, application_id, principal.sub), owner=True)

    @api.route("/titles/applications/<application_id>/attachments", ["POST"],
               response=s.TitleAttachmentOut, roles=CANDIDATE, status=201)
    def title_attach(application_id, principal):
        """Upload an attachment (multipart ``file`` + ``label``): PDF by content, < 10 MB."""
        upload = request.files.get("file")
        content = upload.read(MAX_UPLOAD + 1) if upload is not None else b""
        with runtime.uow() as uow:
            return applications.add_attachment(
                uow, application_id, principal.sub, label=request.form.get("label", ""),
                filename=upload.filename if upload is not None else "", content=content), 201

    @api.route("/titles/applications/<application_id>/attachments/<attachment_id>",
               roles=READERS)
    def title_attachment(application_id, attachment_id, principal):
        """Download an attachment (the owner, or staff who may see the application)."""
        with runtime.uow() as uow:
            read(uow, application_id, principal)
            row = applications.attachment_content(uow.session, application_id, attachment_id)
        return Response(row.content, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="attachment-{row.id}.pdf"',
            "Cache-Control": "private, no-store"})

    @api.route("/titles/applications/<application_id>/attachments/<attachment_id>", ["DELETE"],
               roles=CANDIDATE)
    def title_attachment_delete(application_id, attachment_id, principal):
        """Remove an attachment while the application is editable."""
        with runtime.uow() as uow:
            applications.delete_attachment(uow, application_id, principal.sub, attachment_id)
        return Response(status=204)

    @api.route("/titles/applications/<application_id>/submit", ["POST"],
               response=s.TitleApplicationOut, roles=CANDIDATE)
    def title_submit(application_id, principal):
        """Submit (or resubmit) to the accepting unit; every required section must be complete."""
        with runtime.uow() as uow:
            return applications.view(uow.session, applications.submit(
                uow, application_id, principal.sub, principal.name), owner=True)

    @api.route("/titles/applications/<application_id>/withdraw", ["POST"],
               response=s.TitleApplicationOut, roles=CANDIDATE)
    def title_withdraw(application_id, principal):
        """Withdraw while the unit has not started its review."""
        with runtime.uow() as uow:
            return applications.view(uow.session, applications.withdraw(
                uow, application_id, principal.sub, principal.name), owner=True)

    @api.route("/titles/applications/<application_id>", ["DELETE"], roles=CANDIDATE)
    def title_abandon(application_id, principal):
        """Delete = abandon (draft, withdrawn or returned only); kept, hidden from my list."""
        with runtime.uow() as uow:
            applications.abandon(uow, application_id, principal.sub, principal.name)
        return Response(status=204)

    @api.route("/titles/applications/<application_id>/form.pdf", roles=READERS)
    def title_form_pdf(application_id, principal):
        """The application form (申报书 / 评审表) as an A4 PDF; the phone in full on the owner's
        download only."""
        with runtime.uow() as uow:
            application = read(uow, application_id, principal)
            form = documents.form(uow.session, application, base_url,
                                  owner=applications.is_owner(application, principal))
            number, owner = application.application_number, application.candidate_id
        pdf = documents.form_document(form, owner, runtime.services["holder_photos"])
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="title-application-{number}.pdf"',
            "Cache-Control": "private, no-store"})

    @api.route("/titles/applications/<application_id>/record", response=s.TitleRecordOut,
               roles=READERS)
    def title_record(application_id, principal):
        """The handling record (办理记录), newest first, with the pending holder and deadline."""
        with runtime.uow() as uow:
            return applications.record(read(uow, application_id, principal))

    # -- the authorities -----------------------------------------------------------------------------
    @api.route("/titles/queue", response=s.TitleQueueItemOut, roles=AUTHORITIES)
    def title_queue(principal):
        """What waits for me (unit / reviewing authority / committee), soonest deadline first."""
        with runtime.uow() as uow:
            return handling.queue(uow.session, principal)

    def step(rule: str, name: str, schema, fn, doc: str):
        def act(application_id, data, principal):
            with runtime.uow() as uow:
                return applications.view(uow.session, fn(uow, application_id, principal, data),
                                         owner=False)
        act.__name__, act.__doc__ = name, doc
        api.route(f"/titles/applications/<application_id>/{rule}", ["POST"], body=schema,
                  response=s.TitleApplicationOut, roles=AUTHORITIES)(act)

    step("return", "title_return", s.TitleReasonIn,
         lambda uow, i, p, d: handling.return_(uow, i, p, d["reason"]),
         "Return to the professional with a reason (unit: submitted; authority: forwarded).")
    step("forward", "title_forward", s.TitleNoteIn,
         lambda uow, i, p, d: handling.forward(uow, i, p, d["note"]),
         "Forward a 职称评审 application to the reviewing authority (unit).")
    step("approve", "title_approve", s.TitleNoteIn,
         lambda uow, i, p, d: handling.unit_decide(uow, i, p, approved=True, note=d["note"]),
         "Approve a 职称初定 / 职称确认 application (unit): decided, certificate follows.")
    step("reject", "title_reject", s.TitleReasonIn,
         lambda uow, i, p, d: handling.unit_decide(uow, i, p, approved=False, note=d["reason"]),
         "Do not approve a 职称初定 / 职称确认 application, with the reason (unit).")
    step("schedule", "title_schedule", s.TitleScheduleIn,
         lambda uow, i, p, d: handling.schedule(uow, i, p, d["meeting_on"]),
         "Put a forwarded application before the committee on a meeting date (authority).")
    step("decide", "title_decide", s.TitleVotesIn,
         lambda uow, i, p, d: handling.committee_decide(
             uow, i, p, votes_for=d["votes_for"], votes_against=d["votes_against"],
             votes_abstain=d["votes_abstain"], note=d["note"]),
         "Record the committee's vote (passes with at least 2/3 of those present for).")
