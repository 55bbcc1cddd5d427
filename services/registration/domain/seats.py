"""Random but reproducible seat allocation (seed 004: 考场和座位由系统按统一规则随机编排).

By city → exam site → room → seat. Candidates of a city are grouped by their subject set (the
same papers in the same sessions, so a room sits one timetable) and shuffled inside each group by
a generator seeded from the draw's seed and the city code; each candidate keeps one seat for
all their sessions, so a room's capacity holds in every session. Rooms are filled in order;
a group starts a fresh room while the rooms left can still seat everyone left, otherwise it
continues in the partly used room. The same seed and the same candidates give the same plan,
whatever order the candidates arrive in.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Room:
    id: str
    city: str
    capacity: int  # rooms come ordered by site, then room number, within their city


@dataclass(frozen=True)
class Candidate:
    id: str
    city: str
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    seats: dict[str, tuple[str, int, int]]  # candidate id → (room id, room ordinal in city, seat)
    unseated: list[str]  # candidates the city's rooms could not hold


def allocate(candidates: list[Candidate], rooms: list[Room], seed: int | str) -> Plan:
    by_city: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_city[c.city].append(c)
    city_rooms: dict[str, list[Room]] = defaultdict(list)
    for r in rooms:
        city_rooms[r.city].append(r)
    seats: dict[str, tuple[str, int, int]] = {}
    unseated: list[str] = []
    for city in sorted(by_city):
        _city(by_city[city], city_rooms.get(city, []), random.Random(f"{seed}:{city}"),
              seats, unseated)
    return Plan(seats, unseated)


def _city(candidates, rooms, rng, seats, unseated) -> None:
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for c in candidates:
        groups[tuple(sorted(c.subjects))].append(c.id)
    left = len(candidates)
    capacities = [r.capacity for r in rooms]
    free_after = [0] * (len(rooms) + 1)  # seats in rooms i.. (suffix sums)
    for i in range(len(rooms) - 1, -1, -1):
        free_after[i] = free_after[i + 1] + capacities[i]
    room, seat = 0, 0  # next seat: rooms[room], seat number seat + 1
    for key in sorted(groups):
        ids = sorted(groups[key])
        rng.shuffle(ids)
        if seat and room + 1 <= len(rooms) and free_after[room + 1] >= left:
            room, seat = room + 1, 0  # a fresh room for a new timetable, space permitting
        for cid in ids:
            while room < len(rooms) and seat >= capacities[room]:
                room, seat = room + 1, 0
            if room >= len(rooms):
                unseated.append(cid)
            else:
                seat += 1
                seats[cid] = (rooms[room].id, room + 1, seat)
            left -= 1
