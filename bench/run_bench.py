"""``make bench``: speed, memory and match quality on synthetic hierarchies made from the seed plans.

Measured (see ``bench/synth.py`` for the generator and its ground truth):

1. embedding throughput per encoder on the real seed sentences (``bench/embed_speed.py``);
2. one pair aligned after embedding (vectors looked up, not computed): lexical and m3e;
3. the province hierarchy (1 province, 11 cities, 100 counties = 112 plans), in process:
   local engine and dask engine (LocalCluster, 2 worker processes), lexical, tables compared;
4. end-to-end ``align run`` on the province, m3e, in a subprocess: cold (empty embedding cache)
   and warm (same cache) without charts, then warm with charts drawn and with charts copied from
   the chart cache: wall and CPU time, peak RSS (the process and its chart workers);
5. match quality of those runs against the generator's ground truth;
6. the country hierarchy (3,000 plans): generated and aligned on a top-down sample, then
   extrapolated linearly (each plan is aligned once, with its parent: no all-pairs step).

Every figure measured on a subset and extrapolated says so in its name. The machine's load average
is recorded: on a shared machine, CPU seconds are the steadier figure.

    .venv/bin/python bench/run_bench.py --out bench/results.json [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from embed_speed import measure as embed_measure  # noqa: E402
from embed_speed import seed_sentences  # noqa: E402
from synth import HierarchyGenerator  # noqa: E402

from align.corpus import Corpus  # noqa: E402
from align.distributed import LookupEncoder, align_corpus_dask, plan_texts  # noqa: E402
from align.evaluate import score_alignment  # noqa: E402
from align.match import Matcher  # noqa: E402
from align.pipeline import Aligner, align_corpus  # noqa: E402

ALIGN = Path(sys.executable).with_name("align")
CHILD_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@dataclass
class Settings:
    """What a bench run covers (full size or ``--quick``)."""

    province_plans: int = 112
    country_sample: int = 60
    embed_sentences: int = 1500
    encoders: tuple[str, ...] = ("m3e", "m3e-torch", "use", "hashing")
    pair_repeats: int = 5
    notes: list[str] = field(default_factory=list)


QUICK = Settings(province_plans=12, country_sample=12, embed_sentences=200, encoders=("m3e", "hashing"))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load() -> float:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else float("nan")


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process) of ``fn()``."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def run_cli(args: list[str], log_dir: Path) -> dict[str, float]:
    """Run ``align ARGS`` in a subprocess: wall and CPU seconds, and peak RSS in MB.

    The peak is sampled (psutil, every 50 ms) over the process and its children: the kernel's
    ``ru_maxrss`` of a forked child counts the parent's pages from before the exec.
    """
    import psutil

    env = {**os.environ, **CHILD_ENV}
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / "stdout.txt", log_dir / "stderr.txt"
    peak = 0
    t0 = time.perf_counter()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([str(ALIGN), *args], env=env, stdout=out, stderr=err)
        watched = psutil.Process(proc.pid)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            with contextlib.suppress(psutil.Error):
                family = [watched, *watched.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in family))
            time.sleep(0.05)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        detail = err_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"align {' '.join(args)} failed ({code}):\n{detail}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(peak / 2**20, 1),
    }


# -- quality -------------------------------------------------------------------------------------------


def quality(alignment: pd.DataFrame, gold: dict[tuple[str, str], list[dict[str, str]]]) -> dict[str, float]:
    """Scores of every pair's rows against its gold, averaged over pairs (added recall pooled)."""
    groups = dict(iter(alignment.groupby(["parent_plan", "child_plan"], sort=False)))
    scores = []
    for pair, rows in gold.items():
        frame = groups.get(pair, alignment.iloc[:0])
        scores.append(score_alignment(frame, rows))
    if not scores:
        return {}
    added_total = sum(s.added_total for s in scores)
    return {
        "pairs": len(scores),
        "pair_f1_mean": round(statistics.mean(s.pair_f1 for s in scores), 4),
        "pair_f1_min": round(min(s.pair_f1 for s in scores), 4),
        "pair_precision_mean": round(statistics.mean(s.pair_p for s in scores), 4),
        "pair_recall_mean": round(statistics.mean(s.pair_r for s in scores), 4),
        "carried_f1_mean": round(statistics.mean(s.carried_f1 for s in scores), 4),
        "dropped_f1_mean": round(statistics.mean(s.dropped_f1 for s in scores), 4),
        "status_acc_mean": round(statistics.mean(s.status_acc for s in scores), 4),
        "added_recall": round(sum(s.added_hit for s in scores) / added_total, 4) if added_total else 0.0,
        "anchors_missing": sum(s.missing for s in scores),
    }


# -- stages --------------------------------------------------------------------------------------------


def bench_embedding(settings: Settings, models: Path) -> list[dict[str, Any]]:
    sentences = seed_sentences(ROOT / "data" / "plans")[: settings.embed_sentences]
    out = []
    for spec in settings.encoders:
        log(f"embedding: {spec} on {len(sentences)} seed sentences")
        try:
            res = embed_measure(spec, sentences, 1, None, models.parent)
        except Exception as exc:  # an encoder whose model is not installed is reported, not fatal
            out.append({"spec": spec, "error": f"{type(exc).__name__}: {exc}"})
            continue
        res.pop("rows", None)
        out.append(res)
    return out


def bench_pair(gen: HierarchyGenerator, cache: Path, repeats: int) -> dict[str, Any]:
    from align.embed import make_encoder

    corpus = gen.generate("pair")
    [(pid, cid)] = corpus.pairs()
    parent, child = corpus.plan(pid), corpus.plan(cid)
    aligner = Aligner()
    pm, cm = aligner.measures(parent), aligner.measures(child)
    encoder = make_encoder("m3e", cache)
    table: dict[str, np.ndarray] = {}
    for measures in (pm, cm):
        texts = plan_texts(measures)
        table.update(zip(texts, encoder.encode(texts), strict=True))
    out: dict[str, Any] = {
        "parent_measures": len(pm),
        "child_measures": len(cm),
        "parent_sentences": sum(len(m.sentences) for m in pm),
        "child_sentences": sum(len(m.sentences) for m in cm),
    }
    for name, enc in (("lexical", None), ("m3e", LookupEncoder(encoder.name, table))):
        pair_aligner = Aligner(encoder=enc)
        pair_aligner.align(parent, child, pm, cm)  # warm-up (imports, link model)
        totals, matches = [], []
        for _ in range(repeats):
            _, wall, _ = timed(partial(pair_aligner.align, parent, child, pm, cm))
            totals.append(wall)
            _, wall, _ = timed(partial(Matcher(enc).match, pm, cm))
            matches.append(wall)
        result = pair_aligner.align(parent, child, pm, cm)
        score = score_alignment(result.alignment, corpus.gold[(pid, cid)])
        out[name] = {
            "align_ms": round(1000 * statistics.median(totals), 1),
            "match_ms": round(1000 * statistics.median(matches), 1),
            "status_and_rows_ms": round(1000 * (statistics.median(totals) - statistics.median(matches)), 1),
            "pair_f1": round(score.pair_f1, 4),
            "added_recall": f"{score.added_hit}/{score.added_total}",
        }
    return out


def bench_province_inprocess(corpus_dir: Path, gold: dict) -> tuple[dict[str, Any], Any]:
    corpus = Corpus.load(corpus_dir)
    local, wall, cpu = timed(lambda: align_corpus(corpus, Aligner()))
    out: dict[str, Any] = {
        "plans": len(corpus),
        "pairs": len(local.pairs),
        "local_lexical_s": round(wall, 2),
        "local_lexical_cpu_s": round(cpu, 2),
        "quality_lexical": quality(local.alignment, gold),
    }
    return out, local


def bench_province_cli(corpus_dir: Path, gold: dict, work: Path, models: Path) -> dict:
    cache = work / "cache-province"
    shutil.rmtree(cache, ignore_errors=True)
    # the ONNX export is a one-time setup (timed in the embedding stage): the cold run starts with the
    # exported model but no embedding
    shutil.copytree(models, cache / "models")
    common = ["--corpus", str(corpus_dir), "--encoder", "m3e", "--cache-dir", str(cache), "--no-progress"]
    log("province: align run, m3e, cold cache, no charts")
    cold = run_cli(["run", *common, "--out", str(work / "out-cold"), "--no-figures"], work / "log-cold")
    log("province: align run, m3e, warm cache, no charts")
    warm = run_cli(["run", *common, "--out", str(work / "out-warm"), "--no-figures"], work / "log-warm")
    alignment = pd.read_csv(work / "out-cold" / "alignment.csv", keep_default_na=False, encoding="utf-8-sig")
    out: dict[str, Any] = {"cold": cold, "warm": warm, "quality_m3e": quality(alignment, gold)}

    # charts: drawn (everything else cached), then copied from the chart cache
    log("province: align run with charts, warm cache, charts drawn")
    drawn = run_cli(["run", *common, "--out", str(work / "out-charts-drawn")], work / "log-charts-drawn")
    log("province: align run with charts, warm cache, charts cached")
    copied = run_cli(["run", *common, "--out", str(work / "out-charts-cached")], work / "log-charts-cached")
    charts = max(0.0, drawn["wall_s"] - warm["wall_s"])
    out["charts"] = {
        "charts_drawn_run": drawn,
        "warm_with_charts": copied,
        "drawing_s": round(charts, 1),
        "cold_with_charts_estimate_s": round(cold["wall_s"] + charts, 1),
    }
    return out


def bench_dask(corpus_dir: Path, cache: Path, local_lexical: Any) -> dict[str, Any]:
    """The dask engine on a 2-process LocalCluster (startup timed apart), lexical and m3e with a warm
    cache, next to the local engine with the same warm cache."""
    from align.distributed import connect
    from align.embed import make_encoder

    t0 = time.perf_counter()
    with connect(n_workers=2, processes=True) as client:
        startup = time.perf_counter() - t0
        dask, wall, _ = timed(lambda: align_corpus_dask(Corpus.load(corpus_dir), Aligner(), client=client))
        same = all(
            getattr(local_lexical, k).equals(getattr(dask, k)) for k in ("measures", "alignment", "coverage")
        )
        m3e = Aligner(encoder=make_encoder("m3e", cache))
        dask_m3e, m3e_wall, _ = timed(lambda: align_corpus_dask(Corpus.load(corpus_dir), m3e, client=client))
    local_m3e, local_wall, _ = timed(
        lambda: align_corpus(Corpus.load(corpus_dir), Aligner(encoder=make_encoder("m3e", cache)))
    )
    same_m3e = all(
        getattr(local_m3e, k).equals(getattr(dask_m3e, k)) for k in ("measures", "alignment", "coverage")
    )
    return {
        "dask_cluster_startup_s": round(startup, 2),
        "dask_lexical_s": round(wall, 2),
        "dask_tables_equal_local": bool(same),
        "dask_m3e_warm_cache_s": round(m3e_wall, 2),
        "dask_m3e_tables_equal_local": bool(same_m3e),
        "local_m3e_warm_cache_s": round(local_wall, 2),
    }


def bench_country(gen: HierarchyGenerator, sample: int, province: dict[str, Any], unique_rate: float) -> dict:
    full = 3000
    corpus, gen_wall, _ = timed(lambda: gen.generate("country", limit=sample))
    with tempfile.TemporaryDirectory() as tmp:
        corpus.write(tmp)
        loaded = Corpus.load(tmp)
        result, wall, cpu = timed(lambda: align_corpus(loaded, Aligner()))
    per_plan = wall / len(corpus.plans)
    per_doc = [set(plan_texts(gen.extractor.extract(corpus.texts[p.plan_id]))) for p in corpus.plans]
    root_texts = len(per_doc[0])
    new_per_plan = (len(set().union(*per_doc)) - root_texts) / max(1, len(per_doc) - 1)
    return {
        "sample_plans": len(corpus.plans),
        "sample_levels": sorted({p.level for p in corpus.plans}),
        "generate_sample_s": round(gen_wall, 2),
        "align_sample_lexical_s": round(wall, 2),
        "align_sample_lexical_cpu_s": round(cpu, 2),
        "per_plan_lexical_s": round(per_plan, 3),
        "province_per_plan_lexical_s": round(province["local_lexical_s"] / province["plans"], 3),
        "new_texts_per_plan": round(new_per_plan, 1),
        "extrapolated_country_lexical_s": round(per_plan * full, 0),
        "extrapolated_country_embedding_s": (
            round((root_texts + new_per_plan * (full - 1)) / unique_rate, 0) if unique_rate else None
        ),
        "extrapolated_country_generate_s": round(gen_wall / len(corpus.plans) * full, 0),
        "quality_lexical_sample": quality(result.alignment, corpus.gold),
    }


# -- report --------------------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []
    for res in results.get("embedding", []):
        if "error" in res:
            rows.append((f"embedding {res['spec']}", f"not measured: {res['error'][:60]}"))
        else:
            rows.append(
                (
                    f"embedding {res['encoder']}",
                    f"{res['sentences_per_s']:.0f} sentences/s ({res['sentences_per_cpu_s']:.0f}/CPU-s), "
                    f"load {res['warmup_s']:.1f} s",
                )
            )
    pair = results.get("pair", {})
    if pair:
        size = f"{pair['parent_sentences']}×{pair['child_sentences']} sentences"
        for name in ("lexical", "m3e"):
            r = pair[name]
            rows.append(
                (
                    f"one pair, {name}, after embedding ({size})",
                    f"{r['align_ms']:.0f} ms (matching {r['match_ms']:.0f} ms, status+rows "
                    f"{r['status_and_rows_ms']:.0f} ms); pair F1 {r['pair_f1']:.3f}",
                )
            )
    prov = results.get("province", {})
    if prov:
        rows.append(
            (
                f"province ({prov['plans']} plans) in process, lexical",
                f"local {prov['local_lexical_s']:.1f} s"
                + (
                    f", dask {prov['dask_lexical_s']:.1f} s (+{prov['dask_cluster_startup_s']:.0f} s cluster start)"
                    if "dask_lexical_s" in prov
                    else ""
                )
                + (
                    f" (tables equal: {prov['dask_tables_equal_local']})"
                    if "dask_tables_equal_local" in prov
                    else ""
                ),
            )
        )
        if "dask_m3e_warm_cache_s" in prov:
            rows.append(
                (
                    "province in process, m3e, warm cache",
                    f"local {prov['local_m3e_warm_cache_s']:.1f} s, dask {prov['dask_m3e_warm_cache_s']:.1f} s "
                    f"(tables equal: {prov['dask_m3e_tables_equal_local']})",
                )
            )
        q = prov.get("quality_lexical", {})
        if q:
            rows.append(("province quality, lexical", _quality_line(q)))
    cli = results.get("province_cli", {})
    if cli:
        for run in ("cold", "warm"):
            r = cli[run]
            rows.append(
                (
                    f"`align run` province, m3e, {run} cache, no charts",
                    f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} CPU-s, peak RSS {r['peak_rss_mb']:.0f} MB",
                )
            )
        c = cli["charts"]
        rows.append(
            (
                "`align run` province, m3e, warm cache, with charts",
                f"charts drawn: {c['charts_drawn_run']['wall_s']:.1f} s wall ({c['drawing_s']:.0f} s of charts); "
                f"charts cached: {c['warm_with_charts']['wall_s']:.1f} s wall, peak RSS "
                f"{c['warm_with_charts']['peak_rss_mb']:.0f} MB; cold with charts ≈ "
                f"{c['cold_with_charts_estimate_s']:.0f} s",
            )
        )
        if "warm_breakdown_estimate" in cli:
            b = cli["warm_breakdown_estimate"]
            rows.append(
                (
                    "warm run, where the time goes (estimated)",
                    f"parse+align {b['parse_and_align_s']:.0f} s, writing outputs without charts "
                    f"{b['outputs_without_charts_s']:.0f} s, charts {b['charts_s']:.0f} s",
                )
            )
        rows.append(("province quality, m3e", _quality_line(cli["quality_m3e"])))
    country = results.get("country", {})
    if country:
        rows.append(
            (
                f"country (3,000 plans), extrapolated from {country['sample_plans']} plans",
                f"{country['per_plan_lexical_s']:.2f} s/plan (province {country['province_per_plan_lexical_s']:.2f}) "
                f"→ align ≈ {country['extrapolated_country_lexical_s'] / 60:.0f} min lexical"
                + (
                    f" + embedding ≈ {country['extrapolated_country_embedding_s'] / 60:.0f} min"
                    if country.get("extrapolated_country_embedding_s") is not None
                    else ""
                ),
            )
        )
    lines = ["| measure | result |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def _quality_line(q: dict[str, Any]) -> str:
    return (
        f"pair F1 {q['pair_f1_mean']:.3f} (min {q['pair_f1_min']:.3f}; P {q['pair_precision_mean']:.3f}, "
        f"R {q['pair_recall_mean']:.3f}), dropped F1 {q['dropped_f1_mean']:.3f}, "
        f"status acc {q['status_acc_mean']:.3f}, added recall {q['added_recall']:.3f} over {q['pairs']} pairs"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--quick", action="store_true", help="small smoke run (a minute or two)")
    parser.add_argument("--work", type=Path, default=None, help="keep corpora, caches and outputs here")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--no-dask", action="store_true", help="skip the dask engine")
    args = parser.parse_args(argv)
    for key, value in CHILD_ENV.items():
        os.environ.setdefault(key, value)
    # before any library can install a chattier root handler (dask's INFO lines, model loaders)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = QUICK if args.quick else Settings()
    work = args.work or Path(tempfile.mkdtemp(prefix="align-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_start": load(),
        },
        "quick": args.quick,
        "random_state": args.random_state,
    }
    gen = HierarchyGenerator(Corpus.load(ROOT / "data"), random_state=args.random_state)
    models = work / "models"

    log("embedding speed")
    results["embedding"] = bench_embedding(settings, models)
    m3e = next((r for r in results["embedding"] if r.get("spec") == "m3e" and "error" not in r), None)
    if not (models.exists() and any(models.iterdir())):
        raise SystemExit("the m3e ONNX export did not happen; the m3e encoder is needed for the bench")

    log("one pair after embedding")
    results["pair"] = bench_pair(gen, _with_models(work / "cache-pair", models), settings.pair_repeats)

    log(f"province: generating {settings.province_plans} plans")
    province, gen_wall, _ = timed(lambda: gen.generate("province", limit=settings.province_plans))
    province_dir = work / "province"
    shutil.rmtree(province_dir, ignore_errors=True)
    province.write(province_dir)
    texts = [t for p in province.plans for t in plan_texts(gen.extractor.extract(province.texts[p.plan_id]))]

    log("province: in process, local engine, lexical")
    inprocess, local_lexical = bench_province_inprocess(province_dir, province.gold)
    results["province"] = {
        "generate_s": round(gen_wall, 2),
        "texts_to_embed": len(texts),
        "unique_texts_to_embed": len(set(texts)),
        **inprocess,
    }
    results["province_cli"] = bench_province_cli(province_dir, province.gold, work, models)
    if not args.no_dask:
        log("province: dask engine (LocalCluster, 2 worker processes), lexical and m3e with a warm cache")
        results["province"].update(bench_dask(province_dir, work / "cache-province", local_lexical))
        cli = results["province_cli"]
        inproc = results["province"]["local_m3e_warm_cache_s"]
        cli["warm_breakdown_estimate"] = {
            "parse_and_align_s": inproc,
            "outputs_without_charts_s": round(max(0.0, cli["warm"]["wall_s"] - inproc), 1),
            "charts_s": cli["charts"]["drawing_s"],
        }

    log(f"country: a {settings.country_sample}-plan sample")
    rate = float(m3e["sentences_per_s"]) if m3e else 0.0
    results["country"] = bench_country(gen, settings.country_sample, results["province"], rate)

    results["machine"]["load_average_end"] = load()
    results["total_s"] = round(time.perf_counter() - started, 1)
    results["children_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    results["notes"] = [
        "cold = empty embedding cache with the m3e ONNX export already in place (the one-time export is "
        "the m3e load time in the embedding rows)",
        "cold and warm runs use --no-figures; two more warm runs add the charts: drawn, then copied from the chart cache",
        "country figures are extrapolated linearly from a top-down sample (national, provinces, first cities)",
        "per-pair times are medians after a warm-up; on a shared machine compare CPU seconds",
    ]
    if args.quick:
        results["notes"].insert(0, f"--quick: province cut to {settings.province_plans} plans")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(results))
    print(
        f"\nwrote {args.out} in {results['total_s']:.0f} s (load average {results['machine']['load_average_start']}"
        f" → {results['machine']['load_average_end']}); work folder {work}"
    )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _with_models(cache: Path, models: Path) -> Path:
    """A fresh cache folder holding the already exported ONNX model."""
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(models, cache / "models")
    return cache


if __name__ == "__main__":
    raise SystemExit(main())
