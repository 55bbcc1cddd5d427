"""Reconcile a daily statement of N lines against N orders on PostgreSQL (issue 7's benchmark).

    .venv/bin/python -m bench.reconciliation                 # 100,000 lines (the bounded default)
    .venv/bin/python -m bench.reconciliation --lines 1000000 # the issue's size
    .venv/bin/python -m bench.reconciliation --lines 1000000 --write bench/results/reconciliation

A scratch database gets the payment schema (Alembic) and N paid orders (COPY); a statement CSV
of the same Beijing day lists them, with a few planted differences (payments whose notification
was lost, an amount mismatch, an unknown order, an order missing from the statement). Two child
processes then read the same file, so each one's peak RSS is its own:

- floor: a plain ``csv.reader`` loop over the file (what reading alone costs);
- reconcile: the service's own path — queue an upload run, ``reconciliation.execute`` (stream,
  validate, stage by COPY in one transaction, compare in set-based SQL, apply the fixes, record
  the discrepancies and their events).

Aims: reconcile under 60 s and under 500 MB peak RSS on 2 cores.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._infra import fresh_database, load, machine

DAY = "2026-11-20"
LOST_EVERY = 10_000  # one payment in 10,000 lost its notification: fixed by the statement


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(url: str, n: int, path: Path) -> dict:
    """N orders (paid, except the lost ones) and the day's statement file."""
    import psycopg

    from services.common.config import Settings
    from services.payment.bootstrap import bootstrap
    settings = Settings("payment", data_dir=path.parent, database_url=url, amqp_url=None,
                        production=False)
    rt = bootstrap(settings, transport=object(), provider=object())
    rt.engine.dispose()
    start = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)  # 2026-11-20 00:00 Beijing
    created = start - timedelta(hours=1)
    deadline = start + timedelta(days=10)
    lost = mismatch = 0
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur, \
            path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("trade_no", "out_trade_no", "type", "amount", "status", "occurred_at",
                    "refund_no"))
        with cur.copy("COPY orders (id, order_number, application_id, application_number, "
                      "candidate_id, province, description, fee_per_subject_fen, subject_count, "
                      "amount_fen, status, created_at, payment_deadline, expires_at, "
                      "request_event_id, paid_at, provider_trade_no, confirmed_by, refund_due, "
                      "refunded_fen, version) FROM STDIN") as copy:
            for i in range(n):
                number = f"BK20261120{i:012d}"
                trade = f"2026112022{i:018d}"
                paid_at = start + timedelta(microseconds=i * (86_000_000_000 // max(n, 1)))
                is_lost = i % LOST_EVERY == 7
                lost += is_lost
                copy.write_row((f"00000000-0000-4000-8000-{i:012d}", number, f"app-{i}",
                                f"N{i}", f"cand-{i % 50_000}", "广东", "报名费", 5000, 2, 10000,
                                "pending" if is_lost else "paid", created, deadline,
                                created + timedelta(hours=24), f"ev-{i}",
                                None if is_lost else paid_at, None if is_lost else trade,
                                None if is_lost else "notification", False, 0, 1))
                amount = "100.00"
                if i == n // 2:
                    amount, mismatch = "99.00", 1  # planted: amount mismatch
                if i == n // 3:
                    continue  # planted: paid here, missing from the statement
                bj = paid_at + timedelta(hours=8)
                w.writerow((trade, number, "payment", amount, "TRADE_SUCCESS",
                            bj.strftime("%Y-%m-%d %H:%M:%S"), ""))
        w.writerow(("2026112022999999999999999999", "BK-NOT-OURS", "payment", "50.00",
                    "TRADE_SUCCESS", "2026-11-20 12:00:00", ""))  # planted: unknown order
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE orders")
    return {"orders": n, "lost_notifications": lost, "amount_mismatch": mismatch,
            "build_seconds": round(time.perf_counter() - t0, 1),
            "file_bytes": path.stat().st_size}


def floor(path: Path) -> dict:
    t0 = time.perf_counter()
    rows = 0
    with path.open(newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            rows += 1
    seconds = time.perf_counter() - t0
    return {"lines": rows - 1, "seconds": round(seconds, 2),
            "lines_per_s": round((rows - 1) / seconds), "peak_rss_mb": round(_peak_mb(), 1)}


def reconcile(url: str, path: Path) -> dict:
    from sqlalchemy import select

    from services.common.bus.memory import InMemoryBus
    from services.common.config import Settings
    from services.payment.adapters.orm import reconciliation_runs
    from services.payment.bootstrap import bootstrap
    from services.payment.service_layer import reconciliation
    settings = Settings("payment", data_dir=path.parent, database_url=url, amqp_url=None,
                        production=False)
    rt = bootstrap(settings, transport=InMemoryBus(), provider=object(), migrate=False)
    upload = path.with_suffix(".upload.csv")
    os.link(path, upload)  # execute() removes an uploaded file when done
    base_rss = _peak_mb()
    t0 = time.perf_counter()
    with rt.uow() as uow:
        run_id = reconciliation.queue_run(uow, DAY, "bench", source="upload",
                                          upload_path=str(upload), sha256="-")
    assert reconciliation.claim_next(rt.engine) == run_id
    reconciliation.execute(rt, None, run_id)
    seconds = time.perf_counter() - t0
    with rt.engine.connect() as c:
        run = c.execute(select(reconciliation_runs).where(
            reconciliation_runs.c.id == run_id)).one()
        phases = {"status": run.status, "error": run.error}
    return {"lines": run.lines_total, "seconds": round(seconds, 2),
            "lines_per_s": round(run.lines_total / seconds) if seconds else 0,
            "peak_rss_mb": round(_peak_mb(), 1), "rss_before_run_mb": round(base_rss, 1),
            "matched": run.matched, "fixed": run.fixed, "discrepancies": run.discrepancies,
            **phases}


def _child(kind: str, url: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.reconciliation", "--child", kind,
                          "--url", url, "--file", str(path)], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=100_000)
    p.add_argument("--write", help="write <path>.json and <path>.md with the results")
    p.add_argument("--child", choices=["floor", "reconcile"], help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--file", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        fn = floor(Path(a.file)) if a.child == "floor" else reconcile(a.url, Path(a.file))
        print(json.dumps(fn))
        return
    info = machine()
    with tempfile.TemporaryDirectory(prefix="bench-recon-") as tmp, fresh_database() as url:
        path = Path(tmp) / "statement.csv"
        print(f"building {a.lines:,} orders and statement lines …", flush=True)
        built = build(url, a.lines, path)
        print(f"  built in {built['build_seconds']} s, file {built['file_bytes']:,} bytes",
              flush=True)
        fl = _child("floor", url, path)
        rc = _child("reconcile", url, path)
    info["loadavg_end"] = load()
    result = {"machine": info, "lines": a.lines, "built": built, "floor_csv_read": fl,
              "reconcile": rc, "aims": {"seconds_under_60": rc["seconds"] < 60,
                                        "peak_rss_under_500mb": rc["peak_rss_mb"] < 500}}
    rows = [("plain csv.reader over the file (floor)", fl),
            ("reconcile (stream, validate, COPY, compare, fix, record)", rc)]
    print(f"\n{'variant':58} {'lines':>10} {'seconds':>8} {'lines/s':>10} {'peak RSS MB':>12}")
    for name, r in rows:
        print(f"{name:58} {r['lines']:>10,} {r['seconds']:>8} {r['lines_per_s']:>10,} "
              f"{r['peak_rss_mb']:>12}")
    print(f"\nreconcile: status {rc['status']}, matched {rc['matched']:,}, fixed {rc['fixed']}, "
          f"discrepancies {rc['discrepancies']}; load {info['loadavg_start']} → "
          f"{info['loadavg_end']}")
    print(f"aims: under 60 s {'met' if result['aims']['seconds_under_60'] else 'MISSED'}, "
          f"under 500 MB {'met' if result['aims']['peak_rss_under_500mb'] else 'MISSED'}")
    if a.write:
        Path(a.write + ".json").write_text(json.dumps(result, indent=2, ensure_ascii=False)
                                           + "\n")
        md = ["# Reconciliation benchmark\n",
              f"Run {info['date']} with `.venv/bin/python -m bench.reconciliation --lines "
              f"{a.lines}`.\n",
              f"Machine: {info['nproc']} CPUs ({info['cpu_model']}), {info['mem_total']} RAM, "
              f"Python {info['python']}; PostgreSQL {info['postgresql']} (fsync="
              f"{info['pg_fsync']}). Load average {info['loadavg_start']} at start, "
              f"{info['loadavg_end']} at end (other agents shared the 2 cores).\n",
              f"Orders: {built['orders']:,} ({built['lost_notifications']} with a lost "
              f"notification); statement file {built['file_bytes']:,} bytes.\n",
              "| variant | lines | seconds | lines/s | peak RSS MB |", "|---|---:|---:|---:|---:|"]
        md += [f"| {n} | {r['lines']:,} | {r['seconds']} | {r['lines_per_s']:,} | "
               f"{r['peak_rss_mb']} |" for n, r in rows]
        md.append(f"\nResult: {rc['status']}; matched {rc['matched']:,}, fixed {rc['fixed']}, "
                  f"discrepancies {rc['discrepancies']}. Aims (under 60 s, under 500 MB): "
                  f"{'met' if result['aims']['seconds_under_60'] else 'missed'}, "
                  f"{'met' if result['aims']['peak_rss_under_500mb'] else 'missed'}.\n")
        Path(a.write + ".md").write_text("\n".join(md))


if __name__ == "__main__":
    main()
