"""Reports researchers open: an Excel workbook and a side-by-side HTML page per aligned pair.

* :func:`write_xlsx` writes ``report.xlsx``: a summary sheet (the coverage table) and one sheet
  per (parent plan, child plan) pair, header frozen, filters on, long text wrapped, status
  cells coloured with the same colour-blind-safe palette as the charts.
* :func:`render_pair_html` / :func:`write_pair_html` build one self-contained offline HTML page
  for a pair: parent measure beside child measure with a character-level diff (what the child
  added in ``<ins>``, what it left out in ``<del>``), targets compared, status badges and a filter
  by status and section in plain JavaScript.

The palette and the section helpers live here (no matplotlib import) and are shared with
:mod:`align.plot`.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import html
import inspect
import io
import json
import platform
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from align.cache import BlobStore, blob_schema, digest
from align.fileio import atomic_write_bytes, atomic_write_text
from align.models import ALIGNMENT_COLUMNS, CARRIED, STATUSES, cell_id, check_columns, status_counts

# marks the pages align writes: `align report --html` replaces only a page of its own
GENERATOR = "align"

# --------------------------------------------------------------------------------------------
# palette and labels shared with align.plot
# --------------------------------------------------------------------------------------------

OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
"""The Okabe-Ito palette, distinguishable under the common colour-vision deficiencies."""

STATUS_COLORS: dict[str, str] = {
    "inherited": OKABE_ITO["blue"],
    "strengthened": OKABE_ITO["bluish_green"],
    "weakened": OKABE_ITO["orange"],
    "dropped": OKABE_ITO["vermillion"],
    "added": OKABE_ITO["reddish_purple"],
}
"""Fill colour of each alignment status, in charts, workbook cells and HTML badges."""

STATUS_TEXT_COLORS: dict[str, str] = {
    "inherited": "#FFFFFF",
    "strengthened": "#FFFFFF",
    "weakened": "#000000",
    "dropped": "#FFFFFF",
    "added": "#000000",
}
"""Text colour that stays readable on each status colour."""

STATUS_LABELS: dict[str, str] = {
    "inherited": "inherited 承接",
    "strengthened": "strengthened 强化",
    "weakened": "weakened 弱化",
    "dropped": "dropped 未承接",
    "added": "added 新增",
}
"""Bilingual legend labels."""

_NUMBERING = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百\d]+[）)]|\d+[.．、])\s*"
)
_PATH_SEP = " > "


def split_path(path: object) -> list[str]:
    """The elements of a ``"A > B > C"`` path (empty list for an empty or missing path)."""
    if not isinstance(path, str) or not path.strip():
        return []
    return [part.strip() for part in path.split(_PATH_SEP.strip()) if part.strip()]


def short_title(title: str, max_len: int = 12) -> str:
    """A compact label for a heading: numbering, a leading ``实施`` and a trailing ``。`` removed,
    the last comma clause kept, cut to ``max_len`` characters with ``…``.

    Parameters
    ----------
    title : a heading as it appears in a path element.
    max_len : the longest label returned.

    Returns
    -------
    The short label (``"聚焦全人群覆盖,实施五项提升行动"`` → ``"提升行动"``).
    """
    text = _NUMBERING.sub("", title).strip().rstrip("。.")
    text = re.split(r"[,，;；]", text)[-1].strip() or text
    text = re.sub(r"^实施", "", text)
    text = re.sub(r"^[一二三四五六七八九十两\d]+项", "", text) or text
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def theme_title(title: str, max_len: int = 12) -> str:
    """The short name of a theme heading: ``"实施青少年科学素质提升行动"`` → ``"青少年"``."""
    text = short_title(title, max_len=10_000)
    text = re.sub(r"(?:科学素质)?提升行动$", "", text) or text
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def section_key(path: object, split: Sequence[str] = ("提升行动",), max_len: int = 12) -> str:
    """The section a measure belongs to, for grouping and filtering.

    The top-level path element, or, when the top-level title contains one of ``split`` (the
    提升行动 of the science-literacy plans), the theme named by the second element so that
    youth, farmers, workers … stay distinct.

    Parameters
    ----------
    path : a ``"A > B > C"`` path as in ``alignment.csv``.
    split : substrings of top-level titles whose second level is used instead.
    max_len : the longest label returned.

    Returns
    -------
    A short label, ``""`` when the path is empty.
    """
    parts = split_path(path)
    if not parts:
        return ""
    top = parts[0]
    if len(parts) > 1 and any(word in top for word in split):
        return theme_title(parts[1], max_len=max_len)
    return short_title(top, max_len=max_len)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _text(value: object) -> str:
    return "" if _blank(value) else str(value)


def best_status(statuses: Iterable[str]) -> str:
    """The best status among the rows of one parent measure (a carrying row beats ``dropped``)."""
    order = {status: rank for rank, status in enumerate(("strengthened", "inherited", "weakened", "dropped"))}
    present = [s for s in statuses if s in order]
    return min(present, key=order.__getitem__) if present else "dropped"


def parent_status_frame(alignment: pd.DataFrame) -> pd.DataFrame:
    """One row per (child plan, parent measure) with its best status and whether it is carried.

    Parameters
    ----------
    alignment : rows with the columns of ``alignment.csv``.

    Returns
    -------
    DataFrame with ``parent_plan, child_plan, parent_measure, parent_path, status, carried``
    (added rows, which have no parent measure, are left out).
    """
    cols = ["parent_plan", "child_plan", "parent_measure", "parent_path", "status", "carried"]
    check_columns(alignment, cols[:-1], "alignment", empty_ok=True)
    if alignment.empty:
        return pd.DataFrame(columns=cols)
    rows = alignment[~alignment["parent_measure"].map(_blank)]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    keys = ["parent_plan", "child_plan", "parent_measure"]
    grouped = rows.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(parent_path=("parent_path", "first"), status=("status", best_status)).reset_index()
    out["carried"] = out["status"].isin(CARRIED)
    return out[cols]


def pairs_of(alignment: pd.DataFrame) -> list[tuple[str, str]]:
    """The (parent plan, child plan) pairs of an alignment, in order of first appearance."""
    check_columns(alignment, ("parent_plan", "child_plan"), "alignment", empty_ok=True)
    if alignment.empty:
        return []
    pairs = alignment[["parent_plan", "child_plan"]].astype(str).drop_duplicates()
    return [(str(p), str(c)) for p, c in pairs.itertuples(index=False)]


def pair_rows(alignment: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """``(parent plan, child plan, its rows)`` for each pair of an alignment, in the order of
    :func:`pairs_of` (one grouping pass, not one scan of the table per pair)."""
    check_columns(alignment, ("parent_plan", "child_plan"), "alignment", empty_ok=True)
    if alignment.empty:
        return
    keys = [alignment["parent_plan"].astype(str), alignment["child_plan"].astype(str)]
    groups = alignment.groupby(keys, sort=False).indices
    for parent, child in pairs_of(alignment):
        yield parent, child, alignment.iloc[groups[(parent, child)]]


_TARGET_SEP = re.compile(r"[；;]")


def _targets_lookup(measures: pd.DataFrame | None) -> dict[tuple[str, str], list[str]]:
    if isinstance(measures, list | tuple):  # Measure objects, e.g. pair.parent_measures
        raise TypeError(
            "measures must be a DataFrame with the columns of measures.csv "
            "(align.models.measures_frame(pair.parent_measures + pair.child_measures)), not a list"
        )
    if measures is None or measures.empty or "targets" not in measures:
        return {}
    check_columns(measures, ("plan_id", "measure_id"), "measures")
    lookup: dict[tuple[str, str], list[str]] = {}
    for plan_id, measure_id, targets in zip(
        measures["plan_id"], measures["measure_id"], measures["targets"], strict=True
    ):
        items = [t.strip() for t in _TARGET_SEP.split(_text(targets)) if t.strip()]
        lookup[(cell_id(plan_id), cell_id(measure_id))] = items
    return lookup


# --------------------------------------------------------------------------------------------
# Excel workbook
# --------------------------------------------------------------------------------------------

_FORBIDDEN_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
"""Control characters an xlsx cell cannot hold (the set openpyxl refuses)."""
_HEADER_FILL = "#DDDDDD"
_COLUMN_WIDTHS: dict[str, float] = {
    "parent_plan": 14,
    "child_plan": 14,
    "parent_measure": 12,
    "child_measure": 12,
    "parent_path": 28,
    "child_path": 28,
    "parent_text": 60,
    "child_text": 60,
    "similarity": 10,
    "status": 13,
    "evidence": 36,
    "parent_targets": 24,
    "child_targets": 24,
    "path": 30,
    "text": 70,
    "targets": 28,
    "jurisdiction": 14,
    "coverage": 10,
}
_WRAPPED = {"parent_path", "child_path", "parent_text", "child_text", "evidence", "path", "text", "targets"}
_WRAPPED |= {"parent_targets", "child_targets", "lead_agencies", "responsible_agencies", "groups"}
_SHEET_NAME_UNITS = 31  # Excel counts UTF-16 code units


def _cut(name: str, units: int) -> str:
    """``name`` cut to at most ``units`` UTF-16 code units, without a trailing apostrophe."""
    out = name[:units]
    while len(out.encode("utf-16-le")) > 2 * units:
        out = out[:-1]
    return out.rstrip("'")


def sheet_title(name: str, taken: Iterable[str] = ()) -> str:
    """An Excel sheet name: forbidden characters ``[]:*?/\\`` replaced, at most 31 characters
    (UTF-16 code units), no apostrophe at either end, not a case-insensitive duplicate of ``taken``.

    Parameters
    ----------
    name : the wished-for name.
    taken : names already used in the workbook.

    Returns
    -------
    A valid, unique sheet name.
    """
    base = _FORBIDDEN_SHEET_CHARS.sub("_", name).strip("'") or "sheet"
    used = {t.lower() for t in taken}
    candidate = _cut(base, _SHEET_NAME_UNITS)
    number = 2
    while candidate.lower() in used:
        suffix = f"~{number}"
        candidate = _cut(base, _SHEET_NAME_UNITS - len(suffix)) + suffix
        number += 1
    return candidate


def _column_width(width: float) -> float:
    """The width to pass to xlsxwriter for a stored column width of ``width`` characters.

    xlsxwriter adds the cell padding (5 px at 7 px per character) to the width it is given;
    openpyxl stored the width as given. Asking for ``width - 5/7`` stores exactly ``width``
    for whole widths (checked in the tests)."""
    return width - 5 / 7 if width >= 1 else width


class _Formats:
    """The workbook's cell formats, each created once: the header's, and one per combination of
    (wrapped, number format, status) in the body."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.header = workbook.add_format(
            {"bold": True, "pattern": 1, "bg_color": _HEADER_FILL, "valign": "vcenter"}
        )
        self._body: dict[tuple[bool, str | None, str | None], Any] = {}

    def body(self, wrap: bool, number_format: str | None, status: str | None) -> Any:
        key = (wrap, number_format, status)
        fmt = self._body.get(key)
        if fmt is None:
            props: dict[str, object] = {"valign": "top"}
            if wrap:
                props["text_wrap"] = True
            if number_format is not None:
                props["num_format"] = number_format
            if status is not None:
                props.update(
                    pattern=1,
                    bg_color=STATUS_COLORS[status],
                    font_color=STATUS_TEXT_COLORS[status],
                    bold=True,
                )
            fmt = self._body[key] = self.workbook.add_format(props)
        return fmt


def _fill_sheet(ws: Any, formats: _Formats, frame: pd.DataFrame, percent_columns: Sequence[str] = ()) -> None:
    """Write ``frame`` into the xlsxwriter worksheet ``ws``: a bold grey header row, every body
    cell aligned to the top (long text wrapped), similarity and percentages formatted, status
    cells coloured; header frozen and filters on."""
    columns = [str(c) for c in frame.columns]
    for col, name in enumerate(columns):
        ws.set_column(col, col, _column_width(_COLUMN_WIDTHS.get(name, max(10, min(40, len(name) + 2)))))
        ws.write_string(0, col, name, formats.header)
    wrap = [name in _WRAPPED for name in columns]
    is_status = [name == "status" for name in columns]
    number_formats = [
        "0.00" if name == "similarity" else "0.0%" if name in percent_columns else None for name in columns
    ]
    body = formats.body
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for col, raw in enumerate(values):
            value = _cell(raw)
            number_format = number_formats[col] if isinstance(value, float) else None
            status = value if is_status[col] and isinstance(value, str) and value in STATUS_COLORS else None
            fmt = body(wrap[col], number_format, status)
            if value is None:
                ws.write_blank(row, col, None, fmt)
            elif isinstance(value, str):
                ws.write_string(row, col, value, fmt)
            elif isinstance(value, bool):
                ws.write_boolean(row, col, value, fmt)
            else:
                ws.write_number(row, col, value, fmt)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(frame), max(0, len(columns) - 1))


def _cell(value: object) -> str | bool | int | float | None:
    if _blank(value):
        return None
    if isinstance(value, str):
        return _ILLEGAL_CHARACTERS.sub("", value)  # control characters Excel cannot store
    if isinstance(value, bool | int | float):
        return value
    if hasattr(value, "item"):  # numpy scalar
        item = value.item()
        return item if isinstance(item, bool | int | float) else str(item)
    return str(value)


def _with_targets(frame: pd.DataFrame, lookup: Mapping[tuple[str, str], list[str]]) -> pd.DataFrame:
    if not lookup:
        return frame
    out = frame.copy()
    out["parent_targets"] = [
        "；".join(lookup.get((str(p), _text(m)), []))
        for p, m in zip(out["parent_plan"], out["parent_measure"], strict=True)
    ]
    out["child_targets"] = [
        "；".join(lookup.get((str(c), _text(m)), []))
        for c, m in zip(out["child_plan"], out["child_measure"], strict=True)
    ]
    return out


def write_xlsx(
    path: str | Path,
    alignment: pd.DataFrame,
    coverage: pd.DataFrame,
    measures: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
) -> Path:
    """Write the Excel report: a ``summary`` sheet and one sheet per aligned pair.

    Parameters
    ----------
    path : the ``.xlsx`` file to write (atomically: an existing file stays intact on failure).
    alignment : rows with the columns of ``alignment.csv``.
    coverage : rows with the columns of ``coverage.csv`` (the summary sheet).
    measures : optional ``measures.csv`` rows; when given, each pair sheet gets the extracted
        targets of both measures (``parent_targets``, ``child_targets``) and a ``measures``
        sheet is added.
    notes : what the run could not do (``CorpusResult.notes``: a plan not aligned and why, a
        document skipped); when given, a ``notes`` sheet follows the summary, so that a plan
        missing from the summary is explained in the workbook itself.

    Returns
    -------
    The path written.

    Written with xlsxwriter, in memory; strings are written as text (never read as formulas or
    links), numbers with 16 significant digits.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "nan_inf_to_errors": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    wb = xlsxwriter.Workbook(buffer, options)
    # a fixed creation date (xlsxwriter's zip entries are dated 1980 already): the same inputs
    # give the same bytes, so re-runs change no checksum in the output ledger
    wb.set_properties({"created": datetime.datetime(1980, 1, 1, tzinfo=datetime.UTC)})
    formats = _Formats(wb)
    _fill_sheet(
        wb.add_worksheet("summary"),
        formats,
        coverage.reset_index(drop=True),
        percent_columns=("coverage",),
    )
    taken = ["summary", "measures"]
    if notes:
        _fill_sheet(wb.add_worksheet("notes"), formats, pd.DataFrame({"note": list(notes)}))
        taken.append("notes")
    lookup = _targets_lookup(measures)
    for parent, child, rows in pair_rows(alignment):
        frame = _with_targets(
            rows[[c for c in ALIGNMENT_COLUMNS if c in rows]].reset_index(drop=True), lookup
        )
        title = sheet_title(f"{parent}→{child}", taken)
        taken.append(title)
        _fill_sheet(wb.add_worksheet(title), formats, frame)
    if measures is not None:
        _fill_sheet(wb.add_worksheet("measures"), formats, measures.reset_index(drop=True))
    wb.close()  # in memory: a failure above leaves no file behind
    return atomic_write_bytes(path, buffer.getvalue())


# --------------------------------------------------------------------------------------------
# side-by-side HTML
# --------------------------------------------------------------------------------------------


def diff_segments(
    parent: str, child: str, min_equal: int = 3
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Character-level diff of two texts as (kind, text) segments for each side.

    ``kind`` is ``"equal"``, ``"del"`` (parent text the child lacks) or ``"ins"`` (what the child
    added). Equal runs shorter than ``min_equal`` characters lying between two changes are folded
    into the change, so the highlight follows phrases rather than scattered single characters.

    Parameters
    ----------
    parent : the parent measure's text.
    child : the child measure's text.
    min_equal : shortest common run kept as common inside a changed stretch.

    Returns
    -------
    ``(parent_segments, child_segments)``; joining each side's texts gives back the input text.
    """
    left, right = _diff_segments(parent, child, min_equal)
    return list(left), list(right)


@lru_cache(maxsize=4096)  # a measure copied down to several plans is diffed against the same text
def _diff_segments(
    parent: str, child: str, min_equal: int
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    if parent and parent == child:  # what the matcher gives, without its quadratic search
        return (("equal", parent),), (("equal", child),)
    matcher = difflib.SequenceMatcher(None, parent, child, autojunk=False)
    opcodes = matcher.get_opcodes()
    spans: list[tuple[str, int, int, int, int]] = []
    for index, (opcode, i1, i2, j1, j2) in enumerate(opcodes):
        tag: str = opcode
        if tag == "equal" and 0 < index < len(opcodes) - 1 and (i2 - i1) < min_equal:
            tag = "replace"  # a short common run inside a changed stretch
        if spans and tag != "equal" and spans[-1][0] != "equal":
            prev = spans[-1]
            spans[-1] = ("replace", prev[1], i2, prev[3], j2)
        else:
            spans.append((tag, i1, i2, j1, j2))
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in spans:
        a, b = parent[i1:i2], child[j1:j2]
        if tag == "equal":
            left.append(("equal", a))
            right.append(("equal", b))
            continue
        if a:
            left.append(("del", a))
        if b:
            right.append(("ins", b))
    return tuple(left), tuple(right)


Segments = tuple[tuple[str, str], ...]
DIFF_CACHE_VERSION = 1
"""Bump by hand when the diff changes in a way the fingerprint (the source of ``_diff_segments``
and the Python version, for difflib) cannot see."""


class DiffCache(BlobStore):
    """A disk cache of :func:`diff_segments` (``cache_dir/diffs.sqlite3``): the character diffs
    of the HTML pages, which cost most of their time, are computed once per pair of texts.

    An entry is keyed by the SHA-256 of (version, parent text, child text) and must give back
    both texts when its segments are joined; one that does not, or whose checksum fails, is
    recomputed and rewritten.
    """

    FILE_NAME = "diffs.sqlite3"
    TABLE = "diffs"
    SCHEMA = blob_schema(TABLE)

    def version(self, min_equal: int) -> str:
        try:
            code = digest(inspect.getsource(_diff_segments.__wrapped__)).hex()[:16]
        except (OSError, TypeError):
            code = "-"
        return f"v{DIFF_CACHE_VERSION}|python {platform.python_version()}|{code}|min_equal={min_equal}"

    def segments(
        self, pairs: Iterable[tuple[str, str]], min_equal: int = 3
    ) -> dict[tuple[str, str], tuple[Segments, Segments]]:
        """``(parent, child) → (parent segments, child segments)`` for every pair, from the cache
        where it holds them; the others are computed and stored."""
        unique = list(dict.fromkeys(pairs))
        version = self.version(min_equal)
        keys = [digest(version, p, c) for p, c in unique]
        stored = self.lookup_blobs(keys)
        out: dict[tuple[str, str], tuple[Segments, Segments]] = {}
        fresh: list[tuple[bytes, bytes]] = []
        for (parent, child), key in zip(unique, keys, strict=True):
            blob = stored.get(key)
            found = _decode_diff(blob, parent, child) if blob is not None else None
            if found is None:
                if blob is not None:
                    self.corrupt += 1
                found = _diff_segments(parent, child, min_equal)
                data = zlib.compress(json.dumps(found, ensure_ascii=False).encode("utf-8"), 6)
                fresh.append((key, data))
                self.misses += 1
            else:
                self.hits += 1
            out[(parent, child)] = found
        self.store_blobs(fresh)
        return out


def _decode_diff(blob: bytes, parent: str, child: str) -> tuple[Segments, Segments] | None:
    """The segments of a cached diff, or None when they are damaged or do not give back the texts."""
    try:
        left, right = json.loads(zlib.decompress(blob).decode("utf-8"))
        sides = []
        for segments, text, changed in ((left, parent, "del"), (right, child, "ins")):
            side = tuple((str(kind), str(part)) for kind, part in segments)
            if any(kind not in ("equal", changed) or not isinstance(part, str) for kind, part in segments):
                return None
            if "".join(part for _, part in side) != text:
                return None
            sides.append(side)
    except (zlib.error, UnicodeDecodeError, ValueError, TypeError, RecursionError):
        return None
    return sides[0], sides[1]


def _segments_html(segments: Sequence[tuple[str, str]]) -> str:
    parts = []
    for kind, text in segments:
        escaped = html.escape(text)
        parts.append(f"<{kind}>{escaped}</{kind}>" if kind in ("ins", "del") else escaped)
    return "".join(parts)


_CSS = """
body{font-family:"Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#222;line-height:1.6}
h1{font-size:1.3em;margin-bottom:.2em}
.meta{color:#555;margin-bottom:1em}
.controls{position:sticky;top:0;background:#fff;padding:.6em 0;border-bottom:1px solid #ccc;z-index:1}
.controls label{margin-right:.8em;white-space:nowrap}
.badge{display:inline-block;border-radius:.8em;padding:0 .6em;font-size:.85em;font-weight:bold}
.row{display:grid;grid-template-columns:1fr 1fr;gap:1em;border-bottom:1px solid #ddd;padding:.8em 0}
.row .head{grid-column:1 / span 2;font-size:.9em;color:#333}
.side{background:#fafafa;padding:.5em .7em;border-radius:4px;min-height:1em}
.side.empty{background:repeating-linear-gradient(45deg,#f4f4f4,#f4f4f4 8px,#fff 8px,#fff 16px);color:#888}
.path{font-size:.85em;color:#666}
ins{background:#c9efe3;text-decoration:underline;text-decoration-color:#009E73}
del{background:#f9d3bf;text-decoration:line-through;text-decoration-color:#D55E00}
.targets{font-size:.85em;margin-top:.4em}
.targets .new{background:#c9efe3}
.targets .lost{background:#f9d3bf}
.evidence{font-style:italic}
#shown{margin-left:1em;color:#555}
"""

_JS = """
(function(){
  function apply(){
    var on = {};
    document.querySelectorAll('input.status-filter').forEach(function(box){ on[box.value] = box.checked; });
    var section = document.getElementById('section-filter').value;
    var shown = 0;
    document.querySelectorAll('div.row').forEach(function(row){
      var ok = on[row.dataset.status] && (section === '' || row.dataset.section === section);
      row.style.display = ok ? '' : 'none';
      if (ok) { shown += 1; }
    });
    document.getElementById('shown').textContent = shown + ' shown';
  }
  document.querySelectorAll('input.status-filter').forEach(function(box){ box.addEventListener('change', apply); });
  document.getElementById('section-filter').addEventListener('change', apply);
  apply();
})();
"""


def _badge(status: str, text: str | None = None) -> str:
    bg = STATUS_COLORS.get(status, "#999999")
    fg = STATUS_TEXT_COLORS.get(status, "#000000")
    label = html.escape(text if text is not None else status)
    return (
        f'<span class="badge status-{html.escape(status)}" style="background:{bg};color:{fg}">{label}</span>'
    )


def _targets_html(mine: list[str], other: list[str], mark: str) -> str:
    if not mine:
        return ""
    items = [
        f'<span class="{mark}">{html.escape(t)}</span>' if t not in other else html.escape(t) for t in mine
    ]
    return '<div class="targets">targets: ' + "；".join(items) + "</div>"


def _row_count(alignment_pair: pd.DataFrame, counts: Mapping[str, int]) -> str:
    """How many rows, and why they are more than the measures the badges count."""
    parents = sum(counts.get(s, 0) for s in STATUSES if s != "added")
    added = counts.get("added", 0)
    rows = len(alignment_pair)
    said = f"{rows} rows: {parents} parent measures, {added} added"
    if rows > parents + added:
        said += " (a measure carried by several child measures has a row for each)"
    return said


def render_pair_html(
    alignment_pair: pd.DataFrame,
    measures: pd.DataFrame | None = None,
    title: str | None = None,
    plan_names: Mapping[str, str] | None = None,
    split: Sequence[str] = ("提升行动",),
    targets: Mapping[tuple[str, str], list[str]] | None = None,
    diffs: Mapping[tuple[str, str], tuple[Segments, Segments]] | None = None,
) -> str:
    """One self-contained HTML page showing a parent plan's measures beside the child's.

    Parameters
    ----------
    alignment_pair : the ``alignment.csv`` rows of one (parent plan, child plan) pair.
    measures : optional ``measures.csv`` rows; their ``targets`` are shown and compared (targets
        only the child has are marked new, targets only the parent has are marked lost).
    title : the page title; default ``"<parent> → <child>"``.
    plan_names : optional plan id → display name (e.g. jurisdiction) for the headings.
    split : top-level section titles whose second level names the section (see
        :func:`section_key`), used by the section filter.
    targets : the targets of ``measures`` already looked up, (plan id, measure id) → targets
        (what :func:`write_all_html` passes to every page, so the table is read once).
    diffs : character diffs already computed, (parent text, child text) → segments (see
        :class:`DiffCache`); pairs not in it are diffed here.

    Returns
    -------
    The HTML document as a string: inline CSS and JavaScript, no external resource.

    Raises
    ------
    ValueError
        When the rows hold more than one pair.
    """
    check_columns(alignment_pair, ("parent_plan", "child_plan", "status"), "alignment_pair", empty_ok=True)
    pairs = pairs_of(alignment_pair)
    if len(pairs) > 1:
        raise ValueError(f"render_pair_html expects the rows of one pair, got {len(pairs)}: {pairs[:3]}")
    names = dict(plan_names or {})
    parent, child = pairs[0] if pairs else ("", "")
    parent_name, child_name = names.get(parent, parent), names.get(child, child)
    page_title = title if title is not None else f"{parent_name} → {child_name}"
    lookup = targets if targets is not None else _targets_lookup(measures)

    counts = status_counts(alignment_pair)  # measures, as coverage.csv counts them
    status_boxes = []
    for status in STATUSES:
        box = (
            f'<label title="{"child" if status == "added" else "parent"} measures">'
            f'<input type="checkbox" class="status-filter" value="{status}" checked> '
            f"{_badge(status, f'{STATUS_LABELS[status]} {counts.get(status, 0)}')}</label>"
        )
        status_boxes.append(box)

    rows_html: list[str] = []
    sections: list[str] = []
    for rec in alignment_pair.to_dict("records"):
        status = _text(rec.get("status"))
        p_text, c_text = _text(rec.get("parent_text")), _text(rec.get("child_text"))
        p_id, c_id = cell_id(rec.get("parent_measure")), cell_id(rec.get("child_measure"))
        section = section_key(rec.get("parent_path") if p_id else rec.get("child_path"), split=split)
        if section and section not in sections:
            sections.append(section)
        p_targets = lookup.get((parent, p_id), []) if p_id else []
        c_targets = lookup.get((child, c_id), []) if c_id else []
        if p_id and c_id:
            known = diffs.get((p_text, c_text)) if diffs is not None else None
            left, right = known if known is not None else diff_segments(p_text, c_text)
            p_body, c_body = _segments_html(left), _segments_html(right)
        else:
            p_body, c_body = html.escape(p_text), html.escape(c_text)
        similarity = rec.get("similarity")
        sim = "" if _blank(similarity) else f"similarity {float(str(similarity)):.2f}"
        head = " ".join(
            part
            for part in (
                _badge(status),
                html.escape(sim),
                f'<span class="evidence">{html.escape(_text(rec.get("evidence")))}</span>',
            )
            if part
        )
        sides = []
        for side_id, path, body, mine, other, mark, name in (
            (p_id, rec.get("parent_path"), p_body, p_targets, c_targets, "lost", parent_name),
            (c_id, rec.get("child_path"), c_body, c_targets, p_targets, "new", child_name),
        ):
            if side_id:
                sides.append(
                    f'<div class="side"><div class="path">{html.escape(name)} · {html.escape(side_id)} · '
                    f'{html.escape(_text(path))}</div><div class="text">{body}</div>'
                    f"{_targets_html(mine, other, mark)}</div>"
                )
            else:
                sides.append(f'<div class="side empty">— no measure in {html.escape(name)} —</div>')
        rows_html.append(
            f'<div class="row" data-status="{html.escape(status, quote=True)}" '
            f'data-section="{html.escape(section, quote=True)}"><div class="head">{head}</div>'
            f"{sides[0]}{sides[1]}</div>"
        )

    options = ['<option value="">all sections</option>'] + [
        f'<option value="{html.escape(s, quote=True)}">{html.escape(s)}</option>' for s in sections
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="generator" content="{GENERATOR}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(page_title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(page_title)}</h1>"
        f'<div class="meta">parent plan {html.escape(parent_name)} ({html.escape(parent)}) · child plan '
        f"{html.escape(child_name)} ({html.escape(child)}) · {html.escape(_row_count(alignment_pair, counts))} · "
        "<ins>added by the child</ins> · <del>in the parent, not in the child</del></div>"
        '<div class="controls">'
        + "".join(status_boxes)
        + '<label>section <select id="section-filter">'
        + "".join(options)
        + '</select></label><span id="shown"></span></div>'
        + '<div id="rows">'
        + "".join(rows_html)
        + f"</div><script>{_JS}</script></body></html>\n"
    )


def write_pair_html(
    path: str | Path,
    alignment_pair: pd.DataFrame,
    measures: pd.DataFrame | None = None,
    title: str | None = None,
    plan_names: Mapping[str, str] | None = None,
    targets: Mapping[tuple[str, str], list[str]] | None = None,
    diffs: Mapping[tuple[str, str], tuple[Segments, Segments]] | None = None,
) -> Path:
    """Write :func:`render_pair_html` to ``path`` (UTF-8, atomically).

    Parameters
    ----------
    path : the ``.html`` file to write.
    alignment_pair, measures, title, plan_names, targets, diffs : as for :func:`render_pair_html`.

    Returns
    -------
    The path written.
    """
    page = render_pair_html(
        alignment_pair, measures=measures, title=title, plan_names=plan_names, targets=targets, diffs=diffs
    )
    return atomic_write_text(path, page)


_UNSAFE_NAME_CHARS = re.compile(r"[^\w.-]+")
_PAGE_NAME_BYTES = 120  # UTF-8 bytes; file systems allow 255, and copies may add " (2)" or "~2"


def _cut_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, at a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _hashed(stem: str, parent: str, child: str) -> str:
    """``stem`` cut to a readable prefix, with a short hash of the two plan ids."""
    digest = hashlib.sha1(f"{parent}\0{child}".encode()).hexdigest()[:10]
    room = _PAGE_NAME_BYTES - len(".html") - len(digest) - len("-~99")
    return f"{_cut_bytes(stem, room)}-{digest}"


def page_names(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The file names of the HTML pages of ``pairs``: ``<parent>__<child>.html`` with the
    characters file names cannot hold replaced by ``_``, unique and at most 120 UTF-8 bytes.

    Pairs whose names would be the same (``c:1`` and ``c?1``; ``a__b`` + ``c`` and ``a`` +
    ``b__c``; names differing only in case, as case-insensitive file systems see them) and names
    too long keep a readable prefix and get a short hash of the two ids, so that a name does not
    depend on the order of the pairs; a name still taken gets ``~2``, ``~3``, … as the workbook's.

    Parameters
    ----------
    pairs : ``(parent plan id, child plan id)`` of every page of the run.

    Returns
    -------
    One file name ending in ``.html`` per pair, in the same order.
    """
    stems = [_UNSAFE_NAME_CHARS.sub("_", f"{parent}__{child}") for parent, child in pairs]
    counts = Counter(stem.lower() for stem in stems)
    names: list[str] = []
    taken: set[str] = set()
    for (parent, child), stem in zip(pairs, stems, strict=True):
        if counts[stem.lower()] > 1 or len(stem.encode("utf-8")) > _PAGE_NAME_BYTES - len(".html"):
            stem = _hashed(stem, parent, child)
        name, number = f"{stem}.html", 2
        while name.lower() in taken:
            name = f"{stem}~{number}.html"
            number += 1
        taken.add(name.lower())
        names.append(name)
    return names


def write_all_html(
    out_dir: str | Path,
    alignment: pd.DataFrame,
    measures: pd.DataFrame | None = None,
    plan_names: Mapping[str, str] | None = None,
    diff_cache: DiffCache | None = None,
) -> list[Path]:
    """Write one HTML page per aligned pair, named ``<parent>__<child>.html`` (see :func:`page_names`).

    Parameters
    ----------
    out_dir : folder to write into (created if needed).
    alignment : rows with the columns of ``alignment.csv`` (any number of pairs).
    measures, plan_names : as for :func:`render_pair_html`.
    diff_cache : where the character diffs of earlier runs are kept (``None``: computed here).

    Returns
    -------
    The paths written, in pair order.
    """
    out = Path(out_dir)
    written = []
    targets = _targets_lookup(measures)
    diffs = None
    if diff_cache is not None and not alignment.empty:
        columns = (
            alignment[c].map(_text) for c in ("parent_measure", "child_measure", "parent_text", "child_text")
        )
        diffs = diff_cache.segments(
            (p, c) for p_id, c_id, p, c in zip(*columns, strict=True) if p_id and c_id
        )
    groups = list(pair_rows(alignment))
    names = page_names([(parent, child) for parent, child, _ in groups])
    for (_, _, rows), name in zip(groups, names, strict=True):
        written.append(
            write_pair_html(
                out / name, rows, measures=measures, plan_names=plan_names, targets=targets, diffs=diffs
            )
        )
    return written
