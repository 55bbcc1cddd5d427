"""Every page shows instants in Beijing time: stored and API times are UTC, so a template that
formats or slices them itself shows a clock eight hours off (and, after 16:00 UTC, tomorrow's
date as today's)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# an instant formatted or sliced in place instead of going through the ``beijing`` filter
RAW = re.compile(r"\b\w+_(?:at|expire)\.strftime\(|\b(?:\w+_at|at|start|end)\[:(?:10|16|19)\]"
                 r"|\b\w+\.(?:at|not_before)\.strftime\(")


def templates():
    for base in ("gateway/templates", "services"):
        yield from (p for p in (ROOT / base).rglob("*.html") if "templates" in p.parts)


def test_no_template_formats_a_utc_instant_itself():
    found = [f"{p.relative_to(ROOT)}:{n}: {m.group(0)}"
             for p in templates()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             for m in RAW.finditer(line)]
    assert len(list(templates())) > 50
    assert found == []


def test_the_check_sees_what_it_is_for():
    assert RAW.search('{{ o.created_at.strftime("%Y-%m-%d") }}')
    assert RAW.search("{{ p.application_window.start[:10] }}")
    assert RAW.search('{{ r.at.strftime("%H:%M") }}')
    assert not RAW.search('{{ o.created_at|beijing("%Y-%m-%d") }}')
