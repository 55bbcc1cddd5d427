"""Bulk-loading statement lines into the staging table: COPY on PostgreSQL, executemany elsewhere.

Reconciliation compares a day's statement with our orders in a few set-based queries, so the
lines go into ``statement_lines`` first, in batches (the file is never held in memory whole).
"""
from __future__ import annotations

from sqlalchemy import insert

from services.payment.adapters.orm import statement_lines
from services.payment.domain.statement import Line

NULL = "\\N"
COLUMNS = ("run_id", "line_no", "trade_no", "out_trade_no", "type", "amount_fen", "occurred_at",
           "refund_no")


def stage(conn, run_id: str, lines: list[Line]) -> int:
    """Insert one batch of lines inside the caller's transaction; the number inserted."""
    if not lines:
        return 0
    if conn.dialect.name == "postgresql":
        # COPY text built in one string: the identifiers were checked to be plain ASCII without
        # tabs or backslashes, and PostgreSQL reads the Beijing time with its +08 offset.
        text = "".join(f"{run_id}\t{x.line_no}\t{x.trade_no}\t{x.out_trade_no}\t{x.type}\t"
                       f"{x.amount_fen}\t{x.occurred}+08\t{x.refund_no or NULL}\n"
                       for x in lines)
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(
                f"COPY statement_lines ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(text)
    else:
        conn.execute(insert(statement_lines), [
            dict(zip(COLUMNS, (run_id, x.line_no, x.trade_no, x.out_trade_no, x.type,
                               x.amount_fen, x.occurred_at, x.refund_no or None), strict=True))
            for x in lines])
    return len(lines)


def analyze(conn) -> None:
    """Fresh statistics after a large load, so the comparison joins by hash, not by loops."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE statement_lines")
