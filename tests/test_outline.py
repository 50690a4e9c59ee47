"""The outline parser on the real seed plans and on mangled text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from align.measures import extract_measures
from align.outline import (
    parse_outline,
    rebuild_paragraphs,
    restore_line_breaks,
    split_sentences,
    strip_marker,
)
from tests.conftest import seed_text


def test_markers_full_and_half_width() -> None:
    assert strip_marker("一、指导思想")[0][:2] == ("cn", "一")  # type: ignore[index]
    assert strip_marker("（二）主要目标")[0][:2] == ("pcn", "二")  # type: ignore[index]
    assert strip_marker("(三)产业工人")[0][:2] == ("pcn", "三")  # type: ignore[index]
    assert strip_marker("1．推进")[0][:2] == ("num", "1")  # type: ignore[index]
    assert strip_marker("4、发挥企业家")[0][:2] == ("num", "4")  # type: ignore[index]
    assert strip_marker("（1）加强")[0][:2] == ("pnum", "1")  # type: ignore[index]
    assert strip_marker("1）加强")[0][:2] == ("pnum", "1")  # type: ignore[index]
    assert strip_marker("⑵加强")[0][:2] == ("pnum", "2")  # type: ignore[index]
    assert strip_marker("二)加强")[0][:2] == ("pcn", "二")  # type: ignore[index]
    assert strip_marker("①开展")[0][:2] == ("circ", "①")  # type: ignore[index]
    assert strip_marker("——树立相信科学")[0][:2] == ("dash", "—")  # type: ignore[index]
    assert strip_marker("—树立相信科学")[0][:2] == ("dash", "—")  # type: ignore[index]
    # a range broken over two lines ("（2021" / "—2035年）") continues its sentence
    assert strip_marker("—2035年）》的要求")[0] is None
    # a year or a decimal is not a heading
    assert strip_marker("2025年,我省公民")[0] is None
    assert strip_marker("2.0版本")[0] is None


def test_page_breaks_inside_sentences_are_joined() -> None:
    # Jiangxi's PDF copy breaks "学业 / 水平考试" across a page
    paragraphs = rebuild_paragraphs(seed_text("jiangxi"))
    item = next(p for p in paragraphs if p.text.startswith("1. 推进基础教育阶段科学教育工作"))
    assert "学业水平考试和综合素质评价制度" in item.text
    assert item.line == 41


def test_jiangxi_tree() -> None:
    outline = parse_outline(seed_text("jiangxi"))
    assert [r.key for r in outline.roots] == ["一", "二", "三", "四"]
    actions = outline.roots[1].children
    assert [a.title for a in actions][:2] == ["实施青少年科学素质提升行动", "实施农民科学素质提升行动"]
    assert [len(a.children) for a in actions] == [6, 4, 4, 3, 3]
    # the heading line with a comma is not joined to its intro paragraph
    assert outline.roots[1].title == "聚焦全人群覆盖,实施五项提升行动"
    # footers are furniture, not body text
    assert any(p.text.startswith("抄送") for p in outline.furniture)


def test_inner_mongolia_blocks_and_bullets() -> None:
    outline = parse_outline(seed_text("neimenggu"))
    youth = outline.roots[2].children[0]
    assert youth.title == "青少年科学素质提升行动"
    assert [c.title for c in youth.children] == ["任务", "措施", "分工"]
    assert len(youth.children[1].children) == 6  # the —— bullets under 措施
    assert any("访问次数" in p.text for p in outline.furniture)


def test_split_sentences_keeps_punctuation() -> None:
    assert split_sentences("完善表彰奖励机制。根据国家有关规定，给予表彰；加强评估。") == [
        "完善表彰奖励机制。",
        "根据国家有关规定，给予表彰；",
        "加强评估。",
    ]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="一二三、（）()1.．——①。，；科普教育工作第章节条部分2\n ", max_size=300))
def test_parser_never_crashes(text: str) -> None:
    parse_outline(text)


def test_no_seed_line_is_split_as_flattened() -> None:
    # ordinary long paragraphs (Dazhang has lines of 1,600 characters) keep their inline
    # enumerations: only lines holding several outline headings are re-broken
    for name in ("jiangxi", "jiujiang", "dazhang", "guangxi", "neimenggu"):
        for line in seed_text(name).split("\n"):
            assert restore_line_breaks(line) == [line]


def test_flattened_plan_is_re_broken_at_its_headings() -> None:
    # a web or PDF copy that lost its line breaks: one line holding the whole plan
    for name in ("jiangxi", "neimenggu"):  # numbered items; "——" bullets
        text = seed_text(name)
        original = [m.measure_id for m in extract_measures(text)]
        flattened = [m.measure_id for m in extract_measures("".join(text.split("\n")))]
        assert len(set(original) & set(flattened)) >= 0.9 * len(original), name
    pieces = restore_line_breaks("".join(seed_text("jiangxi").split("\n")))
    assert any(p.startswith("1. 推进基础教育阶段科学教育工作") for p in pieces)
    assert any(p.startswith("（二）实施农民科学素质提升行动") for p in pieces)


def _restyle(text: str, decimal: bool) -> str:
    """The seed with its 一、 （一） 1. headings rewritten as 第一章 第一节 第N条, or as 1 / 1.1 / 1.1.1."""
    lines, articles, chapter, section = [], 0, 0, 0
    for line in text.split("\n"):
        marker, rest = strip_marker(line)
        if marker is None or marker[0] not in ("cn", "pcn", "num"):
            lines.append(line)
            continue
        style, number, _ = marker
        if style == "cn":
            chapter, section = chapter + 1, 0
            lines.append(f"{chapter} {rest}" if decimal else f"第{number}章 {rest}")
        elif style == "pcn":
            section += 1
            lines.append(f"{chapter}.{section} {rest}" if decimal else f"第{number}节 {rest}")
        else:
            articles += 1
            prefix = f"{chapter}.{section}" if section else f"{chapter}"
            lines.append(f"{prefix}.{number} {rest}" if decimal else f"第{articles}条 {rest}")
    return "\n".join(lines)


def test_chapter_article_and_decimal_outlines_give_the_seed_measures() -> None:
    # plans written like regulations (第一章 … 第一条) or reports (1.1, 1.1.1) carry the same
    # measures as the 一、 （一） 1. original: none is lost in the front matter
    for name in ("jiangxi", "dazhang", "neimenggu"):
        text = seed_text(name)
        original = extract_measures(text)
        for decimal in (False, True):
            restyled = extract_measures(_restyle(text, decimal))
            assert [m.kind for m in restyled] == [m.kind for m in original], (name, decimal)
            assert [m.sentences[1:] for m in restyled] == [m.sentences[1:] for m in original]
    jiangxi = extract_measures(_restyle(seed_text("jiangxi"), decimal=False))
    item = next(m for m in jiangxi if "推进基础教育阶段科学教育工作" in m.text)
    assert item.measure_id == "第二章.第一节.第1条"
    assert item.path == (
        "聚焦全人群覆盖,实施五项提升行动",
        "实施青少年科学素质提升行动",
        "推进基础教育阶段科学教育工作",
    )


def test_chapter_and_decimal_markers() -> None:
    assert strip_marker("第一章 总则")[0] == ("chapter", "一", "第一章")
    assert strip_marker("第一部分：总体要求")[0][:2] == ("chapter", "一")  # type: ignore[index]
    assert strip_marker("第二节　青少年")[0][:2] == ("section", "二")  # type: ignore[index]
    assert strip_marker("第十二条 各级人民政府")[0][:2] == ("article", "十二")  # type: ignore[index]
    assert strip_marker("2.1 青少年科学素质提升行动")[0][:2] == ("dec2", "2.1")  # type: ignore[index]
    assert strip_marker("１．２．３加强")[0][:2] == ("dec3", "1.2.3")  # type: ignore[index]
    # ordinals and decimals that open ordinary sentences are not headings
    for text in (
        "第一批试点单位",
        "第三方评估",
        "2.5万人次参加",
        "1.5倍",
        "1.2 亿元",
        "12.3 km",
        "1.1%的",
        "10 个基地",
    ):
        assert strip_marker(text)[0] is None, text


def test_page_numbers_of_a_pdf_copy_are_set_aside() -> None:
    # a .txt copied out of the PDF keeps its page numbers, often in the middle of a sentence
    lines = seed_text("jiangxi").split("\n")
    cut = next(i for i, line in enumerate(lines) if line.startswith("1. 推进基础教育阶段科学教育工作"))
    numbered = [*lines[: cut + 1], "— 3 —", *lines[cut + 1 : cut + 9], "第 4 页 共 20 页", *lines[cut + 9 :]]
    numbered[cut + 20 : cut + 20] = ["-5-", "12"]
    original = extract_measures("\n".join(lines))
    paged = extract_measures("\n".join(numbered))
    assert [(m.measure_id, m.text) for m in paged] == [(m.measure_id, m.text) for m in original]
    furniture = [p.text for p in parse_outline("\n".join(numbered)).furniture]
    assert {"— 3 —", "第 4 页 共 20 页", "-5-", "12"} <= set(furniture)


def test_attachments_after_the_plan_are_kept_outside_its_outline() -> None:
    # a task-division table and a list annexed after the signature and the 印发 footer
    text = seed_text("jiangxi")
    annexed = text + (
        "\n附件1\n重点任务分工表\n序号\t重点任务\t牵头单位\n1\t推进基础教育阶段科学教育工作\t省教育厅\n"
        "附件2：\n1. 科普示范县创建名单。南昌县等十个县开展创建。\n"
    )
    original = extract_measures(text)
    assert [(m.measure_id, m.text) for m in extract_measures(annexed)] == [
        (m.measure_id, m.text) for m in original
    ]
    outline = parse_outline(annexed)
    assert [p.text for p in outline.appendix][:2] == ["附件1", "重点任务分工表"]
    assert any(p.text.endswith("印发") for p in outline.furniture)  # the footer before it
    # a notice whose plan is its attachment: 附件 in the front matter does not end anything, nor
    # does one after the notice's own numbered points
    notice = "关于印发实施方案的通知\n附件：某市实施方案\n" + text
    assert len(extract_measures(notice)) == len(original)
    points = (
        "关于印发实施方案的通知\n各县（市、区）人民政府：\n现将实施方案印发给你们，并就有关事项通知如下：\n"
        "一、提高思想认识。各地要充分认识全民科学素质工作的重要意义。\n"
        "二、加强组织领导。各地要明确责任分工，抓好贯彻落实。\n附件\n"
    )
    assert [(m.measure_id, m.text) for m in extract_measures(points + text)] == [
        (m.measure_id, m.text) for m in original
    ]


def test_a_table_of_contents_opens_no_headings() -> None:
    lines = seed_text("jiangxi").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("一、"))
    toc = [
        "目  录",
        "一、指导思想和发展目标……………………………1",
        "二、聚焦全人群覆盖,实施五项提升行动………………3",
        "（一）实施青少年科学素质提升行动\t3",
        "（二）实施农民科学素质提升行动.........5",
        "四、组织实施———15",
    ]
    original = extract_measures("\n".join(lines))
    with_toc = "\n".join([*lines[:first], *toc, *lines[first:]])
    assert [(m.measure_id, m.text) for m in extract_measures(with_toc)] == [
        (m.measure_id, m.text) for m in original
    ]
    assert set(toc) <= {p.text for p in parse_outline(with_toc).furniture}


def test_web_page_furniture_of_a_text_copy_is_set_aside() -> None:
    # a plan copied as text out of a government site, with the site's lines above and below it
    text = seed_text("jiujiang")
    head = "首页 > 政务公开 > 政策文件\n发布时间：2022-10-31 访问次数：1024\n【字体：大 中 小】\n"
    tail = (
        "\n【打印本页】【关闭窗口】\n上一篇：九江市关于印发某方案的通知\n下一篇：九江市人民政府关于某某的通知\n"
        "主办：九江市人民政府办公室 承办：九江市大数据中心\n版权所有：九江市人民政府 网站标识码：3604000001\n"
        "赣ICP备05004000号 赣公网安备 36040202000001号\n"
    )
    original = extract_measures(text)
    assert [(m.measure_id, m.text) for m in extract_measures(head + text + tail)] == [
        (m.measure_id, m.text) for m in original
    ]
    furniture = {p.text for p in parse_outline(head + text + tail).furniture}
    assert {"【打印本页】【关闭窗口】", "上一篇：九江市关于印发某方案的通知"} <= furniture


def test_signature_and_date_under_the_plan_are_furniture() -> None:
    text = seed_text("jiujiang")
    original = extract_measures(text)
    for signed in (
        "九江市人民政府\n2022年10月31日",
        "中共九江市委办公室\n九江市人民政府办公室\n二〇二二年十月三十一日",
    ):
        document = f"{text}\n{signed}\n（此件主动公开）\n"
        assert [(m.measure_id, m.text) for m in extract_measures(document)] == [
            (m.measure_id, m.text) for m in original
        ]
        assert set(signed.split("\n")) <= {p.text for p in parse_outline(document).furniture}


def test_numbering_that_starts_again_begins_the_plan() -> None:
    # a notice's own numbered points, or a table of contents without page numbers, before the plan
    text = seed_text("jiangxi")
    original = [(m.measure_id, m.text) for m in extract_measures(text)]
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("一、"))
    toc = [
        "目录",
        "一、指导思想和发展目标",
        "二、聚焦全人群覆盖,实施五项提升行动",
        "三、夯实基础支撑",
        "四、组织实施",
    ]
    with_toc = "\n".join([*lines[:first], *toc, *lines[first:]])
    assert [(m.measure_id, m.text) for m in extract_measures(with_toc)] == original
    notice = (
        "关于印发实施方案的通知\n现将实施方案印发给你们，并就有关事项通知如下：\n"
        "一、提高思想认识。各地要充分认识全民科学素质工作的重要意义。\n"
        "二、加强组织领导。各地要明确责任分工，抓好贯彻落实。\n"
    )
    assert [(m.measure_id, m.text) for m in extract_measures(notice + text)] == original


def test_a_marker_alone_on_its_line_takes_the_next_line_as_title() -> None:
    # a PDF copy that broke every heading after its number: "（一）" / "实施青少年…"
    text = seed_text("jiangxi")
    broken = []
    for line in text.split("\n"):
        marker, rest = strip_marker(line)
        broken.extend([marker[2], rest] if marker and rest else [line])
    original = extract_measures(text)
    rebuilt = extract_measures("\n".join(broken))
    assert [(m.measure_id, m.path) for m in rebuilt] == [(m.measure_id, m.path) for m in original]
    assert [m.text.replace(" ", "") for m in rebuilt] == [m.text.replace(" ", "") for m in original]


def test_a_plan_before_a_long_annex_keeps_its_outline() -> None:
    # only a small part before the plan is front matter: a plan followed by an annex twice its size
    # (a long task-division table) is still the plan
    text = seed_text("jiujiang")
    body = text[text.index("一、") :]
    original = [(m.measure_id, m.text) for m in extract_measures(text)]
    annexed = extract_measures(f"{text}\n附件\n{body}\n{body}")
    assert [(m.measure_id, m.text) for m in annexed] == original
    restarted = extract_measures(f"{text}\n{body}\n{body}")  # numbering starts again, no 附件
    assert [(m.measure_id, m.text, m.line) for m in restarted][: len(original)] == [
        (m.measure_id, m.text, m.line) for m in extract_measures(text)
    ]


def test_a_short_plan_keeps_its_outline_before_a_long_unnumbered_annex() -> None:
    # the attachment is the plan only when it has an outline of its own
    text = seed_text("jiujiang")
    rows = [strip_marker(p)[1] for p in seed_text("guangxi").split("\n") if len(p) > 60]
    annex = "\n".join(rows * 12)  # a table five times the plan's size, its rows unnumbered
    assert len(annex) > 4 * len(text)
    original = [(m.measure_id, m.text) for m in extract_measures(text)]
    assert [(m.measure_id, m.text) for m in extract_measures(f"{text}\n附件\n{annex}")] == original
