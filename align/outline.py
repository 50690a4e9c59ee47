"""Parse the outline of a Chinese official document into a tree of headings and paragraphs.

Official documents number their headings in a fixed family of styles::

    一、                  (level marker "cn")      section
    （一） / (一) / 一）  ("pcn")                  action, project
    1. / 1． / 1、        ("num")                  task item
    （1） / (1) / 1）     ("pnum")
    ① ②                  ("circ")
    —— / ─                ("dash")                 bullet

Plans written like regulations or reports use two more families::

    第一章 / 第一部分 ("chapter"), 第一节 ("section"), 第一条 ("article")
    1.1 / 2.1.3     ("dec2", "dec3", "dec4": decimal numbering, by depth)

Documents skip levels and mix full- and half-width forms, so the nesting is not fixed by the
style: a style seen for the first time opens a level below the current one, a style already on
the stack closes everything below it (the usual reading of such documents).

The parser first rebuilds paragraphs (PDF and web copies break lines in the middle of a sentence,
often at page ends), sets aside web-page furniture and the document's header and footer, then
builds the tree. Attachments after the plan (附件1 …) and page numbers left in PDF copies stay out of
the tree. It never drops text: every character it does not put in the tree is kept in
``Outline.front``, ``Outline.furniture`` or ``Outline.appendix`` with its line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CN_NUM = "一二三四五六七八九十百零〇"
_OPEN = "(（"
_CLOSE = ")）"

_ORDINAL = rf"第\s*([{CN_NUM}]{{1,4}}|[0-9０-９]{{1,3}})\s*"
_AFTER_ORDINAL = r"\s*[、，,．.:：]?\s*"
# A decimal number opens a heading unless a unit follows it (2.5万人, 1.5倍, 2.0版).
_DECIMAL_UNIT = "万亿千百十个人次名家所场项倍元年月日届期版级米吨度小"

# Each style: (name, regex matching the marker at the start of a stripped line), highest first:
# the highest style a document uses starts its outline.
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"^{_ORDINAL}(章|部分|篇|编){_AFTER_ORDINAL}")),
    ("section", re.compile(rf"^{_ORDINAL}节{_AFTER_ORDINAL}")),
    ("cn", re.compile(rf"^([{CN_NUM}]{{1,3}})\s*[、，,．.]\s*")),
    ("article", re.compile(rf"^{_ORDINAL}条{_AFTER_ORDINAL}")),
    ("pcn", re.compile(rf"^[{_OPEN}]?\s*([{CN_NUM}]{{1,3}})\s*[{_CLOSE}]\s*[、，,．.]?\s*")),
    # "2 重点任务" is a heading, "10 个基地" (a PDF copy's line break before a count) is not
    (
        "num",
        re.compile(
            rf"^([0-9０-９]{{1,2}})\s*(?:[.．、，,](?![0-9０-９])|\s+(?=[\u4e00-\u9fff])(?![{_DECIMAL_UNIT}]))\s*"
        ),
    ),
    (
        "dec",
        re.compile(
            r"^([1-9１-９][0-9０-９]?(?:[.．][1-9１-９][0-9０-９]?){1,3})[.．]?"
            rf"\s*(?=[\u4e00-\u9fff])(?![{_DECIMAL_UNIT}])"
        ),
    ),
    # ⑴ ⑵ (one character each) are written for （1）（2）
    ("pnum", re.compile(rf"^(?:[{_OPEN}]?\s*([0-9０-９]{{1,2}})\s*[{_CLOSE}]|([\u2474-\u2487]))\s*")),
    ("circ", re.compile(r"^([\u2460-\u2473\u3251-\u325f])\s*")),
    # a single dash before a digit continues a range broken over two lines (2021\n—2035年)
    ("dash", re.compile(r"^(——|──|—(?![—0-9０-９])|--|－－)\s*(?=\S)")),
)

# Sentence ends: a paragraph not ending with one of these continues on the next line
# (a page or line break in the middle of a sentence).
_TERMINAL = '。；;！!？?：:」』”’"）)】'
_SENTENCE_SPLIT = re.compile(r"(?<=[。；;！!？?])")

# Web-page furniture and document-footer lines: kept, but outside the outline.
_FURNITURE = re.compile(
    r"^(首页\s*>|当前位置|您的位置|发布日期|发布时间|来源[:：]|访问次数|浏览次数|字体[:：]?|【?字号|打印|关闭|"
    r"分享到|扫一扫|文件下载|附件下载|相关链接|Baidu|map$|发文单位[:：]|标\s*题[:：]|发文字号[:：]|"
    r"索\s*引\s*号|主题分类|成文日期|主\s*题\s*词)",
    re.IGNORECASE,
)
_FURNITURE_FIELD = re.compile(
    r"^(?:【|\[|\()?\s*(?:"
    r"(?:发布|更新|发表)(?:日期|时间)\s*[:：].*|(?:访问|浏览|阅读|点击)(?:次数|量|数)\s*[:：].*|"
    r"(?:来源|信息来源|作者|编辑|责任编辑|供稿)\s*[:：].*|字体\s*[:：]?\s*[【\[]?\s*(?:[大中小]\s*[】\]]?\s*[【\[]?\s*)*|"
    r"[大中小]|打印(?:本页|此页|文章|页面)?|关闭(?:窗口|本页|页面)?|返回顶部|收藏(?:本页)?|"
    r"分享到?\s*[:：]?.*|扫一扫.*|(?:当前|您现在的|您的)位置\s*[:：].*|首页\s*[>＞»].*|"
    r"(?:上一篇|下一篇)\s*[:：].*|(?:版权所有|网站标识码|技术支持\s*[:：]).*|.*ICP备.*|.*公网安备.*|"
    r"(?:主办|承办|协办)(?:单位)?\s*[:：].*"
    r")\s*(?:】|\]|\))?$"
)


def is_furniture_line(line: str) -> bool:
    """Whether a line of a web page is site furniture rather than document text.

    A line is furniture when every ``|``-separated field of it is: ``发布日期：…``, ``访问次数：…``,
    ``来源：…``, ``字体：大 中 小``, ``【打印】``, ``【关闭】``, breadcrumbs (``首页 > …``,
    ``当前位置：…``), share and copyright lines. A field such as ``发文字号：…`` or ``成文日期：…``
    is document metadata and keeps its line.

    Parameters
    ----------
    line : one line of text.

    Returns
    -------
    True for a furniture line.
    """
    if len(line) > 300:  # furniture lines are short; plan paragraphs run to thousands of characters
        return False
    fields = [f.strip(" \t\u3000\xa0") for f in re.split(r"[|｜]|\s{2,}|\u3000+|】\s*(?=【)", line)]
    fields = [f for f in fields if f]
    if not fields:
        return False
    return all(
        _FURNITURE_FIELD.match(f + ("】" if f.startswith("【") and not f.endswith("】") else ""))
        for f in fields
    )


# Page numbers left in a text copied out of a PDF ("— 3 —", "-5-", "第 2 页 共 10 页", "3/10",
# a bare "12"): set aside, and the sentence they cut continues on the next line.
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|\d{1,4}|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$"
)
# The start of an attachment (附件1, 附件：…, 附表) after the plan's own text: a task-division table
# or a list of names there restates or annexes the plan, it is no part of its outline.
_APPENDIX = re.compile(r"^附\s*(?:件|表)?\s*[0-9０-９一二三四五六七八九十]{0,3}\s*(?:[:：]|$)")
# A table of contents ("目  录", "一、总体要求……………1", "（一）主要目标\t3"): its entries repeat the
# headings, so they are set aside like page numbers rather than opened as empty headings.
_TOC_TITLE = re.compile(r"^目\s*录$")
_TOC_LEADER = re.compile(r"(?:[.．…·•_]{2,}|[-—]{3,})\s*\d{1,4}$")
_TOC_TAB = re.compile(r"^[^\t]{1,60}\t\s*\d{1,4}$")


def _is_toc_entry(line: str) -> bool:
    return bool(
        _TOC_TITLE.match(line)
        or (len(line) <= 120 and _TOC_LEADER.search(line))
        or (_TOC_TAB.match(line) and strip_marker(line)[0] is not None)
    )


# A date as signed under a document: 2022年10月31日, or 二〇二二年十月三十一日 in older ones.
_DATE = r"[0-9〇○零一二三四五六七八九]{4}\s*年\s*[0-9一二三四五六七八九十]{1,2}\s*月\s*[0-9一二三四五六七八九十]{1,3}\s*日"
_DATE_LINE = re.compile(rf"^{_DATE}\s*$")
_SIGNATURE = re.compile(r"^[^。；;，,：:！!？?、（(]{2,30}$")
_FOOTER = re.compile(
    r"^(抄送[:：]|抄报[:：]|主送[:：]|（此件|\(此件|此件|.*办公厅秘书处\s*$|.*办公室秘书科\s*$|"
    rf"{_DATE}\s*(印发|印)?\s*$)"
)


@dataclass
class Paragraph:
    """A paragraph of the document, rebuilt from one or more physical lines."""

    text: str
    line: int  # 1-based line where it starts
    marker: str = ""  # the heading marker as written ("1.", "（一）"), "" for body text
    style: str = ""  # marker style name, "" for body text
    number: str = ""  # the marker's numeral ("一", "1", "①", "—")


@dataclass
class Node:
    """A heading of the outline with its own paragraphs and its sub-headings.

    ``title`` is the heading's first sentence without the marker (``推进基础教育阶段科学教育工作``);
    ``paragraphs`` hold the heading paragraph itself first, then body paragraphs before the
    first child heading.
    """

    style: str
    number: str
    title: str
    line: int
    paragraphs: list[Paragraph] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    key: str = ""  # the id element ("三", "(二)", "2", "—1")

    @property
    def inline_body(self) -> str:
        """Text on the heading's own line after its title sentence."""
        head = self.paragraphs[0].text if self.paragraphs else ""
        _, _, body = split_title(strip_marker(head)[1])
        return body

    def walk(self) -> list[Node]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass
class Outline:
    """A parsed document: the front matter, the heading tree and the context left outside it."""

    roots: list[Node]
    front: list[Paragraph]  # title, addressees, issuing notice, preamble before the first heading
    furniture: list[Paragraph]  # web-page furniture and document footers
    lines: int = 0
    appendix: list[Paragraph] = field(default_factory=list)  # 附件 after the outline: kept, no tree

    def nodes(self) -> list[Node]:
        out: list[Node] = []
        for root in self.roots:
            out.extend(root.walk())
        return out


def strip_marker(text: str) -> tuple[tuple[str, str, str] | None, str]:
    """Split a leading heading marker off ``text``.

    Returns
    -------
    ((style, number, marker) or None, rest of the text)
    """
    stripped = text.lstrip(" \t\u3000\u2002\u00a0")
    for style, pattern in MARKERS:
        match = pattern.match(stripped)
        if match:
            number = next(group for group in match.groups() if group)
            if style == "dash":
                number = "—"
            number = number.translate(_FULLWIDTH_DIGITS)
            if style == "dec":  # 1.1 and 1.1.1 are different levels
                number = number.replace("．", ".")
                style = f"dec{number.count('.') + 1}"
            return (style, number, match.group(0).strip()), stripped[match.end() :]
    return None, stripped


_FULLWIDTH_DIGITS: dict[int, str] = {
    **{ord(ch): str(i) for i, ch in enumerate("０１２３４５６７８９")},
    **{0x2474 + i: str(i + 1) for i in range(20)},  # ⑴ … ⒇
}


def split_title(text: str, max_len: int = 60) -> tuple[str, str, str]:
    """Split a heading paragraph into (title, separator, body) at its first sentence end.

    A heading written as the first sentence of a paragraph (``1. 推进…工作。完善…``) has a short
    first sentence; a long first sentence is no title and the whole text is the title.
    """
    match = re.search(r"[。：:；;！!？?]", text)
    if not match or match.start() > max_len:
        return text.strip(), "", ""
    return text[: match.start()].strip(), match.group(0), text[match.end() :].strip()


def _is_heading_like(text: str) -> bool:
    """A line without a sentence end that is short enough to be a title."""
    return len(text) <= 40 and not re.search(r"[，,。；;]", text)


def split_sentences(text: str) -> list[str]:
    """Split at 。；！？ keeping the punctuation; drop empty pieces."""
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s.strip()]


# A heading marker in the middle of a line, after a sentence end or a space: where a line break
# was lost (text copied out of a web page or PDF as one long line).
# "（一）" needs nothing before it: a title that ran into it has no sentence end of its own.
_INLINE_HEADING = re.compile(
    rf"(?<=[。；;！!？?：:）)\s])(?=[{CN_NUM}]{{1,3}}[、．.]|[0-9０-９]{{1,2}}[.．、](?![0-9０-９])"
    rf"|[{_OPEN}]\s*[0-9０-９]{{1,2}}\s*[{_CLOSE}]|[\u2460-\u2473]|——(?=\S)"
    rf"|第[{CN_NUM}]{{1,4}}(?:章|节|条|部分))"
    rf"|(?<=.)(?=[{_OPEN}]\s*[{CN_NUM}]{{1,3}}\s*[{_CLOSE}])"
)
# Only lines this long with at least this many inline markers are split: ordinary paragraphs
# keep inline enumerations such as "；（1）…；（2）…" as they are.
_FLATTENED_MIN_CHARS = 400
_FLATTENED_MIN_MARKERS = 3


def restore_line_breaks(line: str) -> list[str]:
    """Split a line that holds several outline headings (lost line breaks) before each of them.

    Parameters
    ----------
    line : one physical line of the document.

    Returns
    -------
    The pieces, stripped; ``[line]`` when the line does not look flattened.
    """
    if len(line) < _FLATTENED_MIN_CHARS:
        return [line]
    cuts = [m.start() for m in _INLINE_HEADING.finditer(line)]
    if len(cuts) < _FLATTENED_MIN_MARKERS:
        return [line]
    pieces = [line[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
    return [piece for piece in pieces if piece]


def rebuild_paragraphs(text: str) -> list[Paragraph]:
    """Physical lines → paragraphs: join a line to the previous one when the previous one stops
    in the middle of a sentence and the line starts no heading (page breaks in PDF copies); split
    a long line before the headings written inside it (line breaks lost in web or PDF copies).
    Pieces of a split line keep its line number. Page-number and table-of-contents lines are
    returned in place but do not end the sentence they interrupt."""
    paragraphs, set_aside = _rebuild(text)
    return sorted(paragraphs + set_aside, key=lambda p: p.line) if set_aside else paragraphs


def _rebuild(text: str) -> tuple[list[Paragraph], list[Paragraph]]:
    """:func:`rebuild_paragraphs`, with the page-number and table-of-contents lines apart."""
    paragraphs: list[Paragraph] = []
    set_aside: list[Paragraph] = []  # page numbers and table-of-contents lines
    open_sentence = False  # previous paragraph stops mid-sentence
    bare_marker = False  # previous paragraph is a heading marker without its title
    lines = (
        (number, piece)
        for number, raw in enumerate(text.split("\n"), start=1)
        for piece in restore_line_breaks(raw)
    )
    for number, raw in lines:
        line = raw.strip(" \t\u3000\u2002\u00a0\r\ufeff")
        if not line:
            continue
        if _PAGE_NUMBER.match(line) or _is_toc_entry(line):
            set_aside.append(Paragraph(text=line, line=number))
            continue
        marker, rest = strip_marker(line)
        if marker is None and paragraphs and bare_marker and not _is_site_furniture(line):
            # a marker alone on its line ("（一）" / "实施青少年…"): the title follows on the next
            para = paragraphs[-1]
            para.text = para.text + line
            line, marker, rest, bare_marker = para.text, (para.style, para.number, para.marker), line, False
        elif marker is None and open_sentence and paragraphs and not _is_site_furniture(line):
            prev = paragraphs[-1]
            prev.text = prev.text + line
            open_sentence = not prev.text.endswith(tuple(_TERMINAL))
            continue
        else:
            para = Paragraph(text=line, line=number)
            if marker is not None:
                para.style, para.number, para.marker = marker
            paragraphs.append(para)
            bare_marker = marker is not None and not rest.strip()
        # Headings and short title-like lines are complete as they are; only body text continues.
        heading_only = marker is not None and len(rest) <= 40 and not re.search(r"[。；;]", rest)
        open_sentence = (
            not heading_only
            and not line.endswith(tuple(_TERMINAL))
            and not _is_heading_like(line)
            and not _is_site_furniture(line)
        )
    return paragraphs, set_aside


def _is_site_furniture(line: str) -> bool:
    """Web-page furniture (a text copied from a site keeps its 【打印】, 上一篇：…, ICP lines) and
    document metadata lines."""
    return bool(_FURNITURE.match(line)) or is_furniture_line(line)


# Rank of each style, highest first ("dec" stands for its depths dec2 … dec4).
_RANK = {
    name: rank
    for rank, name in enumerate(
        n for style, _ in MARKERS for n in ((f"dec{d}" for d in (2, 3, 4)) if style == "dec" else (style,))
    )
}


def _key(style: str, number: str, marker: str, index: int) -> str:
    if style == "pcn" or style == "pnum":
        return f"({number})"
    if style == "dash":
        return f"—{index}"
    if style in ("chapter", "section", "article"):  # 第一章, 第二节, 第三条: as written
        return re.sub(r"[\s、，,．.:：]", "", marker)
    if style.startswith("dec"):  # 2.1.3 under 2.1: the last number
        return number.rsplit(".", 1)[-1]
    return number


# Front matter before a plan (a notice's points, a table of contents) is a small part of the text.
_FRONT_SHARE = 0.25


def _chars(paragraphs: list[Paragraph]) -> int:
    return sum(len(p.text) for p in paragraphs)


def _outline_span(body: list[Paragraph], begin: int) -> tuple[int, int]:
    """Where the outline of ``body[begin:]`` starts and ends.

    It starts at the first heading of the highest style used; the front matter (title,
    addressees, notice, preamble) comes before it. It ends at an attachment line (附件1, 附件：)
    after its start; one announced in the front matter does not end it.
    """
    styles = [p.style for p in body[begin:] if p.style and p.style != "dash"]
    start = len(body)
    if styles:
        top = min(styles, key=lambda s: _RANK[s])
        start = next(i for i in range(begin, len(body)) if body[i].style == top)
    end = next(
        (
            i
            for i in range(start, len(body))
            if not body[i].style and len(body[i].text) <= 60 and _APPENDIX.match(body[i].text)
        ),
        len(body),
    )
    return start, end


def parse_outline(text: str) -> Outline:
    """Parse a document's text into an :class:`Outline`.

    Parameters
    ----------
    text : the document text (original characters; full- and half-width both handled).

    Returns
    -------
    Outline with the heading tree; paragraphs before the first top-level heading are ``front``.
    """
    paragraphs, set_aside = _rebuild(text)
    site = [_is_site_furniture(p.text) for p in paragraphs]
    furniture = sorted(
        set_aside + [p for p, aside in zip(paragraphs, site, strict=True) if aside], key=lambda p: p.line
    )
    body = [p for p, aside in zip(paragraphs, site, strict=True) if not aside]

    start, end = _outline_span(body, 0)
    for _ in range(8):  # a notice, a table of contents: a few rounds; never quadratic on odd text
        # A notice with numbered points of its own, then 附件 and the plan it issues: the plan is
        # the document (by far the larger part); the notice is front matter.
        if end < len(body) and _chars(body[start:end]) < _FRONT_SHARE * _chars(body[end:]):
            attached = _outline_span(body, end + 1)
            if attached[0] < len(body):  # the attachment has an outline: it is the plan
                start, end = attached
                continue
        # The same without 附件, or a table of contents without page numbers: the top numbering
        # starts again (一、 … 二、 … 一、), and the part before the restart is a small one (two
        # plans in one file, or a plan and a long annex, keep their outline).
        first = body[start] if start < len(body) else None
        restart = next(
            (
                i
                for i in range(start + 1, end)
                if first and body[i].style == first.style and body[i].number == first.number
            ),
            None,
        )
        if restart is not None and _chars(body[start:restart]) < _FRONT_SHARE * _chars(body[restart:end]):
            start, end = _outline_span(body, restart)
            continue
        break
    front = body[:start]
    appendix = body[end:]

    roots: list[Node] = []
    stack: list[Node] = []
    dash_count: dict[int, int] = {}
    for para in body[start:end]:
        if para.style:
            # find the level: a style on the stack closes what is below it
            depth = next((i for i, n in enumerate(stack) if n.style == para.style), None)
            if depth is not None:
                del stack[depth:]
            parent_id = id(stack[-1]) if stack else 0
            dash_count[parent_id] = dash_count.get(parent_id, 0) + (para.style == "dash")
            _, rest = strip_marker(para.text)
            title, _, _ = split_title(rest)
            node = Node(
                style=para.style,
                number=para.number,
                title=title,
                line=para.line,
                paragraphs=[para],
                key=_key(para.style, para.number, para.marker, dash_count[parent_id]),
            )
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)
        elif stack:
            stack[-1].paragraphs.append(para)
        else:  # pragma: no cover - start is the first heading
            front.append(para)

    # Footer lines after the outline (抄送, 印发 dates) are furniture, not body text; so are the
    # signatures above a date (the issuing bodies' names: short lines without punctuation).
    if roots:
        last = roots[-1].walk()[-1]
        dated = False
        while len(last.paragraphs) > 1:
            text = last.paragraphs[-1].text
            if _FOOTER.match(text):
                dated = dated or bool(_DATE_LINE.match(text))
            elif not (dated and _SIGNATURE.match(text)):
                break
            furniture.append(last.paragraphs.pop())
    return Outline(
        roots=roots, front=front, furniture=furniture, lines=text.count("\n") + 1, appendix=appendix
    )
