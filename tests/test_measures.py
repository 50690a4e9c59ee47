"""Measures of the five seed plans: counts per section, ids, paths, texts and attributes."""

from __future__ import annotations

import random
import re
import warnings
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from align.errors import NoMeasuresError, NotChineseWarning, TraditionalScriptWarning
from align.measures import MeasureExtractor, extract_measures
from tests.conftest import SEEDS, seed_text


def by_section(name: str) -> Counter[str]:
    return Counter(m.measure_id.split(".")[0] for m in extract_measures(seed_text(name)))


def test_counts_per_top_level_section() -> None:
    # goal paragraph; 5 action intros + 20 items; 5 project intros + 16 items; 2 paragraphs + 8 items
    assert by_section("jiangxi") == {"一": 1, "二": 25, "三": 21, "四": 10}
    assert by_section("jiujiang") == {"一": 1, "二": 25, "三": 20, "四": 9}
    # the district bundles its tasks: one measure per task sentence (37 + 32; 13)
    assert by_section("dazhang") == {"二": 1, "三": 69, "四": 13}
    assert by_section("guangxi") == {"二": 1, "三": 24, "四": 3}
    # 任务 blocks are intros, —— bullets under 措施 are items, 分工 is context
    assert by_section("neimenggu") == {"二": 1, "三": 26, "四": 19, "五": 5}


def test_jiangxi_has_44_numbered_items_under_sections_two_to_four() -> None:
    items = [m for m in extract_measures(seed_text("jiangxi")) if re.search(r"\.\d+$", m.measure_id)]
    assert len(items) == 44


def test_ids_paths_and_text() -> None:
    measures = {m.measure_id: m for m in extract_measures(seed_text("jiangxi"), "jiangxi")}
    item = measures["二.(一).1"]
    assert item.path == (
        "聚焦全人群覆盖,实施五项提升行动",
        "实施青少年科学素质提升行动",
        "推进基础教育阶段科学教育工作",
    )
    assert item.text.startswith("1. 推进基础教育阶段科学教育工作。完善初高中")
    assert item.sentences[0] == "1. 推进基础教育阶段科学教育工作。"
    assert item.plan_id == "jiangxi" and item.line == 41
    intro = measures["二.(一)"]
    assert intro.kind == "intro" and "将弘扬科学精神贯穿于育人全链条" in intro.text
    assert intro.lead_agencies == ("省教育厅", "省科协")
    # two paragraphs of one heading are two measures
    assert measures["四.(一).p1"].text.startswith("省人民政府负责领导全省公民科学素质工作")
    assert measures["四.(一).p2"].text.startswith("各设区市")


def test_goal_is_a_measure_with_its_target() -> None:
    goal = next(m for m in extract_measures(seed_text("jiangxi")) if m.kind == "goal")
    assert "公民具备科学素质的比例力争达到15%" in goal.text
    (target,) = goal.targets
    assert (target.value, target.unit, target.year) == (15.0, "%", 2025)
    # guidance rhetoric is context, never a measure
    assert not any("习近平新时代" in m.text for m in extract_measures(seed_text("jiangxi")))


def test_jiujiang_first_youth_item_targets() -> None:
    item = next(m for m in extract_measures(seed_text("jiujiang")) if m.measure_id == "二.(一).1")
    values = sorted((t.value, t.unit) for t in item.targets)
    assert values == [(1.0, "场次"), (200.0, "场次")]
    assert "每学年" in item.deadline


def test_inner_mongolia_youth_action_lead_agency_is_inherited() -> None:
    measures = [m for m in extract_measures(seed_text("neimenggu")) if m.measure_id.startswith("三.(一)")]
    assert measures[0].kind == "intro" and measures[0].text.startswith("1.任务")
    assert all(m.lead_agencies == ("自治区教育厅",) for m in measures)
    assert len(measures) == 7  # 任务 + six —— bullets; 分工 is context


def test_bundled_district_paragraph_is_split_into_task_sentences() -> None:
    measures = [m for m in extract_measures(seed_text("dazhang")) if m.measure_id.startswith("三.(一).1.")]
    assert len(measures) == 10
    assert measures[0].text.startswith("1.青少年科学素质提升行动。坚持立德树人")
    assert (
        measures[1].text
        == "加强对家庭科学教育的指导，落实《湖南省家庭教育促进条例》，增强家长科学教育意识，掌握科学教育方法。"
    )
    assert all(m.kind == "task" for m in measures)
    # the duty statement of the action is inherited, not a measure
    assert measures[3].lead_agencies == ("区教育局", "团区委", "区科协")
    # a short inline title joins the sentence it heads
    ids = {m.measure_id: m.text for m in extract_measures(seed_text("dazhang"))}
    assert ids["四.2.s3"].startswith("完善表彰奖励机制。根据国家有关规定")


def test_gold_anchors_fall_in_exactly_one_measure() -> None:
    from align.evaluate import GOLD_COLUMNS, norm, read_table
    from tests.conftest import ROOT

    texts = {doc: [norm(m.text) for m in extract_measures(seed_text(n))] for n, doc in SEEDS.items()}
    golds = sorted((ROOT / "data" / "gold").rglob("*.csv"))
    assert len(golds) == 5  # the three shared pairs and the two blind ones
    for gold in golds:
        for row in read_table(gold, GOLD_COLUMNS):
            for side in ("parent", "child"):
                anchor = norm(row[f"{side}_anchor"])
                if anchor:
                    hits = [t for t in texts[row[f"{side}_doc"]] if anchor in t]
                    assert len(hits) == 1, (gold.name, side, anchor)


def test_prose_without_outline_is_an_error() -> None:
    with pytest.raises(NoMeasuresError, match="no measures found: the document has no numbered outline"):
        MeasureExtractor().extract("这是一段说明文字，没有任何编号。", source="memo.txt")


def test_an_outline_without_task_text_is_not_called_no_outline() -> None:
    """A heading over unpunctuated text (a paste that lost its punctuation): the message names the
    outline it found instead of saying there is none."""
    body = "".join(line.strip("。，；、") for line in seed_text("dazhang").splitlines()[20:30])
    body = "".join(ch for ch in body if ch not in "。；;，,、：:！？（）()“”")
    with pytest.raises(
        NoMeasuresError, match=r"its numbered outline \(1 top heading\(s\), e.g. '总体要求'\)"
    ):
        MeasureExtractor().extract("一、总体要求\n" + body, source="pasted.txt")


def _covered(text: str, name: str = "") -> None:
    parsed = MeasureExtractor(require_measures=False).parse(text)
    pieces = [m.text for m in parsed.measures] + [p.text for p in parsed.context + parsed.furniture]
    kept = re.sub(r"\s+", "", "".join(pieces))
    kept_counts = Counter(kept)
    for ch, n in Counter(re.sub(r"\s+", "", text)).items():
        assert kept_counts[ch] >= n, (name, ch)


@pytest.mark.parametrize("name", list(SEEDS))
def test_no_text_is_lost(name: str) -> None:
    _covered(seed_text(name), name)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_mangled_text_never_crashes_nor_loses_text(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(list(SEEDS)))
    lines = seed_text(name).split("\n")
    rng = random.Random(data.draw(st.integers(0, 10**6)))
    start = rng.randrange(len(lines))
    lines = lines[start : start + 40]
    mode = data.draw(st.sampled_from(["shuffle", "unnumber", "widths", "none"]))
    if mode == "shuffle":
        rng.shuffle(lines)
    elif mode == "unnumber":
        lines = [
            re.sub(r"^\s*([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d+[.．、])", "", x)
            for x in lines
        ]
    elif mode == "widths":
        table = str.maketrans("()，:.0123456789", "（）,：．０１２３４５６７８９")
        lines = [x.translate(table) for x in lines]
    _covered("\n".join(lines))


def test_agencies_of_a_task_table_come_from_its_columns() -> None:
    # Jiujiang's first three youth items laid out as a task table (as a docx table reaches the
    # text: one tab-separated line a row), their (责任单位:…) notes moved into a column
    items = extract_measures(seed_text("jiujiang"))[2:5]
    rows = []
    for i, item in enumerate(items, start=1):
        body, _, note = item.text.rpartition("(责任单位:")
        rows.append(f"{i}\t{re.sub(r'^[0-9]+[.．]', '', body)}\t{note.rstrip(')')}\t")
    table = "\n".join(
        [
            "一、重点任务",
            "序号\t重点任务\t责任单位\t配合单位",
            *rows,
            "二、保障措施",
            "加强组织领导。各地抓好落实。",
        ]
    )
    measures = extract_measures(table)
    assert [m.responsible_agencies for m in measures[:3]] == [m.responsible_agencies for m in items]
    assert measures[0].responsible_agencies == ("市科协", "市委宣传部", "市教育局", "团市委")


ENGLISH_PLAN = """Implementation Plan of Jiangxi Province for Scientific Literacy (2021-2025)
一、Overall requirements
（一）Guiding ideology. Guided by the Thought, we will improve the scientific literacy of all
citizens of the province and build a strong province of science and technology.
（二）Goals. By 2025 the share of citizens with basic scientific literacy strives to reach 15%,
and the gap between regions and groups narrows markedly.
二、Key tasks
（一）Youth. Carry the spirit of science through the whole chain of education.
"""


def test_a_plan_with_little_chinese_is_parsed_with_a_warning() -> None:
    """An English translation keeps its outline and gets its measures, with a warning that align
    reads Chinese plans; a text without measures says so in its error; the seeds warn of nothing."""
    with pytest.warns(NotChineseWarning, match=r"en.txt: only \d+% of its text is Chinese characters"):
        parsed = MeasureExtractor().parse(ENGLISH_PLAN, "en", source="en.txt")
    assert [m.measure_id for m in parsed.measures] == ["一.(一)", "一.(二)", "二.(一)"]
    words = re.sub(r"[一二（）、]", "", ENGLISH_PLAN).replace("\n", " ")
    with pytest.raises(NoMeasuresError, match=r"only \d+% of its text is Chinese characters"):
        MeasureExtractor().parse(words, "en", source="en.txt")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotChineseWarning)
        warnings.simplefilter("error", TraditionalScriptWarning)
        for seed in SEEDS:
            MeasureExtractor().parse(seed_text(seed), seed)


def test_what_is_not_a_text_says_how_to_get_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from align.corpus import plan_from_path
    from tests.conftest import PLANS

    path = PLANS / SEEDS["jiangxi"]
    with pytest.raises(TypeError, match=r"not bytes \(decode it"):
        extract_measures(path.read_bytes())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not PosixPath \(read the file with align.documents.read_document"):
        MeasureExtractor().parse(path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not Plan \(pass plan.text"):
        extract_measures(plan_from_path(path))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not NoneType"):
        extract_measures(None)  # type: ignore[arg-type]
    with pytest.raises(NoMeasuresError, match=r"the text is the name of a file; read it with"):
        extract_measures(str(path))


@pytest.mark.parametrize(
    "note", ["（配合部门：市教育局、市科协）", "（市教育局牵头，市科协参与）", "（协办单位：市科协）"]
)
def test_an_agency_note_of_any_label_is_a_duty_not_a_measure(note: str) -> None:
    # every label that agencies are read from also marks the line as a duty note: it neither
    # becomes a measure of its own nor counts as a task sentence of the item above it
    text = seed_text("jiujiang")
    line = next(x for x in text.splitlines() if "科普+旅游" in x)
    before = {m.measure_id: m for m in extract_measures(text, "jiujiang")}
    after = {m.measure_id: m for m in extract_measures(text.replace(line, f"{line}\n{note}"), "jiujiang")}
    assert after.keys() == before.keys()
    item = next(m for m in after.values() if "科普+旅游" in m.text)
    assert item.sentences == before[item.measure_id].sentences
    assert "市科协" in item.lead_agencies + item.responsible_agencies


def test_a_plan_in_traditional_characters_is_parsed_with_a_warning() -> None:
    # its items were silently split into sentence measures and its agencies went unread
    text = (Path(__file__).parent / "data" / "jiujiang-traditional-excerpt.txt").read_text(encoding="utf-8")
    with pytest.warns(TraditionalScriptWarning, match=r"trad.txt: written in traditional characters \(\d+%"):
        MeasureExtractor().parse(text, "jiujiang", source="trad.txt")
