"""Shared fixtures: the real seed plans of the bundled corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from align.corpus import load_manifest
from align.models import PlanMeta

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "data" / "plans"
SEEDS = {
    "jiujiang": "000_db08bb93956ab56b.txt",
    "jiangxi": "001_e9d6debd5c2ad4f8.txt",
    "dazhang": "002_4bddc11958e96dea.txt",
    "guangxi": "003_dc08f0f613dd20d7.txt",
    "neimenggu": "004_34aac81e3d6f48e4.txt",
}

# Models load from local folders only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def seed_text(name: str) -> str:
    return (PLANS / SEEDS[name]).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seeds() -> dict[str, str]:
    return {name: seed_text(name) for name in SEEDS}


@pytest.fixture(scope="module")
def plans() -> list[PlanMeta]:
    """The bundled manifest, data/plans.csv."""
    return load_manifest(ROOT / "data" / "plans.csv")
