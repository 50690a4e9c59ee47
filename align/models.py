"""Plain data shared by every stage: plans, measures and their attributes.

These are small frozen dataclasses; pandas DataFrames are the public face for notebooks
(see ``measures_frame``), not the internal currency of every function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from os import PathLike

import pandas as pd

LEVELS: tuple[str, ...] = ("national", "provincial", "municipal", "county")
"""Administrative levels, highest first."""


def level_rank(level: str) -> int:
    """Position of ``level`` in :data:`LEVELS` (0 = national); an unknown or empty level ranks
    below every known one."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


STATUSES: tuple[str, ...] = ("inherited", "strengthened", "weakened", "dropped", "added")
CONSENSUS_PREFIX = "consensus:"
"""Plan id prefix of a virtual consensus plan (``consensus:national-2021``, see :mod:`align.graph`)."""
CARRIED: frozenset[str] = frozenset({"inherited", "strengthened", "weakened"})

MANIFEST_COLUMNS: tuple[str, ...] = (
    "plan_id",
    "file",
    "jurisdiction",
    "level",
    "parent_id",
    "title",
    "issued",
    "doc_number",
    "population",
)
"""Columns of ``plans.csv``; ``title`` … ``population`` are optional."""

ALIGNMENT_COLUMNS: tuple[str, ...] = (
    "parent_plan",
    "child_plan",
    "parent_measure",
    "child_measure",
    "parent_path",
    "child_path",
    "parent_text",
    "child_text",
    "similarity",
    "status",
    "evidence",
)
COVERAGE_COLUMNS: tuple[str, ...] = (
    "child_plan",
    "parent_plan",
    "jurisdiction",
    "level",
    "n_parent_measures",
    "inherited",
    "strengthened",
    "weakened",
    "dropped",
    "added",
    "coverage",
)
MEASURE_COLUMNS: tuple[str, ...] = (
    "plan_id",
    "measure_id",
    "path",
    "text",
    "kind",
    "section",
    "targets",
    "deadline",
    "lead_agencies",
    "responsible_agencies",
    "groups",
    "modality",
    "line",
)


@dataclass(frozen=True)
class PlanMeta:
    """One row of the manifest (``plans.csv``).

    ``file`` is empty for a plan that is referenced but whose text is not in the corpus.
    """

    plan_id: str
    file: str
    jurisdiction: str
    level: str
    parent_id: str = ""
    title: str = ""
    issued: str = ""
    doc_number: str = ""
    population: float | None = None


@dataclass(frozen=True)
class Plan:
    """A plan document: its manifest row and its text (normalised for parsing)."""

    meta: PlanMeta
    text: str
    source: str = ""

    @property
    def plan_id(self) -> str:
        return self.meta.plan_id


POSTFIX_COMPARATORS: tuple[str, ...] = ("及以上", "以上", "以内", "以下", "左右", "之内")
"""Comparators written after the number and unit (``1万人次以上``), the others before (``不少于1场次``)."""


@dataclass(frozen=True)
class Target:
    """A quantified commitment, e.g. ``不少于 200 场次`` or ``达到 15.5%`` by 2025.

    Parameters
    ----------
    value : the number as written (``15.5``, ``200``).
    unit : ``%``, ``场次``, ``个``, ``名`` ...
    counted : what is counted, as close to the number as the text says (``公民具备科学素质的比例``).
    comparator : ``达到``, ``不少于``, ``力争``, ``超过``, ``以上`` ... or ``""``.
    year : the year the target is due, when stated.
    raw : the verbatim span the target was read from.
    per : a rate's period (``每年``, ``每学期``) when the number is per period.
    """

    value: float
    unit: str
    counted: str = ""
    comparator: str = ""
    year: int | None = None
    raw: str = ""
    per: str = ""

    def __str__(self) -> str:
        number = f"{self.value:g}"
        if self.comparator in POSTFIX_COMPARATORS:  # 1万人次以上, as Chinese writes it
            return f"{self.per}{number}{self.unit}{self.comparator}".strip()
        return f"{self.per}{self.comparator}{number}{self.unit}".strip()


@dataclass(frozen=True)
class Measure:
    """One measure of a plan: a numbered task item, an action intro with its own commitments,
    a quantified goal sentence, or one task-sentence group of a bundled paragraph.

    ``measure_id`` is stable and follows the outline numbers (``三.(二).2``); ``path`` holds the
    readable heading titles from the top section down to the measure itself.
    """

    plan_id: str
    measure_id: str
    path: tuple[str, ...]
    text: str
    sentences: tuple[str, ...]
    kind: str = "item"  # goal | intro | item | task | clause
    section: str = ""  # the top-level section's title (e.g. 提升行动)
    line: int = 0  # 1-based line of the document where the measure starts
    targets: tuple[Target, ...] = ()
    deadline: tuple[str, ...] = ()
    lead_agencies: tuple[str, ...] = ()
    responsible_agencies: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    modality: int = 0  # strength of the commitment verb, higher is stricter
    modality_words: tuple[str, ...] = ()
    # per sentence of ``sentences``: what makes it a binding commitment, "" when nothing does
    # (align.attributes.binding_cue); read at parse time so that a cached plan needs no segmenter
    binding_cues: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def path_text(self) -> str:
        return " > ".join(self.path)

    def to_row(self) -> dict[str, object]:
        """The measure as a flat row of ``measures.csv`` (lists joined with ``；``)."""
        return {
            "plan_id": self.plan_id,
            "measure_id": self.measure_id,
            "path": self.path_text,
            "text": self.text,
            "kind": self.kind,
            "section": self.section,
            "targets": "；".join(str(t) + (f"（{t.counted}）" if t.counted else "") for t in self.targets),
            "deadline": "；".join(self.deadline),
            "lead_agencies": "；".join(self.lead_agencies),
            "responsible_agencies": "；".join(self.responsible_agencies),
            "groups": "；".join(self.groups),
            "modality": self.modality,
            "line": self.line,
        }


def cell_id(value: object) -> str:
    """A plan or measure id read from a table cell: ``""`` for an empty cell (None, NaN), and an
    integral float as the integer it was written as (``pd.read_csv`` reads a column of ids ``1``,
    ``2`` with empty cells as ``1.0``, ``2.0``: the ids of a plan numbered ``1.`` ``2.`` at its top)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def status_counts(alignment: pd.DataFrame) -> dict[str, int]:
    """Measures per status of one pair's alignment rows, as ``coverage.csv`` counts them: each
    parent measure once (a parent measure carried by three child measures is three rows), each
    added child measure once. Ids are read with :func:`cell_id` (tables from ``pd.read_csv``)."""
    seen: dict[str, set[str]] = {status: set() for status in STATUSES}
    for k, rec in enumerate(alignment.to_dict("records")):
        status = cell_id(rec.get("status"))
        ident = cell_id(rec.get("child_measure" if status == "added" else "parent_measure"))
        if status in seen:
            seen[status].add(ident or f"row {k}")
    return {status: len(ids) for status, ids in seen.items()}


def check_columns(frame: object, columns: Iterable[str], what: str, empty_ok: bool = False) -> None:
    """A DataFrame holding ``columns``, or an error naming what is missing (instead of pandas'
    ``KeyError`` from deep inside a chart or a score). With ``empty_ok``, a frame without rows
    passes whatever its columns (for functions that draw or return nothing for it).

    Raises
    ------
    TypeError : ``frame`` is no DataFrame (a path, a row).
    InputError : columns are missing; a frame with them as its index is told to ``reset_index()``.
    """
    from align.errors import InputError

    if not isinstance(frame, pd.DataFrame):
        hint = ""
        if isinstance(frame, str | PathLike):
            hint = " (for a file: pd.read_csv(path))"
        elif isinstance(frame, Mapping | pd.Series):
            hint = " (for one row: pd.DataFrame([row]))"
        raise TypeError(f"{what} must be a DataFrame, not {type(frame).__name__}{hint}")
    missing = [c for c in columns if c not in frame.columns]
    if missing and not (empty_ok and frame.empty):
        hint = "; call .reset_index() first" if set(missing) & {str(n) for n in frame.index.names} else ""
        raise InputError(f"{what} lacks columns {missing}{hint}")


def measures_frame(measures: list[Measure]) -> pd.DataFrame:
    """Measures as a DataFrame with the columns of ``measures.csv``."""
    return pd.DataFrame([m.to_row() for m in measures], columns=list(MEASURE_COLUMNS))


def meta_dict(meta: PlanMeta) -> dict[str, object]:
    return asdict(meta)
