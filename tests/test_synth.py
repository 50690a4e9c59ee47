"""The benchmark's synthetic hierarchy: deterministic, parseable, with usable ground truth."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from align.corpus import Corpus
from align.evaluate import evaluate_files, norm, score_alignment
from align.measures import extract_measures
from align.pipeline import Aligner

from .conftest import ROOT


def _load_synth() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synth", ROOT / "bench" / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synth"] = module
    spec.loader.exec_module(module)
    return module


synth = _load_synth()


@pytest.fixture(scope="module")
def seeds() -> Corpus:
    return Corpus.load(ROOT / "data")


@pytest.fixture(scope="module")
def small(seeds: Corpus):
    """The province tree cut to its first 5 plans: the province, 3 cities and a county."""
    return synth.HierarchyGenerator(seeds).generate("province", limit=5)


def test_generator_is_deterministic_and_samples_match_the_full_tree(seeds: Corpus, small) -> None:
    again = synth.HierarchyGenerator(seeds).generate("province", limit=5)
    assert again.texts == small.texts and again.gold == small.gold
    other = synth.HierarchyGenerator(seeds, random_state=1).generate("province", limit=5)
    assert other.texts["p0"] == small.texts["p0"]  # the root is the seed itself
    assert other.texts["p0-01"] != small.texts["p0-01"]
    # a plan does not depend on how many others are generated
    pair = synth.HierarchyGenerator(seeds).generate("province", limit=2)
    assert pair.texts["p0-01"] == small.texts["p0-01"]
    assert [p.plan_id for p in small.plans] == ["p0", "p0-01", "p0-02", "p0-03", "p0-04"]
    assert small.plans[1].level == "municipal" and small.plans[1].parent_id == "p0"


def test_sizes_of_the_named_hierarchies() -> None:
    assert 1 + sum(synth.hierarchy_shape("province")) == 112
    assert 1 + sum(synth.hierarchy_shape("country")) == 3000
    assert synth.spread(100, 11) == [10] + [9] * 10
    with pytest.raises(ValueError):
        synth.hierarchy_shape("planet")


def test_children_drop_reorder_reword_and_add(small) -> None:
    parent, child = small.plans[0], small.plans[1]
    p_units = {u.uid: u for u in parent.units()}
    c_units = child.units()
    assert child.dropped and all(uid in p_units for uid in child.dropped)
    assert "added" in {u.label for u in c_units}
    labels = {u.label for plan in small.plans[1:] for u in plan.units()}
    assert {"inherited", "added"} <= labels and labels & {"strengthened", "weakened"}
    reworded = [u for u in c_units if u.uid in p_units and u.content != p_units[u.uid].content]
    assert len(reworded) >= 10
    swaps = [w for u in reworded for w in u.evidence.split("; ") if "→" in w]
    assert any(w.split("→")[0] in {a for pair in synth.SYNONYMS for a in pair} for w in swaps)
    # items are reordered under their headings (in most children: p_shuffle per heading)
    reordered = 0
    for plan in small.plans[1:4]:
        kept_order = [u.uid for u in plan.units() if u.uid in p_units]
        reordered += kept_order != [uid for uid in p_units if uid in set(kept_order)]
    assert reordered >= 2
    # added measures come from other seeds, never from the root's own seed
    assert all(not u.uid.startswith("jiangxi:") for u in c_units if u.label == "added")


def test_gold_anchors_are_verbatim_unique_and_inside_one_measure(small) -> None:
    parsed = {plan_id: extract_measures(text, plan_id) for plan_id, text in small.texts.items()}
    normed = {plan_id: norm(text) for plan_id, text in small.texts.items()}
    measure_texts = {plan_id: [norm(m.text) for m in ms] for plan_id, ms in parsed.items()}
    for (parent_id, child_id), rows in small.gold.items():
        for doc_id, column in ((parent_id, "parent_anchor"), (child_id, "child_anchor")):
            text = small.texts[doc_id]
            for row in rows:
                anchor = row[column]
                if not anchor:
                    continue
                assert 8 <= len(anchor) <= 30
                assert text.count(anchor) == 1 and normed[doc_id].count(norm(anchor)) == 1
                assert sum(norm(anchor) in m for m in measure_texts[doc_id]) == 1
        parent_rows = [r for r in rows if r["parent_anchor"]]
        assert len(parent_rows) == len(parsed[parent_id])
        added = [r for r in rows if r["label"] == "added"]
        assert all(not r["parent_anchor"] for r in added)
        assert len(parent_rows) + len(added) >= len(parsed[child_id])


def test_written_corpus_loads_and_scores(small, tmp_path: Path) -> None:
    manifest = small.write(tmp_path / "synth")
    corpus = Corpus.load(manifest.parent)
    assert corpus.alignment_pairs() == [(p, c) for p, c in small.pairs()]
    result = Aligner().align(corpus.plan("p0"), corpus.plan("p0-01"))
    alignment_csv = tmp_path / "alignment.csv"
    result.alignment.to_csv(alignment_csv, index=False)
    score = evaluate_files(alignment_csv, tmp_path / "synth" / "gold" / "p0__p0-01.csv")
    assert score.missing == 0 and score.parents == len(result.parent_measures)


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_lexical_alignment_of_a_generated_pair_reaches_f1_0_9(seeds: Corpus, random_state: int) -> None:
    # drops, reordering, synonym swaps and changed quantities, no local additions
    corpus = synth.HierarchyGenerator(seeds, random_state=random_state, p_add=0.0).generate("pair")
    [(parent, child)] = corpus.pairs()
    result = Aligner(encoder=None).align(corpus.plan(parent), corpus.plan(child))
    score = score_alignment(result.alignment, corpus.gold[(parent, child)])
    assert score.missing == 0
    assert score.pair_f1 >= 0.9, score.report()


def test_lexical_alignment_with_local_additions_keeps_recall(seeds: Corpus) -> None:
    # Added measures (borrowed from other seeds) are what the lexical matcher gets wrong: it links
    # most of them to their closest parent measure, so precision, not recall, drops (pair F1
    # 0.83-0.92 over random states 0-7 at the time of writing; see bench/results.json).
    corpus = synth.HierarchyGenerator(seeds).generate("pair")
    [(parent, child)] = corpus.pairs()
    result = Aligner(encoder=None).align(corpus.plan(parent), corpus.plan(child))
    score = score_alignment(result.alignment, corpus.gold[(parent, child)])
    assert score.added_total >= 2 and score.missing == 0
    assert score.pair_r >= 0.95
    assert score.pair_f1 >= 0.8, score.report()
