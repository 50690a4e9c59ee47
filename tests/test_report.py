"""Excel workbook and side-by-side HTML report, on rows cut from the real seed plans."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from align.errors import InputError
from align.models import ALIGNMENT_COLUMNS, COVERAGE_COLUMNS, MEASURE_COLUMNS
from align.report import (
    STATUS_COLORS,
    diff_segments,
    parent_status_frame,
    render_pair_html,
    section_key,
    sheet_title,
    write_all_html,
    write_pair_html,
    write_xlsx,
)

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
JIANGXI, JIUJIANG = "001_e9d6debd5c2ad4f8.txt", "000_db08bb93956ab56b.txt"
NEIMENGGU, GUANGXI = "004_34aac81e3d6f48e4.txt", "003_dc08f0f613dd20d7.txt"


def seed_item(file: str, start: str) -> str:
    """The paragraph of a seed plan that starts with ``start`` (a page break inside an item, as
    in Jiangxi's item 1, is joined back)."""
    lines = [line.strip() for line in (PLANS / file).read_text(encoding="utf-8").splitlines()]
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    text = lines[index]
    rest = [line for line in lines[index + 1 : index + 4] if line]
    if not re.search(r"[。)）]$", text) and rest:
        text += rest[0]
    return text


YOUTH = "提升行动 > 青少年科学素质提升行动"
JX_BASIC = seed_item(JIANGXI, "1. 推进基础教育阶段科学教育工作")
JJ_BASIC = seed_item(JIUJIANG, "2.提升基础教育阶段科学教育水平")
JX_HIGHER = seed_item(JIANGXI, "2. 加强高等教育阶段科学教育和科普工作")
JJ_HIGHER = seed_item(JIUJIANG, "3.加强高等教育阶段科学教育和科普工作")
JX_SMART = seed_item(JIANGXI, "3. 推动智慧科普建设")
JJ_SMART = seed_item(JIUJIANG, "3.推动智慧科普建设")
JX_ELDER = seed_item(JIANGXI, "聚焦老年人的多元需求和时代关切")
JJ_LINK = seed_item(JIUJIANG, "5.构建校内外科学教育资源有效衔接机制")
NM_GOAL = seed_item(NEIMENGGU, "到2025年,全区公民具备科学素质的比例达到12%")
NM_RES = seed_item(NEIMENGGU, "1.任务:加强科普资源开发和整合")
GX_RES = seed_item(GUANGXI, "10. 统筹科普资源开发与利用")


def alignment_frame() -> pd.DataFrame:
    rows = [
        ("jiangxi", "jiujiang", "二.(一).1", "二.(一).2", f"{YOUTH} > 推进基础教育阶段科学教育工作",
         f"{YOUTH} > 提升基础教育阶段科学教育水平", JX_BASIC, JJ_BASIC, 0.81, "strengthened",
         "adds target 40所; adds target 1场次"),
        ("jiangxi", "jiujiang", "二.(一).2", "二.(一).3", f"{YOUTH} > 加强高等教育阶段科学教育和科普工作",
         f"{YOUTH} > 加强高等教育阶段科学教育和科普工作", JX_HIGHER, JJ_HIGHER, 0.88, "inherited", ""),
        ("jiangxi", "jiujiang", "三.(二).3", "三.(二).3", "重点工程 > 科普信息化提升工程 > 推动智慧科普建设",
         "重点工程 > 科普信息化提升工程 > 推动智慧科普建设", JX_SMART, JJ_SMART, 0.84, "inherited", ""),
        ("jiangxi", "jiujiang", "二.(四)", "", "提升行动 > 老年人科学素质提升行动", "", JX_ELDER, "",
         None, "dropped", "no counterpart"),
        ("jiangxi", "jiujiang", "", "二.(一).5", "", f"{YOUTH} > 构建校内外科学教育资源有效衔接机制", "",
         JJ_LINK, None, "added", "local addition"),
        ("neimenggu", "guangxi", "一.(二).1", "", "工作目标", "", NM_GOAL, "", None, "dropped", "no 12% target"),
        ("neimenggu", "guangxi", "三.(二).1", "二.10", "重点工程 > 科普信息化提升工程", "重点任务 > 统筹科普资源开发与利用",
         NM_RES, GX_RES, 0.62, "strengthened", "adds 科普资源调查 + 资源库"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(ALIGNMENT_COLUMNS))


def coverage_frame() -> pd.DataFrame:
    rows = [
        ("jiujiang", "jiangxi", "九江市", "municipal", 4, 2, 1, 0, 1, 1, 0.75),
        ("guangxi", "neimenggu", "广西壮族自治区", "provincial", 2, 0, 1, 0, 1, 0, 0.5),
    ]
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


def measures_frame() -> pd.DataFrame:
    blank = {c: "" for c in MEASURE_COLUMNS}
    rows = [
        {**blank, "plan_id": "jiangxi", "measure_id": "二.(一).1", "text": JX_BASIC, "targets": ""},
        {**blank, "plan_id": "jiujiang", "measure_id": "二.(一).2", "text": JJ_BASIC,
         "targets": "每学期不少于1次；不少于1场次；40个（“好奇心”科普示范学校）"},
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(MEASURE_COLUMNS))


def test_seed_snippets_are_the_real_items() -> None:
    assert "深化中等职业学校" in JX_BASIC and JX_BASIC.endswith("按职责分工负责)")
    assert "全市创建“好奇心”科普示范学校40个" in JJ_BASIC


# ------------------------------------------------------------------------------------ xlsx


def test_xlsx_has_summary_and_one_sheet_per_pair(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "report.xlsx", alignment_frame(), coverage_frame(), measures_frame())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "summary"
    assert "jiangxi→jiujiang" in wb.sheetnames and "neimenggu→guangxi" in wb.sheetnames
    assert "measures" in wb.sheetnames

    summary = wb["summary"]
    header = [c.value for c in summary[1]]
    assert header == list(COVERAGE_COLUMNS)
    assert summary["C2"].value == "九江市"
    assert summary.cell(row=2, column=header.index("coverage") + 1).number_format == "0.0%"

    ws = wb["jiangxi→jiujiang"]
    header = [c.value for c in ws[1]]
    assert header[: len(ALIGNMENT_COLUMNS)] == list(ALIGNMENT_COLUMNS)
    assert header[-2:] == ["parent_targets", "child_targets"]
    col = {name: i + 1 for i, name in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5
    strengthened = [r for r in rows if r[col["parent_measure"] - 1] == "二.(一).1"]
    assert len(strengthened) == 1
    row = strengthened[0]
    assert row[col["status"] - 1] == "strengthened"
    assert row[col["evidence"] - 1] == "adds target 40所; adds target 1场次"
    assert "好奇心”科普示范学校40个" in row[col["child_text"] - 1]
    assert "40个" in row[col["child_targets"] - 1]
    # the dropped row has empty child cells
    dropped = next(r for r in rows if r[col["status"] - 1] == "dropped")
    assert dropped[col["child_measure"] - 1] is None and dropped[col["child_text"] - 1] is None


def test_xlsx_formatting(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "report.xlsx", alignment_frame(), coverage_frame())
    wb = openpyxl.load_workbook(path)
    assert "measures" not in wb.sheetnames
    for name in wb.sheetnames:
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == ws.dimensions
    ws = wb["jiangxi→jiujiang"]
    header = [c.value for c in ws[1]]
    status_col = header.index("status") + 1
    seen = {}
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(row=r, column=status_col)
        seen[cell.value] = cell.fill.fgColor.rgb
    for status in ("strengthened", "inherited", "dropped", "added"):
        assert seen[status].endswith(STATUS_COLORS[status].lstrip("#").upper())
    text_col = header.index("parent_text") + 1
    letter = openpyxl.utils.get_column_letter(text_col)
    assert ws.column_dimensions[letter].width >= 40
    assert ws.cell(row=2, column=text_col).alignment.wrap_text


def test_xlsx_drops_control_characters_excel_cannot_store(tmp_path: Path) -> None:
    frame = jiangxi_pair().copy()
    frame.loc[frame.index[0], "evidence"] = "adds target\x0c 40所\x00"
    wb = openpyxl.load_workbook(write_xlsx(tmp_path / "r.xlsx", frame, coverage_frame()))
    ws = wb["jiangxi→jiujiang"]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("evidence") + 1).value == "adds target 40所"


def test_xlsx_written_atomically_keeps_old_file_on_failure(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "report.xlsx", alignment_frame(), coverage_frame())
    before = path.read_bytes()
    bad = alignment_frame().drop(columns=["parent_plan"])
    with pytest.raises(InputError, match="lacks columns"):
        write_xlsx(path, bad, coverage_frame())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_sheet_title_is_valid_and_unique() -> None:
    taken: list[str] = []
    for _ in range(3):
        taken.append(
            sheet_title("国发〔2021〕9号/全民科学素质[纲要]:2021*2035?以及很长很长很长的名字", taken)
        )
    for title in taken:
        assert len(title) <= 31
        assert not set(title) & set("[]:*?/\\")
    assert len({t.lower() for t in taken}) == 3


# ------------------------------------------------------------------------------------ diff


def test_diff_segments_are_lossless_and_mark_the_addition() -> None:
    left, right = diff_segments(JX_BASIC, JJ_BASIC)
    assert "".join(t for _, t in left) == JX_BASIC
    assert "".join(t for _, t in right) == JJ_BASIC
    added = "".join(t for k, t in right if k == "ins")
    removed = "".join(t for k, t in left if k == "del")
    assert "科普示范学校40个" in added
    assert "中等职业学校" in removed  # Jiujiang leaves out the vocational-school reform
    assert "完善科学教育质量评价和青少年科学素质监测评估" not in added  # copied verbatim


def test_diff_of_identical_texts_has_no_change() -> None:
    left, right = diff_segments(JX_SMART, JX_SMART)
    assert left == right == [("equal", JX_SMART)]


# ------------------------------------------------------------------------------------ html


def jiangxi_pair() -> pd.DataFrame:
    frame = alignment_frame()
    return frame[frame["child_plan"] == "jiujiang"]


def test_html_highlights_the_strengthened_addition() -> None:
    page = render_pair_html(
        jiangxi_pair(), measures_frame(), plan_names={"jiangxi": "江西省", "jiujiang": "九江市"}
    )
    soup = BeautifulSoup(page, "html.parser")
    assert soup.title is not None and soup.title.string == "江西省 → 九江市"
    rows = soup.select("div.row")
    assert len(rows) == 5
    strengthened = [r for r in rows if r["data-status"] == "strengthened"]
    assert len(strengthened) == 1
    inserted = " ".join(ins.get_text() for ins in strengthened[0].find_all("ins"))
    assert "好奇心”科普示范学校40个" in inserted
    deleted = " ".join(d.get_text() for d in strengthened[0].find_all("del"))
    assert "中等职业学校" in deleted
    assert "adds target 40所" in strengthened[0].get_text()
    # targets compared: the child's new targets are marked, and the parent side has none
    new_targets = [s.get_text() for s in strengthened[0].select(".targets .new")]
    assert any("40个" in t for t in new_targets)
    # the parent side of the row still reads as the full parent text
    parent_side = strengthened[0].select("div.side")[0].select_one("div.text")
    assert parent_side is not None and parent_side.get_text() == JX_BASIC


def test_html_dropped_and_added_rows_show_one_side() -> None:
    soup = BeautifulSoup(render_pair_html(jiangxi_pair()), "html.parser")
    dropped = soup.select_one('div.row[data-status="dropped"]')
    added = soup.select_one('div.row[data-status="added"]')
    assert dropped is not None and added is not None
    d_sides, a_sides = dropped.select("div.side"), added.select("div.side")
    assert "老年人" in d_sides[0].get_text() and "empty" in d_sides[1]["class"]
    assert "empty" in a_sides[0]["class"] and "三位一体" in a_sides[1].get_text()
    assert not dropped.find_all("del") and not added.find_all("ins")


def test_html_filters_and_badges() -> None:
    soup = BeautifulSoup(render_pair_html(jiangxi_pair()), "html.parser")
    boxes = soup.select("input.status-filter")
    assert {b["value"] for b in boxes} == {"inherited", "strengthened", "weakened", "dropped", "added"}
    labels = {b["value"]: b.parent.get_text(" ", strip=True) for b in boxes}  # type: ignore[union-attr]
    assert labels["inherited"].endswith("2") and labels["strengthened"].endswith("1")
    assert labels["weakened"].endswith("0")
    # the badges count measures, as coverage.csv does: a parent measure carried by two child
    # measures is two rows and one measure (they counted rows)
    second = jiangxi_pair().iloc[[0]].assign(child_measure="二.(一).3", child_text=JJ_HIGHER)
    soup = BeautifulSoup(render_pair_html(pd.concat([jiangxi_pair(), second])), "html.parser")
    boxes = soup.select("input.status-filter")
    labels = {b["value"]: b.parent.get_text(" ", strip=True) for b in boxes}  # type: ignore[union-attr]
    assert (
        labels["strengthened"].endswith(" 1") and len(soup.select('div.row[data-status="strengthened"]')) == 2
    )
    assert boxes[0].parent["title"] == "parent measures"  # type: ignore[index,union-attr]
    # the header's row count says why it exceeds the measures (it read "5 rows" beside badges of 4)
    meta = soup.select_one("div.meta").get_text(" ", strip=True)  # type: ignore[union-attr]
    rows = len(soup.select("div.row"))
    assert f"{rows} rows: {rows - 2} parent measures, 1 added (a measure carried by several" in meta
    options = [o["value"] for o in soup.select("#section-filter option")]
    assert options[0] == "" and "青少年" in options and "重点工程" in options and "老年人" in options
    sections = {r["data-section"] for r in soup.select("div.row")}
    assert sections == {"青少年", "重点工程", "老年人"}
    script = soup.find("script")
    assert script is not None and "section-filter" in script.get_text()


def test_html_is_offline_and_escaped() -> None:
    frame = jiangxi_pair().copy()
    frame.loc[frame.index[1], "evidence"] = '<script>alert("x")</script> & <b>'
    page = render_pair_html(frame)
    soup = BeautifulSoup(page, "html.parser")
    assert len(soup.find_all("script")) == 1  # only ours
    assert "&lt;script&gt;alert" in page
    for tag in soup.find_all(["script", "link", "img", "a", "iframe"]):
        for attr in ("src", "href"):
            value = tag.get(attr)
            assert not value or not re.match(r"(https?:)?//", str(value))
    assert "http://" not in page and "https://" not in page


def test_html_rejects_several_pairs_and_writes_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one pair"):
        render_pair_html(alignment_frame())
    path = write_pair_html(tmp_path / "pair.html", jiangxi_pair(), title="江西 vs 九江")
    assert "<h1>江西 vs 九江</h1>" in path.read_text(encoding="utf-8")
    written = write_all_html(tmp_path / "html", alignment_frame())
    assert [p.name for p in written] == ["jiangxi__jiujiang.html", "neimenggu__guangxi.html"]
    assert "统筹科普资源开发与利用" in written[1].read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------ helpers


def test_section_key_splits_action_themes() -> None:
    assert section_key(f"{YOUTH} > 推进基础教育阶段科学教育工作") == "青少年"
    assert section_key("二、聚焦全人群覆盖,实施五项提升行动 > (二)实施农民科学素质提升行动 > 1. x") == "农民"
    assert section_key("重点工程 > 科普信息化提升工程 > 推动智慧科普建设") == "重点工程"
    assert section_key("重点工程 > 科普信息化提升工程", split=("重点工程",)) == "科普信息化提升工程"
    assert section_key("") == "" and section_key(None) == ""


def test_parent_status_takes_the_best_carrying_row() -> None:
    frame = alignment_frame()
    extra = frame.iloc[[0]].copy()
    extra["child_measure"], extra["status"] = "二.(一).4", "weakened"
    status = parent_status_frame(pd.concat([frame, extra], ignore_index=True))
    row = status[(status["child_plan"] == "jiujiang") & (status["parent_measure"] == "二.(一).1")]
    assert row["status"].tolist() == ["strengthened"] and bool(row["carried"].iloc[0])
    assert len(status[status["child_plan"] == "jiujiang"]) == 4  # the added row has no parent measure


# ------------------------------------------------------------------------------------ workbook details


def test_xlsx_widths_header_and_filters_as_before(tmp_path: Path) -> None:
    # what openpyxl wrote before the workbook moved to xlsxwriter: stored widths exactly as set,
    # a bold grey header centred vertically, every body cell aligned to the top
    wb = openpyxl.load_workbook(write_xlsx(tmp_path / "r.xlsx", alignment_frame(), coverage_frame()))
    ws = wb["jiangxi→jiujiang"]
    widths = {}
    for dim in ws.column_dimensions.values():
        for col in range(dim.min, dim.max + 1):
            widths[col] = dim.width
    header = [c.value for c in ws[1]]
    expected = {"parent_plan": 14, "parent_text": 60, "similarity": 10, "status": 13, "evidence": 36}
    for name, width in expected.items():
        assert widths[header.index(name) + 1] == width
    top = ws.cell(row=1, column=1)
    assert top.font.b and top.fill.fgColor.rgb.endswith("DDDDDD") and top.alignment.vertical == "center"
    assert all(c.alignment.vertical == "top" for row in ws.iter_rows(min_row=2) for c in row)
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{ws.max_row}"


def test_xlsx_text_that_looks_like_a_formula_or_link_stays_text(tmp_path: Path) -> None:
    frame = jiangxi_pair().copy()
    frame.loc[frame.index[0], "evidence"] = "=SUM(A1:A2)"
    frame.loc[frame.index[1], "evidence"] = "https://example.org/plan"
    ws = openpyxl.load_workbook(write_xlsx(tmp_path / "r.xlsx", frame, coverage_frame()))["jiangxi→jiujiang"]
    col = [c.value for c in ws[1]].index("evidence") + 1
    assert ws.cell(row=2, column=col).value == "=SUM(A1:A2)" and ws.cell(row=2, column=col).data_type == "s"
    assert (
        ws.cell(row=3, column=col).value == "https://example.org/plan"
        and not ws.cell(row=3, column=col).hyperlink
    )


def test_sheet_titles_fit_excel_in_utf16_units_and_never_end_in_an_apostrophe() -> None:
    assert sheet_title("a" * 30 + "'b") == "a" * 30
    wide = sheet_title("𠀀" * 20)  # characters outside the BMP count twice
    assert len(wide.encode("utf-16-le")) <= 62 and wide
    assert sheet_title("jiangxi→jiujiang") == "jiangxi→jiujiang"


# ------------------------------------------------------------------------------------ diff cache


def test_diff_cache_gives_the_diffs_and_recomputes_a_bad_entry(tmp_path: Path) -> None:
    import sqlite3

    from align.report import DiffCache, diff_segments

    pairs = [(JX_BASIC, JJ_BASIC), ("加强科普工作", "加强科普基础工作"), ("同一", "同一")]
    first = DiffCache(tmp_path)
    got = first.segments(pairs + pairs[:1])
    assert first.misses == 3 and first.hits == 0
    for parent, child in pairs:
        assert [list(side) for side in got[(parent, child)]] == list(diff_segments(parent, child))
    again = DiffCache(tmp_path)
    assert again.segments(pairs) == got and again.hits == 3
    with sqlite3.connect(tmp_path / "diffs.sqlite3") as conn:
        conn.execute("UPDATE diffs SET sum = x'0000000000000000'")
    conn.close()
    third = DiffCache(tmp_path)
    assert third.segments(pairs) == got and third.corrupt == 3 and third.misses == 3
    assert DiffCache(tmp_path).segments(pairs) == got  # rewritten


def test_html_pages_are_the_same_with_and_without_the_diff_cache(tmp_path: Path) -> None:
    from align.report import DiffCache, write_all_html

    plain = write_all_html(tmp_path / "a", alignment_frame(), measures_frame())
    for run in ("b", "c"):  # cold, then warm
        cached = write_all_html(
            tmp_path / run, alignment_frame(), measures_frame(), diff_cache=DiffCache(tmp_path / "cache")
        )
        assert [p.read_bytes() for p in cached] == [p.read_bytes() for p in plain]


def test_page_from_tables_read_back_with_read_csv_keeps_numeric_measure_ids(tmp_path: Path) -> None:
    # a plan numbered 1. 2. … at the top has measure ids "1", "2"; pd.read_csv reads a column of
    # them with an empty cell (a dropped row) as 1.0, 2.0: the page must still say 2 and show its targets
    columns = list(ALIGNMENT_COLUMNS)
    rows = [
        dict(
            zip(
                columns,
                [
                    "a",
                    "b",
                    "1",
                    "2",
                    "推进",
                    "推进",
                    "1. 推进工作。",
                    "2. 推进工作，建成40个。",
                    0.9,
                    "strengthened",
                    "adds target 40个",
                ],
                strict=True,
            )
        ),
        dict(
            zip(
                columns, ["a", "b", "3", "", "加强", "", "3. 加强保障。", "", 0.1, "dropped", ""], strict=True
            )
        ),
    ]
    measures = pd.DataFrame(
        [
            {"plan_id": "a", "measure_id": "1", "text": "1. 推进工作。", "targets": ""},
            {"plan_id": "a", "measure_id": "3", "text": "3. 加强保障。", "targets": ""},
            {"plan_id": "b", "measure_id": "2", "text": "2. 推进工作，建成40个。", "targets": "40个"},
        ],
        columns=list(MEASURE_COLUMNS),
    )
    pd.DataFrame(rows).to_csv(tmp_path / "alignment.csv", index=False)
    measures.to_csv(tmp_path / "measures.csv", index=False)
    alignment, back = pd.read_csv(tmp_path / "alignment.csv"), pd.read_csv(tmp_path / "measures.csv")
    assert alignment["child_measure"].tolist()[0] == 2.0
    page = render_pair_html(alignment, back)
    assert page == render_pair_html(pd.DataFrame(rows), measures)
    assert "b · 2 · 推进" in page and "2.0" not in page
    targets = [div.text for div in BeautifulSoup(page, "html.parser").select(".targets")]
    assert targets == ["targets: 40个"]  # the child's target, found under its id


def test_a_table_without_a_column_is_named_not_a_pandas_key_error(tmp_path: Path) -> None:
    alignment = alignment_frame()
    with pytest.raises(InputError, match=r"alignment_pair lacks columns \['status'\]"):
        render_pair_html(alignment.drop(columns=["status"]))
    with pytest.raises(InputError, match=r"alignment lacks columns \['child_plan'\]"):
        write_xlsx(tmp_path / "r.xlsx", alignment.drop(columns=["child_plan"]), coverage_frame())
    with pytest.raises(InputError, match=r"alignment lacks columns \['parent_measure'\]"):
        parent_status_frame(alignment.drop(columns=["parent_measure"]))
    with pytest.raises(InputError, match=r"measures lacks columns \['plan_id'\]"):
        render_pair_html(
            alignment[alignment["child_plan"] == "jiujiang"], measures_frame().drop(columns=["plan_id"])
        )


def test_xlsx_given_a_folder_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="is a folder") as error:
        write_xlsx(tmp_path, alignment_frame(), coverage_frame())
    assert error.value.filename == str(tmp_path)
    assert list(tmp_path.iterdir()) == []
