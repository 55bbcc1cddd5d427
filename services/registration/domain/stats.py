"""Numbers behind the dashboard's charts (rendered as server-side SVG: no scripts under the CSP).

All integer arithmetic: bar widths are whole pixels, scores are tenths of a point.
"""
from __future__ import annotations

from services.registration.domain import application as app

# The funnel: how far applications got (each stage counts those at it or beyond it).
FUNNEL = [
    ("saved", "已保存", {app.DRAFT}),
    ("submitted", "已提交", {app.SUBMITTED, app.UNDER_REVIEW, app.RETURNED}),
    ("approved", "审核通过", {app.APPROVED}),
    ("paid", "已缴费", {app.PAID}),
    ("admit_card", "准考证", {app.ADMIT_CARD_ISSUED}),
    ("scores", "成绩发布", {app.SCORES_PUBLISHED}),
]


def funnel(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(key, label, n) per stage, cumulative from the end: an approved one was also submitted.
    Withdrawn, cancelled and refunded applications leave the funnel."""
    out, running = [], 0
    for key, label, states in reversed(FUNNEL):
        running += sum(counts.get(s, 0) for s in states)
        out.append((key, label, running))
    return list(reversed(out))


def bars(values: list[tuple[str, int]], width: int = 400) -> list[dict]:
    """Each value's bar width in whole pixels, relative to the largest (0 stays 0)."""
    top = max((n for _, n in values), default=0)
    return [{"label": label, "n": n, "w": (n * width // top) if top else 0}
            for label, n in values]


def histogram(tenths: list[int], full_mark: int, buckets: int = 10) -> list[tuple[str, int]]:
    """Scores per bucket of ``full_mark / buckets`` points; the full mark falls in the last."""
    step = full_mark * 10 // buckets or 1
    counts = [0] * buckets
    for t in tenths:
        counts[min(max(t, 0) // step, buckets - 1)] += 1
    labels = [f"{i * step // 10}–{(i + 1) * step // 10 if i < buckets - 1 else full_mark}"
              for i in range(buckets)]
    return list(zip(labels, counts, strict=True))
