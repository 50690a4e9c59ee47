"""Label each carried parent measure inherited, strengthened or weakened, with evidence in words.

Two kinds of evidence, both checkable by a reader:

- the attribute comparison of :mod:`align.attributes` (targets added, raised, lost or lowered;
  deadlines earlier or later; verbs firmer or softer), between the parent measure and everything
  its carrying child measures say together;
- sub-actions: the share of the parent's task sentences that find a close sentence in the
  carrying child measures. When most of them are missing the child carries the measure only in
  part (weakened); the evidence names the missing sub-actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from align.attributes import compare_attributes
from align.models import Measure

_DUTY = re.compile(r"(牵头|负责|责任单位|责任部门|配合)[)）]?。?$")


@dataclass(frozen=True)
class StatusRules:
    """How link evidence becomes a status.

    Parameters
    ----------
    sentence_threshold : a parent sentence counts as carried when its best fused sentence score
        (pair-standardised, see :mod:`align.match`) in the carrying child measures reaches this.
    weak_coverage : below this share of carried sub-actions the measure is weakened.
    """

    sentence_threshold: float = 2.0
    weak_coverage: float = 0.34

    def label(
        self,
        parent: Measure,
        children: list[Measure],
        parent_scores: np.ndarray,
        same_level: bool,
    ) -> tuple[str, str]:
        """Status and evidence for one parent measure.

        Parameters
        ----------
        parent : the parent measure.
        children : the child measures that carry it (at least one).
        parent_scores : (n parent sentences, n sentences of the carrying children) fused scores.
        same_level : the plans are of the same administrative level (absolute numbers compare).

        Returns
        -------
        (status, evidence)
        """
        merged = replace(
            children[0],
            targets=tuple(t for c in children for t in c.targets),
            deadline=tuple(d for c in children for d in c.deadline),
            modality=max(c.modality for c in children),
            modality_words=tuple(w for c in children for w in c.modality_words),
        )
        direction, reasons = compare_attributes(parent, merged, same_level)

        sentences = list(parent.sentences)
        task_rows = [i for i, s in enumerate(sentences) if i > 0 and not _DUTY.search(s)]
        missing: list[str] = []
        coverage = 1.0
        if task_rows and parent_scores.size:
            best = parent_scores[task_rows].max(axis=1)
            carried = best >= self.sentence_threshold
            coverage = float(carried.mean())
            missing = [_short(sentences[i]) for i, ok in zip(task_rows, carried, strict=True) if not ok]
        evidence = list(reasons)
        if coverage < 1.0:
            evidence.append(f"carries {coverage:.0%} of sub-actions")
        if coverage < self.weak_coverage and missing:
            evidence.append("missing: " + "；".join(missing[:3]))

        if direction > 0 and coverage >= self.weak_coverage:
            status = "strengthened"
        elif direction < 0 or coverage < self.weak_coverage:
            status = "weakened"
        else:
            status = "inherited"
        return status, "; ".join(evidence) if evidence else "same substance"


def _short(sentence: str, n: int = 14) -> str:
    sentence = sentence.strip("。；; ")
    return sentence if len(sentence) <= n else sentence[:n] + "…"
