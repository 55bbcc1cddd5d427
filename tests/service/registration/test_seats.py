"""Seats drawn when the payment window closes (allocation exams), cards printable from their day."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.registration.adapters import orm
from services.registration.service_layer import admit_cards

API = "/api/registration"
JJ = {"sitting_id": "2026-JJ", "province": "44", "level": "01", "specialty": "01"}


@pytest.fixture(autouse=True)
def _full_configuration(full_jj):
    """These tests use 经济 configured like the demo's 二级建造师 (see conftest.FULL)."""


def paid_jj(reg, sub, city="440100", subjects=("JJ101", "JJ102")):
    app = reg.apply(dict(JJ, city=city, subjects=list(subjects)), sub=sub).json
    assert app["state"] == "under_review"  # online review
    r = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=reg.admin(),
                        json={"outcome": "approve"})
    assert r.status_code == 200, r.json
    reg.pay(dict(r.json, candidate_id=sub), order_number=f"O-{sub}")
    return reg.get(app["id"], sub=sub)


def close_payment(reg):
    with reg.rt.engine.begin() as conn:
        conn.execute(orm.windows.update().where(orm.windows.c.kind == "payment",
                                                orm.windows.c.sitting_id == "2026-JJ")
                     .values(ends_at=datetime.now(UTC) - timedelta(minutes=1)))


def seats(reg):
    with reg.rt.engine.connect() as conn:
        return {r.application_id: (r.number, r.room_id, r.seat) for r in conn.execute(
            select(orm.admit_cards)).all()}


def test_window_close_draws_seats_once_with_a_recorded_seed(reg):
    apps = [paid_jj(reg, f"c{i}", subjects=("JJ101", "JJ102") if i % 3 else ("JJ101",))
            for i in range(7)]
    apps.append(paid_jj(reg, "c-sz", city="440300"))
    assert all(a["state"] == "paid" and a["admit_card"] is None for a in apps)
    assert admit_cards.allocate_due(reg.rt) == 0  # the payment window is still open
    close_payment(reg)
    assert admit_cards.allocate_due(reg.rt) == 2  # Guangdong and Chongqing (nobody paid there)
    assert admit_cards.allocate_due(reg.rt) == 0  # once
    with reg.rt.engine.connect() as conn:
        draws = {d.province_code: d for d in conn.execute(select(orm.seat_draws)).all()}
    draw = draws["44"]
    assert draw.seed and draw.candidates == draw.seated == 8 and draws["50"].candidates == 0
    drawn = seats(reg)
    assert len(drawn) == 8 and len({(room, seat) for _, room, seat in drawn.values()}) == 8
    views = [reg.get(a["id"], sub=f"c{i}") for i, a in enumerate(apps[:7])]
    assert all(v["state"] == "admit_card_issued" for v in views)
    # the two timetables sit in different rooms (rooms hold 30, so each group has its own)
    rooms = {tuple(s["code"] for s in v["subjects"]): set() for v in views}
    for v in views:
        rooms[tuple(s["code"] for s in v["subjects"])].add(v["admit_card"]["room"])
    assert all(len(r) == 1 for r in rooms.values()) and len(set.union(*rooms.values())) == 2
    sz = reg.get(apps[-1]["id"], sub="c-sz")
    assert sz["admit_card"]["site"] == "深圳市第一考点"
    assert [s["subject_code"] for s in sz["admit_card_sessions"]] == ["JJ101", "JJ102"]
    assert sz["admit_card_sessions"][0]["starts"] == "09:00"
    assert len(reg.emitted("registration.admit_card.issued")) == 8

    # printable from its day only (a week before the exam), with the dates in the message
    pdf = reg.client.get(f"{API}/applications/{sz['id']}/admit-card.pdf", headers=reg.headers("c-sz"))
    assert pdf.status_code == 422 and pdf.json["error"]["code"] == "window_closed"
    assert "准考证打印时间为" in pdf.json["error"]["message"]
    with reg.rt.engine.begin() as conn:
        conn.execute(orm.windows.update().where(orm.windows.c.kind == "admit_card").values(
            starts_at=datetime.now(UTC) - timedelta(days=1)))
    pdf = reg.client.get(f"{API}/applications/{sz['id']}/admit-card.pdf", headers=reg.headers("c-sz"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert reg.get(sz["id"], sub="c-sz")["next_action"] == "print_admit_card"

    again = reg.client.post(f"{API}/sittings/2026-JJ/seats/allocate", headers=reg.admin(),
                            json={"province": "44"})
    assert again.status_code == 409 and again.json["error"]["code"] == "seats_already_drawn"


def test_the_same_seed_gives_the_same_plan(make_settings, bus, tokens, tmp_path,
                                           migrated_template):
    import shutil

    from services.registration.bootstrap import bootstrap
    from services.registration.web import create_app
    from tests.service.registration.conftest import FULL, Registration

    plans = []
    for run in range(2):
        db = tmp_path / f"run{run}.sqlite3"
        shutil.copyfile(migrated_template, db)
        rt = bootstrap(make_settings("registration", database_url=f"sqlite:///{db}"),
                       transport=bus, migrate=False)
        reg = Registration(rt, create_app(rt, verifier=tokens.verifier).test_client(), tokens)
        reg.client.put(f"{API}/exams/JJ/settings", json=FULL, headers=reg.admin())
        for i in range(10):
            paid_jj(reg, f"c{i}")
        r = reg.client.post(f"{API}/sittings/2026-JJ/seats/allocate", headers=reg.admin(),
                            json={"province": "44", "seed": 20260415})
        assert r.status_code == 200 and r.json["seed"] == "20260415" and r.json["seated"] == 10
        with rt.engine.connect() as conn:
            plans.append(sorted(tuple(row) for row in conn.execute(
                select(orm.applications.c.application_number, orm.admit_cards.c.number)
                .join(orm.admit_cards,
                      orm.admit_cards.c.application_id == orm.applications.c.id)).all()))
        rt.engine.dispose()
    assert plans[0] == plans[1]


def test_a_payment_confirmed_after_the_draw_gets_a_free_seat(reg):
    paid_jj(reg, "early")
    app = reg.apply(dict(JJ, city="440100", subjects=["JJ101"]), sub="late").json
    r = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=reg.admin(),
                        json={"outcome": "approve"})
    paid_in_time = datetime.now(UTC) - timedelta(minutes=5)
    close_payment(reg)
    admit_cards.allocate_due(reg.rt)
    # the notification arrives late, but the payment was made inside the window
    reg.pay(dict(r.json, candidate_id="late"), order_number="O-late", paid_at=paid_in_time)
    late = reg.get(app["id"], sub="late")
    assert late["state"] == "admit_card_issued" and late["admit_card"]["seat"] >= 1
    assert len(set(seats(reg).values())) == 2


def test_nothing_is_paid_after_the_payment_window(reg):
    app = reg.apply(dict(JJ, city="440100", subjects=["JJ101"]), sub="c1").json
    r = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=reg.admin(),
                        json={"outcome": "approve"})
    close_payment(reg)
    reg.pay(dict(r.json, candidate_id="c1"), order_number="O-too-late")
    view = reg.get(app["id"], sub="c1")
    assert view["state"] == "approved" and view["next_action"] == "none"
    assert "缴费期外支付" in view["history"][-1]["note"] and "北京时间" not in view["next_step"]
    assert "截止" in view["next_step"]


def test_a_full_city_waits_for_new_rooms_then_gets_seats(reg):
    admin = reg.admin()
    with reg.rt.engine.begin() as conn:  # Foshan has one site with two rooms: make it tiny
        conn.execute(orm.rooms.update().where(orm.rooms.c.site_code == "44060001").values(
            capacity=1))
    apps = [paid_jj(reg, f"f{i}", city="440600") for i in range(3)]
    close_payment(reg)
    admit_cards.allocate_due(reg.rt)
    states = [reg.get(a["id"], sub=f"f{i}")["state"] for i, a in enumerate(apps)]
    assert sorted(states) == ["admit_card_issued", "admit_card_issued", "paid"]
    waiting = next(a for i, a in enumerate(apps) if states[i] == "paid")
    sub = f"f{apps.index(waiting)}"
    assert "考位已满" in reg.get(waiting["id"], sub=sub)["history"][-1]["note"]
    admit_cards.allocate_due(reg.rt)  # still full: the note is not repeated
    assert sum("考位已满" in h["note"] for h in reg.get(waiting["id"], sub=sub)["history"]) == 1

    bad = reg.client.put(f"{API}/exam-sites/44060001/rooms/1", headers=admin,
                         json={"name": "第 01 考场", "capacity": 100})
    assert bad.status_code == 422  # at most 99 seats (the card number has two digits for it)
    site = reg.client.put(f"{API}/exam-sites/44060002", headers=admin, json={
        "city": "440600", "name": "佛山市第二考点", "address": "广东省佛山市禅城区考试路 2 号"})
    assert site.status_code == 200
    clash = reg.client.put(f"{API}/exam-sites/44060002/rooms/1", headers=admin,
                           json={"name": "第 01 考场", "capacity": 30})
    assert clash.status_code == 409 and clash.json["error"]["code"] == "room_number_taken"
    room = reg.client.put(f"{API}/exam-sites/44060002/rooms/3", headers=admin,
                          json={"name": "第 03 考场", "capacity": 30})
    assert room.status_code == 200 and room.json["id"] == "44060002-03"
    admit_cards.allocate_due(reg.rt)
    seated = reg.get(waiting["id"], sub=sub)
    assert seated["state"] == "admit_card_issued" and seated["admit_card"]["site"] == "佛山市第二考点"


def test_the_exam_admin_edits_levels_subjects_and_review_points(reg):
    admin = reg.admin()
    r = reg.client.put(f"{API}/sittings/2026-JJ/levels/03", headers=admin, json={
        "name": "高级经济师", "min_education": "本科", "grade": "高级", "position": 2,
        "specialties": [{"code": "01", "name": "工商管理"}]})
    assert r.status_code == 200, r.json
    bad = reg.client.put(f"{API}/sittings/2026-JJ/subjects/JJ301", headers=admin, json={
        "level": "03", "name": "高级经济实务", "pass_mark": 60, "starts": "14:00",
        "ends": "09:00"})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "time_invalid"
    assert reg.client.put(f"{API}/sittings/2026-JJ/subjects/JJ301", headers=admin, json={
        "level": "03", "name": "高级经济实务", "pass_mark": 60, "starts": "25:00",
        "ends": "12:00"}).status_code == 422
    ok = reg.client.put(f"{API}/sittings/2026-JJ/subjects/JJ301", headers=admin, json={
        "level": "03", "name": "高级经济实务", "pass_mark": 60, "day_offset": 1,
        "starts": "09:00", "ends": "12:30"})
    assert ok.status_code == 200, ok.json
    point = reg.client.put(f"{API}/review-points/44010002", headers=admin, json={
        "city": "440100", "name": "广州市天河区审核点", "address": "广州市天河区体育西路 1 号"})
    assert point.status_code == 200
    detail = reg.client.get(f"{API}/sittings/2026-JJ", headers=reg.headers()).json
    senior = next(lv for lv in detail["levels"] if lv["code"] == "03")
    assert senior["subjects"][0]["name"] == "高级经济实务"
    gz = next(c for p in detail["provinces"] for c in p["cities"] if c["code"] == "440100")
    assert [p["code"] for p in gz["review_points"]] == ["44010001", "44010002"]
    assert reg.client.put(f"{API}/review-points/X1", headers=reg.headers(), json={
        "city": "440100", "name": "x", "address": "y"}).status_code == 403
