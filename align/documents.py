"""Documents in, plain text out: every plan document becomes the text a reader sees.

Plans come in whatever form a government website or office offers them: GBK text, Word files with
automatic numbering and tracked changes, PDFs, web pages with their site furniture, MHT archives.
Everything downstream (the outline parser first) reads plain text, so each format is read here,
once, and a document that cannot be read is rejected here with an error naming it.

:func:`read_document` turns a plan document into text for the outline parser:

* ``.txt`` (and any text file) in UTF-8 (with or without BOM), GBK/GB18030, UTF-16/32 or whatever
  charset-normalizer recognises. UTF-8 wins whenever the bytes are valid UTF-8; Chinese text in
  a GB encoding is always decoded as GB18030 (a superset of GB2312 and GBK), never as a Latin codec.
* ``.docx`` (python-docx): paragraphs and tables in document order, one table row a line with the
  cells separated by tabs; tracked insertions, content controls, text boxes, equations and embedded
  HTML parts (``w:altChunk``) included, tracked deletions, hidden text, ruby guides and a table of
  contents left out.
* ``.doc`` and ``.wps`` (Word 97–2003 binary, which WPS also writes), per [MS-DOC] with olefile
  for the OLE container: the main document only (no footnotes, headers, comments or text boxes),
  paragraphs as lines, table rows as lines of tab-separated cells, of a field its result (a
  hyperlink's text) and not its code, a table of contents left out. Formatting is not read, so
  tracked deletions and hidden text are kept, list numbers that Word generates are missing and an
  empty table cell ends its row early. Word 6.0/95 files, encrypted ones and Office/WPS binaries
  that hold no Word document (Excel, PowerPoint, old WPS) get a clear error, a damaged one an
  error saying so.
* ``.pdf`` with a text layer (pdfplumber): its lines as pdfplumber reads them, the lines of a
  paragraph joined where the layout shows it (as for OFD, below), page numbers left out; a PDF
  without text gets an error saying it looks scanned, one whose fonts have no Unicode mapping an
  error saying so, and one with some scanned pages a :class:`PartialTextWarning`.
* ``.html``/``.htm``/``.shtml``: the page text without its site furniture (navigation, header,
  footer, scripts, breadcrumbs, link lists, ``发布日期``/``访问次数``/``字体 大中小``/``打印``/``关闭`` lines).
* MHT/MHTML web archives (a MIME message): the page in it and the pages it frames, read as HTML;
  other pages in the archive and a truncated archive get a :class:`PartialTextWarning`.
* ``.ofd`` (GB/T 33190, read with ofdkit): the text objects of the pages and their templates, in
  lines by position, the lines of a paragraph joined where the layout shows it, page numbers left
  out; an encrypted OFD, one without text (scanned: it needs OCR) and a damaged one get a clear
  error, unreadable or scanned pages among others a :class:`PartialTextWarning`. Annotations are
  not read.
* anything else is sniffed: PDF, DOCX, Word 97–2003 (an OLE compound file), OFD, MHT and HTML are
  recognised by their content whatever the file is called; a password-protected ``.docx``, a
  damaged ZIP, RTF, images and other binaries get a clear error. A file named ``.doc`` that
  is a web page or text (as portals often serve them) is read as one.

The text keeps the characters the user sees: full-width and half-width forms are *not* folded.
Only a BOM, zero-width spaces, terminal colour codes and control characters (except newline and
tab) are removed, line ends (and vertical tabs, form feeds) become ``\\n`` and Kangxi radicals
(which some PDF producers emit for 一, 人, 工 …) become the ordinary ideographs. For ``.txt``
files, line *n* of the text is line *n* of the file (counting vertical tabs and form feeds as
line ends).

Every problem is an :class:`~align.errors.InputError` naming the file.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import charset_normalizer
from bs4 import BeautifulSoup, Comment, NavigableString, PageElement, Tag, XMLParsedAsHTMLWarning

from align.errors import AlignWarning, InputError
from align.outline import is_furniture_line, strip_marker

MIN_PLAN_CHARS = 200
"""Fewer non-space characters than this cannot be a plan (an empty export, a truncated download)."""

FORMATS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".docx": "docx",
    ".doc": "doc",
    ".wps": "doc",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".xhtml": "html",
    ".mht": "mht",
    ".mhtml": "mht",
    ".ofd": "ofd",
}
"""File suffix → reader. Other suffixes are sniffed from the content."""


# ---------------------------------------------------------------------------------------------
# Text clean-up and decoding


_NEWLINES = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# terminal colour codes and other ANSI CSI sequences (text copied from a terminal): ESC [ … letter
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def _is_dropped_control(ch: str) -> bool:
    return ch not in "\n\t" and (unicodedata.category(ch) in {"Cc", "Cs"} or is_noncharacter(ch))


def is_noncharacter(ch: str) -> bool:
    # U+FFFE, U+FFFF (and their kin in every plane), U+FDD0–U+FDEF: never text, and no XML
    # output (graph.graphml, report.xlsx) may hold them
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


# the characters clean_text drops or maps: category Cc (C0, DEL and C1: a fixed set) except
# \n and \t, lone surrogates, noncharacters, and the radicals; one regex scan finds whether a
# text has any
_DROPPED_OR_RADICAL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2e80-\u2fdf\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)


def _unify_radical(ch: str) -> str:
    # Kangxi radicals (U+2F00–U+2FD5) and CJK radical supplements look like ideographs; NFKC maps
    # them to the ideograph a reader sees. Nothing else is folded.
    return unicodedata.normalize("NFKC", ch) if "\u2e80" <= ch <= "\u2fdf" else ch


def clean_text(text: str) -> str:
    """Normalise line ends to ``\\n`` and drop what no reader sees, keeping every visible character.

    Parameters
    ----------
    text : decoded document text.

    Returns
    -------
    The text without BOM, zero-width spaces, terminal colour codes (``ESC[0m``) and control
    characters other than ``\\n`` and ``\\t``; ``\\r\\n``, ``\\r``, vertical tabs (Word's manual line
    break), form feeds and Unicode line separators become ``\\n``. Kangxi radicals become
    the ordinary ideographs. Full-width and half-width forms are left as they are.
    """
    text = _NEWLINES.sub("\n", text).replace("\ufeff", "").replace("\u200b", "")  # BOM, zero-width space
    if _DROPPED_OR_RADICAL.search(text):
        text = _ANSI_ESCAPE.sub("", text) if "\x1b" in text else text
        text = "".join(_unify_radical(ch) for ch in text if not _is_dropped_control(ch))
    return text


BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
"""Byte-order marks as ``(bytes, codec, name)``, longest first (a UTF-32 LE mark starts like a
UTF-16 LE one); the manifest is decoded with them too."""
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "euc_cn", "hz"})


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name.replace("-", "_")
    except LookupError:
        return encoding.lower().replace("-", "_")


def _looks_like_text(text: str) -> bool:
    """No NUL, few control characters, few unassigned or private-use code points."""
    if not text:
        return False
    if "\x1b" in text:  # terminal colour codes are text, not binary
        text = _ANSI_ESCAPE.sub("", text)
    bad = sum(  # counted per distinct character: a document uses a few thousand of them
        n
        for ch, n in Counter(text).items()
        if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") and ch not in "\n\r\t\x0b\x0c\x85"
    )
    return bad <= max(2, len(text) // 200)


# the private-use areas: code points a font may give its glyphs, which stand for no character
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")


def _plausible_gb_text(text: str) -> bool:
    """GB-decoded bytes that read as Chinese: almost all non-ASCII characters are common (GB2312).

    Random high bytes decoded as GB18030 land in GB2312 only ~85% of the time; real Chinese text
    (the seed plans) is above 99%.
    """
    if not _looks_like_text(text):
        return False
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return False
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common >= 0.95 * len(wide)


class DecodeWarning(AlignWarning):
    """A document was decoded, but some of its bytes were damaged and replaced."""


class PartialTextWarning(AlignWarning):
    """A document was read, but part of its text is missing (PDF pages that are scanned images or
    in fonts without a Unicode mapping, a Word document's embedded part it cannot read, a truncated
    web archive)."""


def _almost_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 text with a few damaged bytes (≤ 1% of its non-ASCII characters): the text with U+FFFD
    in their place and the number of bad sequences; None for anything else."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    wide = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    if bad > 0 and wide >= 20 and bad <= 0.01 * wide and _looks_like_text(text):
        return text, bad
    return None


def _almost_gb(data: bytes) -> tuple[str, int] | None:
    """GB18030 Chinese text with a few damaged bytes (≤ 1% of its non-ASCII characters, as for
    :func:`_almost_utf8`): the text with U+FFFD in their place and the number of bad sequences;
    None for anything else."""
    text = data.decode("gb18030", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode("gb18030"))
    wide = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    if bad > 0 and wide >= 20 and bad <= 0.01 * wide and _plausible_gb_text(text.replace("\ufffd", "")):
        return text, bad
    return None


def _mixed_utf8_gb(data: bytes) -> tuple[str, list[int]] | None:
    """Text whose lines are each UTF-8 or GB18030 Chinese (lines pasted from a GBK file into a UTF-8
    one, or the reverse): the text and the 1-based numbers of the GB18030 lines; None unless both
    kinds are there, every line decodes as one of them and the GB18030 lines read as Chinese."""
    lines: list[str] = []
    gb_lines: list[int] = []
    utf8_wide: list[str] = []
    for number, line in enumerate(data.split(b"\n"), 1):
        try:
            lines.append(line.decode("utf-8"))
            if not line.isascii():
                utf8_wide.append(lines[-1])
        except UnicodeDecodeError:
            try:
                lines.append(line.decode("gb18030"))
            except UnicodeDecodeError:
                return None
            gb_lines.append(number)
    if not gb_lines or not utf8_wide:
        return None
    text = "\n".join(lines)
    gb_text = "\n".join(lines[n - 1] for n in gb_lines)
    # both parts read as Chinese: a GBK line that happens to be valid UTF-8 reads as rare letters
    if _looks_like_text(text) and _plausible_gb_text(gb_text) and _plausible_gb_text("\n".join(utf8_wide)):
        return text, gb_lines
    return None


def _gb_truncated(data: bytes) -> bool:
    """Whether the bytes are GB18030 Chinese text cut off in the middle of its last character."""
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as exc:
        if exc.reason != "incomplete multibyte sequence" or exc.start < len(data) - 3:
            return False
        try:
            return _plausible_gb_text(data[: exc.start].decode("gb18030"))
        except UnicodeDecodeError:
            return False
    return False


def decode_text(data: bytes, path: str | Path, declared: str | None = None) -> str:
    """Decode the bytes of a text document.

    Parameters
    ----------
    data : the file's bytes (not empty).
    path : the file, named in errors.
    declared : an encoding the file declares (an HTML ``<meta charset>``), tried after UTF-8.

    Returns
    -------
    The decoded text (not yet cleaned).

    Order: a byte-order mark; strict UTF-8; lines each in UTF-8 or GB18030 (with a
    :class:`DecodeWarning` naming the GB18030 lines); UTF-8 with a few damaged bytes (replaced by U+FFFD,
    with a :class:`DecodeWarning`); the declared encoding (except a single-byte Latin charset
    declared over bytes that read as GBK Chinese, a common CMS default); GB18030 when the bytes read as
    Chinese, also with a few damaged bytes (replaced, with a :class:`DecodeWarning`);
    charset-normalizer's best guess when the result looks like text. Otherwise the file
    is binary or in an unknown encoding and an :class:`InputError` says so. Text cut off in the
    middle of its last UTF-8 or GB18030 character is an :class:`InputError` saying it is truncated.
    """
    for bom, encoding, name in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"starts with a {name} byte-order mark but is not valid {name} "
                    f"({exc.reason} at byte {exc.start}); the file may be truncated or corrupted",
                    path,
                ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            raise InputError(
                "is truncated: it ends in the middle of a UTF-8 character (an interrupted download?)", path
            ) from None
    else:
        # private-use code points (a PDF's or a web font's own glyph codes, copied as text) are
        # no sign of binary: read_document says what they are
        if _looks_like_text(text) or _looks_like_text(_PRIVATE_USE.sub(" ", text)):
            return text
    mixed = _mixed_utf8_gb(data)
    if mixed is not None:
        text, gb_lines = mixed
        shown = ", ".join(map(str, gb_lines[:5])) + (
            f" and {len(gb_lines) - 5} more" if len(gb_lines) > 5 else ""
        )
        warnings.warn(
            f"{path}: mixes two encodings: line(s) {shown} are GBK/GB18030, the others UTF-8 (text pasted "
            "from another file?); each line was read in its own",
            DecodeWarning,
            stacklevel=2,
        )
        return text
    damaged = _almost_utf8(data)
    if damaged is not None:
        text, bad = damaged
        warnings.warn(
            f"{path}: {bad} invalid UTF-8 byte sequence(s) replaced by \ufffd (the file is damaged there)",
            DecodeWarning,
            stacklevel=2,
        )
        return text
    try:
        gb_text = data.decode("gb18030")
    except UnicodeDecodeError:
        if _gb_truncated(data):
            raise InputError(
                "is truncated: it ends in the middle of a GBK/GB18030 character (an interrupted download?)",
                path,
            ) from None
        gb_text, gb_damage = _almost_gb(data) or ("", 0)
    else:
        gb_damage = 0
    if declared:
        codec = _codec_name(declared)
        codec = "gb18030" if codec in _GB_FAMILY else codec
        try:
            text = data.decode(codec)
        except (UnicodeError, LookupError, ValueError):  # a bogus or non-text codec name
            pass
        else:
            # a single-byte (Latin) declaration over GBK bytes, a common CMS default, reads as
            # mojibake without one Chinese character: GB18030 wins when it reads as Chinese
            single_byte = len(text) == len(data) and not data.isascii()
            if _looks_like_text(text) and not (single_byte and gb_text and _plausible_gb_text(gb_text)):
                return text
    if gb_text and (gb_damage or _plausible_gb_text(gb_text)):
        if gb_damage:
            warnings.warn(
                f"{path}: {gb_damage} invalid GBK/GB18030 byte sequence(s) replaced by \ufffd (the file is "
                "damaged there)",
                DecodeWarning,
                stacklevel=2,
            )
        return gb_text
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        codec = _codec_name(best.encoding)
        text = (gb_text or data.decode("gb18030", errors="replace")) if codec in _GB_FAMILY else str(best)
        if _looks_like_text(text):
            return text
    raise InputError(
        "is binary or in an unknown text encoding (tried UTF-8, UTF-16, GB18030/GBK and charset "
        "detection); save it as UTF-8 text, .docx, .doc, .pdf or .html",
        path,
    )


# ---------------------------------------------------------------------------------------------
# Format sniffing


_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
_HTML_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.IGNORECASE | re.DOTALL,
)

_DOCX_MAIN_TYPE = b"wordprocessingml.document.main+xml"
# a MIME message (what IE and Word save as .mht/.mhtml): header lines, one of them MIME-Version,
# and a multipart or web page body, maybe after a BOM or blank lines
_MIME_START = re.compile(
    r"(?:\xef\xbb\xbf)?\s*(?:[!-9;-~]+:.*\n(?:[ \t].*\n)*)*?MIME-Version:.*\n(?:.*\n)*?"
    r".*(?:multipart/|text/html)",
    re.IGNORECASE,
)
_MIME_HEADER = re.compile(rb"^(?:MIME-Version|Content-Type):", re.IGNORECASE | re.MULTILINE)


def sniff_format(data: bytes) -> str | None:
    """The format the bytes are in when their content says so.

    Parameters
    ----------
    data : the file's bytes (the first few kilobytes are enough, except for ZIP archives).

    Returns
    -------
    ``"pdf"``, ``"docx"`` (a Word package: ``word/document.xml`` or a main part declared in
    ``[Content_Types].xml``), ``"ofd"`` (GB/T 33190), ``"zip"`` (another ZIP-based format),
    ``"zip-damaged"`` (a truncated or corrupt ZIP archive), ``"ole"`` (an OLE compound file: a Word
    97–2003 .doc/.wps, or another legacy Office / WPS binary),
    ``"ole-encrypted"`` (a password-protected Office file), ``"rtf"``, ``"image:PNG"`` (or JPEG,
    GIF, TIFF, BMP), ``"mht"`` (an MHT/MHTML web archive, a MIME message), ``"html"`` for a page
    that starts like one (ASCII-compatible encodings), or ``None`` for anything else (text or
    unknown binary).
    """
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "word/document.xml" in names:
                    return "docx"
                if "OFD.xml" in names:
                    return "ofd"
                # the main part may have another name (word/document2.xml): the package says which
                types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        except Exception:  # zipfile raises BadZipFile, EOFError, zlib.error … for a damaged archive
            return "zip-damaged"
        return "docx" if _DOCX_MAIN_TYPE in types else "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # Office encrypts a password-protected .docx into an OLE container with this stream
        return "ole-encrypted" if "EncryptedPackage".encode("utf-16-le") in data else "ole"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    for magic, name in _IMAGE_MAGIC:
        if data.startswith(magic):
            return f"image:{name}"
    if _MIME_START.match(data[:4096].decode("latin-1")):
        return "mht"
    if _HTML_START.match(head.decode("latin-1")):
        return "html"
    return None


# an XML declaration first (BOM and blank lines allowed): data or a Word XML file, not a page
_XML_START = re.compile(r"^[\ufeff\s]*<\?xml\s", re.IGNORECASE)
_WORD_XML = re.compile(r'progid="Word\.Document"|<w:(?:wordDocument|document)\b')


def _looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:2048]))


# ---------------------------------------------------------------------------------------------
# Readers


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    if n < 0 or n >= 1000:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    head = _CN_DIGITS[hundreds] + "百"
    if not rest:
        return head
    if rest < 10:
        return head + "零" + _CN_DIGITS[rest]
    tens, ones = divmod(rest, 10)
    return head + _CN_DIGITS[tens] + "十" + (_CN_DIGITS[ones] if ones else "")


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = ""
    for value, letters in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        count, n = divmod(n, value)
        out += letters * count
    return out


def _letters(n: int) -> str:
    if n <= 0:
        return str(n)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_list_number(n: int, fmt: str) -> str:
    """A Word list number (``w:numFmt``) as displayed: ``chineseCounting`` 3 → 三, ``decimalEnclosedCircle``
    3 → ③, ``ideographTraditional`` 3 → 丙, ``upperRoman`` 3 → III; unknown formats as decimal."""
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "japaneseCounting",
        "taiwaneseCounting",
        "ideographDigital",
        "koreanCounting",
    ):
        return _chinese_number(n)
    if fmt == "chineseLegalSimplified":
        return _chinese_number(n).translate(
            str.maketrans("一二三四五六七八九十百零", "壹贰叁肆伍陆柒捌玖拾佰零")
        )
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt == "ideographZodiac" and 1 <= n <= 12:
        return "子丑寅卯辰巳午未申酉戌亥"[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalEnclosedParen" and 1 <= n <= 20:
        return chr(0x2474 + n - 1)
    if fmt == "decimalEnclosedFullstop" and 1 <= n <= 20:
        return chr(0x2488 + n - 1)
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    return str(n)


class _DocxNumbering:
    """Word's automatic list numbers (一、 （一） 1. ①), which python-docx leaves out of the text.

    Parameters
    ----------
    document : the python-docx Document.
    """

    def __init__(self, document: object) -> None:
        # (numId, ilvl) -> (numFmt, lvlText, start, suffix)
        self.levels: dict[tuple[str, int], tuple[str, str, int, str]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element  # type: ignore[attr-defined]
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int, str]]] = {}
        for node in root.findall(f"{_W}abstractNum"):
            abstract[node.get(f"{_W}abstractNumId", "")] = self._levels(node)
        for num in root.findall(f"{_W}num"):
            num_id = num.get(f"{_W}numId", "")
            levels = dict(abstract.get(self._val(num.find(f"{_W}abstractNumId")), {}))
            for override in num.findall(f"{_W}lvlOverride"):
                ilvl = self._int(override.get(f"{_W}ilvl"), 0)
                levels.update(self._levels(override))
                start = override.find(f"{_W}startOverride")
                if start is not None and ilvl in levels:
                    fmt, text, _, suffix = levels[ilvl]
                    levels[ilvl] = (fmt, text, self._int(self._val(start), 1), suffix)
            for ilvl, spec in levels.items():
                self.levels[(num_id, ilvl)] = spec

    @staticmethod
    def _val(node: object) -> str:
        return "" if node is None else str(node.get(f"{_W}val", ""))  # type: ignore[attr-defined]

    @staticmethod
    def _int(text: str | None, default: int) -> int:
        try:
            return int(text or "")
        except ValueError:
            return default

    def _levels(self, node: object) -> dict[int, tuple[str, str, int, str]]:
        out: dict[int, tuple[str, str, int, str]] = {}
        for lvl in node.findall(f"{_W}lvl"):  # type: ignore[attr-defined]
            out[self._int(lvl.get(f"{_W}ilvl"), 0)] = (
                self._val(lvl.find(f"{_W}numFmt")) or "decimal",
                self._val(lvl.find(f"{_W}lvlText")),
                self._int(self._val(lvl.find(f"{_W}start")), 1),
                self._val(lvl.find(f"{_W}suff")) or "tab",
            )
        return out

    def _num_pr(self, paragraph: object) -> tuple[str, int] | None:
        element = paragraph._p  # type: ignore[attr-defined]
        num_pr = element.find(f"{_W}pPr/{_W}numPr")
        style = paragraph.style  # type: ignore[attr-defined]
        while num_pr is None and style is not None:
            num_pr = style.element.find(f"{_W}pPr/{_W}numPr")
            style = style.base_style
        if num_pr is None:
            return None
        num_id = self._val(num_pr.find(f"{_W}numId"))
        if not num_id or num_id == "0":
            return None
        return num_id, self._int(self._val(num_pr.find(f"{_W}ilvl")), 0)

    def label(self, paragraph: object) -> str:
        """The number Word shows before ``paragraph`` (advancing the list's counters), or ``""``."""
        key = self._num_pr(paragraph)
        if key is None or key not in self.levels:
            return ""
        num_id, ilvl = key
        fmt, text, start, suffix = self.levels[key]
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else start
        for deeper in [level for level in counters if level > ilvl]:
            del counters[deeper]
        if fmt in ("bullet", "none") or not text:
            return ""

        def number(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            spec = self.levels.get((num_id, level))
            if spec is None:
                return ""
            return format_list_number(counters.get(level, spec[2]), spec[0])

        label = re.sub(r"%([1-9])", number, text)
        if suffix == "nothing" or label.endswith(("、", "．", "。")):
            return label
        return label + " "


_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# inside a paragraph: tracked deletions and moved-away text are not what the reader sees,
# properties hold no text, and ruby guide text (pinyin over its base) is not part of the sentence
_DOCX_HIDDEN = frozenset(
    {f"{_W}del", f"{_W}moveFrom", f"{_W}pPr", f"{_W}rPr", f"{_W}sdtPr", f"{_W}rt", f"{_M}rPr", f"{_M}ctrlPr"}
)
# the styles Word gives the entries of a table of contents: TOC1 … TOC9 ("toc 1", "目录 1")
_DOCX_TOC_STYLE = re.compile(r"^\s*(?:toc|目录)\s*[1-9]\s*$", re.IGNORECASE)
# block-level wrappers whose paragraphs and tables are part of the document: content controls,
# custom XML, tracked insertions
_DOCX_BLOCK_WRAPPERS = frozenset(
    {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}ins", f"{_W}moveTo", f"{_W}smartTag"}
)


def _docx_branch(alternate: Any) -> Any:
    """The branch of ``mc:AlternateContent`` to read: its first ``mc:Choice`` (modern Word's
    markup), else its ``mc:Fallback`` (the VML copy of the same content)."""
    choice = alternate.find(f"{_MC}Choice")
    return choice if choice is not None else alternate.find(f"{_MC}Fallback")


def _docx_is_toc_control(sdt: Any) -> bool:
    """Whether a content control is Word's table of contents (a "Table of Contents" building block)."""
    gallery = sdt.find(f"{_W}sdtPr/{_W}docPartObj/{_W}docPartGallery")
    return gallery is not None and (gallery.get(f"{_W}val") or "").strip().lower() == "table of contents"


_DOCX_BLOCK_TAGS = (f"{_W}p", f"{_W}tbl", f"{_W}altChunk")


def _docx_blocks(container: Any, tags: tuple[str, ...] = _DOCX_BLOCK_TAGS) -> Iterator[Any]:
    """The paragraphs (``w:p``), tables (``w:tbl``) and embedded documents (``w:altChunk``) of a
    body, table cell, text box or content control in document order, including those inside
    block-level content controls (``w:sdt``) and custom XML, but not a table of contents control.
    With ``tags``, the rows of a table (``w:tr``) or the cells of a row (``w:tc``) likewise."""
    for child in container:
        tag = child.tag
        if tag in tags:
            yield child
        elif tag in _DOCX_BLOCK_WRAPPERS:
            if tag == f"{_W}sdt" and _docx_is_toc_control(child):
                continue
            yield from _docx_blocks(child, tags)
        elif tag == f"{_MC}AlternateContent":
            branch = _docx_branch(child)
            if branch is not None:
                yield from _docx_blocks(branch, tags)


def _docx_hidden_run(run: Any) -> bool:
    """Whether a run is hidden text (``w:vanish`` in its properties), which Word does not show."""
    vanish = run.find(f"{_W}rPr/{_W}vanish")
    return vanish is not None and (vanish.get(f"{_W}val") or "true").lower() not in ("0", "false", "off")


def _docx_in_toc(fields: list[str]) -> bool:
    return any(instruction.lstrip().upper().startswith("TOC") for instruction in fields)


def _docx_runs(element: Any, pieces: list[str], boxes: list[Any], fields: list[str] | None = None) -> None:
    """Collect the text of a paragraph's runs in document order into ``pieces``, and its text
    boxes (``w:txbxContent``) into ``boxes``.

    Runs count inside tracked insertions, content controls, hyperlinks, smart tags, custom XML
    and fields; deleted text (``w:del``, ``w:moveFrom``), hidden text (``w:vanish``) and ruby
    guide text (``w:rt``) do not; equations (``m:oMath``) give their ``m:t`` text. python-docx
    gives a run's text with tabs and line breaks as ``\\t`` and ``\\n``. Of a drawing in
    ``mc:AlternateContent``, only one branch is read, so a text box is not read twice (DrawingML
    and its VML fallback). ``fields`` is the stack of the complex fields open at this point (their
    instructions), carried from paragraph to paragraph: the result of a ``TOC`` field (a table of
    contents) is left out.
    """
    if fields is None:
        fields = []
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _DOCX_HIDDEN:  # comments, processing instructions
            continue
        if tag == f"{_W}r":
            for mark in child.iterchildren(f"{_W}fldChar", f"{_W}instrText"):
                kind = mark.get(f"{_W}fldCharType")
                if kind == "begin":
                    fields.append("")
                elif kind == "end":
                    if fields:
                        fields.pop()
                elif mark.tag == f"{_W}instrText" and fields:
                    fields[-1] += mark.text or ""
            if _docx_hidden_run(child):
                continue
            if not _docx_in_toc(fields):
                pieces.append(child.text or "")  # python-docx's CT_R.text: w:t, w:tab, w:br, w:cr …
        if tag == f"{_M}t":
            if not _docx_in_toc(fields):
                pieces.append(child.text or "")
        elif tag == f"{_W}fldSimple" and (child.get(f"{_W}instr") or "").lstrip().upper().startswith("TOC"):
            continue
        elif tag == f"{_W}txbxContent":
            boxes.append(child)
        elif tag == f"{_MC}AlternateContent":
            branch = _docx_branch(child)
            if branch is not None:
                _docx_runs(branch, pieces, boxes, fields)
        else:  # a run holds drawings and pictures (text boxes); wrappers hold runs
            _docx_runs(child, pieces, boxes, fields)


def _docx_alt_chunk(document: Any, chunk: Any, path: Path) -> list[str]:
    """The lines of an embedded document (``w:altChunk``) when it is a web page, MHT or plain text;
    a :class:`PartialTextWarning` (and no lines) for anything else."""
    rid = chunk.get(_R_ID)
    part = document.part.related_parts.get(rid) if rid else None
    if part is None:
        warnings.warn(
            f"{path}: has an embedded document (altChunk) whose part is missing, so its text is missing",
            PartialTextWarning,
            stacklevel=3,
        )
        return []
    kind = (part.content_type or "").lower()
    name = str(part.partname).lower()
    blob = part.blob
    try:
        if "html" in kind or name.endswith((".htm", ".html", ".xhtml")):
            return html_to_text(_decode_page(blob, path)).split("\n")
        if kind in ("message/rfc822", "multipart/related") or name.endswith((".mht", ".mhtml")):
            return _read_mht(blob, path)[0].split("\n")
        if kind == "text/plain" or name.endswith(".txt"):
            return decode_text(blob, path).split("\n")
    except InputError as exc:
        reason = exc.message  # without the path, which the warning names already
        warnings.warn(
            f"{path}: its embedded document {part.partname} could not be read ({reason}), so its text "
            "is missing",
            PartialTextWarning,
            stacklevel=3,
        )
        return []
    warnings.warn(
        f"{path}: has an embedded document {part.partname} ({kind or 'unknown type'}) that cannot be "
        "read, so its text is missing; open the file in Word and save it again to merge it",
        PartialTextWarning,
        stacklevel=3,
    )
    return []


def _read_docx(path: Path) -> str:
    import docx
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many types for a broken package
        raise InputError(f"is not a readable .docx ({exc}); is it truncated or misnamed?", path) from None
    story = document._body  # the parent python-docx gives the body's paragraphs and tables
    fields: list[str] = []  # the complex fields open at this point of the document (instructions)

    def is_toc_entry(p: Any) -> bool:
        style = p.find(f"{_W}pPr/{_W}pStyle")
        style_id = style.get(f"{_W}val") if style is not None else None
        return bool(style_id) and style_id in toc_styles

    def paragraph_texts(p: Any, numbered: bool) -> list[str]:
        """The paragraph's text (with its list number), then the text of its text boxes."""
        pieces: list[str] = []
        boxes: list[Any] = []
        _docx_runs(p, pieces, boxes, fields)
        if is_toc_entry(p):  # read for its fields, but an entry of a table of contents is not text
            return []
        text = "".join(pieces)
        if numbered:
            label = numbering.label(Paragraph(p, story))  # advances the list even for an empty paragraph
            text = (label + text) if text.strip() else text
        texts = [text]
        for box in boxes:
            texts.extend(block_texts(box, numbered))
        return texts

    def block_texts(container: Any, numbered: bool) -> list[str]:
        texts: list[str] = []
        for block in _docx_blocks(container):
            if block.tag == f"{_W}p":
                texts.extend(paragraph_texts(block, numbered))
            elif block.tag == f"{_W}tbl":
                texts.extend(table_lines(block))
            elif not _docx_in_toc(fields):
                texts.extend(_docx_alt_chunk(document, block, path))
        return texts

    def table_lines(table: Any) -> Iterator[str]:
        # rows and cells inside content controls and custom XML count; a horizontally merged cell is
        # one w:tc, a vertically merged one keeps its text in its first row
        for row in _docx_blocks(table, (f"{_W}tr",)):
            cells: list[str] = []
            for cell in _docx_blocks(row, (f"{_W}tc",)):
                parts = block_texts(cell, numbered=True)
                cells.append(" ".join(p.strip() for p in parts if p.strip()))
            line = "\t".join(cells).strip()
            if line:
                yield line

    try:
        numbering = _DocxNumbering(document)
        toc_styles = {
            style.styleId
            for style in document.styles.element.style_lst
            if _DOCX_TOC_STYLE.match(style.styleId or "") or _DOCX_TOC_STYLE.match(style.name_val or "")
        }
        toc_styles.update(f"TOC{n}" for n in range(1, 10))
        text = "\n".join(block_texts(document.element.body, numbered=True))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"is a damaged .docx ({exc})", path) from None
    if not text.strip() and any(
        part.partname.startswith("/word/media/") for part in document.part.package.iter_parts()
    ):
        raise InputError("has pictures but no text (scanned pages?); it needs OCR first", path)
    return "\n".join(line for line in text.split("\n") if line.strip())


# ---------------------------------------------------------------------------------------------
# Word 97–2003 binary documents (.doc, and WPS .wps files in the same format), per [MS-DOC]
#
# A .doc is an OLE compound file (olefile opens it). Its ``WordDocument`` stream starts with the
# FIB, which says where the text's pieces are listed (the Clx, in the ``0Table`` or ``1Table``
# stream) and how long the main document is (ccpText); the pieces hold the text in UTF-16LE or
# in an 8-bit code page. Only the main document is read: footnotes, headers, comments and text
# boxes follow it in character positions (CPs) and are left out.


class _DocDamaged(Exception):
    """A Word binary structure that does not parse; the message says which."""


def _doc_u16(data: bytes, offset: int, what: str) -> int:
    if not 0 <= offset <= len(data) - 2:
        raise _DocDamaged(f"{what} lies outside its stream")
    return int.from_bytes(data[offset : offset + 2], "little")


def _doc_u32(data: bytes, offset: int, what: str) -> int:
    if not 0 <= offset <= len(data) - 4:
        raise _DocDamaged(f"{what} lies outside its stream")
    return int.from_bytes(data[offset : offset + 4], "little")


class _DocFib(NamedTuple):
    """What the reader needs from the FIB: the main text's length in characters, the table stream
    and where the Clx is in it; ``clx_at`` is the offset of fcClx in the FIB (0x1A2 as Word writes it)."""

    ccp_text: int
    table: str
    fc_clx: int
    lcb_clx: int
    clx_at: int


def _doc_fib(word: bytes, path: Path) -> _DocFib:
    """The FIB at the start of the ``WordDocument`` stream ([MS-DOC] 2.5.1).

    The FIB's parts have counted lengths (csw, cslw, cbRgFcLcb) that differ between Word versions
    and writers, so the offsets are computed from them, not assumed.
    """
    if _doc_u16(word, 0, "the FIB") != 0xA5EC:  # wIdent: every Word binary document starts so
        raise _DocDamaged("its WordDocument stream does not start with a Word signature")
    if _doc_u16(word, 2, "the FIB") <= 105:  # nFib: 101 Word 6.0, 104 Word 95, 193 Word 97 and later
        raise InputError("is a Word 6.0/95 (or older) document; save it as .docx and try again", path)
    flags = _doc_u16(word, 0x0A, "the FIB")
    if flags & 0x0100:  # fEncrypted (and fObfuscated: XOR-encrypted)
        raise _format_error("ole-encrypted", path)
    table = "1Table" if flags & 0x0200 else "0Table"  # fWhichTblStm
    position = 34 + 2 * _doc_u16(word, 32, "the FIB")  # csw 16-bit words of fibRgW follow csw
    cslw = _doc_u16(word, position, "the FIB")
    if cslw < 4:
        raise _DocDamaged("its FIB has no text length")
    ccp_text = _doc_u32(word, position + 2 + 4 * 3, "the FIB")  # fibRgLw[3]
    position += 2 + 4 * cslw  # cslw 32-bit words of fibRgLw follow cslw
    if _doc_u16(word, position, "the FIB") < 34:  # cbRgFcLcb: fc/lcb pairs, fcClx is pair 33
        raise _DocDamaged("its FIB has no piece table entry")
    clx_at = position + 2 + 8 * 33
    fc_clx = _doc_u32(word, clx_at, "the FIB")
    lcb_clx = _doc_u32(word, clx_at + 4, "the FIB")
    return _DocFib(ccp_text, table, fc_clx, lcb_clx, clx_at)


class _DocPiece(NamedTuple):
    """A piece of text: CPs [start, end), at byte ``fc`` of the WordDocument stream, 8-bit or UTF-16."""

    start: int
    end: int
    fc: int
    compressed: bool


def _doc_pieces(table: bytes, fib: _DocFib) -> list[_DocPiece]:
    """The piece table (PlcPcd) of the Clx at fcClx in the table stream ([MS-DOC] 2.9.38)."""
    if fib.lcb_clx == 0 or fib.fc_clx + fib.lcb_clx > len(table):
        raise _DocDamaged("its piece table lies outside the table stream")
    clx = table[fib.fc_clx : fib.fc_clx + fib.lcb_clx]
    position = 0
    while position < len(clx) and clx[position] == 0x01:  # Prc: formatting of pieces, not text
        position += 3 + _doc_u16(clx, position + 1, "the piece table")
    if position >= len(clx) or clx[position] != 0x02:  # Pcdt: the piece table follows
        raise _DocDamaged("its piece table does not parse")
    size = _doc_u32(clx, position + 1, "the piece table")
    plc = clx[position + 5 : position + 5 + size]
    # a PlcPcd is n + 1 CPs (4 bytes) then n Pcds (8 bytes)
    if len(plc) != size or size < 16 or (size - 4) % 12:
        raise _DocDamaged("its piece table does not parse")
    n = (size - 4) // 12
    cps = [int.from_bytes(plc[4 * i : 4 * i + 4], "little") for i in range(n + 1)]
    if cps[0] != 0 or any(a >= b for a, b in zip(cps, cps[1:], strict=False)):
        raise _DocDamaged("its piece table is out of order")
    pieces = []
    for i in range(n):
        fc = int.from_bytes(plc[4 * (n + 1) + 8 * i + 2 : 4 * (n + 1) + 8 * i + 6], "little")  # FcCompressed
        compressed = bool(fc & 0x40000000)  # fCompressed: 8-bit text at half the offset
        fc &= 0x3FFFFFFF
        pieces.append(_DocPiece(cps[i], cps[i + 1], fc // 2 if compressed else fc, compressed))
    return pieces


# 8-bit pieces are Latin-1 except these bytes ([MS-DOC] 2.4.1, like cp1252 but 0x80, 0x8E, 0x9E
# and unassigned bytes stay control characters)
_DOC_8BIT = str.maketrans(
    {
        0x82: "\u201a",
        0x83: "\u0192",
        0x84: "\u201e",
        0x85: "\u2026",
        0x86: "\u2020",
        0x87: "\u2021",
        0x88: "\u02c6",
        0x89: "\u2030",
        0x8A: "\u0160",
        0x8B: "\u2039",
        0x8C: "\u0152",
        0x91: "\u2018",
        0x92: "\u2019",
        0x93: "\u201c",
        0x94: "\u201d",
        0x95: "\u2022",
        0x96: "\u2013",
        0x97: "\u2014",
        0x98: "\u02dc",
        0x99: "\u2122",
        0x9A: "\u0161",
        0x9B: "\u203a",
        0x9C: "\u0153",
        0x9F: "\u0178",
    }
)


def _doc_main_text(word: bytes, pieces: list[_DocPiece], ccp_text: int) -> str:
    """The characters of CPs [0, ccpText): the main document, with Word's special characters."""
    if pieces[-1].end < ccp_text:
        raise _DocDamaged(f"its text is shorter ({pieces[-1].end} characters) than it says ({ccp_text})")
    parts = []
    for piece in pieces:
        if piece.start >= ccp_text:
            break
        n = min(piece.end, ccp_text) - piece.start
        width = 1 if piece.compressed else 2
        raw = word[piece.fc : piece.fc + n * width]
        if len(raw) != n * width:
            raise _DocDamaged("a piece of its text lies outside the WordDocument stream")
        parts.append(
            raw.decode("latin-1").translate(_DOC_8BIT)
            if piece.compressed
            else raw.decode("utf-16-le", "replace")
        )
    return "".join(parts)


# Word's marks in the text: paragraph end, manual line break, page/section break → newline;
# non-breaking hyphen → "-"; optional hyphen, pictures (0x01), drawn objects (0x08), footnote
# (0x02) and comment (0x05) references → nothing. Fields (0x13–0x15) and cell marks (0x07) are
# handled by _doc_visible_text.
_DOC_MARKS = str.maketrans(
    {
        "\r": "\n",
        "\x0b": "\n",
        "\x0c": "\n",
        "\x1e": "-",
        "\x1f": "",
        "\x01": "",
        "\x08": "",
        "\x02": "",
        "\x05": "",
    }
)


def _doc_visible_text(text: str) -> str:
    """The text a reader sees: of a field (0x13 code 0x14 result 0x15, nestable) its result, not its
    code (a field without a result gives nothing, a table of contents is left out as in a .docx);
    a table cell ends with 0x07 (a tab) and a row with a second 0x07 right after the last cell's
    (a newline). Without reading the paragraph properties, an empty cell (0x07 right after 0x07)
    reads as a row end too: the row goes on on the next line."""
    out: list[str] = []
    fields: list[list[Any]] = []  # the open fields: [in its result, its code so far, it hides]
    # the open fields that hide what follows (in their code, or the result of a table of
    # contents), counted rather than searched for: a damaged file may leave many fields open
    hiding = 0
    after_cell = False  # the last visible mark was the end of a cell
    for token in re.split(r"([\x07\x13\x14\x15])", text):
        hidden = hiding > 0
        if token == "\x13":
            fields.append([False, [], True])
            hiding += 1
        elif token == "\x14":
            if fields and not fields[-1][0]:
                fields[-1][0] = True
                if not "".join(fields[-1][1]).lstrip().upper().startswith("TOC"):
                    fields[-1][2] = False
                    hiding -= 1
        elif token == "\x15":
            if fields and fields.pop()[2]:
                hiding -= 1
        elif hidden:
            if not fields[-1][0]:  # the code of the innermost field, to recognise a TOC
                fields[-1][1].append(token)
        elif token == "\x07":
            if after_cell:  # the end of a row
                out[-1] = "\n"
                after_cell = False
            else:
                out.append("\t")
                after_cell = True
        elif token:
            out.append(token.translate(_DOC_MARKS))
            after_cell = False
    return "\n".join(line for line in "".join(out).split("\n") if line.strip())


def _ole_kind(ole: Any) -> str:
    """What an OLE compound file without a Word document is, as far as its streams say."""
    if ole.exists("Workbook") or ole.exists("Book"):
        return "an Excel workbook"
    if ole.exists("PowerPoint Document"):
        return "a PowerPoint presentation"
    return "no WordDocument stream: an old WPS file or another Office file?"


def _read_doc(data: bytes, path: Path) -> str:
    """The main text of a Word 97–2003 binary document (.doc, .wps), for :func:`read_document`."""
    import olefile

    def damaged(reason: str) -> InputError:
        return InputError(
            f"is a damaged Word document ({reason}); download it again, or open it in Word or WPS and "
            "save it as .docx",
            path,
        )

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises OSError, struct.error, IndexError … for a broken container
        raise damaged(f"its OLE container does not open: {exc or type(exc).__name__}") from None
    with ole:
        try:
            if ole.get_type("WordDocument") != olefile.STGTY_STREAM:
                raise InputError(
                    f"is an Office/WPS binary file but not a Word document ({_ole_kind(ole)}); save the "
                    "plan as .docx and try again",
                    path,
                )
            word = ole.openstream("WordDocument").read()
            fib = _doc_fib(word, path)
            if ole.get_type(fib.table) != olefile.STGTY_STREAM:
                raise _DocDamaged(f"its {fib.table} stream is missing")
            table = ole.openstream(fib.table).read()
            text = _doc_main_text(word, _doc_pieces(table, fib), fib.ccp_text)
        except InputError:
            raise
        except _DocDamaged as exc:
            raise damaged(str(exc)) from None
        except Exception as exc:  # olefile's errors for a stream cut short or a broken chain
            raise damaged(f"a stream does not read: {exc or type(exc).__name__}") from None
    return _doc_visible_text(text)


# ---------------------------------------------------------------------------------------------
# Fixed-layout pages (PDF, OFD): the lines of a paragraph joined from their positions
#
# A PDF or OFD page places text by coordinates, so its text comes out one printed line at a time.
# The outline parser joins a line that stops in the middle of a sentence with the next, but takes
# a line that happens to end with 。 at the right margin for the end of its paragraph; the positions
# tell the two apart (a paragraph's next line starts at the left margin, a new one is indented).

_PDF_PAGE_NUMBER = re.compile(r"^\s*[-—–－]\s*\d{1,4}\s*[-—–－]\s*$")
_LAYOUT_TERMINAL = tuple("。；;！!？?：:")  # a line ending so may end its paragraph
# a horizontal gap wider than this many font sizes splits a line into pieces (table cells, a
# signature beside a date), as ofdkit splits an OFD line
_LAYOUT_COLUMN_GAP = 1.5


class _LayoutLine(NamedTuple):
    """A text line of a fixed-layout page: its text, where it starts and ends (from the left of the
    page), its baseline (from the top), its font size, its page, and whether its pieces stand far
    apart (table cells, a signature beside a date). Lengths are in the format's unit (points for a
    PDF, millimetres for an OFD)."""

    text: str
    left: float
    right: float
    y: float
    size: float
    page: int
    gapped: bool


def _layout_paragraph_lines(lines: list[_LayoutLine]) -> list[str]:
    """The lines as text, the lines of one paragraph joined.

    A line of body text that reaches the right margin (within 1.5 characters, or within 3 when it
    does not end a sentence) goes on in the next line when that one starts at the left margin (not
    indented, as a new paragraph is), in the same size, right below it (within 2.5 font sizes, or
    within a fifth more than the body's usual line distance where the lines stand further apart) or
    at the top of the next page, and starts no heading (一、（一）1.); the outline parser would
    otherwise take a line that happens to end with 。 at the margin for the end of a paragraph.
    Lines whose pieces stand apart (tables) are never joined, and nothing is joined when the
    lines have no font size (nothing to measure margins and distances by).
    """
    if not lines:
        return []
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    size = weights.most_common(1)[0][0]  # the body text's size: most of the characters
    body = [line for line in lines if abs(line.size - size) <= 0.1 * size and not line.gapped]
    if not body or size <= 0:
        return [line.text for line in lines]
    left = min(line.left for line in body)
    right = max(line.right for line in body)
    # the usual distance between body lines: a layout with wide line spacing (double spacing)
    # still has its paragraph's lines right below one another
    steps = sorted(
        after.y - before.y
        for before, after in zip(body, body[1:], strict=False)
        if after.page == before.page and after.y > before.y
    )
    below = max(2.5 * size, 1.2 * steps[len(steps) // 2]) if steps else 2.5 * size

    def continues(before: _LayoutLine, after: _LayoutLine) -> bool:
        same_page = after.page == before.page and 0 < after.y - before.y <= below
        return (
            before in body_set
            and after in body_set
            and (
                before.right >= right - 1.5 * size
                # an OFD run's width is ofdkit's estimate where the file gives no advances, short for “ ” …
                or (before.right >= right - 3 * size and not before.text.endswith(_LAYOUT_TERMINAL))
            )
            and after.left <= left + 0.5 * size
            and (same_page or (after.page == before.page + 1 and before is last_of[before.page]))
            and strip_marker(after.text)[0] is None
        )

    body_set = set(body)
    last_of = {line.page: line for line in lines}
    out = [lines[0].text]
    for before, after in zip(lines, lines[1:], strict=False):
        if continues(before, after):
            out[-1] += after.text
        else:
            out.append(after.text)
    return out


# ---------------------------------------------------------------------------------------------
# PDF


_PDF_CID = re.compile(r"\(cid:\d+\)")


def _pdf_page_lines(rows: list[dict[str, Any]], page: int) -> list[_LayoutLine]:
    """The text lines of a PDF page from pdfplumber's text lines (``extract_text_lines``: the lines
    of ``extract_text`` with their characters), page numbers (``— 3 —``) left out.

    A line's baseline is where most of its characters sit (the bottom of their boxes: digits in a
    Latin font sit a little lower than the ideographs around them), its size the size most of them
    have.
    """
    lines = []
    for row in rows:
        text: str = row["text"]
        chars = row["chars"]
        if not chars or _PDF_PAGE_NUMBER.match(text):
            continue
        sizes = sorted(char["size"] for char in chars)
        bottoms = sorted(char["bottom"] for char in chars)
        size = sizes[len(sizes) // 2]
        lines.append(
            _LayoutLine(
                text=text,
                left=row["x0"],
                right=row["x1"],
                y=bottoms[len(bottoms) // 2],
                size=size,
                page=page,
                gapped=any(
                    after["x0"] - before["x1"] > _LAYOUT_COLUMN_GAP * size
                    for before, after in zip(chars, chars[1:], strict=False)
                ),
            )
        )
    return lines


def _scanned(n_chars: int, n_pages: int, path: Path, tool: str = "") -> InputError:
    """The error for a PDF or OFD whose pages are images with (almost) no text."""
    return InputError(
        f"has no text layer ({n_chars} characters on {n_pages} page(s) of images), so it looks "
        f"scanned; it needs OCR{tool} before it can be read",
        path,
    )


def _read_pdf(path: Path) -> str:
    """The text of a PDF's text layer (pdfplumber), page after page: one line per paragraph where
    the layout shows it (see :func:`_layout_paragraph_lines`), else per text line, page numbers
    left out. A PDF of images without text, an encrypted or damaged one and one whose fonts have no
    Unicode mapping are errors; scanned pages or glyph codes among text give a
    :class:`PartialTextWarning`.
    """
    import logging

    import pdfplumber

    lines: list[_LayoutLine] = []
    n_pages = 0
    n_images = 0
    n_scanned = 0  # pages of images with (almost) no text: scans inside a text PDF
    cid_pages = 0  # pages with glyph codes (cid:N)
    # pdfminer logs font quirks ("Could not get FontBBox from font descriptor …") the user cannot act on
    pdfminer_log = logging.getLogger("pdfminer")
    level = pdfminer_log.level
    pdfminer_log.setLevel(logging.ERROR)
    try:
        with pdfplumber.open(str(path)) as pdf:
            for page in pdf.pages:
                # the lines of extract_text, with their characters and where they stand
                rows = page.extract_text_lines()
                page_chars = sum(_nonspace(row["text"]) for row in rows)
                lines.extend(_pdf_page_lines(rows, n_pages))
                n_pages += 1
                cid_pages += any(_PDF_CID.search(row["text"]) for row in rows)
                page_images = len(page.images)
                n_images += page_images
                n_scanned += page_images > 0 and page_chars < 20
    except Exception as exc:  # pdfminer raises many types for broken or encrypted files
        # pdfplumber wraps pdfminer's error as its first argument
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if type(inner).__name__ in ("PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning"):
            raise InputError(
                "is a password-protected (encrypted) PDF; open it, save or print it without a password "
                "and try again",
                path,
            ) from None
        reason = str(exc) or type(exc).__name__
        raise InputError(
            f"is not a readable PDF ({reason}); is it truncated, encrypted or misnamed?", path
        ) from None
    finally:
        pdfminer_log.setLevel(level)
    text = "\n".join(_layout_paragraph_lines(lines))
    n_chars = sum(not ch.isspace() for ch in text)
    if n_chars < 20 * n_pages and n_images:
        raise _scanned(n_chars, n_pages, path, " (e.g. ocrmypdf)")
    if n_chars == 0:
        raise InputError("is a PDF without any text (no text layer and no images)", path)
    # fonts without a ToUnicode map: pdfminer can only name the glyphs, as (cid:27743)
    glyph_codes = _PDF_CID.findall(text)
    if len(glyph_codes) > n_chars - sum(map(len, glyph_codes)):
        raise InputError(
            f"has fonts without a Unicode mapping: {len(glyph_codes)} of its characters come out as "
            "glyph codes (cid:N), so its text cannot be extracted; OCR it (e.g. ocrmypdf --force-ocr) "
            "or export the PDF again from the source document",
            path,
        )
    if glyph_codes:  # some fonts (a page, the headings) without one: leave their glyph codes out
        share = len(glyph_codes) / (len(glyph_codes) + n_chars - sum(map(len, glyph_codes)))
        stripped = ((_PDF_CID.sub("", line), line) for line in text.split("\n"))
        text = "\n".join(line for line, raw in stripped if line.strip() or not _PDF_CID.search(raw))
        warnings.warn(
            f"{path}: {cid_pages} of {n_pages} pages use fonts without a Unicode mapping: "
            f"{len(glyph_codes)} characters ({share:.0%} of the text) are glyph codes (cid:N) and were left "
            "out; OCR the PDF (e.g. ocrmypdf --force-ocr) or export it again to read them",
            PartialTextWarning,
            stacklevel=2,
        )
    if n_scanned:
        warnings.warn(
            f"{path}: {n_scanned} of {n_pages} pages have no text layer (likely scanned images), so "
            "their text is missing; OCR the PDF (e.g. ocrmypdf) to read them",
            PartialTextWarning,
            stacklevel=2,
        )
    return text


# ---------------------------------------------------------------------------------------------
# OFD (GB/T 33190-2016), China's fixed-layout format
#
# An OFD is a ZIP package of XML parts: OFD.xml names each document's Document.xml, which lists
# the pages; a page's Content.xml places text objects (TextObject, TextCode) by coordinates, like a
# PDF. ofdkit (standard library only, XML without DTDs or entities, size limits) resolves the parts,
# templates, composite objects and transforms into positioned runs of text and joins the runs of a
# line; this reader puts the runs into lines, and the lines of a paragraph together, from their
# positions, checks what ofdkit does not tell (encryption, scanned pages) and turns its errors into
# InputErrors.

# the characters between which a space is layout, not text: ideographs, CJK and full-width
# punctuation, and the quotes and dashes Chinese fonts draw full width
_OFD_WIDE = "\u2014\u2018\u2019\u201c\u201d\u2026\u00b7\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
# ofdkit measures a run ending in “ ” ‘ ’ — … as if they were half width, so the gap it sees after
# one (half an em) is its own: a space there is dropped too
_OFD_LAYOUT_SPACE = re.compile(
    f"(?<=[{_OFD_WIDE}]) +(?=[{_OFD_WIDE}])|(?<=[\u2014\u2018\u2019\u201c\u201d\u2026]) (?=\\S)"
)
_OFD_ENCRYPTIONS = "encryptions.xml"  # GM/T 0099-2020: the package root's decryption entry
_OFD_PAGE_MARGIN = 2.0  # mm: text this far outside the page box is still on the page (as ofdkit)


def _ofd_page_lines(runs: list[Any], page: int) -> list[_LayoutLine]:
    """The text lines of a page, top to bottom, from its positioned runs (ofdkit ``TextRun``\\ s):
    runs whose baselines are within half a font size are one line, joined left to right by ofdkit
    (no space where they touch, three where they stand apart)."""
    from ofdkit.layout import page_text

    groups: list[list[Any]] = []
    for run in sorted((r for r in runs if r.text.strip()), key=lambda r: (r.y, r.x)):
        if groups:
            anchor = groups[-1][0]
            if abs(run.y - anchor.y) <= 0.5 * max(min(run.size, anchor.size), 1.0):
                groups[-1].append(run)
                continue
        groups.append([run])
    lines = []
    for group in groups:
        text = _OFD_LAYOUT_SPACE.sub("", page_text(group).replace("\n", " ")).strip()
        if not text or _PDF_PAGE_NUMBER.match(text):
            continue
        sizes = sorted(run.size for run in group)
        lines.append(
            _LayoutLine(
                text=text,
                left=min(run.x for run in group),
                right=max(run.x + run.width for run in group),
                y=group[0].y,
                size=sizes[len(sizes) // 2],
                page=page,
                gapped="   " in text,
            )
        )
    return lines


def _ofd_damaged(reason: str, path: Path) -> InputError:
    return InputError(
        f"is not a readable OFD document ({reason}); is it truncated or damaged? Download it again, "
        "or export it as PDF",
        path,
    )


def _ofd_encrypted(path: Path) -> InputError:
    return InputError(
        "is an encrypted OFD document; open it in an OFD reader, save or print it without encryption "
        "(or export it as PDF) and try again",
        path,
    )


def _read_ofd(data: bytes, path: Path) -> str:
    """The text of an OFD document, page after page: one line per paragraph where the layout shows
    it (see :func:`_layout_paragraph_lines`), else per text line.

    Pages are read with ofdkit: the text objects of the page and of its templates (page furniture),
    grouped into lines by baseline, lines top to bottom, pieces left to right; a space between two
    Chinese characters (a gap between two text objects) is dropped. Page numbers (``— 3 —``) are
    left out. An encrypted package, a package without a readable document, and one without text
    (scanned pages: images only) are errors; unreadable or scanned pages among pages with text give
    a :class:`PartialTextWarning`.
    """
    import ofdkit

    lines: list[_LayoutLine] = []
    failed: list[str] = []
    scanned = 0  # pages with images and (almost) no text
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            # bit 0 of the flags: a ZIP entry encrypted with a password
            if any(info.flag_bits & 0x1 for info in infos):
                raise _ofd_encrypted(path)
            if any(info.filename.lower().lstrip("/") == _OFD_ENCRYPTIONS for info in infos):
                raise _ofd_encrypted(path)
            contents = {info.filename.lstrip("/"): info for info in infos}
            with ofdkit.open(data) as document:
                n_pages = len(document.pages)
                n_read = 0
                for page in document.pages:
                    if page.location is None:  # its BaseLoc names no part of the package
                        failed.append(f"page {page.index + 1}: its content is missing")
                        continue
                    try:
                        x0, y0, width, height = page.box
                        runs = [
                            run
                            for run in page.runs
                            if x0 - _OFD_PAGE_MARGIN <= run.x <= x0 + width + _OFD_PAGE_MARGIN
                            and y0 - _OFD_PAGE_MARGIN <= run.y <= y0 + height + _OFD_PAGE_MARGIN
                        ]
                    except ofdkit.OFDError as exc:
                        failed.append(f"page {page.index + 1}: {exc}")
                        continue
                    n_read += 1
                    page_lines = _ofd_page_lines(runs, page.index)
                    lines.extend(page_lines)
                    info = contents.get(page.location)
                    if (
                        sum(_nonspace(line.text) for line in page_lines) < 20
                        and info is not None
                        and b"ImageObject" in archive.read(info)
                    ):
                        scanned += 1
    except InputError:
        raise
    except ofdkit.OFDLimitError as exc:
        raise InputError(f"is an OFD document beyond the reader's safety limits ({exc})", path) from None
    except ofdkit.OFDError as exc:
        raise _ofd_damaged(str(exc), path) from None
    except Exception as exc:  # zipfile, zlib and the XML parser raise many types for a broken package
        raise _ofd_damaged(str(exc) or type(exc).__name__, path) from None
    if n_pages == 0:
        raise InputError("is an OFD document without pages", path)
    if not n_read:
        raise _ofd_damaged(f"no page can be read: {failed[0]}", path)
    text = "\n".join(_layout_paragraph_lines(lines))
    n_chars = _nonspace(text)
    if n_chars < 20 * n_pages and scanned:
        raise _scanned(n_chars, n_pages, path)
    if n_chars == 0:
        raise InputError(
            "is an OFD document without any text (no text objects and no images: its text may be drawn "
            "as shapes, which needs OCR)",
            path,
        )
    if failed:
        shown = "; ".join(failed[:3]) + ("; …" if len(failed) > 3 else "")
        warnings.warn(
            f"{path}: {len(failed)} of {n_pages} pages could not be read ({shown}), so their text is "
            "missing; download the document again or export it as PDF",
            PartialTextWarning,
            stacklevel=2,
        )
    if scanned:
        warnings.warn(
            f"{path}: {scanned} of {n_pages} pages have no text layer (likely scanned images), so "
            "their text is missing; OCR them to read them",
            PartialTextWarning,
            stacklevel=2,
        )
    return text


_FURNITURE_TAGS = (
    "script",
    "style",
    "noscript",
    "nav",
    "aside",
    "form",
    "iframe",
    "button",
    "select",
    "textarea",
    "input",
    "svg",
    "template",
    "object",
    "embed",
    "map",
    "canvas",
    "audio",
    "video",
)
_FURNITURE_CLASS = re.compile(
    r"(?:^|[-_\s])(?:breadcrumbs?|crumbs?|bread|nav|navbar|navigation|menu|footer|share|"
    r"print|fontsize|font-size|toolbar|sidebar|copyright|friendlinks?|position|location|dqwz)(?:$|[-_\s\d])",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "tr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "section",
        "article",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "center",
        "address",
        "figure",
        "figcaption",
        "hr",
        "caption",
        "header",
        "footer",
        "body",
    ]
)


def _nonspace(text: str) -> int:
    return sum(not ch.isspace() for ch in text)


def _text_stats(tags: list[Tag]) -> dict[int, tuple[int, int, int, int]]:
    """id(tag) → (non-space characters, of which inside links, links, descendant tags), in one pass
    over ``tags`` in document order. Text inside scripts, styles and the like is not counted."""
    stats: dict[int, tuple[int, int, int, int]] = {}
    for tag in reversed(tags):  # descendants come after their ancestors in document order
        total = linked = n_links = n_desc = 0
        for child in tag.children:
            if isinstance(child, Tag):
                t, k, n, d = stats.get(id(child), (0, 0, 0, 0))
                total, linked, n_links, n_desc = total + t, linked + k, n_links + n, n_desc + d + 1
            elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                total += _nonspace(str(child))
        if tag.name in _FURNITURE_TAGS:
            total = linked = n_links = 0
        elif tag.name == "a":
            linked, n_links = total, n_links + 1
        stats[id(tag)] = (total, linked, n_links, n_desc)
    return stats


def _class_names(tag: Tag) -> str:
    classes = tag.get("class")
    names = classes if isinstance(classes, list) else [str(classes or "")]
    return " ".join([*names, str(tag.get("id") or "")]).strip()


_LINK_BLOCKS = frozenset({"ul", "ol", "dl", "table", "div", "section", "p", "li", "td", "span"})


def _strip_furniture(body: Tag) -> None:
    """Remove site furniture from ``body`` in place (one pass, linear in the page size)."""
    for comment in body.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    tags = [body, *body.find_all(True)]
    stats = _text_stats(tags)
    total = max(1, stats[id(body)][0])
    in_article: dict[int, bool] = {id(body): body.name in ("article", "main")}
    doomed: list[Tag] = []
    i = 1
    while i < len(tags):
        tag = tags[i]
        parent = tag.parent
        inside = in_article.get(id(parent), False) if parent is not None else False
        in_article[id(tag)] = inside or tag.name in ("article", "main")
        length, linked, n_links, n_desc = stats[id(tag)]
        remove = tag.name in _FURNITURE_TAGS or tag.name == "footer" or (tag.name == "header" and not inside)
        if not remove and length < 0.5 * total:  # never drop most of the page on a guess
            names = _class_names(tag)
            # named furniture, or a link list (menu, related articles, friend links)
            remove = (bool(names) and _FURNITURE_CLASS.search(names) is not None) or (
                tag.name in _LINK_BLOCKS
                and n_links > 0
                and length > 0
                and linked >= 0.6 * length
                and (n_links >= 2 or length <= 40)
            )
        if remove:
            doomed.append(tag)
            i += 1 + n_desc  # its descendants go with it
        else:
            i += 1
    for tag in doomed:
        tag.decompose()


def _html_pieces(body: Tag) -> list[str]:
    """The page text with a newline around every block and a tab after every table cell."""
    out: list[str] = []
    stack: list[tuple[PageElement | str, bool]] = [(child, False) for child in reversed(list(body.children))]
    while stack:
        item, pre = stack.pop()
        if isinstance(item, str) and not isinstance(item, NavigableString):
            out.append(item)
        elif isinstance(item, NavigableString):
            if not isinstance(item, Comment):
                out.append(str(item) if pre else re.sub(r"[ \t\r\n\f]+", " ", str(item)))
        elif isinstance(item, Tag):
            name = item.name
            if name == "br":
                out.append("\n")
                continue
            inner = pre or name == "pre"
            if name in ("td", "th"):
                stack.append(("\t", pre))
            elif name in _BLOCK_TAGS:
                stack.append(("\n", pre))
            stack.extend((child, inner) for child in reversed(list(item.children)))
            if name in _BLOCK_TAGS:
                out.append("\n")
    return out


def parse_page(page: str) -> BeautifulSoup:
    """The page parsed by lxml's HTML parser, also an XHTML page (which starts with an XML
    declaration: the HTML parser is the right one for it, so BeautifulSoup's warning is not shown)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(page, "lxml")


def html_to_text(html: str) -> str:
    """The document text of a web page: paragraphs as lines, site furniture dropped.

    Parameters
    ----------
    html : the decoded page.

    Returns
    -------
    One line per paragraph, heading, list item or table row (cells separated by tabs), without
    navigation, header, footer, scripts, styles, breadcrumbs, link lists and furniture lines
    (see :func:`is_furniture_line`).
    """
    soup = parse_page(html)
    body = soup.body or soup
    _strip_furniture(body)
    lines = []
    for line in "".join(_html_pieces(body)).split("\n"):
        line = line.strip(" \t")
        if line and not is_furniture_line(line):
            lines.append(re.sub(r" ?\t ?", "\t", line))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# read_document


# ZIP packages that are not Word documents: what is inside says what they are
_ZIP_KINDS: tuple[tuple[str, str], ...] = (
    ("xl/", "an Excel workbook (.xlsx)"),
    ("ppt/", "a PowerPoint presentation (.pptx)"),
)


def _zip_error(data: bytes, path: Path) -> InputError:
    """What a ZIP archive that is no .docx holds: an OpenDocument or another Office file (save it as
    .docx), or files (unpack it and give the plan's document)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # sniff_format opened it already
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
        try:
            mimetype = archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except Exception:  # an encrypted or damaged entry: zipfile raises RuntimeError, zlib.error …
            mimetype = ""
    if mimetype.startswith("application/vnd.oasis.opendocument."):
        kind = mimetype.rsplit(".", 1)[-1]
        return InputError(
            f"is an OpenDocument {kind} (.od{kind[0]}), not a Word document; open it in WPS or "
            "LibreOffice, save it as .docx and try again",
            path,
        )
    for prefix, what in _ZIP_KINDS:
        if any(name.startswith(prefix) for name in names):
            return InputError(f"is {what}, not a plan document; save the plan as .docx, .pdf or .txt", path)
    documents = [name for name in names if Path(name).suffix.lower() in FORMATS]
    if documents:
        shown = ", ".join(documents[:3]) + (", …" if len(documents) > 3 else "")
        return InputError(
            f"is a ZIP archive of {len(names)} file(s) ({shown}), not a document; unpack it and give "
            "the plan's document",
            path,
        )
    return InputError("is a ZIP archive but not a .docx document (no word/document.xml)", path)


def _format_error(kind: str, path: Path) -> InputError:
    if kind == "rtf":
        return InputError("is an RTF document; save it as .docx or plain text and try again", path)
    if kind == "ole-encrypted":
        return InputError(
            "is a password-protected (encrypted) Office document; open it, save it without a password "
            "and try again",
            path,
        )
    if kind == "zip":
        return InputError("is a ZIP archive but not a .docx document (no word/document.xml)", path)
    if kind == "zip-damaged":
        return InputError(
            "is a damaged or truncated ZIP archive (a .docx cut short by an interrupted download?); "
            "download or save it again",
            path,
        )
    if kind.startswith("image:"):
        return InputError(
            f"is a {kind.split(':', 1)[1]} image, not a text document; it needs OCR first", path
        )
    return InputError(f"has an unsupported format ({kind})", path)


def _declared_charset(data: bytes) -> str | None:
    """The charset a web page declares in a ``<meta>`` tag of its first 4 KB, if any."""
    match = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", data[:4096], re.I)
    return match.group(1).decode("ascii") if match else None


def _decode_page(data: bytes, path: Path, charset: str | None = None, *, truncated: bool = False) -> str:
    """A web page's bytes as text, for :func:`html_to_text`: decoded in ``charset`` (what the page's
    container declares: a MIME part's header), else in the charset the page declares in a ``<meta>``
    tag, else as :func:`decode_text` detects it.

    With ``truncated`` (the page comes from a truncated archive), a page that cannot be decoded
    because it is cut off in the middle of a character (or of a quoted-printable escape) is
    decoded without its last bytes.
    """
    charset = charset or _declared_charset(data)
    if truncated:  # cut off inside a quoted-printable escape: its remnant (=, =A) is no text
        data = re.sub(rb"=[0-9A-Fa-f]?\Z", b"", data)
    try:
        return decode_text(data, path, charset)
    except InputError:
        if not truncated:
            raise
        # cut off in the middle of a character: drop its first bytes
        return decode_text(data.rstrip(bytes(range(0x80, 0x100))), path, charset)


_MHT_TRUNCATED = "is a truncated MHT web archive (its web page is cut off); download or save it again"


def _mht_payload(part: Any) -> tuple[bytes, bool]:
    """A MIME part's decoded body, and whether it is damaged (base64 cut short, which is decoded as
    far as it goes)."""
    import base64
    from email import errors

    payload = part.get_payload(decode=True)
    if any(isinstance(defect, errors.InvalidBase64LengthDefect) for defect in part.defects):
        raw = re.sub(rb"[^A-Za-z0-9+/]", b"", str(part.get_payload()).encode("ascii", "ignore"))
        return base64.b64decode(raw[: len(raw) // 4 * 4]), True
    return (payload if isinstance(payload, bytes) else b""), False


def _read_mht(data: bytes, path: Path) -> tuple[str, str | None]:
    """The text of the web page of an MHT/MHTML archive (a MIME message, as IE, Word and browsers
    save "single file web pages", multipart or a single part) and the page itself.

    The page is the root part (the one the multipart's ``start`` parameter names, else the first;
    a part without a ``Content-Type`` is the multipart's ``type``), decoded from its transfer
    encoding and charset, followed by the pages of the archive it shows as frames or iframes. Other
    web pages in the archive give a :class:`PartialTextWarning`, and so does a truncated archive
    with text (one without text is an error). The page is returned (for :func:`_check_frames`)
    only when no framed page was read from the archive.
    """
    import email
    from email import errors
    from urllib.parse import urljoin

    data = data.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n\t ")
    try:
        message = email.message_from_bytes(data)
        parts = [part for part in message.walk() if not part.is_multipart()]
    except Exception as exc:  # the parser records most damage as defects, but be safe
        raise InputError(f"is a damaged MHT web archive ({exc})", path) from None
    truncated = any(
        isinstance(defect, errors.CloseBoundaryNotFoundDefect)
        for part in message.walk()
        for defect in part.defects
    )
    root_type = str(message.get_param("type") or "").lower() if message.is_multipart() else ""

    def is_page(part: Any) -> bool:
        if part.get("Content-Type") is None and root_type:
            return root_type in ("text/html", "application/xhtml+xml")
        return part.get_content_type() in ("text/html", "application/xhtml+xml")

    pages = [part for part in parts if is_page(part)]
    if not pages:
        if truncated:
            raise InputError(
                "is a truncated MHT web archive (it ends before its web page); download it again", path
            )
        raise InputError("is an MHT web archive without a web page in it (no text/html part)", path)
    bodies: dict[int, bytes] = {}
    for part in pages:
        bodies[id(part)], damaged = _mht_payload(part)
        truncated = truncated or damaged
    start = str(message.get_param("start") or "").strip("<> ") if message.is_multipart() else ""
    named = [part for part in pages if start and str(part.get("Content-ID") or "").strip("<> ") == start]
    first = named[0] if named else parts[0] if parts[0] in pages else pages[0]
    filled = [part for part in pages if bodies[id(part)].strip()]
    if not filled:
        if truncated:
            raise InputError(_MHT_TRUNCATED, path)
        raise InputError("is an MHT web archive whose web page is empty", path)
    root = first if bodies[id(first)].strip() else filled[0]

    def location(part: Any) -> str:
        return str(part.get("Content-Location") or "").strip()

    by_location = {location(part): part for part in filled if location(part)}
    by_cid = {str(part.get("Content-ID")).strip("<> "): part for part in filled if part.get("Content-ID")}
    base = location(root) or str(message.get("Snapshot-Content-Location") or "").strip()
    read: list[Any] = []
    texts: list[str] = []

    def visit(part: Any, base: str) -> str:
        page = _decode_page(bodies[id(part)], path, part.get_content_charset(), truncated=truncated)
        read.append(part)
        soup = parse_page(page)
        if soup.find("frameset") is None:  # a frameset's own text is only its title
            texts.append(html_to_text(page))
        for frame in soup.find_all(["frame", "iframe"]):
            source = str(frame.get("src") or "").strip()
            if not source:
                continue
            if source.lower().startswith("cid:"):
                target = by_cid.get(source[4:].strip("<> "))
            else:
                target = by_location.get(urljoin(base, source) if base else source) or by_location.get(source)
            if target is not None and all(target is not seen for seen in read):
                visit(target, location(target) or base)
        return page

    page = visit(root, base)
    text = "\n".join(t for t in texts if t)
    unread = [location(part) or "unnamed" for part in filled if all(part is not seen for seen in read)]
    if unread:
        shown = ", ".join(unread[:3]) + (", …" if len(unread) > 3 else "")
        warnings.warn(
            f"{path}: the archive holds {len(unread)} other web page(s) ({shown}) that its main page does "
            "not show as frames; they were not read",
            PartialTextWarning,
            stacklevel=3,
        )
    if truncated:
        if not "".join(text.split()):
            raise InputError(_MHT_TRUNCATED, path)
        warnings.warn(
            f"{path}: is truncated (the MHT web archive is cut off before its end), so the end of its text "
            "is missing; download or save it again",
            PartialTextWarning,
            stacklevel=3,
        )
    return text, (page if len(read) == 1 else None)


def _check_frames(soup: BeautifulSoup, path: Path) -> None:
    """Raise for a frameset page (or one whose text is in iframes): its text is elsewhere."""
    sources = [str(tag.get("src")) for tag in soup.find_all(["frame", "iframe"]) if tag.get("src")]
    if soup.find("frameset") is not None or sources:
        shown = ", ".join(sources[:4]) + (", …" if len(sources) > 4 else "")
        raise InputError(
            f"is a {'frameset' if soup.find('frameset') is not None else 'framed'} page: its text is in "
            f"the framed page(s) ({shown or 'no source given'}), not in this file; open the framed page "
            "and save that instead",
            path,
        )


def _check_scripted(soup: BeautifulSoup, n_chars: int, path: Path) -> None:
    """Raise for a page of (almost) no text that has scripts (a WeChat or news app page saved as
    it came from the server): a browser fills in its text by running them."""
    scripts = soup.find_all("script")
    if scripts:
        shown = "no text" if n_chars == 0 else f"only {n_chars} characters of text"
        raise InputError(
            f"is a web page with {shown} but {len(scripts)} script(s): its text is likely loaded by "
            "JavaScript in the browser, which align does not run; save the page from the browser once it "
            "shows the text (or print it to PDF), or copy the text into a .txt file",
            path,
        )


def read_document(path: str | Path, *, min_chars: int = MIN_PLAN_CHARS) -> str:
    """Read a plan document as text, keeping the characters a reader sees.

    Parameters
    ----------
    path : a ``.txt``, ``.docx``, ``.doc``/``.wps``, ``.pdf``, ``.ofd`` or ``.html`` file; other names
        are sniffed by content.
    min_chars : the fewest non-space characters a plan may have; shorter documents are rejected
        as empty or truncated.

    Returns
    -------
    The text with ``\\n`` line ends (see :func:`clean_text`). For text files, line *n* is the
    file's line *n*; for other formats, one line per paragraph (blank lines dropped).

    Raises
    ------
    InputError : missing file, empty or whitespace-only file, binary or undecodable content,
        a scanned PDF or OFD, an encrypted one, an unsupported format, or a text too short to be a plan.
    """
    path = Path(path)
    if not path.exists():
        if path.is_symlink():  # a link to a file moved away, or a loop of links
            raise InputError(f"is a link to {os.readlink(path)}, which leads to no file", path)
        raise InputError("does not exist", path)
    if not path.is_file():
        raise InputError("is not a file", path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", path) from None
    if not data:
        raise InputError("is empty (0 bytes)", path)

    page: str | None = None  # the decoded web page, for HTML and MHT
    by_suffix = FORMATS.get(path.suffix.lower())
    sniffed = sniff_format(data)
    kind = sniffed if sniffed in ("pdf", "docx", "mht", "ofd") else "doc" if sniffed == "ole" else by_suffix
    if by_suffix == "ofd" and sniffed in ("zip", "zip-damaged"):
        raise InputError(
            "is a ZIP archive but not an OFD document (no OFD.xml)"
            if sniffed == "zip"
            else "is a damaged or truncated OFD document (its ZIP package does not open: an interrupted "
            "download?); download or save it again",
            path,
        )
    if sniffed is not None and sniffed not in ("pdf", "docx", "html", "mht", "ole", "ofd"):
        raise _zip_error(data, path) if sniffed == "zip" else _format_error(sniffed, path)
    if kind == "ofd" and sniffed != "ofd":
        raise InputError(
            "is named .ofd but is not an OFD document (not a ZIP package); is it misnamed?", path
        )
    if kind == "mht" and sniffed != "mht" and not _MIME_HEADER.search(data[:8192]):
        kind = "html" if sniffed == "html" else None  # named .mht but not a MIME message
    if kind == "doc" and sniffed != "ole":  # named .doc but not one: often a web page or text
        kind = "html" if sniffed == "html" else None
    if kind is None and sniffed == "html":
        kind = "html"

    if kind == "pdf":
        text = _read_pdf(path)
    elif kind == "docx":
        if sniffed != "docx":
            raise InputError(
                "is not a valid .docx (not a Word ZIP package); is it truncated or misnamed?", path
            )
        text = _read_docx(path)
    elif kind == "mht":
        text, page = _read_mht(data, path)
    elif kind == "doc":
        text = _read_doc(data, path)
    elif kind == "ofd":
        text = _read_ofd(data, path)
    else:
        try:
            raw = _decode_page(data, path) if kind == "html" or sniffed == "html" else decode_text(data, path)
        except InputError:
            if by_suffix == "doc":
                raise InputError(
                    f"is named {path.suffix} but is neither a Word 97–2003 document nor text; is it "
                    "truncated or misnamed?",
                    path,
                ) from None
            if by_suffix is None:
                raise InputError(
                    f"has an unknown document type ('{path.suffix or 'no suffix'}') and its content is "
                    "not text; use .txt, .docx, .doc, .pdf or .html",
                    path,
                ) from None
            raise
        if kind == "html" or _looks_like_html(raw.lstrip("\ufeff")):
            page = raw
            text = html_to_text(raw)
        elif _XML_START.match(raw):  # its tags would be read as the plan's words
            if _WORD_XML.search(raw[:4096]):
                raise InputError(
                    "is a Word XML document (Word 2003 XML or a .docx's document.xml), not text; open "
                    "it in Word or WPS and save it as .docx",
                    path,
                )
            raise InputError(
                "is an XML file, not a plan's text; save the plan as .txt, .docx, .doc, .pdf or .html", path
            )
        else:
            text = raw

    text = clean_text(text)
    n_chars = len("".join(text.split()))  # str.split() cuts at exactly the str.isspace() characters
    n_private = len(_PRIVATE_USE.findall(text))
    if n_private > n_chars / 2:
        raise InputError(
            f"{n_private} of its {n_chars} characters are private-use code points (U+E000–U+F8FF), "
            "which stand for no character: the fonts of the source give their glyphs codes of their "
            "own, so the text cannot be read; export the text again from the source document, or OCR "
            "a PDF (e.g. ocrmypdf --force-ocr)",
            path,
        )
    if n_chars < min_chars and page is not None:
        soup = parse_page(page)  # parsed again only on this error path, once for both checks
        _check_frames(soup, path)
        _check_scripted(soup, n_chars, path)
    if n_chars == 0:
        raise InputError("is empty (no text)", path)
    if n_chars < min_chars:
        raise InputError(
            f"is too short to be a plan ({n_chars} characters of text, at least {min_chars} expected); "
            "is it truncated?",
            path,
        )
    return text
