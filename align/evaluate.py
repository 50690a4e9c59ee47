"""Score an alignment against hand-made gold, and fit the link model on gold.

The gold format (see ``data/gold/GUIDE.md``): ``parent_doc, parent_anchor, child_doc, child_anchor,
label, evidence``; anchors are verbatim substrings of the documents. :func:`score_alignment`
computes the same metrics as the reference scorer (``tools/score_alignment.py``): pair P/R/F1,
carried and dropped F1, status accuracy and added recall, and lists the misses.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from align.errors import InputError
from align.models import CARRIED, STATUSES, Measure, cell_id, check_columns

GOLD_COLUMNS = ("parent_doc", "parent_anchor", "child_doc", "child_anchor", "label", "evidence")


def norm(text: str) -> str:
    """The scorer's normalisation: no whitespace, full-width ASCII folded, dashes unified."""
    text = re.sub(r"\s+", "", text or "")
    out = [chr(ord(ch) - 0xFEE0) if 0xFF01 <= ord(ch) <= 0xFF5E else ch for ch in text]
    return "".join(out).replace("—", "-").replace("–", "-")


def read_table(path: str | Path, need: tuple[str, ...], every_sheet: bool = False) -> list[dict[str, str]]:
    """Read a CSV (UTF-8 with or without BOM, UTF-16, or GBK; commas, tabs or semicolons) or an
    Excel workbook and check its columns and that every row has as many values as the header;
    errors name the file (and line).

    Parameters
    ----------
    need : the columns the table must have.
    every_sheet : of a workbook, read every visible sheet that has the ``need`` columns, one after
        another (the ``report.xlsx`` of ``align run`` has a sheet per pair); else the first sheet
        that has them.
    """
    return [row for row, _line in read_rows(path, need, every_sheet)]


def read_rows(
    path: str | Path, need: tuple[str, ...], every_sheet: bool = False
) -> list[tuple[dict[str, str], int]]:
    """:func:`read_table` with the file line (the sheet's row) of each row."""
    from align.corpus import decode_table, workbook_kind, workbook_sheets

    if not isinstance(path, str | PathLike):
        raise TypeError(
            f"path must be a CSV file, not {type(path).__name__}"
            + (
                " (score a DataFrame with score_alignment(alignment, gold))"
                if isinstance(path, pd.DataFrame)
                else ""
            )
        )
    if isinstance(need, str):  # one column named
        need = (need,)
    if Path(path).exists() and not Path(path).is_file():  # reading a pipe would wait forever
        kind = "a folder" if Path(path).is_dir() else "not a regular file (a pipe or device?)"
        raise InputError(f"is {kind}; give a CSV file", path=path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read CSV: {exc.strerror or exc}", path=path) from None
    # the decoders of the manifest: gold made in a spreadsheet on Chinese Windows is GBK, or an
    # Excel workbook saved as it is
    workbook = workbook_kind(data)
    if not workbook:
        return _csv_rows(decode_table(data, path, "table").lstrip("\ufeff"), path, need)
    sheets = [
        (name, _header(text)) + (text,) for name, text in workbook_sheets(data, workbook, path, "table")
    ]
    fitting = [(name, text) for name, header, text in sheets if header and set(need) <= set(header)]
    if not fitting:  # name what the first sheet lacks, as for a CSV
        return _csv_rows(sheets[0][2], path, need)
    rows: list[tuple[dict[str, str], int]] = []
    for name, text in fitting if every_sheet else fitting[:1]:
        where = path if len(fitting) == 1 or not every_sheet else f"{path} (sheet {name})"
        rows += _csv_rows(text, where, need)
    return rows


def _header(text: str) -> list[str]:
    from align.corpus import header_delimiter

    first = text.split("\n", 1)[0]
    return [name.strip() for name in next(csv.reader([first], delimiter=header_delimiter(first)), [])]


def _csv_rows(text: str, path: str | Path, need: tuple[str, ...]) -> list[tuple[dict[str, str], int]]:
    from align.corpus import header_delimiter

    # tabs or semicolons, as the manifest: what spreadsheets save as "CSV" in some locales
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=header_delimiter(text.split("\n", 1)[0]))
    rows: list[tuple[dict[str, str], int]] = []
    try:
        header = [name.strip() for name in next(reader, [])]
        missing = [c for c in need if c not in header]
        if header and missing:
            raise InputError(f"missing columns: {', '.join(missing)}", path=path, line=1)
        line = reader.line_num + 1
        for values in reader:
            if any(v.strip() for v in values):
                rows.append((_row(values, header, path, line), line))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"cannot read CSV: {exc}", path=path, line=reader.line_num or 1) from None
    if not rows:
        raise InputError("empty table", path=path, line=1)
    return rows


def _row(values: list[str], header: list[str], path: str | Path, line: int) -> dict[str, str]:
    """One row as a dict; a row with fewer or more values than the header is an error (a
    missing value would shift the columns, an unquoted comma adds one)."""
    if len(values) != len(header) and not (len(values) > len(header) and not any(values[len(header) :])):
        raise InputError(
            f"row has {len(values)} values but the header has {len(header)} columns"
            + (" (a value containing a comma must be quoted)" if len(values) > len(header) else ""),
            path=path,
            line=line,
        )
    return dict(zip(header, values, strict=False))


def _missing_anchor(row: Mapping[str, str]) -> str | None:
    """What a gold row's label needs and lacks: a carried measure both anchors, a dropped one
    the parent's, an added one the child's (an empty anchor matches nothing, and every score was
    0.000 with no word of why)."""
    label = row["label"].strip()
    needs = {"dropped": ("parent_anchor",), "added": ("child_anchor",)}.get(
        label, ("parent_anchor", "child_anchor")
    )
    empty = [side for side in needs if not str(row.get(side, "")).strip()]
    if not empty:
        return None
    return (
        f"a row labelled '{label}' needs a {' and a '.join(empty)} (verbatim text of the plan); it is empty"
    )


def check_labels(gold: list[tuple[dict[str, str], int]], path: str | Path) -> None:
    """Every gold label is one of :data:`align.models.STATUSES` (a typo would silently count as
    'not carried'), with the anchors it needs."""
    for row, line in gold:
        label = row["label"].strip()
        if label not in STATUSES:
            raise InputError(
                f"unknown label '{label}'; use one of {', '.join(STATUSES)}", path=path, line=line
            )
        problem = _missing_anchor(row)
        if problem:
            raise InputError(problem, path=path, line=line)


@dataclass
class Score:
    """Metrics of one alignment against one gold file."""

    pair_p: float
    pair_r: float
    pair_f1: float
    carried_f1: float
    dropped_f1: float
    status_acc: float
    added_hit: int
    added_total: int
    parents: int
    missing: int
    confusion: tuple[int, int, int, int]
    misses: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # (gold label, predicted status) -> correctly linked parent measures: what status_acc counts
    status_pairs: dict[tuple[str, str], int] = field(default_factory=dict)

    def status_table(self) -> pd.DataFrame:
        """:func:`status_table` of this score's :attr:`status_pairs`."""
        return status_table(self.status_pairs)

    def line(self) -> str:
        return (
            f"pair_f1={self.pair_f1:.3f} (P={self.pair_p:.3f} R={self.pair_r:.3f}) "
            f"carried_f1={self.carried_f1:.3f} dropped_f1={self.dropped_f1:.3f} status_acc={self.status_acc:.3f}"
        )

    def report(self) -> str:
        tp, fp, fn, tn = self.confusion
        lines = self.misses + [
            f"parent measures {self.parents}  missing {self.missing}  carried tp/fp/fn/tn {tp}/{fp}/{fn}/{tn}",
            f"added recall {self.added_hit}/{self.added_total}",
            "status right/predicted/gold: "
            + "  ".join(
                f"{r.status} {r.right}/{r.predicted}/{r.gold}" for r in self.status_table().itertuples()
            ),
            self.line(),
        ]
        return "\n".join(lines)


def status_table(status_pairs: Mapping[tuple[str, str], int]) -> pd.DataFrame:
    """Per carried status: how often it was predicted, how often rightly, and how often gold has
    it, with precision and recall.

    Parameters
    ----------
    status_pairs : (gold label, predicted status) -> correctly linked parent measures, of one score
        (:attr:`Score.status_pairs`) or summed over several.

    Returns
    -------
    One row per status: ``status, predicted, right, gold, precision, recall`` (NaN where undefined).
    """
    rows = []
    for status in ("inherited", "strengthened", "weakened"):
        predicted = sum(n for (_, p), n in status_pairs.items() if p == status)
        gold = sum(n for (g, _), n in status_pairs.items() if g == status)
        right = status_pairs.get((status, status), 0)
        rows.append(
            {
                "status": status,
                "predicted": predicted,
                "right": right,
                "gold": gold,
                "precision": right / predicted if predicted else float("nan"),
                "recall": right / gold if gold else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _gold_records(gold: pd.DataFrame | Iterable[Mapping[str, object]]) -> list[dict[str, str]]:
    """Gold rows as dicts of strings: a frame of ``pd.read_csv`` (NaN in empty cells) or its
    records work as well as the rows of :func:`read_table`."""
    if isinstance(gold, str | PathLike):
        raise TypeError(
            f"gold must be rows, not the path {str(gold)!r}: read it with "
            "read_table(path, GOLD_COLUMNS) or pd.read_csv(path)"
        )
    records = gold.to_dict("records") if isinstance(gold, pd.DataFrame) else list(gold)
    out = []
    for k, row in enumerate(records):
        if not isinstance(row, Mapping):
            raise TypeError(
                f"gold must be rows with the columns {', '.join(GOLD_COLUMNS)} (read_table's list of dicts "
                f"or a DataFrame), not a {type(gold).__name__} of {type(row).__name__}"
            )
        missing = [c for c in ("parent_anchor", "child_anchor", "label") if c not in row]
        if missing:
            raise KeyError(f"gold row {k} lacks columns {missing}")
        record = {str(key): cell_id(value) for key, value in row.items()}
        if record["label"].strip() not in STATUSES:  # a typo would silently count as 'not carried'
            raise ValueError(
                f"gold row {k}: unknown label {record['label']!r}; use one of {', '.join(STATUSES)}"
            )
        problem = _missing_anchor(record)
        if problem:
            raise ValueError(f"gold row {k}: {problem}")
        out.append(record)
    return out


def score_alignment(
    alignment: pd.DataFrame,
    gold: pd.DataFrame | Iterable[Mapping[str, object]],
    doc_ids: Mapping[str, str] | None = None,
) -> Score:
    """Score an alignment table against gold rows (same rules as the reference scorer).

    Parameters
    ----------
    alignment : a table with ``parent_text``, ``child_text`` and ``status``.
    gold : rows with the columns of :data:`GOLD_COLUMNS` (from :func:`read_table`, or a
        DataFrame such as ``pd.read_csv`` gives, empty cells NaN).

    doc_ids : document file name → plan id (``{Path(m.file).name: m.plan_id for m in
        corpus.metas.values() if m.file}``), for a table whose plans are manifest ids.

    A table of several pairs (``CorpusResult.alignment``) is cut to the pair whose plans the gold's
    ``parent_doc``/``child_doc`` name (other pairs' rows hold the same texts and would count as
    wrong links); when they name none, to the pair whose texts hold the most gold anchors, with a
    line in ``Score.warnings`` saying so (see :func:`gold_pair_rows`).
    """
    check_columns(alignment, ("parent_text", "child_text", "status"), "alignment")
    records = _gold_records(gold)
    try:
        alignment, note = gold_pair_rows(alignment, records, dict(doc_ids or {}))
    except ValueError as exc:
        raise ValueError(
            f"alignment {exc}; score one pair's rows, e.g. "
            "alignment[(alignment.parent_plan == P) & (alignment.child_plan == C)]"
        ) from None
    score = _score(alignment, records)
    score.warnings = [note] if note else []
    return score


def _score(alignment: pd.DataFrame, records: list[dict[str, str]]) -> Score:
    rows = [
        (norm(str(p)), norm(str(c)), str(s).strip().lower())
        for p, c, s in zip(
            alignment["parent_text"].fillna(""),
            alignment["child_text"].fillna(""),
            alignment["status"].fillna(""),
            strict=True,
        )
    ]
    by_parent: dict[str, list[dict[str, str]]] = defaultdict(list)
    added_gold = []
    for g in records:
        if g["parent_anchor"].strip():
            by_parent[norm(g["parent_anchor"])].append(g)
        elif g["label"].strip() == "added":
            added_gold.append(norm(g["child_anchor"]))

    pred_links = right_links = gold_links = gold_found = 0
    tp = fp = fn = tn = 0
    status_hits = status_total = missing = 0
    status_pairs: dict[tuple[str, str], int] = {}
    misses = []
    for anchor, grows in by_parent.items():
        label = grows[0]["label"].strip()
        gold_children = [norm(g["child_anchor"]) for g in grows if g["child_anchor"].strip()]
        mine = [r for r in rows if anchor in r[0]]
        missing += not mine
        carried = [r for r in mine if r[2] in CARRIED and r[1]]
        gold_carried, pred_carried = label in CARRIED, bool(carried)
        tp += gold_carried and pred_carried
        fp += (not gold_carried) and pred_carried
        fn += gold_carried and not pred_carried
        tn += (not gold_carried) and not pred_carried
        if gold_carried:
            gold_links += len(gold_children)
            gold_found += sum(any(c in r[1] for r in carried) for c in gold_children)
        pred_links += len(carried)
        good = [r for r in carried if any(c in r[1] for c in gold_children)]
        right_links += len(good)
        if gold_carried and good:
            status_total += 1
            status_hits += good[0][2] == label
            status_pairs[(label, good[0][2])] = status_pairs.get((label, good[0][2]), 0) + 1
            if good[0][2] != label:
                misses.append(f"  status gold={label:12} pred={good[0][2]:12} {grows[0]['parent_anchor']}")
        if gold_carried != pred_carried or (gold_carried and not good):
            misses.append(
                f"  link   gold={label:12} pred={'carried' if pred_carried else 'dropped':12} "
                f"{grows[0]['parent_anchor']}"
            )
        elif gold_carried:  # the measure is carried: which of its links are missed or extra
            for g, child in zip((g for g in grows if g["child_anchor"].strip()), gold_children, strict=True):
                if not any(child in r[1] for r in carried):
                    misses.append(f"  pair   missed       {g['parent_anchor']} → {g['child_anchor']}")
            for r in carried:
                if not any(c in r[1] for c in gold_children):
                    misses.append(f"  pair   extra        {grows[0]['parent_anchor']} → {r[1][:24]}…")
    added_rows = [r[1] for r in rows if r[2] == "added"]
    added_hit = sum(any(a in c for c in added_rows) for a in added_gold)
    originals = [
        g["child_anchor"] for g in records if not g["parent_anchor"].strip() and g["label"].strip() == "added"
    ]
    misses += [
        f"  added  missed       {original}"
        for anchor, original in zip(added_gold, originals, strict=True)
        if not any(anchor in c for c in added_rows)
    ]
    pair_p = right_links / pred_links if pred_links else 0.0
    pair_r = gold_found / gold_links if gold_links else 0.0
    drop_p = tn / (tn + fn) if tn + fn else 0.0
    drop_r = tn / (tn + fp) if tn + fp else 0.0
    car_p = tp / (tp + fp) if tp + fp else 0.0
    car_r = tp / (tp + fn) if tp + fn else 0.0
    return Score(
        pair_p=pair_p,
        pair_r=pair_r,
        pair_f1=_f1(pair_p, pair_r),
        carried_f1=_f1(car_p, car_r),
        dropped_f1=_f1(drop_p, drop_r),
        status_acc=status_hits / status_total if status_total else 0.0,
        added_hit=added_hit,
        added_total=len(added_gold),
        parents=len(by_parent),
        missing=missing,
        confusion=(tp, fp, fn, tn),
        misses=misses,
        status_pairs=status_pairs,
    )


def evaluate_files(
    alignment_csv: str | Path, gold_csv: str | Path, doc_ids: dict[str, str] | None = None
) -> Score:
    """Score an ``alignment.csv`` against a gold CSV.

    Parameters
    ----------
    doc_ids : document file name → plan id (from a manifest), to tell whether the gold's
        documents are the alignment's plans.

    Returns
    -------
    The score, with ``warnings`` when the gold does not seem to fit the alignment.
    """
    table = pd.DataFrame(read_table(alignment_csv, ("parent_text", "child_text", "status"), every_sheet=True))
    rows = read_rows(gold_csv, GOLD_COLUMNS)
    check_labels(rows, gold_csv)
    gold = [row for row, _line in rows]
    try:
        table, note = gold_pair_rows(table, gold, doc_ids or {})
    except ValueError as exc:
        hint = "" if doc_ids else "; pass --corpus DIR, the corpus whose manifest lists the gold's documents"
        raise InputError(f"{exc}{hint}", path=alignment_csv) from None
    score = _score(table, _gold_records(gold))
    # a pair chosen by its texts: its plans are not the gold's documents, as the note says
    score.warnings = ([f"{gold_csv}: {note}"] if note else []) + fit_warnings(
        table, gold, str(alignment_csv), str(gold_csv), doc_ids or {}, check_docs=not note
    )
    return score


def gold_pair_rows(
    alignment: pd.DataFrame, gold: list[dict[str, str]], doc_ids: dict[str, str]
) -> tuple[pd.DataFrame, str | None]:
    """The rows of ``alignment`` (the table of a whole run holds every pair) of the gold's pair.
    Other pairs hold the same texts (a province is the child of one pair and the parent of the
    next): their rows would count as wrong links of the gold's pair.

    The pair is the one whose plans the gold's ``parent_doc``/``child_doc`` name (by file, stem or
    ``doc_ids``). When they name none, it is the pair whose texts hold at least 80 % of the gold's
    anchors on each side (and more than any other pair), with a note saying so; a table of one
    pair is scored as it is.

    Returns
    -------
    (rows, note): ``note`` is ``None``, or one line saying how the pair was chosen.

    Raises
    ------
    ValueError : the gold names plans of the table but the table has no rows of that pair, or it
        names none and no pair's texts hold its anchors.
    """
    self_evident = 0.8
    if not {"parent_plan", "child_plan"} <= set(alignment.columns):
        return alignment, None
    sides = {side: alignment[f"{side}_plan"].fillna("").astype(str) for side in ("parent", "child")}
    pairs = list(dict.fromkeys(zip(sides["parent"], sides["child"], strict=True)))
    if len(pairs) <= 1:
        return alignment, None
    keep = pd.Series(True, index=alignment.index)
    named_any = absent = False
    for side, plans in sides.items():
        docs = {g.get(f"{side}_doc", "").strip() for g in gold} - {""}
        named = {p for p in set(plans) if p and any(_names_plan(d, {p}, doc_ids) for d in docs)}
        # a document the manifest knows as a plan that is not on this side of any pair
        absent |= bool({doc_ids.get(Path(d).name, "") for d in docs} - {""}) and not named
        if named:
            keep &= plans.isin(named)
            named_any = True
    shown = ", ".join(f"{p} → {c}" for p, c in pairs[:6]) + (", …" if len(pairs) > 6 else "")
    if named_any or absent:
        if absent or not keep.any():
            raise ValueError(f"has no rows of the gold's pair ({_gold_docs(gold)}); its pairs are {shown}")
        return alignment[keep].reset_index(drop=True), None
    # the documents name no plan (plan ids from a manifest, no --corpus): the texts tell, when one
    # pair's texts hold nearly all the gold's anchors on both sides
    anchors = {side: {norm(g.get(f"{side}_anchor", "")) for g in gold} - {""} for side in sides}
    held = []
    for parent, child in pairs:
        rows = alignment[(sides["parent"] == parent) & (sides["child"] == child)]
        found = {}
        for side in sides:
            texts = [norm(str(t)) for t in rows[f"{side}_text"].fillna("")]
            found[side] = sum(any(a in t for t in texts) for a in anchors[side])
        # a gold of dropped measures only has no child anchors: that side says nothing
        held.append(min((found[side] / len(anchors[side]) for side in sides if anchors[side]), default=0.0))
    best = max(range(len(pairs)), key=lambda k: held[k])
    runner_up = max((h for k, h in enumerate(held) if k != best), default=0.0)
    parent, child = pairs[best]
    if held[best] < self_evident or held[best] == runner_up:
        if held[best] == runner_up > 0:
            why = f" (several pairs hold {held[best]:.0%} of its anchors)"
        elif held[best] > 0:
            why = (
                f" (the closest, {parent} → {child}, holds only {held[best]:.0%} of its anchors on one side)"
            )
        else:
            why = ""
        raise ValueError(
            f"holds {len(pairs)} pairs ({shown}) and the gold ({_gold_docs(gold)}) names none of them{why}"
        )
    note = (
        f"the gold's documents ({_gold_docs(gold)}) name no plan of the table; scored the pair "
        f"{parent} → {child}, whose texts hold {held[best]:.0%} of the gold's anchors on each side"
    )
    return alignment[(sides["parent"] == parent) & (sides["child"] == child)].reset_index(drop=True), note


def _gold_docs(gold: list[dict[str, str]]) -> str:
    names = [
        ", ".join(sorted({g.get(f"{side}_doc", "").strip() for g in gold} - {""})) or "?"
        for side in ("parent", "child")
    ]
    return " → ".join(names)


def fit_warnings(
    alignment: pd.DataFrame,
    gold: list[dict[str, str]],
    table_name: str,
    gold_name: str,
    doc_ids: dict[str, str],
    check_docs: bool = True,
) -> list[str]:
    """One line per way the gold does not fit the alignment: documents that are not its plans
    (unless ``check_docs`` is false), anchors found in no measure text (an all-zero score otherwise
    looks like a bad aligner)."""
    out = []
    for side in ("parent", "child"):
        plans = set(alignment.get(f"{side}_plan", pd.Series(dtype=str)).fillna("").astype(str)) - {""}
        docs = sorted({g[f"{side}_doc"].strip() for g in gold} - {""})
        strangers = [d for d in docs if plans and not _names_plan(d, plans, doc_ids)]
        if strangers and check_docs:
            out.append(
                f"{gold_name}: {side}_doc {', '.join(strangers)} is not a {side} plan of {table_name} "
                f"({', '.join(sorted(plans)[:6])})"
                + ("" if doc_ids else "; pass --corpus DIR if its plan ids come from a manifest")
            )
        texts = [norm(str(t)) for t in alignment[f"{side}_text"].fillna("")]
        anchors = [g[f"{side}_anchor"] for g in gold if norm(g[f"{side}_anchor"])]
        lost = [a for a in anchors if not any(norm(a) in t for t in texts)]
        if lost:
            out.append(
                f"{gold_name}: {len(lost)} of {len(anchors)} {side}_anchor(s) occur in no {side}_text of "
                f"{table_name} (first: '{lost[0][:30]}'); is the gold for another pair?"
            )
    return out


def _names_plan(doc: str, plans: set[str], doc_ids: dict[str, str]) -> bool:
    """Whether a gold document name designates one of ``plans`` (by file, stem or manifest id)."""
    name = Path(doc).name
    return bool({doc, name, Path(doc).stem, doc_ids.get(name, "")} & plans)


@dataclass
class GoldPair:
    """Gold of one pair mapped onto extracted measures.

    Attributes
    ----------
    links : boolean (n_parent, n_child): gold links.
    labels : parent index → gold label (only parents the gold covers).
    added : child indices the gold marks as added.
    """

    links: np.ndarray
    labels: dict[int, str]
    added: set[int]


def gold_pair(parent: list[Measure], child: list[Measure], gold: list[dict[str, str]]) -> GoldPair:
    """Locate gold anchors in the measures (by containment, as the scorer does)."""
    p_texts = [norm(m.text) for m in parent]
    c_texts = [norm(m.text) for m in child]
    links = np.zeros((len(parent), len(child)), dtype=bool)
    labels: dict[int, str] = {}
    added: set[int] = set()
    for g in gold:
        pa, ca = norm(g["parent_anchor"]), norm(g["child_anchor"])
        pi = next((i for i, t in enumerate(p_texts) if pa and pa in t), None)
        ci = next((j for j, t in enumerate(c_texts) if ca and ca in t), None)
        if pi is not None:
            labels[pi] = g["label"].strip()
            if ci is not None:
                links[pi, ci] = True
        elif ci is not None and g["label"].strip() == "added":
            added.add(ci)
    return GoldPair(links, labels, added)
