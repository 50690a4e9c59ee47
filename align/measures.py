"""From the outline to measures: the units researchers talk about ("任务 3 of 提升行动 (一)").

A measure is

- a numbered task item (``1. 推进基础教育阶段科学教育工作。…``) or bullet (``——…``);
- the intro paragraph of an action or project (``(一)实施青少年科学素质提升行动。激发…``), or its
  ``任务`` block, when it carries text of its own;
- a paragraph of a leaf heading that holds several paragraphs (``(一)加强组织领导`` with one paragraph
  for the province and one for the cities);
- a paragraph of the goals section (``工作目标``, ``发展目标`` …);
- one sentence group of a *bundled* item: an item whose title names a whole theme rather than a
  task (``1.青少年科学素质提升行动。坚持立德树人，…`` in a district plan) and which lists many tasks
  one sentence after the other. Each sentence becomes a measure (the title joins the first one).

Preamble rhetoric (指导思想, 原则, 前言, 总体要求), the intro of a top-level section, the document
header and footers are *context*: kept, never counted as measures.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field, replace
from os import PathLike

from align.attributes import (
    AGENCY_LABELS,
    AGENCY_NOTE_VERBS,
    binding_cue,
    extract_agencies,
    measure_attributes,
)
from align.errors import NoMeasuresError, NotChineseWarning, TraditionalScriptWarning
from align.fileio import names_a_file
from align.models import Measure
from align.outline import Node, Outline, Paragraph, parse_outline, split_sentences, split_title, strip_marker

_CONTEXT_TITLE = re.compile(r"^(指导思想|基本原则|原则|前言|总体要求|总体思路|背景|形势|工作原则|重要意义)")
_GOAL_TITLE = re.compile(r"^(主要|工作|发展|总体|行动|具体)?目标(要求|任务)?$")
_INTRO_BLOCK = re.compile(r"^(主要|工作|重点|总体)?任务$")
_MEASURE_BLOCK = re.compile(r"^(主要|工作|具体|重点)?(措施|举措|任务措施)$")
_DUTY_BLOCK = re.compile(r"^(责任|职责|任务)?分工$|^责任(单位|部门)$|^牵头(单位|部门)$")
_DUTY_PARAGRAPH = re.compile(
    rf"^[（(]?\s*(责任分工|分工|{'|'.join(AGENCY_LABELS)})\s*[:：]"
    rf"|^[（(][^（()）]{{2,200}}({'|'.join(AGENCY_NOTE_VERBS)})[)）]。?$"
)


def is_duty_sentence(sentence: str) -> bool:
    """Whether a sentence only assigns agencies (``（责任单位：市教育局、市科协）``,
    ``（省教育厅、省科技厅按职责分工负责）``) rather than stating a task."""
    return bool(_DUTY_PARAGRAPH.match(sentence.strip()))


# Verbs that open a task title; a title without one names a theme ("青少年科学素质提升行动").
_TASK_VERBS = [
    "开展",
    "实施",
    "推进",
    "推动",
    "加强",
    "加快",
    "加大",
    "提升",
    "提高",
    "打造",
    "建立",
    "建设",
    "健全",
    "完善",
    "构建",
    "深化",
    "强化",
    "发挥",
    "激发",
    "树立",
    "夯实",
    "落实",
    "深入",
    "积极",
    "大力",
    "创新",
    "拓展",
    "拓宽",
    "丰富",
    "助力",
    "统筹",
    "探索",
    "鼓励",
    "支持",
    "培育",
    "促进",
    "优化",
    "做好",
    "坚持",
    "引导",
    "聚焦",
    "弘扬",
    "培养",
    "保障",
    "明确",
    "营造",
    "组建",
    "制定",
    "设立",
    "加速",
    "全面",
    "持续",
    "着力",
    "广泛",
    "注重",
    "重视",
    "突出",
    "扩大",
    "发展",
    "用好",
    "利用",
    "依托",
    "围绕",
    "普及",
    "传播",
    "倡导",
    "启动",
    "开发",
    "形成",
    "赋予",
    "在",
    "将",
    "把",
    "以",
    "对",
    "为",
    "由",
    "进一步",
    "不断",
    "切实",
    "认真",
    "贯彻",
    "规范",
    "提倡",
    "保护",
    "扶持",
    "吸引",
    "服务",
    "凝聚",
    "严格",
    "配齐",
    "配备",
    "举办",
    "组织开展",
    "组织实施",
    "组织参加",
]


def _starts_with_task_verb(title: str) -> bool:
    return title.startswith(tuple(_TASK_VERBS))


# the share of Han characters below which a text is not taken for a Chinese plan (the seeds: 86–88 %)
MIN_HAN_SHARE = 0.3
MIN_TRADITIONAL_SHARE = 0.05
"""Share of traditional forms (:func:`traditional_share`) from which a plan gets a warning."""
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


# Frequent characters of plan text whose simplified form differs (發/发, 學/学, 國/国 …): in a
# simplified plan they are next to absent, in a traditional one about one character in five
_TRADITIONAL = frozenset(
    "發學國會區縣與專業實現體進動員務經濟這對開關將應為個數據劃點級設統組織導質優產農鄉術傳廣範"
    "資創訓練標準護環衛萬億項權險機構養類綜響歡參觀書館還辦誌論說們時視頻網絡講團據邊續覽藝"
)


def traditional_share(text: str) -> float:
    """The share of Han characters that are frequent traditional forms (發, 學, 國 …)."""
    han = _HAN.findall(text)
    return sum(ch in _TRADITIONAL for ch in han) / len(han) if han else 0.0


def han_share(text: str) -> float:
    """The share of Han characters among the text's non-space characters (0 for an empty text)."""
    n_chars = len("".join(text.split()))
    return len(_HAN.findall(text)) / n_chars if n_chars else 0.0


@dataclass(frozen=True)
class ParsedPlan:
    """A document cut into measures, with everything that is not a measure kept as context.

    Attributes
    ----------
    measures : the measures in document order.
    context : paragraphs kept as context (preamble, section intros, duty blocks, headings
        without text of their own), with line numbers.
    furniture : web-page furniture and footers.
    outline : the parsed outline.
    """

    measures: list[Measure]
    context: list[Paragraph]
    furniture: list[Paragraph]
    outline: Outline = field(repr=False)


@dataclass
class MeasureExtractor:
    """Cut a document into measures.

    Parameters
    ----------
    min_bundle_sentences : an item whose title names a theme (no task verb) is split into
        sentence measures when it has at least this many sentences.
    snippet : length of the sentence snippet used in the readable path of split measures.
    require_measures : raise :class:`NoMeasuresError` when a document yields none.
    """

    min_bundle_sentences: int = 5
    snippet: int = 16
    require_measures: bool = True

    def parse(self, text: str, plan_id: str = "", source: str = "") -> ParsedPlan:
        """Parse ``text`` into measures and context.

        Parameters
        ----------
        text : the document text.
        plan_id : written on every measure.
        source : the file name, for error messages.

        Returns
        -------
        ParsedPlan
        """
        _check_text(text)
        outline = parse_outline(text)
        state = _Walk(self, plan_id)
        state.context.extend(outline.front)
        for root in outline.roots:
            state.visit(root, [], [], in_context=False, inherited=())
        state.context.extend(outline.appendix)
        measures = state.measures
        if not outline.roots and self.require_measures:
            measures = state.paragraph_fallback(outline.front)
        if not measures and self.require_measures:
            why = (
                f"its numbered outline ({len(outline.roots)} top heading(s), e.g. "
                f"{outline.roots[0].title[:20]!r}) holds no task text (only context such as "
                "指导思想/总体要求, or text without sentence punctuation)"
                if outline.roots
                else "the document has no numbered outline (一、 （一） 1. …, 第一章 第一条, 1.1) and no task paragraphs"
            )
            share = han_share(text)
            if share < MIN_HAN_SHARE:
                why += f"; only {share:.0%} of its text is Chinese characters, and align reads Chinese plans"
            if _is_file_name(text):
                why = f"the text is the name of a file; read it with align.documents.read_document({text.strip()!r})"
            raise NoMeasuresError(f"no measures found: {why}; is this a plan?", path=source or None)
        if measures:
            self.check_language(text, plan_id, source)
        duties = table_duties(outline)
        measures = [
            replace(m, extra={**m.extra, "duty": duties[m.line]})
            if m.line in duties and not m.extra.get("duty")
            else m
            for m in measures
        ]
        measures = [self.with_attributes(m) for m in _unique_ids(measures)]
        return ParsedPlan(
            measures=measures, context=state.context, furniture=outline.furniture, outline=outline
        )

    @staticmethod
    def with_attributes(measure: Measure) -> Measure:
        """Fill the attribute fields and the binding cue of each sentence; agencies named once
        for an action (its duty block or 牵头部门 note) are inherited by measures that name none
        of their own."""
        attrs = measure_attributes(measure.text)
        lead, responsible = attrs["lead_agencies"], attrs["responsible_agencies"]
        duty = measure.extra.get("duty", "")
        if duty and not (lead or responsible):
            lead, responsible = extract_agencies(duty)
        attrs["lead_agencies"], attrs["responsible_agencies"] = lead, responsible
        return replace(measure, **attrs, binding_cues=tuple(binding_cue(s) for s in measure.sentences))

    def check_language(self, text: str, plan_id: str = "", source: str = "") -> None:
        """Warn (:class:`NotChineseWarning`) when ``text`` is hardly Chinese. Called on every read,
        from the measure cache too, so the warning does not depend on what is cached."""
        if self.require_measures and (share := han_share(text)) < MIN_HAN_SHARE:
            warnings.warn(
                f"{source or plan_id or 'the document'}: only {share:.0%} of its text is Chinese characters; "
                "align reads Chinese plans (a translation or a minority-language edition gets few measures "
                "and poor matches)",
                NotChineseWarning,
                stacklevel=3,
            )
        elif self.require_measures and (share := traditional_share(text)) >= MIN_TRADITIONAL_SHARE:
            warnings.warn(
                f"{source or plan_id or 'the document'}: written in traditional characters "
                f"({share:.0%} of its Chinese characters are traditional forms such as 發, 學, 國); align reads "
                "simplified Chinese, so items may be split apart and targets and agencies go unread: "
                "convert it to simplified characters first (e.g. with OpenCC)",
                TraditionalScriptWarning,
                stacklevel=3,
            )

    def extract(self, text: str, plan_id: str = "", source: str = "") -> list[Measure]:
        """The measures of ``text`` (see :meth:`parse`)."""
        return self.parse(text, plan_id, source).measures


def _check_text(text: object) -> None:
    """The text of a document, or a TypeError that says how to get it (notebooks pass paths,
    plans and undecoded bytes)."""
    if isinstance(text, str):
        return
    hint = ""
    if isinstance(text, bytes | bytearray):
        hint = " (decode it, or read the file with align.documents.read_document(path))"
    elif isinstance(text, PathLike):
        hint = f" (read the file with align.documents.read_document({str(text)!r}))"
    elif hasattr(text, "text") and hasattr(text, "meta"):  # a Plan
        hint = " (pass plan.text, or use Aligner().measures(plan))"
    raise TypeError(f"text must be the document's text (str), not {type(text).__name__}{hint}")


def _is_file_name(text: str) -> bool:
    name = text.strip()
    return bool(name) and "\n" not in name and len(name) <= 1024 and names_a_file(name)


def extract_measures(text: str, plan_id: str = "", source: str = "") -> list[Measure]:
    """Measures of a document with the default :class:`MeasureExtractor`."""
    return MeasureExtractor().extract(text, plan_id, source)


_AGENCY_COLUMN = re.compile(r"^(牵头|主责|责任|配合|参与|协办)(单位|部门)")
_ROLE = {
    "牵头": "牵头单位",
    "主责": "牵头单位",
    "责任": "责任单位",
    "配合": "配合单位",
    "参与": "配合单位",
    "协办": "配合单位",
}


def table_duties(outline: Outline) -> dict[int, str]:
    """Agencies named in the columns of a task table (``序号⇥重点任务⇥牵头单位⇥配合单位``): for each
    row below such a header, by line, a duty note such as ``牵头单位：县教育局；配合单位：县科协``.

    Tables reach the text as tab-separated lines (docx, doc and html readers; a copy from a
    spreadsheet); a row's measure then carries its agencies like one with a 牵头单位 note.
    """
    paragraphs = sorted(
        [*outline.front, *(p for node in outline.nodes() for p in node.paragraphs)], key=lambda p: p.line
    )
    duties: dict[int, str] = {}
    columns: list[tuple[int, str]] = []
    for para in paragraphs:
        cells = [c.strip() for c in para.text.split("\t")]
        if len(cells) < 2:
            columns = []
            continue
        header = [(i, m.group(1)) for i, c in enumerate(cells) if (m := _AGENCY_COLUMN.match(c))]
        if header:
            columns = header
            continue
        notes = [f"{_ROLE[role]}：{cells[i]}" for i, role in columns if i < len(cells) and cells[i]]
        if notes:
            duties[para.line] = "；".join(notes)
    return duties


class _Walk:
    """One pass over the outline tree, collecting measures and context."""

    def __init__(self, extractor: MeasureExtractor, plan_id: str) -> None:
        self.x = extractor
        self.plan_id = plan_id
        self.measures: list[Measure] = []
        self.context: list[Paragraph] = []

    # -- building blocks -------------------------------------------------------------------
    def add(
        self,
        ids: list[str],
        path: list[str],
        paragraphs: list[Paragraph],
        kind: str,
        duty: tuple[str, ...],
        text: str | None = None,
    ) -> None:
        body = text if text is not None else "\n".join(p.text for p in paragraphs)
        if not body.strip():
            return
        self.measures.append(
            Measure(
                plan_id=self.plan_id,
                measure_id=".".join(ids),
                path=tuple(path),
                text=body,
                sentences=tuple(split_sentences(body.replace("\n", ""))),
                kind=kind,
                section=path[0] if path else "",
                line=paragraphs[0].line if paragraphs else 0,
                extra={"duty": "\n".join(duty)} if duty else {},
            )
        )

    def snippet(self, text: str) -> str:
        _, rest = strip_marker(text)
        title, _, _ = split_title(rest, max_len=self.x.snippet)
        if len(title) > self.x.snippet:
            title = title[: self.x.snippet] + "…"
        return title

    # -- the walk ----------------------------------------------------------------------------
    def visit(
        self, node: Node, ids: list[str], path: list[str], in_context: bool, inherited: tuple[str, ...]
    ) -> None:
        ids = ids + [node.key]
        path = path + [node.title]
        depth = len(ids) - 1
        is_goal = bool(_GOAL_TITLE.match(node.title))
        in_context = (in_context or bool(_CONTEXT_TITLE.match(node.title))) and not is_goal
        head, body = node.paragraphs[0], node.paragraphs[1:]

        # Duty statements given once for an action apply to everything below it.
        duty_paras = [p for p in body if _DUTY_PARAGRAPH.match(p.text)]
        duty_blocks = [c for c in node.children if _DUTY_BLOCK.match(c.title)]
        duty = inherited + tuple(p.text for p in duty_paras)
        for block in duty_blocks:
            duty += tuple(p.text for p in block.paragraphs)
        intro_texts = [p for p in body if p not in duty_paras]

        if in_context:
            self.context.extend(node.paragraphs)
            for child in node.children:
                self.visit(child, ids, path, True, duty)
            return
        if is_goal:
            paragraphs = intro_texts or ([head] if node.inline_body else [])
            for i, para in enumerate(paragraphs, start=1):
                suffix = [f"p{i}"] if len(paragraphs) > 1 else []
                self.add(ids + suffix, path, [para], "goal", duty)
            if head not in paragraphs:
                self.context.append(head)
            self.context.extend(duty_paras)
            for child in node.children:
                self.visit(child, ids, path, False, duty)
            return

        children = [c for c in node.children if c not in duty_blocks]
        self.context.extend(duty_paras)
        for block in duty_blocks:
            self.context.extend(p for b in block.walk() for p in b.paragraphs)

        if children:
            intro_blocks = [c for c in children if _INTRO_BLOCK.match(c.title) and not c.children]
            has_intro = bool(intro_texts or node.inline_body)
            if intro_blocks:
                self.context.extend([head] + intro_texts)
                for block in intro_blocks:
                    self.add(ids + [block.key], path, block.paragraphs, "intro", duty)
            elif has_intro and depth > 0 or has_intro and self._carries_numbers(intro_texts):
                self.add(ids, path, [head] + intro_texts, "intro", duty)
            else:
                self.context.extend([head] + intro_texts)
            for child in children:
                if child in intro_blocks:
                    continue
                if _MEASURE_BLOCK.match(child.title) and child.children:
                    # a "措施" block is transparent: its items are this action's measures
                    self.context.extend(child.paragraphs)
                    for grandchild in child.children:
                        self.visit(grandchild, ids + [child.key], path, False, duty)
                else:
                    self.visit(child, ids, path, False, duty)
            return
        self.leaf(node, ids, path, head, intro_texts, duty)

    def leaf(
        self,
        node: Node,
        ids: list[str],
        path: list[str],
        head: Paragraph,
        body: list[Paragraph],
        duty: tuple[str, ...],
    ) -> None:
        # A duty note in parentheses right after an item belongs to that item.
        groups: list[list[Paragraph]] = [[head]]
        for para in body:
            if _DUTY_PARAGRAPH.match(para.text) or not groups[-1]:
                groups[-1].append(para)
            else:
                groups.append([para])
        if len(groups) > 1 and not node.inline_body and len(groups[0]) == 1:
            # heading line alone ("(一)加强组织领导。"), then several paragraphs: one measure each
            self.context.append(head)
            groups = groups[1:]
            for i, group in enumerate(groups, start=1):
                self.add(ids + [f"p{i}"], path + [self.snippet(group[0].text)], group, "item", duty)
            return
        if len(groups) > 1:
            for i, group in enumerate(groups, start=1):
                sub = [f"p{i}"] if i > 1 else []
                label = [self.snippet(group[0].text)] if i > 1 else []
                self.add(ids + sub, path + label, group, "item", duty)
            return
        text = "\n".join(p.text for p in groups[0])
        sentences = split_sentences(text.replace("\n", ""))
        if len(sentences) >= self.x.min_bundle_sentences and not _starts_with_task_verb(node.title):
            self.bundle(ids, path, groups[0], sentences, duty)
            return
        self.add(ids, path, groups[0], "item", duty)

    def bundle(
        self,
        ids: list[str],
        path: list[str],
        paragraphs: list[Paragraph],
        sentences: list[str],
        duty: tuple[str, ...],
    ) -> None:
        """A theme item listing many tasks: one measure per sentence, the title with the first."""
        # A short title-like sentence ("完善表彰奖励机制。", the item's own title) heads the
        # sentence after it rather than standing alone.
        units: list[str] = []
        pending = ""
        for i, sentence in enumerate(sentences):
            limit = 30 if i == 0 else 15
            if len(strip_marker(sentence)[1]) <= limit and i + 1 < len(sentences):
                pending += sentence
                continue
            units.append(pending + sentence)
            pending = ""
        notes = [u for u in units if _DUTY_PARAGRAPH.match(u)]
        duty = duty + tuple(notes)
        self.context.extend(Paragraph(text=u, line=paragraphs[0].line) for u in notes)
        units = [u for u in units if u not in notes]
        for i, unit in enumerate(units, start=1):
            label = path[-1] if i == 1 else self.snippet(unit)
            self.add(
                ids + [f"s{i}"],
                path[:-1] + [label] if i == 1 else path + [label],
                paragraphs,
                "task",
                duty,
                unit,
            )

    def _carries_numbers(self, paragraphs: list[Paragraph]) -> bool:
        return any(re.search(r"\d+(\.\d+)?\s*(%|％|个|家|所|场|次|万|名|人)", p.text) for p in paragraphs)

    def paragraph_fallback(self, paragraphs: list[Paragraph]) -> list[Measure]:
        """No outline at all: every substantial paragraph is a measure (kind ``clause``)."""
        kept = [p for p in paragraphs if len(p.text) >= 30 and re.search(r"[。；]", p.text)]
        for i, para in enumerate(kept, start=1):
            self.add([f"p{i}"], [self.snippet(para.text)], [para], "clause", ())
        self.context[:] = [p for p in self.context if p not in kept]
        return self.measures


def _unique_ids(measures: list[Measure]) -> list[Measure]:
    """Documents repeat numbers by mistake; keep ids unique with a ``~2`` suffix."""
    seen: dict[str, int] = {}
    out = []
    for m in measures:
        n = seen.get(m.measure_id, 0) + 1
        seen[m.measure_id] = n
        out.append(m if n == 1 else replace(m, measure_id=f"{m.measure_id}~{n}"))
    return out
