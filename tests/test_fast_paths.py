"""The fast paths give exactly what the straightforward code gives.

The link model is fitted on the lexical features, so the cached n-gram analysis must reproduce
sklearn's vectorizers bit for bit; the report and graph writers must write the same content.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from align.corpus import Corpus
from align.graph import build_graph, graphml_safe, write_graphml, write_node_link_json
from align.match import NgramCounts, _char_tfidf, _section_similarity, measure_sentences, strip_marker
from align.measures import extract_measures
from align.models import measures_frame
from align.pipeline import Aligner
from align.report import diff_segments, pair_rows, pairs_of, write_xlsx
from tests.conftest import ROOT, seed_text

TEXTS = [
    "推进基础教育阶段科学教育工作。",
    "完善初高中科学课程,  提升科学教育质量\n\n（一）",
    "ABC abc  Abc\t\tdef",
    "一",  # one character: no 2-gram
    "",
    "推进基础教育阶段科学教育工作。",  # a repeated text
    "含\x00空字符的文本",
]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.load(ROOT / "data")


def _assert_same_csr(mine: sparse.spmatrix, theirs: sparse.spmatrix) -> None:
    a, b = sparse.csr_matrix(mine), sparse.csr_matrix(theirs)
    b.sort_indices()
    assert a.shape == b.shape
    assert a.has_sorted_indices
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert a.data.dtype == b.data.dtype and np.array_equal(a.data, b.data)


@pytest.mark.parametrize("n_fit", [len(TEXTS), 3, 1])
def test_ngram_counts_are_those_of_count_vectorizer(n_fit: int) -> None:
    cache = NgramCounts((2, 3))
    for _ in range(2):  # the second pass is served from the cache
        mine = cache.counts(TEXTS, n_fit)
        vectorizer = CountVectorizer(analyzer="char", ngram_range=(2, 3)).fit(TEXTS[:n_fit])
        _assert_same_csr(mine, vectorizer.transform(TEXTS))
    assert len(cache) == len(set(TEXTS))


def test_ngram_counts_refuse_an_empty_vocabulary_and_start_afresh_when_full() -> None:
    cache = NgramCounts((2, 3), max_texts=4)
    with pytest.raises(ValueError, match="empty vocabulary"):
        cache.counts(["一", ""])
    cache.counts(TEXTS[:3])
    cache.counts(TEXTS[2:5])  # would exceed max_texts: the cache starts afresh
    assert len(cache) == 3
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(2, 3)).fit(TEXTS[2:5])
    _assert_same_csr(cache.counts(TEXTS[2:5]), vectorizer.transform(TEXTS[2:5]))


def test_char_tfidf_and_section_similarity_are_bit_identical_on_a_seed_pair() -> None:
    parent = extract_measures(seed_text("jiangxi"))
    child = extract_measures(seed_text("jiujiang"))
    flat = [strip_marker(s) for m in parent + child for s in measure_sentences(m)]
    whole = [m.text.replace("\n", "") for m in parent + child]
    mine = _char_tfidf(flat + whole, (2, 3), len(flat))
    reference = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True).fit(flat)
    _assert_same_csr(mine, reference.transform(flat + whole))

    p_paths = [" ".join(m.path[:-1]) or m.section for m in parent]
    c_paths = [" ".join(m.path[:-1]) or m.section for m in child]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 3)).fit(p_paths + c_paths)
    expected = (vectorizer.transform(p_paths) @ vectorizer.transform(c_paths).T).toarray()
    assert np.array_equal(_section_similarity(parent, child), expected)


def test_features_do_not_depend_on_what_the_cache_holds(corpus: Corpus) -> None:
    aligner = Aligner()
    first = aligner.align(corpus.plan("jiangxi"), corpus.plan("jiujiang"))
    aligner.align(corpus.plan("neimenggu"), corpus.plan("guangxi"))  # other texts in between
    again = aligner.align(corpus.plan("jiangxi"), corpus.plan("jiujiang"))
    assert first.match is not None and again.match is not None
    assert np.array_equal(first.match.features.values, again.match.features.values)
    pd.testing.assert_frame_equal(first.alignment, again.alignment)


# ------------------------------------------------------------------------------------ report


def test_pair_rows_follow_pairs_of_and_keep_the_rows() -> None:
    frame = pd.DataFrame(
        {
            "parent_plan": ["b", "a", "b", "a", "c"],
            "child_plan": ["x", "y", "x", "x", "x"],
            "n": [0, 1, 2, 3, 4],
        }
    )
    got = [(p, c, rows["n"].tolist()) for p, c, rows in pair_rows(frame)]
    assert [(p, c) for p, c, _ in got] == pairs_of(frame)
    assert got == [("b", "x", [0, 2]), ("a", "y", [1]), ("a", "x", [3]), ("c", "x", [4])]
    assert list(pair_rows(frame.iloc[:0])) == []


def test_diff_segments_results_are_fresh_lists() -> None:
    left, right = diff_segments("加强科普", "加强科普")
    assert (left, right) == ([("equal", "加强科普")], [("equal", "加强科普")])
    left.append(("del", "x"))  # the caller's copy; the next answer is unaffected
    assert diff_segments("加强科普", "加强科普")[0] == [("equal", "加强科普")]
    assert diff_segments("", "") == ([], [])


def test_xlsx_styles_every_cell_of_a_format_alike(tmp_path: Path) -> None:
    alignment = pd.DataFrame(
        {
            "parent_plan": ["p"] * 4,
            "child_plan": ["c"] * 4,
            "parent_text": ["甲", "乙", "丙", ""],
            "similarity": pd.Series([0.5, 0.25, 1, 0.75], dtype=object),  # an int is not formatted
            "status": ["inherited", "dropped", "inherited", "added"],
        }
    )
    coverage = pd.DataFrame({"child_plan": ["c"], "coverage": [0.5]})
    ws = openpyxl.load_workbook(write_xlsx(tmp_path / "r.xlsx", alignment, coverage))["p→c"]
    header = [c.value for c in ws[1]]
    status = [ws.cell(row=r, column=header.index("status") + 1) for r in range(2, 6)]
    assert [c.fill.fgColor.rgb[-6:] for c in status] == ["0072B2", "D55E00", "0072B2", "CC79A7"]
    assert [c.font.color.rgb[-6:] for c in status] == ["FFFFFF", "FFFFFF", "FFFFFF", "000000"]
    similarity = [ws.cell(row=r, column=header.index("similarity") + 1) for r in range(2, 6)]
    assert [c.number_format for c in similarity] == ["0.00", "0.00", "General", "0.00"]
    text = ws.cell(row=2, column=header.index("parent_text") + 1)
    assert text.alignment.wrap_text and text.alignment.vertical == "top"
    assert not ws.cell(row=2, column=header.index("similarity") + 1).alignment.wrap_text
    assert ws.cell(row=1, column=1).font.bold


# ------------------------------------------------------------------------------------ graph


def test_graph_writers_give_the_same_files_from_the_safe_copy(corpus: Corpus, tmp_path: Path) -> None:
    pair = Aligner().align(corpus.plan("jiangxi"), corpus.plan("jiujiang"))
    measures = pair.parent_measures + pair.child_measures
    graph = build_graph(list(corpus.metas.values()), measures, pair.alignment)
    safe = graphml_safe(graph)
    a = write_graphml(graph, tmp_path / "a.graphml")
    b = write_graphml(safe, tmp_path / "b.graphml", safe=True)
    assert a.read_bytes() == b.read_bytes()
    c = write_node_link_json(graph, tmp_path / "a.json")
    d = write_node_link_json(safe, tmp_path / "b.json", safe=True)
    assert c.read_bytes() == d.read_bytes()
    assert json.loads(c.read_text(encoding="utf-8"))["nodes"]
    assert len(measures_frame(measures)) == len(measures)
