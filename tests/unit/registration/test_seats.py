"""Seat allocation invariants (seed 004: random, reproducible, capacity respected)."""
from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from services.registration.domain.seats import Candidate, Room, allocate

CITIES = ["500103", "500105", "440100"]
SUBJECT_SETS = [("A1", "A2"), ("B1",), ("B1", "B2"), ("C1",)]

candidates_st = st.lists(st.tuples(st.sampled_from(CITIES), st.sampled_from(SUBJECT_SETS)),
                         max_size=120).map(lambda xs: [Candidate(f"c{i}", city, subs)
                                                       for i, (city, subs) in enumerate(xs)])
rooms_st = st.lists(st.tuples(st.sampled_from(CITIES), st.integers(min_value=1, max_value=12)),
                    max_size=20).map(lambda xs: [Room(f"r{i}", city, cap)
                                                 for i, (city, cap) in enumerate(xs)])


@settings(max_examples=200, deadline=None)
@given(candidates_st, rooms_st, st.integers(min_value=0, max_value=2**63 - 1))
def test_no_seat_twice_capacity_respected_everyone_accounted(cands, rooms, seed):
    plan = allocate(cands, rooms, seed)
    spots = [(room, seat) for room, _, seat in plan.seats.values()]
    assert len(spots) == len(set(spots))  # no seat twice
    caps = {r.id: r.capacity for r in rooms}
    city_of = {r.id: r.city for r in rooms}
    assert all(1 <= seat <= caps[room] for room, seat in spots)
    assert set(plan.seats) | set(plan.unseated) == {c.id for c in cands}
    assert not set(plan.seats) & set(plan.unseated)
    by_id = {c.id: c for c in cands}
    assert all(city_of[room] == by_id[cid].city for cid, (room, _, _) in plan.seats.items())
    # nobody is left out while their city still has a free seat
    used = Counter(city_of[room] for room, _ in spots)
    for cid in plan.unseated:
        city = by_id[cid].city
        assert used[city] == sum(r.capacity for r in rooms if r.city == city)


@settings(max_examples=100, deadline=None)
@given(candidates_st, rooms_st, st.integers(min_value=0, max_value=2**63 - 1))
def test_same_seed_same_plan_whatever_the_input_order(cands, rooms, seed):
    shuffled = list(cands)
    random.Random(1).shuffle(shuffled)
    assert allocate(cands, rooms, seed) == allocate(shuffled, rooms, seed)


def test_different_seeds_draw_differently_and_groups_share_rooms_only_when_needed():
    cands = [Candidate(f"c{i:03d}", "500103", ("A1", "A2") if i % 2 else ("B1",))
             for i in range(60)]
    rooms = [Room(f"r{i}", "500103", 30) for i in range(3)]
    a, b = allocate(cands, rooms, 1), allocate(cands, rooms, 2)
    assert a.seats != b.seats and not a.unseated
    # 30 + 30 in 3 rooms of 30: each subject set (timetable) gets its own room
    rooms_of = {}
    for c in cands:
        rooms_of.setdefault(c.subjects, set()).add(a.seats[c.id][0])
    assert all(len(r) == 1 for r in rooms_of.values())
    ordinals = {room: ordinal for room, ordinal, _ in a.seats.values()}
    assert ordinals == {"r0": 1, "r1": 2}


def test_a_full_city_leaves_the_rest_unseated():
    cands = [Candidate(f"c{i}", "500103", ("A1",)) for i in range(5)]
    plan = allocate(cands, [Room("r", "500103", 3)], 7)
    assert len(plan.seats) == 3 and len(plan.unseated) == 2
    assert allocate(cands, [], 7).unseated and not allocate(cands, [], 7).seats
