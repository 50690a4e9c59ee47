"""The alignment graph on the bundled corpus: plans, lineage, escalations, consensus."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from align.embed import HashingEncoder
from align.errors import AlignWarning, InputError
from align.fileio import write_csv
from align.graph import (
    CONSENSUS_COLUMNS,
    agency_function,
    agency_functions,
    build_consensus,
    build_graph,
    consensus_plan_id,
    escalations,
    format_lineage_tree,
    graphml_safe,
    lineage,
    measure_node,
    plan_node,
    write_consensus,
    write_graphml,
    write_node_link_json,
)
from align.measures import extract_measures
from align.models import ALIGNMENT_COLUMNS, Measure, PlanMeta, Target, measures_frame
from tests.conftest import SEEDS, seed_text

DATA = Path(__file__).resolve().parents[1] / "data"
THEMES = {
    "youth": ("青少年",),
    "farmers": ("农民", "农牧民"),
    "industrial workers": ("产业工人",),
    "the elderly": ("老年人",),
    "officials": ("领导干部和公务员",),
}


@pytest.fixture(scope="module")
def measures() -> dict[str, list[Measure]]:
    return {plan_id: extract_measures(seed_text(plan_id), plan_id) for plan_id in SEEDS}


def find(measures: list[Measure], anchor: str) -> Measure:
    hits = [m for m in measures if anchor in m.text]
    assert len(hits) == 1, (anchor, [m.measure_id for m in hits])
    return hits[0]


def gold_alignment(
    measures: dict[str, list[Measure]], gold: str, parent: str, child: str, section: str
) -> pd.DataFrame:
    """Alignment rows from a gold file, restricted to the parent measures under ``section``."""
    rows = []
    with open(DATA / "gold" / gold, encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            if not rec["parent_anchor"]:
                continue
            p = find(measures[parent], rec["parent_anchor"])
            if not p.measure_id.startswith(section):
                continue
            c = find(measures[child], rec["child_anchor"]) if rec["child_anchor"] else None
            rows.append(
                {
                    "parent_plan": parent,
                    "child_plan": child,
                    "parent_measure": p.measure_id,
                    "child_measure": c.measure_id if c else "",
                    "parent_path": p.path_text,
                    "child_path": c.path_text if c else "",
                    "parent_text": p.text,
                    "child_text": c.text if c else "",
                    "similarity": 0.8 if c else float("nan"),
                    "status": rec["label"],
                    "evidence": rec["evidence"],
                }
            )
    return pd.DataFrame(rows, columns=list(ALIGNMENT_COLUMNS))


@pytest.fixture(scope="module")
def youth_alignment(measures: dict[str, list[Measure]]) -> pd.DataFrame:
    return pd.concat(
        [
            gold_alignment(measures, "jiangxi_to_jiujiang.csv", "jiangxi", "jiujiang", "二.(一)"),
            gold_alignment(measures, "jiangxi_vs_dazhang.csv", "jiangxi", "dazhang", "二.(一)"),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def consensus(
    plans: list[PlanMeta], measures: dict[str, list[Measure]]
) -> tuple[list[Measure], pd.DataFrame]:
    siblings = measures["jiangxi"] + measures["neimenggu"]
    return build_consensus(plans, siblings)


# ---------------------------------------------------------------------------------------------
# Plans and export


def test_graph_has_the_manifest_plans_with_levels(plans: list[PlanMeta]) -> None:
    graph = build_graph(plans, [], None)
    for meta in plans:
        data = graph.nodes[plan_node(meta.plan_id)]
        assert data["level"] == meta.level
        assert data["has_text"] is bool(meta.file)
    assert graph.nodes[plan_node("jiangxi")]["level"] == "provincial"
    assert graph.nodes[plan_node("dazhang")]["level"] == "county"
    assert graph.nodes[plan_node("national-2021")]["has_text"] is False
    assert graph.has_edge(plan_node("jiujiang"), plan_node("jiangxi"), key="derives_from")
    assert graph.has_edge(plan_node("guangxi"), plan_node("central-opinion-2022"), key="derives_from")
    assert not graph.has_edge(plan_node("jiangxi"), plan_node("jiujiang"))


def test_graph_measures_and_alignment_edges(
    plans: list[PlanMeta], measures: dict[str, list[Measure]], youth_alignment: pd.DataFrame
) -> None:
    graph = build_graph(
        plans, measures["jiangxi"] + measures["jiujiang"] + measures["dazhang"], youth_alignment
    )
    intro = measure_node("jiangxi", "二.(一)")
    assert graph.has_edge(plan_node("jiangxi"), intro, key="contains")
    assert "将弘扬科学精神贯穿于育人全链条" in graph.nodes[intro]["text"]
    edge = graph.edges[intro, measure_node("jiujiang", "二.(一).1"), "aligned_to"]
    assert edge["status"] == "strengthened"
    assert edge["function_kept"] in {"yes", "no", "unknown"}
    higher = measure_node("jiangxi", "二.(一).2")
    assert graph.has_edge(higher, plan_node("dazhang"), key="dropped_in")
    assert graph.nodes[higher]["dropped_in"] == "dazhang"
    # measures, as coverage.csv counts them (a parent measure with two carrying rows is one)
    counts = graph.edges[plan_node("jiujiang"), plan_node("jiangxi"), "aligned_against"]
    rows = youth_alignment.query("child_plan == 'jiujiang' and status == 'strengthened'")
    assert counts["strengthened"] == rows["parent_measure"].nunique() < len(rows)


def test_graphml_round_trip_keeps_attributes(
    tmp_path: Path, plans: list[PlanMeta], measures: dict[str, list[Measure]], youth_alignment: pd.DataFrame
) -> None:
    goal = replace(
        find(measures["jiangxi"], "公民具备科学素质的比例力争达到15%"),
        targets=(Target(15.0, "%", counted="公民具备科学素质的比例", comparator="力争达到", year=2025),),
        modality=2,
    )
    graph = build_graph(plans, [goal, *measures["jiujiang"], *measures["dazhang"]], youth_alignment)
    path = write_graphml(graph, tmp_path / "graph.graphml")
    back = nx.read_graphml(path, force_multigraph=True)
    assert set(back.nodes) == set(graph.nodes)
    assert {(u, v, k) for u, v, k in back.edges(keys=True)} == {
        (u, v, k) for u, v, k in graph.edges(keys=True)
    }
    node = back.nodes[measure_node("jiangxi", goal.measure_id)]
    assert node["text"] == goal.text
    assert node["modality"] == 2
    assert json.loads(node["targets_json"])[0]["value"] == 15.0
    assert back.nodes[plan_node("national-2021")]["has_text"] is False
    assert back.nodes[plan_node("jiangxi")]["population"] == pytest.approx(45188635)
    edge = back.edges[measure_node("jiangxi", "二.(一)"), measure_node("jiujiang", "二.(一).1"), "aligned_to"]
    assert edge["status"] == "strengthened"
    assert edge["similarity"] == pytest.approx(0.8)
    # every attribute is a GraphML scalar, never None
    for _, data in graph.nodes(data=True):
        assert all(isinstance(v, str | int | float | bool) for v in data.values())

    # the graph read back answers the same questions (``align trace`` reads it from disk)
    for measure in ("二.(一)", "二.(一).2"):
        want = lineage(graph, measure, plan="jiangxi")[["plan", "measure", "status"]]
        got = lineage(back, measure, plan="jiangxi")[["plan", "measure", "status"]]
        pd.testing.assert_frame_equal(got, want)

    link = write_node_link_json(graph, tmp_path / "graph.json")
    text = link.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data == json.loads(json.dumps(nx.node_link_data(graphml_safe(graph), edges="edges")))
    assert len(data["nodes"]) == graph.number_of_nodes()
    assert len(data["edges"]) == graph.number_of_edges()
    # one node or edge a line, the Chinese as it is: grep finds a measure's node and its edges
    lines = text.splitlines()
    assert len(lines) >= graph.number_of_nodes() + graph.number_of_edges()
    assert any(line.startswith('{"') and "推进基础教育阶段科学教育工作" in line for line in lines)


# ---------------------------------------------------------------------------------------------
# Lineage


def test_lineage_of_jiangxi_youth_measures_reaches_the_children_with_their_statuses(
    plans: list[PlanMeta], measures: dict[str, list[Measure]], youth_alignment: pd.DataFrame
) -> None:
    graph = build_graph(
        plans, measures["jiangxi"] + measures["jiujiang"] + measures["dazhang"], youth_alignment
    )
    for parent_measure, rows in youth_alignment.groupby("parent_measure"):
        frame = lineage(graph, str(parent_measure), plan="jiangxi")
        assert frame.iloc[0]["status"] == "root"
        steps = frame[frame.depth == 1]
        got = sorted(zip(steps.plan, steps.measure, steps.status, strict=True))
        want = sorted(zip(rows.child_plan, rows.child_measure, rows.status, strict=True))
        assert got == want

    higher = lineage(graph, "二.(一).2", plan="jiangxi").set_index("plan")
    assert higher.loc["jiujiang", "status"] == "strengthened"
    assert higher.loc["jiujiang", "level"] == "municipal"
    assert higher.loc["dazhang", "status"] == "dropped"
    assert higher.loc["dazhang", "level"] == "county"
    # a Jiangxi measure the alignment does not mention is reported, not skipped
    other = lineage(graph, "二.(二).1", plan="jiangxi")
    assert set(other[other.depth == 1].status) == {"missing"}


def test_lineage_is_transitive_through_a_consensus_parent(
    plans: list[PlanMeta],
    measures: dict[str, list[Measure]],
    youth_alignment: pd.DataFrame,
    consensus: tuple[list[Measure], pd.DataFrame],
) -> None:
    cons_measures, table = consensus
    youth = next(m for m in cons_measures if "jiangxi:二.(一)" in m.extra["members"].split("；"))
    jiangxi_intro = find(measures["jiangxi"], "将弘扬科学精神贯穿于育人全链条")
    top = pd.DataFrame(
        [
            {
                "parent_plan": youth.plan_id,
                "child_plan": "jiangxi",
                "parent_measure": youth.measure_id,
                "child_measure": jiangxi_intro.measure_id,
                "parent_path": youth.path_text,
                "child_path": jiangxi_intro.path_text,
                "parent_text": youth.text,
                "child_text": jiangxi_intro.text,
                "similarity": 0.7,
                "status": "inherited",
                "evidence": "consensus youth intro",
            }
        ]
    )
    alignment = pd.concat([top, youth_alignment], ignore_index=True)
    graph = build_graph(
        plans,
        measures["jiangxi"] + measures["jiujiang"] + measures["dazhang"],
        alignment,
        consensus=consensus,
    )
    virtual = graph.nodes[plan_node(consensus_plan_id("national-2021"))]
    assert virtual["virtual"] is True and virtual["level"] == "national"
    assert graph.has_edge(
        plan_node(consensus_plan_id("national-2021")), plan_node("national-2021"), key="reconstructs"
    )
    frame = lineage(graph, youth.measure_id, plan=youth.plan_id)
    assert list(frame[frame.depth == 1].plan) == ["jiangxi"]
    deep = frame[frame.depth == 2]
    assert set(deep.plan) == {"jiujiang", "dazhang"}
    assert set(deep.level) == {"municipal", "county"}
    assert (deep.parent_measure == jiangxi_intro.measure_id).all()
    assert "strengthened" in set(deep.status)

    tree = format_lineage_tree(frame)
    lines = tree.splitlines()
    assert lines[0].startswith("全国") and youth.measure_id in lines[0]
    assert any(line.startswith("└── 江西省") and "inherited" in line for line in lines)
    assert any(line.startswith("    ├── 九江市") or line.startswith("    └── 九江市") for line in lines)
    assert any("邵阳市大祥区" in line and "inherited" in line for line in lines)

    # consensus measures of another clustering (numbered afresh): C05 of one is not C05 of the
    # other, and the lineage of a consensus measure showed another cluster's text at its root
    other = [
        replace(m, text=cons_measures[(k + 1) % len(cons_measures)].text) for k, m in enumerate(cons_measures)
    ]
    with pytest.raises(
        ValueError, match=rf"{youth.measure_id} reads '.*' in the alignment and '.*' in consensus"
    ):
        build_graph(plans, measures["jiangxi"], alignment, consensus=other)


def test_lineage_needs_a_plan_when_the_measure_id_is_ambiguous(
    plans: list[PlanMeta], measures: dict[str, list[Measure]]
) -> None:
    graph = build_graph(plans, measures["jiangxi"] + measures["neimenggu"], None)
    common = sorted(
        {m.measure_id for m in measures["jiangxi"]} & {m.measure_id for m in measures["neimenggu"]}
    )
    assert common
    with pytest.raises(InputError, match="--plan"):
        lineage(graph, common[0])
    assert lineage(graph, common[0], plan="neimenggu").iloc[0]["plan"] == "neimenggu"
    with pytest.raises(InputError, match="no measure"):
        lineage(graph, "九.(九).9")
    # unambiguous by level: the provincial measure wins over the municipal one, with a warning
    # naming the other plans (it picked one silently)
    graph = build_graph(plans, measures["jiangxi"] + measures["jiujiang"], None)
    with pytest.warns(AlignWarning, match=r"'二.\(一\).1' is also in jiujiang; traced that of jiangxi"):
        assert lineage(graph, "二.(一).1").iloc[0]["plan"] == "jiangxi"


def test_a_measure_id_typed_with_chinese_punctuation_is_found(
    plans: list[PlanMeta], measures: dict[str, list[Measure]]
) -> None:
    """An input method types （一） and ．or 。 where the ids have (一) and ."""
    graph = build_graph(plans, measures["jiangxi"], None)
    expected = lineage(graph, "二.(一).1", plan="jiangxi")
    for typed in ("二.（一）.1", "二．（一）．1", "二。（一）。1", " 二.(一).1 "):
        assert lineage(graph, typed, plan="jiangxi").equals(expected), typed
        assert lineage(graph, typed).equals(expected), typed
    with pytest.raises(InputError, match=r"has no measure '二\.\(九\)\.1'"):
        lineage(graph, "二.（九）.1", plan="jiangxi")


def test_a_plan_named_by_its_jurisdiction_hints_its_id(
    plans: list[PlanMeta], measures: dict[str, list[Measure]]
) -> None:
    """``--plan 江西省`` (the jurisdiction, as a reader names it) points to the plan id."""
    graph = build_graph(plans, measures["jiangxi"], None)
    for named in ("江西省", "JIANGXI"):
        with pytest.raises(InputError, match=r"no plan '.+' in the graph; did you mean jiangxi\?"):
            lineage(graph, "二.(一).1", plan=named)
    with pytest.raises(InputError, match=r"no plan '广东省' in the graph$"):
        lineage(graph, "二.(一).1", plan="广东省")
    assert lineage(graph, "二.(一).1", plan=" jiangxi ").equals(lineage(graph, "二.(一).1", plan="jiangxi"))


# ---------------------------------------------------------------------------------------------
# Escalations and responsibility


def test_escalations_compare_percentages_across_levels_and_flag_absolute_counts(
    plans: list[PlanMeta], measures: dict[str, list[Measure]]
) -> None:
    goal_r = replace(
        find(measures["jiangxi"], "公民具备科学素质的比例力争达到15%"),
        targets=(
            Target(15.0, "%", counted="公民具备科学素质的比例", comparator="力争达到", raw="力争达到15%"),
        ),
    )
    goal_t = replace(
        find(measures["jiujiang"], "公民具备科学素质的比例力争达到15.5%"),
        targets=(
            Target(15.5, "%", counted="公民具备科学素质的比例", comparator="力争达到", raw="力争达到15.5%"),
        ),
    )
    teacher_r = replace(
        find(measures["jiangxi"], "提升教师科学素质"),
        targets=(Target(3000.0, "名", counted="科技辅导员", per="每年"),),
    )
    teacher_t = replace(
        find(measures["jiujiang"], "实施教师科学素质提升工程"),
        targets=(Target(300.0, "名", counted="科技辅导员", per="每年", raw="每年培训科技辅导员300名"),),
    )
    rows = []
    for p, c, status in ((goal_r, goal_t, "strengthened"), (teacher_r, teacher_t, "inherited")):
        rows.append(
            {
                "parent_plan": p.plan_id,
                "child_plan": c.plan_id,
                "parent_measure": p.measure_id,
                "child_measure": c.measure_id,
                "parent_path": p.path_text,
                "child_path": c.path_text,
                "parent_text": p.text,
                "child_text": c.text,
                "similarity": 0.9,
                "status": status,
                "evidence": "",
            }
        )
    alignment = pd.DataFrame(rows, columns=list(ALIGNMENT_COLUMNS))
    graph = build_graph(plans, [goal_r, goal_t, teacher_r, teacher_t], alignment)
    rises = escalations(graph)
    assert len(rises) == 1
    row = rises.iloc[0]
    assert (row.parent_plan, row.child_plan, row.basis) == ("jiangxi", "jiujiang", "percentage")
    assert (row.parent_value, row.child_value, row.child_level) == (15.0, 15.5, "municipal")

    # 3000 → 300 teachers a year: Jiujiang has about a tenth of Jiangxi's people (the manifest's
    # population), so it is the same per head, as the status evidence says ("about the per-capita
    # share"); it was listed as a fall of an absolute count
    every = escalations(graph, only_rises=False).set_index("unit")
    assert (every.loc["名", "basis"], every.loc["名", "change"]) == ("population", "same")
    assert every.loc["名", "comparable"]
    # without populations, counts of two levels do not compare
    unknown = [replace(m, population=None) for m in plans]
    every = escalations(build_graph(unknown, [goal_r, goal_t, teacher_r, teacher_t], alignment), False)
    every = every.set_index("unit")
    assert every.loc["名", "basis"] == "absolute"
    assert not every.loc["名", "comparable"]
    assert every.loc["名", "change"] == "fall"

    # the same from the measures.csv frame (targets parsed back from their readable form)
    frame_graph = build_graph(plans, measures_frame([goal_r, goal_t, teacher_r, teacher_t]), alignment)
    assert escalations(frame_graph)[["child_value", "basis"]].values.tolist() == [[15.5, "percentage"]]


def test_escalations_follow_the_status_evidence_on_caps_and_periods(
    plans: list[PlanMeta], measures: dict[str, list[Measure]]
) -> None:
    # a looser cap is no escalation (the status evidence calls it weakened), and a city's monthly
    # count is compared with the province's yearly one as a yearly rate
    cap = Target(50.0, "%", counted="儿童青少年总体近视率", comparator="控制在", raw="控制在50%以下")
    talks_p = Target(1000.0, "场次", counted="科普报告会", per="每年", raw="每年1000场次")
    talks_c = Target(100.0, "场次", counted="科普报告会", per="每月", raw="每月100场次")
    parent = replace(find(measures["jiangxi"], "提升教师科学素质"), targets=(cap, talks_p))
    child = replace(
        find(measures["jiujiang"], "实施教师科学素质提升工程"),
        targets=(replace(cap, value=55.0, raw="控制在55%以下"), talks_c),
    )
    row = {
        "parent_plan": "jiangxi",
        "child_plan": "jiujiang",
        "parent_measure": parent.measure_id,
        "child_measure": child.measure_id,
        "parent_path": parent.path_text,
        "child_path": child.path_text,
        "parent_text": parent.text,
        "child_text": child.text,
        "similarity": 0.9,
        "status": "weakened",
        "evidence": "",
    }
    graph = build_graph(plans, [parent, child], pd.DataFrame([row], columns=list(ALIGNMENT_COLUMNS)))
    every = escalations(graph, only_rises=False).set_index("unit")
    assert (every.loc["%", "change"], every.loc["%", "basis"]) == ("fall", "percentage")
    # 1200 a year in a city of a tenth of the province's people: far above its share of 100
    assert (every.loc["场次", "change"], every.loc["场次", "basis"]) == ("rise", "population")
    assert escalations(graph)["unit"].tolist() == ["场次"]


def test_agency_functions_match_across_levels() -> None:
    assert agency_function("省教育厅") == agency_function("市教育局") == agency_function("区教育局") == "教育"
    assert agency_function("自治区科协") == agency_function("区科协") == "科协"
    assert agency_function("团省委") == agency_function("团区委") == "共青团"
    assert agency_function("区人力资源和社会保障局") == agency_function("省人力资源社会保障厅") == "人社"
    assert agency_function("市卫健委") == agency_function("省卫生健康委") == "卫健"
    assert agency_function("市委宣传部") == "宣传"
    assert agency_function("区科技和工业信息化局") == agency_function("省科技厅") == "科技"
    assert agency_function("九江学院") == "高校"
    assert agency_function("某某公司") == ""
    # merged bureaus carry several functions; 科学技术协会 is not also 科技
    assert agency_functions("区文化旅游广电体育局") == ("文旅", "广电", "体育")
    assert agency_functions("市文广新旅局") == ("文旅", "广电")
    assert agency_functions("省科学技术协会") == ("科协",)
    assert agency_functions("各县(市、区)人民政府") == ("政府",)


def test_function_kept_on_aligned_edges(plans: list[PlanMeta], measures: dict[str, list[Measure]]) -> None:
    parent = replace(
        find(measures["jiangxi"], "提升教师科学素质"),
        lead_agencies=("省教育厅",),
        responsible_agencies=("省科协",),
    )
    kept = replace(
        find(measures["jiujiang"], "实施教师科学素质提升工程"), responsible_agencies=("市教育局", "市科协")
    )
    lost = replace(
        find(measures["dazhang"], "每年培训20名以上科技辅导员"),
        lead_agencies=("区科协",),
        responsible_agencies=("团区委",),
    )
    rows = [
        {c: "" for c in ALIGNMENT_COLUMNS}
        | {
            "parent_plan": "jiangxi",
            "child_plan": child.plan_id,
            "parent_measure": parent.measure_id,
            "child_measure": child.measure_id,
            "similarity": 0.5,
            "status": "inherited",
        }
        for child in (kept, lost)
    ]
    graph = build_graph(plans, [parent, kept, lost], pd.DataFrame(rows))
    node = measure_node("jiangxi", parent.measure_id)
    assert (
        graph.edges[node, measure_node("jiujiang", kept.measure_id), "aligned_to"]["function_kept"] == "yes"
    )
    edge = graph.edges[node, measure_node("dazhang", lost.measure_id), "aligned_to"]
    assert edge["function_kept"] == "no"
    assert edge["parent_functions"] == "教育；科协" and edge["child_functions"] == "科协；共青团"
    assert edge["function_overlap"] == pytest.approx(0.5)
    # without a lead unit, the first responsible unit is the key: 省广电局 is kept by 市文广新旅局
    broadcast = replace(parent, lead_agencies=(), responsible_agencies=("省广电局", "省体育局"))
    merged = replace(kept, responsible_agencies=("市文广新旅局",))
    graph = build_graph(plans, [broadcast, merged], pd.DataFrame(rows[:1]))
    edge = graph.edges[node, measure_node("jiujiang", kept.measure_id), "aligned_to"]
    assert edge["function_kept"] == "yes" and edge["function_overlap"] == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------
# Consensus parent


def test_consensus_of_the_plans_under_the_absent_national_plan_has_the_five_themes(
    tmp_path: Path, measures: dict[str, list[Measure]], consensus: tuple[list[Measure], pd.DataFrame]
) -> None:
    cons_measures, table = consensus
    assert list(table.columns) == list(CONSENSUS_COLUMNS)
    assert set(table.consensus_plan) == {"consensus:national-2021"}
    assert (table.n_plans == 2).all()
    assert all(m.plan_id == "consensus:national-2021" for m in cons_measures)
    by_id = {(m.plan_id, m.measure_id): m for ms in measures.values() for m in ms}
    for theme, words in THEMES.items():
        carried = []
        for cm in cons_measures:
            members = [by_id[tuple(x.split(":", 1))] for x in cm.extra["members"].split("；")]  # type: ignore[index]
            if {m.plan_id for m in members} == {"jiangxi", "neimenggu"} and all(
                any(w in m.path_text for w in words) for m in members
            ):
                carried.append(cm)
        assert carried, f"no consensus measure for {theme}"
    # the representative is one of the members, and its text is kept
    for row in table.to_dict("records"):
        rep = next(m for m in cons_measures if m.measure_id == row["cluster"])
        assert rep.extra["representative"] in str(row["members"]).split("；")
        assert row["representative_text"] == rep.text
    path = write_consensus(table, tmp_path / "consensus.csv")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back.cluster.tolist() == table.cluster.tolist()


def test_consensus_needs_siblings_under_an_absent_parent(
    plans: list[PlanMeta], measures: dict[str, list[Measure]]
) -> None:
    # Guangxi is alone under the 2022 opinion; Jiujiang's parent has text: no consensus
    cons, table = build_consensus(
        plans, measures["guangxi"] + measures["jiujiang"], HashingEncoder(dim=2**16, ngram_range=(2, 3))
    )
    assert cons == [] and table.empty
    # a stricter support than the siblings available keeps nothing
    both = measures["jiangxi"] + measures["neimenggu"]
    cons, table = build_consensus(plans, both, HashingEncoder(dim=2**16, ngram_range=(2, 3)), min_support=3)
    assert cons == [] and table.empty


def _numbered_pair_tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """alignment.csv and measures.csv of two plans numbered 1. 2. … at the top (measure ids
    "1", "24"), read back with a plain ``pd.read_csv``: a child_measure column with an empty
    cell (a dropped row) comes back as floats (24.0)."""
    text = seed_text("jiangxi")
    items = [line for line in text.splitlines() if re.match(r"^\d+\.", line)][:4]
    parent = extract_measures("\n".join(items), "a")
    bodies = [re.sub(r"^\d+\.\s*", "", line) for line in items[1:3]]
    renumbered = [f"{k}. {body}" for k, body in enumerate(bodies, start=1)]
    child = extract_measures("\n".join(renumbered), "b")
    measures = pd.DataFrame([m.to_row() for m in parent + child])
    columns = ["parent_plan", "child_plan", "parent_measure", "child_measure", "parent_path", "child_path"]
    columns += ["parent_text", "child_text", "similarity", "status", "evidence"]
    rows = [
        ["a", "b", p.measure_id, c.measure_id, p.path_text, c.path_text, p.text, c.text, 0.9, "inherited", ""]
        for p, c in zip(parent[1:3], child, strict=True)
    ]
    rows.append(
        ["a", "b", parent[0].measure_id, "", parent[0].path_text, "", parent[0].text, "", 0.1, "dropped", ""]
    )
    write_csv(pd.DataFrame(rows, columns=columns), folder / "alignment.csv")
    write_csv(measures, folder / "measures.csv")
    return pd.read_csv(folder / "alignment.csv"), pd.read_csv(folder / "measures.csv")


def test_a_postfix_comparator_is_written_after_its_number_and_read_back() -> None:
    """Jiujiang's "全市培训农业从业人员1万人次以上" read "以上1万人次" in measures.csv."""
    from align.attributes import extract_targets
    from align.graph import parse_target

    (target,) = extract_targets("全市培训农业从业人员1万人次以上")
    assert str(target) == "1万人次以上" and target.comparator == "以上"
    back = parse_target(f"{target}（{target.counted}）")
    assert back is not None
    assert (back.value, back.unit, back.comparator, back.counted) == (1.0, "万人次", "以上", target.counted)


def test_numeric_measure_ids_read_back_as_floats_join_their_measures(tmp_path: Path) -> None:
    alignment, measures = _numbered_pair_tables(tmp_path)
    assert alignment["child_measure"].dtype == float  # the notebook's frame: 1.0, 2.0, NaN
    plans = [PlanMeta("a", "a.txt", "", ""), PlanMeta("b", "b.txt", "", "", parent_id="a")]
    graph = build_graph(plans, measures, alignment)
    nodes = sorted(n for n in graph if n.startswith("measure:"))
    assert nodes == ["measure:a:1", "measure:a:2", "measure:a:3", "measure:a:4", "measure:b:1", "measure:b:2"]
    trace = lineage(graph, "2", plan="a")
    assert trace["measure"].tolist() == ["2", "1"] and trace["text"].iloc[1].startswith("1.")


def test_consensus_is_the_same_from_sparse_or_dense_vectors_and_ties_go_to_the_first_sibling(
    plans: list[PlanMeta], measures: dict[str, list[Measure]], consensus: tuple[list[Measure], pd.DataFrame]
) -> None:
    """The default hashed n-grams stay sparse (dense, thousands of sibling measures take gigabytes);
    the same vectors given dense make the same clusters and representatives: a two-member cluster
    is a tie, which goes to the first sibling's measure, not to rounding."""

    class Dense:
        def __init__(self) -> None:
            self.inner = HashingEncoder(dim=2**16, ngram_range=(2, 3))

        def encode(self, texts: list[str]) -> np.ndarray:
            return self.inner.encode(texts)

    _, table = consensus
    _, dense = build_consensus(plans, measures["jiangxi"] + measures["neimenggu"], Dense())
    pd.testing.assert_frame_equal(dense, table)
    by_id = {f"{m.plan_id}:{m.measure_id}": m.text for ms in measures.values() for m in ms}
    pairs = table[table.members.str.count("；") == 1]
    assert len(pairs) > 20
    for members, text in zip(pairs.members, pairs.representative_text, strict=True):
        first = members.split("；")[0]
        assert first.startswith("jiangxi:") and text == by_id[first]
    # "first" is by plan id, not by the manifest's rows: Inner Mongolia listed before Jiangxi
    # (or its measures given first) made its texts the consensus and changed every status
    reordered = [next(m for m in plans if m.plan_id == "neimenggu")] + [
        m for m in plans if m.plan_id != "neimenggu"
    ]
    _, again = build_consensus(reordered, measures["neimenggu"] + measures["jiangxi"])
    pd.testing.assert_frame_equal(again, table)


def test_lineage_and_escalations_refuse_a_graph_without_edge_kinds_and_take_numbers_and_measures(
    plans: list[PlanMeta], measures: dict[str, list[Measure]], youth_alignment: pd.DataFrame
) -> None:
    graph = build_graph(
        plans, measures["jiangxi"] + measures["jiujiang"] + measures["dazhang"], youth_alignment
    )
    for simple in (nx.DiGraph(graph), nx.Graph(graph)):
        with pytest.raises(TypeError, match=r"force_multigraph=True"):
            lineage(simple, "二.(一).1", plan="jiangxi")
        with pytest.raises(TypeError, match=r"MultiDiGraph of build_graph"):
            escalations(simple)
    with pytest.raises(TypeError, match=r"not a path"):
        lineage("outputs/graph.graphml", "二.(一).1", plan="jiangxi")  # type: ignore[arg-type]
    start = next(m for m in measures["jiangxi"] if m.measure_id == "二.(一).1")
    assert lineage(graph, start).equals(lineage(graph, "二.(一).1", plan="jiangxi"))
    with pytest.raises(InputError, match=r"plan jiangxi has no measure '24'"):
        lineage(graph, 24.0, plan="jiangxi")  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"PlanMeta rows \(list\(corpus.metas.values\(\)\)\), not a DataFrame"
    ):
        build_graph(pd.DataFrame([vars(p) for p in plans]), [], youth_alignment)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not a dict"):
        build_graph(plans, measures, youth_alignment)  # type: ignore[arg-type]
    # build_consensus says the same (it was AttributeError: 'str' object has no attribute 'plan_id')
    corpus_metas = {p.plan_id: p for p in plans}
    with pytest.raises(
        TypeError, match=r"build_consensus: plans must be PlanMeta rows .*, not a dict of str"
    ):
        build_consensus(corpus_metas, measures["jiangxi"])  # type: ignore[arg-type]
