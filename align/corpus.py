"""The manifest ``plans.csv`` and the corpus of plans: which plans there are, how they nest and
where their documents are (the documents themselves are read by :mod:`align.documents`).

Manifest
--------
``plans.csv`` has one row per plan: ``plan_id, file, jurisdiction, level, parent_id`` (required)
and ``title, issued, doc_number, population`` (optional), or their Chinese names
(:data:`COLUMN_ALIASES`: ``编号, 文件, 地区, 层级, 上级`` …). ``file`` is relative to the plans folder
(``plans/`` beside the manifest) and empty for a plan that is referenced but has no text.
``level`` is one of ``national, provincial, municipal, county`` (Chinese aliases such as ``省级``
are accepted). A child may sit at the same level as its parent (peers) but not above it.
:func:`load_manifest` reports each problem with the manifest's path and CSV line. The manifest
may also be an Excel workbook (``plans.xlsx``: its first sheet, or the one called ``plans``); its
errors name the sheet's row.

Corpus
------
:class:`Corpus` ties the manifest to the documents: lazy cached texts, the hierarchy (parents,
children, top-down order) and the nearest ancestor that has a text, against which a plan is
aligned when its own parent's text is missing. Plans given as bare files (``align compare FILE
FILE``, ``align measures FILE``) get the file stem as ``plan_id`` and an empty ``level`` (unknown).
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from align.documents import BOMS, FORMATS, MIN_PLAN_CHARS, is_noncharacter, read_document, sniff_format
from align.errors import AlignWarning, InputError
from align.fileio import expand_home
from align.models import LEVELS, Plan, PlanMeta, level_rank

REQUIRED_COLUMNS: tuple[str, ...] = ("plan_id", "file", "jurisdiction", "level", "parent_id")

COLUMN_ALIASES: dict[str, str] = {
    # a manifest kept by Chinese-speaking staff often has Chinese headers
    "编号": "plan_id",
    "代码": "plan_id",
    "方案编号": "plan_id",
    "规划编号": "plan_id",
    "文件": "file",
    "文件名": "file",
    "文件路径": "file",
    "路径": "file",
    "地区": "jurisdiction",
    "辖区": "jurisdiction",
    "行政区": "jurisdiction",
    "行政区划": "jurisdiction",
    "层级": "level",
    "级别": "level",
    "行政级别": "level",
    "上级": "parent_id",
    "上级编号": "parent_id",
    "父级": "parent_id",
    "父级编号": "parent_id",
    "标题": "title",
    "名称": "title",
    "方案名称": "title",
    "发布日期": "issued",
    "印发日期": "issued",
    "发文日期": "issued",
    "成文日期": "issued",
    "日期": "issued",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "发文文号": "doc_number",
    "人口": "population",
    "常住人口": "population",
}
"""Chinese header names read as the manifest's columns (``编号,文件,地区,层级,上级``)."""

LEVEL_ALIASES: dict[str, str] = {
    "national": "national",
    "central": "national",
    "国家": "national",
    "国家级": "national",
    "中央": "national",
    "全国": "national",
    "provincial": "provincial",
    "province": "provincial",
    "省": "provincial",
    "省级": "provincial",
    "自治区": "provincial",
    "直辖市": "provincial",  # Beijing, Shanghai, Tianjin, Chongqing rank as provinces
    "municipal": "municipal",
    "city": "municipal",
    "prefecture": "municipal",
    "市": "municipal",
    "市级": "municipal",
    "地市": "municipal",
    "地市级": "municipal",
    "盟市": "municipal",
    "地级市": "municipal",
    "副省级市": "municipal",
    "计划单列市": "municipal",
    "设区市": "municipal",
    "设区的市": "municipal",
    "省辖市": "municipal",
    "自治州": "municipal",
    "盟": "municipal",
    "county": "county",
    "district": "county",
    "县": "county",
    "县级": "county",
    "区": "county",
    "区县": "county",
    "县区": "county",
    "县区级": "county",
    "区县级": "county",
    "旗县": "county",
    "区级": "county",
    "县级市": "county",
    "市辖区": "county",
    "自治县": "county",
    "旗": "county",
    "自治旗": "county",
}
"""Accepted spellings of the manifest's ``level`` (compared case-insensitively)."""


# ---------------------------------------------------------------------------------------------
# Manifest


def decode_table(data: bytes, path: str | Path, what: str = "manifest") -> str:
    """The text of a CSV table (manifest, gold): UTF-8/16/32 with a BOM, UTF-8, else GBK/GB18030
    (what spreadsheet programs save on Chinese Windows). ``what`` names the table in the error."""
    for bom, encoding, _name in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # UTF-8 cut in the middle of its last character (an interrupted copy or download): say so,
        # rather than read it as GBK mojibake or call it undecodable
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            try:
                data[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise InputError(
                    f"is truncated: it ends in the middle of a UTF-8 character (an interrupted copy or "
                    f"download?); save the {what} again",
                    path,
                ) from None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise InputError(f"cannot be decoded: save the {what} as CSV in UTF-8 (with or without BOM) or GBK", path)


def _parse_population(value: str, path: Path, line: int) -> float | None:
    text = value.strip().replace(",", "").replace("，", "").replace("_", "").replace(" ", "")
    text = text.removesuffix("人")  # 4518.86万人, 4600276人
    if not text:
        return None
    scale = 1.0
    if text.endswith("万"):
        text, scale = text[:-1], 1e4
    elif text.endswith("亿"):
        text, scale = text[:-1], 1e8
    try:
        number = float(text) * scale
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 1:
        raise InputError(f"population '{value}' is not a positive number (e.g. 4600276 or 460万)", path, line)
    return number


def header_delimiter(header: str) -> str:
    """The header's separator: a comma unless the header has none and has tabs or semicolons
    (what spreadsheet programs in many locales save as "CSV"). Quoted names do not count."""
    header = re.sub(r'"[^"]*"', "", header)
    if "," in header:
        return ","
    return max(("\t", ";"), key=header.count) if ("\t" in header or ";" in header) else ","


_ISSUED_FORMS = (
    re.compile(r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?:(?P=sep)(?P<d>\d{1,2}))?)?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    re.compile(r"(?P<y>\d{4})年(?:(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?)?"),
)
_ISSUED_TIME = re.compile(r"(?<=\d)(?:T| +)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\Z")
ISSUED_HELP = "YYYY, YYYY-MM, YYYY-MM-DD (or / . separators, YYYYMMDD), YYYY年M月 or YYYY年M月D日"


def normalize_issued(value: str, path: str | Path | None = None, line: int | None = None) -> str:
    """A manifest ``issued`` date in ISO form (``2022``, ``2022-08``, ``2022-08-30``), so that
    downstream code reads one form; empty stays empty.

    Raises
    ------
    InputError : naming ``path:line`` and the value, for anything else or an impossible date.
    """
    # a date cell saved to CSV with its time of day (2022/1/7 0:00, 2022-01-07 00:00:00): its date,
    # as when the workbook itself is read
    text = _ISSUED_TIME.sub("", value.strip())
    if not text:
        return ""
    match = next((m for form in _ISSUED_FORMS if (m := form.fullmatch(text))), None)
    if match is None:
        raise InputError(f"issued '{value}' is not a date; use {ISSUED_HELP}", path, line)
    year, month, day = match["y"], match["m"], match["d"]
    try:
        datetime.date(int(year), int(month or 1), int(day or 1))
        real = 1900 <= int(year) <= 2099  # issued_year reads 19xx and 20xx only
    except ValueError:
        real = False
    if not real:
        raise InputError(f"issued '{value}' is not a real date; use {ISSUED_HELP}", path, line)
    # int() also folds full-width digits (２０２２), which issued_year would not read
    return "-".join([str(int(year)), *(f"{int(part):02d}" for part in (month, day) if part)])


def _is_comment(row: list[str], columns: list[str]) -> bool:
    """A row whose first cell or plan_id starts with ``#``: a note, not a plan."""
    at = columns.index("plan_id")
    return row[0].strip().startswith("#") or (len(row) > at and row[at].strip().startswith("#"))


def _case_hint(base: Path, file: str) -> str:
    """' (did you mean jx.txt?)' when ``file`` exists under another case (exact match is kept:
    the corpus must work on case-sensitive file systems too), or, written without its suffix (as
    Windows shows file names), with one. A path to the document's name in ``base`` (a Windows path,
    one written from the manifest's folder: ``plans\\jx.txt``) hints that name."""
    name = Path(file).name
    try:
        if name != file and (base / name).is_file():
            return f" (did you mean {name}? the file is named relative to that folder)"
    except OSError:
        pass
    try:  # put beside the manifest instead of in the plans folder
        if (base.parent / file).is_file() and not (base / file).exists():
            return f" (it is in {base.parent}: the documents go in {base})"
    except OSError:
        pass
    folder = (base / file).parent
    if not folder.is_dir():
        return ""
    stem = Path(name).stem.lower()
    try:
        matches = sorted(
            p.name
            for p in folder.iterdir()
            if (
                p.name.lower() == name.lower()
                or (Path(name).suffix.lower() not in FORMATS and p.stem.lower() == name.lower())
                # another suffix (.htm for .html, .doc for .docx): the same document
                or (
                    Path(name).suffix.lower() in FORMATS
                    and p.suffix.lower() in FORMATS
                    and p.stem.lower() == stem
                )
            )
            and p.name != name
        )
    except OSError:  # a folder that cannot be listed: no hint (its files may still be opened)
        return ""
    return f" (did you mean {matches[0]}?)" if matches else ""


def _visible(cell: str) -> str:
    """A manifest cell without invisible format characters (BOM, zero-width space) and outer space."""
    return "".join(ch for ch in cell if unicodedata.category(ch) != "Cf").strip()


def _control_character(cell: str) -> str | None:
    """The first control character of a manifest cell (NUL, ESC, …; a tab or line break is
    whitespace), or None. No output can hold one (graph.graphml and report.xlsx are XML), and an
    editor seldom shows it."""
    return next(
        (
            ch
            for ch in cell
            if ch not in "\t\n\r" and (unicodedata.category(ch) in {"Cc", "Cs"} or is_noncharacter(ch))
        ),
        None,
    )


MANIFEST_FIELDS = (*REQUIRED_COLUMNS, "title", "issued", "doc_number", "population")
"""The manifest's columns that align reads (others, such as notes, are left as they are)."""


MANIFEST_NAMES = ("plans.csv", "plans.xlsx")
"""The manifest's names in a corpus folder, in the order they are looked for."""


def manifest_path(folder: str | Path) -> Path:
    """The manifest of a corpus folder: ``plans.csv``, else ``plans.xlsx``; ``plans.csv`` when
    there is neither (for messages). A manifest file given instead of its folder is itself."""
    folder = Path(folder)
    if folder.is_file():
        return folder
    return next(
        (folder / name for name in MANIFEST_NAMES if (folder / name).exists()), folder / MANIFEST_NAMES[0]
    )


def workbook_kind(data: bytes) -> str | None:
    """``"xlsx"`` (a ZIP package with a workbook, whole or damaged), ``"ole"`` (an Office binary:
    a .xls), ``"ole-encrypted"`` (a password-protected workbook), or None for a text table; read
    by :func:`align.documents.sniff_format`."""
    kind = sniff_format(data)
    if kind in ("ole", "ole-encrypted"):
        return kind
    # the whole package is searched: its first entries (a thumbnail, say) may be large
    return "xlsx" if kind in ("zip", "zip-damaged") and b"xl/" in data else None


def _workbook_as_csv(data: bytes, kind: str, path: Path, what: str = "manifest") -> str:
    """The first visible sheet (or the one called ``plans``) of an Excel workbook (``kind`` from
    :func:`workbook_kind`) as CSV text, row *n* of the sheet on line *n*, so that errors name the
    row Excel shows. Dates become ISO dates and whole numbers lose their ``.0``; formulas give
    their last computed value; a line break in a cell is a space. ``what`` names the table in
    errors."""
    return workbook_sheets(data, kind, path, what, every=False)[0][1]


def workbook_sheets(
    data: bytes, kind: str, path: str | Path, what: str = "table", every: bool = True
) -> list[tuple[str, str]]:
    """(name, CSV text) of each visible sheet of an Excel workbook, as :func:`_workbook_as_csv`
    reads one; with ``every=False`` only the sheet called ``plans`` or else the first visible one.

    Raises
    ------
    InputError : a .xls, a password-protected or damaged workbook, one without a visible sheet.
    """
    path = Path(path)
    if kind == "ole-encrypted":
        raise InputError(
            f"is a password-protected Excel workbook; save the {what} without a password (or as CSV)",
            path,
        )
    if kind == "ole":
        raise InputError(
            f"is an Excel 97–2003 workbook (.xls) or another Office binary file; save the {what} as .xlsx or CSV",
            path,
        )
    import openpyxl

    try:
        # read-only streams the sheet: a sheet formatted down to row 1,048,576 is not a million
        # cells in memory
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, lxml errors … for a damaged package
        raise InputError(
            f"is not a readable Excel workbook ({type(exc).__name__}: {exc}); save the {what} again as "
            ".xlsx or CSV",
            path,
        ) from None
    try:
        visible = [sheet for sheet in book.worksheets if sheet.sheet_state == "visible"]
        if not every and "plans" in book.sheetnames and book["plans"] in book.worksheets:
            visible = [book["plans"]]
        elif not visible:
            raise InputError("has no visible worksheet (only charts or hidden sheets)", path)
        return [(sheet.title, _sheet_as_csv(sheet)) for sheet in (visible if every else visible[:1])]
    except InputError:
        raise
    except Exception as exc:  # a damaged sheet inside a readable package
        raise InputError(
            f"is not a readable Excel workbook ({type(exc).__name__}: {exc}); save the {what} again as "
            ".xlsx or CSV",
            path,
        ) from None
    finally:
        book.close()


def _sheet_as_csv(sheet: Any) -> str:
    # the size the sheet declares may be missing or wrong: every row written is read; the
    # empty rows (a sheet may be formatted down to row 1,048,576) are not kept
    sheet.reset_dimensions()
    rows: dict[int, list[str]] = {}
    for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
        cells = [_cell_text(value) for value in row]
        if any(cells):
            rows[number] = cells
    _fill_merged(rows, _merged_ranges(sheet))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # a row's empty cells at its end are not stored: every row is padded to the widest (the first
    # row may be a one-cell title above the header)
    width = max((len(cells) for cells in rows.values()), default=0)
    for number in range(1, max(rows, default=0) + 1):
        cells = rows.get(number, [])
        writer.writerow(cells + [""] * (width - len(cells)) if cells else [])
    return out.getvalue()


def _merged_ranges(sheet: Any) -> list[str]:
    """The merged ranges (``E3:E5``) of a read-only sheet, which openpyxl does not read there; none
    when its package cannot be reached (openpyxl's internals may change: then cells are not filled)."""
    try:
        with sheet.parent._archive.open(sheet._worksheet_path) as source:
            xml = source.read()
    except (AttributeError, KeyError, OSError, ValueError):
        return []
    return [ref.decode() for ref in re.findall(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([^"]+)"', xml)]


def _fill_merged(rows: dict[int, list[str]], ranges: list[str]) -> None:
    """Each row of a merged range holds the range's value in its first column, as the sheet shows
    it (a parent_id merged over the rows of its children is each child's parent). Across columns
    the value stays in the first one: a title merged over two columns is one title."""
    from openpyxl.utils.cell import range_boundaries

    last = max(rows, default=0)
    for ref in ranges:
        column, min_row, _max_col, max_row = range_boundaries(ref)
        first = rows.get(min_row, [])
        value = first[column - 1] if len(first) >= column else ""
        for number in range(min_row + 1, min(max_row, last) + 1) if value else ():
            cells = rows.setdefault(number, [])
            cells += [""] * (column - len(cells))
            cells[column - 1] = value


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):  # a date typed with a time of day: the date
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # a line break in a cell (Alt+Enter) would start a new CSV line and shift the rows named
    return " ".join(str(value).splitlines())


def table_text(data: bytes, path: str | Path, what: str = "manifest") -> str:
    """The CSV text of a table file (manifest, gold): an Excel workbook's first sheet (see
    :func:`_workbook_as_csv`), else the decoded CSV (:func:`decode_table`) without its BOM.
    ``what`` names the table in errors."""
    kind = workbook_kind(data)
    if kind:
        return _workbook_as_csv(data, kind, Path(path), what)
    return decode_table(data, path, what).lstrip("\ufeff")


def column_name(written: str) -> str:
    """The manifest column a header cell names: itself, or the column of its Chinese name
    (:data:`COLUMN_ALIASES`), spaces and line breaks inside it aside (``上级 编号``)."""
    return COLUMN_ALIASES.get(written) or COLUMN_ALIASES.get(re.sub(r"\s+", "", written)) or written


def title_rows(text: str, most: int = 2) -> int:
    """How many title rows stand above the manifest's header: 0, unless one of the next ``most``
    lines names plan_id and file and every line above it has at most two values."""
    lines = text.split("\n", most + 1)
    for k, line in enumerate(lines[: most + 1]):
        cells = [_visible(c).strip('"').lower() for c in line.split(header_delimiter(line))]
        names = {column_name(c) for c in cells}
        if {"plan_id", "file"} <= names:
            return k
        if sum(bool(c) for c in cells) > 2:
            return 0  # a row of values: no title row, the header is what it is
    return 0


def _read_manifest(path: Path, plans_dir: Path | None, check_files: bool) -> list[tuple[PlanMeta, int]]:
    if not path.exists():
        raise InputError("manifest does not exist", path)
    if not path.is_file():
        raise InputError("manifest is not a file", path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"manifest cannot be read ({exc.strerror or exc})", path) from None
    text = table_text(data, path)
    if not text.strip():
        raise InputError(
            f"manifest is empty; it needs a header ({', '.join(REQUIRED_COLUMNS)}, …) and one row per plan",
            path,
            1,
        )
    # a title row or two above the header ("全民科学素质行动方案清单", merged over the columns), as
    # Chinese spreadsheets are often laid out
    titles = title_rows(text)
    delimiter = header_delimiter(text.split("\n")[titles])
    # strict: an unclosed quote is an error, not the rest of the file swallowed into one cell
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True, skipinitialspace=True
    )
    rows: list[tuple[list[str], int]] = []
    last = 0
    try:
        while reader.line_num < titles:  # a title in quotes may span two lines
            next(reader)
        header = next(reader)
        last = reader.line_num
        header_line = last
        for row in reader:
            rows.append((row, last + 1))
            last = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InputError(
                'a quoted value opened in this row is never closed (a stray " in a cell?)', path, last + 1
            ) from None
        if "expected after" in str(exc):
            raise InputError(
                f'is not valid CSV ({exc}): a value that starts with " must be quoted as a whole, its '
                'own quotes doubled ("""十四五""规划"), as spreadsheets save it',
                path,
                reader.line_num or 1,
            ) from None
        raise InputError(f"is not valid CSV ({exc})", path, reader.line_num or 1) from None

    # invisible characters (BOM, zero-width space) pasted into a header name do not count
    written = [_visible(name).lower() for name in header]
    columns = [column_name(name) for name in written]
    seen_columns: dict[str, str] = {}
    for name, as_written in zip(columns, written, strict=True):
        if name and name in seen_columns:
            if as_written == seen_columns[name]:
                raise InputError(f"column '{name}' appears twice in the header", path, header_line)
            raise InputError(
                f"columns '{seen_columns[name]}' and '{as_written}' both name {name}; keep one",
                path,
                header_line,
            )
        seen_columns[name] = as_written
    missing = [name for name in REQUIRED_COLUMNS if name not in seen_columns]
    if (
        missing
        and len(header) == 1
        and path.suffix.lower() in FORMATS
        and not any(name in columns[0] for name in REQUIRED_COLUMNS)
    ):
        # a plan document given where its manifest was expected (--corpus data/plans/x.txt)
        raise InputError(
            "is a plan document, not a manifest: give the corpus folder (the one holding plans.csv "
            "or plans.xlsx) or the manifest file itself",
            path,
        )
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (the header reads {', '.join(map(repr, header))}); "
            "the header must have "
            f"{', '.join(REQUIRED_COLUMNS)} (and optionally title, issued, doc_number, population), "
            "or in Chinese 编号, 文件, 地区, 层级, 上级 (标题, 发布日期, 文号, 人口), "
            + (
                "in the sheet's first row (under at most a title row or two)"
                if workbook_kind(data)
                else "separated by commas, tabs or semicolons"
            ),
            path,
            header_line,
        )

    base = plans_dir if plans_dir is not None else path.parent / "plans"
    metas: list[tuple[PlanMeta, int]] = []
    lines_by_id: dict[str, int] = {}
    files_seen: dict[Path, tuple[str, int]] = {}
    for row, line in rows:
        if not any(cell.strip() for cell in row) or _is_comment(row, columns):
            continue
        # the header again (two manifests pasted together), in either language
        if [column_name(_visible(cell).lower()) for cell in row] == columns:
            warnings.warn(
                f"{path}:{line}: repeats the header (two manifests pasted together?); skipped",
                AlignWarning,
                stacklevel=2,
            )
            continue
        if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
            raise InputError(
                f"row has {len(row)} values but the header has {len(columns)} columns "
                "(a value containing a comma must be quoted)",
                path,
                line,
            )
        # a value left out anywhere shifts the ones after it into the wrong columns: an error, and
        # the message says how to leave a cell empty
        if len(row) < len(columns):
            raise InputError(
                f"row has {len(row)} values but the header has {len(columns)} columns (an empty value "
                "is still written, between two commas: jx,jx.txt,江西省,provincial,,,)",
                path,
                line,
            )
        # invisible characters (zero-width space, BOM) pasted into a value make ids that look equal
        # differ; a line break inside a quoted title is a space
        record = {name: _visible(cell) for name, cell in zip(columns, row, strict=False) if name}
        for name in MANIFEST_FIELDS:
            control = _control_character(record.get(name, ""))
            if control is not None:
                raise InputError(
                    f"the {name} {record[name]!r} holds the "
                    f"{'control character' if unicodedata.category(control) == 'Cc' else 'noncharacter'} "
                    f"U+{ord(control):04X}, which "
                    "no output can hold; delete it (most editors do not show it)",
                    path,
                    line,
                )
            if name != "title" and re.search(r"[\r\n]", record.get(name, "")):
                raise InputError(
                    f"the {name} {record[name]!r} holds a line break (typed with Alt+Enter in a "
                    "spreadsheet?); delete it",
                    path,
                    line,
                )
        record["title"] = " ".join(record.get("title", "").split())
        plan_id = record["plan_id"]
        if not plan_id:
            raise InputError("plan_id is empty", path, line)
        if any(ch.isspace() for ch in plan_id) or "/" in plan_id or "\\" in plan_id:
            raise InputError(
                f"plan_id '{plan_id}' may not contain spaces or slashes (e.g. use jiangxi-2021)", path, line
            )
        if plan_id in lines_by_id:
            raise InputError(
                f"duplicate plan_id '{plan_id}' (first defined on line {lines_by_id[plan_id]})", path, line
            )
        lines_by_id[plan_id] = line
        level_raw = record["level"]
        level = LEVEL_ALIASES.get(level_raw.lower())
        if level is None:
            what = f"unknown level '{level_raw}'" if level_raw.strip() else "empty level"
            below = (
                " (align has no level below county: a township's plan is not supported)"
                if any(word in level_raw.lower() for word in ("乡", "镇", "街道", "township"))
                else ""
            )
            raise InputError(
                f"{what} for plan '{plan_id}'{below}; use one of {', '.join(LEVELS)} "
                "(or 国家级, 省级, 市级, 县级, 区级 …)",
                path,
                line,
            )
        file = record["file"].replace("\\", "/")
        if file and check_files:
            target = base / file
            try:
                is_file = target.is_file()
            except OSError as exc:  # a folder on the way that may not be entered, a name too long
                raise InputError(
                    f"file '{file}' of plan '{plan_id}' cannot be reached: {exc.strerror or exc}", path, line
                ) from None
            if not is_file:
                raise InputError(
                    f"file '{file}' of plan '{plan_id}' "
                    + (
                        "is a folder, not a document"
                        if target.is_dir()
                        else "is not a regular file (a pipe or device?)"
                        if target.exists()
                        else f"is a link to {os.readlink(target)}, which leads to no file"
                        if target.is_symlink()
                        else f"does not exist: {base} is a file, not the folder of the documents"
                        if base.is_file()
                        else f"does not exist in {base}" + _case_hint(base, file)
                    ),
                    path,
                    line,
                )
            other = files_seen.setdefault(target.resolve(), (plan_id, line))
            if other[0] != plan_id:
                warnings.warn(
                    f"{path}:{line}: plan '{plan_id}' has the same document as plan '{other[0]}' "
                    f"(line {other[1]}): {file}; aligning them compares the text with itself",
                    AlignWarning,
                    stacklevel=2,
                )
        population = _parse_population(record.get("population", ""), path, line)
        meta = PlanMeta(
            plan_id=plan_id,
            file=file,
            jurisdiction=record["jurisdiction"],
            level=level,
            parent_id=record["parent_id"],
            title=record.get("title", ""),
            issued=normalize_issued(record.get("issued", ""), path, line),
            doc_number=record.get("doc_number", ""),
            population=population,
        )
        metas.append((meta, line))
    if not metas:
        raise InputError("manifest has a header but no plan rows", path, 1)
    check_hierarchy(metas, path)
    return metas


def check_hierarchy(metas: list[tuple[PlanMeta, int]], path: str | Path | None = None) -> None:
    """Check the parent links of manifest rows.

    Parameters
    ----------
    metas : the plans with the manifest line of each (0 when not from a file).
    path : the manifest, named in errors.

    Raises
    ------
    InputError : a parent that is not a plan of the manifest, a parent cycle (named, e.g.
        ``a → b → a``) or a child whose level is above its parent's. Same-level parents (peers)
        are fine.
    """
    by_id = {meta.plan_id: (meta, line) for meta, line in metas}
    for meta, line in metas:
        if meta.parent_id and meta.parent_id not in by_id:
            # the parent written by another of its names: its id in another case, its
            # jurisdiction or its document number
            named = [
                other.plan_id
                for other, _ in metas
                if meta.parent_id.lower() == other.plan_id.lower()
                or meta.parent_id in (other.jurisdiction, other.doc_number)
            ]
            hint = f"did you mean {named[0]}? Otherwise add" if len(named) == 1 else "add"
            raise InputError(
                f"parent_id '{meta.parent_id}' of plan '{meta.plan_id}' is not a plan_id of the manifest "
                f"({hint} a row for it, with an empty file if its text is not available)",
                path,
                line or None,
            )
    done: set[str] = set()
    for meta, _line in metas:
        chain: list[str] = []
        current: str = meta.plan_id
        while current and current not in done:
            if current in chain:
                cycle = chain[chain.index(current) :] + [current]
                first = min(cycle[:-1], key=lambda pid: by_id[pid][1])
                start = cycle.index(first)
                named = cycle[start:-1] + cycle[:start] + [first]
                raise InputError(
                    f"parent cycle: {' → '.join(named)} (a plan cannot be its own ancestor)",
                    path,
                    by_id[first][1] or None,
                )
            chain.append(current)
            current = by_id[current][0].parent_id
        done.update(chain)
    for meta, line in metas:
        if not meta.parent_id or meta.level not in LEVELS:
            continue
        parent = by_id[meta.parent_id][0]
        if parent.level in LEVELS and level_rank(meta.level) < level_rank(parent.level):
            raise InputError(
                f"plan '{meta.plan_id}' is {meta.level} but its parent '{parent.plan_id}' is {parent.level}: "
                "a child cannot be above its parent",
                path,
                line or None,
            )


def load_manifest(
    path: str | Path, plans_dir: str | Path | None = None, *, check_files: bool = True
) -> list[PlanMeta]:
    """Read and validate a manifest (``plans.csv``).

    Parameters
    ----------
    path : the manifest: CSV (or tab-separated) in UTF-8 with or without BOM, or GBK.
    plans_dir : the folder ``file`` is relative to; ``plans/`` beside the manifest by default.
    check_files : whether every non-empty ``file`` must exist.

    Returns
    -------
    The plans in manifest order, ``level`` normalised to one of :data:`align.models.LEVELS`,
    ``population`` as a number or None.

    Raises
    ------
    InputError : naming the manifest and the CSV line (exit code 2): missing columns, empty
        manifest, duplicate plan_id, unknown parent, parent cycle, missing file, unknown level,
        a child above its parent, a bad population, a control character in a value, a file that
        cannot be reached or a link leading nowhere, an undecodable encoding, broken CSV.
    """
    return [
        meta for meta, _ in _read_manifest(Path(path), Path(plans_dir) if plans_dir else None, check_files)
    ]


# ---------------------------------------------------------------------------------------------
# Corpus


def plan_from_path(
    path: str | Path, plan_id: str | None = None, *, level: str = "", min_chars: int = MIN_PLAN_CHARS
) -> Plan:
    """A plan from a bare document file (not in a manifest).

    Parameters
    ----------
    path : the document.
    plan_id : defaults to the file's stem.
    level : the administrative level if known; ``""`` means unknown (no level comparisons).
    min_chars : see :func:`read_document`.

    Returns
    -------
    The plan, with ``meta.file`` the path as given and ``source`` the resolved path.
    """
    path = Path(path)
    text = read_document(path, min_chars=min_chars)
    meta = PlanMeta(plan_id=plan_id or path.stem, file=str(path), jurisdiction="", level=level)
    return Plan(meta=meta, text=text, source=str(path.resolve()))


class Corpus:
    """Plans of a manifest with their documents, read lazily and cached.

    Parameters
    ----------
    metas : the plans, in manifest order (validated: unique ids, known parents, no cycle, no
        child above its parent).
    plans_dir : the folder the ``file`` column is relative to.
    manifest : the manifest file, named in errors.
    min_chars : see :func:`read_document`.
    lines : manifest line of each plan (for error messages).

    Attributes
    ----------
    metas : plan_id → PlanMeta, in manifest order.
    plans_dir, manifest : as given.
    """

    def __init__(
        self,
        metas: Iterable[PlanMeta],
        plans_dir: str | Path,
        manifest: str | Path | None = None,
        *,
        min_chars: int = MIN_PLAN_CHARS,
        lines: dict[str, int] | None = None,
    ) -> None:
        metas = list(metas)
        self.manifest = Path(manifest) if manifest is not None else None
        self.plans_dir = Path(plans_dir)
        self.min_chars = min_chars
        self._lines = dict(lines or {})
        seen: set[str] = set()
        for meta in metas:
            if meta.plan_id in seen:
                raise InputError(
                    f"duplicate plan_id '{meta.plan_id}'", self.manifest, self._lines.get(meta.plan_id)
                )
            seen.add(meta.plan_id)
        check_hierarchy([(m, self._lines.get(m.plan_id, 0)) for m in metas], self.manifest)
        self.metas: dict[str, PlanMeta] = {m.plan_id: m for m in metas}
        self._texts: dict[str, str] = {}

    # construction -------------------------------------------------------------------------

    @classmethod
    def load(
        cls, corpus_dir: str | Path, *, plans_dir: str | Path | None = None, min_chars: int = MIN_PLAN_CHARS
    ) -> Corpus:
        """Load ``corpus_dir/plans.csv`` with documents in ``corpus_dir/plans/``.

        Parameters
        ----------
        corpus_dir : the corpus folder, or a manifest file (its documents in ``plans/`` beside it).
        plans_dir : overrides the documents folder.
        min_chars : see :func:`read_document`.
        """
        corpus_dir = expand_home(corpus_dir)  # "~/data" from a notebook, as on the command line
        if plans_dir is not None:
            plans_dir = expand_home(plans_dir)
        if corpus_dir.is_dir():
            manifest = manifest_path(corpus_dir)
            if all((corpus_dir / name).exists() for name in MANIFEST_NAMES):
                warnings.warn(
                    f"{corpus_dir}: has both {' and '.join(MANIFEST_NAMES)}; reading {manifest.name} "
                    "(remove the other one)",
                    AlignWarning,
                    stacklevel=2,
                )
        elif corpus_dir.exists() or corpus_dir.suffix.lower() in (".csv", ".tsv", ".xlsx"):
            manifest = corpus_dir
        else:
            raise InputError("corpus folder does not exist", corpus_dir)
        if not manifest.exists() and corpus_dir.is_dir():
            # the plans folder given for the corpus, or a manifest under another name (计划清单.csv,
            # plans.xls): the hint says which
            try:
                files = [f for f in corpus_dir.iterdir() if f.is_file()]
            except OSError:
                files = []
            tables = sorted(f.name for f in files if f.suffix.lower() in (".csv", ".tsv", ".xlsx"))
            old_excel = sorted(f.name for f in files if f.suffix.lower() == ".xls")
            if manifest_path(corpus_dir.parent).exists() and any(f.suffix.lower() in FORMATS for f in files):
                hint = f"; it holds documents: give the corpus folder {corpus_dir.parent}, which has the manifest"
            elif tables:
                hint = (
                    f"; found {', '.join(tables[:3])}{' …' if len(tables) > 3 else ''}: if one is the "
                    "manifest, rename it plans.csv (plans.xlsx for a workbook) or pass it with --corpus"
                )
            elif old_excel:
                hint = (
                    f"; found {old_excel[0]}: save it from Excel as plans.xlsx (the .xls format is not read)"
                )
            else:
                hint = ""
            raise InputError(
                "has no manifest plans.csv or plans.xlsx (columns plan_id, file, jurisdiction, level, "
                f"parent_id, …){hint}",
                corpus_dir,
            )
        base = Path(plans_dir) if plans_dir is not None else manifest.parent / "plans"
        rows = _read_manifest(manifest, base, True)
        return cls(
            [m for m, _ in rows],
            base,
            manifest,
            min_chars=min_chars,
            lines={m.plan_id: line for m, line in rows},
        )

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], *, min_chars: int = MIN_PLAN_CHARS) -> Corpus:
        """A flat corpus of bare documents: plan_id = file stem (``-2``, ``-3`` … on clashes),
        level unknown (``""``), no parents."""
        if isinstance(paths, str | Path):  # one name would be read as its characters
            raise TypeError(
                f"paths must be a list of documents, not one {type(paths).__name__}: "
                f"Corpus.from_files([{str(paths)!r}]), or sorted(Path(folder).iterdir()) for a folder"
            )
        metas: list[PlanMeta] = []
        used: set[str] = set()
        for raw in paths:
            path = Path(raw)
            plan_id, n = path.stem, 1
            while plan_id in used:
                n += 1
                plan_id = f"{path.stem}-{n}"
            used.add(plan_id)
            metas.append(PlanMeta(plan_id=plan_id, file=str(path.resolve()), jurisdiction="", level=""))
        return cls(metas, Path("/"), None, min_chars=min_chars)

    # lookup ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.metas)

    def __iter__(self) -> Iterator[str]:
        return iter(self.metas)

    def __contains__(self, plan_id: object) -> bool:
        return plan_id in self.metas

    def meta(self, plan_id: str) -> PlanMeta:
        """The manifest row of a plan; an unknown id is an :class:`InputError`."""
        try:
            return self.metas[plan_id]
        except KeyError:
            known = ", ".join(list(self.metas)[:12])
            named = self.named_by(plan_id)
            hint = f"did you mean {named}? " if named else ""
            raise InputError(f"unknown plan id '{plan_id}' ({hint}known: {known})", self.manifest) from None

    def named_by(self, typed: object) -> str | None:
        """The one plan id a user most likely meant by ``typed``: the plan named by its
        jurisdiction (江西省), title or document number, or its id in another case or with spaces
        around it; ``None`` when no plan, or several, fit."""
        named = self.plans_named_by(typed)
        return named[0] if len(named) == 1 else None

    def plans_named_by(self, typed: object) -> list[str]:
        """Every plan id ``typed`` could name (see :meth:`named_by`)."""
        text = str(typed).strip()
        return [
            m.plan_id
            for m in self.metas.values()
            if text and (text in (m.jurisdiction, m.title, m.doc_number) or text.lower() == m.plan_id.lower())
        ]

    def path(self, plan_id: str) -> Path | None:
        """The document of a plan, or None when the manifest gives no file."""
        meta = self.meta(plan_id)
        return self.plans_dir / meta.file if meta.file else None

    def has_text(self, plan_id: str) -> bool:
        """Whether the plan has a document (a non-empty ``file``)."""
        return bool(self.meta(plan_id).file)

    def text(self, plan_id: str) -> str:
        """The plan's text (read on first use, then cached).

        Raises
        ------
        InputError : the plan has no document, or its document cannot be read.
        """
        if plan_id not in self._texts:
            path = self.path(plan_id)
            if path is None:
                raise InputError(
                    f"plan '{plan_id}' has no document (its file is empty in the manifest)",
                    self.manifest,
                    self._lines.get(plan_id),
                )
            self._texts[plan_id] = read_document(path, min_chars=self.min_chars)
        return self._texts[plan_id]

    def plan(self, plan_id: str) -> Plan:
        """The plan with its text (see :meth:`text`)."""
        text = self.text(plan_id)
        path = self.path(plan_id)
        return Plan(meta=self.meta(plan_id), text=text, source=str(path) if path else "")

    def resolve(self, ref: str | Path) -> Plan:
        """A plan named by the user: a plan_id of the manifest or a path to a document, or else a
        name that fits one plan only: its file as the manifest writes it, its jurisdiction
        (``江西省``), title or document number, its id in another case.

        A path that is a document of the manifest, or a byte-identical copy of one (a plan saved
        elsewhere), gets that plan's id and metadata (level, population: what comparisons across
        levels need); any other file becomes a bare plan (see :func:`plan_from_path`).
        """
        key = str(ref)
        if key in self.metas:
            return self.plan(key)
        path = expand_home(ref)
        if path.is_file():
            size = path.stat().st_size
            for plan_id, meta in self.metas.items():
                if not meta.file:
                    continue
                candidate = self.plans_dir / meta.file
                try:
                    if candidate.exists() and (
                        candidate.samefile(path)
                        or (candidate.stat().st_size == size and candidate.read_bytes() == path.read_bytes())
                    ):
                        return self.plan(plan_id)
                except OSError:
                    continue
            return plan_from_path(path, min_chars=self.min_chars)
        if path.is_dir():
            raise InputError("is a folder, not a document; name one of its files", key)
        if path.exists():
            raise InputError("is not a regular file (a pipe or device?); name a document", key)
        if path.is_symlink():
            raise InputError(f"is a link to {os.readlink(path)}, which leads to no file", key)
        # a plan named as the manifest names it: its document's file name (江西省实施方案.docx,
        # a file of the plans folder), its jurisdiction (江西省), title or document number
        by_file = [m.plan_id for m in self.metas.values() if m.file and key in (m.file, Path(m.file).name)]
        named = by_file[0] if len(by_file) == 1 else self.named_by(key)
        if named is not None:
            return self.plan(named)
        where = f" of {self.manifest}" if self.manifest else ""
        several = self.plans_named_by(key)
        hint = f"; it fits {len(several)} plans, name one: {', '.join(several)}" if len(several) > 1 else ""
        raise InputError(f"is neither a plan id{where} nor an existing file{hint}", key)

    # hierarchy -------------------------------------------------------------------------------

    def parent(self, plan_id: str) -> str | None:
        """The parent's plan_id, or None for a top plan."""
        return self.meta(plan_id).parent_id or None

    def children(self, plan_id: str) -> list[str]:
        """The direct children, in manifest order."""
        self.meta(plan_id)
        return [pid for pid, meta in self.metas.items() if meta.parent_id == plan_id]

    def ancestors(self, plan_id: str) -> list[str]:
        """Parent, grandparent, … up to the top plan."""
        out: list[str] = []
        current = self.parent(plan_id)
        while current is not None:
            out.append(current)
            current = self.parent(current)
        return out

    def nearest_ancestor_with_text(self, plan_id: str) -> str | None:
        """The closest ancestor that has a document (walking past plans with an empty file), or None."""
        for ancestor in self.ancestors(plan_id):
            if self.has_text(ancestor):
                return ancestor
        return None

    def order(self) -> list[str]:
        """All plans top-down: each top plan (manifest order) followed by its subtree, depth first."""
        out: list[str] = []

        def visit(plan_id: str) -> None:
            out.append(plan_id)
            for child in self.children(plan_id):
                visit(child)

        for plan_id, meta in self.metas.items():
            if not meta.parent_id:
                visit(plan_id)
        return out

    def alignment_pairs(self) -> list[tuple[str | None, str]]:
        """(reference, child) for every plan with a document and a parent, in :meth:`order`.

        The reference is the nearest ancestor with a document, or None when no ancestor has one
        (such a plan is to be reported, not silently skipped).
        """
        return [
            (self.nearest_ancestor_with_text(pid), pid)
            for pid in self.order()
            if self.has_text(pid) and self.metas[pid].parent_id
        ]
