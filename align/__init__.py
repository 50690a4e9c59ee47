"""align: cross-jurisdiction policy alignment analyzer for Chinese plan hierarchies."""

from align.models import Measure, Plan, PlanMeta, Target

__all__ = ["Measure", "Plan", "PlanMeta", "Target"]
__version__ = "0.1.0"
