"""CPU per application across the whole platform, process by process.

Run: ``.venv/bin/python -m bench.platform_cpu [--n 600] [--concurrency 8]``.

The platform in production mode (``bench.opening_day.production_platform``: every service under
gunicorn, every worker with its outbox relay, the gateway; fresh databases and vhost), then
``--n`` ``POST /api/registration/applications`` through the gateway from ``--concurrency``
keep-alive clients (new candidates, one in ten double-clicks, as in opening_day). Before and
after, the user+system CPU of every process is read from ``/proc/<pid>/stat``: the platform's
process groups (one per supervisor entry, gunicorn master and workers together), PostgreSQL's
backends connected to this run's databases (by ``pg_stat_activity``), PostgreSQL's own
background processes and RabbitMQ (both shared with whatever else runs on the machine), and
the load generator (its children's rusage). The "after" is read once registration's outbox is
drained and the consumers have gone quiet, so the relay's publishing and every consumer's work
on ``registration.application.submitted`` is counted. The idle rate of each group (measured
for ``--idle`` seconds before the load: heartbeats, relay polls) is subtracted.

A lighter run than opening_day (moderate concurrency, one round): it measures where the CPU
goes, not the peak rate.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _pgid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


_conn = None


def _activity(platform: dict) -> list:
    """``pg_stat_activity`` over one connection kept for the run (the server's connection slots
    are shared with every other test run on the machine)."""
    global _conn
    import psycopg
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(f"{platform['pg']}/postgres", autocommit=True)
    return _conn.execute("SELECT pid, datname, backend_type FROM pg_stat_activity").fetchall()


def groups(platform: dict) -> dict[str, list[int]]:
    """Process ids per accounting group (recomputed at each snapshot: pools open backends)."""
    leaders = json.loads((platform["state"] / "pids.json").read_text())
    by_pgid = {v: k for k, v in leaders.items()}
    out: dict[str, list[int]] = {}
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        name = by_pgid.get(_pgid(pid))
        if name:
            out.setdefault(name, []).append(pid)
    rows = _activity(platform)
    prefix = platform["prefix"] + "_"
    for pid, datname, _ in rows:
        if datname and datname.startswith(prefix):
            out.setdefault(f"postgres:{datname[len(prefix):]}", []).append(pid)
    for pid, _datname, kind in rows:
        if kind in ("walwriter", "checkpointer", "background writer"):
            out.setdefault("postgres (shared: wal, checkpoints)", []).append(pid)
    for pid in pids:
        if _cmdline(pid).startswith("/usr/lib/erlang/erts") and "beam.smp" in _cmdline(pid):
            out.setdefault("rabbitmq (shared)", []).append(pid)
    return out


def snapshot(platform: dict) -> dict[int, tuple[str, float]]:
    snap = {}
    for name, pids in groups(platform).items():
        for pid in pids:
            t = cpu_seconds(pid)
            if t is not None:
                snap[pid] = (name, t)
    return snap


def per_group(before: dict, after: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for pid, (name, t) in after.items():
        out[name] = out.get(name, 0.0) + t - before.get(pid, (name, 0.0))[1]
    return out


def quiet(platform: dict, settle: float = 1.0, limit: float = 90) -> None:
    """Wait until the platform's processes together use under 3 % of a core."""
    deadline = time.monotonic() + limit
    prev = snapshot(platform)
    while time.monotonic() < deadline:
        time.sleep(settle)
        now = snapshot(platform)
        used = sum(v for k, v in per_group(prev, now).items() if "shared" not in k)
        prev = now
        if used < 0.03 * settle:
            return


def main() -> None:
    from bench.opening_day import check_database, fire, forms, production_platform, tasks_for, token_minter
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=600, help="requests through the gateway")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--idle", type=float, default=5.0, help="seconds of idle measurement")
    p.add_argument("--workers", default="1", help="GUNICORN_WORKERS (1: fewer connections)")
    p.add_argument("--threads", default="4")
    a = p.parse_args()
    rng = random.Random(2026)
    with production_platform(a.workers, a.threads) as platform:
        mint = token_minter(platform)
        forms_ = forms(platform, mint)
        warm = tasks_for(100, forms_, mint, 10, rng)
        fire(platform["ports"]["gateway"], warm, a.concurrency, 2)
        check_database(platform, [])  # outbox drained
        quiet(platform)
        tasks = tasks_for(a.n, forms_, mint, 10, rng)
        i0 = snapshot(platform)
        time.sleep(a.idle)
        i1 = snapshot(platform)
        idle = {k: v / a.idle for k, v in per_group(i0, i1).items()}
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        before = snapshot(platform)
        r = fire(platform["ports"]["gateway"], tasks, a.concurrency, 2)
        db = check_database(platform, r["candidate_ids"])
        quiet(platform)
        after = snapshot(platform)
        elapsed = time.monotonic() - t0
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    apps = r["ok"] - r["twin_pairs"]  # a double click answers twice, makes one application
    used = per_group(before, after)
    loadgen = (children1.ru_utime + children1.ru_stime
               - children0.ru_utime - children0.ru_stime)
    rows = []
    for name, sec in used.items():
        net = max(0.0, sec - idle.get(name, 0.0) * elapsed)
        rows.append((name, net * 1000 / apps, sec * 1000 / apps))
    rows.sort(key=lambda x: -x[1])
    own = sum(ms for name, ms, _ in rows if "shared" not in name)
    print(f"{r['requests']} requests, {r['ok']} answered 201, {r['errors']} errors, {apps} "
          f"applications ({r['twin_pairs']} double clicks) in {r['seconds']} s "
          f"({r['per_s']}/s at concurrency {a.concurrency}); {elapsed:.1f} s until quiet; "
          f"duplicates {db['duplicates']}, outbox unsent {db['outbox_unsent_after']}")
    print(f"{'process group':<40} {'CPU ms/app':>10} {'(raw)':>8}")
    for name, ms, raw in rows:
        print(f"{name:<40} {ms:>10.2f} {raw:>8.2f}")
    print(f"{'platform total (without shared)':<40} {own:>10.2f}")
    print(f"{'load generator (not the platform)':<40} {loadgen * 1000 / apps:>10.2f}")


if __name__ == "__main__":
    main()
