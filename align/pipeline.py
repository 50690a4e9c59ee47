"""Wire the stages together: corpus → measures → matching → tables (and, in the CLI, files).

This module holds the public Python API that notebooks use::

    import align
    from align.embed import default_cache_dir, make_encoder

    corpus = align.load_corpus("data")
    result = align.align_corpus(corpus)          # DataFrames: measures, alignment, coverage
    pair = align.align_plans(corpus.plan("jiangxi"), corpus.plan("jiujiang"))
    # without an encoder, the lexical channel alone (fast, no model); `align run` and
    # `align compare` use m3e, whose figures differ a little:
    m3e = align.Aligner(encoder=make_encoder("m3e", cache_dir=default_cache_dir()))
    pair = m3e.align(corpus.plan("jiangxi"), corpus.plan("jiujiang"))

Nothing here reads environment variables or prints; configuration comes in as arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from align.attributes import issued_year
from align.cache import MeasureCache
from align.corpus import Corpus
from align.errors import AlignError, PairTooLargeError
from align.fileio import names_a_file
from align.graph import SEP, build_consensus, consensus_plan_meta
from align.manifest import check_parents
from align.match import MAX_PAIR_MEMORY, Encoder, Matcher, PairAlignment, check_settings
from align.measures import MeasureExtractor
from align.models import (
    ALIGNMENT_COLUMNS,
    CARRIED,
    CONSENSUS_PREFIX,
    COVERAGE_COLUMNS,
    Measure,
    Plan,
    PlanMeta,
    measures_frame,
    status_counts,
)
from align.status import StatusRules

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = (*ALIGNMENT_COLUMNS, "link_probability")
"""Columns of ``alignment.csv``: the contract's, then the link model's probability as evidence."""


@dataclass
class PairResult:
    """One aligned pair: the alignment table plus what produced it (for plots and notebooks)."""

    parent: Plan
    child: Plan
    parent_measures: list[Measure]
    child_measures: list[Measure]
    alignment: pd.DataFrame
    match: PairAlignment | None = None

    def coverage(self) -> dict[str, object]:
        return coverage_row(self.alignment, self.parent, self.child, len(self.parent_measures))


@dataclass
class CorpusResult:
    """Everything ``align run`` computes, as plain tables.

    Attributes
    ----------
    measures, alignment, coverage : the tables of ``measures.csv``, ``alignment.csv``,
        ``coverage.csv``.
    pairs : per aligned pair, its :class:`PairResult`.
    measures_by_plan : plan_id → measures.
    notes : what the run could not do and why (plans without an ancestor with text, skipped
        documents), one line each, for the run summary.
    """

    measures: pd.DataFrame
    alignment: pd.DataFrame
    coverage: pd.DataFrame
    pairs: list[PairResult]
    measures_by_plan: dict[str, list[Measure]]
    notes: list[str] = field(default_factory=list)
    consensus: list[Measure] = field(default_factory=list)
    consensus_table: pd.DataFrame = field(default_factory=pd.DataFrame)


def parse_plan(
    plan: Plan, extractor: MeasureExtractor | None = None, cache: MeasureCache | None = None
) -> list[Measure]:
    """The measures of one plan (errors name the plan's file), read from ``cache`` when it holds
    them (see :class:`align.cache.MeasureCache`)."""
    extractor = extractor or MeasureExtractor()
    source = plan.source or plan.plan_id
    if cache is None:
        return extractor.extract(plan.text, plan.plan_id, source=source)
    return cache.extract(extractor, plan.text, plan.plan_id, source=source)


def _same_level(parent: Plan, child: Plan) -> bool:
    return bool(parent.meta.level) and parent.meta.level == child.meta.level


def _scale(parent: Plan, child: Plan) -> float | None:
    p, c = parent.meta.population, child.meta.population
    return c / p if p and c else None


def _row(
    parent: Plan, child: Plan, p: Measure | None, c: Measure | None, **values: object
) -> dict[str, object]:
    return {
        "parent_plan": parent.plan_id,
        "child_plan": child.plan_id,
        "parent_measure": p.measure_id if p else "",
        "child_measure": c.measure_id if c else "",
        "parent_path": p.path_text if p else "",
        "child_path": c.path_text if c else "",
        "parent_text": p.text if p else "",
        "child_text": c.text if c else "",
        **values,
    }


def alignment_frame(
    parent: Plan,
    child: Plan,
    match: PairAlignment,
    rules: StatusRules | None = None,
) -> pd.DataFrame:
    """Turn a :class:`PairAlignment` into rows of ``alignment.csv``.

    One row per (parent measure, carrying child measure); a dropped parent measure is one row
    with empty child fields; an added child measure is one row with empty parent fields.
    """
    rules = rules or StatusRules()
    P, C = match.parent, match.child
    f = match.features
    p_starts = np.concatenate([[0], np.cumsum(f.p_sizes)])
    c_starts = np.concatenate([[0], np.cumsum(f.c_sizes)])
    same_level = _same_level(parent, child)
    issued = issued_year(child.meta.issued)
    # how much of a measure's wording this child usually leaves out: the omission rule's baseline.
    # A consensus parent is no text the child could copy (its measures are siblings' medoids, some
    # the child's own): omissions from it say nothing.
    carried = [i for i in range(len(P)) if match.links[i].any()]
    omissions = (
        None
        if parent.plan_id.startswith(CONSENSUS_PREFIX)
        else rules.omissions([(P[i], [C[j] for j in np.flatnonzero(match.links[i])]) for i in carried])
    )
    omission_of = dict(zip(carried, omissions, strict=True)) if omissions is not None else {}
    typical_omission = rules.typical_omission(omissions)
    rows: list[dict[str, object]] = []
    for i, p in enumerate(P):
        linked = [int(x) for x in np.flatnonzero(match.links[i])]
        if not linked:
            best = int(np.argmax(match.proba[i])) if len(C) else -1
            hint = ""
            if best >= 0:
                why = f"p={match.proba[i, best]:.2f}"
                if f.cosine[i, best] < match.floor:  # likely enough, but less alike than most pairings
                    why += f", similarity {f.cosine[i, best]:.3f} below the pair's floor {match.floor:.3f}"
                hint = f"closest {C[best].measure_id} ({why})"
            rows.append(
                _row(
                    parent,
                    child,
                    p,
                    None,
                    similarity=round(float(f.cosine[i, best]), 4) if best >= 0 else 0.0,
                    status="dropped",
                    evidence=f"no child measure carries it; {hint}".strip("; "),
                    link_probability=round(float(match.proba[i, best]), 4) if best >= 0 else 0.0,
                )
            )
            continue
        # order the carrying children by strength of evidence
        linked.sort(key=lambda j: -match.proba[i, j])
        columns = np.concatenate([np.arange(c_starts[j], c_starts[j + 1]) for j in linked])
        scores = f.sentence_score[p_starts[i] : p_starts[i + 1]][:, columns]
        shared = [bool(match.links[:, j].sum() > 1) for j in linked]
        # the targets of the other parent measures each child carries: a child's target that is
        # one of theirs is no target this measure gains
        elsewhere = [
            tuple(t for k in np.flatnonzero(match.links[:, j]) if k != i for t in P[k].targets)
            for j in linked
        ]
        status, evidence = rules.label(
            p,
            [C[j] for j in linked],
            scores,
            same_level,
            _scale(parent, child),
            shared,
            elsewhere=elsewhere,
            plan_scores=f.sentence_score[p_starts[i] : p_starts[i + 1]],
            child_issued=issued,
            typical_omission=typical_omission,
            omission=omission_of.get(i),
        )
        for j in linked:
            rows.append(
                _row(
                    parent,
                    child,
                    p,
                    C[j],
                    similarity=round(float(f.cosine[i, j]), 4),
                    status=status,
                    evidence=evidence,
                    link_probability=round(float(match.proba[i, j]), 4),
                )
            )
    for j in match.added():
        best_parent = int(np.argmax(match.proba[:, j])) if len(P) else -1
        hint = (
            f"closest {P[best_parent].measure_id} (p={match.proba[best_parent, j]:.2f})"
            if best_parent >= 0
            else ""
        )
        rows.append(
            _row(
                parent,
                child,
                None,
                C[j],
                similarity=round(float(f.cosine[best_parent, j]), 4) if best_parent >= 0 else 0.0,
                status="added",
                evidence=f"no counterpart in {parent.plan_id}; {hint}".strip("; "),
                link_probability=round(float(match.proba[best_parent, j]), 4) if best_parent >= 0 else 0.0,
            )
        )
    return pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))


def coverage_row(alignment: pd.DataFrame, parent: Plan, child: Plan, n_parent: int) -> dict[str, object]:
    """Counts per parent measure (its status), added child measures, and the carried share."""
    counts = status_counts(alignment)
    added = counts["added"]
    carried = sum(counts[s] for s in CARRIED)
    return {
        "child_plan": child.plan_id,
        "parent_plan": parent.plan_id,
        "jurisdiction": child.meta.jurisdiction,
        "level": child.meta.level,
        "n_parent_measures": n_parent,
        **{s: counts[s] for s in ("inherited", "strengthened", "weakened", "dropped")},
        "added": added,
        "coverage": round(carried / n_parent, 4) if n_parent else 0.0,
    }


@dataclass
class Aligner:
    """Align plans: the estimator-like entry point of the package.

    Parameters
    ----------
    encoder : semantic encoder (see :func:`align.embed.make_encoder`), or ``None`` for the
        lexical channel alone.
    extractor : how documents are cut into measures.
    rules : how links get their status.
    threshold : override the link model's probability threshold.
    parse_cache : disk cache of parsed plans (the CLI passes one in its cache folder), or
        ``None`` to parse every plan.
    max_memory : the most working memory (bytes, estimated) one pair may need; a larger pair
        is refused with a :class:`align.errors.PairTooLargeError` naming the larger document
        (see :class:`align.match.Matcher`); ``None``: no limit.
    """

    encoder: Encoder | None = None
    extractor: MeasureExtractor = field(default_factory=MeasureExtractor)
    rules: StatusRules = field(default_factory=StatusRules)
    threshold: float | None = None
    parse_cache: MeasureCache | None = None
    max_memory: float | None = MAX_PAIR_MEMORY

    def __post_init__(self) -> None:
        check_settings(self.encoder, self.threshold)

    def measures(self, plan: Plan) -> list[Measure]:
        _check_plan(plan, "plan")
        return parse_plan(plan, self.extractor, self.parse_cache)

    def align(
        self,
        parent: Plan,
        child: Plan,
        parent_measures: list[Measure] | None = None,
        child_measures: list[Measure] | None = None,
    ) -> PairResult:
        """Align ``child`` against ``parent`` (the reference).

        ``parent_measures`` / ``child_measures`` are the plans' measures when already parsed
        (e.g. ``CorpusResult.measures_by_plan``); they are not modified.
        """
        _check_plan(parent, "parent")
        _check_plan(child, "child")
        pm = parent_measures if parent_measures is not None else self.measures(parent)
        cm = child_measures if child_measures is not None else self.measures(child)
        _check_measures_of(parent, pm, "parent")
        _check_measures_of(child, cm, "child")
        try:
            match = Matcher(self.encoder, threshold=self.threshold, max_memory=self.max_memory).match(pm, cm)
        except PairTooLargeError as err:
            big = parent if err.plan_id == parent.plan_id else child
            raise PairTooLargeError(
                err.message, path=big.source or big.plan_id, plan_id=big.plan_id
            ) from None
        _link_members(match)
        frame = alignment_frame(parent, child, match, self.rules)
        return PairResult(parent, child, pm, cm, frame, match)


def _link_members(match: PairAlignment) -> None:
    """Link each consensus measure to the child's measures that are among its members.

    The consensus was made by clustering these very measures: a member left unlinked showed as
    ``added`` in alignment.csv while consensus.csv listed it in the cluster. Other links stay.
    """
    child_index = {f"{m.plan_id}:{m.measure_id}": j for j, m in enumerate(match.child)}
    for i, measure in enumerate(match.parent):
        if not measure.plan_id.startswith(CONSENSUS_PREFIX):
            continue
        for member in str(measure.extra.get("members", "")).split(SEP):
            j = child_index.get(member.strip())
            if j is not None:
                match.links[i, j] = True


def _check_plan(plan: object, role: str) -> None:
    """A :class:`Plan` or a TypeError that says how to get one (notebooks pass plan ids and paths)."""
    if isinstance(plan, Plan):
        return
    hint = ""
    if isinstance(plan, str) and ("\n" in plan.strip() or len(plan) > 200):  # a document's text
        hint = " (for a text: Plan(PlanMeta(plan_id='p', file='', jurisdiction='', level=''), text))"
    elif isinstance(plan, str | Path):
        hint = (
            f" (for a document: align.corpus.plan_from_path({str(plan)!r}))"
            if names_a_file(plan)
            else f" (for a plan id: corpus.plan({str(plan)!r}))"
        )
    raise TypeError(f"{role} must be a Plan, not {type(plan).__name__}{hint}")


def _check_measures_of(plan: Plan, measures: object, role: str) -> None:
    """Measures given for ``plan`` are its own: another plan's (the two lists swapped) would give
    a table that names ``plan`` but holds the other plan's measures."""
    if not isinstance(measures, list | tuple):
        return  # the matcher says what to pass
    others = {m.plan_id for m in measures if isinstance(m, Measure) and m.plan_id} - {plan.plan_id}
    if others:
        raise ValueError(
            f"{role}_measures are measures of {', '.join(sorted(others)[:3])}, not of the {role} "
            f"{plan.plan_id} (swapped?)"
        )


def align_plans(parent: Plan, child: Plan, encoder: Encoder | None = None) -> PairResult:
    """Align two plans with default settings (see :class:`Aligner`): without ``encoder``, the
    lexical channel alone, not the m3e encoder that ``align compare`` uses by default."""
    return Aligner(encoder=encoder).align(parent, child)


def load_corpus(corpus_dir: str | Path) -> Corpus:
    """Load a corpus folder (``plans.csv`` + ``plans/``)."""
    return Corpus.load(corpus_dir)


def align_corpus(
    corpus: Corpus | str | Path,
    aligner: Aligner | None = None,
    keep_going: bool = False,
    progress: Callable[[list[Any], str], Iterable[Any]] | None = None,
    consensus: bool = True,
) -> CorpusResult:
    """Align every plan of ``corpus`` with its nearest ancestor that has a text.

    Parameters
    ----------
    corpus : the corpus, or its folder (loaded with :func:`load_corpus`).
    aligner : matching settings.
    keep_going : a document that cannot be used, or a pair too large to align (see
        :class:`Aligner`'s ``max_memory``), is skipped and listed in ``notes`` instead of stopping
        the run.
    progress : wraps an iterable for a progress bar (``tqdm``-like), or ``None``.
    consensus : where a plan has no ancestor with a text but siblings under the same absent
        parent, rebuild that parent's shared backbone from the siblings
        (:func:`align.graph.build_consensus`) and align each sibling to it. A plan without such
        siblings is aligned to the backbone of its nearest ancestor that has one (a county plan
        whose city and province are absent, to the backbone of the national plan).
    """
    if isinstance(corpus, str | Path):
        corpus = load_corpus(corpus)
    elif not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a Corpus or a corpus folder, not {type(corpus).__name__}")
    if aligner is not None and not isinstance(aligner, Aligner):
        raise TypeError(f"aligner must be an Aligner (Aligner(encoder=...)), not {type(aligner).__name__}")
    aligner = aligner or Aligner()
    wrap = progress or (lambda it, _desc: it)
    notes: list[str] = []
    measures_by_plan: dict[str, list[Measure]] = {}
    for plan_id in wrap([p for p in corpus.order() if corpus.has_text(p)], "parsing"):
        try:
            measures_by_plan[plan_id] = aligner.measures(corpus.plan(plan_id))
        except AlignError as err:
            if not keep_going:
                raise
            notes.append(f"skipped {plan_id}: {err}")
    pairs: list[PairResult] = []
    todo: list[tuple[Plan, str]] = []
    metas = list(corpus.metas.values())
    backbone: list[Measure] = []
    table = pd.DataFrame()
    planned = [(ref, child) for ref, child in corpus.alignment_pairs() if child in measures_by_plan]
    # the consensus is only needed where some plan has no ancestor with a text
    if consensus and any(ref is None for ref, _ in planned):
        backbone, table = build_consensus(metas, [m for ms in measures_by_plan.values() for m in ms])
    virtual = _virtual_plans(metas, backbone)
    notes += check_parents(metas, {p: corpus.text(p) for p in measures_by_plan})
    # a row without a document stands for a parent; one without children has nothing to align
    # (its file cell left empty, or holding only spaces, by mistake?)
    parents = {m.parent_id for m in metas}
    notes += [
        f"{p}: no document (its file is empty in the manifest) and no child plan; nothing to align"
        for p in corpus.order()
        if not corpus.has_text(p) and p not in parents
    ]
    for reference, child in planned:
        if reference is None:
            parent = corpus.parent(child)
            # the consensus of the parent's plans stands in for it; for a plan further down (a
            # county whose city and province are absent too), that of the nearest ancestor that has one
            ancestors = corpus.ancestors(child)
            stands_for = next((a for a in ancestors if a in virtual), None)
            if stands_for is not None and stands_for == parent:
                notes.append(
                    f"{child}: no ancestor has a text; aligned with the consensus of {parent}'s plans"
                )
                todo.append((virtual[stands_for], child))
            elif stands_for is not None:
                via = " → ".join(ancestors[: ancestors.index(stands_for)])
                notes.append(
                    f"{child}: no ancestor has a text; aligned with the consensus of {stands_for}'s plans, "
                    f"standing in for its ancestor {stands_for} (via {via})"
                )
                todo.append((virtual[stands_for], child))
            else:
                notes.append(
                    f"{child}: no ancestor has a text (parent {parent} is not in the corpus) and no sibling "
                    "shares that parent or an ancestor; not aligned"
                )
            continue
        if reference not in measures_by_plan:
            notes.append(f"{child}: reference {reference} was skipped; not aligned")
            continue
        if reference != corpus.parent(child):
            notes.append(f"{child}: parent {corpus.parent(child)} has no text; aligned with {reference}")
        todo.append((corpus.plan(reference), child))
    by_consensus = {m.plan_id: [c for c in backbone if c.plan_id == m.plan_id] for m in backbone}
    for ref_plan, child in wrap(todo, "aligning"):
        # a plan parsed to no measures is in measures_by_plan with an empty list: the aligner's own
        # "no parent measures" error is the one to give, not a lookup in the consensus table
        ref_id = ref_plan.plan_id
        ref_measures = measures_by_plan[ref_id] if ref_id in measures_by_plan else by_consensus[ref_id]
        try:
            pairs.append(aligner.align(ref_plan, corpus.plan(child), ref_measures, measures_by_plan[child]))
        except PairTooLargeError as err:
            if not keep_going:
                raise
            notes.append(f"{child}: not aligned with {ref_plan.plan_id}: {err}")
    measures = pd.concat(
        [measures_frame(m) for m in measures_by_plan.values()] or [measures_frame([])], ignore_index=True
    )
    alignment = pd.concat([p.alignment for p in pairs], ignore_index=True) if pairs else empty_alignment()
    coverage = pd.DataFrame([p.coverage() for p in pairs], columns=list(COVERAGE_COLUMNS))
    return CorpusResult(measures, alignment, coverage, pairs, measures_by_plan, notes, backbone, table)


def _virtual_plans(metas: list[PlanMeta], backbone: list[Measure]) -> dict[str, Plan]:
    """Absent parent id → the virtual consensus plan standing for it (when it has measures)."""
    out: dict[str, Plan] = {}
    for plan_id in dict.fromkeys(m.plan_id for m in backbone):
        absent = plan_id.split(":", 1)[1]
        out[absent] = Plan(meta=consensus_plan_meta(metas, absent), text="")
    return out


def empty_alignment() -> pd.DataFrame:
    """An alignment table with no rows (the columns of ``alignment.csv``)."""
    return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
