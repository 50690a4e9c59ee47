"""Run ``align run`` on a dask.distributed cluster: the same tables as the local engine.

The work is a small task graph, linear in the number of plans (no all-pairs step)::

    parse(plan)  ──►  embed(plan)  ──►  align(reference, child)
    (measures)        (its sentence      (one task per aligned pair, fed the two plans'
                       vectors, when      measures and vectors)
                       an encoder is set)

Which pairs to align is decided by :func:`align.pipeline.align_corpus` itself, in a planning
pass over the parsed plans (parents, nearest ancestors with a text, consensus stand-ins for
absent parents); the tables are then assembled by a second pass that replays the workers'
results. So the order of rows, the notes and the error behaviour are those of the local engine
by construction; the consensus of absent parents (the lead's ``align.graph``) is computed on the
client, twice.

Documents are read on the client, so workers need no access to the corpus folder; a worker
needs only the ``align`` package (and, with a semantic encoder, the model: each worker process
loads it once, or finds the vectors in its embedding cache).

Typical use::

    align run --engine dask                                  # a LocalCluster on this machine
    dask scheduler &  dask worker tcp://HOST:8786 &          # or a real cluster …
    align run --engine dask --scheduler tcp://HOST:8786      # … and point the run at it
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from align.corpus import Corpus
from align.errors import AlignError, PairTooLargeError
from align.match import Encoder, measure_sentences
from align.models import Measure, Plan
from align.pipeline import Aligner, CorpusResult, PairResult, align_corpus, empty_alignment

log = logging.getLogger(__name__)


@dataclass
class LookupEncoder:
    """An encoder that serves precomputed vectors and asks ``fallback`` only for unknown texts.

    Parameters
    ----------
    name : the wrapped encoder's name.
    table : text → L2-normalised vector.
    fallback : the real encoder, used for texts missing from ``table`` (or ``None``: then a
        missing text is an error).
    """

    name: str
    table: dict[str, np.ndarray]
    fallback: Encoder | None = None

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``, one row each, in order."""
        missing = list(dict.fromkeys(t for t in texts if t not in self.table))
        if missing:
            if self.fallback is None:
                raise KeyError(f"{len(missing)} text(s) have no precomputed vector")
            self.table.update(zip(missing, self.fallback.encode(missing), strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self.table[t] for t in texts])


def plan_texts(measures: Sequence[Measure]) -> list[str]:
    """Every text the matcher encodes for a plan: its measures' sentences and whole texts."""
    texts = [s for m in measures for s in measure_sentences(m)]
    texts += [m.text.replace("\n", "") for m in measures]
    return list(dict.fromkeys(texts))


# -- worker tasks (module-level functions, so they pickle by reference) --------------------------


def _parse_task(aligner: Aligner, plan: Plan) -> list[Measure] | AlignError:
    try:
        return aligner.measures(plan)
    except AlignError as err:  # returned, not raised: the client decides (keep_going or not)
        return err


def _embed_task(encoder: Encoder, measures: list[Measure] | AlignError) -> dict[str, np.ndarray]:
    if isinstance(measures, AlignError):
        return {}
    texts = plan_texts(measures)
    return dict(zip(texts, encoder.encode(texts), strict=True)) if texts else {}


def _align_task(
    aligner: Aligner,
    parent: Plan,
    child: Plan,
    parent_measures: list[Measure],
    child_measures: list[Measure],
    parent_vectors: dict[str, np.ndarray] | None,
    child_vectors: dict[str, np.ndarray] | None,
    encoder: Encoder | None,
) -> PairResult | PairTooLargeError:
    if encoder is not None:
        table = {**(parent_vectors or {}), **(child_vectors or {})}
        aligner = replace(aligner, encoder=LookupEncoder(encoder.name, table, encoder))
    try:
        return aligner.align(parent, child, parent_measures, child_measures)
    except PairTooLargeError as err:  # returned, not raised: the replay raises it where the local
        return err  # engine would, so keep_going notes it there instead of losing the whole run


# -- replay: the local engine, fed the cluster's results ------------------------------------------


@dataclass
class _Replay(Aligner):
    """An :class:`Aligner` that answers from the cluster's results.

    With ``record`` set it is the planning pass: :meth:`align` notes which pairs
    :func:`align_corpus` asks for (whatever its logic: parents, nearest ancestors, consensus
    stand-ins) and answers with an empty alignment; the pairs are then run on the cluster and a
    second pass answers with their results. A pair missing from the results (which should not
    happen) is aligned here with ``base``.
    """

    base: Aligner = field(default_factory=Aligner)
    parsed: dict[str, list[Measure] | AlignError] = field(default_factory=dict)
    aligned: dict[tuple[str, str], PairResult | PairTooLargeError] = field(default_factory=dict)
    record: list[tuple[Plan, Plan, list[Measure], list[Measure]]] | None = None

    def measures(self, plan: Plan) -> list[Measure]:
        outcome = self.parsed.get(plan.plan_id)
        if outcome is None:
            return self.base.measures(plan)
        if isinstance(outcome, AlignError):
            raise outcome
        return outcome

    def align(
        self,
        parent: Plan,
        child: Plan,
        parent_measures: list[Measure] | None = None,
        child_measures: list[Measure] | None = None,
    ) -> PairResult:
        pm = parent_measures if parent_measures is not None else self.measures(parent)
        cm = child_measures if child_measures is not None else self.measures(child)
        if self.record is not None:
            self.record.append((parent, child, pm, cm))
            return PairResult(parent, child, pm, cm, empty_alignment())
        done = self.aligned.get((parent.plan_id, child.plan_id))
        if done is None:
            log.warning(
                "pair %s → %s was not run on the cluster; aligning it here", parent.plan_id, child.plan_id
            )
            return self.base.align(parent, child, pm, cm)
        if isinstance(done, PairTooLargeError):
            raise done
        return done


@contextmanager
def connect(
    scheduler: str | None = None, n_workers: int | None = None, processes: bool = True
) -> Iterator[Any]:
    """A dask client: connected to ``scheduler``, or to a new LocalCluster closed on exit.

    Parameters
    ----------
    scheduler : address of a running scheduler (``tcp://host:8786``), or ``None``.
    n_workers : workers of the LocalCluster (default: one per CPU core, at most 4).
    processes : LocalCluster workers are processes (default: true parallelism for the
        pure-Python parts; torch runs one thread per worker) or threads of this process.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    workers = n_workers or max(1, min(4, os.cpu_count() or 1))
    # one thread per worker process, torch included: two processes on two cores do not fight
    # over cores, and the pure-Python parts (n-gram counting, attribute rules) run in parallel
    extra = {"env": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}}
    # the in-process scheduler's INFO lines would reach any root handler (the CLI's included)
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},  # no fixed port to clash on
            # a worker whose heartbeat races the scheduler's shutdown logs a traceback at ERROR; a
            # task's own failure reaches us through its future, so the workers' logs stay quiet
            silence_logs=logging.CRITICAL,
            **(extra if processes else {}),
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
    finally:
        quiet.setLevel(level)


def align_corpus_dask(
    corpus: Corpus,
    aligner: Aligner | None = None,
    keep_going: bool = False,
    scheduler: str | None = None,
    *,
    client: Any | None = None,
    n_workers: int | None = None,
    processes: bool = True,
) -> CorpusResult:
    """Align every plan of ``corpus`` with its reference on a dask.distributed cluster.

    The result equals :func:`align.pipeline.align_corpus` with the same arguments (same rows
    in the same order, same notes; a document that cannot be used stops the run unless
    ``keep_going``). With a semantic encoder, each plan's sentences are embedded once, on the
    cluster, and the vectors are handed to the pair tasks.

    Parameters
    ----------
    corpus : the corpus (documents are read here, on the client).
    aligner : matching settings (default :class:`Aligner`).
    keep_going : skip unusable documents, listing them in ``notes``.
    scheduler : address of a running dask scheduler; ``None`` starts a LocalCluster.
    client : an existing ``distributed.Client`` to use instead (not closed here).
    n_workers, processes : LocalCluster settings (see :func:`connect`).

    Returns
    -------
    CorpusResult
    """
    aligner = aligner or Aligner()
    if client is not None:
        return _run(client, corpus, aligner, keep_going)
    with connect(scheduler, n_workers, processes) as own:
        return _run(own, corpus, aligner, keep_going)


def _run(client: Any, corpus: Corpus, aligner: Aligner, keep_going: bool) -> CorpusResult:
    token = uuid.uuid4().hex[:8]  # task keys unique to this run, even on a shared cluster
    encoder = aligner.encoder
    plain = replace(aligner, encoder=None)
    [plain_f] = client.scatter([plain], broadcast=True, hash=False)
    encoder_f = client.scatter([encoder], broadcast=True, hash=False)[0] if encoder is not None else None

    # 1. read on the client, parse (and embed) on the cluster, one task per plan
    plans: dict[str, Plan] = {}
    parsed: dict[str, list[Measure] | AlignError] = {}
    for plan_id in [p for p in corpus.order() if corpus.has_text(p)]:
        try:
            plans[plan_id] = corpus.plan(plan_id)
        except AlignError as err:
            parsed[plan_id] = err  # replayed (raised or noted) in order by align_corpus
    measures_f = {
        pid: client.submit(_parse_task, plain_f, plan, key=f"parse-{pid}-{token}", pure=False)
        for pid, plan in plans.items()
    }
    vectors_f: dict[str, Any] = {}
    if encoder_f is not None:
        vectors_f = {
            pid: client.submit(_embed_task, encoder_f, fut, key=f"embed-{pid}-{token}", pure=False)
            for pid, fut in measures_f.items()
        }
    parsed.update(zip(measures_f, client.gather(list(measures_f.values())), strict=True))

    # 2. planning pass: the local engine's own logic says which pairs to align (and raises, or
    #    notes, unusable documents exactly as it does locally)
    wanted: list[tuple[Plan, Plan, list[Measure], list[Measure]]] = []
    planner = _Replay(encoder=None, extractor=aligner.extractor, base=aligner, parsed=parsed, record=wanted)
    try:
        align_corpus(corpus, planner, keep_going=keep_going)
    except BaseException:
        client.cancel(list(vectors_f.values()))
        raise

    # 3. one task per pair; plans that are not documents (consensus stand-ins) are shipped as is
    def measures_of(plan: Plan, measures: list[Measure]) -> Any:
        return measures_f.get(plan.plan_id, measures)

    def vectors_of(plan: Plan, measures: list[Measure]) -> Any:
        if encoder_f is None:
            return None
        if plan.plan_id not in vectors_f:
            key = f"embed-{plan.plan_id}-{token}"
            vectors_f[plan.plan_id] = client.submit(_embed_task, encoder_f, measures, key=key, pure=False)
        return vectors_f[plan.plan_id]

    pair_f = [
        client.submit(
            _align_task,
            plain_f,
            parent,
            child,
            measures_of(parent, pm),
            measures_of(child, cm),
            vectors_of(parent, pm),
            vectors_of(child, cm),
            encoder_f,
            key=f"align-{parent.plan_id}-{child.plan_id}-{token}",
            pure=False,
        )
        for parent, child, pm, cm in wanted
    ]
    results = client.gather(pair_f)
    aligned = {(p.plan_id, c.plan_id): r for (p, c, _, _), r in zip(wanted, results, strict=True)}

    # 4. the tables, assembled by the local engine from the cluster's results
    replay = _Replay(
        encoder=encoder,
        extractor=aligner.extractor,
        rules=aligner.rules,
        threshold=aligner.threshold,
        base=aligner,
        parsed=parsed,
        aligned=aligned,
    )
    return align_corpus(corpus, replay, keep_going=keep_going)
