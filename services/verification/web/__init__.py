"""Verification's web layer: thin routes over the service layer."""
from __future__ import annotations

from pathlib import Path

from services.common.web.api import Api
from services.common.web.app import create_service_app
from services.verification.service_layer import registry
from services.verification.web import eligibility_api, review_api, schemas, views
from services.verification.web.ops import ops_blueprint

REGISTRY_ROLES = ("reviewer", "exam_admin", "platform_admin")


def create_app(runtime=None, verifier=None):
    if runtime is None:
        from services.verification.bootstrap import bootstrap
        runtime = bootstrap()
    chsi = runtime.services["education_registry"]
    api = Api("verification", "Verification",
              "Checks of candidates' education (later degree and identity) against registries.")

    @api.route("/me/checks", response=schemas.CheckWithReviewOut)
    def my_checks(principal):
        """My checks, where they stand, and the manual review's status, decision and reason."""
        with runtime.uow() as uow:
            return views.my_checks(uow, principal.sub)

    @api.route("/registry/education", ["POST"], body=schemas.EducationRecordIn,
               response=schemas.EducationRecordOut, roles=REGISTRY_ROLES, status=201)
    def add_education_record(data, principal):
        """Add a diploma to the simulated education registry (学信网) for demos and tests."""
        with runtime.uow() as uow:
            return registry.add_education_record(uow, chsi, actor=principal.username, **data)

    @api.route("/registry/education", query=schemas.RecordsQuery,
               response=schemas.EducationRecordOut, roles=REGISTRY_ROLES)
    def list_education_records(args):
        """The simulated education registry's records, newest first (``q``: number or name)."""
        return chsi.records(args.get("q"), args["limit"])

    degree = runtime.services["degree_registry"]
    people = runtime.services["identity_registry"]

    @api.route("/registry/degree", ["POST"], body=schemas.DegreeRecordIn,
               response=schemas.DegreeRecordOut, roles=REGISTRY_ROLES, status=201)
    def add_degree_record(data, principal):
        """Add a degree to the simulated degree registry (学位网) for demos and tests."""
        with runtime.uow() as uow:
            return registry.add_degree_record(uow, degree, actor=principal.username, **data)

    @api.route("/registry/degree", query=schemas.RecordsQuery,
               response=schemas.DegreeRecordOut, roles=REGISTRY_ROLES)
    def list_degree_records(args):
        """The simulated degree registry's records, newest first."""
        return degree.records(args.get("q"), args["limit"])

    @api.route("/registry/identity", ["POST"], body=schemas.IdentityRecordIn,
               response=schemas.IdentityRecordOut, roles=REGISTRY_ROLES, status=201)
    def add_identity_record(data, principal):
        """Add a person to the simulated public-security identity service."""
        with runtime.uow() as uow:
            return registry.add_identity_record(uow, people, actor=principal.username, **data)

    @api.route("/registry/identity", query=schemas.RecordsQuery,
               response=schemas.IdentityRecordOut, roles=REGISTRY_ROLES)
    def list_identity_records(args):
        """The simulated identity service's people, newest first."""
        return people.records(args.get("q"), args["limit"])

    review_api.install(api, runtime)
    eligibility_api.install(api, runtime)
    return create_service_app(runtime, api, ops=ops_blueprint(runtime), verifier=verifier,
                              template_dir=Path(__file__).parent / "templates")
