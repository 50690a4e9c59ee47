"""Status rules on real seed plans: omitted clauses, judged against the pair's usual omission."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from align.corpus import Corpus
from align.measures import extract_measures
from align.models import Measure
from align.pipeline import Aligner, align_corpus
from align.status import StatusRules, omitted_clauses, task_clauses
from tests.conftest import ROOT, seed_text


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.load(ROOT / "data")


@pytest.fixture(scope="module")
def jiangxi() -> list[Measure]:
    return extract_measures(seed_text("jiangxi"))


def _measure(measures: list[Measure], words: str) -> Measure:
    return next(m for m in measures if words in m.text)


def test_task_clauses_leave_out_heading_and_agency_note(jiangxi: list[Measure]) -> None:
    measure = _measure(jiangxi, "加强高等教育阶段科学教育和科普工作")
    clauses = task_clauses(measure)
    assert "深化高校传统理科教育教学改革" in clauses
    assert not any("加强高等教育阶段" in c for c in clauses)  # the heading is no duty
    assert not any("团省委" in c for c in clauses)  # nor the agency note
    assert all(len(c) >= 6 for c in clauses)


def test_omitted_clauses_by_wording(jiangxi: list[Measure]) -> None:
    measure = _measure(jiangxi, "加强高等教育阶段科学教育和科普工作")
    itself = omitted_clauses(measure, [measure])
    assert itself.share == 0.0 and itself.omitted == () and itself.n_clauses == len(task_clauses(measure))
    other = omitted_clauses(measure, [_measure(jiangxi, "实施银龄科普行动")])
    assert other.share > 0.8 and len(other.omitted) == round(other.share * other.n_clauses)
    # the rules read each child once for a whole pair, with the same result
    rules = StatusRules()
    both = rules.omissions([(measure, [measure]), (measure, [_measure(jiangxi, "实施银龄科普行动")])])
    assert both == [itself, other]
    assert rules.typical_omission(both) == pytest.approx(other.share / 2)
    assert StatusRules(omission_margin=None).omissions([(measure, [measure])]) is None


def test_copy_down_measure_that_omits_most_clauses_is_weakened(corpus: Corpus) -> None:
    parent, child = corpus.plan("jiangxi"), corpus.plan("jiujiang")
    rows = Aligner().align(parent, child).alignment
    cut = rows[rows["evidence"].str.contains("omits", regex=False)]
    assert len(cut), "the omission rule should fire on the copy-down pair"
    assert set(cut["status"]) == {"weakened"}
    # the pair's usual share is small: Jiujiang copies Jiangxi nearly word for word
    median = {float(m) for m in cut["evidence"].str.extract(r"pair median (\d+)%")[0]}
    assert len(median) == 1 and median.pop() <= 30
    # the evidence quotes the start of omitted clauses, which the child does not say
    for _, row in cut.iterrows():
        quoted = re.search(r"clauses \(pair median \d+%\): ([^;]+)", row["evidence"]).group(1)  # type: ignore[union-attr]
        for clause in quoted.split("；"):
            head = clause.rstrip("…")
            assert head in re.sub(r"\s", "", row["parent_text"])
            assert head not in re.sub(r"\s", "", row["child_text"])
    # off, the same measures keep another status and no omission evidence
    plain = Aligner(rules=StatusRules(omission_margin=None)).align(parent, child).alignment
    before = plain.set_index(["parent_measure", "child_measure"]).loc[
        pd.MultiIndex.from_frame(cut[["parent_measure", "child_measure"]])
    ]
    assert not before["evidence"].str.contains("omits", regex=False).any()
    assert (before["status"] != "weakened").all()


@pytest.mark.parametrize(("parent", "child"), [("jiangxi", "dazhang"), ("neimenggu", "guangxi")])
def test_omission_rule_is_silent_on_rewritten_plans(corpus: Corpus, parent: str, child: str) -> None:
    """A plan that rewrites its parent omits most wording everywhere: omissions say nothing."""
    rows = Aligner().align(corpus.plan(parent), corpus.plan(child)).alignment
    assert not rows["evidence"].str.contains("omits", regex=False).any()


def test_omission_rule_is_silent_against_a_consensus_parent(corpus: Corpus) -> None:
    """A consensus measure is a sibling's (or the plan's own) text: nothing was copied from it."""
    rows = align_corpus(corpus, Aligner()).alignment
    virtual = rows[rows["parent_plan"].str.startswith("consensus:")]
    assert len(virtual) and not virtual["evidence"].str.contains("omits", regex=False).any()
    real = rows[rows["parent_plan"] == "jiangxi"]
    assert real["evidence"].str.contains("omits", regex=False).any()


def test_an_unchanged_measure_says_how_many_sub_actions_were_checked(corpus: Corpus) -> None:
    from align.match import measure_sentences
    from align.measures import is_duty_sentence

    rows = Aligner().align(corpus.plan("jiangxi"), corpus.plan("jiujiang")).alignment
    plain = rows[rows["evidence"].str.startswith("same substance")]
    assert len(plain) > 10
    counted = plain["evidence"].str.extract(
        r"^same substance \(all (\d+) sub-actions found in the child plan\)$"
    )[0]
    assert counted.notna().sum() >= 5
    parents = {m.measure_id: m for m in extract_measures(seed_text("jiangxi"), "jiangxi")}
    for measure_id, n in zip(plain["parent_measure"], counted, strict=True):
        # the task sentences of the parent measure (its heading and agency line are no sub-actions)
        tasks = [s for s in measure_sentences(parents[measure_id])[1:] if not is_duty_sentence(s)]
        if isinstance(n, str):
            assert int(n) == len(tasks) > 1
        else:  # one task sentence: the link itself is the check
            assert len(tasks) <= 1


def test_evidence_of_a_measure_carried_by_several_children_names_the_child_holding_each_target(
    corpus: Corpus,
) -> None:
    """Every row of a measure shows the measure's evidence: Jiangxi 二.(一) → Jiujiang's intro
    二.(一) read "adds target 200场次", which only its other carrying child 二.(一).1 says."""
    rows = Aligner().align(corpus.plan("jiangxi"), corpus.plan("jiujiang")).alignment
    texts = {m: re.sub(r"\s", "", t) for m, t in zip(rows["child_measure"], rows["child_text"], strict=True)}
    carried = rows[(rows["parent_measure"] != "") & (rows["child_measure"] != "")]
    shared = carried[carried.duplicated("parent_measure", keep=False)]
    checked = 0
    for _, row in shared.iterrows():
        for reason in row["evidence"].split("; "):
            found = re.match(r"adds target (\S+?)(?:（[^）]*）)? in (\S+)$", reason)
            if found:
                number = re.search(r"\d+(?:\.\d+)?", found.group(1)).group()  # type: ignore[union-attr]
                assert number in texts[found.group(2)], (reason, found.group(2))
                checked += 1
            else:  # an added target with no child named is in this row's own child
                assert not reason.startswith("adds target"), reason
    assert checked >= 2
    intro = shared[(shared["parent_measure"] == "二.(一)") & (shared["child_measure"] == "二.(一)")]
    assert "200场次（邀请中科院老科学家科普…） in 二.(一).1" in intro["evidence"].iloc[0]


def test_two_children_adding_the_same_number_of_different_things_are_each_named() -> None:
    """The child was found by the number alone: "1个（打造科普基地）" was said to be in the child
    holding "1个（新建示范学校）"."""
    import numpy as np

    from align.match import measure_sentences

    parent = extract_measures("一、重点任务\n1. 加强科普基地建设。推动各地建设科普基地。\n", "p")[-1]
    first, second = extract_measures(
        "一、重点任务\n1. 加强科普基地建设。新建示范学校1个。\n2. 加强科普阵地建设。打造科普基地1个。\n", "c"
    )[-2:]
    n_child = len(measure_sentences(first)) + len(measure_sentences(second))
    scores = np.full((len(measure_sentences(parent)), n_child), 3.0)
    status, evidence = StatusRules().label(parent, [first, second], scores, same_level=True)
    assert status == "strengthened"
    assert evidence.split("; ") == [
        f"adds target 1个（新建示范学校） in {first.measure_id}",
        f"adds target 1个（打造科普基地） in {second.measure_id}",
    ]


def test_a_target_of_another_parent_measure_the_child_carries_is_not_gained(jiangxi: list[Measure]) -> None:
    # Dazhang's 每年培训20名以上科技辅导员 answers Jiangxi's 每年培训3000名科技辅导员 (教师科学素质);
    # the basic-education measure the same sentence also carries was "strengthened" by it
    import numpy as np

    from align.match import measure_sentences

    teaching = next(m for m in jiangxi if m.measure_id == "二.(一).1")
    teachers = _measure(jiangxi, "每年培训 3000 名科技辅导员")
    dazhang = extract_measures(seed_text("dazhang"), "dazhang")
    sentence = _measure(dazhang, "每年培训20名以上科技辅导员")
    assert sentence.targets and not teaching.targets
    scores = np.full((len(measure_sentences(teaching)), len(measure_sentences(sentence))), 3.0)  # all carried
    rules = StatusRules()
    alone, evidence = rules.label(teaching, [sentence], scores, same_level=False, shared=[True])
    assert (alone, evidence.startswith("adds target 每年20名")) == ("strengthened", True)
    status, evidence = rules.label(
        teaching, [sentence], scores, same_level=False, shared=[True], elsewhere=[teachers.targets]
    )
    assert "20名" not in evidence and status != "strengthened"
    # the measure whose target it is still compares it
    status, evidence = rules.label(
        teachers, [sentence], np.ones((len(teachers.sentences), 1)), same_level=False
    )
    assert "每年3000名（培训科技辅导员）→每年20名" in evidence
