"""Match quality per encoder on the hand-made gold, with the time each took.

    python bench/quality.py [--encoders lexical,m3e,use] [--out bench/quality.json]

Each encoder runs on a fresh cache folder (cold: model load, ONNX export for m3e on first use,
and every embedding computed), then again on the same folder (warm). Quality is computed with
align.evaluate, which reproduces the reference scorer's metrics.

Then the same encoder scores the two blind pairs of ``data/gold/blind/`` (labelled after the link
model and the status rules were fixed, and never used to fit or choose them): the held-out check.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from align.corpus import Corpus
from align.embed import make_encoder
from align.evaluate import GOLD_COLUMNS, read_table, score_alignment, status_table
from align.pipeline import Aligner

ROOT = Path(__file__).resolve().parents[1]
PAIRS = {
    "jiangxi_to_jiujiang": ("jiangxi", "jiujiang"),
    "jiangxi_vs_dazhang": ("jiangxi", "dazhang"),
    "neimenggu_vs_guangxi": ("neimenggu", "guangxi"),
}
BLIND = {
    "blind/neimenggu_vs_jiangxi": ("neimenggu", "jiangxi"),
    "blind/jiujiang_vs_dazhang": ("jiujiang", "dazhang"),
}


def run(
    spec: str, corpus: Corpus, cache: Path, pairs: dict[str, tuple[str, str]] = PAIRS
) -> tuple[dict[str, dict[str, float]], float]:
    encoder = None if spec == "lexical" else make_encoder(spec, cache)
    aligner = Aligner(encoder=encoder)
    scores = {}
    start = time.perf_counter()
    for gold, (parent, child) in pairs.items():
        pair = aligner.align(corpus.plan(parent), corpus.plan(child))
        s = score_alignment(pair.alignment, read_table(ROOT / "data/gold" / f"{gold}.csv", GOLD_COLUMNS))
        scores[gold] = {
            "pair_f1": s.pair_f1,
            "dropped_f1": s.dropped_f1,
            "status_acc": s.status_acc,
            # gold label -> predicted status -> measures (for the status precision/recall table)
            "status_pairs": {f"{g}->{p}": n for (g, p), n in sorted(s.status_pairs.items())},
        }
    return scores, time.perf_counter() - start


def status_lines(scores: list[dict[str, dict]]) -> list[str]:
    """Precision and recall of each carried status over all pairs' correctly linked measures, as
    markdown table rows (align.evaluate.status_table of the summed counts)."""
    pairs: dict[tuple[str, str], int] = {}
    for per_gold in scores:
        for s in per_gold.values():
            for key, n in s["status_pairs"].items():
                g, p = key.split("->")
                pairs[(g, p)] = pairs.get((g, p), 0) + n
    table = status_table(pairs).set_index("status")
    lines = []
    for status in ("strengthened", "weakened", "inherited"):
        right, predicted, gold = (int(table.loc[status, c]) for c in ("right", "predicted", "gold"))
        lines.append(
            f"| {status} | {right}/{predicted} = {right / max(predicted, 1):.2f} "
            f"| {right}/{gold} = {right / max(gold, 1):.2f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoders", default="lexical,m3e,use")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/quality.json")
    args = ap.parse_args(argv)
    corpus = Corpus.load(ROOT / "data")
    results = {}
    for spec in args.encoders.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            scores, cold = run(spec, corpus, Path(tmp))
            _, warm = run(spec, corpus, Path(tmp))
            blind, _ = run(spec, corpus, Path(tmp), BLIND)
        results[spec] = {"scores": scores, "cold_s": round(cold, 1), "warm_s": round(warm, 1), "blind": blind}
        print(spec, json.dumps(results[spec], ensure_ascii=False), flush=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        "\n| encoder | Jiangxi→Jiujiang pair F1 / status | Jiangxi→Dazhang pair F1 / dropped F1 / status "
        "| Inner Mongolia→Guangxi pair F1 / status | 3 pairs cold / warm |"
    )
    print("|---|---|---|---|---|")
    for spec, r in results.items():
        a, b, c = (r["scores"][g] for g in PAIRS)
        print(
            f"| {spec} | {a['pair_f1']:.3f} / {a['status_acc']:.3f} | {b['pair_f1']:.3f} / {b['dropped_f1']:.3f} / "
            f"{b['status_acc']:.3f} | {c['pair_f1']:.3f} / {c['status_acc']:.3f} | {r['cold_s']:.0f} s / {r['warm_s']:.0f} s |"
        )
    print(
        "\n| encoder | blind: Inner Mongolia→Jiangxi pair F1 / status | blind: Jiujiang→Dazhang pair F1 / dropped F1 / status |"
    )
    print("|---|---|---|")
    for spec, r in results.items():
        d, e = (r["blind"][g] for g in BLIND)
        print(
            f"| {spec} | {d['pair_f1']:.3f} / {d['status_acc']:.3f} | {e['pair_f1']:.3f} / {e['dropped_f1']:.3f} / "
            f"{e['status_acc']:.3f} |"
        )
    for spec, r in results.items():
        print(
            f"\n{spec}: statuses over the five pairs (correctly linked measures)\n| status | precision | recall |"
        )
        print("|---|---|---|")
        print("\n".join(status_lines([r["scores"], r["blind"]])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
