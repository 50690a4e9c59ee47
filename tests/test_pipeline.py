"""The notebook API of align.pipeline at its boundary: what a notebook user passes by mistake is
told in one error at the call, and a pair too large for memory is refused up front."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from align.corpus import Corpus, plan_from_path
from align.errors import PairTooLargeError
from align.measures import MeasureExtractor
from align.pipeline import Aligner, align_corpus, align_plans
from tests.conftest import PLANS, ROOT, SEEDS


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.load(ROOT / "data")


def test_a_plan_id_or_path_instead_of_a_plan_says_how_to_get_one(corpus: Corpus) -> None:
    with pytest.raises(
        TypeError, match=r"parent must be a Plan, not str \(for a plan id: corpus.plan\('jiangxi'\)\)"
    ):
        align_plans("jiangxi", corpus.plan("jiujiang"))  # type: ignore[arg-type]
    path = PLANS / SEEDS["jiujiang"]
    with pytest.raises(
        TypeError, match=r"child must be a Plan, not PosixPath \(for a document: .*plan_from_path"
    ):
        Aligner().align(corpus.plan("jiangxi"), path)  # type: ignore[arg-type]


def test_empty_measure_lists_and_a_threshold_as_text_are_errors_at_the_call(corpus: Corpus) -> None:
    aligner = Aligner()
    jiangxi, jiujiang = corpus.plan("jiangxi"), corpus.plan("jiujiang")
    with pytest.raises(ValueError, match="no parent measures"):
        aligner.align(jiangxi, jiujiang, [], aligner.measures(jiujiang))
    with pytest.raises(ValueError, match="no child measures"):
        aligner.align(jiangxi, jiujiang, aligner.measures(jiangxi), [])
    with pytest.raises(ValueError, match="threshold must be a probability between 0 and 1, not '0.5'"):
        Aligner(threshold="0.5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not 1.5"):
        Aligner(threshold=1.5)


def test_align_corpus_takes_the_corpus_folder() -> None:
    result = align_corpus(str(ROOT / "data"))
    assert set(result.coverage["child_plan"]) >= {"jiujiang"}
    with pytest.raises(TypeError, match="corpus must be a Corpus or a corpus folder"):
        align_corpus(42)  # type: ignore[arg-type]


def test_the_api_is_reachable_from_the_package_as_the_module_docstring_shows() -> None:
    import align

    corpus = align.load_corpus(ROOT / "data")
    pair = align.align_plans(corpus.plan("jiangxi"), corpus.plan("jiujiang"))
    assert isinstance(align.Aligner(), Aligner) and align.align_corpus is align_corpus
    assert pair.coverage()["n_parent_measures"] == 57
    with pytest.raises(AttributeError, match="no attribute 'load'"):
        align.load  # noqa: B018


def test_a_pair_beyond_the_memory_budget_is_refused_naming_the_larger_document(tmp_path: Path) -> None:
    # the mechanism on two seed plans with a lowered budget; the default (4 GB) refuses two
    # compilations of 50 plans (2,903 × 2,903 measures) instead of failing part-way
    big = tmp_path / "big.txt"
    big.write_text((PLANS / SEEDS["jiangxi"]).read_text(encoding="utf-8"), encoding="utf-8")
    parent, child = plan_from_path(big), plan_from_path(PLANS / SEEDS["dazhang"])
    with pytest.raises(PairTooLargeError) as caught:
        Aligner(max_memory=1_000_000).align(parent, child)
    message = str(caught.value)
    assert message.startswith(f"{big}: too large to align with {child.plan_id}: ")
    assert "MB of memory, more than the 1 MB allowed (--max-memory); split the document" in message
    assert caught.value.plan_id == "big" and caught.value.exit_code == 2
    # the larger side is named whichever side it is on
    with pytest.raises(
        PairTooLargeError, match=rf"^{big}: too large to align with {child.plan_id}: 57 measures"
    ):
        Aligner(max_memory=1_000_000).align(child, parent)
    assert len(Aligner(max_memory=None).align(parent, child).alignment)


def test_keep_going_skips_a_pair_too_large_and_says_so(corpus: Corpus) -> None:
    small = Aligner(max_memory=1_000_000)
    with pytest.raises(PairTooLargeError):
        align_corpus(corpus, small, consensus=False)
    result = align_corpus(corpus, small, keep_going=True, consensus=False)
    assert result.pairs == [] and len(result.alignment) == 0
    assert any(
        n.startswith("jiujiang: not aligned with jiangxi: ") and "too large" in n for n in result.notes
    )


def test_an_encoder_named_by_a_string_says_what_to_pass(corpus: Corpus) -> None:
    # the CLI takes --encoder lexical; the API takes an encoder object (or None)
    with pytest.raises(TypeError, match=r"not the name 'lexical': pass encoder=None"):
        align_plans(corpus.plan("jiangxi"), corpus.plan("jiujiang"), encoder="lexical")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"make_encoder\('m3e'\)"):
        Aligner(encoder="m3e")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"aligner must be an Aligner"):
        align_corpus(corpus, "lexical")  # type: ignore[arg-type]


def test_measures_of_the_wrong_plan_or_of_the_wrong_type_are_refused(corpus: Corpus) -> None:
    import pandas as pd

    from align.models import measures_frame

    parent, child = corpus.plan("jiangxi"), corpus.plan("jiujiang")
    aligner = Aligner()
    pm, cm = aligner.measures(parent), aligner.measures(child)
    with pytest.raises(
        ValueError, match=r"parent_measures are measures of jiujiang, not of the parent jiangxi"
    ):
        aligner.align(parent, child, cm, pm)  # swapped: the table would name jiangxi but hold jiujiang
    frame: pd.DataFrame = measures_frame(pm)
    with pytest.raises(TypeError, match=r"parent measures must be a list of Measure .* not a DataFrame"):
        aligner.align(parent, child, frame, cm)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not a list of str"):
        aligner.align(parent, child, [m.text for m in pm], cm)  # type: ignore[misc]


def test_the_text_of_a_document_instead_of_a_plan_is_not_called_a_plan_id(corpus: Corpus) -> None:
    text = corpus.plan("jiangxi").text
    with pytest.raises(TypeError, match=r"for a text: Plan\(PlanMeta"):
        align_plans(text, corpus.plan("jiujiang"))  # type: ignore[arg-type]


def test_a_reference_plan_parsed_to_no_measures_gets_the_aligners_error(
    corpus: Corpus, tmp_path: Path
) -> None:
    shutil.copytree(corpus.plans_dir, tmp_path / "plans")
    shutil.copy(corpus.manifest or "", tmp_path / "plans.csv")
    (tmp_path / "plans" / SEEDS["jiangxi"]).write_text("江西省科普工作\n" * 40, encoding="utf-8")
    lenient = Aligner(extractor=MeasureExtractor(require_measures=False))
    # the plan is known, with an empty list of measures: not a missing consensus stand-in (KeyError)
    with pytest.raises(ValueError, match="no parent measures"):
        align_corpus(Corpus.load(tmp_path), lenient)


def test_every_consensus_member_is_linked_to_its_cluster(corpus: Corpus) -> None:
    # consensus.csv listed jiangxi:四.(二).2 in a cluster while alignment.csv called it "added"
    from align.graph import SEP

    result = align_corpus(corpus)
    rows = result.alignment
    members = [(c.measure_id, m) for c in result.consensus for m in c.extra["members"].split(SEP)]
    assert len(members) > 60
    for cluster, member in members:
        plan, measure = member.split(":", 1)
        mine = rows[(rows["child_plan"] == plan) & (rows["child_measure"] == measure)]
        assert cluster in set(mine["parent_measure"]), member
        assert "added" not in set(mine["status"]), member
