"""The alignment graph: the whole plan hierarchy, its measures and their alignments in one networkx graph.

The graph answers questions across levels ("which provincial measures reach the districts intact?",
"where do targets rise from level to level?", "who is responsible at each level?") and is exported
for Gephi / Cytoscape (GraphML) and for the web (node-link JSON). What the documents themselves
cite (the manifest's parent checks, ``align manifest --infer``) is read by :mod:`align.manifest`.

Schema
------
The graph is a :class:`networkx.MultiDiGraph`; the key of every edge is its ``kind`` (so at most one
edge of each kind joins two nodes, and a plan can both ``derives_from`` and be ``aligned_against``
the same parent). Every attribute is a ``str``, ``int``, ``float`` or ``bool`` (GraphML-safe); lists
are joined with ``；``, structured values are JSON strings.

Nodes
    ``plan:<plan_id>`` (``type="plan"``): ``plan_id``, ``level`` (national | provincial | municipal |
    county), ``jurisdiction``, ``title``, ``issued``, ``doc_number``, ``file``, ``has_text`` (the plan's
    text is in the corpus), ``in_manifest`` (False for a parent named by ``parent_id`` only),
    ``virtual`` (True for a consensus parent), ``population`` (only when known).
    A consensus parent reconstructed from siblings is the plan ``consensus:<absent_parent_id>``.

    ``measure:<plan_id>:<measure_id>`` (``type="measure"``): ``plan``, ``measure_id``, ``path``
    (headings joined with `` > ``), ``text``, ``measure_kind`` (goal | intro | item | task | clause),
    ``section``, ``line``, ``targets`` (readable, ``；``-joined), ``targets_json`` (a JSON list of the
    :class:`~align.models.Target` fields), ``deadline``, ``lead_agencies``, ``responsible_agencies``,
    ``agencies`` (lead then responsible), ``functions`` (their functions, see :func:`agency_function`),
    ``groups``, ``modality``; ``dropped_in`` (child plans that drop it) and ``added_relative_to``
    (reference plans it is added against), both ``；``-joined and empty when none. A consensus measure
    also has ``members`` and ``support`` (the number of sibling plans carrying it).

Edges (``kind``)
    ``derives_from``: child plan → parent plan (the manifest's ``parent_id``).
    ``aligned_against``: child plan → the reference plan it was aligned with (a parent, the nearest
    ancestor with text, or a consensus), with one count attribute per status (``inherited`` …
    ``added``): the number of measures, as ``coverage.csv`` counts them (parent measures; child
    measures for ``added``).
    ``reconstructs``: consensus plan → the absent parent plan it stands for.
    ``contains``: plan → measure.
    ``aligned_to``: parent measure → child measure that carries it; ``status`` (inherited |
    strengthened | weakened), ``similarity``, ``evidence``, ``parent_plan``, ``child_plan``,
    ``function_kept`` (yes | no | unknown: the parent's lead function, see :func:`key_functions`,
    is among the child's agencies), ``function_overlap`` (share of all the parent's functions the
    child keeps; absent when unknown), ``parent_functions``, ``child_functions``.
    ``dropped_in``: parent measure → child plan that carries none of it; ``status="dropped"``,
    ``evidence``, ``similarity`` (when given).
    ``consensus_member``: consensus measure → a sibling measure of its cluster, ``similarity`` to the
    representative.

Alignment statuses ``added`` do not make edges: they mark the child measure (``added_relative_to``).
"""

from __future__ import annotations

import io
import json
import math
import re
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from xml.etree import ElementTree

import networkx as nx
import numpy as np
import pandas as pd

from align.attributes import AttributeComparer, is_percentage, is_relative, target_change
from align.errors import AlignWarning, InputError
from align.fileio import atomic_write_bytes, atomic_write_text, write_csv
from align.models import (
    ALIGNMENT_COLUMNS,
    CARRIED,
    CONSENSUS_PREFIX,
    POSTFIX_COMPARATORS,
    Measure,
    PlanMeta,
    Target,
    cell_id,
    level_rank,
    status_counts,
)

SEP = "；"

LINEAGE_COLUMNS: tuple[str, ...] = (
    "depth",
    "level",
    "plan",
    "jurisdiction",
    "measure",
    "path",
    "text",
    "status",
    "similarity",
    "evidence",
    "function_kept",
    "parent_plan",
    "parent_measure",
    "node",
    "parent_node",
)
ESCALATION_COLUMNS: tuple[str, ...] = (
    "parent_plan",
    "parent_level",
    "parent_measure",
    "child_plan",
    "child_level",
    "child_measure",
    "status",
    "counted",
    "unit",
    "per",
    "parent_value",
    "child_value",
    "change",
    "basis",
    "comparable",
    "parent_target",
    "child_target",
)
CONSENSUS_COLUMNS: tuple[str, ...] = (
    "cluster",
    "representative_text",
    "plans",
    "n_plans",
    "members",
    "consensus_plan",
    "measure_id",
    "path",
)


class Encoder(Protocol):
    """What :func:`build_consensus` needs of an encoder (see ``align.embed``)."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 rows, one per text."""
        ...


# ---------------------------------------------------------------------------------------------
# Node ids and small helpers


def plan_node(plan_id: str) -> str:
    """The node id of a plan."""
    return f"plan:{plan_id}"


def measure_node(plan_id: str, measure_id: str) -> str:
    """The node id of a measure."""
    return f"measure:{plan_id}:{measure_id}"


def consensus_plan_id(absent_parent_id: str) -> str:
    """The plan id of the consensus parent reconstructed for an absent parent."""
    return f"{CONSENSUS_PREFIX}{absent_parent_id}"


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: object) -> str:
    return "" if _blank(value) else str(value).strip()


def _split(value: object) -> tuple[str, ...]:
    return tuple(part.strip() for part in _text(value).split(SEP) if part.strip())


def _safe(value: Any) -> str | int | float | bool | None:
    """A GraphML-safe scalar, or None when the value should be left out."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, list | tuple | set | frozenset):
        return SEP.join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _clean_attrs(attrs: Mapping[str, Any]) -> dict[str, str | int | float | bool]:
    out: dict[str, str | int | float | bool] = {}
    for key, value in attrs.items():
        safe = _safe(value)
        if safe is not None:
            out[str(key)] = safe
    return out


# ---------------------------------------------------------------------------------------------
# Agencies and their functions

_FUNCTIONS: tuple[tuple[str, str], ...] = (
    (r"人民政府|行政公署", "政府"),  # first: 人民政府 is not 民政
    (r"科学技术协会|科协", "科协"),
    (r"社会科学界联合会|社科联|社联", "社联"),
    (r"团.{0,3}委|共青团", "共青团"),
    (r"总工会|工会", "工会"),
    (r"妇联|妇女联合会", "妇联"),
    (r"残联|残疾人联合会", "残联"),
    (r"宣传部", "宣传"),
    (r"组织部", "组织"),
    (r"统战部", "统战"),
    (r"网信|网络安全和信息化", "网信"),
    (r"党校|行政学院", "党校"),
    (r"教育", "教育"),
    (r"科技|科学技术", "科技"),
    (r"工业和信息化|工信|经济和信息化|经信", "工信"),
    (r"农业农村|农牧|农业", "农业农村"),
    (r"乡村振兴", "乡村振兴"),
    (r"人力资源和社会保障|人力资源社会保障|人社", "人社"),
    (r"卫生健康|卫健|卫生", "卫健"),
    (r"民族宗教|民宗|民族事务|民委", "民宗"),
    (r"民政", "民政"),
    (r"自然资源", "自然资源"),
    (r"生态环境|环境保护|环保", "生态环境"),
    (r"文广", "文旅,广电"),  # 文广新旅局: culture, broadcasting, press and tourism
    (r"文化|文旅|旅游", "文旅"),
    (r"广播电视|广电|新闻出版", "广电"),
    (r"体育", "体育"),
    (r"应急管理|应急", "应急"),
    (r"市场监督管理|市场监管", "市场监管"),
    (r"林业|林草", "林业"),
    (r"气象", "气象"),
    (r"地震", "地震"),
    (r"发展和改革|发展改革|发改", "发改"),
    (r"财政", "财政"),
    (r"公安", "公安"),
    (r"住房和城乡建设|住建", "住建"),
    (r"交通运输|交通", "交通"),
    (r"水利", "水利"),
    (r"商务", "商务"),
    (r"国有资产|国资", "国资"),
    (r"医疗保障|医保", "医保"),
    (r"退役军人", "退役军人"),
    (r"老龄", "老龄"),
    (r"融媒体|广播电台|电视台|日报", "媒体"),
    (r"大学|学院|职业技术|高校", "高校"),
    (r"科学院|研究院|科研院所", "科研院所"),
    (r"政府", "政府"),
)
_FUNCTION_RES = tuple((re.compile(pattern), name) for pattern, name in _FUNCTIONS)


@lru_cache(maxsize=8192)  # pure in the name; a run asks for the same few names again and again
def agency_functions(name: str) -> tuple[str, ...]:
    """Every function an agency's name names, in a fixed order.

    A merged bureau has several: ``区文化旅游广电体育局`` is ``文旅``, ``广电`` and ``体育``;
    ``区科技和工业信息化局`` is ``科技`` and ``工信``. A matched part of the name is not read again
    (``科学技术协会`` is ``科协``, not also ``科技``).
    """
    rest = unicodedata.normalize("NFKC", name).strip()
    found: list[str] = []
    for pattern, functions in _FUNCTION_RES:
        if pattern.search(rest):
            rest = pattern.sub("|", rest)
            found.extend(f for f in functions.split(",") if f not in found)
    if "政府" in found and len(found) > 1:
        found.remove("政府")
    return tuple(found)


def agency_function(name: str) -> str:
    """The (first) function of an agency, the same at every level.

    ``省教育厅``, ``市教育局`` and ``区教育局`` are all ``教育``; ``团省委`` / ``团市委`` are ``共青团``;
    ``区科技和工业信息化局`` is ``科技`` (the first function its name names; see
    :func:`agency_functions` for all).

    Parameters
    ----------
    name : an agency as written in a plan.

    Returns
    -------
    The function's short name, or ``""`` when the name is not recognised.
    """
    functions = agency_functions(name)
    return functions[0] if functions else ""


def _functions(agencies: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for agency in agencies:
        for function in agency_functions(agency):
            if function not in seen:
                seen.append(function)
    return seen


def key_functions(measure: Measure) -> list[str]:
    """The functions responsible for a measure: those of its lead agencies, or, when no lead is
    named, of the first responsible agency (Chinese plans list the lead unit first)."""
    if measure.lead_agencies:
        return _functions(measure.lead_agencies)
    return _functions(measure.responsible_agencies[:1])


def function_kept(parent: Measure, child: Measure) -> str:
    """Whether the child measure keeps the parent's responsible function.

    The parent's :func:`key_functions` are kept when every one of them is among the functions of
    the child's lead or responsible agencies.

    Returns
    -------
    ``yes``, ``no`` or ``unknown`` (either side names no recognisable agency).
    """
    key = key_functions(parent)
    child_functions = set(_functions(child.lead_agencies + child.responsible_agencies))
    if not key or not child_functions:
        return "unknown"
    return "yes" if set(key) <= child_functions else "no"


def function_overlap(parent: Measure, child: Measure) -> float:
    """Share of the functions of all the parent's agencies that the child's agencies also have
    (NaN when either side names none)."""
    parent_functions = set(_functions(parent.lead_agencies + parent.responsible_agencies))
    child_functions = set(_functions(child.lead_agencies + child.responsible_agencies))
    if not parent_functions or not child_functions:
        return float("nan")
    return len(parent_functions & child_functions) / len(parent_functions)


# ---------------------------------------------------------------------------------------------
# Measures from plain data

_PERIODS = ("每学年", "每学期", "每两年", "每季度", "每年", "每月", "每周", "每天", "每日")
_TARGET_RE = re.compile(
    r"^(?P<per>" + "|".join(_PERIODS) + r")?(?P<cmp>\D*?)(?P<value>\d+(?:\.\d+)?)(?P<unit>[^（]*?)"
    r"(?P<post>" + "|".join(POSTFIX_COMPARATORS) + r")?(?:（(?P<counted>.*)）)?$"
)


def parse_target(text: str) -> Target | None:
    """A :class:`Target` from its ``measures.csv`` form (``每学年不少于1场次（宣讲活动）``)."""
    match = _TARGET_RE.match(text.strip())
    if not match:
        return None
    return Target(
        value=float(match["value"]),
        unit=match["unit"].strip(),
        counted=(match["counted"] or "").strip(),
        comparator=(match["cmp"] or match["post"] or "").strip(),
        raw=text.strip(),
        per=match["per"] or "",
    )


def _split_sentences(text: str) -> tuple[str, ...]:
    return tuple(s for s in (part.strip() for part in re.split(r"(?<=[。；;！？])", text)) if s)


def measures_from_frame(frame: pd.DataFrame) -> list[Measure]:
    """Rebuild :class:`Measure` objects from a frame with the columns of ``measures.csv``.

    List-valued columns are split at ``；``; targets are parsed back from their readable form
    (their year is lost).
    """
    missing = {"plan_id", "measure_id", "text"} - set(frame.columns)
    if missing:
        raise InputError(f"measures table lacks columns {sorted(missing)}")
    measures = []
    for row in frame.to_dict("records"):
        targets = tuple(t for t in (parse_target(part) for part in _split(row.get("targets"))) if t)
        modality = row.get("modality")
        line = row.get("line")
        measures.append(
            Measure(
                plan_id=cell_id(row["plan_id"]),
                measure_id=cell_id(row["measure_id"]),
                path=tuple(p.strip() for p in _text(row.get("path")).split(" > ") if p.strip()),
                text=_text(row["text"]),
                sentences=_split_sentences(_text(row["text"])),
                kind=_text(row.get("kind")) or "item",
                section=_text(row.get("section")),
                line=0 if _blank(line) else int(line),  # type: ignore[arg-type]
                targets=targets,
                deadline=_split(row.get("deadline")),
                lead_agencies=_split(row.get("lead_agencies")),
                responsible_agencies=_split(row.get("responsible_agencies")),
                groups=_split(row.get("groups")),
                modality=0 if _blank(modality) else int(modality),  # type: ignore[arg-type]
            )
        )
    return measures


def _as_measures(measures: pd.DataFrame | Sequence[Measure] | None) -> list[Measure]:
    if measures is None:
        return []
    if isinstance(measures, pd.DataFrame):
        return measures_from_frame(measures)
    if isinstance(measures, Mapping):  # CorpusResult.measures_by_plan
        raise TypeError(
            "measures must be a list of Measure or a measures table, not a dict: "
            "[m for ms in result.measures_by_plan.values() for m in ms]"
        )
    return list(measures)


def _targets_json(targets: Sequence[Target]) -> str:
    return json.dumps([asdict(t) for t in targets], ensure_ascii=False)


def _measure_attrs(measure: Measure) -> dict[str, Any]:
    agencies = measure.lead_agencies + tuple(
        a for a in measure.responsible_agencies if a not in measure.lead_agencies
    )
    attrs: dict[str, Any] = {
        "type": "measure",
        "label": f"{measure.plan_id} {measure.measure_id}",
        "plan": measure.plan_id,
        "measure_id": measure.measure_id,
        "path": measure.path_text,
        "text": measure.text,
        "measure_kind": measure.kind,
        "section": measure.section,
        "line": int(measure.line),
        "targets": SEP.join(str(t) + (f"（{t.counted}）" if t.counted else "") for t in measure.targets),
        "targets_json": _targets_json(measure.targets),
        "deadline": measure.deadline,
        "lead_agencies": measure.lead_agencies,
        "responsible_agencies": measure.responsible_agencies,
        "agencies": agencies,
        "functions": _functions(agencies),
        "groups": measure.groups,
        "modality": int(measure.modality),
        "dropped_in": "",
        "added_relative_to": "",
    }
    for key in ("members", "support"):
        if key in measure.extra:
            attrs[key] = int(measure.extra[key]) if key == "support" else measure.extra[key]
    return attrs


def _node_measure(graph: nx.MultiDiGraph, node: str) -> Measure:
    """A :class:`Measure` view of a measure node (for attribute comparisons)."""
    data = graph.nodes[node]
    targets = tuple(Target(**t) for t in json.loads(data.get("targets_json") or "[]"))
    return Measure(
        plan_id=str(data.get("plan", "")),
        measure_id=str(data.get("measure_id", "")),
        path=tuple(p for p in str(data.get("path", "")).split(" > ") if p),
        text=str(data.get("text", "")),
        sentences=(),
        targets=targets,
        lead_agencies=_split(data.get("lead_agencies")),
        responsible_agencies=_split(data.get("responsible_agencies")),
    )


# ---------------------------------------------------------------------------------------------
# Building the graph


def _plan_attrs(meta: PlanMeta, in_manifest: bool = True) -> dict[str, Any]:
    return {
        "type": "plan",
        "label": meta.jurisdiction or meta.plan_id,
        "plan_id": meta.plan_id,
        "level": meta.level,
        "jurisdiction": meta.jurisdiction,
        "title": meta.title,
        "issued": meta.issued,
        "doc_number": meta.doc_number,
        "file": meta.file,
        "has_text": bool(meta.file),
        "in_manifest": in_manifest,
        "virtual": meta.plan_id.startswith(CONSENSUS_PREFIX),
        "population": meta.population,
    }


def consensus_plan_meta(plans: Sequence[PlanMeta], absent_parent_id: str) -> PlanMeta:
    """The manifest row of the virtual consensus plan standing for ``absent_parent_id``.

    It has no file, the absent parent's level and jurisdiction, and the absent parent as parent.
    """
    by_id = {p.plan_id: p for p in plans}
    absent = by_id.get(absent_parent_id)
    return PlanMeta(
        plan_id=consensus_plan_id(absent_parent_id),
        file="",
        jurisdiction=absent.jurisdiction if absent else "",
        level=absent.level if absent else "",
        parent_id=absent_parent_id,
        title=f"consensus of the plans under {absent.title if absent and absent.title else absent_parent_id}",
    )


def _ensure_plan(graph: nx.MultiDiGraph, plan_id: str, plans: Sequence[PlanMeta]) -> str:
    node = plan_node(plan_id)
    if node not in graph:
        if plan_id.startswith(CONSENSUS_PREFIX):
            meta = consensus_plan_meta(plans, plan_id[len(CONSENSUS_PREFIX) :])
            graph.add_node(node, **_clean_attrs(_plan_attrs(meta, in_manifest=False)))
        else:
            meta = PlanMeta(plan_id=plan_id, file="", jurisdiction="", level="")
            graph.add_node(node, **_clean_attrs(_plan_attrs(meta, in_manifest=False)))
    return node


def _ensure_measure(
    graph: nx.MultiDiGraph, plans: Sequence[PlanMeta], plan_id: str, measure_id: str, path: str, text: str
) -> str:
    node = measure_node(plan_id, measure_id)
    if node not in graph:
        measure = Measure(
            plan_id=plan_id,
            measure_id=measure_id,
            path=tuple(p.strip() for p in path.split(" > ") if p.strip()),
            text=text,
            sentences=(),
        )
        graph.add_node(node, **_clean_attrs(_measure_attrs(measure)))
        graph.add_edge(_ensure_plan(graph, plan_id, plans), node, key="contains", kind="contains")
    return node


def _append(graph: nx.MultiDiGraph, node: str, key: str, value: str) -> None:
    current = _split(graph.nodes[node].get(key, ""))
    if value not in current:
        graph.nodes[node][key] = SEP.join(current + (value,))


def _plan_metas(plans: object, caller: str) -> list[PlanMeta]:
    """``plans`` as a list of :class:`PlanMeta`; the manifest table, a Corpus or its ``metas``
    dict (whose iteration gives ids) is a TypeError saying what to pass."""
    rows = list(plans) if isinstance(plans, Iterable) and not isinstance(plans, str | pd.DataFrame) else None
    if rows is None or hasattr(plans, "metas") or not all(isinstance(row, PlanMeta) for row in rows):
        raise TypeError(
            f"{caller}: plans must be PlanMeta rows (list(corpus.metas.values())), not a "
            f"{type(plans).__name__}" + (f" of {type(rows[0]).__name__}" if rows else "")
        )
    return rows


def build_graph(
    plans: Sequence[PlanMeta],
    measures: pd.DataFrame | Sequence[Measure] | None,
    alignment: pd.DataFrame | None,
    consensus: Sequence[Measure] | tuple[Sequence[Measure], pd.DataFrame] | None = None,
) -> nx.MultiDiGraph:
    """The alignment graph of a corpus (schema in the module docstring).

    Parameters
    ----------
    plans : the manifest rows; plans with an empty ``file`` become plan nodes with ``has_text=False``.
    measures : every plan's measures, as :class:`Measure` objects (structured targets, used by
        :func:`escalations`) or as a frame with the columns of ``measures.csv``.
    alignment : rows with the columns of ``alignment.csv`` (any reference/child pairs, consensus
        parents included). Measures it names that are not in ``measures`` are added from its text.
    consensus : the consensus measures of :func:`build_consensus` (or its whole return value);
        each becomes a measure of its virtual plan ``consensus:<absent_parent_id>``.

    Returns
    -------
    A :class:`networkx.MultiDiGraph` whose edge keys are the edge kinds.
    """
    graph = nx.MultiDiGraph(name="align", schema="align-graph/1")
    plans = _plan_metas(plans, "build_graph")
    for meta in plans:
        graph.add_node(plan_node(meta.plan_id), **_clean_attrs(_plan_attrs(meta)))
    for meta in plans:
        if meta.parent_id:
            parent = _ensure_plan(graph, meta.parent_id, plans)
            graph.add_edge(plan_node(meta.plan_id), parent, key="derives_from", kind="derives_from")

    consensus_measures: list[Measure] = []
    if isinstance(consensus, tuple) and len(consensus) == 2 and isinstance(consensus[1], pd.DataFrame):
        consensus_measures = list(consensus[0])
    elif consensus is not None:
        consensus_measures = list(consensus)

    all_measures = _as_measures(measures) + consensus_measures
    for measure in all_measures:
        plan = _ensure_plan(graph, measure.plan_id, plans)
        node = measure_node(measure.plan_id, measure.measure_id)
        graph.add_node(node, **_clean_attrs(_measure_attrs(measure)))
        graph.add_edge(plan, node, key="contains", kind="contains")
    for measure in consensus_measures:
        absent = measure.plan_id[len(CONSENSUS_PREFIX) :]
        graph.add_edge(
            plan_node(measure.plan_id),
            _ensure_plan(graph, absent, plans),
            key="reconstructs",
            kind="reconstructs",
        )
        node = measure_node(measure.plan_id, measure.measure_id)
        for member in _split(measure.extra.get("members", "")):
            plan_id, _, measure_id = member.partition(":")
            target = measure_node(plan_id, measure_id)
            if target in graph:
                graph.add_edge(node, target, key="consensus_member", kind="consensus_member")

    if alignment is not None and len(alignment):
        _add_alignment(graph, plans, alignment)
    return graph


def _ensure_row_measure(
    graph: nx.MultiDiGraph, plans: Sequence[PlanMeta], row: Mapping[Hashable, Any], side: str
) -> str:
    """The node of an alignment row's ``side`` ("parent" or "child") measure, added when new."""
    return _ensure_measure(
        graph,
        plans,
        cell_id(row[f"{side}_plan"]),
        cell_id(row[f"{side}_measure"]),
        _text(row[f"{side}_path"]),
        _text(row[f"{side}_text"]),
    )


def _squash(text: str) -> str:
    return "".join(text.removeprefix("'").split())


def _check_consensus_text(graph: nx.MultiDiGraph, row: Mapping[Hashable, Any]) -> None:
    """A consensus measure given to :func:`build_graph` must be the one the alignment was made
    against: consensus clusters are numbered afresh by each :func:`build_consensus` (another
    encoder, other plans), and C05 of one is not C05 of another."""
    node = measure_node(cell_id(row["parent_plan"]), cell_id(row["parent_measure"]))
    given = graph.nodes[node].get("text") if node in graph else None
    aligned = _text(row["parent_text"])
    # a table read back from CSV may hold the text behind the apostrophe of fileio.excel_safe
    if given is not None and aligned and _squash(str(given)) != _squash(aligned):
        raise ValueError(
            f"the consensus measures given are not those the alignment was made against: "
            f"{row['parent_plan']} {row['parent_measure']} reads '{''.join(aligned.split())[:20]}…' in "
            f"the alignment and '{''.join(str(given).split())[:20]}…' in consensus; pass the run's own "
            "(CorpusResult.consensus, or "
            "consensus.csv)"
        )


def _add_alignment(graph: nx.MultiDiGraph, plans: Sequence[PlanMeta], alignment: pd.DataFrame) -> None:
    missing = set(ALIGNMENT_COLUMNS) - set(alignment.columns)
    if missing:
        raise InputError(f"alignment table lacks columns {sorted(missing)}")
    for row in alignment.to_dict("records"):
        status = _text(row["status"])
        parent_plan, child_plan = cell_id(row["parent_plan"]), cell_id(row["child_plan"])
        if parent_plan.startswith(CONSENSUS_PREFIX):
            _check_consensus_text(graph, row)
        similarity = _safe(row["similarity"])
        evidence = _text(row["evidence"])
        if status == "added":
            child = _ensure_row_measure(graph, plans, row, "child")
            if parent_plan:
                _append(graph, child, "added_relative_to", parent_plan)
            continue
        parent = _ensure_row_measure(graph, plans, row, "parent")
        if status == "dropped" or not cell_id(row["child_measure"]):
            target_plan = _ensure_plan(graph, child_plan, plans)
            graph.add_edge(
                parent,
                target_plan,
                key="dropped_in",
                **_clean_attrs(
                    {
                        "kind": "dropped_in",
                        "status": "dropped",
                        "evidence": evidence,
                        "similarity": similarity,
                    }
                ),
            )
            _append(graph, parent, "dropped_in", child_plan)
            continue
        child = _ensure_row_measure(graph, plans, row, "child")
        previous = graph.get_edge_data(parent, child, key="aligned_to")
        if previous and float(previous.get("similarity", -1.0)) >= float(
            similarity if isinstance(similarity, int | float) else -1.0
        ):
            continue
        parent_measure, child_measure = _node_measure(graph, parent), _node_measure(graph, child)
        graph.add_edge(
            parent,
            child,
            key="aligned_to",
            **_clean_attrs(
                {
                    "kind": "aligned_to",
                    "status": status,
                    "similarity": similarity,
                    "evidence": evidence,
                    "parent_plan": parent_plan,
                    "child_plan": child_plan,
                    "function_kept": function_kept(parent_measure, child_measure),
                    "function_overlap": function_overlap(parent_measure, child_measure),
                    "parent_functions": _functions(
                        parent_measure.lead_agencies + parent_measure.responsible_agencies
                    ),
                    "child_functions": _functions(
                        child_measure.lead_agencies + child_measure.responsible_agencies
                    ),
                }
            ),
        )
    pairs = [alignment[f"{side}_plan"].map(cell_id) for side in ("child", "parent")]
    for (child_id, parent_id), rows in alignment.groupby(pairs, sort=False):
        if not child_id or not parent_id:
            continue
        graph.add_edge(
            _ensure_plan(graph, str(child_id), plans),
            _ensure_plan(graph, str(parent_id), plans),
            key="aligned_against",
            kind="aligned_against",
            **status_counts(rows),  # measures, as coverage.csv counts them
        )


# ---------------------------------------------------------------------------------------------
# Export


def graphml_safe(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``graph`` whose every attribute is a str, int, float or bool (no None, no NaN)."""
    safe = graph.copy()
    safe.graph.clear()
    safe.graph.update(_clean_attrs(graph.graph))
    for node, data in graph.nodes(data=True):
        safe.nodes[node].clear()
        safe.nodes[node].update(_clean_attrs(data))
    for u, v, key, data in graph.edges(keys=True, data=True):
        safe.edges[u, v, key].clear()
        safe.edges[u, v, key].update(_clean_attrs(data))
    return safe


def write_graphml(graph: nx.MultiDiGraph, path: str | Path, safe: bool = False) -> Path:
    """Write ``graph`` as GraphML (for Gephi, Cytoscape, yEd) atomically.

    Read it back with ``nx.read_graphml(path, force_multigraph=True)``: node ids, edge kinds (as
    edge keys) and every attribute with its type come back. ``safe``: ``graph`` is already the
    :func:`graphml_safe` copy (spares a second copy when several formats are written).
    """
    buffer = io.BytesIO()
    nx.write_graphml(graph if safe else graphml_safe(graph), buffer, encoding="utf-8", prettyprint=True)
    return atomic_write_bytes(path, buffer.getvalue())


def write_node_link_json(graph: nx.MultiDiGraph, path: str | Path, safe: bool = False) -> Path:
    """Write ``graph`` as node-link JSON (``nodes`` and ``edges`` lists, d3 / networkx style);
    ``safe`` as for :func:`write_graphml`."""
    data = nx.node_link_data(graph if safe else graphml_safe(graph), edges="edges")
    return atomic_write_text(path, _json_one_item_a_line(data))


def read_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read back the graph of :func:`write_graphml` (``graph.graphml``) or of
    :func:`write_node_link_json` (``graph.json``, told by its suffix).

    Raises
    ------
    InputError : the file is no graph written by ``align run``, or cannot be read.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            return nx.MultiDiGraph(nx.node_link_graph(data, edges="edges"))
        graph: nx.MultiDiGraph = nx.read_graphml(path, force_multigraph=True)
        return graph
    except (ElementTree.ParseError, nx.NetworkXError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"not a graph written by `align run`: {exc}", path=path) from None
    except OSError as exc:  # unreadable: not an output that cannot be written
        raise InputError(f"cannot be read: {exc.strerror or exc}", path=path) from None


def _json_one_item_a_line(data: dict[str, Any]) -> str:
    """``data`` as JSON with each element of its top-level lists on a line of its own: as easy to
    grep and diff as an indented file, but written by the C encoder (``indent`` falls back to the
    pure-Python one, about four times slower on a province's graph)."""
    fields = []
    for key, value in data.items():
        if isinstance(value, list):
            items = ",\n".join(json.dumps(item, ensure_ascii=False) for item in value)
            fields.append(f"{json.dumps(key)}: [\n{items}\n]" if items else f"{json.dumps(key)}: []")
        else:
            fields.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


# ---------------------------------------------------------------------------------------------
# Lineage


def _nodes_of_type(graph: nx.MultiDiGraph, kind: str) -> list[str]:
    return [n for n, d in graph.nodes(data=True) if d.get("type") == kind]


def _check_graph(graph: object) -> None:
    """The graph of :func:`build_graph`: edge keys name the edge kinds, which a simple graph lacks
    (a plan's ``derives_from`` and ``aligned_against`` edges join the same two nodes)."""
    if isinstance(graph, nx.MultiDiGraph):
        return
    hint = (
        "read graph.graphml or graph.json with align.graph.read_graph(path) (in networkx: "
        "nx.read_graphml(path, force_multigraph=True), nx.node_link_graph(data, edges='edges'))"
    )
    if isinstance(graph, str | Path):
        raise TypeError(f"graph must be a networkx.MultiDiGraph, not a path: {hint}")
    raise TypeError(
        f"graph must be the networkx.MultiDiGraph of build_graph, not a {type(graph).__name__} "
        f"(a simple graph has lost the edge kinds): {hint}"
    )


def resolve_measure(graph: nx.MultiDiGraph, measure: str | Measure, plan: str | None = None) -> str:
    """The node of ``measure`` (a node id, a ``measure_id`` with an optional ``plan``, or a
    :class:`Measure`).

    Without ``plan``, a measure id found in several plans resolves to the one of the highest
    level; when that is still ambiguous an :class:`InputError` lists the plans. An id typed with a
    Chinese input method (``二．（一）．1``, ``二。（一）。1``) is the id in ASCII (``二.(一).1``).
    A number (``24``, or ``24.0`` from a table) is the id it was written as.
    """
    _check_graph(graph)
    if isinstance(measure, Measure):
        plan = measure.plan_id if plan is None else plan
        measure = measure.measure_id
    elif isinstance(measure, int | float) and not isinstance(measure, bool):
        measure = cell_id(measure)
    elif not isinstance(measure, str):
        raise TypeError(f"measure must be a measure id (str) or a Measure, not {type(measure).__name__}")
    if isinstance(plan, str):  # copied from a table or typed with a space
        plan = plan.strip()
    ascii_id = measure.strip().translate(_ID_PUNCTUATION)
    if ascii_id != measure:
        try:
            return _resolve_measure(graph, measure, plan)
        except InputError:
            return _resolve_measure(graph, ascii_id, plan)
    return _resolve_measure(graph, measure, plan)


_ID_PUNCTUATION = str.maketrans("（）．。", "()..")


def _resolve_measure(graph: nx.MultiDiGraph, measure: str, plan: str | None) -> str:
    if measure in graph and graph.nodes[measure].get("type") == "measure":
        return measure
    if plan is not None:
        node = measure_node(plan, measure)
        if node in graph:
            return node
        if plan_node(plan) not in graph:
            # the plan named by its jurisdiction (江西省) or its title, or its id in another case
            typed = plan.strip()
            named = sorted(
                str(data.get("plan_id"))
                for _, data in graph.nodes(data=True)
                if data.get("type") == "plan"
                and not str(data.get("plan_id")).startswith("consensus:")
                and (
                    typed in (data.get("jurisdiction"), data.get("title"))
                    or typed.lower() == str(data.get("plan_id")).lower()
                )
            )
            hint = f"; did you mean {named[0]}?" if len(named) == 1 else ""
            raise InputError(f"no plan {plan!r} in the graph{hint}")
        raise InputError(f"plan {plan} has no measure {measure!r}")
    candidates = [
        n for n in _nodes_of_type(graph, "measure") if str(graph.nodes[n].get("measure_id")) == measure
    ]
    if not candidates:
        raise InputError(f"no measure {measure!r} in any plan")

    def rank(node: str) -> int:
        plan_data = graph.nodes.get(plan_node(str(graph.nodes[node].get("plan"))), {})
        return level_rank(str(plan_data.get("level", "")))

    best = min(rank(n) for n in candidates)
    top = [n for n in candidates if rank(n) == best]
    if len(top) > 1:
        plans = ", ".join(sorted(str(graph.nodes[n].get("plan")) for n in top))
        raise InputError(f"measure {measure!r} is in several plans ({plans}); choose one with --plan")
    # the other plans' measures of that id, unless the lineage shows them anyway (a city's 二.(一)
    # carrying its province's 二.(一))
    below = _aligned_below(graph, top[0])
    others = sorted(str(graph.nodes[n].get("plan")) for n in candidates if n != top[0] and n not in below)
    if others:  # the highest level wins, but say so: a lower plan's lineage may be the one meant
        warnings.warn(
            f"measure {measure!r} is also in {', '.join(others)}; traced that of "
            f"{graph.nodes[top[0]].get('plan')} (the highest level), pass --plan for another",
            AlignWarning,
            stacklevel=3,
        )
    return top[0]


def _aligned_below(graph: nx.MultiDiGraph, node: str) -> set[str]:
    """The measures reached from ``node`` down ``aligned_to`` edges, transitively."""
    aligned = nx.subgraph_view(graph, filter_edge=lambda u, v, key: key == "aligned_to")
    return set(nx.descendants(aligned, node))


def _plan_info(graph: nx.MultiDiGraph, plan_id: str) -> dict[str, Any]:
    return dict(graph.nodes.get(plan_node(plan_id), {}))


def lineage(graph: nx.MultiDiGraph, measure: str | Measure, plan: str | None = None) -> pd.DataFrame:
    """Follow a measure down every path of the hierarchy, transitively.

    From the measure, every child plan aligned against its plan gets one row per child measure
    carrying it (``aligned_to``), one ``dropped`` row, or a ``missing`` row when the alignment says
    nothing about the measure; each carrying child measure is then followed into its own children.

    Parameters
    ----------
    graph : from :func:`build_graph`.
    measure : a measure node id, a ``measure_id`` or a :class:`Measure` (see :func:`resolve_measure`).
    plan : the plan of ``measure`` when the id is ambiguous.

    Returns
    -------
    One row per step with :data:`LINEAGE_COLUMNS`, in depth-first order; ``depth`` 0 is the
    measure itself (``status="root"``). ``node``/``parent_node`` link the rows into a tree.
    """
    root = resolve_measure(graph, measure, plan)  # checks the graph
    rows: list[dict[str, Any]] = []

    def row(node: str, parent_node: str, depth: int, plan_id: str, edge: Mapping[str, Any]) -> dict[str, Any]:
        info = _plan_info(graph, plan_id)
        data = graph.nodes[node] if graph.nodes[node].get("type") == "measure" else {}
        parent_data = graph.nodes[parent_node] if parent_node else {}
        return {
            "depth": depth,
            "level": info.get("level", ""),
            "plan": plan_id,
            "jurisdiction": info.get("jurisdiction", ""),
            "measure": data.get("measure_id", ""),
            "path": data.get("path", ""),
            "text": data.get("text", ""),
            "status": edge.get("status", ""),
            "similarity": edge.get("similarity", float("nan")),
            "evidence": edge.get("evidence", ""),
            "function_kept": edge.get("function_kept", ""),
            "parent_plan": parent_data.get("plan", ""),
            "parent_measure": parent_data.get("measure_id", ""),
            "node": node,
            "parent_node": parent_node,
        }

    def walk(node: str, depth: int, trail: frozenset[str]) -> None:
        plan_id = str(graph.nodes[node].get("plan"))
        by_plan: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        dropped: dict[str, dict[str, Any]] = {}
        for _, target, key, data in graph.out_edges(node, keys=True, data=True):
            if key == "aligned_to":
                by_plan[str(graph.nodes[target].get("plan"))].append((target, data))
            elif key == "dropped_in":
                dropped[str(graph.nodes[target].get("plan_id"))] = data
        children = {
            str(graph.nodes[u].get("plan_id"))
            for u, _, key in graph.in_edges(plan_node(plan_id), keys=True)
            if key == "aligned_against"
        }
        children |= set(by_plan) | set(dropped)

        def order(child: str) -> tuple[int, str]:
            return (level_rank(str(_plan_info(graph, child).get("level", ""))), child)

        for child_plan in sorted(children, key=order):
            if child_plan in by_plan:
                carried = sorted(by_plan[child_plan], key=lambda item: -float(item[1].get("similarity", 0.0)))
                for target, data in carried:
                    rows.append(row(target, node, depth + 1, child_plan, data))
                    if target not in trail:
                        walk(target, depth + 1, trail | {target})
            elif child_plan in dropped:
                rows.append(row(plan_node(child_plan), node, depth + 1, child_plan, dropped[child_plan]))
            else:
                rows.append(row(plan_node(child_plan), node, depth + 1, child_plan, {"status": "missing"}))

    rows.append(row(root, "", 0, str(graph.nodes[root].get("plan")), {"status": "root"}))
    walk(root, 0, frozenset({root}))
    return pd.DataFrame(rows, columns=list(LINEAGE_COLUMNS))


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def format_lineage_tree(frame: pd.DataFrame, width: int = 40) -> str:
    """The lineage of :func:`lineage` as a tree for a terminal (``align trace``).

    Parameters
    ----------
    frame : the lineage frame.
    width : characters of measure text shown per line; the evidence gets three times as many
        (it says why the status was given: "closest 三.(五).2 …", "adds target 40个（…） in 二.(一).1").
    """
    if frame.empty:
        return ""
    records = frame.to_dict("records")
    lines: list[str] = []
    # open[d] is True while the branch at depth d has further siblings below.
    open_branches: dict[int, bool] = {}
    for i, rec in enumerate(records):
        depth = int(rec["depth"])
        where = f"{rec['jurisdiction'] or rec['plan']} [{rec['level'] or '?'}, {rec['plan']}]"
        body = f"{rec['measure']} {_short(str(rec['text']), width)}".strip()
        if depth == 0:
            lines.append(f"{where} {body}")
            continue
        last = True
        for later in records[i + 1 :]:
            if int(later["depth"]) < depth:
                break
            if int(later["depth"]) == depth:
                last = False
                break
        open_branches[depth] = not last
        prefix = "".join("│   " if open_branches.get(d) else "    " for d in range(1, depth))
        status = str(rec["status"])
        similarity = rec["similarity"]
        score = "" if _blank(similarity) else f" {float(similarity):.2f}"
        detail = f"{status}{score}"
        if status in CARRIED and body:
            detail += f" → {body}"
        evidence = _short(str(rec["evidence"] or ""), 3 * width)
        if evidence:
            detail += f" ({evidence})"
        lines.append(f"{prefix}{'└── ' if last else '├── '}{where}: {detail}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Escalations (层层加码)


def _population_scale(parent: Mapping[str, Any], child: Mapping[str, Any]) -> float | None:
    """Child population / parent population from the plan nodes, when both are known."""
    p, c = _positive(parent.get("population")), _positive(child.get("population"))
    return c / p if p is not None and c is not None else None


def _positive(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _basis(parent: Target, child: Target, same_level: bool, scale: float | None) -> str:
    """Why two targets' numbers compare (or ``absolute`` when they do not): the status
    evidence's rule (:meth:`AttributeComparer._compare_pair`), named."""
    if is_relative(parent) and is_relative(child):
        return "percentage" if is_percentage(parent) else "per_capita"
    if same_level:
        return "same_level"
    return "population" if scale is not None else "absolute"


def escalations(
    graph: nx.MultiDiGraph, only_rises: bool = True, min_counted_similarity: float = 0.3
) -> pd.DataFrame:
    """Quantified targets that rise from level to level along ``aligned_to`` edges (层层加码).

    Targets are paired and compared by the rules of the status evidence
    (:class:`align.attributes.AttributeComparer`), so the two never disagree: targets of
    compatible units that count the same thing (bigram Dice of ``counted`` ≥
    ``min_counted_similarity``, or the only target of that unit class on both sides), compared on
    yearly rates when their periods differ (每年/每月), a lower cap (控制在…以下, 不超过) being the
    stricter one. ``change`` says how demanding the child's target is: ``rise`` (a higher number,
    or a lower cap), ``same`` or ``fall``. ``basis`` says how the numbers compare: ``percentage``
    (comparable across levels), ``per_capita`` (per school, per person …, comparable),
    ``same_level`` (plans of one level), ``population`` (counts of a bigger and a smaller
    jurisdiction, compared per head when the manifest gives both populations: ``same`` within a
    factor of two of the parent's per-capita share), or ``absolute`` (such counts without
    populations: not comparable, ``comparable=False``, ``change`` by the bare numbers).

    Parameters
    ----------
    graph : from :func:`build_graph` (measures given as :class:`Measure` objects keep targets' years).
    only_rises : keep only rises of comparable targets; False lists every compared pair, with
        ``change`` ∈ rise | same | fall.
    min_counted_similarity : how alike the counted things must be.

    Returns
    -------
    A frame with :data:`ESCALATION_COLUMNS`.
    """
    _check_graph(graph)
    rows = []
    for parent, child, key, data in graph.edges(keys=True, data=True):
        if key != "aligned_to":
            continue
        p_measure, c_measure = _node_measure(graph, parent), _node_measure(graph, child)
        if not p_measure.targets or not c_measure.targets:
            continue
        p_info, c_info = _plan_info(graph, p_measure.plan_id), _plan_info(graph, c_measure.plan_id)
        p_level, c_level = str(p_info.get("level", "")), str(c_info.get("level", ""))
        scale = _population_scale(p_info, c_info)
        same_level = bool(p_level) and p_level == c_level
        comparer = AttributeComparer(min_similarity=min_counted_similarity, scale=scale)
        for i, j, _sim in comparer.match_targets(p_measure.targets, c_measure.targets):
            p, c = p_measure.targets[i], c_measure.targets[j]
            basis = _basis(p, c, same_level, scale)
            comparable = basis != "absolute"
            direction = target_change(
                p, c, basis not in {"population", "absolute"}, scale, comparer.scale_tolerance
            )
            if direction is None:  # not comparable: the bare numbers, for the reader
                direction = target_change(p, c, comparable=True)
            change = {1: "rise", -1: "fall", 0: "same"}[direction or 0]
            if only_rises and not (comparable and change == "rise"):
                continue
            rows.append(
                {
                    "parent_plan": p_measure.plan_id,
                    "parent_level": p_level,
                    "parent_measure": p_measure.measure_id,
                    "child_plan": c_measure.plan_id,
                    "child_level": c_level,
                    "child_measure": c_measure.measure_id,
                    "status": data.get("status", ""),
                    "counted": p.counted or c.counted,
                    "unit": p.unit,
                    "per": p.per,
                    "parent_value": p.value,
                    "child_value": c.value,
                    "change": change,
                    "basis": basis,
                    "comparable": comparable,
                    "parent_target": p.raw or str(p),
                    "child_target": c.raw or str(c),
                }
            )
    frame = pd.DataFrame(rows, columns=list(ESCALATION_COLUMNS))
    return frame.sort_values(["parent_plan", "parent_measure", "child_plan"], kind="stable").reset_index(
        drop=True
    )


# ---------------------------------------------------------------------------------------------
# Consensus parent


def absent_parent_groups(plans: Sequence[PlanMeta]) -> dict[str, list[str]]:
    """Sibling plans with text grouped by their shared parent, for parents without text.

    Returns
    -------
    ``{absent_parent_id: [child plan ids]}`` for every parent that has no text in the corpus (an
    empty ``file`` or no manifest row), with at least two children that have text.
    """
    by_id = {p.plan_id: p for p in plans}
    groups: dict[str, list[str]] = defaultdict(list)
    for meta in plans:
        if not meta.file or not meta.parent_id:
            continue
        parent = by_id.get(meta.parent_id)
        if parent is None or not parent.file:
            groups[meta.parent_id].append(meta.plan_id)
    return {parent: sorted(children) for parent, children in groups.items() if len(children) >= 2}


def _cosine_matrix(vectors: Any, center: bool) -> np.ndarray:
    """Pairwise cosine similarities of the rows (a dense array or a scipy sparse matrix),
    optionally after removing their mean.

    Works on the Gram matrix, so wide encodings (hashed n-grams) are never copied or densified.
    """
    gram = vectors @ vectors.T
    gram = np.asarray(gram.toarray() if hasattr(gram, "toarray") else gram, dtype=np.float64)
    if center:
        row = gram.mean(axis=0, keepdims=True)
        gram = gram - row - row.T + gram.mean()
    norms = np.sqrt(np.clip(np.diag(gram), 0.0, None))
    norms[norms == 0] = 1.0
    return gram / np.outer(norms, norms)


def build_consensus(
    plans: Sequence[PlanMeta],
    measures: pd.DataFrame | Sequence[Measure],
    encoder: Encoder | None = None,
    min_support: int | None = None,
    threshold: float = 0.25,
    parents: Sequence[str] | None = None,
    center: bool = True,
) -> tuple[list[Measure], pd.DataFrame]:
    """Reconstruct absent parents from their children: the measures that most siblings share.

    The measures of the siblings under one absent parent are clustered (agglomerative, average
    linkage on cosine distance, cut at ``1 - threshold``); a cluster carried by at least
    ``min_support`` distinct plans becomes a measure of the virtual plan ``consensus:<parent>``,
    represented by its medoid (the member most similar to all others).

    Parameters
    ----------
    plans : the manifest.
    measures : the measures of the sibling plans (others are ignored).
    encoder : anything with ``encode(list[str]) -> ndarray`` of L2-normalised rows. Default: hashed
        character 2-3-grams (``align.embed.HashingEncoder(dim=65536, ngram_range=(2, 3))``): sibling
        plans copy their parent's wording, and on the bundled corpus this lexical encoding separates
        the themes better than m3e-small (whose raw cosines are all above 0.75) at a fraction of the cost.
    min_support : plans that must carry a cluster; default ``max(2, ceil(n_siblings / 2))``.
    threshold : average cosine similarity within a cluster (after centering, see ``center``);
        0.25 suits the default encoder.
    parents : restrict to these absent parents (default: every one of :func:`absent_parent_groups`).
    center : remove the mean of the group's embeddings before the cosine, so that the threshold
        means much the same for encoders whose raw cosines are all high.

    Returns
    -------
    The consensus measures (``measure_id`` ``C01``…, ``extra`` holds ``members``, ``plans`` and
    ``support``), and a table with :data:`CONSENSUS_COLUMNS` for ``consensus.csv``.
    """
    from sklearn.cluster import AgglomerativeClustering

    if encoder is None:
        from align.embed import HashingEncoder

        encoder = HashingEncoder(dim=2**16, ngram_range=(2, 3))

    plans = _plan_metas(plans, "build_consensus")
    all_measures = _as_measures(measures)
    groups = absent_parent_groups(plans)
    if parents is not None:
        groups = {p: groups[p] for p in parents if p in groups}
    consensus: list[Measure] = []
    rows: list[dict[str, Any]] = []
    for absent, siblings in sorted(groups.items()):
        # siblings in plan_id order (absent_parent_groups sorts them), each plan's measures in
        # document order: which sibling's text represents a cluster (the earlier member wins a
        # tie) must not depend on the order of the manifest's rows
        plan_order = {p: i for i, p in enumerate(siblings)}
        members = sorted(
            (m for m in all_measures if m.plan_id in siblings and m.text.strip()),
            key=lambda m: (plan_order[m.plan_id], m.line),
        )
        support_needed = min_support or max(2, math.ceil(len(siblings) / 2))
        if len({m.plan_id for m in members}) < support_needed or len(members) < 2:
            continue
        texts = [m.text for m in members]
        # the default hashed n-grams stay sparse: dense, thousands of sibling measures take gigabytes
        encode_sparse = getattr(encoder, "encode_sparse", None)
        vectors = encode_sparse(texts) if encode_sparse is not None else np.asarray(encoder.encode(texts))
        similarity = _cosine_matrix(vectors, center)
        labels = AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - threshold
        ).fit_predict(np.clip(1.0 - similarity, 0.0, 2.0))
        clusters = []
        for label in np.unique(labels):
            index = np.flatnonzero(labels == label)
            carried = {members[i].plan_id for i in index}
            if len(carried) < support_needed:
                continue
            # the most central member; ties (every two-member cluster is one) go to the earlier
            # member, not to the last bits of the arithmetic, which differ between machines
            centrality = np.round(similarity[np.ix_(index, index)].sum(axis=1), 9)
            medoid = int(index[np.argmax(centrality)])
            clusters.append((index, medoid, carried))
        # Follow the order of the first sibling's document.
        clusters.sort(key=lambda c: (plan_order[members[c[1]].plan_id], c[1]))
        plan_id = consensus_plan_id(absent)
        for number, (index, medoid, carried) in enumerate(clusters, start=1):
            rep = members[medoid]
            member_ids = [f"{members[i].plan_id}:{members[i].measure_id}" for i in index]
            plan_list = sorted(carried, key=lambda p: plan_order[p])
            measure = replace(
                rep,
                plan_id=plan_id,
                measure_id=f"C{number:02d}",
                extra={
                    "members": SEP.join(member_ids),
                    "plans": SEP.join(plan_list),
                    "support": str(len(carried)),
                    "representative": f"{rep.plan_id}:{rep.measure_id}",
                },
            )
            consensus.append(measure)
            rows.append(
                {
                    "cluster": measure.measure_id,
                    "representative_text": rep.text,
                    "plans": SEP.join(plan_list),
                    "n_plans": len(carried),
                    "members": SEP.join(member_ids),
                    "consensus_plan": plan_id,
                    "measure_id": measure.measure_id,
                    "path": rep.path_text,
                }
            )
    return consensus, pd.DataFrame(rows, columns=list(CONSENSUS_COLUMNS))


def write_consensus(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the consensus table as ``consensus.csv`` (UTF-8 with BOM, atomic)."""
    return write_csv(table, path)
