"""Synthetic plan hierarchies with known ground truth, derived from the seed plans.

A child plan is derived from its parent's text the way real lower-level plans are: some measures
are dropped, the items of a heading are reordered, wording is changed (synonym swaps such as
加强↔强化 and changed quantities), and local measures are added (borrowed from another seed plan
that says something else). Every generated plan is written in the numbered outline format that
:mod:`align.measures` parses, and every parent/child pair gets a gold CSV in the hand-made gold
format (``parent_doc,parent_anchor,child_doc,child_anchor,label,evidence``, anchors verbatim and
unique in their document), so :func:`align.evaluate.score_alignment` can score an alignment.

Sizes (see :func:`hierarchy_shape`): ``pair`` (a parent and one child), ``province`` (1 province,
11 cities, 100 counties = 112 plans) and ``country`` (1 national plan, 31 provinces, 341 cities,
2,627 counties = 3,000 plans).

Everything is deterministic given ``random_state``: each plan draws from its own random stream,
seeded with ``random_state``, the hierarchy's size and its plan id, so a plan's text does not
depend on which other plans are generated (a sample of the country tree equals the same plans of
the full tree).

Usage::

    .venv/bin/python bench/synth.py --size province --out /tmp/synth-province
    .venv/bin/align run --corpus /tmp/synth-province --out /tmp/out --encoder lexical
    .venv/bin/align evaluate /tmp/out/alignment.csv /tmp/synth-province/gold/p0__p0-c01.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from align.corpus import Corpus
from align.evaluate import GOLD_COLUMNS, norm
from align.measures import MeasureExtractor
from align.models import LEVELS, Measure, Plan, PlanMeta
from align.outline import strip_marker

SYNONYMS: tuple[tuple[str, str], ...] = (
    ("加强", "强化"),
    ("推进", "推动"),
    ("开展", "组织开展"),
    ("提升", "提高"),
    ("完善", "健全"),
    ("积极", "大力"),
    ("鼓励", "支持"),
    ("广泛", "普遍"),
    ("充分", "切实"),
    ("深入", "持续"),
)
"""Word pairs swapped in either direction when a measure is reworded."""

QUANTITY = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?=\s*(?:%|％|个|家|所|场|次|万|名|人|项|支|座|期|批))")
"""A number counting something (never a year: years are followed by 年)."""

SECTION_NUMERALS = "一二三四五六七八九十"
SIZES = ("pair", "province", "country")
_CONTEXT_TITLE = re.compile(r"^(指导思想|基本原则|原则|前言|总体要求|总体思路|背景|形势|工作原则|重要意义)")


@dataclass(frozen=True)
class Unit:
    """One measure of a synthetic plan.

    Attributes
    ----------
    uid : lineage id: a derived measure keeps its parent measure's uid, an added one gets the id
        of the seed measure it was borrowed from.
    content : the measure's text without its outline number (``推进…工作。完善…``).
    label : how it derives from the parent measure with the same uid (``inherited``,
        ``strengthened``, ``weakened``), or ``added``; ``seed`` for the root plan.
    evidence : what the generator changed, for the gold file.
    """

    uid: str
    content: str
    label: str = "seed"
    evidence: str = ""


@dataclass(frozen=True)
class Section:
    """A top-level heading ``一、…`` with its sub-headings ``（一）…`` and their items."""

    title: str
    subs: tuple[tuple[str, tuple[Unit, ...]], ...]

    def units(self) -> Iterator[Unit]:
        for _, units in self.subs:
            yield from units


@dataclass(frozen=True)
class SynthPlan:
    """A generated plan: its manifest row and its outline."""

    plan_id: str
    jurisdiction: str
    level: str
    parent_id: str
    title: str
    sections: tuple[Section, ...]
    dropped: tuple[str, ...] = ()  # uids of parent measures this plan drops

    @property
    def file(self) -> str:
        return f"{self.plan_id}.txt"

    def units(self) -> list[Unit]:
        """The measures in document order."""
        return [u for s in self.sections for u in s.units()]

    def render(self) -> str:
        """The plan as an outline document (title, ``一、``, ``（一）``, ``1.``)."""
        lines = [self.title, "", f"为抓好贯彻落实，结合{self.jurisdiction}实际，制定本方案。", ""]
        for i, section in enumerate(self.sections):
            lines += [f"{_numeral(i + 1)}、{section.title}", ""]
            for k, (sub_title, units) in enumerate(section.subs):
                lines += [f"（{_numeral(k + 1)}）{sub_title}", ""]
                for n, unit in enumerate(units, start=1):
                    lines += [f"{n}. {unit.content}", ""]
        return "\n".join(lines)


@dataclass
class SynthCorpus:
    """A generated hierarchy: the plans (top-down) and the gold of each parent/child pair.

    Attributes
    ----------
    plans : the plans, each after its parent.
    texts : plan_id → document text.
    gold : (parent_id, child_id) → gold rows (dicts with :data:`align.evaluate.GOLD_COLUMNS`).
    """

    plans: list[SynthPlan]
    texts: dict[str, str] = field(default_factory=dict)
    gold: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``plans.csv``, ``plans/<id>.txt`` and ``gold/<parent>__<child>.csv`` into ``out_dir``.

        Returns
        -------
        The manifest path.
        """
        out = Path(out_dir)
        (out / "plans").mkdir(parents=True, exist_ok=True)
        (out / "gold").mkdir(parents=True, exist_ok=True)
        manifest = out / "plans.csv"
        with open(manifest, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["plan_id", "file", "jurisdiction", "level", "parent_id", "title"])
            for plan in self.plans:
                writer.writerow(
                    [plan.plan_id, plan.file, plan.jurisdiction, plan.level, plan.parent_id, plan.title]
                )
        for plan in self.plans:
            (out / "plans" / plan.file).write_text(self.texts[plan.plan_id], encoding="utf-8")
        for (parent, child), rows in self.gold.items():
            with open(out / "gold" / f"{parent}__{child}.csv", "w", newline="", encoding="utf-8") as handle:
                gold_writer = csv.DictWriter(handle, fieldnames=list(GOLD_COLUMNS))
                gold_writer.writeheader()
                gold_writer.writerows(rows)
        return manifest

    def metas(self) -> list[PlanMeta]:
        """The manifest rows, top-down."""
        return [
            PlanMeta(p.plan_id, p.file, p.jurisdiction, p.level, p.parent_id, p.title) for p in self.plans
        ]

    def plan(self, plan_id: str) -> Plan:
        """A generated plan as :class:`align.models.Plan` (no file needed)."""
        meta = next(m for m in self.metas() if m.plan_id == plan_id)
        return Plan(meta=meta, text=self.texts[plan_id], source=meta.file)

    def pairs(self) -> list[tuple[str, str]]:
        """(parent_id, child_id) of every pair with gold, top-down."""
        return list(self.gold)


def _numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (enough for outline numbers)."""
    if n <= 10:
        return SECTION_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else SECTION_NUMERALS[tens - 1]
    return head + "十" + (SECTION_NUMERALS[ones - 1] if ones else "")


def _content(measure: Measure) -> str:
    text = measure.text.replace("\n", "")
    _, rest = strip_marker(text)
    return rest.strip()


def _stream(random_state: int, key: str) -> np.random.Generator:
    return np.random.default_rng([random_state, zlib.crc32(key.encode("utf-8"))])


def hierarchy_shape(size: str) -> list[int]:
    """Plans per level below the root, for a named size.

    ``pair``: 1 child; ``province``: 11 cities and 100 counties; ``country``: 31 provinces,
    341 cities and 2,627 counties (3,000 plans with the national root).
    """
    shapes = {"pair": [1], "province": [11, 100], "country": [31, 341, 2627]}
    if size not in shapes:
        raise ValueError(f"unknown size {size!r}; one of {', '.join(SIZES)}")
    return shapes[size]


def spread(n_children: int, n_parents: int) -> list[int]:
    """How many children each parent gets: as even as possible, the extra ones first."""
    base, extra = divmod(n_children, n_parents)
    return [base + (i < extra) for i in range(n_parents)]


@dataclass
class HierarchyGenerator:
    """Derive synthetic child plans from a seed plan, with ground truth.

    Parameters
    ----------
    seeds : the seed corpus (``data/``): the root plan's measures and the pool of added measures.
    root : plan id of the seed the root plan is made from.
    p_drop : probability that a child drops a parent measure.
    p_add : added measures per parent measure (the expected share of local additions).
    p_reword : probability that a kept measure has its wording changed (synonym swaps).
    p_swap : within a reworded measure, probability of swapping each synonym occurrence.
    p_number : probability that a kept measure with a quantity has that quantity changed.
    p_shuffle : probability that the items under a heading are reordered.
    max_pool_similarity : a seed measure joins the pool of additions only when its character
        n-gram cosine with every root measure and every pool measure is below this.
    random_state : seed of every random choice.
    check : parse every generated document and check that its measures are exactly the
        generated ones (one measure per item, each gold anchor inside its own measure).
    """

    seeds: Corpus
    root: str = "jiangxi"
    p_drop: float = 0.12
    p_add: float = 0.08
    p_reword: float = 0.5
    p_swap: float = 0.6
    p_number: float = 0.5
    p_shuffle: float = 0.5
    max_pool_similarity: float = 0.3
    random_state: int = 0
    check: bool = True
    extractor: MeasureExtractor = field(default_factory=lambda: _OutlineOnly())

    def __post_init__(self) -> None:
        self._root_plan: SynthPlan | None = None
        self._pool: list[Unit] | None = None

    # -- seeds ---------------------------------------------------------------------------------

    def _seed_measures(self, plan_id: str) -> list[Measure]:
        return self.extractor.extract(self.seeds.text(plan_id), plan_id)

    def root_plan(
        self, plan_id: str = "p0", level: str = "provincial", jurisdiction: str = "示范省"
    ) -> SynthPlan:
        """The root plan: the seed's measures re-written in the generator's outline."""
        sections: dict[str, dict[str, list[Unit]]] = {}
        for m in self._seed_measures(self.root):
            section = m.path[0] if m.path else "主要任务"
            if _CONTEXT_TITLE.match(section):
                section = "工作目标"
            sub = m.path[1] if len(m.path) >= 2 else "重点任务"
            unit = Unit(uid=f"{self.root}:{m.measure_id}", content=_content(m))
            sections.setdefault(section, {}).setdefault(sub, []).append(unit)
        outline = tuple(
            Section(title, tuple((sub, tuple(units)) for sub, units in subs.items()))
            for title, subs in sections.items()
        )
        return SynthPlan(
            plan_id=plan_id,
            jurisdiction=jurisdiction,
            level=level,
            parent_id="",
            title=f"{jurisdiction}全民科学素质行动规划纲要实施方案（2021—2025年）",
            sections=outline,
        )

    def pool(self) -> list[Unit]:
        """Measures of the other seeds that resemble no root measure (nor each other)."""
        if self._pool is not None:
            return self._pool
        root_texts = [_content(m) for m in self._seed_measures(self.root)]
        candidates: list[Unit] = []
        for plan_id in self.seeds.order():
            if plan_id == self.root or not self.seeds.has_text(plan_id):
                continue
            for m in self._seed_measures(plan_id):
                content = _content(m)
                if 30 <= len(content) <= 400 and self._stands_alone(content):
                    candidates.append(Unit(uid=f"{plan_id}:{m.measure_id}", content=content, label="added"))
        texts = root_texts + [u.content for u in candidates]
        vectors = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True).fit_transform(texts)
        sim = (vectors[len(root_texts) :] @ vectors.T).toarray()
        kept: list[int] = []
        for i in range(len(candidates)):
            if sim[i, : len(root_texts)].max() >= self.max_pool_similarity:
                continue
            if any(sim[i, len(root_texts) + k] >= self.max_pool_similarity for k in kept):
                continue
            kept.append(i)
        self._pool = [candidates[i] for i in kept]
        return self._pool

    def _stands_alone(self, content: str) -> bool:
        """Whether ``content`` written as a numbered item parses as exactly one item."""
        doc = f"一、重点任务\n\n（一）主要工作\n\n1. {content}\n"
        measures = self.extractor.extract(doc, "probe")
        return len(measures) == 1 and measures[0].kind == "item"

    # -- derivation ------------------------------------------------------------------------------

    def reword(self, content: str, rng: np.random.Generator) -> tuple[str, list[str]]:
        """Swap synonyms (each occurrence with probability ``p_swap``); returns the text and the swaps."""
        table = {a: b for a, b in SYNONYMS} | {b: a for a, b in SYNONYMS}
        pattern = re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)))
        swaps: list[str] = []

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            if rng.random() >= self.p_swap:
                return word
            swaps.append(f"{word}→{table[word]}")
            return table[word]

        return pattern.sub(swap, content), swaps

    def change_number(self, content: str, rng: np.random.Generator) -> tuple[str, str, str]:
        """Scale one quantity up (strengthened) or down (weakened); returns text, label, evidence."""
        matches = list(QUANTITY.finditer(content))
        if not matches:
            return content, "inherited", ""
        match = matches[int(rng.integers(len(matches)))]
        value = float(match.group(1))
        up = bool(rng.random() < 0.6)
        factor = float(rng.choice([1.5, 2.0])) if up else 0.5
        new = value * factor
        if "." not in match.group(1):
            new = float(max(1, round(new)))
        if new == value:
            return content, "inherited", ""
        text = f"{new:g}"
        label = "strengthened" if new > value else "weakened"
        return (
            content[: match.start()] + text + content[match.end() :],
            label,
            f"{match.group(1)}→{text}",
        )

    def derive(
        self,
        parent: SynthPlan,
        plan_id: str,
        level: str,
        jurisdiction: str,
        exclude: Iterable[str] = (),
        stream: str = "",
    ) -> SynthPlan:
        """A child plan of ``parent`` (drops, reorders, rewords, adds; see the class parameters).

        Parameters
        ----------
        parent : the parent plan.
        plan_id, level, jurisdiction : the child's manifest row.
        exclude : uids the child must not add (besides the parent's own).
        stream : names the hierarchy, so that plans with the same id in hierarchies of different
            sizes differ.
        """
        rng = _stream(self.random_state, f"{stream}/{plan_id}")
        dropped: list[str] = []
        sections: list[Section] = []
        for section in parent.sections:
            subs = []
            for sub_title, units in section.subs:
                kept: list[Unit] = []
                for unit in units:
                    if rng.random() < self.p_drop:
                        dropped.append(unit.uid)
                        continue
                    content, notes = unit.content, []
                    if rng.random() < self.p_reword:
                        content, swaps = self.reword(content, rng)
                        notes += swaps
                    label = "inherited"
                    if rng.random() < self.p_number:
                        content, label, change = self.change_number(content, rng)
                        notes += [change] if change else []
                    kept.append(Unit(unit.uid, content, label, "; ".join(notes) or "copied"))
                if len(kept) > 1 and rng.random() < self.p_shuffle:
                    kept = [kept[i] for i in rng.permutation(len(kept))]
                subs.append((sub_title, kept))
            sections.append(Section(section.title, tuple((t, tuple(u)) for t, u in subs)))
        # local additions, each under a random heading
        taken = {u.uid for u in parent.units()} | set(exclude)
        pool = [u for u in self.pool() if u.uid not in taken]
        n_add = min(len(pool), int(rng.binomial(len(parent.units()), self.p_add)))
        for k in rng.choice(len(pool), size=n_add, replace=False) if n_add else []:
            added = replace(pool[int(k)], evidence=f"borrowed from seed {pool[int(k)].uid}")
            s = int(rng.choice([i for i, sec in enumerate(sections) if sec.subs]))
            subs_list = list(sections[s].subs)
            t = int(rng.integers(len(subs_list)))
            title, units = subs_list[t]
            at = int(rng.integers(len(units) + 1))
            subs_list[t] = (title, (*units[:at], added, *units[at:]))
            sections[s] = Section(sections[s].title, tuple(subs_list))
        return SynthPlan(
            plan_id=plan_id,
            jurisdiction=jurisdiction,
            level=level,
            parent_id=parent.plan_id,
            title=f"{jurisdiction}全民科学素质行动规划纲要实施方案（2021—2025年）",
            sections=tuple(
                Section(s.title, tuple((t, u) for t, u in s.subs if u))
                for s in sections
                if any(u for _, u in s.subs)
            ),
            dropped=tuple(dropped),
        )

    # -- ground truth ------------------------------------------------------------------------------

    def gold(
        self, parent: SynthPlan, child: SynthPlan, p_anchor: dict[str, str], c_anchor: dict[str, str]
    ) -> list[dict[str, str]]:
        """Gold rows of one pair: one per parent measure (carried or dropped), one per added measure.

        Parameters
        ----------
        parent, child : the plans.
        p_anchor, c_anchor : uid → anchor in each document (see :func:`anchors`).
        """
        in_child = {u.uid: u for u in child.units()}
        rows: list[dict[str, str]] = []
        for unit in parent.units():
            derived = in_child.get(unit.uid)
            if derived is None or derived.label == "added":
                rows.append(
                    _gold_row(parent, p_anchor[unit.uid], child, "", "dropped", "dropped by the generator")
                )
            else:
                rows.append(
                    _gold_row(
                        parent, p_anchor[unit.uid], child, c_anchor[unit.uid], derived.label, derived.evidence
                    )
                )
        for unit in child.units():
            if unit.label == "added":
                rows.append(_gold_row(parent, "", child, c_anchor[unit.uid], "added", unit.evidence))
        return rows

    def verify(self, plan: SynthPlan, text: str, found: dict[str, str] | None = None) -> None:
        """Check that ``align.measures`` finds exactly the plan's measures, in order.

        Raises
        ------
        ValueError : naming the first measure that does not come out as generated.
        """
        measures = self.extractor.extract(text, plan.plan_id)
        units = plan.units()
        found = found or anchors(plan, text)
        if len(measures) != len(units):
            raise ValueError(f"{plan.plan_id}: {len(measures)} measures parsed, {len(units)} generated")
        for unit, measure in zip(units, measures, strict=True):
            if norm(found[unit.uid]) not in norm(measure.text):
                raise ValueError(f"{plan.plan_id}: measure {measure.measure_id} is not {unit.uid}")

    # -- hierarchies -------------------------------------------------------------------------------

    def generate(self, size: str = "province", limit: int | None = None) -> SynthCorpus:
        """A whole hierarchy of a named size (see :func:`hierarchy_shape`).

        Parameters
        ----------
        size : ``pair``, ``province`` or ``country``.
        limit : generate only the first ``limit`` plans in top-down, breadth-first order (each
            with its ancestors), e.g. a sample of the country tree.
        """
        shape = hierarchy_shape(size)
        levels = LEVELS[LEVELS.index("national" if size == "country" else "provincial") :]
        names = ["全国" if size == "country" else "示范省", "省", "市", "县"]
        suffix = names[1:] if size == "country" else names[2:]
        root = self.root_plan("p0", levels[0], names[0])
        plans = [root]
        frontier = [root]
        for depth, count in enumerate(shape):
            if not frontier:
                break  # the limit was reached on the level above
            nxt: list[SynthPlan] = []
            for parent, n in zip(frontier, spread(count, len(frontier)), strict=True):
                for k in range(1, n + 1):
                    if limit is not None and len(plans) >= limit:
                        break
                    plan_id = f"{parent.plan_id}-{k:02d}"
                    name = f"{parent.jurisdiction if depth else ''}第{k}{suffix[depth]}"
                    child = self.derive(parent, plan_id, levels[depth + 1], name, stream=size)
                    plans.append(child)
                    nxt.append(child)
            frontier = nxt
        return self.build(plans)

    def build(self, plans: list[SynthPlan]) -> SynthCorpus:
        """Render the plans and compute the gold of every parent/child pair."""
        by_id = {p.plan_id: p for p in plans}
        texts = {p.plan_id: p.render() for p in plans}
        found = {p.plan_id: anchors(p, texts[p.plan_id]) for p in plans}
        if self.check:
            for plan in plans:
                self.verify(plan, texts[plan.plan_id], found[plan.plan_id])
        gold = {
            (p.parent_id, p.plan_id): self.gold(by_id[p.parent_id], p, found[p.parent_id], found[p.plan_id])
            for p in plans
            if p.parent_id in by_id
        }
        return SynthCorpus(plans, texts, gold)


class _OutlineOnly(MeasureExtractor):
    """Measure extraction without the attribute pass: the generator only needs texts and paths."""

    @staticmethod
    def with_attributes(measure: Measure) -> Measure:
        return measure


def _gold_row(
    parent: SynthPlan, p_anchor: str, child: SynthPlan, c_anchor: str, label: str, evidence: str
) -> dict[str, str]:
    return dict(
        zip(GOLD_COLUMNS, (parent.file, p_anchor, child.file, c_anchor, label, evidence), strict=True)
    )


def anchors(plan: SynthPlan, text: str, lengths: tuple[int, ...] = (12, 16, 20, 30)) -> dict[str, str]:
    """A verbatim anchor for each measure: the first substring of its text, 12 to 30 characters,
    that occurs once in the document (also after the scorer's normalisation).

    Raises
    ------
    ValueError : a measure has no unique substring of those lengths.
    """
    normed = norm(text)
    out: dict[str, str] = {}
    for unit in plan.units():
        found = next(
            (
                window
                for size in lengths
                for start in range(0, max(1, len(unit.content) - size + 1), 2)
                if (window := unit.content[start : start + size].strip())
                and len(window) >= 8
                and text.count(window) == 1
                and normed.count(norm(window)) == 1
            ),
            None,
        )
        if found is None:
            raise ValueError(f"{plan.plan_id}: no unique anchor for {unit.uid}")
        out[unit.uid] = found
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="province")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder to write")
    parser.add_argument("--seeds", type=Path, default=Path("data"), help="seed corpus (plans.csv + plans/)")
    parser.add_argument("--root", default="jiangxi", help="seed plan the root is made from")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="only the first N plans (top-down)")
    args = parser.parse_args(argv)
    generator = HierarchyGenerator(Corpus.load(args.seeds), root=args.root, random_state=args.random_state)
    corpus = generator.generate(args.size, limit=args.limit)
    manifest = corpus.write(args.out)
    print(f"wrote {len(corpus.plans)} plans and {len(corpus.gold)} gold files; manifest {manifest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
