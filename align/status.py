"""Label each carried parent measure inherited, strengthened or weakened, with evidence in words.

Two kinds of evidence, both checkable by a reader:

- the attribute comparison of :mod:`align.attributes` (targets added, raised, lost or lowered;
  deadlines earlier or later; verbs firmer or softer), between the parent measure and everything
  its carrying child measures say together;
- sub-actions: the share of the parent's task sentences that find a close sentence anywhere in
  the child plan (a duty the child moved to another section is still there). When nearly all of
  them are missing the child carries the measure only in part (weakened); the evidence names the
  missing sub-actions.
- omitted clauses: the share of the parent's task clauses (the comma-separated duties inside its
  sentences) whose wording the carrying child measures leave out. It is judged against the pair's
  usual share: in a city plan that copies its province word for word, a measure that leaves out
  most clauses has been cut down (weakened); in a plan that rewrites everything, omissions say
  nothing and the rule stays silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from align.attributes import AttributeComparer, binding_cue, fmt_counted, fmt_target
from align.match import measure_sentences, strip_marker
from align.measures import is_duty_sentence
from align.models import Measure, Target


@dataclass(frozen=True)
class StatusRules:
    """How link evidence becomes a status.

    Parameters
    ----------
    sentence_threshold : a parent sentence counts as carried when its best fused sentence score
        (pair-standardised, see :mod:`align.match`) in the carrying child measures reaches this.
    weak_coverage : below this share of carried sub-actions the measure is weakened.
    modality_decides : let a firmer or softer verb alone decide the status. Off by default: on
        the gold, verb changes alone are as often "inherited" as not; they stay in the evidence.
    novel_threshold : a sentence of a carrying child measure is the child's own addition when no
        sentence of the parent measure scores this much with it (stricter than
        ``sentence_threshold``: an addition must clearly not restate the parent).
    omission_margin : a measure the attributes leave unchanged is weakened when the share of its
        clauses the carrying children omit (:func:`omitted_clauses`) exceeds the pair's median
        share by this much. ``None`` turns the rule off.
    min_clauses : the omission rule only judges measures with at least this many task clauses
        (with one or two, a share of 0.5 or 1 is noise).
    binding_additions : this many added sentences that bind (a firm verb, a quantified target, a
        duty written into assessment or budget; see :func:`align.attributes.binding_cue`) make
        the measure strengthened ("extra concrete obligations"); soft additions (鼓励, 支持) and
        local names do not. ``0`` turns the rule off.
    """

    sentence_threshold: float = 1.5
    weak_coverage: float = 0.1
    modality_decides: bool = False
    novel_threshold: float = 2.5
    binding_additions: int = 1
    omission_margin: float | None = 0.4
    min_clauses: int = 3

    def label(
        self,
        parent: Measure,
        children: list[Measure],
        parent_scores: np.ndarray,
        same_level: bool,
        scale: float | None = None,
        shared: list[bool] | None = None,
        plan_scores: np.ndarray | None = None,
        child_issued: float | None = None,
        typical_omission: float | None = None,
        omission: Omission | None = None,
        elsewhere: list[tuple[Target, ...]] | None = None,
    ) -> tuple[str, str]:
        """Status and evidence for one parent measure.

        Parameters
        ----------
        parent : the parent measure.
        children : the child measures that carry it (at least one).
        parent_scores : (n parent sentences, n sentences of the carrying children) fused scores.
        same_level : the plans are of the same administrative level (absolute numbers compare).
        scale : child population / parent population, when the manifest gives both.
        shared : per carrying child, whether it also carries other parent measures; the targets
            of a shared child count only where its sentences carry this parent measure.
        plan_scores : (n parent sentences, all sentences of the child plan): a sub-action is
            missing only when the whole child plan lacks it, not merely the carrying measures.
        child_issued : the child plan's issue date as a fractional year; deadlines of the parent
            that had passed by then are not compared.
        typical_omission : the median share of omitted clauses over the pair's carried measures
            (:meth:`typical_omission`); ``None`` leaves the omission rule out.
        omission : this measure's :func:`omitted_clauses`, when already computed (see
            :meth:`omissions`).
        elsewhere : per carrying child, the targets of the other parent measures it carries: a
            child target that pairs with one of those and with none of this measure's is theirs,
            not a target this measure gains.

        Returns
        -------
        (status, evidence)
        """
        # A child item that carries several parent measures holds their targets and deadlines too:
        # of such a shared child only the sentences that carry this parent measure count.
        shared = shared or [False] * len(children)
        carrying = parent_scores.max(axis=0) >= self.sentence_threshold
        relevant: list[str] = []
        offset = 0
        for child, is_shared in zip(children, shared, strict=True):
            sentences = measure_sentences(child)
            flags = carrying[offset : offset + len(sentences)]
            offset += len(sentences)
            relevant += [s for s, ok in zip(sentences, flags, strict=False) if ok or not is_shared]
        comparer = AttributeComparer()
        others = elsewhere or [()] * len(children)
        targets = tuple(
            t
            for c, theirs in zip(children, others, strict=True)
            for t in c.targets
            if _in_any(t, relevant)
            and not (
                theirs
                and comparer.match_targets(theirs, [t])
                and not comparer.match_targets(parent.targets, [t])
            )
        )
        merged = replace(
            children[0],
            targets=targets,
            deadline=tuple(d for c in children for d in c.deadline if _said_in_any(d, relevant)),
            modality=max(c.modality for c in children),
            modality_words=tuple(w for c in children for w in c.modality_words),
        )
        weights = dict(AttributeComparer().weights)
        if not self.modality_decides:
            weights["modality"] = 0.0
        direction, reasons = AttributeComparer(
            scale=scale, weights=weights, child_issued=child_issued
        ).compare(parent, merged, same_level)
        if len(children) > 1:  # every row of the measure shows this evidence: say which child
            holders = _holders(children, relevant)
            reasons = [_where(reason, holders) for reason in reasons]

        # rows of the score matrices are the matcher's sentences; the first is the heading
        sentences = measure_sentences(parent)
        task_rows = [i for i, s in enumerate(sentences) if i > 0 and not is_duty_sentence(s)]
        missing: list[str] = []
        coverage = 1.0
        scope = plan_scores if plan_scores is not None else parent_scores
        # with a single task sentence the link itself says whether it is carried
        if len(task_rows) > 1 and scope.size:
            best = scope[task_rows].max(axis=1)
            carried = best >= self.sentence_threshold
            coverage = float(carried.mean())
            missing = [_short(sentences[i]) for i, ok in zip(task_rows, carried, strict=True) if not ok]
        evidence = list(reasons)
        if coverage < 1.0:
            found = len(task_rows) - len(missing)
            evidence.append(f"{found} of {len(task_rows)} sub-actions found in the child plan")
        if coverage < self.weak_coverage and missing:
            evidence.append("missing: " + "；".join(missing[:3]))

        if direction > 0 and coverage >= self.weak_coverage:
            status = "strengthened"
        elif direction < 0 or coverage < self.weak_coverage:
            status = "weakened"
        else:  # the attributes say nothing: does the child bind itself to more than the parent?
            additions = (
                self._binding_additions(children, parent_scores, shared) if self.binding_additions else []
            )
            if additions and len(additions) >= self.binding_additions:
                status = "strengthened"
                evidence += [f"adds duty ({cue}): {_short(sentence)}" for cue, sentence in additions[:2]]
            else:
                status = "inherited"
        if status == "inherited" and self.omission_margin is not None and typical_omission is not None:
            omission = omission or omitted_clauses(parent, children)
            if (
                omission.n_clauses >= self.min_clauses
                and omission.share - typical_omission >= self.omission_margin
            ):
                status = "weakened"
                evidence.append(
                    f"omits {len(omission.omitted)} of {omission.n_clauses} clauses "
                    f"(pair median {typical_omission:.0%}): "
                    + "；".join(_short(c) for c in omission.omitted[:3])
                )
        if not evidence:
            # say what was checked: each task sentence of the parent has a counterpart in the child
            evidence = [
                f"same substance (all {len(task_rows)} sub-actions found in the child plan)"
                if len(task_rows) > 1
                else "same substance"
            ]
        return status, "; ".join(evidence)

    def omissions(self, carried: list[tuple[Measure, list[Measure]]]) -> list[Omission] | None:
        """:func:`omitted_clauses` of each carried measure of a pair (parent, carrying children);
        ``None`` when the omission rule is off. Each child's wording is read once."""
        if self.omission_margin is None:
            return None
        texts: dict[int, str] = {}
        for _, children in carried:
            for child in children:
                if id(child) not in texts:
                    texts[id(child)] = _SPACE.sub("", child.text)
        return [
            omitted_clauses(parent, children, child_text="\n".join(texts[id(c)] for c in children))
            for parent, children in carried
        ]

    def typical_omission(self, omissions: list[Omission] | None) -> float | None:
        """The pair's median share of omitted clauses (over the :meth:`omissions` of measures with
        at least ``min_clauses`` clauses); ``None`` without any or when the rule is off."""
        shares = [o.share for o in omissions or [] if o.n_clauses >= self.min_clauses]
        return float(np.median(shares)) if shares else None

    def _binding_additions(
        self, children: list[Measure], parent_scores: np.ndarray, shared: list[bool]
    ) -> list[tuple[str, str]]:
        """(cue, sentence) of the binding sentences the carrying children add to the parent.

        Only children that carry this parent measure alone count (a shared child's other
        sentences belong to other parent measures); headings and agency lines are not additions.
        """
        best = parent_scores.max(axis=0) if parent_scores.size else np.zeros(parent_scores.shape[1])
        found: list[tuple[str, str]] = []
        offset = 0
        for child, is_shared in zip(children, shared, strict=True):
            sentences = _sentences_with_cues(child)
            scores = best[offset : offset + len(sentences)]
            offset += len(sentences)
            if is_shared:
                continue
            for k, ((sentence, cue), score) in enumerate(zip(sentences, scores, strict=True)):
                if k == 0 or score >= self.novel_threshold or is_duty_sentence(sentence):
                    continue
                cue = cue if cue is not None else binding_cue(sentence)
                if cue:
                    found.append((cue, sentence))
        return found


def _sentences_with_cues(measure: Measure) -> list[tuple[str, str | None]]:
    """:func:`measure_sentences` of ``measure``, each with its binding cue as read at parse time
    (``None`` where the measure carries none, e.g. one built by hand)."""
    sentences = measure_sentences(measure)
    if len(measure.binding_cues) == len(measure.sentences):
        cues = dict(zip(measure.sentences, measure.binding_cues, strict=True))
        return [(s, cues.get(s)) for s in sentences]
    return [(s, None) for s in sentences]


# clause ends inside a sentence; an agency note in brackets is no duty of the measure
_CLAUSE_SPLIT = re.compile(r"[，,；;。：:、！!？?]")
_AGENCY_NOTE = re.compile(r"[（(][^（()）]*(?:负责|分工|牵头)[^（()）]*[)）]")
_SPACE = re.compile(r"\s+")


def task_clauses(measure: Measure, min_length: int = 6) -> list[str]:
    """The clauses of a measure's task sentences (heading and agency lines left out), at least
    ``min_length`` characters long: the duties a lower plan may keep or leave out."""
    return [clause for clause, _ in _clauses_and_bigrams(tuple(measure_sentences(measure)), min_length)]


@lru_cache(maxsize=50_000)
def _clauses_and_bigrams(
    sentences: tuple[str, ...], min_length: int = 6
) -> tuple[tuple[str, frozenset[str]], ...]:
    # cached: a province's measures are the parents of every city under it
    clauses: list[tuple[str, frozenset[str]]] = []
    for sentence in sentences[1:] or sentences:
        if is_duty_sentence(sentence):
            continue
        text = _AGENCY_NOTE.sub("", _SPACE.sub("", strip_marker(sentence)))
        clauses += [
            (c, frozenset(c[k : k + 2] for k in range(len(c) - 1)))
            for c in _CLAUSE_SPLIT.split(text)
            if len(c) >= min_length
        ]
    return tuple(clauses)


@dataclass(frozen=True)
class Omission:
    """The task clauses of a parent measure that its carrying children leave out.

    Attributes
    ----------
    share : omitted clauses / all clauses (0 for a measure without clauses).
    omitted : the omitted clauses, in the parent's order.
    n_clauses : the number of task clauses.
    """

    share: float
    omitted: tuple[str, ...]
    n_clauses: int


def omitted_clauses(
    parent: Measure, children: list[Measure], kept: float = 0.5, child_text: str | None = None
) -> Omission:
    """Which task clauses of ``parent`` the ``children`` leave out.

    A clause is kept when at least ``kept`` of its character bigrams occur in the children's text
    (wording, not meaning: the rule is meant for plans that copy their parent).

    Parameters
    ----------
    parent, children : the parent measure and the child measures that carry it.
    kept : the share of a clause's bigrams that must occur in the children.
    child_text : the children's text without white space, when already at hand.
    """
    clauses = _clauses_and_bigrams(tuple(measure_sentences(parent)))
    if not clauses:
        return Omission(0.0, (), 0)
    if child_text is None:
        child_text = "\n".join(_SPACE.sub("", c.text) for c in children)
    # substring tests on the short child text beat building its bigram set
    omitted = tuple(c for c, grams in clauses if sum(g in child_text for g in grams) < kept * len(grams))
    return Omission(len(omitted) / len(clauses), omitted, len(clauses))


def _holders(children: list[Measure], relevant: list[str]) -> list[tuple[str, set[str], list[str]]]:
    """Per carrying child: its id, its added-target forms (``adds target 1个（…）``) and the
    targets and deadlines its relevant sentences say, as the evidence writes them."""
    holders = []
    for child in children:
        sentences = [s for s in measure_sentences(child) if s in relevant]
        named = [t for t in child.targets if _in_any(t, sentences)]
        added = {f"adds target {fmt_counted(t)}" for t in named}
        words = [fmt_target(t) for t in named] + [d for d in child.deadline if _said_in_any(d, sentences)]
        holders.append((child.measure_id, added, words))
    return holders


def _where(reason: str, holders: list[tuple[str, set[str], list[str]]]) -> str:
    """``reason`` with the child measure that holds the target or deadline it names (the first
    one whose relevant sentences say it), so that the evidence can be checked on every row of a
    measure carried by several child measures: ``adds target 40个（…） in 二.(一).1``. An added
    target is matched with what it counts (two children may each add "1个" of something else)."""
    for measure_id, added, words in holders:
        if reason in added or (
            not reason.startswith("adds target") and any(f"→{word}" in reason for word in words)
        ):
            return f"{reason} in {measure_id}"
    return reason


def _in_any(target: Target, sentences: list[str]) -> bool:
    return _said_in_any(target.raw, sentences)


def _said_in_any(words: str, sentences: list[str]) -> bool:
    words = words.replace(" ", "")
    return any(words and words in s.replace(" ", "") for s in sentences)


def _short(sentence: str, n: int = 14) -> str:
    sentence = sentence.strip("。；; ")
    return sentence if len(sentence) <= n else sentence[:n] + "…"
