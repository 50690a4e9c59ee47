"""Encoders and the embedding cache, on sentences cut from the real seed plans."""

from __future__ import annotations

import hashlib
import pickle
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from align.embed import (
    _ONNX_RECIPE,
    ENCODER_SPECS,
    CachedEncoder,
    Encoder,
    HashingEncoder,
    M3EEncoder,
    SentenceTransformerEncoder,
    USEEncoder,
    _onnx_folder_ok,
    default_cache_dir,
    ensure_m3e_onnx,
    m3e_model_path,
    make_encoder,
)
from align.errors import AlignError
from tests.conftest import seed_text

ROOT = Path(__file__).resolve().parents[1]

# (key in the Jiujiang plan, key in the Jiangxi plan): the city measure and the provincial measure it carries
PAIRS = [
    ("推动现代科技馆体系建设", "加强现代科技馆体系建设"),
    ("实施高素质农民培育计划", "大力开展高素质农民培育工作"),
    ("完善全市应急科普工作联动协调机制", "构建应急科普联动机制"),
    ("聚焦老年人日常生活中运用智能技术", "结合老年人日常生活中运用智能技术"),
    ("提高领导干部和公务员科学履职水平", "提高领导干部和公务员科学素质与科学履职水平"),
]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"[。；\n]", text) if s.strip()]


def sentence_with(text: str, key: str) -> str:
    for sentence in split_sentences(text):
        if key in sentence:
            return sentence
    raise AssertionError(f"no seed sentence contains {key!r}")


@pytest.fixture(scope="module")
def pairs(seeds: dict[str, str]) -> tuple[list[str], list[str]]:
    city = [sentence_with(seeds["jiujiang"], a) for a, _ in PAIRS]
    province = [sentence_with(seeds["jiangxi"], b) for _, b in PAIRS]
    return city, province


@pytest.fixture(scope="module")
def sentences(seeds: dict[str, str]) -> list[str]:
    """Forty distinct seed sentences, eight from each plan, short and long."""
    out: list[str] = []
    for text in seeds.values():
        picked = [s for s in dict.fromkeys(split_sentences(text)) if len(s) >= 6][10:90:10]
        out.extend(picked)
    assert len(out) == 40 and len(set(out)) == 40
    return out


@pytest.fixture(scope="module")
def m3e_torch() -> M3EEncoder:
    return M3EEncoder("torch")


@pytest.fixture(scope="module")
def m3e_onnx(tmp_path_factory: pytest.TempPathFactory) -> M3EEncoder:
    return M3EEncoder("onnx-int8", model_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def torch_rows(m3e_torch: M3EEncoder, sentences: list[str]) -> np.ndarray:
    return m3e_torch.encode(sentences)


def assert_unit_rows(rows: np.ndarray, n: int, dim: int) -> None:
    assert rows.dtype == np.float32
    assert rows.shape == (n, dim)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)


def assert_pairs_retrieved(
    encoder: Encoder, pairs: tuple[list[str], list[str]], min_correct: int = 5
) -> None:
    """City measures are closer to the provincial measure they carry than to the other four."""
    city, province = pairs
    sims = encoder.encode(city) @ encoder.encode(province).T
    correct = int(np.sum(sims.argmax(axis=1) == np.arange(len(city))))
    assert correct >= min_correct, np.round(sims, 3)
    off_diagonal = sims[~np.eye(len(city), dtype=bool)]
    assert np.diag(sims).mean() > off_diagonal.mean() + 0.15, np.round(sims, 3)


# -- m3e-small ---------------------------------------------------------------------------------------------


def test_m3e_model_is_found_without_importing_the_embedding_package() -> None:
    path = m3e_model_path()
    assert (path / "config.json").is_file() and path.name == "m3e-small"
    assert "embedding" not in sys.modules


def test_m3e_empty_input_loads_nothing() -> None:
    encoder = M3EEncoder("torch")
    rows = encoder.encode([])
    assert rows.shape == (0, 512) and rows.dtype == np.float32
    assert not encoder.loaded


def test_loading_m3e_prints_no_progress_bar(capfd: pytest.CaptureFixture[str]) -> None:
    # --no-progress must mean no bars: transformers' own "Loading weights" bar is silenced
    M3EEncoder("torch").encode(["加强科普基础设施建设"])
    assert "Loading weights" not in capfd.readouterr().err


def test_m3e_torch_rows_are_unit_float32(
    m3e_torch: M3EEncoder, sentences: list[str], torch_rows: np.ndarray
) -> None:
    assert_unit_rows(torch_rows, len(sentences), 512)
    assert m3e_torch.loaded
    # order and duplicates are respected
    again = m3e_torch.encode([sentences[3], sentences[0], sentences[3]])
    np.testing.assert_allclose(again, torch_rows[[3, 0, 3]], atol=1e-5)


def test_m3e_torch_matches_carried_measures(
    m3e_torch: M3EEncoder, pairs: tuple[list[str], list[str]]
) -> None:
    assert_pairs_retrieved(m3e_torch, pairs)


def test_m3e_onnx_int8_agrees_with_torch(
    m3e_onnx: M3EEncoder, sentences: list[str], torch_rows: np.ndarray, pairs: tuple[list[str], list[str]]
) -> None:
    rows = m3e_onnx.encode(sentences)
    assert_unit_rows(rows, len(sentences), 512)
    agreement = np.sum(rows * torch_rows, axis=1)
    assert agreement.min() > 0.98, agreement.min()
    # the similarity structure is kept, not just each vector
    np.testing.assert_allclose(rows @ rows.T, torch_rows @ torch_rows.T, atol=0.03)
    assert_pairs_retrieved(m3e_onnx, pairs)
    assert m3e_onnx.name != M3EEncoder("torch").name and "int8" in m3e_onnx.name


def test_m3e_onnx_export_is_reused_and_checked(m3e_onnx: M3EEncoder, tmp_path: Path) -> None:
    assert m3e_onnx.model_dir is not None
    folder = ensure_m3e_onnx(m3e_onnx.model_path, m3e_onnx.model_dir)  # already exported: reused
    assert _onnx_folder_ok(folder)
    copy = tmp_path / folder.name
    copy.mkdir()
    (copy / "meta.json").write_bytes((folder / "meta.json").read_bytes())
    model = (folder / "model.onnx").read_bytes()
    (copy / "model.onnx").write_bytes(model[: len(model) // 2])  # as a killed copy would leave it
    assert not _onnx_folder_ok(copy)


def test_a_corrupt_onnx_export_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import align.embed as embed

    exports: list[Path] = []

    def fake_export(model_path: Path, out: Path) -> None:  # the real one is exercised by m3e_onnx
        exports.append(out)
        (out / "model.onnx").write_bytes(b"model")
        digest = embed._sha256_file(out / "model.onnx")
        (out / "meta.json").write_text(f'{{"recipe": "{embed._ONNX_RECIPE}", "sha256": "{digest}"}}')

    monkeypatch.setattr(embed, "_export_m3e_onnx", fake_export)
    folder = ensure_m3e_onnx(m3e_model_path(), tmp_path)
    assert len(exports) == 1 and _onnx_folder_ok(folder)
    assert ensure_m3e_onnx(m3e_model_path(), tmp_path) == folder and len(exports) == 1
    (folder / "model.onnx").write_bytes(b"flipped")
    assert ensure_m3e_onnx(m3e_model_path(), tmp_path) == folder and len(exports) == 2
    assert (folder / "model.onnx").read_bytes() == b"model"
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # no temporary folders left


def test_encoders_pickle_without_their_loaded_model(m3e_torch: M3EEncoder, tmp_path: Path) -> None:
    assert m3e_torch.loaded
    for encoder in (m3e_torch, CachedEncoder(m3e_torch, tmp_path), USEEncoder(), HashingEncoder()):
        clone = pickle.loads(pickle.dumps(encoder))
        assert clone.name == encoder.name
    assert not pickle.loads(pickle.dumps(m3e_torch)).loaded


# -- other encoders ----------------------------------------------------------------------------------------


def test_use_encoder(sentences: list[str], pairs: tuple[list[str], list[str]]) -> None:
    encoder = USEEncoder()
    assert encoder.encode([]).shape == (0, 512)
    assert_unit_rows(encoder.encode(sentences[:8]), 8, 512)
    # USE misses the short heading 实施高素质农民培育计划 against its long provincial counterpart
    assert_pairs_retrieved(encoder, pairs, min_correct=4)


def test_sentence_transformer_encoder_loads_a_local_folder(
    sentences: list[str], torch_rows: np.ndarray
) -> None:
    encoder = SentenceTransformerEncoder(str(m3e_model_path()), local_files_only=True)
    assert encoder.name.startswith(f"st:{m3e_model_path().resolve()}@")
    np.testing.assert_allclose(encoder.encode(sentences[:5]), torch_rows[:5], atol=1e-4)


def test_a_local_model_folder_is_named_by_where_it_is_and_by_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the embedding cache is keyed by the encoder's name: "./model" typed in two folders, or a
    # model retrained in place, must not share vectors
    for where in ("a", "b"):
        (tmp_path / where / "model").mkdir(parents=True)
        (tmp_path / where / "model" / "config.json").write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "a")
    first = SentenceTransformerEncoder("./model").name
    monkeypatch.chdir(tmp_path / "b")
    assert SentenceTransformerEncoder("./model").name != first
    assert (
        SentenceTransformerEncoder("./model").name
        == SentenceTransformerEncoder(str(tmp_path / "b" / "model")).name
    )
    before = SentenceTransformerEncoder("./model").name
    (tmp_path / "b" / "model" / "weights.bin").write_bytes(b"retrained")
    assert SentenceTransformerEncoder("./model").name != before
    # a hub name is not a folder: it stays as typed
    assert SentenceTransformerEncoder("BAAI/bge-small-zh-v1.5").name == "st:BAAI/bge-small-zh-v1.5"


def test_sentence_transformer_encoder_unreachable_model_is_a_clear_error(tmp_path: Path) -> None:
    encoder = SentenceTransformerEncoder("no-such-org/no-such-model-xyz", local_files_only=True)
    with pytest.raises(AlignError, match="(?s)no-such-org/no-such-model-xyz.*HF_HUB_OFFLINE"):
        encoder.encode(["加强科普基础设施建设"])
    with pytest.raises(AlignError, match="cannot load"):
        SentenceTransformerEncoder(str(tmp_path / "missing"), local_files_only=True).encode(["科普"])


def test_hashing_encoder_is_a_deterministic_lexical_baseline(
    sentences: list[str], pairs: tuple[list[str], list[str]]
) -> None:
    encoder = HashingEncoder(dim=256)
    rows = encoder.encode(sentences)
    assert_unit_rows(rows, len(sentences), 256)
    np.testing.assert_array_equal(rows, HashingEncoder(dim=256).encode(sentences))
    assert encoder.encode([]).shape == (0, 256)
    city, province = pairs
    sims = encoder.encode(city) @ encoder.encode(province).T
    assert sims[3, 3] > 0.8  # near-verbatim copy
    assert HashingEncoder(dim=64).name != encoder.name


def test_encode_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        HashingEncoder().encode("科普")  # type: ignore[arg-type]


# -- make_encoder ------------------------------------------------------------------------------------------


def test_make_encoder_specs(tmp_path: Path) -> None:
    m3e = make_encoder("m3e", None, model_dir=tmp_path / "models")
    assert isinstance(m3e, M3EEncoder) and m3e.backend == "onnx-int8"
    assert m3e.model_dir == tmp_path / "models"
    assert isinstance(make_encoder("m3e-torch", None), M3EEncoder)
    assert make_encoder("m3e-onnx", None, model_dir=tmp_path).name == m3e.name
    assert isinstance(make_encoder("use", None), USEEncoder)
    st = make_encoder("st:BAAI/bge-small-zh-v1.5", None)
    assert isinstance(st, SentenceTransformerEncoder) and st.name_or_path == "BAAI/bge-small-zh-v1.5"
    cached = make_encoder("m3e", tmp_path)
    assert isinstance(cached, CachedEncoder) and isinstance(cached.encoder, M3EEncoder)
    assert cached.cache_dir == tmp_path / "embeddings"
    assert cached.encoder.model_dir == tmp_path / "models"
    assert cached.name == m3e.name
    assert not cached.encoder.loaded  # building loads nothing
    assert default_cache_dir().name == "align"


@pytest.mark.parametrize("spec", ["bert", "st:", "M3E", "m3e-int4", ""])
def test_make_encoder_unknown_spec_lists_the_valid_ones(spec: str) -> None:
    with pytest.raises(AlignError) as err:
        make_encoder(spec, None)
    for valid in ENCODER_SPECS:
        assert valid in str(err.value)


# -- the cache ---------------------------------------------------------------------------------------------


class CountingEncoder:
    """HashingEncoder that records every batch it is asked for."""

    def __init__(self, name: str = "counting", fail: bool = False) -> None:
        self.inner = HashingEncoder(dim=32)
        self.name = name
        self.dim = 32
        self.fail = fail
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        if self.fail and texts:
            raise RuntimeError("the model must not be loaded")
        self.calls.append(list(texts))
        return self.inner.encode(texts)


def test_cache_hit_does_not_call_the_encoder(sentences: list[str], tmp_path: Path) -> None:
    first = CachedEncoder(CountingEncoder(), tmp_path)
    rows = first.encode(sentences)
    assert first.misses == len(sentences) and first.hits == 0
    second = CachedEncoder(CountingEncoder(fail=True), tmp_path)
    np.testing.assert_array_equal(second.encode(sentences[::-1]), rows[::-1])
    assert second.hits == len(sentences) and second.misses == 0
    # a partly cached call computes only the new texts
    third_inner = CountingEncoder()
    third = CachedEncoder(third_inner, tmp_path)
    third.encode([*sentences[:3], "新增的句子"])
    assert third_inner.calls == [["新增的句子"]]


def test_an_unusable_or_full_embedding_cache_is_done_without_not_moved_aside(
    sentences: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = HashingEncoder(dim=32).encode(sentences)
    # a cache folder that cannot be made (its parent is a file): the vectors, and one warning
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with caplog.at_level("WARNING", logger="align.embed"):
        rows = CachedEncoder(CountingEncoder(), tmp_path / "file" / "cache").encode(sentences)
    np.testing.assert_array_equal(rows, expected)
    assert "cannot be used" in caplog.text and "going on without it" in caplog.text
    # a disk that fills up while vectors are stored: a sound cache keeps its entries and its
    # name (it was once renamed *.corrupt-<pid> and the run ended in a traceback)
    cache = CachedEncoder(CountingEncoder(), tmp_path / "c")
    cache.encode(sentences[:3])

    def full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(CachedEncoder, "_store", full)
    caplog.clear()
    with caplog.at_level("WARNING"):
        np.testing.assert_array_equal(cache.encode(sentences), expected)
    assert "database or disk is full" in caplog.text and "moved to" not in caplog.text
    monkeypatch.undo()
    again = CachedEncoder(CountingEncoder(fail=True), tmp_path / "c")
    np.testing.assert_array_equal(again.encode(sentences[:3]), expected[:3])
    assert not list((tmp_path / "c").glob("*.corrupt-*"))


def test_cache_serves_repeated_texts_from_memory(
    sentences: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a parent plan aligned with many children: its vectors are read from disk once
    cached = CachedEncoder(CountingEncoder(), tmp_path, memory_size=4)
    rows = cached.encode(sentences[:4])
    monkeypatch.setattr(CachedEncoder, "_connect", lambda self: pytest.fail("database opened"))
    np.testing.assert_array_equal(cached.encode(sentences[3::-1]), rows[::-1])
    monkeypatch.undo()
    # bounded: the least recently used vectors leave memory, and come back from disk unchanged
    cached.encode(sentences[4:6])
    assert len(cached._memory) == 4
    np.testing.assert_array_equal(cached.encode(sentences[:4]), rows)
    # shipped to a dask worker without the vectors
    assert not pickle.loads(pickle.dumps(cached))._memory


def test_cached_run_does_not_load_m3e(
    sentences: list[str], torch_rows: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    CachedEncoder(M3EEncoder("torch"), tmp_path).encode(sentences[:6])

    def refuse(self: M3EEncoder) -> None:
        raise AssertionError("model loaded on a cached run")

    monkeypatch.setattr(M3EEncoder, "_load", refuse)
    fresh = M3EEncoder("torch")
    rows = CachedEncoder(fresh, tmp_path).encode(sentences[:6])
    np.testing.assert_allclose(rows, torch_rows[:6], atol=1e-5)
    assert not fresh.loaded
    with pytest.raises(AssertionError, match="cached run"):
        CachedEncoder(fresh, tmp_path).encode(sentences[6:7])


def test_cache_deduplicates_and_keeps_order(sentences: list[str], tmp_path: Path) -> None:
    inner = CountingEncoder()
    texts = [sentences[0], sentences[1], sentences[0], sentences[2], sentences[1]]
    rows = CachedEncoder(inner, tmp_path).encode(texts)
    assert inner.calls == [[sentences[0], sentences[1], sentences[2]]]
    np.testing.assert_array_equal(rows, HashingEncoder(dim=32).encode(texts))
    assert CachedEncoder(inner, tmp_path).encode([]).shape == (0, 32)


def test_cache_keys_on_the_encoder_name(sentences: list[str], tmp_path: Path) -> None:
    CachedEncoder(CountingEncoder("model-a"), tmp_path).encode(sentences[:4])
    other = CountingEncoder("model-b")
    CachedEncoder(other, tmp_path).encode(sentences[:4])
    assert other.calls == [sentences[:4]]


def _tamper(db: Path, sql: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql)
    conn.close()


@pytest.mark.parametrize(
    "sql",
    [
        # one flipped byte in the vector: the checksum no longer matches
        "UPDATE emb SET vec = substr(vec, 1, 20) || X'FF' || substr(vec, 22)",
        # a truncated vector
        "UPDATE emb SET vec = substr(vec, 1, 64)",
        # a vector of the wrong dimension with a consistent checksum cannot be forged cheaply: wrong dim
        "UPDATE emb SET dim = 16",
        # NaN written over the start, checksum recomputed by nobody
        "UPDATE emb SET vec = X'0000C07F' || substr(vec, 5)",
    ],
)
def test_corrupt_entries_are_recomputed_and_rewritten(sentences: list[str], tmp_path: Path, sql: str) -> None:
    cached = CachedEncoder(CountingEncoder(), tmp_path)
    good = cached.encode(sentences[:5])
    target = sentences[2]
    key = hashlib.sha256(target.encode("utf-8")).hexdigest()
    _tamper(cached.path, f"{sql} WHERE key = X'{key}'")
    inner = CountingEncoder()
    again = CachedEncoder(inner, tmp_path)
    np.testing.assert_array_equal(again.encode(sentences[:5]), good)
    assert inner.calls == [[target]] and again.corrupt == 1
    clean = CachedEncoder(CountingEncoder(fail=True), tmp_path)
    np.testing.assert_array_equal(clean.encode(sentences[:5]), good)  # rewritten
    assert clean.corrupt == 0


def test_a_garbage_cache_file_is_moved_aside_and_rebuilt(sentences: list[str], tmp_path: Path) -> None:
    cached = CachedEncoder(CountingEncoder(), tmp_path)
    good = cached.encode(sentences[:3])
    for suffix in ("-wal", "-shm"):
        Path(f"{cached.path}{suffix}").unlink(missing_ok=True)
    cached.path.write_bytes(b"not a database" * 100)
    inner = CountingEncoder()
    np.testing.assert_array_equal(CachedEncoder(inner, tmp_path).encode(sentences[:3]), good)
    assert inner.calls == [sentences[:3]]
    assert any(".corrupt-" in p.name for p in tmp_path.iterdir())


KILLED_RUN = """
    import os, signal, sys
    from pathlib import Path
    from align.embed import CachedEncoder, HashingEncoder

    class Dying(CachedEncoder):
        stores = 0
        def _store(self, conn, keys, rows):
            Dying.stores += 1
            if Dying.stores == 3:  # killed in the middle of the third transaction
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?, ?)",
                                 [(k, 1, b"xxxx", b"12345678") for k in keys])
                os.kill(os.getpid(), signal.SIGKILL)
            super()._store(conn, keys, rows)

    texts = [line for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines() if line]
    Dying(HashingEncoder(dim=32), Path(sys.argv[2]), chunk_size=4).encode(texts)
"""


def test_a_killed_run_leaves_a_usable_cache(sentences: list[str], tmp_path: Path) -> None:
    texts = sentences[:20]
    (tmp_path / "texts.txt").write_text("\n".join(texts), encoding="utf-8")
    cache = tmp_path / "cache"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_RUN), str(tmp_path / "texts.txt"), str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr
    inner = CountingEncoder(name=HashingEncoder(dim=32).name)
    resumed = CachedEncoder(inner, cache)
    rows = resumed.encode(texts)
    assert resumed.hits == 8 and resumed.corrupt == 0  # two committed chunks, the third rolled back
    assert inner.calls == [texts[8:]]
    np.testing.assert_array_equal(rows, HashingEncoder(dim=32).encode(texts))


CONCURRENT_WRITER = """
    import sys
    from pathlib import Path
    from align.embed import CachedEncoder, HashingEncoder

    texts = [line for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines() if line]
    start = int(sys.argv[3])
    for _ in range(3):
        CachedEncoder(HashingEncoder(dim=32), Path(sys.argv[2]), chunk_size=2).encode(texts[start:] + texts[:start])
"""


def test_concurrent_writers_share_the_cache(sentences: list[str], tmp_path: Path) -> None:
    (tmp_path / "texts.txt").write_text("\n".join(sentences), encoding="utf-8")
    cache = tmp_path / "cache"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(CONCURRENT_WRITER), str(tmp_path / "texts.txt")]
            + [str(cache), str(start)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for start in (0, 13, 27)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    check = CachedEncoder(CountingEncoder(name=HashingEncoder(dim=32).name, fail=True), cache)
    np.testing.assert_array_equal(check.encode(sentences), HashingEncoder(dim=32).encode(sentences))
    assert check.hits == len(sentences) and check.corrupt == 0


def test_onnx_vectors_do_not_depend_on_batch_mates(m3e_onnx: M3EEncoder, sentences: list[str]) -> None:
    """int8 activations are quantised per forward pass: a text's vector must not change with the
    other texts encoded alongside it, or cached runs would differ from fresh ones."""
    whole = m3e_onnx.encode(sentences)
    reversed_ = m3e_onnx.encode(sentences[::-1])[::-1]
    subset = m3e_onnx.encode(sentences[5:12])
    np.testing.assert_array_equal(whole, reversed_)
    np.testing.assert_array_equal(whole[5:12], subset)
    assert "batch1" in m3e_onnx.name


def test_onnx_vector_alone_equals_vector_in_a_mixed_length_batch(
    m3e_onnx: M3EEncoder, sentences: list[str]
) -> None:
    """A text embedded on its own gets exactly the vector it gets among other texts of other lengths,
    whatever the number of worker threads: cached and fresh runs agree."""
    by_length = sorted(sentences, key=len)
    text = by_length[len(by_length) // 2]
    mates = [by_length[0], by_length[-1], text, *by_length[5:9]]  # shorter and longer batch-mates
    assert len({len(t) for t in mates}) >= 4
    alone = m3e_onnx.encode([text])[0]
    in_batch = m3e_onnx.encode(mates)[2]
    np.testing.assert_array_equal(alone, in_batch)
    assert m3e_onnx.model_dir is not None
    for threads in (1, 2):
        other = M3EEncoder("onnx-int8", model_dir=m3e_onnx.model_dir, threads=threads)
        np.testing.assert_array_equal(other.encode(mates)[2], alone)
        assert other.name == m3e_onnx.name  # threads do not change vectors, so not the cache key


def test_default_encoder_name_reflects_the_onnx_recipe(tmp_path: Path) -> None:
    name = make_encoder("m3e", None, model_dir=tmp_path).name
    assert name == f"m3e-small/onnx-{_ONNX_RECIPE}/len512/batch1"
    assert make_encoder("m3e", None, model_dir=tmp_path, batch_size=8).name.endswith("/batch8")


def test_hashing_encoder_sparse_rows_are_its_dense_rows() -> None:
    encoder = HashingEncoder(dim=2**16, ngram_range=(2, 3))
    texts = [seed_text("jiangxi")[:300], seed_text("dazhang")[:120], "", "科普"]
    sparse_rows = encoder.encode_sparse(texts)
    assert sparse_rows.shape == (4, 2**16) and sparse_rows.nnz < 1000
    assert np.allclose(sparse_rows.toarray(), encoder.encode(texts), atol=1e-6)
