"""Fit the link model of align.match on the hand-made gold, once for all pairs.

    python bench/train_link_model.py [--encoders m3e,use] [--out align/data/link_model.json]

Writes ``lexical`` (character n-grams only) and one ``fused:<family>`` model per semantic encoder
(lexical + that encoder). Also prints leave-one-pair-out figures: the honest estimate for pairs
without gold.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from align.evaluate import GOLD_COLUMNS, gold_pair, read_table
from align.match import FeatureBuilder, LinkModel, PairFeatures
from align.measures import extract_measures

ROOT = Path(__file__).resolve().parents[1]
GOLD = {
    "jiangxi_to_jiujiang": ("001_e9d6debd5c2ad4f8.txt", "000_db08bb93956ab56b.txt"),
    "jiangxi_vs_dazhang": ("001_e9d6debd5c2ad4f8.txt", "002_4bddc11958e96dea.txt"),
    "neimenggu_vs_guangxi": ("004_34aac81e3d6f48e4.txt", "003_dc08f0f613dd20d7.txt"),
}
C_REG = 0.1  # strong regularisation: three pairs of very different kinds, few features
THRESHOLD = 0.3


def examples(encoder: object | None) -> dict[str, tuple[PairFeatures, np.ndarray, list[int]]]:
    out = {}
    for name, (p_doc, c_doc) in GOLD.items():
        parent = extract_measures((ROOT / "data/plans" / p_doc).read_text(encoding="utf-8"))
        child = extract_measures((ROOT / "data/plans" / c_doc).read_text(encoding="utf-8"))
        gold = gold_pair(parent, child, read_table(ROOT / "data/gold" / f"{name}.csv", GOLD_COLUMNS))
        features = FeatureBuilder(encoder).build(parent, child)  # type: ignore[arg-type]
        out[name] = (features, gold.links, sorted(gold.labels))
    return out


def fit(data: dict[str, tuple[PairFeatures, np.ndarray, list[int]]], names: list[str]) -> LinkModel:
    X = np.concatenate([f.values[rows].reshape(-1, f.values.shape[-1]) for f, _, rows in data.values()])
    y = np.concatenate([links[rows].ravel() for _, links, rows in data.values()])
    clf = LogisticRegression(C=C_REG, max_iter=5000).fit(X, y)
    features = next(iter(data.values()))[0]
    return LinkModel(
        names=list(features.names),
        coef=[round(float(c), 6) for c in clf.coef_[0]],
        intercept=round(float(clf.intercept_[0]), 6),
        threshold=THRESHOLD,
        meta={"trained_on": names, "C": C_REG},
    )


def pair_f1(model: LinkModel, features: PairFeatures, links: np.ndarray, rows: list[int]) -> float:
    pred = model.predict_proba(features)[rows] >= model.threshold
    gold = links[rows]
    right = float((pred & gold).sum())
    p = right / pred.sum() if pred.sum() else 0.0
    r = right / gold.sum() if gold.sum() else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoders", default="m3e,use", help="semantic encoder specs, one fused model each")
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "align/data/link_model.json")
    args = ap.parse_args(argv)
    from align.embed import make_encoder

    models = {}
    kinds = [("lexical", None)] + [
        (f"fused:{s}", make_encoder(s, args.cache_dir)) for s in args.encoders.split(",")
    ]
    for kind, encoder in kinds:
        data = examples(encoder)
        models[kind] = fit(data, list(GOLD)).to_dict()
        for held_out in GOLD:
            rest = {k: v for k, v in data.items() if k != held_out}
            model = fit(rest, list(rest))
            print(f"{kind:10} leave-one-pair-out {held_out:22} pair_f1~{pair_f1(model, *data[held_out]):.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(models, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
