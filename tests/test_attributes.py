"""Attributes of measures, on sentences cut from the five seed plans in data/plans/.

Every quoted fixture is checked to occur verbatim in its seed file, so the tests stay tied to
the real documents.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from align.attributes import (
    AttributeComparer,
    binding_cue,
    compare_attributes,
    deadline_due,
    extract_agencies,
    extract_deadlines,
    extract_groups,
    extract_targets,
    is_relative,
    issued_year,
    measure_attributes,
    modality,
    target_amount,
    target_change,
)
from align.models import Measure, Target

PLANS = Path(__file__).resolve().parent.parent / "data" / "plans"
JIUJIANG = "000_db08bb93956ab56b.txt"  # municipal, child of Jiangxi
JIANGXI = "001_e9d6debd5c2ad4f8.txt"  # provincial
DAZHANG = "002_4bddc11958e96dea.txt"  # district (Hunan)
GUANGXI = "003_dc08f0f613dd20d7.txt"  # provincial
NEIMENGGU = "004_34aac81e3d6f48e4.txt"  # provincial


def seed(name: str) -> str:
    return (PLANS / name).read_text(encoding="utf-8")


def cut(name: str, text: str) -> str:
    """A fixture quoted from a seed: fails loudly if the seed does not contain it."""
    assert text in seed(name), f"not in {name}: {text[:30]}"
    return text


def line_with(name: str, anchor: str) -> str:
    """The one line of a seed that contains ``anchor`` (a whole item or paragraph)."""
    lines = [line for line in seed(name).splitlines() if anchor in line]
    assert len(lines) == 1, (anchor, len(lines))
    return lines[0].strip()


def measure(name: str, text: str) -> Measure:
    base = Measure(plan_id=name, measure_id="m", path=(), text=text, sentences=())
    return dataclasses.replace(base, **measure_attributes(text))


def only(targets: tuple[Target, ...], unit: str) -> Target:
    hits = [t for t in targets if t.unit == unit]
    assert len(hits) == 1, targets
    return hits[0]


# --------------------------------------------------------------------------------------------
# targets

JIUJIANG_YOUTH_1 = cut(
    JIUJIANG,
    "各学校每学年组织开展科学家精神宣讲活动或主题班(团、队)会不少于1场次。"
    "“十四五”期间,邀请中科院老科学家科普演讲团来我市宣讲不少于200场次。"
    "(责任单位:市科协、市委宣传部、市教育局、团市委)",
)


def test_jiujiang_first_youth_item_has_one_per_school_year_and_200_lectures() -> None:
    item = line_with(JIUJIANG, "1.将弘扬科学精神贯穿于育人全链条")
    targets = extract_targets(item)
    assert [(t.value, t.unit) for t in targets] == [(1.0, "场次"), (200.0, "场次")]
    per_school, lectures = targets
    assert per_school.per == "各学校每学年"
    assert per_school.comparator == "不少于"
    assert "科学家精神宣讲活动" in per_school.counted
    assert per_school.year is None
    assert lectures.comparator == "不少于"
    assert lectures.year == 2025  # “十四五”期间
    assert "老科学家科普演讲团" in lectures.counted
    assert extract_targets(JIUJIANG_YOUTH_1) == targets
    for t in targets:
        assert t.raw in item


def test_jiangxi_goal_is_15_percent_by_2025_hedged() -> None:
    goal = cut(JIANGXI, "到2025年,我省公民具备科学素质的比例力争达到15%。")
    (t,) = extract_targets(goal)
    assert (t.value, t.unit, t.year, t.comparator) == (15.0, "%", 2025, "力争达到")
    assert t.counted == "公民具备科学素质的比例"
    assert t.raw == "力争达到15%"
    assert str(t) == "力争达到15%"
    assert is_relative(t)


def test_goal_year_comes_from_the_sentence_and_counted_drops_the_jurisdiction() -> None:
    jiujiang = cut(JIUJIANG, "到2025年,我市公民具备科学素质的比例力争达到15.5%,超过全国平均水平。")
    dazhang = cut(DAZHANG, "到2025年，我区公民具备科学素质的比例达到15%，力争超过全国平均水平。")
    (a,) = extract_targets(jiujiang)
    (b,) = extract_targets(dazhang)
    assert (a.value, a.year, a.comparator) == (15.5, 2025, "力争达到")
    assert (b.value, b.year, b.comparator) == (15.0, 2025, "达到")
    assert a.counted == b.counted == "公民具备科学素质的比例"


def test_per_school_rate_carries_to_the_next_clause_but_not_to_a_new_scope() -> None:
    text = cut(
        JIUJIANG,
        "“十四五”期间,各学校每学期组织研学实践教育活动不少于1次,举办科普类活动或讲座不少于1场次,"
        "全市创建“好奇心”科普示范学校40个。",
    )
    trips, events, schools = extract_targets(text)
    assert (trips.value, trips.unit, trips.per) == (1.0, "次", "各学校每学期")
    assert (events.value, events.unit, events.per) == (1.0, "场次", "各学校每学期")
    assert (schools.value, schools.unit, schools.per) == (40.0, "个", "")
    assert schools.counted == "创建“好奇心”科普示范学校"
    assert all(t.year == 2025 for t in (trips, events, schools))
    assert is_relative(trips) and not is_relative(schools)


def test_stray_spaces_and_magnitudes() -> None:
    text = cut(JIANGXI, "培训农业从业人员 30 万人次以上，培育农村创新创业带头人 3 万名以上。")
    a, b = extract_targets(text)
    assert (a.value, a.unit, a.comparator, a.counted) == (30.0, "万人次", "以上", "培训农业从业人员")
    assert a.raw == "30 万人次以上"
    assert target_amount(a) == 300_000
    assert (b.value, b.unit, target_amount(b)) == (3.0, "万名", 30_000)
    assert b.counted == "培育农村创新创业带头人"


def test_per_year_count_with_spaces_and_noun_after_the_number() -> None:
    jiangxi = cut(JIANGXI, "深入开展“送培到基层”活动，每年培训 3000 名科技辅导员。")
    jiujiang = cut(JIUJIANG, "加大对科技辅导员的培训力度,每年培训科技辅导员300名。")
    (a,) = extract_targets(jiangxi)
    (b,) = extract_targets(jiujiang)
    assert (a.value, a.unit, a.per, a.counted) == (3000.0, "名", "每年", "培训科技辅导员")
    assert (b.value, b.unit, b.per, b.counted) == (300.0, "名", "每年", "培训科技辅导员")
    assert not is_relative(a)  # a per-year total grows with the jurisdiction


def test_full_width_digits_and_percent_keep_raw_verbatim() -> None:
    goal = cut(JIANGXI, "我省公民具备科学素质的比例力争达到15%").replace("15%", "１５％")
    (t,) = extract_targets(goal)
    assert (t.value, t.unit) == (15.0, "%")
    assert t.raw == "力争达到１５％"
    assert t.raw in goal


def test_lists_of_counts_each_get_their_own_counted_phrase() -> None:
    text = cut(JIUJIANG, "新建院士工作站3家、专家工作站60家、学会服务站30家、海智计划工作站5家。")
    assert [(t.value, t.counted) for t in extract_targets(text)] == [
        (3.0, "新建院士工作站"),
        (60.0, "专家工作站"),
        (30.0, "学会服务站"),
        (5.0, "海智计划工作站"),
    ]
    nouns_after = cut(DAZHANG, "新建10个农业产业科普示范基地、10个农村青少年科普体验基地。")
    assert [t.counted for t in extract_targets(nouns_after)] == [
        "新建农业产业科普示范基地",
        "农村青少年科普体验基地",
    ]


def test_chinese_numerals_count_but_not_idioms_outline_numbers_or_names() -> None:
    (five,) = extract_targets(cut(JIANGXI, "二、聚焦全人群覆盖,实施五项提升行动"))
    assert (five.value, five.unit, five.raw) == (5.0, "项", "五项")
    (once,) = extract_targets(cut(GUANGXI, "应在近两年内参加一次科普宣讲活动"))
    assert (once.value, once.unit) == (1.0, "次")
    (every_two,) = extract_targets(
        cut(GUANGXI, "支持有条件的高校每两年举办一次以科学技术热点问题为主题的大学生辩论赛")
    )
    assert (every_two.value, every_two.per) == (1.0, "每两年")
    for text in (
        cut(JIUJIANG, "一、指导思想和目标"),
        cut(JIUJIANG, "(一)指导思想。"),
        cut(JIANGXI, "赣府发〔2021〕29号"),
        cut(JIANGXI, "深入实施国家基础学科拔尖学生培养计划 2.0，完善拔尖创新人才培养体系。"),
        cut(JIANGXI, "深入贯彻党的十九大和十九届二中、三中、四中、五中、六中全会精神"),
        cut(JIUJIANG, "聚焦省第十五次党代会提出"),
        cut(GUANGXI, "深入实施农村科技特派员、驻村工作队员制度,建设一批高素质农民培训基地"),
        cut(JIANGXI, "打造一支特色技能人才“赣军”"),
        cut(JIANGXI, "深入实施“一村一名大学生工程”"),
        cut(JIANGXI, "为实现2025年我省全民科学素质工作目标"),
        cut(JIUJIANG, "2022年10月31日"),
        cut(NEIMENGGU, "“十四五”期末,通过实地走访、专项调研、座谈交流等方式"),
    ):
        assert extract_targets(text) == (), text


def test_per_capita_and_lower_bound() -> None:
    text = cut(
        DAZHANG,
        "每万人拥有科普展厅面积达到160平方米。深入实施健康中国行动和湖南健康素养促进行动，到2025年，全区居民健康素养水平不低于25%。",
    )
    area, health = extract_targets(text)
    assert (area.value, area.unit, area.per, area.comparator) == (160.0, "平方米", "每万人", "达到")
    assert is_relative(area)
    assert area.year is None
    assert (health.value, health.comparator, health.year, health.counted) == (
        25.0,
        "不低于",
        2025,
        "居民健康素养水平",
    )


def test_repeated_text_gives_each_target_once() -> None:
    goal = cut(NEIMENGGU, "到2025年,全区公民具备科学素质的比例达到12%")
    assert len(extract_targets(goal + "。" + goal)) == 1


def test_a_breakdown_in_brackets_is_part_of_its_total_not_more_targets() -> None:
    # the two 30 days are parts of the 60: read as targets of their own, a child repeating the
    # sentence "added" three targets; the counted thing starts at a list break, not mid-word
    # (it read "所要积极向公众预约开放…", from 科研院所要…)
    text = next(s + "。" for s in seed(GUANGXI).split("。") if "每年不少于60天(其中" in s)
    (days,) = extract_targets(text)
    assert (days.value, days.per) == (60.0, "每年")
    assert days.counted.endswith("陈列室等场所或设施") and not days.counted.startswith("所")


def test_a_count_before_its_noun_in_a_list_counts_that_item_and_a_distributive_subject_holds() -> None:
    # 千场 counts the 劳模事迹宣讲 only, not the 中国梦·劳动美 activities listed before it
    (talks,) = extract_targets(
        cut(NEIMENGGU, "开展“中国梦·劳动美”“北疆工匠”、千场劳模事迹宣讲、巾帼建功等活动")
    )
    assert (talks.value, talks.counted) == (1000.0, "劳模事迹宣讲")
    # 各县(市、区) opens the sentence: each county builds at least one base, not the city one
    sentence = next(s + "。" for s in seed(JIUJIANG).split("。") if "精品科普特色旅游线路不少于1条" in s)
    schools, bases, routes, study = extract_targets(sentence)
    assert bases.per == routes.per == "各县(市、区)"
    assert (bases.value, routes.value) == (1.0, 1.0)
    # the city's own count before it, and the one after the semicolon, are the city's
    assert (schools.value, schools.per, study.value, study.per) == (100.0, "", 5.0, "")


# --------------------------------------------------------------------------------------------
# deadlines


def test_deadlines_as_written() -> None:
    assert extract_deadlines(line_with(JIANGXI, "4. 后续计划。")) == ("2025年底",)
    assert extract_deadlines(line_with(JIUJIANG, "4.后续计划。")) == ("2026年初",)
    assert extract_deadlines(JIUJIANG_YOUTH_1) == ("每学年", "十四五期间")
    assert extract_deadlines(line_with(JIANGXI, "2. 深入实施。")) == ("2022年到2025年",)
    assert extract_deadlines(cut(DAZHANG, "5年内组织10家以上民营企业结对帮扶助力乡村产业振兴")) == ("5年内",)
    assert extract_deadlines(cut(GUANGXI, "到2026年,全区科普能力得到明显增强")) == ("到2026年",)


def test_no_deadline_in_issue_dates_titles_or_plan_periods() -> None:
    for text in (
        cut(JIUJIANG, "2022年10月31日"),
        cut(JIUJIANG, "九江市全民科学素质行动规划纲要实施方案(2021-2025年)"),
        cut(NEIMENGGU, "《内蒙古自治区国民经济和社会发展第十四个五年规划和2035年远景目标纲要》"),
        cut(JIANGXI, "赣府发〔2021〕29号"),
        cut(JIANGXI, "把科学素质教育作为领导干部和公务员教育培训的长期任务"),
    ):
        assert extract_deadlines(text) == (), text


def test_deadline_due_orders_dates() -> None:
    due = {
        d: deadline_due(d) or 0.0
        for d in ("2025年底", "到2025年", "2026年前", "2026年初", "十四五期间", "2023年")
    }
    assert 2023 < due["2023年"] < due["2025年底"] == due["到2025年"] == due["2026年前"] == due["十四五期间"]
    assert due["2026年初"] > due["2025年底"]
    assert deadline_due("每学期") is None and deadline_due("5年内") is None


# --------------------------------------------------------------------------------------------
# agencies


def test_inner_mongolia_youth_action_lead_is_education_department() -> None:
    text = seed(NEIMENGGU)
    start = text.index("(一)青少年科学素质提升行动")
    block = text[text.index("3.分工", start) : text.index("(二)农牧民科学素质提升行动", start)]
    lead, resp = extract_agencies(block)
    assert lead == ("自治区教育厅",)
    assert resp[0] == "自治区党委宣传部"
    assert resp[-2:] == ("团委", "科协")
    assert len(resp) == 9


def test_jiangxi_intro_lead_and_item_responsible() -> None:
    intro = line_with(JIANGXI, "激发青少年好奇心和想象力")
    assert extract_agencies(intro) == (("省教育厅", "省科协"), ())
    item = cut(JIANGXI, "（省教育厅、团省委、省科协按职责分工负责）")
    assert extract_agencies(item) == ((), ("省教育厅", "团省委", "省科协"))
    elderly = cut(JIANGXI, "(省民政厅、省卫生健康委、省委宣传部、省科协按照职责分工负责)")
    assert extract_agencies(elderly) == ((), ("省民政厅", "省卫生健康委", "省委宣传部", "省科协"))


def test_jiujiang_units_keep_bracketed_names_whole() -> None:
    item = line_with(JIUJIANG, "5.构建校内外科学教育资源有效衔接机制")
    lead, resp = extract_agencies(item)
    assert lead == ()
    assert resp[:2] == ("市教育局", "市科技局")
    assert "市自然资源局" in resp  # after a comma inside the list
    assert resp[-1] == "各县〔市、区〕人民政府"
    assert extract_agencies(line_with(JIUJIANG, "(牵头单位:市教育局、市科协)")) == (
        ("市教育局", "市科协"),
        (),
    )


def test_dazhang_lead_and_participants() -> None:
    text = line_with(DAZHANG, "责任分工：由区教育局、团区委、区科协牵头")
    lead, resp = extract_agencies(text)
    assert lead == ("区教育局", "团区委", "区科协")
    assert resp[0] == "区委宣传部" and resp[-1] == "区妇联"
    assert "区人力资源和社会保障局" in resp  # 和 inside a name is not a separator


def test_no_agency_in_prose_about_leading() -> None:
    for text in (
        cut(GUANGXI, "县级以上人民政府科学技术行政部门要履行法定科普职能,牵头建立科普工作联席会议制度"),
        cut(GUANGXI, "各级科学技术协会要履行全民科学素质行动牵头职责"),
        cut(JIUJIANG, "由综治中心网格化体系网格员兼任科普宣传员,负责将"),
        cut(JIANGXI, "深化中等职业学校(含技工院校)、成人中专等中等教育课程改革"),
    ):
        assert extract_agencies(text) == ((), ()), text


# --------------------------------------------------------------------------------------------
# groups


def test_groups_use_word_boundaries() -> None:
    migrant = cut(JIUJIANG, "持续实施农民工职业技能提升培训活动,增加进城务工人员教育培训机会。")
    assert extract_groups(migrant) == ("产业工人",)
    assert extract_groups(cut(JIUJIANG, "建立老年人才信息库")) == ()
    assert extract_groups(cut(NEIMENGGU, "提高农牧民文明生活、科学生产、科学经营能力")) == ("农民",)
    assert extract_groups(cut(JIUJIANG, "为农村留守老人、妇女、儿童提供综合服务")) == (
        "老年人",
        "妇女",
        "青少年",
    )
    leaders = cut(JIUJIANG, "提升领导干部和公务员推进科技创新和科学普及的意识和能力")
    assert extract_groups(leaders) == ("领导干部和公务员",)
    assert extract_groups(cut(DAZHANG, "为热爱科学的中小学生搭建学习、交流和展示平台")) == ("青少年",)
    assert extract_groups(cut(JIANGXI, "推动科学教育与专业教育同步发展")) == ()


# --------------------------------------------------------------------------------------------
# modality


def test_modality_words_in_order_and_strongest_level() -> None:
    text = cut(
        JIANGXI,
        "鼓励有条件的学校推行场景式、体验式、沉浸式学习。完善科学教育质量评价和青少年科学素质监测评估。",
    )
    assert modality(text) == (2, ("鼓励", "有条件的", "完善"))
    assert modality(cut(DAZHANG, "全面落实科学课程标准")) == (3, ("全面", "落实"))
    assert modality(cut(GUANGXI, "县级以上电视台、广播电台应开设科教栏目")) == (3, ("应",))
    assert modality("") == (0, ())


def test_hedged_target_is_softer_than_firm_target() -> None:
    hedged = modality(cut(JIANGXI, "我省公民具备科学素质的比例力争达到15%"))
    firm = modality(cut(DAZHANG, "我区公民具备科学素质的比例达到15%"))
    assert hedged == (1, ("力争达到",))
    assert firm == (3, ("达到",))


def test_modality_ignores_words_inside_longer_words() -> None:
    # 应急 is not 应, 推动者 is not 推动, 机构建设 is not 构建
    assert modality(cut(JIUJIANG, "市应急管理局")) == (0, ())
    assert modality(cut(JIANGXI, "引导企业家成为提升产业工人科学素质的推动者")) == (1, ("引导",))
    assert "构建" not in modality(cut(JIUJIANG, "养老服务机构等,普及智能技术知识和技能"))[1]


# --------------------------------------------------------------------------------------------
# comparison, on examples of data/gold/*.csv


def test_gold_goal_raised_15_to_15_5_is_strengthened() -> None:
    parent = measure(JIANGXI, line_with(JIANGXI, "我省公民具备科学素质的比例力争达到15%"))
    child = measure(JIUJIANG, line_with(JIUJIANG, "公民具备科学素质的比例力争达到15.5%"))
    direction, reasons = compare_attributes(parent, child, same_level=False)
    assert direction == 1
    assert "15%→15.5%" in reasons


def test_gold_hedged_to_firm_goal_is_strengthened() -> None:
    parent = measure(JIANGXI, line_with(JIANGXI, "我省公民具备科学素质的比例力争达到15%"))
    child = measure(DAZHANG, line_with(DAZHANG, "我区公民具备科学素质的比例达到15%"))
    assert compare_attributes(parent, child, same_level=False) == (1, ["力争达到15%→达到15% (firmer)"])
    # and the other way round it is weakened
    assert compare_attributes(child, parent, same_level=False) == (-1, ["达到15%→力争达到15% (softer)"])


def test_a_lowered_target_is_weakened_even_when_its_verb_is_firmer() -> None:
    # Jiangxi's 力争达到15% against Inner Mongolia's 达到12%: the number is the commitment (the
    # firmer verb cancelled the lower value, and the measure read inherited)
    parent = measure(JIANGXI, line_with(JIANGXI, "我省公民具备科学素质的比例力争达到15%"))
    child = measure(NEIMENGGU, line_with(NEIMENGGU, "全区公民具备科学素质的比例达到12%"))
    assert compare_attributes(parent, child, same_level=True) == (-1, ["15%→12%", "力争达到→达到 (firmer)"])
    assert compare_attributes(child, parent, same_level=True) == (1, ["12%→15%", "达到→力争达到 (softer)"])


def test_gold_lost_literacy_target_is_weakened() -> None:
    parent = measure(NEIMENGGU, line_with(NEIMENGGU, "全区公民具备科学素质的比例达到12%"))
    child = measure(GUANGXI, line_with(GUANGXI, "全区科普能力得到明显增强"))
    direction, reasons = compare_attributes(parent, child, same_level=True)
    assert direction == -1
    assert "loses target 12%（公民具备科学素质的比例）" in reasons


def test_gold_added_lecture_targets_are_strengthened() -> None:
    parent = measure(JIANGXI, line_with(JIANGXI, "激发青少年好奇心和想象力,将弘扬科学精神贯穿于育人全链条"))
    child = measure(JIUJIANG, line_with(JIUJIANG, "1.将弘扬科学精神贯穿于育人全链条"))
    direction, reasons = compare_attributes(parent, child, same_level=False)
    assert direction == 1
    # with what each counts, so that a reader finds it in the child's text
    assert "adds target 200场次（邀请中科院老科学家科普…）" in reasons
    assert "adds target 各学校每学年1场次（组织开展科学家精神宣讲…）" in reasons


def test_gold_later_follow_up_plan_is_weakened() -> None:
    parent = measure(JIANGXI, line_with(JIANGXI, "4. 后续计划。"))
    child = measure(JIUJIANG, line_with(JIUJIANG, "4.后续计划。"))
    assert compare_attributes(parent, child, same_level=False) == (-1, ["deadline 2025年底→2026年初"])


def test_gold_parent_targets_lost_outweigh_targets_the_child_adds() -> None:
    # Inner Mongolia's 50/500/100 bases are gone in Guangxi, which adds "open 60 days a year"
    # (gold: weakened, "R targets missing")
    parent = measure(NEIMENGGU, line_with(NEIMENGGU, "——大力加强科普基地建设。"))
    child = measure(GUANGXI, line_with(GUANGXI, "4. 强化各类学校和科研院所的科普工作职责。"))
    direction, reasons = compare_attributes(parent, child, same_level=True)
    assert direction == -1
    assert "loses target 50个（创建国家级科普教育基地）" in reasons and any(
        r.startswith("adds target") for r in reasons
    )
    # additions alone still strengthen
    assert compare_attributes(child, child, same_level=True)[0] == 0
    bare = dataclasses.replace(parent, targets=())
    assert compare_attributes(bare, child, same_level=True)[0] == 1


def test_issued_year_reads_manifest_dates() -> None:
    assert issued_year("2022-10-31") == pytest.approx(2022 + 9 / 12 + 30 / 365)
    assert issued_year("2021") == 2021.0
    assert issued_year("2023年11月") == pytest.approx(2023 + 10 / 12)
    assert issued_year("") is None
    assert issued_year("n/a") is None


def test_gold_deadline_passed_before_the_child_was_issued_is_not_compared() -> None:
    # Jiangxi: "2021 年,制定…实施方案"; Jiujiang (issued 2022-10-31): "2022年,制定…" (gold: inherited)
    parent = measure(JIANGXI, line_with(JIANGXI, "1. 启动实施。"))
    child = measure(JIUJIANG, line_with(JIUJIANG, "1.启动实施。"))
    assert AttributeComparer().compare(parent, child, same_level=False)[0] == -1
    comparer = AttributeComparer(child_issued=issued_year("2022-10-31"))
    # said in the evidence, so that a reader sees it was not overlooked
    assert comparer.compare(parent, child, same_level=False) == (
        0,
        ["deadline 2021年→2022年 (passed when the child was issued)"],
    )
    # a deadline still ahead when the child was issued is compared as before
    follow_p = measure(JIANGXI, line_with(JIANGXI, "4. 后续计划。"))
    follow_c = measure(JIUJIANG, line_with(JIUJIANG, "4.后续计划。"))
    assert comparer.compare(follow_p, follow_c, same_level=False)[0] == -1


def test_a_child_that_keeps_the_parent_deadline_beside_a_later_milestone_has_not_moved_it() -> None:
    # Jiangxi "1. 启动实施。2021 年,制定…" with Jiangxi's own "4. 后续计划。2025年底,…" after it
    start = line_with(JIANGXI, "1. 启动实施。")
    parent = measure(JIANGXI, start)
    child = measure(JIANGXI, start + line_with(JIANGXI, "4. 后续计划。"))
    assert {"2021年", "2025年底"} <= {d.replace(" ", "") for d in child.deadline}
    assert AttributeComparer().compare(parent, child, same_level=True) == (0, [])
    # a child that only has the later deadline has moved it
    later = measure(JIANGXI, line_with(JIANGXI, "4. 后续计划。"))
    assert AttributeComparer().compare(parent, later, same_level=True)[0] == -1


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("县级以上电视台、广播电台应开设科教栏目", "应"),
        ("各级党委和政府要保障对科普工作的投入,将科普经费列入同级财政预算。", "列入…预算"),
        ("鼓励社会力量设立各类科普奖项,营造全社会关心支持科普事业的浓厚氛围。", ""),
        ("持续支持广播电视台打造“我科普、你聆听”品牌科普类广播节目。", ""),
    ],
)
def test_binding_cue_tells_duties_from_encouragement(sentence: str, cue: str) -> None:
    assert sentence in seed(GUANGXI) or sentence in seed(JIUJIANG)
    assert binding_cue(sentence) == cue


def test_gold_counts_of_different_levels_need_a_scale() -> None:
    # Jiangxi → Jiujiang, population ratio about 0.1 (gold: 3000→300 inherited; 30万/3万 → 1万/1000 weakened)
    teachers_p = measure(JIANGXI, line_with(JIANGXI, "每年培训 3000 名科技辅导员"))
    teachers_c = measure(JIUJIANG, line_with(JIUJIANG, "每年培训科技辅导员300名"))
    assert compare_attributes(teachers_p, teachers_c, same_level=False) == (
        0,
        ["每年3000名（培训科技辅导员）→每年300名 (levels differ: not compared)"],
    )
    assert compare_attributes(teachers_p, teachers_c, same_level=False, scale=0.1)[0] == 0
    farmers_p = measure(JIANGXI, line_with(JIANGXI, "培训农业从业人员 30 万人次以上"))
    farmers_c = measure(JIUJIANG, line_with(JIUJIANG, "全市培训农业从业人员1万人次以上"))
    direction, reasons = compare_attributes(farmers_p, farmers_c, same_level=False, scale=0.1)
    assert direction == -1
    assert reasons == [
        "30万人次（培训农业从业人员）→1万人次 (below the per-capita share)",
        "3万名（培育农村创新创业带头人）→1000名 (below the per-capita share)",
    ]
    # the same number at two levels is not a change to report
    assert compare_attributes(teachers_p, teachers_p, same_level=False) == (0, [])


def test_a_count_of_another_level_is_compared_with_its_share_on_yearly_rates() -> None:
    # Jiangxi's 每年3000名 teachers against a district's 每月30名 (360 a year): at a tenth of the
    # population the share is 300 a year, so the district is about at it, not "below" (30 < 300)
    teachers_p = measure(JIANGXI, line_with(JIANGXI, "每年培训 3000 名科技辅导员"))
    monthly = replace(teachers_p, targets=(Target(30.0, "名", counted="科技辅导员", per="每月"),))
    assert compare_attributes(teachers_p, monthly, same_level=False, scale=0.1) == (
        0,
        ["每年3000名（培训科技辅导员）→每月30名 (about the per-capita share)"],
    )
    yearly = replace(teachers_p, targets=(Target(30.0, "名", counted="科技辅导员", per="每年"),))
    assert compare_attributes(teachers_p, yearly, same_level=False, scale=0.1)[0] == -1


def test_a_cap_is_stricter_when_lower_and_a_decline_by_an_amount_when_larger() -> None:
    prov, city = (
        "到2025年，儿童青少年总体近视率控制在{}%以下",
        "到2025年，儿童青少年总体近视率每年下降{}个百分点以上",
    )
    (cap50,), (cap55,) = extract_targets(prov.format(50)), extract_targets(prov.format(55))
    assert target_change(cap50, cap55, comparable=True) == -1  # a looser cap
    assert target_change(cap55, cap50, comparable=True) == 1
    (by1,), (by2,) = extract_targets(city.format(1)), extract_targets(city.format(2))
    assert target_change(by1, by2, comparable=True) == 1  # declining faster is more demanding
    (to50,), (to45,) = extract_targets("近视率下降到50%"), extract_targets("近视率降低至45%")
    assert target_change(to50, to45, comparable=True) == 1  # down to a lower level
    assert target_change(by1, by2, comparable=False) is None  # counts of two levels, no populations


def test_absolute_counts_compare_directly_at_the_same_level() -> None:
    parent = measure(JIANGXI, cut(JIANGXI, "每年培训 3000 名科技辅导员。"))
    child = measure(NEIMENGGU, cut(NEIMENGGU, "每年培训教师2000名。"))
    assert compare_attributes(parent, child, same_level=True) == (-1, ["每年3000名→每年2000名"])


def test_more_frequent_per_entity_target_is_stronger() -> None:
    yearly = Target(1.0, "场次", counted="科普讲座", comparator="不少于", per="各学校每学年")
    termly = dataclasses.replace(yearly, per="各学校每学期")
    parent = dataclasses.replace(measure(JIUJIANG, ""), targets=(yearly,))
    child = dataclasses.replace(measure(JIUJIANG, ""), targets=(termly,))
    direction, reasons = AttributeComparer().compare(parent, child, same_level=False)
    assert direction == 1
    assert reasons == ["各学校每学年1场次→各学校每学期1场次"]


def test_modality_difference_counts_when_nothing_else_differs() -> None:
    parent = measure(JIANGXI, cut(JIANGXI, "鼓励有条件的学校推行场景式、体验式、沉浸式学习"))
    child = measure(JIUJIANG, cut(JIUJIANG, "推行场景式、体验式、沉浸式学习"))
    assert parent.modality == 1 and child.modality == 0
    assert compare_attributes(parent, child, same_level=False) == (-1, ["鼓励→∅ (softer)"])
    stricter = measure(GUANGXI, cut(GUANGXI, "县级以上电视台、广播电台应开设科教栏目"))
    assert compare_attributes(parent, stricter, same_level=False) == (1, ["鼓励→应 (firmer)"])


def test_measure_attributes_fill_a_measure() -> None:
    m = measure(JIUJIANG, line_with(JIUJIANG, "1.将弘扬科学精神贯穿于育人全链条"))
    assert [str(t) for t in m.targets] == ["各学校每学年不少于1场次", "不少于200场次"]
    assert m.responsible_agencies == ("市科协", "市委宣传部", "市教育局", "团市委")
    assert m.groups[0] == "青少年"
    assert m.deadline == ("每学年", "十四五期间")
    assert m.modality == 2
    assert str(m.to_row()["targets"]).startswith("各学校每学年不少于1场次（")


# --------------------------------------------------------------------------------------------
# robustness

_ALPHABET = st.sampled_from(
    list("0123456789０１２３４５６７８９.%％年月日底前初期间每各个名场次所家项万亿千百十一二两三五")
    + list("（）()《》“”〔〕【】、，,；;：:。 \n\t　")
    + list("力争达到不少于以上超过确保鼓励应急农民工老年人才牵头单位责任部门由按职责分工负责号国发十四五")
)
_PARAGRAPHS = [
    p
    for name in (JIUJIANG, JIANGXI, DAZHANG, GUANGXI, NEIMENGGU)
    for p in seed(name).splitlines()
    if p.strip()
]


def _check_all(text: str) -> None:
    for t in extract_targets(text):
        assert t.raw and t.raw in text
        assert t.value >= 0 and t.unit
    extract_deadlines(text)
    lead, resp = extract_agencies(text)
    assert not set(lead) & set(resp)
    extract_groups(text)
    level, words = modality(text)
    assert 0 <= level <= 3 and (level == 0) == (not words)
    m = measure("x", text)
    compare_attributes(m, m, same_level=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=120))
def test_never_crashes_on_arbitrary_text(text: str) -> None:
    _check_all(text)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_never_crashes_on_any_unicode(text: str) -> None:
    _check_all(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PARAGRAPHS), st.integers(0, 400), st.integers(0, 400), st.text(_ALPHABET, max_size=8))
def test_never_crashes_on_mangled_seed_paragraphs(paragraph: str, a: int, b: int, insert: str) -> None:
    i, j = sorted((a % (len(paragraph) + 1), b % (len(paragraph) + 1)))
    _check_all(paragraph[:i] + insert + paragraph[j:])


def test_identical_measures_compare_as_equal() -> None:
    for name in (JIANGXI, NEIMENGGU):
        for paragraph in seed(name).splitlines():
            m = measure(name, paragraph)
            assert compare_attributes(m, m, same_level=True) == (0, [])


@pytest.mark.parametrize("name", [JIUJIANG, JIANGXI, DAZHANG, GUANGXI, NEIMENGGU])
def test_every_target_raw_is_in_the_seed(name: str) -> None:
    text = seed(name)
    targets = extract_targets(text)
    assert targets
    assert all(t.raw in text for t in targets)


def test_nested_titles_hide_their_years_and_numbers() -> None:
    inner = cut(JIUJIANG, "《九江市全民科学素质行动规划纲要实施方案(2021-2025年)》")
    nested = f"《关于印发{inner}的通知》（2021年第5号）"
    assert extract_deadlines(nested) == ()
    assert extract_targets(nested) == ()


def test_segmenter_cache_is_per_user_and_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # jieba's shared /tmp/jieba.cache belongs to whoever wrote it first; a second user's dump
    # failed with a traceback on every load. Here the shared name cannot be written by anyone.
    import tempfile

    from align import attributes

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "jieba.cache").mkdir()
    segmenter = attributes._Segmenter()
    assert [w for w, _ in segmenter.tokens("开展科普活动")] == ["开展", "科普活动"]
    assert capfd.readouterr().err == ""
    assert [p.name for p in tmp_path.glob("jieba.align.*.cache")]
