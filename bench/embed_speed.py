"""Embedding speed per encoder on the real seed sentences (data/plans/*.txt split at 。；and line ends).

Prints one line per encoder: sentences per wall-clock second and per CPU second (the latter is less
sensitive to other load on the machine), and, for m3e-onnx, the cosine agreement with m3e-torch.
Warm-up (model load, ONNX export) is excluded and reported separately. Run with HF_HUB_OFFLINE=1.

    python bench/embed_speed.py [--encoders m3e-torch,m3e-onnx,use] [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from align.embed import make_encoder  # noqa: E402


def seed_sentences(plans: Path) -> list[str]:
    """Unique non-empty sentences of every plan text, in file order."""
    out: list[str] = []
    for path in sorted(plans.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out.extend(s.strip() for s in re.split(r"[。；\n]", text) if s.strip())
    return list(dict.fromkeys(out))


def measure(spec: str, sentences: list[str], repeat: int, threads: int | None, cache: Path) -> dict:
    """Time ``repeat`` full encodes of ``sentences`` with a fresh, uncached encoder; keep the best."""
    encoder = make_encoder(spec, None, model_dir=cache / "models", threads=threads)
    t0 = time.perf_counter()
    encoder.encode(sentences[:4])  # load (and for m3e-onnx export once)
    warmup = time.perf_counter() - t0
    best_wall, best_cpu, rows = float("inf"), float("inf"), None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        rows = encoder.encode(sentences)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return {
        "encoder": encoder.name,
        "spec": spec,
        "sentences": len(sentences),
        "warmup_s": round(warmup, 2),
        "sentences_per_s": round(len(sentences) / best_wall, 1),
        "sentences_per_cpu_s": round(len(sentences) / best_cpu, 1),
        "rows": rows,
    }


def cached_speed(sentences: list[str], cache: Path) -> dict:
    """Cold (miss: HashingEncoder + writes) and warm (all hits) throughput of the cache layer itself."""
    encoder = make_encoder("hashing", cache)
    t0 = time.perf_counter()
    encoder.encode(sentences)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    encoder.encode(sentences)
    warm = time.perf_counter() - t0
    return {
        "spec": "cache(hashing)",
        "cold_per_s": len(sentences) / cold,
        "warm_per_s": len(sentences) / warm,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plans", type=Path, default=ROOT / "data" / "plans")
    parser.add_argument("--encoders", default="m3e-torch,m3e-onnx,use,hashing")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N sentences")
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the ONNX export lives")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sentences = seed_sentences(args.plans)
    if args.limit:
        sentences = sentences[: args.limit]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(sentences)} seed sentences, {os.cpu_count()} cpus, load average {load:.2f}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or Path(tmp)
        for spec in [s.strip() for s in args.encoders.split(",") if s.strip()]:
            res = measure(spec, sentences, args.repeat, args.threads, cache)
            results.append(res)
            print(
                f"{res['encoder']:<40} {res['sentences_per_s']:>8.1f} sent/s  "
                f"{res['sentences_per_cpu_s']:>8.1f} sent/cpu-s  warm-up {res['warmup_s']:.1f}s",
                flush=True,
            )
        by_spec = {r["spec"]: r["rows"] for r in results}
        if "m3e-torch" in by_spec and "m3e-onnx" in by_spec:
            cos = np.sum(by_spec["m3e-torch"] * by_spec["m3e-onnx"], axis=1)
            print(f"m3e onnx-int8 vs torch cosine: min {cos.min():.4f} mean {cos.mean():.4f}")
        cache_res = cached_speed(sentences, Path(tmp) / "cache")
        print(
            f"cache layer: cold {cache_res['cold_per_s']:.0f} sent/s, warm {cache_res['warm_per_s']:.0f} sent/s"
        )
    if args.json:
        clean = [{k: v for k, v in r.items() if k != "rows"} for r in results] + [cache_res]
        args.json.write_text(json.dumps({"load_average": load, "results": clean}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
