"""What staff do to the simulated registries: add records, switch an outage on and off."""
from __future__ import annotations

from services.common.errors import Conflict
from services.verification.adapters.registries import RecordExists, RegistrySwitches, SimulatedChsi
from services.verification.domain.registries import EducationRecord
from services.verification.domain.rules import normalise_number
from services.verification.service_layer.checks import requeue_for_number


def add_education_record(uow, chsi: SimulatedChsi, *, actor: str, certificate_number: str,
                         name: str, level: str, school: str, major: str, graduation_date,
                         study_mode: str) -> dict:
    """Add a diploma to the simulated CHSI; checks that failed for want of it run again."""
    record = EducationRecord(certificate_number=normalise_number(certificate_number),
                             name=name.strip(), level=level, school=school.strip(),
                             major=major.strip(), graduation_date=graduation_date,
                             study_mode=study_mode)
    try:
        row = chsi.add(record, added_by=actor)
    except RecordExists:
        raise Conflict("学信网模拟库中已有该学历证书编号", code="registry_record_exists",
                       field="certificate_number") from None
    requeued = requeue_for_number(uow, record.certificate_number)
    uow.audit(actor, "registry.education.added", record.certificate_number, requeued=requeued)
    uow.commit()
    return {**row, "requeued": requeued}


def set_outage(uow, switches: RegistrySwitches, registry: str, outage: bool, *, actor: str
               ) -> None:
    switches.set(registry, outage, actor)
    uow.audit(actor, "registry.outage." + ("on" if outage else "off"), registry)
    uow.commit()


def add_degree_record(uow, registry, *, actor: str, certificate_number: str, name: str,
                      level: str, degree_type: str, school: str, major: str, awarded_date
                      ) -> dict:
    """Add a degree to the simulated degree registry (学位网)."""
    values = {"certificate_number": normalise_number(certificate_number), "name": name.strip(),
              "level": level, "degree_type": degree_type.strip(), "school": school.strip(),
              "major": major.strip(), "awarded_date": awarded_date}
    try:
        row = registry.add_row(values, added_by=actor)
    except RecordExists:
        raise Conflict("学位网模拟库中已有该学位证书编号", code="registry_record_exists",
                       field="certificate_number") from None
    uow.audit(actor, "registry.degree.added", values["certificate_number"])
    uow.commit()
    return row


def add_identity_record(uow, registry, *, actor: str, document_number: str, name: str,
                        status: str = "valid") -> dict:
    """Add a person to the simulated public-security identity service."""
    values = {"document_number": normalise_number(document_number), "name": name.strip(),
              "status": status}
    try:
        row = registry.add_row(values, added_by=actor)
    except RecordExists:
        raise Conflict("公安身份核查模拟库中已有该证件号码", code="registry_record_exists",
                       field="document_number") from None
    uow.audit(actor, "registry.identity.added", values["document_number"][:6] + "…")
    uow.commit()
    return row
