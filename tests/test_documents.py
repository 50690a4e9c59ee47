"""Document ingestion: every format built from the real seed plans, and every bad document."""

from __future__ import annotations

import io
import random
import re
import struct
import tempfile
import time
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from align.documents import (
    DecodeWarning,
    PartialTextWarning,
    _doc_fib,
    clean_text,
    decode_text,
    format_list_number,
    html_to_text,
    is_furniture_line,
    read_document,
    sniff_format,
)
from align.errors import InputError
from tests.doc_fixture import FIB_CLX, compound_file, split_pieces, word_document, word_streams
from tests.ofd_fixture import ofd_package, text_object

PLANS = Path(__file__).resolve().parent.parent / "data" / "plans"
JIUJIANG = PLANS / "000_db08bb93956ab56b.txt"
JIANGXI = PLANS / "001_e9d6debd5c2ad4f8.txt"
DAZHANG = PLANS / "002_4bddc11958e96dea.txt"
GUANGXI = PLANS / "003_dc08f0f613dd20d7.txt"
NEIMENGGU = PLANS / "004_34aac81e3d6f48e4.txt"
SEEDS = [JIUJIANG, JIANGXI, DAZHANG, GUANGXI, NEIMENGGU]


def seed_lines(path: Path, start: int = 0, count: int = 12) -> list[str]:
    """Non-empty lines of a seed plan (as stored, UTF-8)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[start : start + count]


def squash(text: str) -> str:
    return "".join(text.split())


# ---------------------------------------------------------------------------------------------
# plain text in every encoding


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_text_is_read_unchanged_line_for_line(seed: Path) -> None:
    raw = seed.read_text(encoding="utf-8")
    text = read_document(seed)
    assert text.splitlines() == raw.replace("\r\n", "\n").splitlines()
    # full-width and half-width forms are kept as the user wrote them
    for ch in "，,（(":
        assert text.count(ch) == raw.count(ch)


def test_dazhang_keeps_full_width_and_jiangxi_half_width() -> None:
    assert (
        "根据《湖南省关于印发全民科学素质行动规划纲要（2021—2035年）的通知》（湘政办发【2021】74号）"
        in read_document(DAZHANG)
    )
    assert "赣府发〔2021〕29号" in read_document(JIANGXI)
    assert "力争达到15.5%,超过全国平均水平" in read_document(JIUJIANG)


@pytest.mark.parametrize(
    "encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]
)
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    original = "\n".join(seed_lines(JIUJIANG, 0, 14))
    path = tmp_path / f"jiujiang-{encoding}.txt"
    path.write_bytes(original.encode(encoding))
    assert read_document(path) == original


def test_short_gbk_text_is_gb18030_not_a_latin_codec(tmp_path: Path) -> None:
    # ~220 characters: short texts are where detectors pick cp1252/latin-1 and produce mojibake
    original = "\n".join(seed_lines(DAZHANG, 5, 5))[:230]
    path = tmp_path / "short-gbk.txt"
    path.write_bytes(original.encode("gbk"))
    assert read_document(path, min_chars=50) == original


def test_gb18030_only_characters_survive(tmp_path: Path) -> None:
    # '•' (U+2022) is not in GBK; GB18030 encodes it in four bytes (Guangxi writes "4•27")
    original = "\n".join(seed_lines(GUANGXI, 8, 6))
    assert "•" in original
    path = tmp_path / "guangxi.txt"
    path.write_bytes(original.encode("gb18030"))
    assert read_document(path) == original


def test_newlines_bom_and_control_characters(tmp_path: Path) -> None:
    lines = seed_lines(JIANGXI, 10, 6)
    messy = (
        "\ufeff"
        + lines[0]
        + "\r\n"
        + lines[1]
        + "\r"
        + lines[2]
        + "\x00\x07\n\t"
        + lines[3]
        + "\x0c"
        + "\n".join(lines[4:])
    )
    path = tmp_path / "messy.txt"
    path.write_bytes(messy.encode("utf-8"))
    text = read_document(path)
    assert text.split("\n")[:4] == [lines[0], lines[1], lines[2], "\t" + lines[3]]
    assert "\r" not in text and "\x00" not in text and "\x07" not in text and "\ufeff" not in text
    assert text.split("\n") == [lines[0], lines[1], lines[2], "\t" + lines[3], lines[4], lines[5]]


def test_next_line_separators_are_line_ends_not_binary(tmp_path: Path) -> None:
    """U+0085 (NEL, the line end of some mainframe and old Unicode exports) ends a line like a
    newline; before, a whole text separated by it was refused as binary."""
    text = JIANGXI.read_text(encoding="utf-8")
    path = tmp_path / "nel.txt"
    path.write_bytes(text.replace("\n", "\x85").encode("utf-8"))
    assert read_document(path) == read_document(JIANGXI)


def test_clean_text_drops_noncharacters_and_lone_surrogates() -> None:
    # U+FFFE/U+FFFF (a stray "EF BF BF" or an HTML &#65535;) once reached graph.graphml, whose XML
    # writer ended the run with a traceback; a supplementary ideograph stays
    text = "一、加强\uffff科普\ufffe工作\ufdd0。\U0010ffff𠀀\ud800"
    assert clean_text(text) == "一、加强科普工作。𠀀"


def test_clean_text_maps_kangxi_radicals_but_does_not_fold_widths() -> None:
    assert clean_text("⼀、指导思想（⼯作⽬标）ＡＢ１") == "一、指导思想（工作目标）ＡＢ１"


def test_truncated_utf8_is_reported(tmp_path: Path) -> None:
    text = JIUJIANG.read_text(encoding="utf-8")[:1000].rstrip() + "纲"
    data = text.encode("utf-8")[:-1]  # the last character loses its last byte
    path = tmp_path / "cut.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match="truncated") as err:
        read_document(path)
    assert str(path) in str(err.value) and err.value.exit_code == 2


# ---------------------------------------------------------------------------------------------
# .docx


def make_docx(path: Path, paragraphs: list[str], table: list[list[str]], after: list[str]) -> None:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, cell in enumerate(row):
            grid.cell(r, c).text = cell
    for text in after:
        document.add_paragraph(text)
    document.save(str(path))


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    before = seed_lines(JIUJIANG, 5, 10)
    after = seed_lines(JIUJIANG, 15, 3)
    table = [["任务", "责任单位"], ["实施教师科学素质提升工程", "市教育局、市科协"]]
    path = tmp_path / "jiujiang.docx"
    make_docx(path, before, table, after)
    lines = read_document(path).split("\n")
    assert lines == [*before, "任务\t责任单位", "实施教师科学素质提升工程\t市教育局、市科协", *after]


def test_docx_merged_cells_are_not_repeated(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for text in seed_lines(JIANGXI, 3, 6):
        document.add_paragraph(text)
    grid = document.add_table(rows=2, cols=3)
    grid.cell(0, 0).merge(grid.cell(0, 2)).text = "五项提升行动"
    for c, text in enumerate(["青少年", "农民", "产业工人"]):
        grid.cell(1, c).text = text
    path = tmp_path / "merged.docx"
    document.save(str(path))
    text = read_document(path)
    assert text.count("五项提升行动") == 1
    assert text.endswith("五项提升行动\n青少年\t农民\t产业工人")


def test_truncated_docx_is_an_input_error(tmp_path: Path) -> None:
    good = tmp_path / "good.docx"
    make_docx(good, seed_lines(JIUJIANG, 5, 10), [["a", "b"]], [])
    bad = tmp_path / "bad.docx"
    bad.write_bytes(good.read_bytes()[:1500])
    with pytest.raises(InputError) as err:
        read_document(bad)
    assert str(bad) in str(err.value)


def test_text_named_docx_and_legacy_doc(tmp_path: Path) -> None:
    fake = tmp_path / "plan.docx"
    fake.write_text("\n".join(seed_lines(JIUJIANG, 5, 10)), encoding="utf-8")
    with pytest.raises(InputError, match=r"not a valid \.docx"):
        read_document(fake)
    legacy = tmp_path / "plan.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(InputError, match=r"is a damaged Word document") as err:
        read_document(legacy)
    assert str(legacy) in str(err.value)


# ---------------------------------------------------------------------------------------------
# .doc and .wps (Word 97–2003 binary), built by tests/doc_fixture.py; one real Word file

REAL_DOC = Path(__file__).resolve().parent / "data" / "test-ole-file.doc"  # olefile's, saved by Word


def write_doc(path: Path, pieces: list[tuple[str, bool]], **options: Any) -> Path:
    path.write_bytes(word_document(pieces, **options))
    return path


def word_text(lines: list[str]) -> str:
    """Lines as Word stores them: each paragraph ends with a paragraph mark."""
    return "".join(line + "\r" for line in lines)


def test_the_fixture_writes_compound_files_that_olefile_reads() -> None:
    import olefile

    streams = word_streams([("一、总体要求\r", False), ("Plan “A” — 2025\r", True)], footnotes="注\r")
    with olefile.OleFileIO(io.BytesIO(compound_file(streams))) as ole:
        assert sorted(ole.listdir()) == [["1Table"], ["WordDocument"]]
        for name, data in streams.items():
            assert ole.openstream(name).read()[: len(data)] == data
    with olefile.OleFileIO(io.BytesIO(compound_file({f"S{i}": bytes([i]) for i in range(6)}))) as ole:
        assert [ole.openstream(f"S{i}").read()[0] for i in range(6)] == list(range(6))


def test_multi_piece_chinese_doc_reads_back_and_gives_the_measures_of_the_text(tmp_path: Path) -> None:
    from align.measures import extract_measures

    lines = JIANGXI.read_text(encoding="utf-8").splitlines()[:60]
    text_file = tmp_path / "jiangxi.txt"
    text_file.write_text("\n".join(lines), encoding="utf-8")
    pieces = split_pieces(word_text(lines))
    assert len(pieces) > 10 and {compressed for _, compressed in pieces} == {True, False}
    assert any("—" in piece for piece, compressed in pieces if compressed)  # 0x97 of the 8-bit table
    doc = write_doc(tmp_path / "jiangxi.doc", pieces)
    text = read_document(doc)
    assert text == "\n".join(line for line in lines if line.strip())
    assert "江西省全民科学素质行动规划纲要实施方案(2021—2025年)" in text
    from_doc = [replace(m, line=0) for m in extract_measures(text, "jiangxi")]
    from_text = [replace(m, line=0) for m in extract_measures(read_document(text_file), "jiangxi")]
    assert from_doc == from_text and len(from_doc) >= 9


def test_doc_fields_keep_their_result_and_drop_their_code(tmp_path: Path) -> None:
    lines = seed_lines(JIUJIANG, 5, 6)
    link = '\x13 HYPERLINK "http://www.jiujiang.gov.cn/" \x14九江市人民政府网\x15'
    nested = '\x13 IF \x13 MERGEFIELD 级别 \x14市级\x15 = "市级" "市本级" "县级" \x14市本级\x15'
    pieces = [
        (word_text(["目 录"]) + '\x13 TOC \\o "1-3" \\h \x14一、总体要求\t1\r二、重点任务\t3\r\x15', False),
        (word_text(lines[:2]), False),
        (f"详见{link}。\r", False),
        (f"由{nested}组织实施。\r", False),
        ("\x13 MACROBUTTON NoMacro [点击输入] \x15" + word_text(lines[2:4]), False),
        ('\x13 DDEAUTO c:\\\\windows\\\\cmd.exe "/k calc.exe" \x14\x15', True),
        ("\x13 PAGE \x14\x15" + word_text(lines[4:]), False),
    ]
    text = read_document(write_doc(tmp_path / "fields.doc", pieces))
    assert text.split("\n") == [
        "目 录",
        *lines[:2],
        "详见九江市人民政府网。",
        "由市本级组织实施。",
        *lines[2:],
    ]
    for code in ("HYPERLINK", "MERGEFIELD", "MACROBUTTON", "点击输入", "DDEAUTO", "calc", "TOC", "重点任务"):
        assert code not in text


def test_doc_footnotes_after_the_main_text_are_not_read(tmp_path: Path) -> None:
    lines = seed_lines(JIUJIANG, 5, 8)
    body = word_text(lines[:3]) + lines[3] + "\x02" + "\r" + word_text(lines[4:])
    footnote = "\x02 脚注：本方案所称公民科学素质比例依据第十二次中国公民科学素质抽样调查。\r"
    text = read_document(write_doc(tmp_path / "notes.doc", [(body, False)], footnotes=footnote))
    assert text.split("\n") == lines
    assert "脚注" not in text and "抽样调查" not in text


def test_doc_table_rows_are_lines_of_tab_separated_cells(tmp_path: Path) -> None:
    before, after = seed_lines(JIUJIANG, 5, 3), seed_lines(JIUJIANG, 8, 2)
    rows = [["任务", "牵头单位", "完成时限"], ["实施教师科学素质提升工程", "市教育局、市科协", "2025年"]]
    table = "".join("".join(cell + "\x07" for cell in row) + "\x07" for row in rows)
    pieces = [(word_text(before), False), (table, False), (word_text(after), False)]
    text = read_document(write_doc(tmp_path / "table.doc", pieces))
    assert text.split("\n") == [*before, *("\t".join(row) for row in rows), *after]
    # the rule without paragraph properties: 0x07 right after 0x07 ends a row, so an empty cell
    # ends its row early; no text is lost
    empty = "".join(cell + "\x07" for cell in ["序号", "", "责任单位"]) + "\x07"
    text = read_document(write_doc(tmp_path / "empty.doc", [(word_text(before) + empty, False)]))
    assert text.split("\n")[-2:] == ["序号", "责任单位"]


def test_doc_special_characters(tmp_path: Path) -> None:
    lines = seed_lines(JIUJIANG, 5, 4)
    marks = "科学素质\x1e提升\x1f工程\x01\x08\x05\x0b实施方案\x0c"
    text = read_document(write_doc(tmp_path / "marks.doc", [(word_text(lines) + marks + "\r", False)]))
    assert text.split("\n") == [*lines, "科学素质-提升工程", "实施方案"]


def test_doc_with_many_fields_left_open_reads_in_linear_time(tmp_path: Path) -> None:
    # a damaged file whose fields never end (0x13 code 0x14 result, no 0x15): their results show,
    # and reading them must not look through every open field at each field mark
    lines = seed_lines(JIUJIANG, 5, 4)
    unclosed = "\x13 REF 第一条 \x14第1条" * 20000
    body = word_text(lines[:2]) + unclosed + "\r" + word_text(lines[2:])
    start = time.perf_counter()
    text = read_document(write_doc(tmp_path / "open.doc", [(body, False)]))
    assert time.perf_counter() - start < 2.0  # quadratic, it took 18 s
    assert text.split("\n") == [*lines[:2], "第1条" * 20000, *lines[2:]]


@pytest.mark.parametrize("name", ["plan.wps", "plan.txt", "plan", "plan.dat"])
def test_wps_and_misnamed_word_documents_are_read(tmp_path: Path, name: str) -> None:
    lines = seed_lines(GUANGXI, 3, 10)
    path = write_doc(tmp_path / name, split_pieces(word_text(lines)))
    assert read_document(path) == "\n".join(lines)


def test_files_named_doc_that_are_web_pages_or_text(tmp_path: Path) -> None:
    paragraphs = seed_lines(NEIMENGGU, 14, 5)
    page = tmp_path / "page.doc"  # Word's "web page" saved as .doc, common on portals
    page.write_text(government_page(paragraphs), encoding="utf-8")
    assert read_document(page).split("\n")[1:6] == paragraphs
    plain = tmp_path / "plain.doc"
    plain.write_bytes("\n".join(paragraphs).encode("gbk"))
    assert read_document(plain) == "\n".join(paragraphs)
    noise = tmp_path / "noise.wps"
    rng = random.Random(3)
    noise.write_bytes(bytes(rng.randrange(256) for _ in range(5000)))
    with pytest.raises(InputError, match=r"named \.wps but is neither a Word 97–2003 document nor text"):
        read_document(noise)


def damaged_docs() -> dict[str, bytes]:
    """Word 97 documents of a seed plan with one structure broken each."""
    pieces = split_pieces(word_text(seed_lines(JIUJIANG, 5, 10)))
    good = word_document(pieces)

    def streams(**changes: bytes) -> dict[str, bytes]:
        out = word_streams(pieces)
        out.update(changes)
        return out

    word, table = word_streams(pieces)["WordDocument"], word_streams(pieces)["1Table"]
    # a text long enough for the WordDocument stream to need no padding (see compound_file)
    long_word, long_table = word_streams([(word_text(seed_lines(JIUJIANG, 0, 60)), False)]).values()
    assert len(long_word) > 8192

    def fib_with(offset: int, fmt: str, *values: int) -> bytes:
        data = bytearray(word)
        struct.pack_into(fmt, data, offset, *values)
        return bytes(data)

    return {
        "truncated": good[: len(good) // 2],
        "cut in the header": good[:300],
        "no table stream": compound_file({"WordDocument": word}),
        "other table stream": compound_file(streams(WordDocument=fib_with(0x0A, "<H", 0))),
        "no signature": compound_file(streams(WordDocument=fib_with(0, "<H", 0x1234))),
        "fcClx past the table": compound_file(streams(WordDocument=fib_with(FIB_CLX, "<I", 0xFFFFFF00))),
        "lcbClx past the table": compound_file(streams(WordDocument=fib_with(FIB_CLX + 4, "<I", 99999))),
        "clx without a piece table": compound_file(streams(**{"1Table": table[:0x100] + b"\x07" * 64})),
        "ccpText beyond the pieces": compound_file(streams(WordDocument=fib_with(64 + 12, "<I", 10**6))),
        "short FIB": compound_file(streams(WordDocument=word[:100])),
        "text past the stream": compound_file(
            {"WordDocument": long_word[: len(long_word) - 1000], "1Table": long_table}
        ),
        "cslw too small": compound_file(streams(WordDocument=fib_with(62, "<H", 2))),
        "cbRgFcLcb too small": compound_file(streams(WordDocument=fib_with(152, "<H", 10))),
    }


@pytest.mark.parametrize("damage", list(damaged_docs()))
def test_damaged_doc_is_an_input_error_naming_the_file(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "damaged.doc"
    path.write_bytes(damaged_docs()[damage])
    with pytest.raises(InputError, match="is a damaged Word document") as err:
        read_document(path)
    assert str(err.value).startswith(f"{path}: ")


@pytest.mark.parametrize("damage", ["truncated", "ccpText beyond the pieces", "clx without a piece table"])
def test_damaged_doc_through_the_cli_is_one_line(
    tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from align.cli import main

    path = tmp_path / "jiujiang.doc"
    path.write_bytes(damaged_docs()[damage])
    code = main(["measures", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"align: error: {path}: is a damaged Word document"), err


def test_word_6_encrypted_and_other_office_files_say_what_they_are(tmp_path: Path) -> None:
    pieces = split_pieces(word_text(seed_lines(JIUJIANG, 5, 10)))
    word6 = write_doc(tmp_path / "word6.doc", pieces, n_fib=0x0065)
    with pytest.raises(InputError, match=r"is a Word 6\.0/95 \(or older\) document; save it as \.docx"):
        read_document(word6)
    locked = write_doc(tmp_path / "locked.doc", pieces, flags=0x0300)  # fEncrypted
    with pytest.raises(InputError, match="password-protected.*without a password"):
        read_document(locked)
    workbook = tmp_path / "plan.xls.doc"
    workbook.write_bytes(compound_file({"Workbook": b"\x09\x08" * 100}))
    with pytest.raises(InputError, match=r"Office/WPS binary file but not a Word document \(an Excel"):
        read_document(workbook)
    other = tmp_path / "old.wps"
    other.write_bytes(compound_file({"Contents": b"\x00" * 100}))
    with pytest.raises(
        InputError, match=r"not a Word document \(no WordDocument stream.*save the plan as \.docx"
    ) as err:
        read_document(other)
    assert str(other) in str(err.value)


def test_a_real_word_97_document_is_read() -> None:
    import olefile

    assert read_document(REAL_DOC, min_chars=1) == "Test OLE file, saved as Word 97-2003 Document."
    with olefile.OleFileIO(str(REAL_DOC)) as ole:  # Word's FIB: fcClx where the fixture puts it
        assert _doc_fib(ole.openstream("WordDocument").read(), REAL_DOC).clx_at == FIB_CLX


_GOOD_DOC = word_document(split_pieces(word_text(seed_lines(JIUJIANG, 5, 12))), footnotes="注：脚注。\r")
# the bytes worth breaking: the CFB header, FAT and directory, the FIB, the Clx
_DOC_SPOTS = [
    *range(0, 76),
    *range(512, 1536),
    *range(1536, 1536 + 0x400),
    *range(len(_GOOD_DOC) - 4096, len(_GOOD_DOC) - 3700),
]


def read_mangled(good: bytes, name: str, cut: int, flips: list[tuple[int, int]]) -> str | None:
    """``good`` with bytes changed at ``flips`` and cut at ``cut``, read as the file ``name``: its
    text, or None when it was refused with an InputError naming the file (nothing else may escape)."""
    data = bytearray(good)
    for index, value in flips:
        data[index] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(bytes(data[:cut]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return read_document(path, min_chars=1)
            except InputError as err:
                assert str(path) in str(err)
                return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(cut=len(_GOOD_DOC), flips=[])  # the document itself reads
@given(
    cut=st.integers(min_value=0, max_value=len(_GOOD_DOC)),
    flips=st.lists(st.tuples(st.sampled_from(_DOC_SPOTS), st.integers(0, 255)), max_size=6),
)
def test_mangled_doc_only_ever_raises_input_error(cut: int, flips: list[tuple[int, int]]) -> None:
    text = read_mangled(_GOOD_DOC, "plan.doc", max(cut, 8), flips)
    assert text is not None or flips or cut < len(_GOOD_DOC)  # the document itself reads


# ---------------------------------------------------------------------------------------------
# .pdf


def noto_sans_sc() -> str:
    import importlib.util

    spec = importlib.util.find_spec("pylopdf_fonts_zh_cn")
    assert spec is not None and spec.origin is not None
    return str(Path(spec.origin).parent / "NotoSansSC-Regular.otf")


def make_text_pdf(path: Path, pages: list[list[str]]) -> None:
    """A PDF with a real (embedded Noto Sans SC, Type 42) text layer, one line per text object."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=noto_sans_sc(), size=9)
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(str(path)) as pdf:
        for number, lines in enumerate(pages, start=1):
            fig = plt.figure(figsize=(8.27, 11.69))
            for i, line in enumerate(lines):
                fig.text(0.04, 0.95 - i * 0.03, line, fontproperties=font)
            fig.text(0.5, 0.03, f"— {number} —", fontproperties=font, ha="center")
            pdf.savefig(fig)
            plt.close(fig)


def wrap(lines: list[str], width: int = 50) -> list[str]:
    return [line[i : i + width] for line in lines for i in range(0, len(line), width)]


def typeset(paragraphs: list[str], width: int = 28) -> list[str]:
    """Paragraphs broken into lines as a typesetter breaks them: each line as many characters as
    fit in ``width`` ideographs (Noto Sans SC's advances: a digit is about half as wide), so a full
    line ends within a character of the margin, and a paragraph's first line indented by two
    ideographic spaces (left out of a PDF's text, they only move its first character)."""
    from matplotlib.font_manager import get_font
    from matplotlib.ft2font import LoadFlags

    font = get_font(noto_sans_sc())
    font.set_size(1000, 72)  # advances in thousandths of an em

    def advance(ch: str) -> float:
        return font.load_char(ord(ch), flags=LoadFlags.NO_HINTING).linearHoriAdvance / 65536 / 1000

    lines = []
    for paragraph in paragraphs:
        line = "\u3000\u3000"
        used = sum(map(advance, line))
        for ch in paragraph:
            if used + advance(ch) > width + 1e-6:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += advance(ch)
        lines.append(line)
    return lines


def test_pdf_text_layer_is_extracted(tmp_path: Path) -> None:
    page1 = wrap(seed_lines(JIUJIANG, 5, 4))
    page2 = wrap(seed_lines(JIUJIANG, 9, 3))
    path = tmp_path / "jiujiang.pdf"
    make_text_pdf(path, [page1, page2])
    text = read_document(path)
    # page numbers "— 1 —" dropped; lines that reach the right margin go on in the next line. Cut
    # at 50 characters (not at a width), lines with half-width digits stop short of the margin:
    # page 1's paragraphs and the first line of page 2's last one stay in their lines.
    paragraphs = seed_lines(JIUJIANG, 9, 3)
    first, *rest = wrap(paragraphs[2:])
    assert text.split("\n") == page1 + [paragraphs[0], paragraphs[1], first, "".join(rest)]
    assert "公民具备科学素质的比例力争达到15.5%" in squash(text)


def test_scanned_pdf_says_it_needs_ocr(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig = plt.figure(figsize=(8.27, 11.69))
    fig.figimage(np.random.default_rng(0).random((200, 150)), xo=50, yo=50)
    path = tmp_path / "scan.pdf"
    fig.savefig(str(path))
    plt.close(fig)
    with pytest.raises(InputError, match="scanned.*OCR") as err:
        read_document(path)
    assert str(path) in str(err.value)


def test_truncated_pdf_and_pdf_without_text(tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    make_text_pdf(good, [wrap(seed_lines(JIANGXI, 5, 3))])
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(good.read_bytes()[:900])
    with pytest.raises(InputError) as err:
        read_document(cut)
    assert str(cut) in str(err.value)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blank = tmp_path / "blank.pdf"
    plt.figure().savefig(str(blank))
    plt.close("all")
    with pytest.raises(InputError, match="without any text|scanned"):
        read_document(blank)


def test_password_protected_pdf_says_so(tmp_path: Path) -> None:
    """An /Encrypt dictionary whose user password is not empty: pdfminer cannot open the file."""
    good = tmp_path / "good.pdf"
    make_text_pdf(good, [wrap(seed_lines(JIANGXI, 5, 3))])
    data = good.read_bytes()
    encrypt = (
        b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <"
        + b"11" * 32
        + b"> /U <"
        + b"22" * 32
        + b"> /P -44 >> "
        b"/ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] /Size"
    )
    assert data.count(b"/Size") == 1
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(data.replace(b"/Size", encrypt))
    with pytest.raises(InputError, match="is a password-protected .encrypted. PDF") as err:
        read_document(locked)
    assert str(locked) in str(err.value)


def test_pdf_named_txt_is_read_as_pdf(tmp_path: Path) -> None:
    path = tmp_path / "misnamed.txt"
    make_text_pdf(path, [wrap(seed_lines(GUANGXI, 14, 4))])
    assert "强化各级党委和政府的科普工作领导责任" in squash(read_document(path))


def test_pdf_paragraphs_cut_at_the_margin_give_the_measures_of_the_text(tmp_path: Path) -> None:
    """Lines that end with 。 at the right margin (the paragraph goes on in the next line, which is
    not indented) are joined, so no measure is split in two (a .p2 measure)."""
    from align.measures import extract_measures

    paragraphs = seed_lines(JIUJIANG, 0, 10_000)
    lines = typeset(paragraphs)
    cut_at_stop = [
        n for n, line in enumerate(lines[:-1]) if line.endswith("。") and lines[n + 1][:1] != "\u3000"
    ]
    assert len(cut_at_stop) >= 4  # what the outline parser alone takes for ends of paragraphs
    path = tmp_path / "jiujiang.pdf"
    make_text_pdf(path, [lines[i : i + 30] for i in range(0, len(lines), 30)])  # 18 pages
    text = read_document(path)
    assert text.split("\n") == paragraphs  # page numbers dropped, paragraphs across pages joined
    from_pdf = [(m.measure_id, m.text) for m in extract_measures(text, "jiujiang")]
    from_text = [(m.measure_id, m.text) for m in extract_measures(read_document(JIUJIANG), "jiujiang")]
    assert from_pdf == from_text


def test_pdf_lines_at_the_margin_are_not_joined_to_a_new_paragraph_a_heading_or_a_table(
    tmp_path: Path,
) -> None:
    ideographs = "".join(ch for ch in seed_lines(JIUJIANG, 9, 1)[0] if "\u4e00" <= ch <= "\u9fff")
    full, half = ideographs[:27] + "。", ideographs[27:40] + "。"  # lines that end a sentence
    lines = [
        full,  # reaches the margin and goes on in the next line, which starts at the margin
        full,  # reaches the margin, but the next line is indented: a new paragraph
        "\u3000\u3000" + full[2:],  # reaches the margin and goes on in the next line
        full[:-1] + "，",  # reaches the margin, but a heading follows
        "（二）主要目标。",
        "序号\u3000\u3000\u3000\u3000" + full[6:],  # a table row: its pieces stand apart
        half,
    ]
    path = tmp_path / "layout.pdf"
    make_text_pdf(path, [lines])
    assert read_document(path, min_chars=1).split("\n") == [
        full + full,
        full[2:] + full[:-1] + "，",
        "（二）主要目标。",
        "序号 " + full[6:],
        half,
    ]


# ---------------------------------------------------------------------------------------------
# .html


def government_page(paragraphs: list[str], charset: str = "utf-8") -> str:
    body = "\n".join(f'<p style="text-indent:2em">{p}</p>' for p in paragraphs)
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>内蒙古自治区人民政府</title><style>.x {{ color: red }}</style>
<script>var visits = 750; document.write("访问");</script></head>
<body>
<header><div class="logo">内蒙古自治区人民政府</div><ul><li><a href="/">首页</a></li><li><a href="/zw">政务公开</a></li></ul></header>
<nav><a href="/">首页</a> <a href="/xw">新闻</a> <a href="/hd">互动</a></nav>
<div class="breadcrumb"><a href="/">首页</a> &gt; <a href="/zc">政策文件</a> &gt; 正文</div>
<div class="main">
  <h1>内蒙古自治区人民政府关于印发自治区全民科学素质行动规划纲要实施方案(2021—2025年)的通知</h1>
  <div class="info">发布日期: 2022-01-12 &nbsp;&nbsp;|&nbsp;&nbsp; 访问次数:750 &nbsp;&nbsp;|&nbsp;&nbsp; 来源:内蒙古自治区人民政府网</div>
  <div>字体：【<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
  <div id="zoom">
  {body}
  <table><tr><td>牵头单位</td><td>自治区教育厅</td></tr></table>
  </div>
  <div class="tools">【打印本页】 【关闭窗口】</div>
  <ul class="related"><li><a href="/a">相关文件一</a></li><li><a href="/b">相关文件二</a></li></ul>
</div>
<footer><p>版权所有：内蒙古自治区人民政府办公厅</p><p>蒙ICP备05003303号</p></footer>
</body></html>"""


def test_html_main_text_without_furniture(tmp_path: Path) -> None:
    paragraphs = seed_lines(NEIMENGGU, 14, 8)
    path = tmp_path / "neimenggu.html"
    path.write_text(government_page(paragraphs), encoding="utf-8")
    lines = read_document(path).split("\n")
    assert lines[0] == "内蒙古自治区人民政府关于印发自治区全民科学素质行动规划纲要实施方案(2021—2025年)的通知"
    assert lines[1:-1] == paragraphs  # one paragraph per line, in order
    assert lines[-1] == "牵头单位\t自治区教育厅"
    text = "\n".join(lines)
    for furniture in (
        "首页",
        "政务公开",
        "访问次数",
        "发布日期",
        "字体",
        "打印",
        "关闭",
        "相关文件",
        "ICP",
        "版权所有",
        "visits",
    ):
        assert furniture not in text, furniture


def test_gbk_html_with_declared_charset(tmp_path: Path) -> None:
    paragraphs = seed_lines(NEIMENGGU, 14, 4)
    path = tmp_path / "neimenggu.htm"
    path.write_bytes(government_page(paragraphs, charset="gb2312").encode("gbk", errors="replace"))
    text = read_document(path)
    for paragraph in paragraphs:
        assert paragraph.encode("gbk", errors="replace").decode("gbk") in text


def test_html_br_paragraphs_and_metadata_lines_kept() -> None:
    lines = seed_lines(GUANGXI, 0, 5)
    html = "<html><body><div>" + "<br/>".join(lines) + "</div></body></html>"
    # 成文日期 / 发文字号 are document metadata, not furniture: only whole-furniture lines go
    assert html_to_text(html).split("\n") == lines


@pytest.mark.parametrize(
    ("line", "furniture"),
    [
        (" 发布日期: 2022-01-12   |   访问次数:750    |  来源:内蒙古自治区人民政府网  ", True),
        ("字体:", True),
        ("字体：【大 中 小】", True),
        ("【打印本页】【关闭窗口】", True),
        ("首页> >内蒙古自治区人民政府关于印发自治区全民科学素质行动规划纲要实施方案(", True),
        ("发文字号:桂科智字〔2023〕91号 | 发布日期:2023年11月14日 |", False),
        ("(一)青少年科学素质提升行动。", False),
        ("4.打印机、关闭设备等用电安全知识普及。", False),
    ],
)
def test_furniture_lines(line: str, furniture: bool) -> None:
    assert is_furniture_line(line) is furniture


def test_html_named_txt_and_unknown_suffix(tmp_path: Path) -> None:
    paragraphs = seed_lines(NEIMENGGU, 14, 5)
    page = tmp_path / "saved-page.dat"
    page.write_text(government_page(paragraphs), encoding="utf-8")
    assert read_document(page).split("\n")[1:6] == paragraphs
    plain = tmp_path / "plan.md"
    plain.write_text("\n".join(paragraphs), encoding="utf-8")
    assert read_document(plain) == "\n".join(paragraphs)


def test_xml_files_are_refused_instead_of_read_with_their_tags(tmp_path: Path) -> None:
    """An XML file (a data export, Word's "XML document") decodes as text, but its tags are no
    words of the plan; an XHTML page, which also starts with an XML declaration, is still a page."""
    paragraphs = seed_lines(NEIMENGGU, 14, 5)
    word = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    files = {
        "plan.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>\n<doc>'
            + "".join(f"<p>{p}</p>" for p in paragraphs)
            + "</doc>",
            "is an XML file",
        ),
        "plan-word2003.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<?mso-application progid="Word.Document"?>\n'
            f'<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:body>{word}'
            "</w:body></w:wordDocument>",
            "is a Word XML document.*save it as .docx",
        ),
        "document.txt": (
            '\ufeff<?xml version="1.0"?><w:document xmlns:w="urn:w"><w:body>'
            + word
            + "</w:body></w:document>",
            "is a Word XML document",
        ),
    }
    for name, (text, message) in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=message) as err:
            read_document(path)
        assert str(err.value).startswith(str(path))
    xhtml = tmp_path / "page.txt"
    xhtml.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>",
        encoding="utf-8",
    )
    assert read_document(xhtml).split("\n") == paragraphs


# ---------------------------------------------------------------------------------------------
# bad documents


def test_missing_empty_whitespace_and_folder(tmp_path: Path) -> None:
    cases = {
        tmp_path / "missing.txt": "does not exist",
        tmp_path / "empty.txt": r"is empty \(0 bytes\)",
        tmp_path / "blank.txt": "is empty",
        tmp_path: "is not a file",
    }
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\u3000\t\r\n  ", encoding="utf-8")
    for path, message in cases.items():
        with pytest.raises(InputError, match=message) as err:
            read_document(path)
        assert str(err.value).startswith(str(path)) and err.value.exit_code == 2


def test_a_link_leading_nowhere_or_in_a_loop_is_named_as_a_link(tmp_path: Path) -> None:
    (tmp_path / "moved.txt").symlink_to(tmp_path / "gone" / "plan.txt")
    (tmp_path / "a.txt").symlink_to("b.txt")
    (tmp_path / "b.txt").symlink_to("a.txt")
    for name, target in {"moved.txt": str(tmp_path / "gone" / "plan.txt"), "a.txt": "b.txt"}.items():
        with pytest.raises(
            InputError, match=f"is a link to {re.escape(target)}, which leads to no file"
        ) as err:
            read_document(tmp_path / name)
        assert str(err.value).startswith(str(tmp_path / name))


def test_too_short_to_be_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "stub.txt"
    path.write_text(seed_lines(JIUJIANG, 0, 1)[0], encoding="utf-8")
    with pytest.raises(InputError, match="too short to be a plan") as err:
        read_document(path)
    assert str(path) in str(err.value)
    assert read_document(path, min_chars=10).startswith("九江市人民政府")


def test_binary_and_images(tmp_path: Path) -> None:
    rng = random.Random(7)
    binary = tmp_path / "noise.txt"
    binary.write_bytes(bytes(rng.randrange(256) for _ in range(5000)))
    with pytest.raises(InputError, match="binary") as err:
        read_document(binary)
    assert str(binary) in str(err.value)
    png = tmp_path / "scan.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(500)))
    with pytest.raises(InputError, match="PNG image.*OCR"):
        read_document(png)
    unknown = tmp_path / "data.bin"
    unknown.write_bytes(bytes(rng.randrange(256) for _ in range(5000)))
    with pytest.raises(InputError, match="unknown document type"):
        read_document(unknown)


def test_zip_packages_that_are_no_docx_say_what_they_are(tmp_path: Path) -> None:
    """An OpenDocument text, an Excel workbook or a ZIP of documents is named for what it is (it was
    "is a ZIP archive but not a .docx document" for all, even a file named .odt or .zip)."""
    text = "\n".join(seed_lines(JIUJIANG, 0, 30))

    def package(name: str, entries: dict[str, str]) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as archive:
            for entry, content in entries.items():
                archive.writestr(entry, content)
        return path

    odt = package("plan.odt", {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"})
    xlsx = package("plan.docx", {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
    archive = package("plan.zip", {"plan/九江.txt": text, "plan/附件.docx": "x"})
    other = package("plan.txt", {"data.json": "{}"})
    for path, message in (
        (
            odt,
            r"is an OpenDocument text \(\.odt\), not a Word document; open it in WPS or LibreOffice, save it as \.docx",
        ),
        (xlsx, r"is an Excel workbook \(\.xlsx\), not a plan document"),
        (
            archive,
            r"is a ZIP archive of 2 file\(s\) \(plan/九江\.txt, plan/附件\.docx\), not a document; unpack it",
        ),
        (other, r"is a ZIP archive but not a \.docx document"),
    ):
        with pytest.raises(InputError, match=message) as err:
            read_document(path)
        assert str(err.value).startswith(f"{path}: ")


def test_sniff_format(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    assert sniff_format(buffer.getvalue()) == "zip"
    assert sniff_format(b"%PDF-1.4\n") == "pdf"
    assert sniff_format(b"{\\rtf1\\ansi") == "rtf"
    assert sniff_format(b"  <!DOCTYPE HTML><html>") == "html"
    assert sniff_format("一、指导思想".encode()) is None


# ---------------------------------------------------------------------------------------------
# properties


SUFFIXES = [".txt", ".html", ".pdf", ".docx", ".xyz", ""]
_SEED_BYTES = JIUJIANG.read_bytes()[:4000]


PREFIXES = [
    b"",
    b"%PDF-1.4\n",
    b"PK\x03\x04",
    b"<html><body>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xd0\xcf\x11\xe0",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_only_ever_raise_input_error(prefix: bytes, data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"doc{suffix}"
        path.write_bytes(prefix + data)
        try:
            text = read_document(path, min_chars=1)
        except InputError as err:
            assert str(path) in str(err)
        else:
            assert isinstance(text, str) and text.strip()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(_SEED_BYTES)),
    flips=st.lists(st.tuples(st.integers(0, len(_SEED_BYTES) - 1), st.integers(0, 255)), max_size=8),
    encoding=st.sampled_from(["utf-8", "gbk", "utf-16", "utf-8-sig"]),
    suffix=st.sampled_from(SUFFIXES),
)
def test_mangled_seed_text_only_ever_raises_input_error(
    cut: int, flips: list[tuple[int, int]], encoding: str, suffix: str
) -> None:
    data = bytearray(_SEED_BYTES.decode("utf-8", errors="ignore").encode(encoding))[:cut]
    for index, value in flips:
        if index < len(data):
            data[index] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"doc{suffix}"
        path.write_bytes(bytes(data))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                read_document(path)
            except InputError as err:
                assert str(path) in str(err)


def test_deeply_nested_html_is_read() -> None:
    paragraph = seed_lines(NEIMENGGU, 14, 1)[0]
    html = "<html><body>" + "<div>" * 3000 + paragraph + "<br>" + "<td>行</td>" * 3 + "</body></html>"
    assert html_to_text(html).split("\n") == [paragraph, "行\t行\t行"]


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def add_chinese_outline_numbering(document: object) -> str:
    """Define a Word list 一、 / （一） / 1. / ① (as 公文 templates do) and return its numId."""
    from docx.oxml import parse_xml

    levels = [
        ("chineseCounting", "%1、"),
        ("chineseCounting", "（%2）"),
        ("decimal", "%3."),
        ("decimalEnclosedCircle", "%4"),
    ]
    lvl_xml = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
        '<w:suff w:val="nothing"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    numbering = document.part.numbering_part.element  # type: ignore[attr-defined]
    abstract = parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="90">{lvl_xml}</w:abstractNum>')
    numbering.insert(0, abstract)  # abstractNum elements come before num elements
    numbering.append(parse_xml(f'<w:num {W_NS} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return "90"


def number_paragraph(paragraph: object, num_id: str, level: int) -> None:
    from docx.oxml import parse_xml

    p_pr = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    p_pr.insert(
        0, parse_xml(f'<w:numPr {W_NS}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )


def test_docx_automatic_numbering_is_rendered(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    num_id = add_chinese_outline_numbering(document)
    # the Jiujiang outline with its numbers typed by Word instead of by hand
    outline = [
        (0, "指导思想和目标"),
        (1, "指导思想。"),
        (1, "主要目标。"),
        (0, "提升行动"),
        (1, "青少年科学素质提升行动。"),
        (2, "将弘扬科学精神贯穿于育人全链条。坚持立德树人，将弘扬科学精神贯穿于青少年育人全链条。"),
        (2, "提升基础教育阶段科学教育水平。"),
        (3, "各学校每学期组织研学实践教育活动不少于1次"),
        (1, "农民科学素质提升行动。"),
        (2, "树立相信科学、和谐理性的思想观念。"),
    ]
    document.add_paragraph("九江市全民科学素质行动规划纲要实施方案(2021-2025年)")
    for level, text in outline:
        number_paragraph(document.add_paragraph(text), num_id, level)
    path = tmp_path / "numbered.docx"
    document.save(str(path))
    assert read_document(path, min_chars=50).split("\n") == [
        "九江市全民科学素质行动规划纲要实施方案(2021-2025年)",
        "一、指导思想和目标",
        "（一）指导思想。",
        "（二）主要目标。",
        "二、提升行动",
        "（一）青少年科学素质提升行动。",
        "1.将弘扬科学精神贯穿于育人全链条。坚持立德树人，将弘扬科学精神贯穿于青少年育人全链条。",
        "2.提升基础教育阶段科学教育水平。",
        "①各学校每学期组织研学实践教育活动不少于1次",
        "（二）农民科学素质提升行动。",
        "1.树立相信科学、和谐理性的思想观念。",
    ]


@pytest.mark.parametrize(
    ("n", "fmt", "shown"),
    [
        (3, "chineseCounting", "三"),
        (14, "chineseCountingThousand", "十四"),
        (20, "chineseCounting", "二十"),
        (105, "chineseCounting", "一百零五"),
        (3, "ideographTraditional", "丙"),
        (12, "decimalEnclosedCircle", "⑫"),
        (4, "upperRoman", "IV"),
        (28, "lowerLetter", "bb"),
        (7, "decimalFullWidth", "７"),
        (7, "someFutureFormat", "7"),
    ],
)
def test_format_list_number(n: int, fmt: str, shown: str) -> None:
    assert format_list_number(n, fmt) == shown


def test_damaged_utf8_is_decoded_with_a_warning(tmp_path: Path) -> None:
    data = bytearray(JIUJIANG.read_bytes())
    damage_at = data.index("呵护学生的好奇心".encode())
    data[damage_at] = 0xFF
    path = tmp_path / "damaged.txt"
    path.write_bytes(bytes(data))
    with pytest.warns(DecodeWarning, match="invalid UTF-8"):
        text = read_document(path)
    assert "\ufffd护学生的好奇心" in text  # the damaged character is marked, not guessed
    # 0xFF, then the two orphaned continuation bytes of 呵: three marks, everything else intact
    assert text.replace("\ufffd" * 3, "呵") == JIUJIANG.read_text(encoding="utf-8")
    assert "公民具备科学素质的比例力争达到15.5%" in text


def test_lines_pasted_in_another_encoding_are_each_read_in_theirs(tmp_path: Path) -> None:
    """A UTF-8 plan with a few paragraphs pasted from a GBK file (too many bad bytes to be damage)
    was called binary; a GBK one with a UTF-8 paragraph lost that paragraph to replacement marks.
    Each line is read in its own encoding, with a warning naming the GBK lines."""
    original = JIANGXI.read_text(encoding="utf-8")
    lines = original.split("\n")
    wide = [n for n, line in enumerate(lines) if len(line) > 40]
    pasted = set(wide[3:6])
    utf8_with_gbk = tmp_path / "utf8-with-gbk.txt"
    utf8_with_gbk.write_bytes(
        b"\n".join(line.encode("gb18030" if n in pasted else "utf-8") for n, line in enumerate(lines))
    )
    shown = ", ".join(str(n + 1) for n in sorted(pasted))
    with pytest.warns(
        DecodeWarning, match=rf"utf8-with-gbk.txt: mixes two encodings: line\(s\) {shown} are GBK"
    ):
        assert read_document(utf8_with_gbk) == original
    gbk_with_utf8 = tmp_path / "gbk-with-utf8.txt"
    gbk_with_utf8.write_bytes(
        b"\n".join(line.encode("utf-8" if n in pasted else "gb18030") for n, line in enumerate(lines))
    )
    with pytest.warns(DecodeWarning, match="gbk-with-utf8.txt: mixes two encodings"):
        assert read_document(gbk_with_utf8) == original
    # a UTF-8 line with a damaged byte is still damage, not GBK
    damaged = tmp_path / "damaged.txt"
    damaged.write_bytes(
        original.encode("utf-8").replace("推进基础教育".encode(), "推进基础教育".encode()[:-1] + b"\xff")
    )
    with pytest.warns(DecodeWarning, match="invalid UTF-8"):
        read_document(damaged)


def test_damaged_or_truncated_gbk_is_a_warning_or_says_truncated(tmp_path: Path) -> None:
    """A GBK/GB18030 text with a damaged character reads like damaged UTF-8 (marked, with a warning),
    and one cut off in the middle of its last character says it is truncated, where both were called
    binary or in an unknown encoding."""
    original = JIUJIANG.read_text(encoding="utf-8")
    data = original.encode("gb18030")
    damaged = tmp_path / "damaged-gbk.txt"
    damaged.write_bytes(data.replace("呵".encode("gb18030"), b"\x80\x80"))
    with pytest.warns(DecodeWarning, match=r"damaged-gbk.txt: 2 invalid GBK/GB18030 byte sequence"):
        text = read_document(damaged)
    assert text == original.replace("呵", "\ufffd\ufffd")

    cut = tmp_path / "cut-gbk.txt"
    cut.write_bytes((original[:1000].rstrip() + "纲").encode("gb18030")[:-1])
    with pytest.raises(InputError, match="cut-gbk.txt: is truncated: .*GBK/GB18030 character"):
        read_document(cut)
    # a web page in GBK, too
    page = tmp_path / "damaged.html"
    body = "".join(f"<p>{line}</p>" for line in seed_lines(JIUJIANG, 0, 30))
    page.write_bytes(f'<html><head><meta charset="gbk"></head><body>{body}</body></html>'.encode("gbk"))
    page.write_bytes(page.read_bytes().replace("科".encode("gbk"), b"\x80\x80", 1))
    with pytest.warns(DecodeWarning, match="damaged.html: 2 invalid GBK"):
        assert squash(read_document(page)) == squash("\n".join(seed_lines(JIUJIANG, 0, 30))).replace(
            "科", "\ufffd\ufffd", 1
        )


def test_short_gbk_snippets_where_charset_detection_alone_guesses_wrong() -> None:
    # charset-normalizer alone reads many of these as cp949, Big5-HKSCS or UTF-16
    snippets = [line[:25] for line in seed_lines(JIUJIANG, 0, 60)]
    snippets = [s for s in snippets if not s.isascii()]
    assert len(snippets) >= 50
    for snippet in snippets:
        assert decode_text(snippet.encode("gbk"), "snippet.txt") == snippet


@pytest.mark.parametrize("declared", ["rot13", "base64", "idna", "x-unknown", "gb2312", "GBK"])
def test_bogus_or_gb_declared_charset(tmp_path: Path, declared: str) -> None:
    paragraphs = seed_lines(NEIMENGGU, 14, 3)
    path = tmp_path / "page.html"
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = f'<html><head><meta charset="{declared}"></head><body>{body}</body></html>'
    path.write_bytes(page.encode("gb18030"))
    assert read_document(path).split("\n") == paragraphs


def test_the_quick_scan_of_clean_text_finds_exactly_the_characters_it_drops_or_maps() -> None:
    import unicodedata

    from align.documents import _DROPPED_OR_RADICAL

    for code in range(0x110000):
        ch = chr(code)
        noncharacter = 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
        dropped = ch not in "\n\t" and (unicodedata.category(ch) in {"Cc", "Cs"} or noncharacter)
        assert bool(_DROPPED_OR_RADICAL.match(ch)) == (dropped or "\u2e80" <= ch <= "\u2fdf"), hex(code)


# ---------------------------------------------------------------------------------------------
# real-world .docx markup python-docx's Paragraph.text leaves out

MC_NS = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
WPS_NS = (
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
)
V_NS = 'xmlns:v="urn:schemas-microsoft-com:vml"'


def run_xml(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def docx_with_body(path: Path, blocks: list[str]) -> None:
    """A .docx whose body holds the given WordprocessingML blocks (see :func:`docx_document`)."""
    docx_document(blocks).save(str(path))  # type: ignore[attr-defined]


def test_docx_tracked_insertions_are_read_and_deletions_are_not(tmp_path: Path) -> None:
    lines = seed_lines(JIUJIANG, 5, 6)
    blocks = []
    for n, line in enumerate(lines):
        half = len(line) // 2
        inserted = run_xml(line[half:])
        if n == 1:  # an inserted hyperlink and an inserted smart tag
            inserted = f"<w:hyperlink>{run_xml(line[half:-2])}</w:hyperlink><w:smartTag>{run_xml(line[-2:])}</w:smartTag>"
        blocks.append(
            f"<w:p>{run_xml(line[:half])}"
            f'<w:ins w:id="{n}" w:author="审核人" w:date="2022-01-01T00:00:00Z">{inserted}</w:ins>'
            f'<w:del w:id="{n + 100}" w:author="审核人"><w:r><w:delText>已删除的旧提法</w:delText></w:r></w:del>'
            f'<w:moveFrom w:id="{n + 200}" w:author="审核人">{run_xml("移走的旧位置")}</w:moveFrom></w:p>'
        )
    # a line break and a tab inside an inserted run are kept as today
    blocks.append(
        '<w:p><w:ins w:id="9" w:author="审核人"><w:r><w:t>甲</w:t><w:tab/><w:t>乙</w:t><w:br/><w:t>丙</w:t></w:r></w:ins></w:p>'
    )
    path = tmp_path / "tracked.docx"
    docx_with_body(path, blocks)
    text = read_document(path, min_chars=50)
    assert text.split("\n") == [*lines, "甲\t乙", "丙"]
    assert "已删除" not in text and "移走" not in text


def text_box(lines: list[str], fallback: bool = True) -> str:
    """A floating text box as Word 2010+ saves it: DrawingML in mc:Choice, the same box in VML as
    mc:Fallback (or VML alone, as older Word saves it)."""
    inner = "".join(f"<w:p>{run_xml(line)}</w:p>" for line in lines)
    vml = f"<w:pict><v:shape><v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox></v:shape></w:pict>"
    if not fallback:
        return vml
    return (
        '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData '
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:txbx>'
        f"<w:txbxContent>{inner}</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic>"
        f"</wp:anchor></w:drawing></mc:Choice><mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent>"
    )


def test_docx_text_boxes_are_read_once_in_document_order(tmp_path: Path) -> None:
    lines = seed_lines(JIANGXI, 10, 12)
    before, anchor, boxed, legacy, after = lines[:3], lines[3], lines[4:8], lines[8:10], lines[10:]
    blocks = [f"<w:p>{run_xml(line)}</w:p>" for line in before]
    blocks.append(f"<w:p>{run_xml(anchor)}<w:r>{text_box(boxed)}</w:r></w:p>")
    blocks.append(f"<w:p><w:r>{text_box(legacy, fallback=False)}</w:r></w:p>")
    blocks += [f"<w:p>{run_xml(line)}</w:p>" for line in after]
    path = tmp_path / "textbox.docx"
    docx_with_body(path, blocks)
    assert read_document(path).split("\n") == lines  # each box once: the VML fallback is not re-read


def test_docx_content_controls_block_and_inline(tmp_path: Path) -> None:
    lines = seed_lines(GUANGXI, 8, 6)
    sdt_pr = '<w:sdtPr><w:alias w:val="正文"/><w:id w:val="1"/></w:sdtPr>'
    blocks = [
        f"<w:p>{run_xml(lines[0])}</w:p>",
        # a block content control around two paragraphs (templates, forms)
        f"<w:sdt>{sdt_pr}<w:sdtContent><w:p>{run_xml(lines[1])}</w:p><w:p>{run_xml(lines[2])}</w:p></w:sdtContent></w:sdt>",
        # an inline content control inside a paragraph
        f"<w:p><w:sdt>{sdt_pr}<w:sdtContent>{run_xml(lines[3])}</w:sdtContent></w:sdt></w:p>",
        f"<w:p>{run_xml(lines[4][:5])}<w:sdt>{sdt_pr}<w:sdtContent>{run_xml(lines[4][5:])}</w:sdtContent></w:sdt></w:p>",
        f"<w:p>{run_xml(lines[5])}</w:p>",
    ]
    path = tmp_path / "sdt.docx"
    docx_with_body(path, blocks)
    assert read_document(path).split("\n") == lines


def rezip(data: bytes, rename: dict[str, str]) -> bytes:
    """The ZIP ``data`` with members renamed and every mention of an old name in XML replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            for old, new in rename.items():
                content = content.replace(old.encode(), new.encode())
            archive.writestr(rename.get(info.filename, info.filename), content)
    return buffer.getvalue()


def test_docx_of_pictures_without_text_says_it_needs_ocr(tmp_path: Path) -> None:
    """A scan pasted into Word, as a scanned PDF: not "is empty (no text)"."""
    import docx
    import numpy as np
    from PIL import Image

    picture = tmp_path / "page.png"
    Image.fromarray((np.random.default_rng(0).random((60, 40)) * 255).astype("uint8")).save(picture)
    document = docx.Document()
    document.add_picture(str(picture))
    path = tmp_path / "scanned.docx"
    document.save(str(path))
    with pytest.raises(InputError, match="has pictures but no text.*needs OCR") as err:
        read_document(path)
    assert str(err.value).startswith(str(path))
    docx.Document().save(str(tmp_path / "blank.docx"))
    with pytest.raises(InputError, match=r"is empty \(no text\)"):
        read_document(tmp_path / "blank.docx")


def test_docx_whose_main_part_has_another_name(tmp_path: Path) -> None:
    lines = seed_lines(JIUJIANG, 5, 10)
    good = tmp_path / "good.docx"
    make_docx(good, lines, [["任务", "责任单位"]], [])
    renamed = tmp_path / "document2.docx"
    renamed.write_bytes(
        rezip(
            good.read_bytes(),
            {
                "word/document.xml": "word/document2.xml",
                "word/_rels/document.xml.rels": "word/_rels/document2.xml.rels",
            },
        )
    )
    assert "word/document.xml" not in zipfile.ZipFile(renamed).namelist()
    assert sniff_format(renamed.read_bytes()) == "docx"
    assert read_document(renamed) == read_document(good)


def test_encrypted_damaged_and_ofd_packages(tmp_path: Path) -> None:
    # a password-protected .docx: an OLE container with an EncryptedPackage stream (UTF-16LE names)
    directory = "".join(
        f"{name}\0".ljust(64, "\0") for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage")
    )
    encrypted = tmp_path / "protected.docx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + directory.encode("utf-16-le"))
    with pytest.raises(InputError, match="password-protected.*without a password") as err:
        read_document(encrypted)
    assert str(encrypted) in str(err.value)

    good = tmp_path / "good.docx"
    make_docx(good, seed_lines(JIUJIANG, 5, 10), [["a", "b"]], [])
    data = good.read_bytes()
    for name, cut in (("half.docx", data[: len(data) // 2]), ("tail.docx", data[:-200])):
        path = tmp_path / name
        path.write_bytes(cut)
        with pytest.raises(InputError, match="damaged or truncated") as err:
            read_document(path)
        assert str(path) in str(err.value)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" DocType="OFD"/>')
        archive.writestr("Doc_0/Document.xml", "<x/>")
    ofd = tmp_path / "plan.ofd"
    ofd.write_bytes(buffer.getvalue())
    with pytest.raises(
        InputError, match=r"not a readable OFD document \(OFD.xml contains no DocBody\)"
    ) as err:
        read_document(ofd)
    assert str(ofd) in str(err.value)


# ---------------------------------------------------------------------------------------------
# web archives, lying charsets, control characters, framesets


def mht(html: bytes, charset: str, encoding: str) -> bytes:
    """An MHT web archive as IE / Word save it: a multipart/related MIME message."""
    import base64
    import quopri

    body = quopri.encodestring(html) if encoding == "quoted-printable" else base64.encodebytes(html)
    boundary = "----=_NextPart_000_0000_01D8"
    return (
        b"From: <Saved by Windows Internet Explorer 8>\r\nSubject: plan\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="'
        + boundary.encode()
        + b'"\r\n\r\n'
        b"This is a multi-part message in MIME format.\r\n\r\n--" + boundary.encode() + b"\r\n"
        b'Content-Type: text/html;\r\n\tcharset="' + charset.encode() + b'"\r\n'
        b"Content-Transfer-Encoding: " + encoding.encode() + b"\r\n"
        b"Content-Location: http://www.nmg.gov.cn/plan.html\r\n\r\n"
        + body
        + b"\r\n\r\n--"
        + boundary.encode()
        + b"\r\n"
        b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Location: http://www.nmg.gov.cn/logo.png\r\n\r\niVBORw0KGgo=\r\n\r\n--"
        + boundary.encode()
        + b"--\r\n"
    )


@pytest.mark.parametrize(
    ("name", "charset", "encoding"),
    [
        ("plan.mht", "utf-8", "quoted-printable"),
        ("plan.html", "utf-8", "quoted-printable"),  # saved with an .html name
        ("plan.mhtml", "gb2312", "base64"),
    ],
)
def test_mht_web_archive_is_read(tmp_path: Path, name: str, charset: str, encoding: str) -> None:
    paragraphs = seed_lines(NEIMENGGU, 14, 5)
    path = tmp_path / name
    path.write_bytes(
        mht(
            government_page(paragraphs, charset).encode("gb18030" if charset == "gb2312" else charset),
            charset,
            encoding,
        )
    )
    assert sniff_format(path.read_bytes()) == "mht"
    assert read_document(path).split("\n")[1:-1] == paragraphs


@pytest.mark.parametrize("declared", ["windows-1252", "iso-8859-1", "latin1"])
def test_gbk_page_declaring_a_latin_charset_is_read_as_gb18030(tmp_path: Path, declared: str) -> None:
    paragraphs = seed_lines(NEIMENGGU, 14, 5)
    path = tmp_path / "page.html"
    path.write_bytes(government_page(paragraphs, declared).encode("gb18030"))
    assert read_document(path).split("\n")[1:-1] == paragraphs


def test_honest_latin_charset_declaration_is_kept() -> None:
    page = "<html><head><meta charset='iso-8859-1'></head><body><p>Résumé : la façade du musée sera rénovée, à réaliser en été.</p></body></html>"
    assert html_to_text(decode_text(page.encode("latin-1"), "page.html", "iso-8859-1")) == (
        "Résumé : la façade du musée sera rénovée, à réaliser en été."
    )


def test_vertical_tabs_and_terminal_colour_codes_in_utf8_text(tmp_path: Path) -> None:
    text = JIANGXI.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    manual_breaks = tmp_path / "word-export.txt"  # Word writes a manual line break (Shift+Enter) as \v
    manual_breaks.write_bytes("\x0b".join(lines).encode("utf-8"))
    assert read_document(manual_breaks).split("\n") == lines
    coloured = tmp_path / "terminal.txt"
    coloured.write_bytes(
        text.replace("。", "。\x1b[0m").replace("\n一、", "\n\x1b[1;31m一、").encode("utf-8")
    )
    assert read_document(coloured) == text


def test_frameset_page_says_where_the_text_is(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    path.write_text(
        "<html><head><title>江西省人民政府</title></head><frameset rows='20%,80%'>"
        "<frame src='top.html'><frame src='content.html'></frameset></html>",
        encoding="utf-8",
    )
    with pytest.raises(
        InputError, match=r"frameset page.*top\.html, content\.html.*save that instead"
    ) as err:
        read_document(path)
    assert str(path) in str(err.value)


def test_a_page_whose_text_scripts_load_says_so(tmp_path: Path) -> None:
    """A WeChat or app page saved as the server sent it: an empty article and the scripts that fill
    it in a browser. It was "is empty (no text)", as if the file were blank; a page whose text is
    there (WeChat hides it until a script shows it) is still read."""
    title = seed_lines(JIUJIANG, 0, 1)[0]
    empty = tmp_path / "wechat.html"
    empty.write_text(
        f"<html><head><title>{title}</title><script>var msg_title = '';</script></head><body>"
        f"<h1 id='activity-name'>{title}</h1><div id='js_content'></div>"
        "<script src='appmsg.js'></script></body></html>",
        encoding="utf-8",
    )
    with pytest.raises(
        InputError, match=r"is a web page with only \d+ characters of text but 2 script\(s\).*JavaScript"
    ) as err:
        read_document(empty)
    assert str(err.value).startswith(f"{empty}: ")
    lines = seed_lines(JIUJIANG, 0, 20)
    hidden = tmp_path / "saved.html"
    hidden.write_text(
        "<html><body><div id='js_content' style='visibility: hidden;'>"
        + "".join(f"<section><span>{line}</span></section>" for line in lines)
        + "</div><script>show()</script></body></html>",
        encoding="utf-8",
    )
    assert read_document(hidden).split("\n") == lines


# ---------------------------------------------------------------------------------------------
# PDFs without Unicode text, partly scanned PDFs


def glyph_pdf(pages: list[list[str]], to_unicode: bool, unmapped: frozenset[int] = frozenset()) -> bytes:
    """A PDF in a non-embedded Identity-H CID font (as Chinese office suites export), with or
    without the ToUnicode map that turns its glyph codes back into text; the font descriptor has
    no FontBBox (pdfminer logs a warning for it). The pages numbered in ``unmapped`` use a second
    copy of the font that never has the map."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (UCS) /Supplement 0 >> def /CMapName /Adobe-Identity-UCS def /CMapType 2 def "
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfrange <0000> <FFFF> <0000> "
        b"endbfrange endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, below
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap),
        b"<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /ItalicAngle 0 /Ascent 860 /Descent -140 >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor 4 0 R /DW 1000 >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [5 0 R]"
        + (b" /ToUnicode 3 0 R" if to_unicode else b"")
        + b" >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [5 0 R] >>",
    ]
    kids = []
    for number, lines in enumerate(pages):
        content = (
            (b"BT /F2 10 Tf 12 TL 30 800 Td\n" if number in unmapped else b"BT /F1 10 Tf 12 TL 30 800 Td\n")
            + b"".join(
                b"<" + "".join(f"{ord(ch):04X}" for ch in line).encode() + b"> Tj T*\n" for line in lines
            )
            + b"ET"
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R /F2 7 0 R >> >> "
            b"/Contents %d 0 R >>" % len(objects)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_without_unicode_mapping_says_so_and_pdfminer_stays_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    pages = [wrap(seed_lines(JIANGXI, 5, 6), 40), wrap(seed_lines(JIANGXI, 11, 6), 40)]
    readable = tmp_path / "readable.pdf"
    readable.write_bytes(glyph_pdf(pages, to_unicode=True))
    codes = tmp_path / "codes.pdf"
    codes.write_bytes(glyph_pdf(pages, to_unicode=False))
    level = logging.getLogger("pdfminer").level
    with caplog.at_level(logging.DEBUG):
        # every glyph is one em wide (/DW 1000), so a paragraph's full lines reach the margin
        assert read_document(readable).split("\n") == seed_lines(JIANGXI, 5, 12)
        with pytest.raises(
            InputError, match=r"fonts without a Unicode mapping.*cid:N.*cannot be extracted"
        ) as err:
            read_document(codes)
    assert str(codes) in str(err.value)
    assert not [record for record in caplog.records if record.name.startswith("pdfminer")]
    assert logging.getLogger("pdfminer").level == level  # put back after reading


def test_text_in_private_use_code_points_says_so(tmp_path: Path) -> None:
    """A PDF whose fonts map glyphs to private-use code points (or its text copied into a .txt or a
    web page) is refused for what it is: it was read as a plan of no Chinese (PDF), or called
    binary (UTF-8 text). A few private-use symbols (Wingdings bullets) are still read."""

    def private(line: str) -> str:
        return "".join(chr(0xE000 + ord(ch) % 0x1800) if ord(ch) > 0x7F else ch for ch in line)

    lines = seed_lines(JIANGXI, 5, 12)
    pdf = tmp_path / "fonts.pdf"
    pdf.write_bytes(glyph_pdf([wrap([private(line) for line in lines], 40)], to_unicode=True))
    text = tmp_path / "copied.txt"
    text.write_text("\n".join(map(private, lines)), encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body>" + "".join(f"<p>{private(line)}</p>" for line in lines) + "</body></html>",
        encoding="utf-8",
    )
    for path in (pdf, text, page):
        with pytest.raises(
            InputError, match=r"characters are private-use code points.*export the text again"
        ):
            read_document(path)
    bullets = tmp_path / "bullets.txt"
    bullets.write_text("\n".join("\uf06c" + line for line in lines), encoding="utf-8")
    assert read_document(bullets).split("\n") == ["\uf06c" + line for line in lines]


def test_partly_scanned_pdf_warns_how_many_pages_have_no_text(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=noto_sans_sc(), size=9)
    paragraphs = seed_lines(JIUJIANG, 5, 8)
    lines = typeset(paragraphs, 50)
    path = tmp_path / "mixed.pdf"
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(str(path)) as pdf:
        for page in range(5):
            fig = plt.figure(figsize=(8.27, 11.69))
            if page < 2:  # two pages of text, three scanned pages
                for i, line in enumerate(lines):
                    fig.text(0.04, 0.95 - i * 0.03, line, fontproperties=font)
            else:
                fig.figimage(np.random.default_rng(page).random((200, 150)), xo=50, yo=50)
            pdf.savefig(fig)
            plt.close(fig)
    with pytest.warns(PartialTextWarning, match=r"mixed\.pdf: 3 of 5 pages have no text layer.*scanned"):
        text = read_document(path)
    assert text.split("\n") == paragraphs + paragraphs  # scanned pages: no lines


def test_pdf_with_some_unmapped_glyphs_leaves_them_out_and_warns(tmp_path: Path) -> None:
    pages = [wrap(seed_lines(JIANGXI, 5 + 6 * n, 6), 40) for n in range(4)]
    path = tmp_path / "one-page-unmapped.pdf"
    path.write_bytes(glyph_pdf(pages, to_unicode=True, unmapped=frozenset({2})))
    with pytest.warns(
        PartialTextWarning, match=r"one-page-unmapped\.pdf: 1 of 4 pages use fonts without a Unicode mapping"
    ) as record:
        text = read_document(path)
    assert "cid:" not in text
    assert text.split("\n") == seed_lines(JIANGXI, 5, 12) + seed_lines(JIANGXI, 23, 6)
    share = sum(map(len, pages[2])) / sum(len(line) for page in pages for line in page)
    assert f"({share:.0%} of the text)" in str(record[0].message)
    # every page without a mapping: still an error
    (tmp_path / "all.pdf").write_bytes(glyph_pdf(pages, to_unicode=True, unmapped=frozenset(range(4))))
    with pytest.raises(InputError, match=r"fonts without a Unicode mapping.*cannot be extracted"):
        read_document(tmp_path / "all.pdf")


# ---------------------------------------------------------------------------------------------
# .docx: tables of contents, wrapped rows and cells, embedded parts, equations, hidden text


M_NS = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'
R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def docx_document(blocks: list[str]) -> object:
    """A python-docx Document whose body holds the given WordprocessingML blocks."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    body = document.element.body
    for xml in blocks:
        wrapper = parse_xml(f"<w:body {W_NS} {MC_NS} {WPS_NS} {V_NS} {M_NS} {R_NS}>{xml}</w:body>")
        for element in list(wrapper):
            body.sectPr.addprevious(element)
    return document


def toc_entry(text: str, page: int, style: str, field_start: str = "") -> str:
    return (
        f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{field_start}'
        f'<w:hyperlink w:anchor="_Toc{page}">{run_xml(text)}<w:r><w:tab/></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f"<w:r><w:instrText> PAGEREF _Toc{page} \\h </w:instrText></w:r>"
        f'<w:r><w:fldChar w:fldCharType="separate"/></w:r>{run_xml(str(page))}'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink></w:p>'
    )


def test_docx_table_of_contents_is_skipped(tmp_path: Path) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    lines = seed_lines(JIUJIANG, 5, 12)
    headings = [line for line in lines if line.startswith(("一、", "二、", "三、"))] or lines[:3]
    begin = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" \\h \\z \\u </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
    )
    # a TOC field over TOC1 paragraphs, ended at the start of the first paragraph of text
    field = [toc_entry(h, 3 * n + 1, "TOC1", begin if n == 0 else "") for n, h in enumerate(headings)]
    field.append(f'<w:p><w:r><w:fldChar w:fldCharType="end"/></w:r>{run_xml(lines[0])}</w:p>')
    # a content control holding a table of contents (Word's "Automatic Table" building block)
    gallery = (
        '<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/><w:docPartUnique/>'
        f"</w:docPartObj></w:sdtPr><w:sdtContent><w:p>{run_xml('目录')}</w:p>"
        + "".join(f"<w:p>{run_xml(h)}<w:r><w:tab/></w:r>{run_xml('7')}</w:p>" for h in headings)
        + "</w:sdtContent></w:sdt>"
    )
    # a simple TOC field, and entries styled "toc 2" / "目录 3" under other style ids, without a field
    entry = run_xml(headings[0] + "\t2")
    simple = f'<w:p><w:fldSimple w:instr=" TOC \\o &quot;1-3&quot; ">{entry}</w:fldSimple></w:p>'
    styled = [toc_entry(headings[0], 9, "a7"), toc_entry(headings[-1], 11, "a8")]
    blocks = [*field, gallery, simple, *styled, *(f"<w:p>{run_xml(line)}</w:p>" for line in lines[1:])]
    document = docx_document(blocks)
    for style_id, name in (("a7", "toc 2"), ("a8", "目录 3")):
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)  # type: ignore[attr-defined]
        style.element.styleId = style_id
    path = tmp_path / "toc.docx"
    document.save(str(path))  # type: ignore[attr-defined]
    assert read_document(path).split("\n") == lines


def test_docx_rows_and_cells_in_content_controls_and_custom_xml(tmp_path: Path) -> None:
    import docx

    lines = seed_lines(GUANGXI, 8, 8)

    def cell(text: str, extra: str = "") -> str:
        return f"<w:tc><w:tcPr>{extra}</w:tcPr><w:p>{run_xml(text)}</w:p></w:tc>"

    def row(*cells: str) -> str:
        return f"<w:tr>{''.join(cells)}</w:tr>"

    sdt_pr = '<w:sdtPr><w:id w:val="7"/></w:sdtPr>'
    table = (
        "<w:tbl><w:tblPr/><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>"
        + row(cell("任务"), cell("责任单位"))
        + f"<w:sdt>{sdt_pr}<w:sdtContent>{row(cell(lines[0]), cell('市科协'))}</w:sdtContent></w:sdt>"
        + f'<w:customXml w:element="row">{row(cell(lines[1]), cell("市教育局"))}</w:customXml>'
        + row(cell(lines[2]), f"<w:sdt>{sdt_pr}<w:sdtContent>{cell('市农业农村局')}</w:sdtContent></w:sdt>")
        # a vertically merged cell: its text once, in its first row
        + row(cell(lines[3], '<w:vMerge w:val="restart"/>'), cell("市人社局"))
        + row("<w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc>", cell("市总工会"))
        + "</w:tbl>"
    )
    path = tmp_path / "rows.docx"
    docx_with_body(path, [f"<w:p>{run_xml(line)}</w:p>" for line in lines[4:]] + [table])
    assert read_document(path).split("\n") == [
        *lines[4:],
        "任务\t责任单位",
        f"{lines[0]}\t市科协",
        f"{lines[1]}\t市教育局",
        f"{lines[2]}\t市农业农村局",
        f"{lines[3]}\t市人社局",
        "市总工会",
    ]
    # numbered paragraphs in a table cell show their list labels, as Word does
    document = docx.Document()
    num_id = add_chinese_outline_numbering(document)
    for line in lines[4:]:
        document.add_paragraph(line)
    grid = document.add_table(rows=2, cols=1)
    for r, (level, text) in enumerate([(0, "指导思想和目标"), (1, "指导思想。")]):
        paragraph = grid.cell(r, 0).paragraphs[0]
        paragraph.text = text
        number_paragraph(paragraph, num_id, level)
    numbered = tmp_path / "numbered-cells.docx"
    document.save(str(numbered))
    assert read_document(numbered, min_chars=50).split("\n")[-2:] == [
        "一、指导思想和目标",
        "（一）指导思想。",
    ]


def test_docx_alt_chunk_html_is_read_and_other_kinds_warn(tmp_path: Path) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    lines = seed_lines(JIANGXI, 10, 10)
    for kind, blob in (
        ("text/html", government_page(lines[4:], "gbk").encode("gbk")),
        ("application/rtf", b"{\\rtf1 plan}"),
    ):
        document = docx_document([f"<w:p>{run_xml(line)}</w:p>" for line in lines[:4]])
        package = document.part.package  # type: ignore[attr-defined]
        part = Part(PackURI("/word/afchunk.dat"), kind, blob, package)
        rid = document.part.relate_to(part, RELATIONSHIP_TYPE.A_F_CHUNK)  # type: ignore[attr-defined]
        body = document.element.body  # type: ignore[attr-defined]
        from docx.oxml import parse_xml

        body.sectPr.addprevious(parse_xml(f'<w:altChunk {W_NS} {R_NS} r:id="{rid}"/>'))
        path = tmp_path / f"chunk-{kind.replace('/', '-')}.docx"
        document.save(str(path))  # type: ignore[attr-defined]
        if kind == "text/html":
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                text = read_document(path)
            assert text.split("\n") == lines[:4] + html_to_text(blob.decode("gbk")).split("\n")
            assert lines[4] in text and lines[-1] in text
        else:
            with pytest.warns(PartialTextWarning, match=r"embedded document /word/afchunk\.dat.*rtf"):
                assert read_document(path, min_chars=50).split("\n") == lines[:4]


def test_docx_alt_chunk_that_cannot_be_read_is_named_once(tmp_path: Path) -> None:
    """The warning for an embedded page that cannot be decoded named the document twice."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    lines = seed_lines(JIANGXI, 10, 6)
    document = docx_document([f"<w:p>{run_xml(line)}</w:p>" for line in lines])
    part = Part(PackURI("/word/afchunk.htm"), "text/html", bytes(range(256)) * 8, document.part.package)  # type: ignore[attr-defined]
    rid = document.part.relate_to(part, RELATIONSHIP_TYPE.A_F_CHUNK)  # type: ignore[attr-defined]
    document.element.body.sectPr.addprevious(parse_xml(f'<w:altChunk {W_NS} {R_NS} r:id="{rid}"/>'))  # type: ignore[attr-defined]
    path = tmp_path / "chunk.docx"
    document.save(str(path))  # type: ignore[attr-defined]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_document(path, min_chars=50).split("\n") == lines
    assert [str(w.message).count(str(path)) for w in caught] == [1]
    assert str(caught[0].message).startswith(
        f"{path}: its embedded document /word/afchunk.htm could not be read (is binary or in an unknown"
    )


def test_docx_equations_hidden_text_and_ruby(tmp_path: Path) -> None:
    lines = seed_lines(DAZHANG, 6, 6)
    ruby = (
        '<w:r><w:ruby><w:rubyPr><w:rubyAlign w:val="center"/></w:rubyPr>'
        f"<w:rt>{run_xml('pīn yīn')}</w:rt><w:rubyBase>{run_xml('科普')}</w:rubyBase></w:ruby></w:r>"
    )
    blocks = [
        f"<w:p>{run_xml(lines[0])}<m:oMath><m:r><m:t>x=1</m:t></m:r></m:oMath>{run_xml('。')}</w:p>",
        "<w:p><m:oMathPara><m:oMath><m:r><w:rPr/><m:t>E=mc</m:t></m:r></m:oMath></m:oMathPara></w:p>",
        f"<w:p>{run_xml(lines[1])}<w:r><w:rPr><w:vanish/></w:rPr><w:t>隐藏的批注文字</w:t></w:r></w:p>",
        f'<w:p><w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t>{lines[2]}</w:t></w:r></w:p>',
        f"<w:p>{run_xml(lines[3])}{ruby}</w:p>",
        *(f"<w:p>{run_xml(line)}</w:p>" for line in lines[4:]),
    ]
    path = tmp_path / "math.docx"
    document = docx_document(blocks)
    document.save(str(path))  # type: ignore[attr-defined]
    assert read_document(path).split("\n") == [
        f"{lines[0]}x=1。",
        "E=mc",
        lines[1],
        lines[2],
        f"{lines[3]}科普",
        *lines[4:],
    ]


# ---------------------------------------------------------------------------------------------
# MHT: frames, other pages, truncation, single part, roots


def mime_archive(parts: list[tuple[str, bytes]], params: str = 'type="text/html"') -> bytes:
    """A multipart/related MHT whose parts are (headers, body) pairs."""
    boundary = "----=_NextPart_000_0000_01D9"
    out = (
        "From: <Saved by Blink>\r\nSubject: plan\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/related;\r\n\t{params};\r\n\tboundary="{boundary}"\r\n\r\n'
    ).encode()
    for headers, body in parts:
        out += f"--{boundary}\r\n{headers}\r\n\r\n".encode() + body + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def html_part(location: str, html: str, extra: str = "") -> tuple[str, bytes]:
    import base64

    headers = 'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n'
    return headers + f"Content-Location: {location}{extra}", base64.encodebytes(html.encode("utf-8"))


def test_mht_frames_are_read_from_the_archive_and_other_pages_warn(tmp_path: Path) -> None:
    lines = seed_lines(JIANGXI, 5, 12)
    frameset = (
        "<html><head><title>江西省人民政府</title></head><frameset rows='20%,80%'>"
        "<frame src='top.html'><frame src='cid:content@mht'></frameset></html>"
    )
    parts = [
        html_part("http://x/index.html", frameset),
        html_part("http://x/top.html", government_page(lines[:2])),
        html_part("http://x/content.html", government_page(lines[2:]), "\r\nContent-ID: <content@mht>"),
    ]
    path = tmp_path / "frames.mht"
    path.write_bytes(mime_archive(parts))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = read_document(path)
    assert [line for line in text.split("\n") if line in lines] == lines
    # a second page that the first does not show is reported, not silently dropped
    path.write_bytes(mime_archive([parts[1], parts[2]]))
    with pytest.warns(PartialTextWarning, match=r"1 other web page\(s\) \(http://x/content\.html\)"):
        assert read_document(path, min_chars=20).split("\n")[1:-1] == lines[:2]


def test_truncated_mht_warns_or_fails(tmp_path: Path) -> None:
    lines = seed_lines(NEIMENGGU, 14, 12)
    data = mime_archive([html_part("http://x/plan.html", government_page(lines))])
    path = tmp_path / "cut.mht"
    for cut in (len(data) // 2, len(data) // 2 + 37):  # in the base64 body, mid-line or not
        path.write_bytes(data[:cut])
        with pytest.warns(PartialTextWarning, match=r"cut\.mht: is truncated"):
            text = read_document(path, min_chars=20)
        assert text.split("\n")[1] == lines[0] and "PGh0bWw" not in text
    path.write_bytes(data[: data.index(b"\r\n\r\n", data.index(b"Content-Location")) + 10])  # no text yet
    with pytest.raises(InputError, match=r"is a truncated MHT web archive"):
        read_document(path)


@pytest.mark.parametrize("charset", ["gbk", "utf-8"])
def test_quoted_printable_mht_cut_inside_an_escape_says_truncated(tmp_path: Path, charset: str) -> None:
    """IE and Word save MHT pages quoted-printable: a download cut inside an escape (=C, =) left
    its remnant in the page, which read as "binary or in an unknown encoding" (GBK) or as damaged
    bytes besides the truncation (UTF-8)."""
    lines = seed_lines(NEIMENGGU, 14, 12)
    data = mht(government_page(lines, charset).encode(charset), charset, "quoted-printable")
    path = tmp_path / "cut.mht"
    # the escapes of a character's first and second byte (=C4=DA): cut inside the second one
    pair = re.compile(rb"=[89A-F][0-9A-F]=[0-9A-F]{2}").search(data, len(data) // 2)
    assert pair is not None
    for cut in (pair.start() + 1, pair.start() + 2, pair.start() + 4, pair.start() + 5):
        path.write_bytes(data[:cut])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text = read_document(path, min_chars=20)
        assert [str(w.message) for w in caught] == [
            f"{path}: is truncated (the MHT web archive is cut off before its end), so the end of its text "
            "is missing; download or save it again"
        ]
        assert lines[0] in text and "\ufffd" not in text and not text.endswith("=")


def test_single_part_mht_bom_blank_lines_empty_page_and_start_root(tmp_path: Path) -> None:
    import base64

    lines = seed_lines(JIUJIANG, 5, 10)
    page = government_page(lines).encode("utf-8")
    single = (
        b"From: <Saved by Windows Internet Explorer 8>\r\nSubject: plan\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(page)
    )
    for name, data in (
        ("single.mht", single),
        ("single.mhtml", single),
        ("bom.mht", b"\xef\xbb\xbf" + mime_archive([html_part("http://x/a.html", page.decode())])),
        ("blank.dat", b"\r\n\r\n" + mime_archive([html_part("http://x/a.html", page.decode())])),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        assert sniff_format(data) == "mht"
        assert read_document(path).split("\n")[1:-1] == lines
    # the root named by start=, its type given only by the multipart's type=
    other = html_part("http://x/ad.html", "<html><body><p>广告</p></body></html>")
    root = (
        "Content-Transfer-Encoding: base64\r\nContent-Location: http://x/plan.html\r\nContent-ID: <root@x>",
        base64.encodebytes(page),
    )
    path = tmp_path / "start.mht"
    path.write_bytes(mime_archive([other, root], 'type="text/html"; start="<root@x>"'))
    with pytest.warns(PartialTextWarning, match=r"http://x/ad\.html"):
        assert read_document(path).split("\n")[1:-1] == lines
    empty = tmp_path / "empty.mht"
    empty.write_bytes(mime_archive([("Content-Type: text/html\r\nContent-Location: http://x/a.html", b"")]))
    with pytest.raises(InputError, match=r"whose web page is empty"):
        read_document(empty)


# ---------------------------------------------------------------------------------------------
# .ofd (GB/T 33190)


def seed_paragraphs(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def ofd_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_parts(parts: dict[str, bytes], stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_ofd_plan_reads_as_its_text_and_gives_its_measures(tmp_path: Path, absolute: bool) -> None:
    from align.measures import extract_measures

    paragraphs = seed_paragraphs(JIUJIANG)
    data = ofd_package(paragraphs, absolute=absolute)
    assert data.count(b"Content.xml") > 20  # many pages, each with its number at its foot
    path = tmp_path / "jiujiang.ofd"
    path.write_bytes(data)
    text = read_document(path)
    # lines cut at the margin (also across pages, in text objects written in any order, split in
    # three, one per character, scaled) are joined again; page numbers are left out
    assert text.split("\n") == paragraphs
    from_ofd = [(m.measure_id, m.text) for m in extract_measures(text, "jiujiang")]
    from_text = [(m.measure_id, m.text) for m in extract_measures(read_document(JIUJIANG), "jiujiang")]
    assert from_ofd == from_text and len(from_ofd) >= 50


def test_ofd_lines_that_end_a_paragraph_or_start_a_heading_are_not_joined(tmp_path: Path) -> None:
    full = "为贯彻落实国务院全民科学素质行动规划纲要精神，结合实际，制定本实施方案。"  # 37 characters
    paragraphs = [full[:26], "（一）指导思想。" + full, full[:20] + "。", full]
    path = tmp_path / "plan.ofd"
    path.write_bytes(ofd_package(paragraphs * 3, template=["九江市人民政府文件"]))
    text = read_document(path, min_chars=1)
    # the template's line is on every page (page furniture, left to the outline parser)
    assert text.split("\n")[:5] == ["九江市人民政府文件", *paragraphs]


def test_ofd_text_objects_are_read_in_reading_order_with_pieces_joined(tmp_path: Path) -> None:
    lines = seed_lines(JIUJIANG, 5, 3)
    objects = [
        text_object(30, 60, lines[1][:10]),
        text_object(30 + 10 * 5.6, 60, lines[1][10:20], per_char=True),
        text_object(30, 40, lines[0][:20], ctm="0.5 0 0 0.5 0 0"),
        text_object(30 + 20 * 5.6, 60, lines[1][20:24]),
        text_object(100, 280, "— 1 —", size=2.8),
        text_object(30, 80, lines[2][:20], delta=False),
    ]
    parts = ofd_parts(ofd_package([]))
    parts["Doc_0/Pages/Page_0/Content.xml"] = (
        '<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="1">'
        + "".join(objects)
        + "</ofd:Layer></ofd:Content></ofd:Page>"
    ).encode()
    path = tmp_path / "plan.ofd"
    path.write_bytes(zip_parts(parts))
    assert read_document(path, min_chars=1).split("\n") == [lines[0][:20], lines[1][:24], lines[2][:20]]


def test_a_real_ofd_written_by_another_tool_is_read() -> None:
    # tests/data/README.md: easyofd's pdf2ofd of the PDF that test_pdf_text_layer_is_extracted makes
    # (its own namespace URI, sizes in a lower-case attribute, two pages with their numbers)
    path = Path(__file__).resolve().parent / "data" / "jiujiang-easyofd.ofd"
    text = read_document(path)
    assert text.split("\n") == wrap(seed_lines(JIUJIANG, 5, 4)) + wrap(seed_lines(JIUJIANG, 9, 3))


def _ofd_with(tmp_path: Path, change: dict[str, bytes | None], name: str = "plan.ofd") -> Path:
    parts = ofd_parts(ofd_package(seed_paragraphs(JIUJIANG)[:20]))
    for part, data in change.items():
        if data is None:
            del parts[part]
        else:
            parts[part] = data
    path = tmp_path / name
    path.write_bytes(zip_parts(parts))
    return path


_SCANNED_PAGE = (
    b'<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="1">'
    b'<ofd:ImageObject ID="2" ResourceID="9" Boundary="0 0 210 297" CTM="210 0 0 297 0 0"/>'
    b"</ofd:Layer></ofd:Content></ofd:Page>"
)


def test_ofd_errors_name_the_file_and_say_what_is_wrong(tmp_path: Path) -> None:
    pages = [f"Doc_0/Pages/Page_{n}/Content.xml" for n in range(5)]  # 20 paragraphs: 5 pages
    cases: list[tuple[Path, str]] = [
        (_ofd_with(tmp_path, {"Encryptions.xml": b"<Encryptions/>"}, "encrypted.ofd"), "is an encrypted OFD"),
        (
            _ofd_with(tmp_path, {p: _SCANNED_PAGE for p in pages}, "scanned.ofd"),
            "looks scanned; it needs OCR",
        ),
        (
            _ofd_with(
                tmp_path,
                {p: _SCANNED_PAGE.replace(b"ImageObject", b"PathObject") for p in pages},
                "shapes.ofd",
            ),
            "without any text .*drawn as shapes",
        ),
        (
            _ofd_with(tmp_path, {"Doc_0/Document.xml": None}, "nodoc.ofd"),
            r"not a readable OFD .*Document.xml not found",
        ),
        (
            _ofd_with(tmp_path, {p: None for p in pages}, "nopages.ofd"),
            r"no page can be read: page 1: its content is missing",
        ),
        (
            _ofd_with(tmp_path, {"Doc_0/Document.xml": b"<ofd:Document"}, "broken.ofd"),
            r"not a readable OFD .*invalid XML",
        ),
        (
            _ofd_with(
                tmp_path,
                {"OFD.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ofd:OFD>&a;</ofd:OFD>'},
                "entities.ofd",
            ),
            "DTDs and entity declarations are not allowed",
        ),
    ]
    data = ofd_package(seed_paragraphs(JIUJIANG)[:20])
    truncated = tmp_path / "truncated.ofd"
    truncated.write_bytes(data[: len(data) // 2])
    cases.append((truncated, "damaged or truncated OFD document"))
    misnamed = tmp_path / "text.ofd"
    misnamed.write_bytes(b"\x00\x01binary")
    cases.append((misnamed, "is named .ofd but is not an OFD document"))
    other_zip = tmp_path / "archive.ofd"
    other_zip.write_bytes(zip_parts({"a.txt": b"a"}))
    cases.append((other_zip, r"not an OFD document \(no OFD.xml\)"))
    # ZIP entries with a password: bit 0 of the flags of the local and central headers (zipfile
    # cannot write them, so they are set in place)
    locked = bytearray(data)
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), data):
            locked[match.start() + at] |= 0x1
    (tmp_path / "locked.ofd").write_bytes(bytes(locked))
    cases.append((tmp_path / "locked.ofd", "is an encrypted OFD"))
    for path, message in cases:
        with pytest.raises(InputError, match=message) as err:
            read_document(path)
        assert str(path) in str(err.value), path


def test_ofd_pages_that_cannot_be_read_or_are_scanned_warn(tmp_path: Path) -> None:
    partial = _ofd_with(tmp_path, {"Doc_0/Pages/Page_1/Content.xml": None}, "partial.ofd")
    with pytest.warns(
        PartialTextWarning, match=r"1 of 5 pages could not be read \(page 2: its content is missing\)"
    ):
        text = read_document(partial)
    assert seed_paragraphs(JIUJIANG)[0] in text
    scanned = _ofd_with(tmp_path, {"Doc_0/Pages/Page_2/Content.xml": _SCANNED_PAGE}, "scan.ofd")
    with pytest.warns(PartialTextWarning, match=r"1 of 5 pages have no text layer"):
        read_document(scanned)


def test_ofd_named_otherwise_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "plan.zip"
    path.write_bytes(ofd_package(seed_paragraphs(JIUJIANG)[:20]))
    assert sniff_format(path.read_bytes()) == "ofd"
    assert read_document(path).split("\n") == seed_paragraphs(JIUJIANG)[:20]


_GOOD_OFD = zip_parts(ofd_parts(ofd_package(seed_paragraphs(JIUJIANG)[:12])), stored=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(cut=len(_GOOD_OFD), flips=[])  # the document itself reads
@given(
    cut=st.integers(min_value=0, max_value=len(_GOOD_OFD)),
    flips=st.lists(st.tuples(st.integers(0, len(_GOOD_OFD) - 1), st.integers(0, 255)), max_size=6),
)
def test_mangled_ofd_only_ever_raises_input_error(cut: int, flips: list[tuple[int, int]]) -> None:
    # stored, not deflated: the flips land in the XML parts (a CRC error is one outcome among many)
    text = read_mangled(_GOOD_OFD, "plan.ofd", max(cut, 4), flips)
    assert text is None or text.strip()


def test_mangled_ofd_xml_only_ever_raises_input_error(tmp_path: Path) -> None:
    # damage inside the XML of every part (CRCs right): attributes, numbers, tags, encodings
    rng = random.Random(5)
    parts = ofd_parts(ofd_package(seed_paragraphs(JIUJIANG)[:8]))
    for trial in range(60):
        mangled = dict(parts)
        for name in rng.sample(sorted(parts), 2):
            data = bytearray(parts[name])
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.choice(b'<>"/= 0-.gX\xff\x00e9')
            mangled[name] = bytes(data)
        path = tmp_path / f"plan{trial}.ofd"
        path.write_bytes(zip_parts(mangled))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                read_document(path, min_chars=1)
            except InputError as err:
                assert str(path) in str(err)
