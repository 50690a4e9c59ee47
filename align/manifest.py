"""Links read from the plan documents themselves: what a plan cites, what its header says of it,
and the manifest these imply (the manifest file itself is read by :mod:`align.corpus`).

Citations
---------
:func:`extract_citations` finds every 《title》 and document number (``国发〔2021〕9号``) a document
cites; :func:`cited_parents` keeps those of its preamble that a sentence takes as a basis (根据,
贯彻落实 …): the candidates for its parent. :func:`normalize_doc_number` and :func:`normalize_title`
make numbers and titles comparable, and :func:`cites` says whether a citation names a manifest plan.

Header
------
:func:`document_info` reads a document's own title, number, issuer, date, jurisdiction and level
from its header. :func:`level_of` gives the level of an issuing body (``国务院`` national,
``江西省人民政府`` provincial, ``九江市人民政府`` municipal, ``邵阳市大祥区人民政府`` county);
:func:`citation_level` that of a cited document.

Uses
----
:func:`check_parents` warns where the manifest's parent disagrees with what a document cites (a run
adds these warnings to its notes). :func:`infer_manifest` drafts a manifest for a folder of
documents (``align manifest --infer``): each document's parent is the cited document of the lowest
level still above its own.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from align.errors import AlignWarning, InputError
from align.models import MANIFEST_COLUMNS, PlanMeta, level_rank

_DOC_NUMBER_RE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,12}?)\s*[〔\[【［(（]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]】］)）]"
    r"\s*(?P<number>\d{1,4})\s*号"
)
_TITLE_RE = re.compile(r"《(?P<title>[^《》\n]{2,120})》")
_ISSUER_BEFORE_RE = re.compile(
    r"(?P<issuer>中共中央办公厅、国务院办公厅|中共中央、国务院|中共中央|国务院办公厅|国务院"
    r"|[\u4e00-\u9fff]{2,16}?(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室))$"
)
_BASIS_RE = re.compile(r"根据|依据|按照|贯彻|落实|遵照|结合")
_TOP_HEADING_RE = re.compile(r"^\s*一\s*[、.．]", re.MULTILINE)
_NATIONAL_ISSUERS = ("中共中央", "国务院", "中办", "国办", "全国")
_NATIONAL_NUMBER_RE = re.compile(r"^(?:国|中|国办|中办|厅字|国科|科协)")
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
_JURISDICTION_RE = re.compile(
    r"^(?:中共)?(?P<j>(?:[\u4e00-\u9fff]{1,10}?(?:自治区|省|自治州|市|州|盟|地区|县|区|旗))+)"
)


@dataclass(frozen=True)
class Citation:
    """A document cited by a plan: a 《title》, a document number, or both.

    Parameters
    ----------
    title : the cited title without 《》 (may be empty).
    doc_number : the document number normalised to ``〔year〕`` brackets (may be empty).
    issuer : the issuing body written just before the title (``国务院``), when any.
    line : the 1-based line of the citation.
    basis : True when the citation is in a sentence that takes it as a basis (根据, 贯彻落实 …).
    """

    title: str
    doc_number: str = ""
    issuer: str = ""
    line: int = 0
    basis: bool = False


def normalize_doc_number(text: str) -> str:
    """``湘政办发【2021】74号`` → ``湘政办发〔2021〕74号`` (brackets and spaces unified)."""
    match = _DOC_NUMBER_RE.search(unicodedata.normalize("NFKC", text).replace("〔", "[").replace("〕", "]"))
    if not match:
        return ""
    return f"{match['prefix']}〔{match['year']}〕{int(match['number'])}号"


def normalize_title(title: str) -> str:
    """A title for comparison: NFKC, no spaces or 《》, dashes and brackets unified."""
    title = unicodedata.normalize("NFKC", title)
    title = re.sub(r"\s+", "", title).strip("《》")
    title = re.sub(r"[—–－―~〜]+", "-", title)
    return title.replace("〔", "[").replace("〕", "]")


def _title_core(title: str) -> tuple[str, str]:
    """(issuer, core) of a normalised title: ``X关于印发Y的通知`` → (X, Y)."""
    match = re.match(r"^(?P<issuer>.*?)关于印发(?P<core>.+?)(?:的通知|的函)?$", title)
    if match:
        return match["issuer"], match["core"].strip("《》")
    return "", title


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(ch, 0, start) for ch in "。\n")
    right = min((i for i in (text.find(ch, end) for ch in "。\n") if i >= 0), default=len(text))
    return text[left + 1 : right]


def extract_citations(text: str) -> list[Citation]:
    """Every 《title》 and document number a document cites, in order.

    A document number right after a title (``《…的通知》（国发〔2021〕9号）``) belongs to it; a
    number alone is a citation without a title.
    """
    citations: list[Citation] = []
    used: set[int] = set()
    numbers = list(_DOC_NUMBER_RE.finditer(text))
    for match in _TITLE_RE.finditer(text):
        number = ""
        for candidate in numbers:
            gap = text[match.end() : candidate.start()]
            if candidate.start() >= match.end() and len(gap) <= 2 and re.fullmatch(r"[\s(（]*", gap):
                number = normalize_doc_number(candidate.group(0))
                used.add(candidate.start())
                break
        issuer_match = _ISSUER_BEFORE_RE.search(text[max(0, match.start() - 20) : match.start()])
        sentence = _sentence_around(text, match.start(), match.end())
        citations.append(
            Citation(
                title=match["title"].strip(),
                doc_number=number,
                issuer=issuer_match["issuer"] if issuer_match else "",
                line=_line_of(text, match.start()),
                basis=bool(_BASIS_RE.search(sentence[: max(sentence.find("《"), 0)] or sentence)),
            )
        )
    for candidate in numbers:
        if candidate.start() in used:
            continue
        sentence = _sentence_around(text, candidate.start(), candidate.end())
        citations.append(
            Citation(
                title="",
                doc_number=normalize_doc_number(candidate.group(0)),
                line=_line_of(text, candidate.start()),
                basis=bool(_BASIS_RE.search(sentence)),
            )
        )
    citations.sort(key=lambda c: c.line)
    return citations


@dataclass(frozen=True)
class DocumentInfo:
    """What a document says about itself in its header.

    Parameters
    ----------
    title : the plan's title (the 《X》 of ``关于印发《X》的通知``, or X of ``关于印发X的通知``).
    doc_number : its own document number.
    issuer : the issuing body.
    issued : the date written in the header, ``YYYY-MM-DD``.
    jurisdiction : the jurisdiction of the issuer (``江西省``, ``邵阳市大祥区``).
    level : national | provincial | municipal | county, or ``""``.
    """

    title: str
    doc_number: str
    issuer: str
    issued: str
    jurisdiction: str
    level: str


def level_of(name: str) -> tuple[str, str]:
    """(jurisdiction, level) of an issuing body or title.

    ``国务院`` → national; ``江西省人民政府``, ``广西壮族自治区科学技术厅`` → provincial;
    ``九江市人民政府`` → municipal; ``邵阳市大祥区人民政府办公室`` → county.
    """
    name = unicodedata.normalize("NFKC", name).strip()
    if any(name.startswith(body) for body in _NATIONAL_ISSUERS):
        return "", "national"
    match = _JURISDICTION_RE.match(name)
    if not match:
        return "", ""
    jurisdiction = match["j"]
    if jurisdiction in _MUNICIPALITIES or jurisdiction.endswith(("省", "自治区")):
        return jurisdiction, "provincial"
    if jurisdiction.endswith(("县", "区", "旗")):
        return jurisdiction, "county"
    return jurisdiction, "municipal"


_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})\s*日?")


def document_info(text: str, header_lines: int = 30) -> DocumentInfo:
    """Read a document's own title, number, issuer, date and level from its header (the date also
    from the print line at its foot, ``2022年1月7日印发``).

    Parameters
    ----------
    text : the document's text.
    header_lines : non-empty lines searched for the header (the body's first ``一、`` ends it earlier).
    """
    text = unicodedata.normalize("NFKC", text)
    heading = _TOP_HEADING_RE.search(text)
    header_text = text[: heading.start()] if heading else text
    lines = [ln.strip() for ln in header_text.splitlines() if ln.strip()][:header_lines]

    doc_number = ""
    for line in lines:
        if "《" in line or _BASIS_RE.search(line.split("号")[0]):
            continue
        number = normalize_doc_number(line)
        if number:
            doc_number = number
            break

    issuer = ""
    for line in lines:
        labelled = re.search(r"发文(?:单位|机关)\s*[:：]\s*([^|｜\s]+)", line)
        if labelled:
            issuer = labelled.group(1)
            break
    notices = []
    for line in lines:
        compact = re.sub(r"\s+", "", line)
        if "关于印发" in compact:
            compact = re.sub(r"^.*>", "", compact)  # web breadcrumbs: 首页>…>
            notices.append(re.sub(r"^标题[:：]", "", compact).split("|")[0])
    complete = [n for n in notices if "的通知" in n]
    notice = (complete or notices or [""])[0]
    if not issuer and notice:
        issuer = notice.split("关于印发")[0]
    if not issuer:
        for line in reversed(lines):
            if re.search(r"(人民政府|办公厅|办公室|委员会)\s*$", line):
                issuer = re.sub(r"\s+", "", line)
                break

    title = ""
    core = notice.split("关于印发", 1)[1] if notice else ""
    quoted = _TITLE_RE.search(core)
    if quoted:
        title = quoted["title"]
    if not title:
        for line in lines:
            quoted = re.search(r"现将《([^》]+)》|^《([^》]+)》已经", line)
            if quoted:
                title = quoted.group(1) or quoted.group(2)
                break
    if not title and core:
        title = re.sub(r"的通知.*$", "", core)
    if not title and lines:
        title = lines[0]

    issued = ""
    dated = [ln for ln in lines if re.search(r"成文日期", ln)] + [
        ln for ln in lines if re.fullmatch(r"[^\d]{0,30}?" + _DATE_RE.pattern + r"\s*", ln)
    ]
    dated += [ln for ln in lines if "发布日期" in ln]
    # the print line at the foot of an official document: "江西省人民政府办公厅秘书处 2022年1月7日印发"
    footer = [ln.strip() for ln in text.splitlines()[-40:] if ln.strip()]
    dated += [ln for ln in footer if re.search(_DATE_RE.pattern + r"\s*印发\s*$", ln)]
    for line in dated:
        match = _DATE_RE.search(line.split("成文日期")[-1] if "成文日期" in line else line)
        if match:
            issued = f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}"
            break

    jurisdiction, level = level_of(issuer) if issuer else ("", "")
    if not level:
        jurisdiction, level = level_of(title)
    return DocumentInfo(
        title=normalize_title(title) if title else "",
        doc_number=doc_number,
        issuer=issuer,
        issued=issued,
        jurisdiction=jurisdiction,
        level=level,
    )


def cited_parents(text: str) -> list[Citation]:
    """The documents a plan cites as its basis: candidates for its parent.

    Citations in the preamble (before the first ``一、`` heading) that a sentence takes as a basis
    (根据, 依据, 按照, 贯彻落实 …), without the document's own title.
    """
    heading = _TOP_HEADING_RE.search(text)
    limit = _line_of(text, heading.start()) if heading else _line_of(text, len(text))
    own = document_info(text)
    found = []
    for citation in extract_citations(text):
        if citation.line >= limit or not citation.basis:
            continue
        if citation.title and own.title and normalize_title(citation.title) == own.title:
            continue
        if citation.doc_number and citation.doc_number == own.doc_number:
            continue
        found.append(citation)
    return found


def citation_level(citation: Citation) -> str:
    """The level of a cited document, from its issuer, document number or title."""
    if citation.issuer:
        level = level_of(citation.issuer)[1]
        if level:
            return level
    if citation.doc_number and _NATIONAL_NUMBER_RE.match(citation.doc_number):
        return "national"
    if citation.title:
        issuer, _ = _title_core(normalize_title(citation.title))
        level = level_of(issuer or citation.title)[1]
        if level:
            return level
    return ""


def cites(citation: Citation, meta: PlanMeta) -> bool:
    """Whether ``citation`` designates the plan of ``meta`` (same document number, or same title)."""
    if citation.doc_number and meta.doc_number:
        return citation.doc_number == normalize_doc_number(meta.doc_number)
    if not citation.title or not meta.title:
        return False
    cited, known = normalize_title(citation.title), normalize_title(meta.title)
    if cited == known:
        return True
    cited_issuer, cited_core = _title_core(cited)
    known_issuer, known_core = _title_core(known)
    if cited_core != known_core:
        return False
    issuer = cited_issuer or citation.issuer
    if not issuer or not meta.level:
        return True
    return level_of(issuer)[1] in ("", meta.level)


class _CitedIndex:
    """Plans indexed by what a citation can designate them by (document number, title core), so
    that each citation is compared with the few plans it may name rather than with all of them:
    checking or inferring parents stays linear in the number of plans."""

    def __init__(self, plans: Iterable[PlanMeta]) -> None:
        self._plans = list(plans)
        self._keys: dict[tuple[str, str], list[int]] = defaultdict(list)
        for k, plan in enumerate(self._plans):
            if plan.doc_number:
                self._keys["number", normalize_doc_number(plan.doc_number)].append(k)
            if plan.title:
                self._keys["title", _title_core(normalize_title(plan.title))[1]].append(k)

    def cited(self, citations: Iterable[Citation]) -> list[PlanMeta]:
        """The plans that any of ``citations`` designates (:func:`cites`), in their order."""
        found: set[int] = set()
        for citation in citations:
            keys = [("number", citation.doc_number)] if citation.doc_number else []
            if citation.title:
                keys.append(("title", _title_core(normalize_title(citation.title))[1]))
            found.update(
                k for key in keys for k in self._keys.get(key, ()) if cites(citation, self._plans[k])
            )
        return [self._plans[k] for k in sorted(found)]


def check_parents(plans: Sequence[PlanMeta], texts: Mapping[str, str]) -> list[str]:
    """Warnings where the manifest's parent disagrees with what the document cites.

    Parameters
    ----------
    plans : the manifest.
    texts : ``{plan_id: text}`` of the plans with text.

    Returns
    -------
    One message per disagreement: the manifest's parent is not cited (while other manifest plans
    or parent-like documents are), or the document cites a manifest plan closer to it than the
    manifest's parent.
    """
    by_id = {p.plan_id: p for p in plans}
    index = _CitedIndex(plans)
    warnings = []
    for meta in plans:
        text = texts.get(meta.plan_id)
        if not text:
            continue
        citations = cited_parents(text)
        cited_plans = [p for p in index.cited(citations) if p.plan_id != meta.plan_id]
        parent = by_id.get(meta.parent_id) if meta.parent_id else None
        if meta.parent_id and parent is None:
            continue
        if parent is None:
            higher = [p for p in cited_plans if level_rank(p.level) < level_rank(meta.level)]
            if higher:
                names = ", ".join(p.plan_id for p in higher)
                warnings.append(f"plan {meta.plan_id}: no parent in the manifest, but it cites {names}")
            continue
        if parent in cited_plans:
            closer = [
                p
                for p in cited_plans
                if level_rank(parent.level) < level_rank(p.level) < level_rank(meta.level)
            ]
            if closer:
                names = ", ".join(f"{p.plan_id} ({p.level})" for p in closer)
                warnings.append(
                    f"plan {meta.plan_id}: the manifest's parent is {parent.plan_id} ({parent.level}), "
                    f"but the document also cites {names}, closer to it"
                )
            continue
        if not citations or not (parent.title or parent.doc_number):
            continue  # nothing of the parent to recognise a citation by
        listed = "; ".join(
            (f"《{c.title}》" if c.title else "") + (f"（{c.doc_number}）" if c.doc_number else "")
            for c in citations
        )
        warnings.append(
            f"plan {meta.plan_id}: the manifest's parent {parent.plan_id} "
            f"({parent.title or parent.doc_number or parent.jurisdiction}) is not cited by the document; "
            f"it cites {listed}"
        )
    return warnings


def folder_documents(folder: str | Path, suffixes: Sequence[str] | None = None) -> list[Path]:
    """The documents of a folder that :func:`infer_manifest` reads, in name order.

    Parameters
    ----------
    folder : an existing folder.
    suffixes : the file suffixes read (default: the document formats of ``align.documents.FORMATS``
        except ``.csv``).

    Files that align wrote there (listed in the folder's output ledger, such as a compare's
    ``alignment.html``) are no plans and are left out.
    """
    from align.documents import FORMATS
    from align.fileio import read_ledger

    folder = Path(folder)
    wanted = {s.lower() for s in suffixes} if suffixes is not None else set(FORMATS) - {".csv"}
    try:
        _, written = read_ledger(folder)
        named = sorted(p for p in folder.iterdir() if p.suffix.lower() in wanted and p.name not in written)
        documents = [p for p in named if p.is_file()]
    except OSError as exc:  # a folder that may not be listed: once reported as "cannot write"
        raise InputError(f"cannot be read: {exc.strerror or exc}", folder) from None
    for path in named:
        if not path.is_file():  # named like a document, but nothing to read: say so, not silently
            what = (
                "a folder"
                if path.is_dir()
                else "a link leading nowhere"
                if path.is_symlink() and not path.exists()
                else "not a regular file (a pipe or device?)"
            )
            warnings.warn(f"{path}: skipped, it is {what}", AlignWarning, stacklevel=2)
    return documents


def infer_manifest(
    folder: str | Path,
    read: Callable[[Path], str] | None = None,
    suffixes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Draft a manifest for a folder of documents.

    Each document's title, number, date, jurisdiction and level come from its header
    (:func:`document_info`); its parent is the cited document (:func:`cited_parents`) of the lowest
    level still above its own, preferring documents of the folder. Cited parents that are not in
    the folder get rows with an empty ``file``.

    Parameters
    ----------
    folder : the documents.
    read : how to read one document (default: :func:`align.documents.read_document`).
    suffixes : the file suffixes read (default: the document formats of ``align.documents.FORMATS``
        except ``.csv``).

    Returns
    -------
    The manifest columns (``plan_id, file, jurisdiction, level, parent_id, title, issued,
    doc_number``) plus ``notes`` saying how the parent was found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", folder)
    from align.documents import read_document

    reader = read or read_document
    files = folder_documents(folder, suffixes)
    docs: list[tuple[PlanMeta, list[Citation]]] = []
    for path in files:
        text = reader(path)
        info = document_info(text)
        meta = PlanMeta(
            plan_id=path.stem.split("_")[0] if "_" in path.stem else path.stem,
            file=path.name,
            jurisdiction=info.jurisdiction,
            level=info.level,
            title=info.title,
            issued=info.issued,
            doc_number=info.doc_number,
        )
        docs.append((meta, cited_parents(text)))

    index = _CitedIndex(meta for meta, _ in docs)
    absent: list[PlanMeta] = []
    rows = []
    for meta, citations in docs:
        candidates: list[tuple[int, int, PlanMeta, str]] = []
        own_level = meta.level
        for citation in citations:
            match = next((other for other in index.cited([citation]) if other is not meta), None)
            if match is not None:
                level, found = match.level, match
                how = f"cites {found.file}"
                if level == own_level == "municipal" and found.jurisdiction not in ("", meta.jurisdiction):
                    # a 市 whose plan implements another city's is a county-level city (县级市)
                    # under it; its name alone reads like a city's
                    own_level = "county"
                    how += f"; taken as a county-level city (县级市) under {found.jurisdiction}"
            else:
                level = citation_level(citation)
                found = next((a for a in absent if cites(citation, a)), None) or PlanMeta(
                    plan_id=citation.doc_number or normalize_title(citation.title),
                    file="",
                    jurisdiction=level_of(_title_core(normalize_title(citation.title))[0] or citation.issuer)[
                        0
                    ],
                    level=level,
                    title=normalize_title(citation.title),
                    doc_number=citation.doc_number,
                )
                how = "cites a document not in the folder"
            if not level or level_rank(level) >= level_rank(own_level):
                continue
            # Closest level first, then documents of the folder, then citation order.
            candidates.append((-level_rank(level), 0 if found.file else 1, found, how))
        parent_id, notes = "", "no cited parent of a higher level"
        if candidates:
            candidates.sort(key=lambda c: (c[0], c[1]))
            _, _, found, how = candidates[0]
            parent_id, notes = found.plan_id, how
            if not found.file and all(a.plan_id != found.plan_id for a in absent):
                absent.append(found)
        row = asdict(meta)
        row.update(level=own_level, parent_id=parent_id, notes=notes)
        rows.append(row)
    for meta in absent:
        row = asdict(meta)
        row["notes"] = "cited, not in the folder"
        rows.append(row)
    return pd.DataFrame(rows, columns=[*MANIFEST_COLUMNS, "notes"])
