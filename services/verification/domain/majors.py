"""The major-equivalence table (专业对照表, seed 002): own, related or other major.

A table belongs to exams and levels (``"*"`` = every level). Each entry names a major by its
current catalogue name and by the names it had from 1993 to 1998 and before 1993, so a
graduate of 1990 who studied 工业与民用建筑工程 is recognised as 土木工程. A major that is in
no entry is "other", and — because "other" only covers engineering, management and economics
majors — it is flagged for a manual check. Unknown exams or odd input never raise.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass

RELATIONS = ("own", "related", "other")
RELATION_LABELS = {"own": "本专业", "related": "相近专业", "other": "其他专业"}
CATALOGUES = {"current": "现行专业目录", "names_1993_1998": "1993—1998 年专业名称",
              "names_before_1993": "1993 年以前专业名称"}
_RANK = {"own": 0, "related": 1}


def normalise_major(name: str | None) -> str:
    """Compare names without spaces, full-width forms, brackets' contents or a '专业' suffix."""
    n = unicodedata.normalize("NFKC", name or "")
    n = re.sub(r"[（(][^）)]*[）)]", "", n)
    n = re.sub(r"[\s\u3000·•、,，.。]+", "", n)
    return re.sub(r"专业$", "", n).casefold()


@dataclass(frozen=True)
class MajorAnswer:
    relation: str
    matched: str | None  # the entry's current name
    catalogue: str | None  # which column matched
    manual_check: bool
    reason: str

    @property
    def label(self) -> str:
        return RELATION_LABELS[self.relation]


class MajorTable:
    """One version of the table: ``data`` as in ``adapters/data/major_table_v1.json``."""

    def __init__(self, version: int, data: dict):
        self.version = version
        self.data = data
        self._index: list[tuple[set, set, dict[str, tuple[str, str, str]]]] = []
        for table in data.get("tables", []):
            names: dict[str, tuple[str, str, str]] = {}
            for e in table["entries"]:
                for column in CATALOGUES:
                    values = [e["current"]] if column == "current" else e.get(column, [])
                    for v in values:
                        key = normalise_major(v)
                        held = names.get(key)
                        if key and (held is None or _RANK[e["relation"]] < _RANK[held[0]]):
                            names[key] = (e["relation"], e["current"], column)
            self._index.append((set(table["exams"]), set(table.get("levels") or ["*"]), names))

    def _names_for(self, exam: str, level: str) -> dict | None:
        for exams, levels, names in self._index:
            if exam in exams and ("*" in levels or level in levels):
                return names
        return None

    def relation(self, exam: str | None, level: str | None, major: str | None) -> MajorAnswer:
        names = self._names_for((exam or "").strip(), (level or "").strip())
        if names is None:
            return MajorAnswer("other", None, None, True,
                               "该考试暂无专业对照表，按其他专业处理，需人工核验")
        hit = names.get(normalise_major(major))
        if hit is None:
            return MajorAnswer("other", None, None, True,
                               "所学专业不在专业对照表中，按其他专业处理，需人工核验")
        relation, current, column = hit
        return MajorAnswer(relation, current, column, False,
                           f"“{major.strip()}”对应{CATALOGUES[column]}中的“{current}”，"
                           f"属于{RELATION_LABELS[relation]}"
                           if column != "current" else
                           f"“{current}”属于{RELATION_LABELS[relation]}")


def validate_table(data: dict) -> list[str]:
    """Problems with an edited table (empty list: fine), in Chinese for the admin."""
    problems = []
    tables = data.get("tables")
    if not isinstance(tables, list) or not tables:
        return ["至少需要一张对照表（tables）"]
    seen_exams: set[tuple[str, str]] = set()
    for i, t in enumerate(tables, start=1):
        if not isinstance(t, dict):
            problems.append(f"第 {i} 张表格式不正确")
            continue
        exams, levels = t.get("exams") or [], t.get("levels") or ["*"]
        if not exams or not all(isinstance(x, str) and x.strip() for x in exams):
            problems.append(f"第 {i} 张表缺少适用的考试代码（exams）")
        for ex in exams:
            for lv in levels:
                if (ex, lv) in seen_exams:
                    problems.append(f"考试 {ex} 级别 {lv} 出现在多张表中")
                seen_exams.add((ex, lv))
        currents: set[str] = set()
        for j, e in enumerate(t.get("entries") or [], start=1):
            if not isinstance(e, dict) or not str(e.get("current") or "").strip():
                problems.append(f"第 {i} 张表第 {j} 行缺少现行专业名称")
                continue
            if e.get("relation") not in ("own", "related"):
                problems.append(f"第 {i} 张表“{e['current']}”的类别应为 own（本专业）或 related（相近专业）")
            key = normalise_major(e["current"])
            if key in currents:
                problems.append(f"第 {i} 张表“{e['current']}”重复")
            currents.add(key)
            for column in ("names_1993_1998", "names_before_1993"):
                if not isinstance(e.get(column, []), list):
                    problems.append(f"第 {i} 张表“{e['current']}”的 {column} 应为名称列表")
        if not t.get("entries"):
            problems.append(f"第 {i} 张表没有专业")
    return problems


def split_names(text: str | None) -> list[str]:
    """'建筑工程、城镇建设, 岩土工程' → names (the separators staff type)."""
    return [n.strip() for n in re.split(r"[,，、;；\n]+", text or "") if n.strip()]


def with_entry(data: dict, table_index: int, entry: dict) -> dict:
    """A copy of ``data`` with ``entry`` added, or replacing the one of the same current name."""
    out = copy.deepcopy(data)
    entries = out["tables"][table_index]["entries"]
    key = normalise_major(entry["current"])
    kept = [e for e in entries if normalise_major(e["current"]) != key]
    out["tables"][table_index]["entries"] = [*kept, entry] if len(kept) == len(entries) else [
        entry if normalise_major(e["current"]) == key else e for e in entries]
    return out


def without_entry(data: dict, table_index: int, current: str) -> dict:
    out = copy.deepcopy(data)
    key = normalise_major(current)
    out["tables"][table_index]["entries"] = [
        e for e in out["tables"][table_index]["entries"] if normalise_major(e["current"]) != key]
    return out
