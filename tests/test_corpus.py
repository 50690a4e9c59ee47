"""The corpus and its plans: bare files as plans (plan ids from file stems) and a copy of a manifest
document resolved to its plan. The manifest's checks are in test_manifest.py, reading documents in
test_documents.py."""

from __future__ import annotations

from pathlib import Path

from align.corpus import Corpus, plan_from_path
from tests.conftest import PLANS, SEEDS

JIUJIANG = PLANS / SEEDS["jiujiang"]
JIANGXI = PLANS / SEEDS["jiangxi"]


# ---------------------------------------------------------------------------------------------
# bare files as plans


def test_plan_from_path_and_from_files(tmp_path: Path) -> None:
    plan = plan_from_path(JIANGXI)
    assert plan.plan_id == "001_e9d6debd5c2ad4f8" and plan.meta.level == ""
    assert "赣府发〔2021〕29号" in plan.text
    copy = tmp_path / "001_e9d6debd5c2ad4f8.txt"
    copy.write_bytes(JIANGXI.read_bytes())
    corpus = Corpus.from_files([JIANGXI, copy, JIUJIANG])
    assert list(corpus) == ["001_e9d6debd5c2ad4f8", "001_e9d6debd5c2ad4f8-2", "000_db08bb93956ab56b"]
    assert corpus.text("001_e9d6debd5c2ad4f8-2") == plan.text
    assert corpus.alignment_pairs() == []


# ---------------------------------------------------------------------------------------------
# documents named by path


def test_a_copy_of_a_manifest_document_gets_its_plan(tmp_path: Path) -> None:
    """A plan saved elsewhere keeps its manifest identity (level, population) in `align compare`."""
    corpus = Corpus.load(PLANS.parent)
    copy = tmp_path / "jiangxi_copy.txt"
    copy.write_bytes(JIANGXI.read_bytes())
    assert corpus.resolve(copy).plan_id == "jiangxi"
    other = tmp_path / "edited.txt"
    other.write_bytes(copy.read_bytes() + "补充。".encode())
    assert corpus.resolve(other).plan_id == "edited"


def test_from_files_refuses_one_path_it_would_read_as_characters() -> None:
    import pytest

    with pytest.raises(TypeError, match=r"not one str: Corpus.from_files\(\["):
        Corpus.from_files(str(JIANGXI))
