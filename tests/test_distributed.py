"""The dask engine gives the local engine's tables, on the bundled corpus and on broken ones."""

from __future__ import annotations

import logging
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from align.corpus import Corpus
from align.distributed import LookupEncoder, align_corpus_dask, connect, plan_texts
from align.errors import InputError
from align.pipeline import Aligner, CorpusResult, align_corpus

from .conftest import ROOT, SEEDS


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """Two worker processes, as ``align run --engine dask`` starts them (one cluster for the module)."""
    with connect(n_workers=2, processes=True) as c:
        yield c


@pytest.fixture(scope="module")
def bundled() -> Corpus:
    return Corpus.load(ROOT / "data")


def assert_same(local: CorpusResult, dask: CorpusResult) -> None:
    pd.testing.assert_frame_equal(dask.measures, local.measures)
    pd.testing.assert_frame_equal(dask.alignment, local.alignment)
    pd.testing.assert_frame_equal(dask.coverage, local.coverage)
    assert dask.notes == local.notes
    assert [(p.parent.plan_id, p.child.plan_id) for p in dask.pairs] == [
        (p.parent.plan_id, p.child.plan_id) for p in local.pairs
    ]
    assert dask.measures_by_plan == local.measures_by_plan


def test_dask_equals_local_on_bundled_corpus(
    client: object, bundled: Corpus, caplog: pytest.LogCaptureFixture
) -> None:
    local = align_corpus(bundled, Aligner())
    with caplog.at_level(logging.WARNING, logger="align.distributed"):
        dask = align_corpus_dask(bundled, Aligner(), client=client)
    assert_same(local, dask)
    # jiujiang is aligned with jiangxi; plans whose parent has no text, with their siblings'
    # consensus (a plan that is no document): every pair ran on the cluster
    pairs = [(p.parent.plan_id, p.child.plan_id) for p in dask.pairs]
    assert ("jiangxi", "jiujiang") in pairs
    assert any(parent.startswith("consensus:") for parent, _ in pairs)
    assert not [r for r in caplog.records if "not run on the cluster" in r.getMessage()]
    assert len(dask.alignment) > 50 and len(dask.measures) > 200


def _copy_corpus(tmp_path: Path, bundled: Corpus) -> Path:
    out = tmp_path / "corpus"
    shutil.copytree(bundled.plans_dir, out / "plans")
    shutil.copy(bundled.manifest or "", out / "plans.csv")
    return out


def test_dask_matches_local_on_unusable_documents(client: object, bundled: Corpus, tmp_path: Path) -> None:
    corpus_dir = _copy_corpus(tmp_path, bundled)
    # jiujiang's document is truncated (read on the client), dazhang's has no outline (parsed on a worker)
    (corpus_dir / "plans" / SEEDS["jiujiang"]).write_text("九江市科普工作", encoding="utf-8")
    (corpus_dir / "plans" / SEEDS["dazhang"]).write_text("大祥区科普工作\n" * 40, encoding="utf-8")
    corpus = Corpus.load(corpus_dir)

    with pytest.raises(InputError) as local_err:
        align_corpus(corpus, Aligner())
    with pytest.raises(InputError) as dask_err:
        align_corpus_dask(Corpus.load(corpus_dir), Aligner(), client=client)
    assert str(dask_err.value) == str(local_err.value)
    assert SEEDS["jiujiang"] in str(dask_err.value)

    local = align_corpus(Corpus.load(corpus_dir), Aligner(), keep_going=True)
    dask = align_corpus_dask(Corpus.load(corpus_dir), Aligner(), keep_going=True, client=client)
    assert_same(local, dask)
    assert [n.split(":")[0] for n in dask.notes if n.startswith("skipped")] == [
        "skipped jiujiang",
        "skipped dazhang",
    ]


def test_dask_keep_going_notes_a_pair_too_large_as_the_local_engine_does(
    client: object, bundled: Corpus
) -> None:
    # a memory cap no real pair fits under: every pair is too large, on a worker as locally
    tiny = Aligner(max_memory=1e6)
    local = align_corpus(bundled, tiny, keep_going=True)
    dask = align_corpus_dask(bundled, tiny, keep_going=True, client=client)
    assert_same(local, dask)
    assert not dask.pairs
    assert any("not aligned with jiangxi" in n and "jiujiang" in n for n in dask.notes)
    with pytest.raises(InputError):
        align_corpus_dask(bundled, tiny, client=client)


class CharHashEncoder:
    """A deterministic stand-in for a sentence encoder: hashed character bigrams, L2-normalised.

    Each text's vector depends on that text alone, as a real encoder's should.
    """

    name = "char-hash"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for a, b in zip(text, text[1:], strict=False):
                out[i, zlib.crc32((a + b).encode("utf-8")) % 64] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_dask_with_an_encoder_equals_local(bundled: Corpus) -> None:
    # in-process workers, so the test's encoder class needs no import on the worker side
    local = align_corpus(bundled, Aligner(encoder=CharHashEncoder()))
    dask = align_corpus_dask(bundled, Aligner(encoder=CharHashEncoder()), n_workers=2, processes=False)
    assert_same(local, dask)
    assert local.pairs[0].match is not None and "sem_cov" in local.pairs[0].match.features.names


def test_lookup_encoder_asks_the_fallback_only_for_unknown_texts(bundled: Corpus) -> None:
    measures = Aligner().measures(bundled.plan("jiangxi"))
    texts = plan_texts(measures)
    real = CharHashEncoder()
    table = dict(zip(texts, real.encode(texts), strict=True))
    lookup = LookupEncoder(real.name, table, fallback=real)
    vectors = lookup.encode([texts[3], "全新的一句话。", texts[0], "全新的一句话。"])
    assert real.calls == [len(texts), 1]  # one extra call, for the one unknown text
    np.testing.assert_array_equal(vectors[0], table[texts[3]])
    np.testing.assert_array_equal(vectors[1], vectors[3])
    assert abs(float(np.linalg.norm(vectors[1])) - 1.0) < 1e-5
    with pytest.raises(KeyError):
        LookupEncoder(real.name, table).encode(["没有见过的句子。"])
    # every text the matcher encodes for a plan is covered: sentences and whole measures
    assert measures[0].text.replace("\n", "") in texts and measures[0].sentences[0] in texts
