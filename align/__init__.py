"""align: cross-jurisdiction policy alignment analyzer for Chinese plan hierarchies.

The Python API of :mod:`align.pipeline` is reachable from here too (``align.load_corpus``,
``align.align_corpus``, ``align.align_plans``, ``align.Aligner``), imported on first use so that
``import align`` stays light.
"""

from typing import Any

from align.models import Measure, Plan, PlanMeta, Target

_PIPELINE = ("Aligner", "align_corpus", "align_plans", "load_corpus")

__all__ = ["Measure", "Plan", "PlanMeta", "Target", *_PIPELINE]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _PIPELINE:
        from align import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'align' has no attribute {name!r}")
