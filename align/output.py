"""Write everything ``align run`` produces, staged so that a failed run leaves old outputs intact."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from align.corpus import Corpus
from align.fileio import atomic_write_text, staged_output, write_csv
from align.models import PlanMeta
from align.pipeline import Aligner, CorpusResult, PairResult

log = logging.getLogger(__name__)

# the files every `align run` writes (html/ and figures/ follow the corpus): the CLI checks them
# against the user's own files in --out before any work
RUN_FILES = (
    "measures.csv",
    "alignment.csv",
    "coverage.csv",
    "consensus.csv",
    "escalations.csv",
    "graph.graphml",
    "graph.json",
    "report.xlsx",
    "run_summary.json",
)


def plans_frame(corpus: Corpus, result: CorpusResult | None = None) -> pd.DataFrame:
    """The manifest as a DataFrame (plan_id, file, jurisdiction, level, parent_id, …), with the
    virtual consensus plans of ``result`` when given, their jurisdiction naming whose consensus
    it is (``全国（江西省、内蒙古自治区的共识 consensus）``): the measures are those plans' text, not
    the absent parent's."""
    rows = [asdict(m) for m in corpus.metas.values()]
    if result is not None:
        from align.graph import absent_parent_groups, consensus_plan_meta

        metas = list(corpus.metas.values())
        groups = absent_parent_groups(metas)
        for plan_id in dict.fromkeys(m.plan_id for m in result.consensus):
            absent = plan_id.split(":", 1)[1]
            meta = consensus_plan_meta(metas, absent)
            names = [corpus.metas[c].jurisdiction or c for c in groups.get(absent, []) if c in corpus.metas]
            whose = "、".join(names) if len(names) <= 3 else f"{'、'.join(names[:2])}等{len(names)}地"
            rows.append({**asdict(meta), "jurisdiction": f"{meta.jurisdiction}（{whose}的共识 consensus）"})
    return pd.DataFrame(rows)


def pair_matrix(pair: PairResult):
    """The similarity matrix of one pair with its sections and chosen links, for plotting."""
    from align.plot import PairMatrix
    from align.report import section_key

    assert pair.match is not None
    links = [(int(i), int(j), str(status)) for i, j, status in _links_with_status(pair)]
    return PairMatrix(
        parent_plan=pair.parent.plan_id,
        child_plan=pair.child.plan_id,
        similarity=pair.match.features.cosine,
        parent_labels=[m.measure_id for m in pair.parent_measures],
        child_labels=[m.measure_id for m in pair.child_measures],
        parent_sections=[section_key(m.path_text) for m in pair.parent_measures],
        child_sections=[section_key(m.path_text) for m in pair.child_measures],
        links=links,
    )


def _links_with_status(pair: PairResult) -> list[tuple[int, int, str]]:
    p_index = {m.measure_id: i for i, m in enumerate(pair.parent_measures)}
    c_index = {m.measure_id: j for j, m in enumerate(pair.child_measures)}
    rows = pair.alignment[(pair.alignment["parent_measure"] != "") & (pair.alignment["child_measure"] != "")]
    return [
        (p_index[p], c_index[c], s)
        for p, c, s in zip(rows["parent_measure"], rows["child_measure"], rows["status"], strict=True)
    ]


def write_run(
    out: str | Path,
    corpus: Corpus,
    result: CorpusResult,
    aligner: Aligner,
    figures: bool = True,
    cache_dir: str | Path | None = None,
) -> list[Path]:
    """Write the tables, consensus, graph, workbook, HTML pages and figures of a run.

    Everything is written into a staging folder inside ``out`` and moved into place only when
    every file is complete; ``out`` is refused when it holds the outputs of another command (see
    :func:`align.fileio.check_output_folder`) or another process is writing it. With ``cache_dir``
    (the align cache folder), the character diffs of the HTML pages and the rendered charts are
    kept there for the next run (:class:`align.report.DiffCache`, :class:`align.plot.FigureCache`).
    """
    from align.graph import (
        build_graph,
        escalations,
        graphml_safe,
        write_consensus,
        write_graphml,
        write_node_link_json,
    )
    from align.report import DiffCache, write_all_html, write_xlsx

    out = Path(out)
    plans = plans_frame(corpus, result)
    metas: list[PlanMeta] = list(corpus.metas.values())
    all_measures = [m for ms in result.measures_by_plan.values() for m in ms]
    graph = build_graph(metas, all_measures, result.alignment, result.consensus or None)
    names = dict(zip(plans["plan_id"], plans["jurisdiction"], strict=True))
    with staged_output(out, command="run") as stage:
        write_csv(result.measures, stage / "measures.csv")
        write_csv(result.alignment, stage / "alignment.csv")
        write_csv(result.coverage, stage / "coverage.csv")
        write_consensus(result.consensus_table, stage / "consensus.csv")
        safe = graphml_safe(graph)  # one export copy for both formats
        write_graphml(safe, stage / "graph.graphml", safe=True)
        write_csv(escalations(graph), stage / "escalations.csv")
        write_node_link_json(safe, stage / "graph.json", safe=True)
        write_xlsx(stage / "report.xlsx", result.alignment, result.coverage, result.measures, result.notes)
        diff_cache = DiffCache(cache_dir) if cache_dir is not None else None
        write_all_html(
            stage / "html", result.alignment, result.measures, plan_names=names, diff_cache=diff_cache
        )
        if figures:
            from align.plot import FigureCache, write_figures

            matrices = [pair_matrix(p) for p in result.pairs if p.match is not None]
            write_figures(
                stage / "figures",
                result.alignment,
                result.coverage,
                plans,
                pair_matrices=matrices,
                cache=FigureCache(cache_dir) if cache_dir is not None else None,
            )
        summary = {
            "pairs": [[p.parent.plan_id, p.child.plan_id] for p in result.pairs],
            "encoder": getattr(aligner.encoder, "name", "lexical"),
            "notes": result.notes,
            "measures": {k: len(v) for k, v in result.measures_by_plan.items()},
        }
        atomic_write_text(
            stage / "run_summary.json", json.dumps(summary, ensure_ascii=False, indent=1) + "\n"
        )
        written = sorted(p.relative_to(stage) for p in stage.rglob("*") if p.is_file())
    return [out / p for p in written]
