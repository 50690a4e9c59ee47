"""What a measure commits to: quantified targets, deadlines, agencies, target groups, the
strength of its verbs, and how these attributes compare between a parent and a child measure.

Every extractor is a pure function of one text string and returns plain data. Text is first
*normalised* (NFKC per character, so full-width digits, ``％`` and ``（：，`` become half-width,
and whitespace dropped so ``2025 年`` reads as ``2025年``) while keeping a map back to the
original offsets: ``Target.raw`` is always a verbatim substring of the input.

Decisions worth knowing
-----------------------
- A *target* is a number with a unit (``15%``, ``200场次``, ``30万人次``, ``两个``). Years,
  outline numbers (``一、``, ``（一）``, ``1.``), document numbers (``〔2021〕9号``), ordinals
  (``第十五次``), numbers inside quotes or titles (``“十四五”``, ``“一村一名”``,
  ``《…2035年…》``) and version numbers (``计划 2.0``) are not targets. ``一`` counts only with
  event units (``一次``, ``一场``, ``一篇``): ``一批``, ``一支队伍``, ``一项任务`` are idioms.
- ``Target.value`` is the number as written and ``Target.unit`` keeps a magnitude prefix
  (``30`` + ``万人次``); ``target_amount`` scales it for comparison.
- ``Target.per`` holds who/what the number is per and how often: a distributive subject
  (``各学校``), a per-capita base (``每万人``) and/or a period (``每学年``), e.g.
  ``各学校每学年``. Targets that are percentages or per-entity/per-capita are comparable across
  administrative levels; plain counts (also per period: ``每年培训3000名``) are not.
- A *deadline* is a calendar year or period as written (``到2025年``, ``2025年底``,
  ``2026年前``, ``2022年到2025年``, ``十四五期间``/``时期``/``期末``, ``5年内``) or an explicit
  recurrence (``每年``, ``每学期``, ``每学年``, ``每两年``). Vague durations (``长期``,
  ``持续``, ``定期``, ``常态化``, ``逐步``) are manner, not deadlines: they are left to
  ``modality``. Dates such as ``2022年10月31日`` (issue dates), plan periods in parentheses
  ``(2021—2025年)`` and years inside titles are skipped.
- *Modality* levels: 3 = firm obligation or result (确保, 必须, 须, 应, 应当, 全面, 实现, 达到,
  全覆盖, 严格, 不得); 2 = ordinary action verbs (加强, 推进, 开展, 完善, 落实, 建立, 健全,
  实施, 强化, 深化, 加大, 加快, 大力, 深入, 持续, 坚持, 构建, 打造, 创建, 要); 1 = hedged or
  soft (力争, 争取, 推动, 鼓励, 支持, 引导, 探索, 逐步, 倡导, 提倡, 试点, 适时, 有条件的).
  A hedge directly before a firm verb is one hedged word at level 1 (``力争达到``), so
  ``力争达到15%`` is softer than ``达到15%``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypedDict

from align.models import Target

__all__ = [
    "AttributeComparer",
    "GROUP_SYNONYMS",
    "MODALITY_LEVELS",
    "MeasureAttributes",
    "compare_attributes",
    "deadline_due",
    "extract_agencies",
    "extract_deadlines",
    "extract_groups",
    "extract_targets",
    "is_relative",
    "measure_attributes",
    "modality",
    "target_amount",
]

# ---------------------------------------------------------------------------------------------
# Normalisation with an offset map back to the original text


@dataclass(frozen=True)
class _Norm:
    """Normalised text and, for each of its characters, the index of the original character."""

    text: str
    index: tuple[int, ...]

    def raw(self, original: str, start: int, end: int) -> str:
        """The original substring behind the normalised span ``[start, end)``."""
        if end <= start:
            return ""
        return original[self.index[start] : self.index[end - 1] + 1]


_DROP = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_NEWLINES = frozenset("\n\r\u2028\u2029")
_CHAR_CACHE: dict[str, str] = {}


def _nfkc_char(ch: str) -> str:
    """NFKC of one character with whitespace removed ("" for spaces and invisible marks)."""
    out = _CHAR_CACHE.get(ch)
    if out is None:
        if ch in _DROP or ch.isspace():
            out = ""
        else:
            out = "".join(c for c in unicodedata.normalize("NFKC", ch) if not c.isspace())
        if len(_CHAR_CACHE) < 65536:
            _CHAR_CACHE[ch] = out
    return out


@lru_cache(maxsize=4096)
def _normalise(text: str, keep_newlines: bool = False) -> _Norm:
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        out = _nfkc_char(ch)
        if len(out) == 1:
            chars.append(out)
            index.append(i)
        elif out:
            chars.extend(out)
            index.extend([i] * len(out))
        elif keep_newlines and ch in _NEWLINES and (not chars or chars[-1] != "\n"):
            chars.append("\n")
            index.append(i)
    return _Norm("".join(chars), tuple(index))


def _masks(text: str) -> tuple[list[bool], list[bool]]:
    """Spans inside titles 《…》 (and short 〔…〕/【…】 brackets), and inside quotes “…”.

    Pairs nest (``《关于印发《…》的通知》``); unbalanced marks mask nothing; quotes longer than
    40 characters and titles longer than 150 are not taken as quotes/titles (a stray mark must
    not hide a whole paragraph).
    """
    n = len(text)
    title = [False] * n
    quote = [False] * n
    pairs = {
        "》": ("《", 150, title),
        "〕": ("〔", 10, title),
        "】": ("【", 10, title),
        "”": ("“", 40, quote),
    }
    opens = {open_ for open_, _limit, _mask in pairs.values()}
    stacks: dict[str, list[int]] = {open_: [] for open_ in opens}
    for i, ch in enumerate(text):
        if ch in opens:
            stacks[ch].append(i)
        elif ch in pairs:
            open_, limit, mask = pairs[ch]
            if stacks[open_]:
                s = stacks[open_].pop()
                if i - s <= limit:
                    for k in range(s, i + 1):
                        mask[k] = True
    # ASCII double quotes: pair them up when short
    pos = 0
    while True:
        s = text.find('"', pos)
        if s < 0:
            break
        e = text.find('"', s + 1)
        if e < 0:
            break
        if e - s <= 40:
            for k in range(s, e + 1):
                quote[k] = True
            pos = e + 1
        else:
            pos = s + 1
    return title, quote


# ---------------------------------------------------------------------------------------------
# Numbers

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_UNITS)


def _cn_to_int(s: str) -> int | None:
    """Parse a Chinese numeral below 10 000 (``二十``, ``一百二十``, ``两``, ``百``); None if it
    is not a well-formed number (``十四五`` is a plan name, not 145)."""
    if not s:
        return None
    total = 0
    cur: int | None = None
    last_unit = 10_000
    for ch in s:
        if ch in _CN_DIGITS:
            if cur is not None and cur != 0:
                return None  # two digits in a row: 十四五, 二〇
            cur = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            if unit >= last_unit:
                return None
            total += (1 if cur is None else cur) * unit
            cur = None
            last_unit = unit
    return total + (cur or 0)


_UNITS = (
    "个百分点|百分点|人次|平方米|平米|m2|场次|课时|学时|小时|公里|"
    "%|‰|个|名|人|位|所|家|项|条|篇|天|座|处|场|次|期|台|套|件|户|亩|元|本|种|类"
)
_UNIT_SET = frozenset(_UNITS.split("|"))
_EVENT_UNITS = frozenset({"次", "场", "场次", "篇"})
_MAGNITUDE = {"": 1.0, "万": 1e4, "亿": 1e8, "千": 1e3}
_IDIOMS = frozenset({"千家万户", "一家一户", "三位一体", "五位一体", "千方百计"})

_NUMBER_RE = re.compile(
    r"(?<![\d.])(?P<arabic>\d+(?:\.\d+)?)"
    rf"|(?<![{_CN_CHARS}万])(?P<cn>[{_CN_CHARS}]+)"
)
_AFTER_NUMBER_RE = re.compile(
    rf"(?P<approx>余|多)?(?P<mag>万|亿)?(?P<unit>{_UNITS})(?P<post>及以上|以上|以内|以下|左右|之内)?"
)
_ARABIC_MAG_RE = re.compile(
    rf"(?P<approx>余|多)?(?P<mag>万|亿|千)(?P<unit>{_UNITS})(?P<post>及以上|以上|以内|以下|左右|之内)?"
)

_COMPARATORS = (
    "力争达到|力争超过|力争实现|力争|争取达到|争取|确保达到|确保|不少于|不低于|不超过|不高于|不多于|"
    "至少|达到|达|超过|高于|低于|提高到|提高至|提升到|提升至|增长到|增长至|增加到|增加至|增长|增加|"
    "提高|提升|减少|下降|降低|控制在|保持在|突破|新增|累计|不足"
)
_COMPARATOR_RE = re.compile(_COMPARATORS)
_UPPER_BOUNDS = frozenset({"不超过", "不高于", "不多于", "低于", "控制在", "以内", "以下", "之内"})
_HEDGES = ("力争", "争取")

# who/what a number is per: a period, a per-capita base or a distributive unit
_PER_RE = re.compile(
    r"每(?:[0-9两二三四五六七八九十百千万]+)?(?:个)?"
    r"(?:学年|学期|年度|季度|半年|年|月|周|天|日|万人|千人|百人|人|名|户|村|校|所|县|乡镇|社区)"
)
_ENTITY = (
    r"(?:中小学校|中小学|学校|高校|高等院校|县\(市、区\)|旗县\(市、区\)|县\(市、区、旗\)|县市区|旗县|"
    r"盟市|设区市|县|乡镇|街道|村|社区|单位|部门|级政府|地)"
)
_ENTITY_RE = re.compile(_ENTITY)
_DISTRIBUTIVE_RE = re.compile(rf"各{_ENTITY}|(?:{_ENTITY})(?=要|应|须|均)")
_SCOPE_START_RE = re.compile(r"(?:全|各|到|在|每|“|\"|十[一二三四五六七八九]?五|结合|其中|\()")
_TIME_PREFIX_RE = re.compile(
    r"^(?:到|至|在|截至|于)?(?:(?:19|20)\d{2}年(?:底|末|前)?|“?十[一二三四五六七八九]?五”?(?:期间|时期|期末|末)?)(?:内|前)?"
)
_SCOPE_PREFIX_RE = re.compile(
    r"^(?:在)?(?:全市|全区|全省|全县|全盟|全州|全旗|全国|我市|我区|我省|我县)(?:范围内)?"
)
_BOUNDARY = frozenset(",;。:!?\n")
_SENTENCE_END = frozenset(";。!?")


def _clauses(text: str) -> list[tuple[int, int]]:
    """Comma-clauses ``[start, end)`` of normalised text (split at ,;。:!? and newlines)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in _BOUNDARY:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return spans


def _sentence_start(text: str, pos: int) -> int:
    i = pos - 1
    while i >= 0 and text[i] not in _SENTENCE_END:
        i -= 1
    return i + 1


_YEAR_IN_SENTENCE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})年(?![\d月])")
_PLAN_PERIOD_YEAR = {"十三五": 2020, "十四五": 2025, "十五五": 2030, "十二五": 2015}
_PLAN_PERIOD_RE = re.compile(r"“?(十[一二三四五六七八九]?五)”?(?:期间|时期|期末|末)")


def _target_year(text: str, sent_start: int, clause_end: int, title: list[bool]) -> int | None:
    """The due year stated in the sentence up to the end of the target's clause."""
    span = text[sent_start:clause_end]
    best: tuple[int, int] | None = None
    for m in _YEAR_IN_SENTENCE_RE.finditer(span):
        at = sent_start + m.start()
        if title[at] or span[m.end() : m.end() + 2] == "以来":
            continue
        if span[m.end() : m.end() + 1] == ")" and "(" in span[max(0, m.start() - 6) : m.start()]:
            continue  # 实施方案(2021-2025年): the plan's period, not a due year
        if best is None or m.start() >= best[0]:
            best = (m.start(), int(m.group(1)))
    for m in _PLAN_PERIOD_RE.finditer(span):
        at = sent_start + m.start()
        if title[at]:
            continue
        year = _PLAN_PERIOD_YEAR.get(m.group(1))
        if year and (best is None or m.start() >= best[0]):
            best = (m.start(), year)
    return best[1] if best else None


_OUTLINE_PREFIX_RE = re.compile(r"^(?:\(?[一二三四五六七八九十\d]{1,3}[)、.]|[①-⑳])+")


def _strip_edges(s: str) -> str:
    s = s.strip(",;、:“”\"' ").lstrip(")").rstrip("(")
    if s.startswith("(") and s.count("(") > s.count(")"):
        s = s[1:]
    return s


def _clean_counted(s: str, per: str) -> str:
    s = _OUTLINE_PREFIX_RE.sub("", _strip_edges(s))
    for pattern in (_TIME_PREFIX_RE, _SCOPE_PREFIX_RE):
        s = pattern.sub("", s).lstrip(",、")
    if per:
        for part in _PER_RE.findall(s) + _DISTRIBUTIVE_RE.findall(s):
            s = s.replace(part, "", 1)
    s = _strip_edges(s)
    if s.startswith("其中"):
        s = s[2:]
    s = s.replace("“", "").replace("”", "") if s.count("“") != s.count("”") else s
    if len(s) > 40:
        # the end is what is counted; start it at a list or clause break, not mid-word
        tail = s[-40:]
        cut = min((k for k in (tail.find(ch) for ch in "、,;") if k >= 0), default=-1)
        s = tail[cut + 1 :] if 0 <= cut < 30 else tail
    return s


def _back_to_boundary(text: str, pos: int, floor: int) -> int:
    """Scan back from ``pos`` to the clause start, stopping at an enclosing ``(``."""
    depth = 0
    i = pos - 1
    while i >= floor:
        ch = text[i]
        if ch in _BOUNDARY:
            break
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                break
            depth -= 1
        i -= 1
    return i + 1


def _following_noun(text: str, pos: int) -> str:
    """The noun phrase right after a number+unit (``10个[农业产业科普示范基地]``)."""
    if pos >= len(text):
        return ""
    first = text[pos]
    if not (_is_cjk(first) or first in '“"'):
        return ""
    j = pos
    while j < len(text) and j - pos < 30:
        ch = text[j]
        if ch in _BOUNDARY or ch in "、()" or ch.isdigit():
            break
        j += 1
    return text[pos:j]


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def extract_targets(text: str) -> tuple[Target, ...]:
    """Quantified commitments in ``text``.

    Parameters
    ----------
    text : any text (a measure, a sentence, a whole document).

    Returns
    -------
    tuple of Target, in order of appearance, without duplicates. ``raw`` is the verbatim
    span of ``text`` from the comparator (or number) to the unit and trailing ``以上``.

    Examples
    --------
    >>> [str(t) for t in extract_targets("到2025年，我省公民具备科学素质的比例力争达到15%。")]
    ['力争达到15%']
    """
    norm = _normalise(text, keep_newlines=True)
    t = norm.text
    if not t:
        return ()
    title, quote = _masks(t)
    # a breakdown in brackets (每年不少于60天(其中…期间开放不少于30天,…30天)) restates parts of the
    # total before it: no targets of their own
    breakdown = [False] * len(t)
    for bm in re.finditer(r"\(其中[^()]*\)", t):
        breakdown[bm.start() : bm.end()] = [True] * (bm.end() - bm.start())
    clauses = _clauses(t)
    clause_of = [0] * (len(t) + 1)
    for ci, (s, e) in enumerate(clauses):
        for k in range(s, e + 1):
            clause_of[k] = ci
    found: list[Target] = []
    prev_end = 0
    carried_per: dict[int, str] = {}  # clause index -> per phrase usable by later clauses
    for m in _NUMBER_RE.finditer(t):
        start = m.start()
        if title[start] or quote[start] or breakdown[start]:
            continue
        if start > 0 and t[start - 1] == "第":
            continue
        if t[start : start + 4] in _IDIOMS:
            continue
        if m.group("arabic"):
            number_text = m.group("arabic")
            value = float(number_text)
            after = _ARABIC_MAG_RE.match(t, m.end()) or _AFTER_NUMBER_RE.match(t, m.end())
            if after is None or after.group("unit") is None:
                continue
        else:
            number_text = m.group("cn")
            parsed = _cn_to_int(number_text)
            if parsed is None or parsed == 0:
                continue
            value = float(parsed)
            after = _AFTER_NUMBER_RE.match(t, m.end())
            if after is None:
                continue
            if number_text == "一" and (after.group("unit") not in _EVENT_UNITS or after.group("mag")):
                continue
            # 一次性, 二次开发: a numeral glued to the next word is not a count
            if after.end() < len(t) and t[after.end()] in "性":
                continue
        unit = (after.group("mag") or "") + after.group("unit")
        end = after.end()
        ci = clause_of[start]
        c_start, c_end = clauses[ci]
        floor = max(c_start, prev_end)
        left = _back_to_boundary(t, start, floor)
        prefix = t[left:start]
        comparator = ""
        counted_part = prefix
        comp_at = start
        last: re.Match[str] | None = None
        for cm in _COMPARATOR_RE.finditer(prefix):
            last = cm
        if last is not None and len(prefix) - last.end() <= 12:
            comparator = last.group(0)
            counted_part = prefix[: last.start()]
            comp_at = left + last.start()
        post = after.group("post") or ""
        if after.group("approx"):
            post = post or "以上"
        if not comparator:
            comparator = post
        # per: distributive subject and period stated in this clause, else carried in the sentence
        clause_prefix = t[c_start:start]
        dist = _DISTRIBUTIVE_RE.match(clause_prefix)
        periods = _PER_RE.findall(clause_prefix)
        per = ((dist.group(0) if dist else "") + (periods[-1] if periods else "")).strip()
        if not per and ci - 1 in carried_per and not _SCOPE_START_RE.match(clause_prefix):
            sent_start = _sentence_start(t, start)
            if clauses[ci - 1][0] >= sent_start:
                per = carried_per[ci - 1]
        if not per and not _SCOPE_START_RE.match(clause_prefix):
            # a distributive subject opening an earlier clause of the sentence (各县(市、区)结合…,
            # 打造…基地不少于1个) holds for the clauses after it, up to another scope (全市…) or the end
            # of the sentence: the count is per county, not for the whole city
            sent_start = _sentence_start(t, start)
            k = ci - 1
            while k >= 0 and clauses[k][0] >= sent_start:
                opening = t[clauses[k][0] : clauses[k][1]]
                if opening.startswith("各") and (dm := _DISTRIBUTIVE_RE.match(opening)):
                    per = dm.group(0)
                    break
                if _SCOPE_START_RE.match(opening):
                    break
                k -= 1
        if per:
            carried_per[ci] = per
        following = _following_noun(t, end)
        if following and "、" in counted_part:
            # a count before its noun inside a list (开展A、千场劳模事迹宣讲、B等活动) counts that
            # item alone
            counted_part = counted_part.rsplit("、", 1)[1]
        counted = _clean_counted(counted_part + following, per)
        if not counted:
            # "…等场所或设施,每年不少于60天": the thing counted is in the previous clause
            prev_clause = clauses[ci - 1] if ci > 0 else None
            if prev_clause and prev_clause[0] >= _sentence_start(t, start):
                counted = _clean_counted(t[prev_clause[0] : prev_clause[1]], per)
        year = _target_year(t, _sentence_start(t, start), c_end, title)
        raw = norm.raw(text, min(comp_at, start), end)
        found.append(
            Target(
                value=value,
                unit=unit,
                counted=counted,
                comparator=comparator,
                year=year,
                raw=raw,
                per=per,
            )
        )
        prev_end = end + len(following)
    return tuple(dict.fromkeys(found))


_UNIT_CLASSES: dict[str, str] = {
    "%": "percent",
    "‰": "permille",
    "个百分点": "pp",
    "百分点": "pp",
    "名": "people",
    "人": "people",
    "位": "people",
    "人次": "attendances",
    "场": "events",
    "场次": "events",
    "次": "events",
    "届": "events",
    "期": "events",
    "平方米": "area",
    "平米": "area",
    "m2": "area",
    "亩": "land",
    "天": "days",
    "小时": "hours",
    "学时": "hours",
    "课时": "hours",
    "篇": "works",
    "本": "works",
    "元": "money",
    "公里": "length",
}


def _split_unit(unit: str) -> tuple[str, str]:
    """``万人次`` → (``万``, ``人次``); ``个`` → (``""``, ``个``)."""
    if len(unit) > 1 and unit[0] in "万亿千" and unit[1:] in _UNIT_SET:
        return unit[0], unit[1:]
    return "", unit


def _unit_class(unit: str) -> str:
    return _UNIT_CLASSES.get(_split_unit(unit)[1], "items")


def target_amount(target: Target) -> float:
    """The target's number with the magnitude prefix of its unit applied (30 万人次 → 300000)."""
    return target.value * _MAGNITUDE[_split_unit(target.unit)[0]]


def is_percentage(target: Target) -> bool:
    """True for percentages, per-mille rates and percentage points (``%``, ``‰``, ``个百分点``)."""
    return _unit_class(target.unit) in {"percent", "permille", "pp"}


def is_relative(target: Target) -> bool:
    """True for targets whose size does not depend on the jurisdiction's size: percentages,
    per-capita rates (``每万人``) and per-entity counts (``各学校…不少于1场次``)."""
    if is_percentage(target):
        return True
    per = target.per
    if per.startswith("各") or _ENTITY_RE.match(per):
        return True
    return bool(
        re.match(
            r"每[0-9两二三四五六七八九十百千万]*(?:个)?(?:万人|千人|百人|人|名|户|村|校|所|县|乡镇|社区)", per
        )
    )


_PERIOD_YEARS = {
    "学期": 0.5,
    "半年": 0.5,
    "季度": 0.25,
    "月": 1 / 12,
    "周": 1 / 52,
    "天": 1 / 365,
    "日": 1 / 365,
}


def _per_period_years(per: str) -> float | None:
    m = re.search(r"每([0-9两二三四五六七八九十]*)(?:个)?(学年|年度|年|学期|半年|季度|月|周|天|日)", per)
    if not m:
        return None
    count_text, unit = m.group(1), m.group(2)
    count = 1.0
    if count_text:
        count = float(count_text) if count_text.isdigit() else float(_cn_to_int(count_text) or 1)
    return count * _PERIOD_YEARS.get(unit, 1.0)


# ---------------------------------------------------------------------------------------------
# Deadlines

_DEADLINE_RE = re.compile(
    r"(?P<range>(?P<ry1>(?:19|20)\d{2})年?(?:[-—–~至到])(?P<ry2>(?:19|20)\d{2})年)"
    r"|(?P<year>(?P<pre>到|至|截至|截止到|截止|于)?(?P<y>(?:19|20)\d{2})年"
    r"(?:(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?)?"
    r"(?P<post>底前|底|末|初|前|以前|之前|年内|内|上半年|下半年|以来)?)"
    r"|(?P<plan>“?(?P<pn>十[一二三四五六七八九]?五)”?(?P<pp>期间|时期|期末|末))"
    r"|(?P<within>近?(?:\d+|[一二两三四五六七八九十]+)年(?:内|之内))"
    r"|(?P<every>每(?:学年|学期|年度|季度|半年|年|月|周|[两二三四五六七八九十\d]+(?:年|个月)))"
)


_DOC_SERIAL_RE = re.compile(r"第?\d{1,4}号")


def extract_deadlines(text: str) -> tuple[str, ...]:
    """Years and periods by which (or how often) the text commits to act.

    Parameters
    ----------
    text : any text.

    Returns
    -------
    tuple of str as written, whitespace and quotes removed, in order, without duplicates:
    ``到2025年``, ``2025年底``, ``2026年前``, ``2022年到2025年``, ``十四五期间``, ``5年内``,
    ``每学期``. Issue dates (``2022年10月31日``), ``…年以来``, plan periods in parentheses
    (``(2021—2025年)``) and years inside titles or document numbers are skipped.
    """
    norm = _normalise(text)
    t = norm.text
    title, _quote = _masks(t)
    out: list[str] = []
    for m in _DEADLINE_RE.finditer(t):
        s, e = m.start(), m.end()
        if title[s]:
            continue
        if m.group("range"):
            if s > 0 and t[s - 1] == "(" and e < len(t) and t[e] == ")":
                continue  # (2021—2025年): the plan's period in its title
            if s > 0 and t[s - 1] in "-—–~至到" or (e < len(t) and t[e].isdigit()):
                continue
        elif m.group("year"):
            if m.group("post") == "以来":
                continue
            if m.group("d") and not m.group("post"):
                continue  # a date: 2022年8月30日
            if _DOC_SERIAL_RE.match(t, e):
                continue  # 2021年第5号: a document number
            if s > 0 and t[s - 1] == "(" and e < len(t) and t[e] == ")":
                continue
        out.append(t[s:e].replace("“", "").replace("”", ""))
    return tuple(dict.fromkeys(out))


def issued_year(issued: str) -> float | None:
    """A manifest ``issued`` date (``2022-10-31``, ``2022-10``, ``2022``) as a fractional year
    (2022.83); None when empty or unreadable."""
    m = re.match(r"\s*((?:19|20)\d{2})(?:[-/.年](\d{1,2}))?(?:[-/.月](\d{1,2}))?", issued or "")
    if not m:
        return None
    month = int(m.group(2)) if m.group(2) and 1 <= int(m.group(2)) <= 12 else 1
    day = int(m.group(3)) if m.group(3) and 1 <= int(m.group(3)) <= 31 else 1
    return int(m.group(1)) + (month - 1) / 12 + (day - 1) / 365


def deadline_due(deadline: str) -> float | None:
    """When a deadline falls due, as a fractional year (``2025年底`` → 2025.95,
    ``2026年初`` → 2026.1, ``2026年前`` → 2025.95, ``十四五期间`` → 2025.95); None for
    recurrences and relative periods (``每年``, ``5年内``)."""
    m = re.search(
        r"((?:19|20)\d{2})年(?:(\d{1,2})月)?(底前|底|末|初|前|以前|之前|年内|内|上半年|下半年)?$", deadline
    )
    if m:
        year = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else None
        post = m.group(3) or ""
        if month is not None:
            base = year + (month - 1) / 12
            return base - 0.01 if post in {"前", "以前", "之前"} else base + 1 / 12 - 0.01
        if post in {"前", "以前", "之前"}:
            return year - 0.05
        if post in {"初"}:
            return year + 0.1
        if post == "上半年":
            return year + 0.5
        return year + 0.95
    p = re.search(r"(十[一二三四五六七八九]?五)", deadline)
    if p and p.group(1) in _PLAN_PERIOD_YEAR:
        return _PLAN_PERIOD_YEAR[p.group(1)] + 0.95
    return None


# ---------------------------------------------------------------------------------------------
# Agencies

_LEAD_LABELS = ("牵头单位", "牵头部门", "牵头")
_RESP_LABELS = (
    "责任单位",
    "责任部门",
    "配合单位",
    "配合部门",
    "参与单位",
    "参加单位",
    "协办单位",
    "责任主体",
)
#: The labels of an agency note (``牵头单位：…``, ``配合部门：…``): one list for reading agencies
#: here and for telling a duty note from a task in :mod:`align.measures`.
AGENCY_LABELS = (*_LEAD_LABELS[:2], *_RESP_LABELS)
#: The verbs that end a bracketed agency note (``（省教育厅牵头，省科协参与）``, ``（…按职责分工负责）``).
AGENCY_NOTE_VERBS = (
    "按照职责分工负责",
    "按职责分工负责",
    "分工负责",
    "负责",
    "牵头",
    "参与",
    "参加",
    "配合",
    "协助",
    "协办",
)
_LABEL_RE = re.compile(rf"({'|'.join(AGENCY_LABELS)})[:]")
_BY_LEAD_RE = re.compile(r"由([^,;。:()\n]{2,120}?)牵头")
_RESP_AFTER_RE = re.compile(r"^,([^;。:()\n]{2,400}?)(?:等单位|等部门|等)?(?:参加|参与|配合|协助|协同)")
_PAREN_RE = re.compile(r"\(([^()]{2,400})\)")
_PAREN_LEAD_RE = re.compile(r"^([^,;:]{2,200}?)牵头(?:[,;]|$)")
_PAREN_RESP_RE = re.compile(
    r"(?:^|[,;])([^,;:]{2,400}?)(?:等单位|等部门)?(?:按照?职责分工负责|按职责分工|分工负责|负责|配合|参加|参与|协助)$"
)
_ITEM_TRAIL_RE = re.compile(
    r"(?:等单位|等部门|等|按照?职责分工负责|按职责分工|分工负责|分别负责|负责|牵头|参加|参与|配合|协助)+$"
)


def _split_agencies(s: str) -> list[str]:
    items: list[str] = []
    depth = 0
    buf: list[str] = []
    for ch in s:
        if ch in "(〔【[":
            depth += 1
        elif ch in ")〕】]":
            depth = max(0, depth - 1)
        if depth == 0 and ch in "、,;":
            items.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    items.append("".join(buf))
    out: list[str] = []
    for item in items:
        item = _ITEM_TRAIL_RE.sub("", item.strip(" ,;、。:\n"))
        item = item.removeprefix("由")
        item = item.strip(" ,;、。:\n")
        if 2 <= len(item) <= 30 and any(_is_cjk(c) for c in item):
            out.append(item)
    return out


def extract_agencies(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Lead and responsible agencies named in the text.

    Recognised forms: ``（牵头单位：…）``/``牵头部门：…``, ``责任单位：…``/``责任部门：…``
    (a label's list runs to ``）``, a line end, ``。``, ``；`` or the next label),
    ``由…牵头，…等单位参加``, ``（…牵头，…配合）`` and ``（…按职责分工负责）``. Lists are split at
    ``、，,；`` outside brackets (``各县〔市、区〕人民政府`` stays whole); names are kept as written.

    Parameters
    ----------
    text : a measure, an action intro or an action's 分工 block.

    Returns
    -------
    (lead, responsible): tuples of agency names in order, without duplicates; an agency that
    leads is not repeated among the responsible ones.
    """
    t = _normalise(text, keep_newlines=True).text
    lead: list[str] = []
    resp: list[str] = []
    used = [False] * len(t)
    labels = list(_LABEL_RE.finditer(t))
    for k, m in enumerate(labels):
        stop = labels[k + 1].start() if k + 1 < len(labels) else len(t)
        j = m.end()
        depth = 0
        while j < stop:
            ch = t[j]
            if ch in "(〔【":
                depth += 1
            elif ch in ")〕】":
                if depth == 0:
                    break
                depth -= 1
            elif ch in "\n。;" and depth == 0:
                break
            j += 1
        names = _split_agencies(t[m.end() : j])
        (lead if m.group(1) in _LEAD_LABELS else resp).extend(names)
        for x in range(m.start(), j):
            used[x] = True
    for m in _BY_LEAD_RE.finditer(t):
        if used[m.start()]:
            continue
        lead.extend(_split_agencies(m.group(1)))
        tail = _RESP_AFTER_RE.match(t[m.end() :])
        end = m.end()
        if tail:
            resp.extend(_split_agencies(tail.group(1)))
            end += tail.end()
        for x in range(m.start(), end):
            used[x] = True
    for m in _PAREN_RE.finditer(t):
        if any(used[m.start() : m.end()]):
            continue
        inner = m.group(1)
        lm = _PAREN_LEAD_RE.match(inner)
        rest = inner
        if lm:
            lead.extend(_split_agencies(lm.group(1)))
            rest = inner[lm.end() :]
        rm = _PAREN_RESP_RE.search(rest) if rest else None
        if rm:
            resp.extend(_split_agencies(rm.group(1)))
    lead_t = tuple(dict.fromkeys(lead))
    resp_t = tuple(x for x in dict.fromkeys(resp) if x not in lead_t)
    return lead_t, resp_t


# ---------------------------------------------------------------------------------------------
# Segmentation (jieba) for groups and modality

GROUP_SYNONYMS: dict[str, tuple[str, ...]] = {
    "青少年": (
        "青少年",
        "未成年人",
        "少年儿童",
        "儿童",
        "学龄前儿童",
        "幼儿",
        "中小学生",
        "小学生",
        "中学生",
        "大学生",
        "在校学生",
        "在校大学生",
        "学生",
    ),
    "农民": (
        "农民",
        "农牧民",
        "新型职业农民",
        "职业农民",
        "高素质农民",
        "高素质农牧民",
        "林农",
        "小农户",
        "小农牧户",
    ),
    "产业工人": (
        "产业工人",
        "职工",
        "企业职工",
        "农民工",
        "农牧民工",
        "新生代农牧民工",
        "新生代农民工",
        "技术工人",
        "进城务工人员",
        "新业态从业人员",
    ),
    "老年人": ("老年人", "老人", "留守老人", "老龄人群", "老年群体"),
    "领导干部和公务员": ("领导干部", "公务员", "党员干部", "基层干部", "干部"),
    "妇女": ("妇女", "农村妇女", "农村牧区妇女", "女性"),
    "残疾人": ("残疾人", "残障人士"),
    "少数民族": ("少数民族", "少数民族群众"),
    "科技工作者": (
        "科技工作者",
        "青年科技工作者",
        "老科技工作者",
        "科研人员",
        "科技人员",
        "科学家",
        "科技人才",
    ),
    "社区居民": ("社区居民", "城镇居民", "城乡居民", "居民"),
    "企业家": ("企业家",),
    "教师": ("教师", "科学教师", "科技辅导员"),
}
"""Controlled vocabulary: canonical group → synonyms as they appear in plans."""

# compounds that contain a group word but are not that group (kept whole by the segmenter)
_BLOCKERS = ("老年人才", "老人家", "教职工", "学生会", "学生证", "儿童节", "居民区")

MODALITY_LEVELS: dict[str, int] = {
    **dict.fromkeys(
        (
            "确保",
            "必须",
            "务必",
            "须",
            "应",
            "应当",
            "全面",
            "实现",
            "达到",
            "全覆盖",
            "严格",
            "不得",
            "一律",
        ),
        3,
    ),
    **dict.fromkeys(
        (
            "加强",
            "推进",
            "开展",
            "完善",
            "落实",
            "建立",
            "健全",
            "实施",
            "强化",
            "深化",
            "加大",
            "加快",
            "大力",
            "深入",
            "持续",
            "坚持",
            "构建",
            "打造",
            "创建",
            "要",
        ),
        2,
    ),
    **dict.fromkeys(
        (
            "力争",
            "争取",
            "推动",
            "鼓励",
            "支持",
            "引导",
            "探索",
            "逐步",
            "倡导",
            "提倡",
            "试点",
            "适时",
            "有条件的",
        ),
        1,
    ),
}
"""Strength of commitment words: 3 firm, 2 ordinary action, 1 hedged/soft."""

_MULTI_WORDS = tuple(w for w in MODALITY_LEVELS if len(w) > 1) + (
    "力争达到",
    "力争实现",
    "力争超过",
    "争取实现",
)


def _user_tag() -> str:
    """A short stable tag of the current user (their home folder), for per-user file names."""
    try:
        home = str(Path.home())
    except (RuntimeError, KeyError):  # no HOME and no password entry
        home = str(getattr(os, "getuid", lambda: "")())
    return hashlib.sha1(home.encode("utf-8", "surrogatepass")).hexdigest()[:10]


class _Segmenter:
    """A private jieba tokenizer with the vocabulary of this module added (the global jieba
    dictionary is left untouched). Loaded on first use, once per process."""

    def __init__(self) -> None:
        self._tok: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        with self._lock:
            if self._tok is None:
                with warnings.catch_warnings():  # jieba imports the deprecated pkg_resources
                    warnings.simplefilter("ignore", UserWarning)
                    import jieba

                # jieba's only messages are a failed cache dump (with a traceback) and debug
                # chatter; the dictionary cache is a speed-up, so failing to write it is silent.
                jieba.setLogLevel(logging.CRITICAL)
                tok = jieba.Tokenizer()
                # One cache per user: jieba's shared /tmp/jieba.cache is private to whoever
                # wrote it first, and every other user's dump then fails.
                tok.cache_file = f"jieba.align.{_user_tag()}.cache"
                tok.initialize()
                words = {w for syn in GROUP_SYNONYMS.values() for w in syn} | set(_BLOCKERS)
                words |= {w for w in _MULTI_WORDS if len(w) > 1}
                for w in sorted(words):
                    tok.add_word(w, freq=max(tok.suggest_freq(w, tune=False), 50_000))
                self._tok = tok
            return self._tok

    def tokens(self, text: str) -> tuple[tuple[str, int], ...]:
        """``(token, start offset)`` pairs of ``text``."""
        return _cached_tokens(self, text)

    def is_word(self, text: str, start: int, end: int, context: int = 6) -> bool:
        """Whether ``text[start:end]`` (a word of this module's vocabulary) is one whole token
        when the segmenter reads it in its context (``context`` characters either side).

        Shortcut: when no dictionary word crosses either edge of the span, every segmentation
        has token boundaries there, and the vocabulary word (added with a high frequency) is
        kept whole, so the window need not be segmented.
        """
        freq: dict[str, int] = self._load().FREQ  # type: ignore[attr-defined]
        crossing = False
        for edge in (start, end):
            for i in range(max(0, edge - context + 1), edge):
                for j in range(edge + 1, min(len(text), i + context) + 1):
                    if freq.get(text[i:j], 0) > 0:
                        crossing = True
                        break
                if crossing:
                    break
            if crossing:
                break
        if not crossing:
            return True
        left = max(0, start - context)
        window = text[left : end + context]
        return any(s == start - left and s + len(w) == end - left for w, s in self.tokens(window))


@lru_cache(maxsize=16384)
def _cached_tokens(seg: _Segmenter, text: str) -> tuple[tuple[str, int], ...]:
    tok = seg._load()
    return tuple((w, s) for w, s, _e in tok.tokenize(text, HMM=False))  # type: ignore[attr-defined]


_SEGMENTER = _Segmenter()

_GROUP_OF: dict[str, str] = {syn: canon for canon, syns in GROUP_SYNONYMS.items() for syn in syns}
_GROUP_RE = re.compile("|".join(sorted(_GROUP_OF, key=len, reverse=True)))


def extract_groups(text: str) -> tuple[str, ...]:
    """Target populations named in the text, as canonical names of ``GROUP_SYNONYMS``.

    A synonym counts only where it is a whole word for the segmenter (jieba, with the group
    vocabulary added): ``农民工`` is 产业工人, not 农民; ``老年人才`` is not 老年人.

    Parameters
    ----------
    text : any text.

    Returns
    -------
    tuple of canonical group names in order of first mention.
    """
    t = _normalise(text).text
    out: list[str] = []
    for m in _GROUP_RE.finditer(t):
        if _SEGMENTER.is_word(t, m.start(), m.end()):
            out.append(_GROUP_OF[m.group(0)])
    return tuple(dict.fromkeys(out))


_MODALITY_RE = re.compile("|".join(sorted(set(_MULTI_WORDS) | set(MODALITY_LEVELS), key=len, reverse=True)))


def modality(text: str) -> tuple[int, tuple[str, ...]]:
    """Strength of the commitment verbs in the text.

    Parameters
    ----------
    text : any text.

    Returns
    -------
    (level, words): the strongest level found (0 when none, see ``MODALITY_LEVELS``) and the
    commitment words in order of appearance. A hedge right before a firm verb is one word at
    level 1: ``力争达到`` (1) is softer than ``达到`` (3).
    """
    norm = _normalise(text)
    t = norm.text
    title, _quote = _masks(t)
    words: list[str] = []
    for m in _MODALITY_RE.finditer(t):
        if title[m.start()] or not _SEGMENTER.is_word(t, m.start(), m.end()):
            continue
        words.append(m.group(0))
    level = max((_word_level(w) for w in words), default=0)
    return level, tuple(words)


_FORMAL_DUTY_RE = re.compile(r"(纳入|列入|作为)[^。;]{0,20}?(考核|考评|预算|规划|评价|评估|指标)")


def binding_cue(sentence: str) -> str:
    """What makes a sentence a binding commitment, or ``""`` when it is not one.

    Binding: a firm commitment word (``应``, ``确保``, ``全覆盖``… level 3 of ``MODALITY_LEVELS``),
    a quantified target, or a duty written into assessment, budget or plans (``纳入年终考核``,
    ``列入同级财政预算``). Soft or ordinary wording (``鼓励``, ``支持``, ``开展``) is not.

    Returns
    -------
    The cue as written (``应``, ``200场次``, ``纳入…考核``), for evidence.
    """
    targets = extract_targets(sentence)
    if targets:
        return fmt_target(targets[0])
    level, words = modality(sentence)
    if level >= 3:
        return next(w for w in words if _word_level(w) >= 3)
    duty = _FORMAL_DUTY_RE.search(_normalise(sentence).text)
    return f"{duty.group(1)}…{duty.group(2)}" if duty else ""


def _word_level(word: str) -> int:
    if word.startswith(_HEDGES):
        return 1
    return MODALITY_LEVELS.get(word, 0)


# ---------------------------------------------------------------------------------------------
# All attributes of one measure


class MeasureAttributes(TypedDict):
    """The attribute fields of ``align.models.Measure``."""

    targets: tuple[Target, ...]
    deadline: tuple[str, ...]
    lead_agencies: tuple[str, ...]
    responsible_agencies: tuple[str, ...]
    groups: tuple[str, ...]
    modality: int
    modality_words: tuple[str, ...]


def measure_attributes(text: str) -> MeasureAttributes:
    """All attributes of a measure's text, keyed by the field names of ``align.models.Measure``
    (``dataclasses.replace(measure, **measure_attributes(measure.text))``)."""
    lead, resp = extract_agencies(text)
    level, words = modality(text)
    return {
        "targets": extract_targets(text),
        "deadline": extract_deadlines(text),
        "lead_agencies": lead,
        "responsible_agencies": resp,
        "groups": extract_groups(text),
        "modality": level,
        "modality_words": words,
    }


# ---------------------------------------------------------------------------------------------
# Comparison


class HasAttributes(Protocol):
    """What ``compare_attributes`` reads of a measure (``align.models.Measure`` fits)."""

    @property
    def targets(self) -> tuple[Target, ...]: ...

    @property
    def deadline(self) -> tuple[str, ...]: ...

    @property
    def modality(self) -> int: ...

    @property
    def modality_words(self) -> tuple[str, ...]: ...


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", s)
    if len(s) < 2:
        return {s} if s else set()
    return {s[i : i + 2] for i in range(len(s) - 1)}


def counted_similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two ``counted`` phrases (0..1)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def fmt_target(t: Target) -> str:
    """A target as the evidence writes it: ``各学校每学期1场次``, ``15%``."""
    return f"{t.per}{t.value:g}{t.unit}"


def fmt_counted(t: Target) -> str:
    """The target with what it counts, as a reader finds it in the text: ``40个（科普示范学校）``."""
    if not t.counted:
        return fmt_target(t)
    counted = t.counted if len(t.counted) <= 12 else t.counted[:11] + "…"
    return f"{fmt_target(t)}（{counted}）"


def per_capita_change(parent_value: float, child_value: float, scale: float, tolerance: float) -> int:
    """+1 when a child's count is above its per-capita share of the parent's (``parent_value *
    scale``, scale = child population / parent population) by more than ``tolerance`` times, -1
    when below by as much, 0 in between: the rule of the status evidence and of
    :func:`align.graph.escalations`."""
    expected = parent_value * scale
    if child_value > expected * tolerance:
        return 1
    if child_value < expected / tolerance:
        return -1
    return 0


_DECLINES = frozenset({"下降", "降低", "减少"})


def _lower_is_better(target: Target) -> bool:
    # a cap (控制在…, 不超过…, …以下) or a decline *to* a level (下降到10%); a decline *by* an
    # amount (每年下降1个百分点以上) is stricter the larger it is
    raw = target.raw.rstrip("。；，")
    if raw.endswith(("以下", "以内", "之内")):
        return True
    if target.comparator in _DECLINES:
        return bool(re.match(rf"{target.comparator}(?:到|至|为)", raw))
    return target.comparator in _UPPER_BOUNDS


def is_upper_bound(parent: Target, child: Target) -> bool:
    """Whether a lower number is the stricter commitment (控制在…以下, 不超过…, 下降到…)."""
    return _lower_is_better(parent) or _lower_is_better(child)


def yearly_amounts(parent: Target, child: Target) -> tuple[float, float, bool]:
    """The two targets' amounts, as yearly rates when their periods differ (每年1000场次 and
    每月100场次 compare as 1000 and 1200), and whether they did."""
    pa, ca = target_amount(parent), target_amount(child)
    pp, cp = _per_period_years(parent.per), _per_period_years(child.per)
    if pp and cp and pp != cp:
        return pa / pp, ca / cp, True
    return pa, ca, False


def target_change(
    parent: Target, child: Target, comparable: bool, scale: float | None = None, tolerance: float = 2.0
) -> int | None:
    """How demanding the child's target is against the parent's: +1 more (a higher number, or a
    lower cap), -1 less, 0 the same, ``None`` when the numbers cannot be compared.

    Parameters
    ----------
    comparable : the numbers compare as they are (plans of one level, or relative targets:
        percentages, per-capita rates, per-entity counts; see :func:`is_relative`).
    scale : child population / parent population: counts of different levels are then compared
        with the child's per-capita share of the parent's (see :func:`per_capita_change`).
    tolerance : with ``scale``, how far from that share still counts as the same.

    Returns
    -------
    The direction, on yearly rates when the periods differ: the rule of the status evidence and
    of :func:`align.graph.escalations`.
    """
    pa, ca, _ = yearly_amounts(parent, child)
    sign = -1 if is_upper_bound(parent, child) else 1
    if comparable:
        return 0 if math.isclose(pa, ca) else sign * (1 if ca > pa else -1)
    if scale is not None:
        return sign * per_capita_change(pa, ca, scale, tolerance) if pa * scale > 0 else 0
    return None


def _strength(comparator: str) -> int:
    """Firmness of a target's comparator: hedged (力争…) 1, plain 2, guaranteed (确保…) 3."""
    if comparator.startswith(_HEDGES):
        return 1
    if comparator.startswith("确保"):
        return 3
    return 2


@dataclass(frozen=True)
class AttributeComparer:
    """Scores how a child measure's attributes differ from its parent's.

    Parameters
    ----------
    min_similarity : least ``counted`` similarity (bigram Dice) for two targets of compatible
        units to be taken as the same target.
    scale : child size / parent size (e.g. population ratio). When given, absolute counts of
        different levels are compared after scaling the parent's by it.
    scale_tolerance : with ``scale``, a child count within [expected / tol, expected * tol]
        is comparable (no evidence); outside, it is raised or lowered.
    weights : evidence weights by kind: ``added``, ``lost``, ``value``, ``comparator``,
        ``period``, ``year``, ``deadline``, ``modality``.
    child_issued : when the child plan was issued, as a fractional year (see :func:`issued_year`).
        A parent deadline or target year that had already passed by then is not compared: the
        child could not keep it, and re-dating it is no weakening (a 2022 city plan that says
        "2022年制定实施方案" where the province said 2021).
    """

    min_similarity: float = 0.3
    scale: float | None = None
    scale_tolerance: float = 2.0
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "added": 1.0,
            "lost": 1.0,
            "value": 1.0,
            "comparator": 1.0,
            "period": 1.0,
            "year": 1.0,
            "deadline": 1.0,
            "modality": 0.5,
        }
    )
    child_issued: float | None = None

    def _passed(self, due: float) -> bool:
        return self.child_issued is not None and due < self.child_issued

    def match_targets(
        self, parent: Sequence[Target], child: Sequence[Target]
    ) -> list[tuple[int, int, float]]:
        """One-to-one pairs ``(parent index, child index, similarity)`` of the same target
        among targets of compatible units: best ``counted`` similarity first (at least
        ``min_similarity``), then any leftover pair that is alone in its unit class on both
        sides and shares a character bigram."""
        scored: list[tuple[float, int, int]] = []
        for i, p in enumerate(parent):
            for j, c in enumerate(child):
                if _unit_class(p.unit) != _unit_class(c.unit):
                    continue
                sim = counted_similarity(p.counted, c.counted)
                if not p.counted and not c.counted:
                    sim = 1.0
                if sim >= self.min_similarity:
                    scored.append((sim, i, j))
        scored.sort(key=lambda x: (-x[0], x[1], x[2]))
        used_p: set[int] = set()
        used_c: set[int] = set()
        pairs: list[tuple[int, int, float]] = []
        for sim, i, j in scored:
            if i in used_p or j in used_c:
                continue
            used_p.add(i)
            used_c.add(j)
            pairs.append((i, j, sim))
        # second pass: a leftover pair that is the only one of its unit class on both sides
        # (培训农业从业人员30万人次 / 开展农民教育培训2000人次) is the same target when the
        # phrases share anything at all
        left_p = [i for i in range(len(parent)) if i not in used_p]
        left_c = [j for j in range(len(child)) if j not in used_c]
        for i in left_p:
            cls = _unit_class(parent[i].unit)
            same_p = [k for k in left_p if _unit_class(parent[k].unit) == cls]
            same_c = [k for k in left_c if _unit_class(child[k].unit) == cls]
            if len(same_p) == 1 and len(same_c) == 1:
                j = same_c[0]
                sim = counted_similarity(parent[i].counted, child[j].counted)
                if sim > 0:
                    pairs.append((i, j, sim))
        return pairs

    def _compare_pair(self, p: Target, c: Target, same_level: bool) -> list[tuple[float, str]]:
        w = self.weights
        ev: list[tuple[float, str]] = []
        comparable = same_level or (is_relative(p) and is_relative(c))
        change = target_change(p, c, comparable, self.scale, self.scale_tolerance)
        # the same amount more often is more demanding: yearly rates, weighed as a change of period
        _pa, _ca, per_year = yearly_amounts(p, c)
        said = f"{fmt_target(p)}→{fmt_target(c)}"
        # counts of two levels: say what is counted, as an added target does
        counts = f"{fmt_counted(p)}→{fmt_target(c)}"
        if change is None:
            if not math.isclose(target_amount(p), target_amount(c)):
                ev.append((0.0, f"{counts} (levels differ: not compared)"))
        elif comparable:
            if change:
                ev.append((change * w["period" if per_year else "value"], said))
        else:
            # the number against the share, whatever the comparator (a cap above its share is
            # "above", and weakens)
            where = {1: "above", -1: "below", 0: "about"}[change * (-1 if is_upper_bound(p, c) else 1)]
            ev.append((change * w["value"], f"{counts} ({where} the per-capita share)"))
        sp, sc = _strength(p.comparator), _strength(c.comparator)
        if sp != sc:
            # the number is the commitment: 力争达到15%→达到12% is lowered, not firmer. The target is
            # named, so a reader tells this (which decides) from a firmer verb (which does not)
            weight = 0.0 if any(x for x, _r in ev) else w["comparator"]
            words = f"{p.comparator or '∅'}→{c.comparator or '∅'}"
            if math.isclose(target_amount(p), target_amount(c)):
                words = f"{p}→{c}"  # the same number, said more or less firmly
            ev.append(((1.0 if sc > sp else -1.0) * weight, f"{words} ({'firmer' if sc > sp else 'softer'})"))
        if p.year and c.year and p.year != c.year:
            if self._passed(p.year + 0.95):
                ev.append((0.0, f"deadline {p.year}→{c.year} (passed when the child was issued)"))
            else:
                ev.append(((1.0 if c.year < p.year else -1.0) * w["year"], f"deadline {p.year}→{c.year}"))
        return ev

    def evidence(
        self, parent: HasAttributes, child: HasAttributes, same_level: bool
    ) -> list[tuple[float, str]]:
        """All pieces of evidence as ``(signed weight, reason)``; positive = strengthened."""
        return [(weight, reason) for weight, reason, _added in self._evidence(parent, child, same_level)]

    def _evidence(
        self, parent: HasAttributes, child: HasAttributes, same_level: bool
    ) -> list[tuple[float, str, bool]]:
        """``(signed weight, reason, is a target only the child has)`` for each piece of evidence."""
        w = self.weights
        ev: list[tuple[float, str, bool]] = []
        pairs = self.match_targets(parent.targets, child.targets)
        matched_p = {i for i, _j, _s in pairs}
        matched_c = {j for _i, j, _s in pairs}
        for i, j, _sim in pairs:
            ev.extend(
                (x, r, False) for x, r in self._compare_pair(parent.targets[i], child.targets[j], same_level)
            )
        for i, p in enumerate(parent.targets):
            if i not in matched_p:
                ev.append((-w["lost"], f"loses target {fmt_counted(p)}", False))
        for j, c in enumerate(child.targets):
            if j not in matched_c:
                ev.append((w["added"], f"adds target {fmt_counted(c)}", True))
        pd = [d for d in (deadline_due(x) for x in parent.deadline) if d is not None]
        cd = [d for d in (deadline_due(x) for x in child.deadline) if d is not None]
        # a child that keeps the parent's deadline (beside milestones of its own) has not moved it
        kept = any(math.isclose(max(pd), d) for d in cd) if pd else False
        if pd and cd and not kept:
            p_word = max(parent.deadline, key=lambda x: deadline_due(x) or 0.0)
            c_word = max(child.deadline, key=lambda x: deadline_due(x) or 0.0)
            direction = 1.0 if max(cd) < max(pd) else -1.0
            if self._passed(max(pd)):  # said, so that a reader sees it was not overlooked
                ev.append((0.0, f"deadline {p_word}→{c_word} (passed when the child was issued)", False))
            else:
                ev.append((direction * w["deadline"], f"deadline {p_word}→{c_word}", False))
        if parent.modality != child.modality:
            pw = _strongest(parent.modality_words) or "∅"
            cw = _strongest(child.modality_words) or "∅"
            direction = 1.0 if child.modality > parent.modality else -1.0
            ev.append(
                (direction * w["modality"], f"{pw}→{cw} ({'firmer' if direction > 0 else 'softer'})", False)
            )
        return ev

    def compare(self, parent: HasAttributes, child: HasAttributes, same_level: bool) -> tuple[int, list[str]]:
        """Direction of change from parent to child and the reasons.

        Parameters
        ----------
        parent, child : measures (or anything with ``targets``, ``deadline``, ``modality``,
            ``modality_words``).
        same_level : whether both plans are of the same administrative level; if not,
            absolute counts are compared only with ``scale``.

        Returns
        -------
        (direction, reasons): +1 strengthened, -1 weakened, 0 comparable (the parent's targets,
        deadlines and verbs decide first: evidence against them weakens whatever the child adds);
        reasons are short
        checkable phrases (``15%→15.5%``, ``力争达到→达到``, ``adds target 200场次``,
        ``loses target 12%``, ``deadline 2025年底→2026年初``).
        """
        ev = self._evidence(parent, child, same_level)
        # The parent's own commitments first: a child that loses or lowers them is weakened even
        # when it adds targets of its own (50 bases lost, "open 60 days a year" added).
        kept = sum(x for x, _r, added in ev if not added)
        score = kept if kept < -1e-9 else sum(x for x, _r, _a in ev)
        direction = 0 if math.isclose(score, 0.0, abs_tol=1e-9) else (1 if score > 0 else -1)
        return direction, [r for _x, r, _a in ev]


def _strongest(words: Iterable[str]) -> str:
    best = ""
    best_level = -1
    for word in words:
        level = _word_level(word)
        if level > best_level:
            best, best_level = word, level
    return best


def compare_attributes(
    parent: HasAttributes, child: HasAttributes, same_level: bool, scale: float | None = None
) -> tuple[int, list[str]]:
    """``AttributeComparer(scale=scale).compare(parent, child, same_level)``."""
    return AttributeComparer(scale=scale).compare(parent, child, same_level)
