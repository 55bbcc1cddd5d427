"""API routes of the eligibility data: major relation, work years, integrity records."""
from __future__ import annotations

from services.common import clock
from services.common.errors import Forbidden
from services.verification.domain.work_years import Period, work_years
from services.verification.service_layer import eligibility
from services.verification.web import schemas

TABLE_ADMINS = ("platform_admin", "exam_admin")
STAFF_READ = ("reviewer", "exam_admin", "platform_admin", "auditor")
WORK_RULE = ("计算截止到报考年度 12 月 31 日；全日制学历（位）从毕业后参加工作起算；非全日制学历（位）"
             "业余学习期间可累计计算，脱产学习期间不计算；重叠的工作经历只计一次")


def install(api, runtime) -> None:
    store = runtime.services["major_table"]

    @api.route("/majors/relation", query=schemas.MajorRelationQuery,
               response=schemas.MajorRelationOut)
    def major_relation(args):
        """Own / related / other major for an exam and level (unknown → other, manual check)."""
        return eligibility.major_relation(store, args["exam"], args.get("level"), args["major"])

    @api.route("/majors/table")
    def major_table():
        """The current major-equivalence table with its version."""
        table = store.current()
        return {"table_version": table.version, "data": table.data}

    @api.route("/majors/table/versions", response=schemas.MajorTableVersionOut,
               roles=STAFF_READ)
    def major_table_versions():
        """Every saved version, newest first."""
        return store.versions()

    @api.route("/majors/table", ["PUT"], body=schemas.MajorTableIn, roles=TABLE_ADMINS,
               status=201)
    def save_major_table(data, principal):
        """Save an edited table as a new version (``expected_version`` guards lost updates)."""
        with runtime.uow() as uow:
            return eligibility.save_major_table(uow, store, data["data"],
                                                actor=principal.username, note=data["note"],
                                                expected_version=data["expected_version"])

    @api.route("/work-years", query=schemas.WorkYearsQuery, response=schemas.WorkYearsOut)
    def count_work_years(args):
        """Professional work years to 31 December of the exam year (seed 004).

        ``work`` / ``off_work_study``: ``start..end`` periods, comma-separated, end empty when
        still running.
        """
        r = work_years(exam_year=args["exam_year"], study_mode=args["study_mode"],
                       graduation_date=args["graduation_date"],
                       work=[Period(s, e) for s, e in args["work"]],
                       off_work_study=[Period(s, e) for s, e in args["off_work_study"]])
        return {"years": r.years, "months": r.months, "days": r.days, "cutoff": r.cutoff,
                "counted": [{"start": p.start.isoformat(), "end": p.end.isoformat()}
                            for p in r.counted], "rule": WORK_RULE}

    @api.route("/integrity/<candidate_id>", query=schemas.IntegrityQuery,
               response=schemas.IntegrityStatusOut)
    def integrity_status(candidate_id, args, principal):
        """Whether the candidate is on the integrity list on ``on`` (default today, Beijing).

        Staff may ask about anyone; a candidate about themselves (registration forwards the
        candidate's token when they choose commitment mode).
        """
        if not principal.is_staff and principal.sub != candidate_id:
            raise Forbidden("只能查询本人的诚信记录", code="not_own_record")
        from services.verification.domain.calendar import BEIJING
        on = args.get("on") or clock.now().astimezone(BEIJING).date()
        with runtime.uow() as uow:
            return eligibility.integrity_status(uow.session, candidate_id, on)

    @api.route("/integrity", query=schemas.IntegrityListQuery,
               response=schemas.IntegrityRecordOut, roles=STAFF_READ)
    def integrity_list(args):
        """Integrity records, newest first (``q``: candidate id or name), removed ones too."""
        with runtime.uow() as uow:
            return eligibility.integrity_list(uow.session, args.get("q"))

    @api.route("/integrity", ["POST"], body=schemas.IntegrityIn,
               response=schemas.IntegrityRecordOut, roles=TABLE_ADMINS, status=201)
    def add_integrity_record(data, principal):
        """List a person for a period, with a reason (audited)."""
        with runtime.uow() as uow:
            return eligibility.add_integrity_record(uow, actor=principal.username, **data)

    @api.route("/integrity/records/<record_id>/removal", ["POST"], body=schemas.RemovalIn,
               response=schemas.IntegrityRecordOut, roles=TABLE_ADMINS)
    def remove_integrity_record(record_id, data, principal):
        """Remove a record, with a reason (audited; the row is kept)."""
        with runtime.uow() as uow:
            return eligibility.remove_integrity_record(uow, actor=principal.username,
                                                       record_id=record_id, **data)
