"""Admit cards (准考证) and seats.

Per exam (``exams.admit_card_mode``): ``on_payment`` issues a card as soon as payment is
confirmed, in the first free seat of the candidate's city (the walking skeleton, kept for the
demo's 统计 exam); ``allocation`` waits until the province's payment window has closed, then
draws every paid application's seat at random with a recorded seed (``domain/seats.py``).
A payment confirmed after the draw (a late notification) gets the first free seat.

Admit card number: 2-digit year + exam code + city code + the room's ordinal in the city (3)
+ seat (2), e.g. ``26JJ50010300107`` — unique per sitting because a seat is.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, insert, select

from services.common import clock
from services.common.errors import Conflict
from services.registration.adapters import orm
from services.registration.domain.application import Application
from services.registration.service_layer import catalog


def _rooms_in_city(session, city: str) -> list:
    return session.execute(
        select(orm.rooms, orm.exam_sites.c.name.label("site_name"),
               orm.exam_sites.c.address.label("site_address"))
        .join(orm.exam_sites, orm.exam_sites.c.code == orm.rooms.c.site_code)
        .where(orm.exam_sites.c.city_code == city)
        .order_by(orm.exam_sites.c.code, orm.rooms.c.number)).all()


def card_number(year: int, exam_code: str, city: str, room_ordinal: int, seat: int) -> str:
    return f"{year % 100:02d}{exam_code}{city}{room_ordinal:03d}{seat:02d}"


def issue(uow, application: Application) -> bool:
    """Give the paid application a seat and a card; False when the city has no seat left."""
    s = catalog.sitting(uow.session, application.sitting_id)
    taken: dict[str, set[int]] = {}
    for row in uow.session.execute(select(orm.admit_cards.c.room_id, orm.admit_cards.c.seat).where(
            orm.admit_cards.c.sitting_id == application.sitting_id)).all():
        taken.setdefault(row.room_id, set()).add(row.seat)
    now = clock.now()
    for ordinal, room in enumerate(_rooms_in_city(uow.session, application.city), start=1):
        free = [n for n in range(1, room.capacity + 1) if n not in taken.get(room.id, set())]
        if not free:
            continue
        number = card_number(s.year, s.exam_code, application.city, ordinal, free[0])
        uow.session.execute(insert(orm.admit_cards).values(
            number=number, application_id=application.id, sitting_id=application.sitting_id,
            room_id=room.id, seat=free[0], issued_at=now, void=False))
        application.admit_card_issued(now, number=number, exam_name=application.exam_name,
                                      site=room.site_name, room=room.name, seat=free[0])
        return True
    note = "所选地市考位已满，待考试机构增设考场后安排座位"
    if not application.history or application.history[-1]["note"] != note:
        application.remark(now, note)  # once: the job retries every minute
    return False


def on_paid(uow, application: Application) -> None:
    settings = catalog.exam_settings(uow.session, application.exam_code)
    if settings["admit_card_mode"] != "allocation" or draw(
            uow.session, application.sitting_id, application.province) is not None:
        issue(uow, application)
    else:
        application.remark(clock.now(), "缴费期结束后由系统随机编排考场和座位，届时生成准考证")


def draw(session, sitting_id: str, province: str):
    return session.execute(select(orm.seat_draws).where(
        orm.seat_draws.c.sitting_id == sitting_id,
        orm.seat_draws.c.province_code == province)).first()


def allocate(uow, sitting_id: str, province: str, *, actor: str, seed: int | None = None) -> dict:
    """Draw the seats of every paid application of a province (once; the seed is recorded)."""
    import secrets

    from services.registration.domain import seats
    from services.registration.domain.application import PAID

    s = catalog.sitting(uow.session, sitting_id)
    if draw(uow.session, sitting_id, province) is not None:
        raise Conflict("该省份本次考试已编排考场座位", code="seats_already_drawn")
    seed = secrets.randbits(63) if seed is None else seed
    paid = uow.session.query(Application).filter(
        Application.sitting_id == sitting_id, Application.province == province,
        Application.state == PAID).all()
    cities = sorted({a.city for a in paid})
    rooms, info = [], {}
    for city in cities:
        for room in _rooms_in_city(uow.session, city):
            rooms.append(seats.Room(room.id, city, room.capacity))
            info[room.id] = room
    # keyed by application number (stable across re-runs), not the random row id
    plan = seats.allocate([seats.Candidate(a.application_number, a.city, tuple(a.subjects))
                           for a in paid], rooms, seed)
    now = clock.now()
    rows = []
    for application in paid:
        uow.track(application)
        spot = plan.seats.get(application.application_number)
        if spot is None:
            application.remark(now, "所选地市考位已满，待考试机构增设考场后安排座位")
            continue
        room_id, ordinal, seat = spot
        number = card_number(s.year, s.exam_code, application.city, ordinal, seat)
        rows.append(dict(number=number, application_id=application.id, sitting_id=sitting_id,
                         room_id=room_id, seat=seat, issued_at=now, void=False))
        application.admit_card_issued(now, number=number, exam_name=application.exam_name,
                                      site=info[room_id].site_name, room=info[room_id].name,
                                      seat=seat)
    if rows:
        uow.session.execute(insert(orm.admit_cards), rows)
    uow.session.execute(insert(orm.seat_draws).values(
        sitting_id=sitting_id, province_code=province, seed=str(seed), candidates=len(paid),
        seated=len(rows), drawn_at=now, drawn_by=actor))
    uow.audit(actor, "seats.allocate", sitting_id, province=province, seed=str(seed))
    uow.commit()
    return {"sitting_id": sitting_id, "province": province, "seed": str(seed),
            "candidates": len(paid), "seated": len(rows), "unseated": len(plan.unseated)}


def allocate_due(runtime) -> int:
    """Periodic job: draw seats where the payment window has closed and no draw exists yet.
    Two workers racing lose on the draw's primary key, so a province is drawn once."""
    from sqlalchemy.exc import IntegrityError

    now = clock.now()
    with runtime.uow() as uow:
        due = uow.session.execute(
            select(orm.windows.c.sitting_id, orm.windows.c.province_code)
            .join(orm.sittings, orm.sittings.c.id == orm.windows.c.sitting_id)
            .join(orm.exams, orm.exams.c.code == orm.sittings.c.exam_code)
            .where(orm.exams.c.admit_card_mode == "allocation", orm.sittings.c.status == "open",
                   orm.windows.c.kind == "payment", orm.windows.c.ends_at < now)).all()
        done = {(r.sitting_id, r.province_code) for r in uow.session.execute(
            select(orm.seat_draws.c.sitting_id, orm.seat_draws.c.province_code)).all()}
    drawn = 0
    for sitting_id, province in done:
        seat_waiting(runtime, sitting_id, province)
    for sitting_id, province in due:
        if (sitting_id, province) in done:
            continue
        try:
            with runtime.uow() as uow:
                allocate(uow, sitting_id, province, actor="system")
                drawn += 1
        except (IntegrityError, Conflict):
            continue
    return drawn


def seat_waiting(runtime, sitting_id: str, province: str) -> int:
    """After a draw, paid applications left without a seat (the city was full) get one as soon
    as the admin adds rooms (``PUT /exam-sites/<code>/rooms/<n>``)."""
    from services.registration.domain.application import PAID

    seated = 0
    with runtime.uow() as uow:
        for application in uow.session.query(Application).filter(
                Application.sitting_id == sitting_id, Application.province == province,
                Application.state == PAID).order_by(Application.application_number).all():
            uow.track(application)
            seated += issue(uow, application)
        uow.commit()
    return seated


def check_printable(session, application: Application) -> None:
    """Allocation exams print from the admit-card window's start (a week before by default);
    the quick path keeps the skeleton's "download once issued"."""
    if catalog.exam_settings(session, application.exam_code)["admit_card_mode"] != "allocation":
        return
    window = catalog.windows(session, application.sitting_id, application.province).get("admit_card")
    if window is not None:
        window.check(clock.now())


def sessions_view(session, application: Application, exam_date: date, c=None) -> list[dict] | None:
    """Each subject's time with the site, room and seat (one seat for all sessions); ``c``: the
    card when the caller has read it already."""
    c = c if c is not None else card(session, application.id)
    if c is None:
        return None
    subjects = catalog.subject_map(session, application.sitting_id)
    out = []
    for code in application.subjects:
        sub = subjects[code]
        day = exam_date + timedelta(days=sub["day_offset"])
        out.append({"subject_code": code, "subject_name": sub["name"], "date": day,
                    "starts": sub["starts"], "ends": sub["ends"], "site": c.site_name,
                    "address": c.address, "room": c.room_name, "seat": c.seat})
    return out


def void(uow, application: Application) -> None:
    """A refunded application gives its seat back."""
    uow.session.execute(delete(orm.admit_cards).where(
        orm.admit_cards.c.application_id == application.id))


def card(session, application_id: str):
    return session.execute(
        select(orm.admit_cards, orm.rooms.c.name.label("room_name"),
               orm.exam_sites.c.name.label("site_name"), orm.exam_sites.c.address)
        .join(orm.rooms, orm.rooms.c.id == orm.admit_cards.c.room_id)
        .join(orm.exam_sites, orm.exam_sites.c.code == orm.rooms.c.site_code)
        .where(orm.admit_cards.c.application_id == application_id)).first()


def view(session, application: Application, exam_date: date, c=None) -> dict | None:
    c = c if c is not None else card(session, application.id)
    if c is None:
        return None
    return {"number": c.number, "site": c.site_name, "address": c.address, "room": c.room_name,
            "seat": c.seat, "exam_date": exam_date}


def sheet(session, application: Application, base_url: str):
    """What the card of an issued application prints (an ``AdmitCardData``; ``document`` prints
    it after the transaction)."""
    from services.registration.adapters.admit_card_pdf import AdmitCardData
    from services.registration.service_layer import projections

    c = card(session, application.id)
    if c is None:
        from services.common.errors import NotFound
        raise NotFound("准考证尚未生成", code="admit_card_not_issued")
    check_printable(session, application)
    s = catalog.sitting(session, application.sitting_id)
    subjects = catalog.subject_map(session, application.sitting_id)
    lv = catalog.level(session, application.sitting_id, application.level) or {}
    cand = projections.candidate(session, application.candidate_id)
    province = catalog.province_names(session)[application.province]
    times = []
    for code in application.subjects:
        sub = subjects[code]
        day = s.exam_date + timedelta(days=sub["day_offset"])
        times.append((sub["name"], f"{day:%Y年%m月%d日} {sub['starts']}-{sub['ends']}"))
    return AdmitCardData(
        name=(cand.name if cand and cand.name else "—"),
        document_number_masked=(cand.document_number_masked if cand and
                                cand.document_number_masked else "—"),
        application_number=application.application_number, admit_card_number=c.number,
        exam_name=f"{s.name}{application.exam_name}", level_name=lv.get("name", application.level),
        specialty_name=next((x["name"] for x in lv.get("specialties", [])
                             if x["code"] == application.specialty), None),
        subjects=times, site=c.site_name, address=c.address, room=c.room_name, seat=c.seat,
        authority=province["authority"],
        verification_url=f"{base_url.rstrip('/')}/admit-cards/{c.number}")


def document(card, candidate_id: str, photos) -> bytes:
    """The card (a ``sheet``) as an A4 PDF with the candidate's locked photo, asked of identity
    outside the transaction (no database connection waits on another service). No photo, or
    identity not answering, prints a placeholder saying which; nothing is kept, so the next
    download asks again."""
    from services.registration.adapters.admit_card_pdf import render
    return render(card, photo=photos.fetch(candidate_id))


def mask_name(name: str | None) -> str:
    """``王小明`` → ``王*明``: enough for an invigilator to match, not enough to leak."""
    if not name:
        return "—"
    return name[0] + "*" if len(name) <= 2 else name[0] + "*" * (len(name) - 2) + name[-1]


def verify(session, number: str) -> dict:
    """What the QR code on a card answers: is this card real, and for which seat."""
    from services.common.errors import NotFound
    from services.registration.service_layer import projections

    row = session.execute(select(orm.admit_cards.c.application_id).where(
        orm.admit_cards.c.number == number)).first()
    if row is None:
        raise NotFound("没有找到该准考证，请核对准考证号", code="admit_card_not_found")
    application = session.get(Application, row.application_id)
    c = card(session, application.id)
    s = catalog.sitting(session, application.sitting_id)
    cand = projections.candidate(session, application.candidate_id)
    return {"number": number, "valid": True, "holder_name_masked": mask_name(cand.name if cand else None),
            "exam_name": f"{s.name}{application.exam_name}", "site": c.site_name, "room": c.room_name,
            "seat": c.seat, "exam_date": s.exam_date}
