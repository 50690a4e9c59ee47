"""The manifest (data/plans.csv): the bundled one against its documents, every bad manifest, and the
links read from the documents (citations, headers, parent checks, drafted manifests)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from align.corpus import Corpus, load_manifest
from align.errors import AlignWarning, InputError
from align.fileio import write_csv
from align.manifest import check_parents, cited_parents, document_info, extract_citations, infer_manifest
from align.models import LEVELS, PlanMeta
from tests.conftest import PLANS, SEEDS, seed_text

DATA = Path(__file__).resolve().parent.parent / "data"
HEADER = "plan_id,file,jurisdiction,level,parent_id,title,issued,doc_number"
JIANGXI_FILE = "001_e9d6debd5c2ad4f8.txt"
JIUJIANG_FILE = "000_db08bb93956ab56b.txt"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------------------
# the bundled corpus


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.load(DATA)


def test_bundled_manifest_rows(corpus: Corpus) -> None:
    assert list(corpus.metas) == [
        "national-2021",
        "jiangxi",
        "jiujiang",
        "neimenggu",
        "hunan",
        "shaoyang",
        "dazhang",
        "central-opinion-2022",
        "guangxi",
    ]
    parents = {pid: meta.parent_id for pid, meta in corpus.metas.items()}
    assert parents == {
        "national-2021": "",
        "jiangxi": "national-2021",
        "jiujiang": "jiangxi",
        "neimenggu": "national-2021",
        "hunan": "national-2021",
        "shaoyang": "hunan",
        "dazhang": "shaoyang",
        "central-opinion-2022": "",
        "guangxi": "central-opinion-2022",
    }
    assert {meta.level for meta in corpus.metas.values()} == set(LEVELS)
    assert corpus.metas["national-2021"].doc_number == "国发〔2021〕9号"
    assert corpus.metas["hunan"].doc_number == "湘政办发〔2021〕74号"
    assert corpus.metas["shaoyang"].doc_number == "邵市政办发〔2021〕8号"
    assert corpus.metas["dazhang"].level == "county"
    assert not corpus.has_text("national-2021") and not corpus.has_text("central-opinion-2022")
    # every seed document is in the manifest exactly once
    files = sorted(meta.file for meta in corpus.metas.values() if meta.file)
    assert files == sorted(p.name for p in (DATA / "plans").iterdir())


def test_bundled_manifest_agrees_with_documents(corpus: Corpus) -> None:
    for plan_id, meta in corpus.metas.items():
        if not corpus.has_text(plan_id):
            continue
        text = corpus.text(plan_id)
        assert squash(meta.title) in squash(text), plan_id
        if meta.doc_number:
            assert meta.doc_number in text, plan_id
        year, month, day = (int(part) for part in meta.issued.split("-"))
        assert f"{year}年{month}月{day}日" in text, plan_id


def test_parents_cited_by_the_documents(corpus: Corpus) -> None:
    # the documents cite the parents the manifest gives them
    assert "国发〔2021〕9号" in corpus.text("jiangxi") and "国发〔2021〕9号" in corpus.text("neimenggu")
    assert "湘政办发【2021】74号" in corpus.text("dazhang") and "邵市政办发【2021】8号" in corpus.text(
        "dazhang"
    )
    assert corpus.metas["central-opinion-2022"].title in corpus.text("guangxi")
    assert "依据《江西省全民科学素质行动规划纲要实施方案" in corpus.text("jiujiang")


def test_hierarchy_walks(corpus: Corpus) -> None:
    assert corpus.order() == [
        "national-2021",
        "jiangxi",
        "jiujiang",
        "neimenggu",
        "hunan",
        "shaoyang",
        "dazhang",
        "central-opinion-2022",
        "guangxi",
    ]
    assert corpus.children("national-2021") == ["jiangxi", "neimenggu", "hunan"]
    assert corpus.parent("jiujiang") == "jiangxi" and corpus.parent("national-2021") is None
    assert corpus.ancestors("dazhang") == ["shaoyang", "hunan", "national-2021"]
    assert corpus.nearest_ancestor_with_text("jiujiang") == "jiangxi"
    assert corpus.nearest_ancestor_with_text("dazhang") is None
    assert corpus.alignment_pairs() == [
        (None, "jiangxi"),
        ("jiangxi", "jiujiang"),
        (None, "neimenggu"),
        (None, "dazhang"),
        (None, "guangxi"),
    ]


def test_texts_are_lazy_and_cached(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path)
    first = corpus.text("jiangxi")
    for name in (JIANGXI_FILE, JIUJIANG_FILE):  # jiangxi was read once, then served from the cache
        (tmp_path / "plans" / name).unlink()
    assert corpus.text("jiangxi") is first
    plan = corpus.plan("jiangxi")
    assert plan.plan_id == "jiangxi" and plan.text is first and plan.source.endswith(JIANGXI_FILE)
    with pytest.raises(InputError, match="does not exist"):
        corpus.text("jiujiang")  # never read before: its missing file is reported then
    with pytest.raises(InputError, match="has no document") as err:
        corpus.text("national-2021")
    assert str(err.value).startswith(f"{tmp_path / 'plans.csv'}:2:")


def test_resolve_plan_ids_and_paths(corpus: Corpus, tmp_path: Path) -> None:
    assert corpus.resolve("jiangxi").meta.level == "provincial"
    by_path = corpus.resolve(DATA / "plans" / JIUJIANG_FILE)
    assert by_path.plan_id == "jiujiang" and by_path.meta.parent_id == "jiangxi"
    # a byte-identical copy elsewhere is the same plan; an edited copy is a bare plan
    copy = tmp_path / "copy.txt"
    copy.write_bytes((DATA / "plans" / JIUJIANG_FILE).read_bytes())
    assert corpus.resolve(copy).plan_id == "jiujiang"
    outside = tmp_path / "my-plan.txt"
    outside.write_bytes((DATA / "plans" / JIUJIANG_FILE).read_bytes() + "\n附件：无。\n".encode())
    bare = corpus.resolve(outside)
    assert bare.plan_id == "my-plan" and bare.meta.level == "" and bare.text.startswith(by_path.text.rstrip())
    with pytest.raises(InputError, match="neither a plan id"):
        corpus.resolve("jiangxii")
    with pytest.raises(InputError, match="unknown plan id 'nowhere'"):
        corpus.text("nowhere")
    # a plan named by its jurisdiction, its document number or its id in another case
    for typed in ("江西省", "赣府发〔2021〕29号", "Jiangxi", " jiangxi"):
        with pytest.raises(InputError, match=r"\(did you mean jiangxi\? known: national-2021"):
            corpus.plan(typed)
        assert corpus.resolve(typed).plan_id == "jiangxi"  # the command line takes such names
    assert corpus.resolve(JIANGXI_FILE).plan_id == "jiangxi"  # a file of the plans folder, by name
    with pytest.raises(
        InputError, match=r"nor an existing file; it fits 2 plans, name one: national-2021, central"
    ):
        corpus.resolve("全国")  # two plans: no guess
    with pytest.raises(InputError, match=r"unknown plan id '全国' \(known"):  # two plans: no guess
        corpus.plan("全国")


def test_load_accepts_manifest_path_and_reports_missing_corpus(tmp_path: Path) -> None:
    assert list(Corpus.load(DATA / "plans.csv").metas) == list(Corpus.load(DATA).metas)
    with pytest.raises(InputError, match=r"has no manifest plans.csv or plans.xlsx \(columns .*\)$"):
        Corpus.load(tmp_path)
    # a manifest under another name is named in the hint
    shutil.copy(DATA / "plans.csv", tmp_path / "计划清单.csv")
    with pytest.raises(InputError, match=r"found 计划清单.csv: if one is the manifest, rename it plans.csv"):
        Corpus.load(tmp_path)
    shutil.copytree(DATA / "plans", tmp_path / "plans")
    assert list(Corpus.load(tmp_path / "计划清单.csv").metas) == list(Corpus.load(DATA).metas)
    # the plans folder given for the corpus: its documents are no manifest to rename
    with pytest.raises(
        InputError,
        match=rf"plans: has no manifest .*; it holds documents: give the corpus folder {re.escape(str(DATA))}",
    ):
        Corpus.load(DATA / "plans")
    # an old Excel file must be saved again, not renamed
    (tmp_path / "xls").mkdir()
    (tmp_path / "xls" / "plans.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"found plans.xls: save it from Excel as plans.xlsx"):
        Corpus.load(tmp_path / "xls")
    with pytest.raises(InputError, match="does not exist"):
        Corpus.load(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------------
# accepted variants


def copy_corpus(tmp_path: Path, manifest: str | None = None, encoding: str = "utf-8") -> Corpus:
    plans = tmp_path / "plans"
    plans.mkdir(exist_ok=True)
    for name in (JIANGXI_FILE, JIUJIANG_FILE):
        shutil.copy(DATA / "plans" / name, plans / name)
    if manifest is None:
        manifest = "\n".join(
            [
                HEADER,
                "national-2021,,全国,national,,全民科学素质行动规划纲要（2021—2035年）,2021-06-03,国发〔2021〕9号",
                f"jiangxi,{JIANGXI_FILE},江西省,provincial,national-2021,江西省实施方案,2022-01-07,赣府发〔2021〕29号",
                f"jiujiang,{JIUJIANG_FILE},九江市,municipal,jiangxi,九江市实施方案,2022-10-31,",
            ]
        )
    (tmp_path / "plans.csv").write_bytes(manifest.encode(encoding))
    return Corpus.load(tmp_path)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_manifest_encodings(tmp_path: Path, encoding: str) -> None:
    corpus = copy_corpus(tmp_path, encoding=encoding)
    assert corpus.metas["jiangxi"].jurisdiction == "江西省"
    assert corpus.metas["national-2021"].doc_number == "国发〔2021〕9号"


def test_manifest_variants_tabs_aliases_population_crlf(tmp_path: Path) -> None:
    manifest = "\r\n".join(
        [
            "Plan_ID\tfile\tjurisdiction\tlevel\tparent_id\tpopulation\tnotes",
            f"jiangxi\t{JIANGXI_FILE}\t江西省\t省级\t\t4518.86万\tfrom the website",
            f"jiujiang\t{JIUJIANG_FILE}\t九江市\t市\tjiangxi\t4,600,276\t",
            "peer\t\t南昌市\tMunicipal\tjiujiang\t\t",  # same level as its parent: a horizontal peer
            "",
        ]
    )
    corpus = copy_corpus(tmp_path, manifest)
    assert [m.level for m in corpus.metas.values()] == ["provincial", "municipal", "municipal"]
    assert corpus.metas["jiangxi"].population == pytest.approx(45188600)
    assert corpus.metas["jiujiang"].population == 4600276
    assert corpus.metas["peer"].population is None and corpus.metas["peer"].title == ""


def test_a_manifest_with_chinese_headers_reads_as_the_english_one(tmp_path: Path) -> None:
    # the bundled manifest with its header in Chinese, in another order, saved as GBK by WPS
    lines = (DATA / "plans.csv").read_text(encoding="utf-8-sig").splitlines()
    english = lines[0].split(",")
    chinese = dict(
        zip(
            english,
            ["编号", "文件名", "地区", "层级", "上级", "标题", "印发日期", "文号", "人口"],
            strict=True,
        )
    )
    order = [8, 7, 6, 5, 4, 3, 2, 1, 0]
    rows = [[line.split(",")[i] for i in order] for line in lines]
    rows[0] = [chinese[name] for name in rows[0]]
    shutil.copytree(DATA / "plans", tmp_path / "plans")
    (tmp_path / "plans.csv").write_bytes("\r\n".join(",".join(row) for row in rows).encode("gbk"))
    assert Corpus.load(tmp_path).metas == Corpus.load(DATA).metas


def test_two_headers_naming_one_column_are_an_error_naming_both(tmp_path: Path) -> None:
    manifest = f"plan_id,编号,file,jurisdiction,level,parent_id\njx,jx,{JIANGXI_FILE},江西省,provincial,\n"
    with pytest.raises(InputError, match=r"plans.csv:1: columns 'plan_id' and '编号' both name plan_id"):
        copy_corpus(tmp_path, manifest)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("直辖市", "provincial"),
        ("地级市", "municipal"),
        ("自治州", "municipal"),
        ("盟", "municipal"),
        ("区级", "county"),
        ("县级市", "county"),
        ("旗", "county"),
        ("自治旗", "county"),
        ("计划单列市", "municipal"),
        ("设区市", "municipal"),
        ("省辖市", "municipal"),
        ("县区级", "county"),
    ],
)
def test_level_names_of_every_kind_of_jurisdiction(tmp_path: Path, level: str, expected: str) -> None:
    """The names the administrative divisions go by (a 旗 in Inner Mongolia, a 自治州, a 县级市) are
    levels, not errors."""
    manifest = "\n".join(
        [
            "plan_id,file,jurisdiction,level,parent_id",
            f"jiangxi,{JIANGXI_FILE},江西省,省级,",
            f"child,{JIUJIANG_FILE},某地,{level},jiangxi",
            "",
        ]
    )
    corpus = copy_corpus(tmp_path, manifest)
    assert corpus.metas["child"].level == expected


@pytest.mark.parametrize(
    ("level", "message"),
    [
        ("", r"plans.csv:3: empty level for plan 'child'; use one of national, .* \(or 国家级, 省级"),
        ("乡镇级", r"plans.csv:3: unknown level '乡镇级' for plan 'child' \(align has no level below county"),
        ("街道", r"unknown level '街道' for plan 'child' \(align has no level below county"),
    ],
)
def test_an_empty_or_township_level_is_named_for_what_it_is(tmp_path: Path, level: str, message: str) -> None:
    manifest = "\n".join(
        [
            "plan_id,file,jurisdiction,level,parent_id",
            f"jiangxi,{JIANGXI_FILE},江西省,省级,",
            f"child,{JIUJIANG_FILE},某地,{level},jiangxi",
            "",
        ]
    )
    with pytest.raises(InputError, match=message):
        copy_corpus(tmp_path, manifest)


# ---------------------------------------------------------------------------------------------
# the bad-manifest matrix: each names the manifest and the CSV line, exit code 2

J = f"jiangxi,{JIANGXI_FILE},江西省,provincial,,t,2022-01-07,"
BAD_MANIFESTS: list[tuple[str, str, int, str]] = [
    (
        "missing-columns",
        "plan_id,file,jurisdiction,title\njiangxi,x.txt,江西省,t",
        1,
        "missing column.*level, parent_id",
    ),
    ("empty", "", 1, "manifest is empty"),
    ("header-only", HEADER + "\n", 1, "no plan rows"),
    ("duplicate-id", f"{HEADER}\n{J}\n{J}", 3, "duplicate plan_id 'jiangxi' .first defined on line 2"),
    (
        "unknown-parent",
        f"{HEADER}\n{J}\njiujiang,{JIUJIANG_FILE},九江市,municipal,jiangxy,t,,",
        3,
        "parent_id 'jiangxy'",
    ),
    (
        "cycle",
        f"{HEADER}\na,{JIANGXI_FILE},甲,provincial,c,,,\nb,,乙,provincial,a,,,\nc,,丙,provincial,b,,,",
        2,
        "parent cycle: a → c → b → a",
    ),
    ("self-parent", f"{HEADER}\n{J}\nx,,x,county,x,,,", 3, "parent cycle: x → x"),
    (
        "missing-file",
        f"{HEADER}\n{J}\njiujiang,jiujiang.txt,九江市,municipal,jiangxi,,,",
        3,
        "file 'jiujiang.txt'.*does not exist",
    ),
    ("file-is-folder", f"{HEADER}\n{J}\njiujiang,.,九江市,municipal,jiangxi,,,", 3, "folder"),
    (
        "unknown-level",
        f"{HEADER}\n{J}\njiujiang,,九江市,city-level,jiangxi,,,",
        3,
        "unknown level 'city-level'.*national, provincial",
    ),
    (
        "child-above-parent",
        f"{HEADER}\njiujiang,{JIUJIANG_FILE},九江市,municipal,,,,\njiangxi,{JIANGXI_FILE},江西省,provincial,jiujiang,t,,",
        3,
        "'jiangxi' is provincial but its parent 'jiujiang' is municipal",
    ),
    ("bad-population", f"{HEADER},population\n{J},many", 2, "population 'many' is not a positive number"),
    ("negative-population", f"{HEADER},population\n{J},-5", 2, "population '-5'"),
    (
        "tiny-population",
        f"{HEADER},population\n{J},1e-300",
        2,
        "population '1e-300' is not a positive number",
    ),
    ("extra-values", f"{HEADER}\n{J},江西,extra", 2, "a value containing a comma must be quoted"),
    (
        "missing-values",
        f"{HEADER}\njiangxi,{JIANGXI_FILE},江西省",
        2,
        "row has 3 values but the header has 8",
    ),
    ("empty-plan-id", f"{HEADER}\n{J}\n,,九江市,municipal,jiangxi,,,", 3, "plan_id is empty"),
    ("plan-id-with-space", f"{HEADER}\njiang xi,,江西省,provincial,,,,", 2, "may not contain spaces"),
    (
        "duplicate-column",
        "plan_id,file,jurisdiction,level,parent_id,level\n",
        1,
        "column 'level' appears twice",
    ),
    (
        "unclosed-quote",  # once swallowed every row after it into one title: 0 pairs, exit 0
        f'{HEADER}\n{J}\njiujiang,{JIUJIANG_FILE},九江市,municipal,jiangxi,"open title,,\npeer,,x,municipal,,,,',
        3,
        "a quoted value opened in this row is never closed",
    ),
    (
        "quote-inside-a-value",
        f'{HEADER}\n{J}\njiujiang,{JIUJIANG_FILE},九江市,municipal,jiangxi,"十四五"方案,,',
        3,
        'a value that starts with " must be quoted as a whole',
    ),
    (
        "file-is-fifo",
        f"{HEADER}\n{J}\njiujiang,pipe.txt,九江市,municipal,jiangxi,,,",
        3,
        "not a regular file",
    ),
    (  # once said "does not exist (did you mean gone.txt?)", naming the very file
        "file-is-a-dangling-link",
        f"{HEADER}\n{J}\njiujiang,gone.txt,九江市,municipal,jiangxi,,,",
        3,
        r"file 'gone.txt' of plan 'jiujiang' is a link to .*moved.gone\.txt, which leads to no file$",
    ),
    (  # control characters once reached graph.graphml and ended the run with lxml's traceback
        "control-character-in-title",
        f"{HEADER}\n{J}\njiujiang,,九江市,municipal,jiangxi,九江市\x01方案,,",
        3,
        r"the title '九江市\\x01方案' holds the control character U\+0001",
    ),
    (  # U+FFFF is no control character but no XML may hold it either: the same traceback
        "noncharacter-in-title",
        f"{HEADER}\n{J}\njiujiang,,九江市,municipal,jiangxi,九江市\uffff方案,,",
        3,
        r"the title '九江市\\uffff方案' holds the noncharacter U\+FFFF",
    ),
    ("escape-in-plan-id", f"{HEADER}\njiang\x1bxi,,江西省,provincial,,,,", 2, "plan_id .jiang.*U\\+001B"),
    (  # the file system's error once read "cannot write …/plans/xxx…: File name too long"
        "file-name-too-long",
        f"{HEADER}\n{J}\njiujiang,{'x' * 300}.txt,九江市,municipal,jiangxi,,,",
        3,
        r"file 'x+\.txt' of plan 'jiujiang' cannot be reached: File name too long$",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "line", "message"), BAD_MANIFESTS, ids=[b[0] for b in BAD_MANIFESTS]
)
def test_bad_manifest(tmp_path: Path, name: str, content: str, line: int, message: str) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    for file in (JIANGXI_FILE, JIUJIANG_FILE):
        shutil.copy(DATA / "plans" / file, plans / file)
    os.mkfifo(plans / "pipe.txt")
    os.symlink(tmp_path / "moved" / "gone.txt", plans / "gone.txt")
    manifest = tmp_path / "plans.csv"
    manifest.write_text(content, encoding="utf-8")
    for load in (lambda: load_manifest(manifest), lambda: Corpus.load(tmp_path)):
        with pytest.raises(InputError) as err:
            load()
        assert str(err.value).startswith(f"{manifest}:{line}: "), str(err.value)
        assert re.search(message, str(err.value)), str(err.value)
        assert err.value.exit_code == 2 and err.value.line == line


def test_undecodable_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "plans.csv"
    manifest.write_bytes(HEADER.encode() + b"\njiangxi,\xff\xfe\x80\x80,x,provincial,,,,\n")
    with pytest.raises(InputError, match="UTF-8 .with or without BOM. or GBK") as err:
        load_manifest(manifest, check_files=False)
    assert str(err.value).startswith(str(manifest))


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="manifest does not exist") as err:
        load_manifest(tmp_path / "plans.csv")
    assert err.value.exit_code == 2


def test_corpus_constructor_validates_too(tmp_path: Path) -> None:
    from align.models import PlanMeta

    a = PlanMeta("a", "", "甲", "county", "b")
    b = PlanMeta("b", "", "乙", "county", "a")
    with pytest.raises(InputError, match="parent cycle: a → b → a"):
        Corpus([a, b], tmp_path)
    with pytest.raises(InputError, match="duplicate plan_id 'a'"):
        Corpus([a, a], tmp_path)


# ---------------------------------------------------------------------------------------------
# property: nothing but InputError, whatever the CSV-ish text


CSV_ALPHABET = st.sampled_from(
    list(",\n\r\t\"' x;|") + ["national", "county", "a", "b", "江西", "1e9", "-1", "nan"]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.sampled_from([HEADER, HEADER + ",population", "plan_id,file,level", ""]),
    body=st.lists(CSV_ALPHABET, max_size=80).map("".join),
    encoding=st.sampled_from(["utf-8", "gbk", "utf-16", "latin-1"]),
)
def test_random_manifests_only_ever_raise_input_error(header: str, body: str, encoding: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        manifest = Path(folder) / "plans.csv"
        manifest.write_bytes((header + "\n" + body).encode(encoding, errors="replace"))
        try:
            metas = load_manifest(manifest)
        except InputError as err:
            assert str(manifest) in str(err) and err.exit_code == 2
        else:
            assert metas and all(meta.level in LEVELS for meta in metas)


# ---------------------------------------------------------------------------------------------
# issued dates, comment rows, separators, population in 人, file-name case


def _one_plan(tmp_path: Path, issued: str = "", population: str = "", file: str = JIANGXI_FILE) -> Path:
    """A one-row manifest over a copy of the Jiangxi seed."""
    plans = tmp_path / "plans"
    plans.mkdir(exist_ok=True)
    shutil.copy(DATA / "plans" / JIANGXI_FILE, plans / JIANGXI_FILE)
    manifest = tmp_path / "plans.csv"
    manifest.write_text(
        f"{HEADER},population\njiangxi,{file},江西省,provincial,,t,{issued},,{population}\n", encoding="utf-8"
    )
    return manifest


@pytest.mark.parametrize(
    ("issued", "iso"),
    [
        ("", ""),
        ("2021", "2021"),
        ("2022-01-07", "2022-01-07"),
        ("2022-1", "2022-01"),
        ("2022/1/7", "2022-01-07"),
        ("2022.01.07", "2022-01-07"),
        ("20220830", "2022-08-30"),
        ("2022年1月", "2022-01"),
        ("2022年8月30日", "2022-08-30"),
        ("２０２２年８月", "2022-08"),
        ("2022/1/7 0:00", "2022-01-07"),  # a date cell of Excel saved as CSV, time and all
        ("2022-01-07 00:00:00", "2022-01-07"),
        ("2022-01-07T00:00:00", "2022-01-07"),
    ],
)
def test_issued_forms_load_as_iso(tmp_path: Path, issued: str, iso: str) -> None:
    from align.attributes import issued_year

    (meta,) = load_manifest(_one_plan(tmp_path, issued))
    assert meta.issued == iso
    if iso:  # the year downstream code reads is the one written
        year = issued_year(meta.issued)
        assert year is not None and int(year) == int(iso[:4])


@pytest.mark.parametrize(
    ("issued", "message"),
    [
        ("2021-13-01", "not a real date"),
        ("2022-02-30", "not a real date"),
        ("二〇二二年一月", "not a date"),
        ("next year", "not a date"),
        ("2022-01/07", "not a date"),
    ],
)
def test_bad_issued_names_the_line_and_value(tmp_path: Path, issued: str, message: str) -> None:
    manifest = _one_plan(tmp_path, issued)
    with pytest.raises(InputError, match=f"issued '{issued}' is {message}; use YYYY") as err:
        load_manifest(manifest)
    assert str(err.value).startswith(f"{manifest}:2: ")


def test_bundled_issued_dates_still_load(corpus: Corpus) -> None:
    assert corpus.metas["hunan"].issued == "2021"
    assert corpus.metas["jiujiang"].issued == "2022-10-31"


def test_rows_starting_with_hash_are_comments(tmp_path: Path) -> None:
    manifest = _one_plan(tmp_path)
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write(f"#jiujiang,{JIUJIANG_FILE},九江市,municipal,jiangxi,,,,\n# a note, with a comma\n")
    assert [m.plan_id for m in load_manifest(manifest)] == ["jiangxi"]


def test_a_header_repeated_by_pasting_two_manifests_together_is_skipped_with_a_warning(
    tmp_path: Path,
) -> None:
    """It read as a plan 'plan_id' of level 'level' ("unknown level 'level'")."""
    manifest = _one_plan(tmp_path)
    header = manifest.read_text(encoding="utf-8").splitlines()[0]
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write(f"{header.upper()}\n")
    with pytest.warns(AlignWarning, match=rf"{re.escape(str(manifest))}:3: repeats the header"):
        assert [m.plan_id for m in load_manifest(manifest)] == ["jiangxi"]
    # the second manifest's header in Chinese
    chinese = {
        "plan_id": "编号",
        "file": "文件",
        "jurisdiction": "地区",
        "level": "层级",
        "parent_id": "上级",
    }
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write(",".join(chinese.get(name, name) for name in header.split(",")) + "\n")
    with pytest.warns(AlignWarning) as record:
        assert [m.plan_id for m in load_manifest(manifest)] == ["jiangxi"]
    assert [str(w.message).split(": ")[0] for w in record] == [f"{manifest}:3", f"{manifest}:4"]


@pytest.mark.parametrize("written", ["Jiangxi", "江西省", "赣府发〔2021〕29号"])
def test_a_parent_written_by_another_of_its_names_hints_its_plan_id(tmp_path: Path, written: str) -> None:
    manifest = tmp_path / "plans.csv"
    shutil.copytree(DATA / "plans", tmp_path / "plans")
    text = (DATA / "plans.csv").read_text(encoding="utf-8-sig")
    manifest.write_text(
        text.replace("municipal,jiangxi,九江", f"municipal,{written},九江", 1), encoding="utf-8"
    )
    with pytest.raises(
        InputError, match=rf"parent_id '{written}' .*\(did you mean jiangxi\? Otherwise add a row"
    ) as err:
        load_manifest(manifest)
    assert str(err.value).startswith(f"{manifest}:4: ")


def test_semicolon_separated_manifest(tmp_path: Path) -> None:
    manifest = _one_plan(tmp_path)
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    (meta,) = load_manifest(manifest)
    assert meta.plan_id == "jiangxi" and meta.jurisdiction == "江西省"


@pytest.mark.parametrize(("population", "value"), [("4518.86万人", 45188600), ("4600276人", 4600276)])
def test_population_with_ren(tmp_path: Path, population: str, value: float) -> None:
    (meta,) = load_manifest(_one_plan(tmp_path, population=population))
    assert meta.population == pytest.approx(value)


def test_file_case_mismatch_hints_the_real_name(tmp_path: Path) -> None:
    manifest = _one_plan(tmp_path, file=JIANGXI_FILE.upper())
    if (tmp_path / "plans" / JIANGXI_FILE.upper()).is_file():
        pytest.skip("case-insensitive file system")
    with pytest.raises(InputError, match=f"does not exist.*did you mean {JIANGXI_FILE}") as err:
        load_manifest(manifest)
    assert str(err.value).startswith(f"{manifest}:2: ")


@pytest.mark.parametrize("written", ["江西方案", "江西方案(2021.5)"])
def test_a_file_written_without_its_suffix_hints_the_real_name(tmp_path: Path, written: str) -> None:
    """Windows hides known suffixes: the name typed from Explorer lacks its ".txt"."""
    manifest = _one_plan(tmp_path, file=written)
    shutil.move(tmp_path / "plans" / JIANGXI_FILE, tmp_path / "plans" / f"{written}.txt")
    with pytest.raises(InputError, match=rf"does not exist.*did you mean {re.escape(written)}\.txt\?") as err:
        load_manifest(manifest)
    assert str(err.value).startswith(f"{manifest}:2:")


def test_a_file_with_another_suffix_or_beside_the_manifest_is_hinted(tmp_path: Path) -> None:
    """A .htm typed for a .html, a .doc for a .docx; a document put next to plans.csv instead of in
    plans/: each said "does not exist" with no hint."""
    manifest = _one_plan(tmp_path, file="jiangxi.htm")
    shutil.move(tmp_path / "plans" / JIANGXI_FILE, tmp_path / "plans" / "jiangxi.html")
    (tmp_path / "plans" / "jiangxi.csv").write_text("a table, no document", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"plans.csv:2: file 'jiangxi.htm' .* does not exist.*did you mean jiangxi\.html\?"
    ):
        load_manifest(manifest)
    manifest = _one_plan(tmp_path, file="beside.txt")
    shutil.copy(DATA / "plans" / JIANGXI_FILE, tmp_path / "beside.txt")
    with pytest.raises(
        InputError, match=rf"does not exist.*\(it is in {re.escape(str(tmp_path))}: the documents go in"
    ):
        load_manifest(manifest)


@pytest.mark.parametrize("written", [rf"plans\{JIANGXI_FILE}", rf"C:\Users\me\Desktop\plans\{JIANGXI_FILE}"])
def test_a_file_written_with_a_folder_hints_its_name_in_the_plans_folder(
    tmp_path: Path, written: str
) -> None:
    """A path written from the manifest's folder, or the full Windows path copied from Explorer,
    names a document that is there: the hint gives the name to write (it was a bare "does not
    exist in …/plans")."""
    manifest = _one_plan(tmp_path, file=written)
    with pytest.raises(
        InputError,
        match=rf"does not exist in .*plans \(did you mean {JIANGXI_FILE}\? the file is named relative to that folder\)",
    ) as err:
        load_manifest(manifest)
    assert str(err.value).startswith(f"{manifest}:2: ")


def test_a_line_break_inside_a_quoted_file_or_parent_is_named_on_one_line(tmp_path: Path) -> None:
    """A line break typed into a cell (Alt+Enter) splits a file name or an id: the message says so
    on one line (it was "file '…' does not exist", cut in two by the break); in a title it is a space."""
    manifest = f'{HEADER}\njiangxi,"{JIANGXI_FILE[:4]}\n{JIANGXI_FILE[4:]}",江西省,provincial,,"江西省\n实施方案",,\n'
    with pytest.raises(InputError) as err:
        copy_corpus(tmp_path, manifest)
    assert str(err.value) == (
        f"{tmp_path / 'plans.csv'}:2: the file '{JIANGXI_FILE[:4]}\\n{JIANGXI_FILE[4:]}' holds a line break "
        "(typed with Alt+Enter in a spreadsheet?); delete it"
    )
    child = f'jiujiang,{JIUJIANG_FILE},九江市,municipal,"jiang\r\nxi",,,\n'
    (tmp_path / "b").mkdir()
    with pytest.raises(InputError, match=r"plans\.csv:3: the parent_id 'jiang\\r\\nxi' holds a line break"):
        copy_corpus(tmp_path / "b", f"{HEADER}\n{J}\n{child}")
    (tmp_path / "c").mkdir()
    corpus = copy_corpus(
        tmp_path / "c", f'{HEADER}\njiangxi,{JIANGXI_FILE},江西省,provincial,,"江西省\n实施方案",,\n'
    )
    assert corpus.metas["jiangxi"].title == "江西省 实施方案"


def test_invisible_characters_in_header_names_do_not_count(tmp_path: Path) -> None:
    """A zero-width space pasted after plan_id once gave "missing column(s) plan_id"."""
    header = HEADER.replace("plan_id", "plan_id\u200b").replace("level", "\ufefflevel")
    corpus = copy_corpus(tmp_path, f"{header}\n{J}\n")
    assert list(corpus.metas) == ["jiangxi"]
    # an unknown header is shown as it is, invisible characters included
    (tmp_path / "b").mkdir()
    with pytest.raises(InputError, match=r"the header reads 'plan-id'"):
        copy_corpus(tmp_path / "b", f"{HEADER.replace('plan_id', 'plan-id')}\n{J}\n")


def test_two_plans_with_one_document_is_a_warning(tmp_path: Path) -> None:
    from align.errors import AlignWarning

    manifest = f"{HEADER}\n{J}\ncopy,{JIANGXI_FILE},九江市,municipal,jiangxi,,,\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        copy_corpus(tmp_path, manifest)
    messages = [str(w.message) for w in caught if issubclass(w.category, AlignWarning)]
    assert (
        len(messages) == 1
        and "plans.csv:3: plan 'copy' has the same document as plan 'jiangxi'" in messages[0]
    )


def test_invisible_characters_and_spaces_in_values(tmp_path: Path) -> None:
    """Ids that look equal are equal; a quoted value after ", " loses its quotes; a tab-separated
    header with a quoted comma is still tab-separated; a line break in a title is a space."""
    rows = [
        "\t".join(["plan_id", "file", "jurisdiction", "level", "parent_id", '"title, full"']),
        "\t".join(["jiangxi\u200b", JIANGXI_FILE, "江西省", "provincial", "", '"江西省\n实施方案"']),
        "\t".join(["jiujiang", "\ufeff" + JIUJIANG_FILE, "九江市", "municipal", "\u200bjiangxi", ""]),
    ]
    corpus = copy_corpus(tmp_path, "\n".join(rows) + "\n")
    assert list(corpus.metas) == ["jiangxi", "jiujiang"]
    assert corpus.metas["jiujiang"].parent_id == "jiangxi" and corpus.metas["jiujiang"].file == JIUJIANG_FILE
    spaced = f'{HEADER}\njiangxi, "{JIANGXI_FILE}", 江西省, provincial, , "江西省\n实施方案", 2022-01-07,\n'
    (tmp_path / "b").mkdir()
    corpus = copy_corpus(tmp_path / "b", spaced)
    assert corpus.metas["jiangxi"].file == JIANGXI_FILE and corpus.metas["jiangxi"].title == "江西省 实施方案"


# ---------------------------------------------------------------------------------------------
# Links from the documents


def test_citations_and_document_numbers() -> None:
    jiangxi = extract_citations(seed_text("jiangxi"))
    national = next(c for c in jiangxi if c.doc_number == "国发〔2021〕9号")
    assert national.title == "国务院关于印发全民科学素质行动规划纲要(2021—2035年)的通知"
    assert national.basis
    parents = cited_parents(seed_text("dazhang"))
    assert [c.doc_number for c in parents] == ["湘政办发〔2021〕74号", "邵市政办发〔2021〕8号"]
    jiujiang = cited_parents(seed_text("jiujiang"))
    titles = [c.title for c in jiujiang]
    assert "江西省全民科学素质行动规划纲要实施方案(2021-2025年)" in titles
    assert not any(t.startswith("九江市全民科学素质") for t in titles)  # its own title is not a parent
    assert next(c for c in jiujiang if c.title.startswith("全民")).issuer == "国务院"
    guangxi = cited_parents(seed_text("guangxi"))
    assert [c.issuer for c in guangxi] == ["中共中央办公厅、国务院办公厅"]
    # a number belongs to the title it follows; a title without one has none
    preamble = next(line for line in seed_text("dazhang").splitlines() if "根据《湖南省关于印发" in line)
    assert [(c.title, c.doc_number) for c in extract_citations(preamble)] == [
        ("湖南省关于印发全民科学素质行动规划纲要（2021—2035年）的通知", "湘政办发〔2021〕74号"),
        ("邵阳市人民政府办公室关于印发邵阳全民科学素质行动规划纲要", "邵市政办发〔2021〕8号"),
    ]
    assert ("江西省国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要", "") in [
        (c.title, c.doc_number) for c in jiangxi
    ]
    # every document number a plan states, its own first
    for plan, numbers in [
        ("jiangxi", ["赣府发〔2021〕29号", "国发〔2021〕9号"]),
        ("neimenggu", ["内政发〔2021〕22号", "国发〔2021〕9号"]),
        ("guangxi", ["桂科智字〔2023〕91号"]),
    ]:
        text = seed_text(plan)
        assert [c.doc_number for c in extract_citations(text) if c.doc_number] == numbers
        assert document_info(text).doc_number == numbers[0]


def test_a_title_cited_inside_a_title_is_the_inner_document() -> None:
    inner = "九江市全民科学素质行动规划纲要实施方案(2021-2025年)"
    assert inner in seed_text("jiujiang")
    cited = extract_citations(f"《关于印发《{inner}》的通知》（2021年第5号）")
    assert [(c.title, c.doc_number) for c in cited] == [(inner, "")]


def test_document_info_reads_the_header() -> None:
    info = document_info(seed_text("neimenggu"))
    assert info.doc_number == "内政发〔2021〕22号"
    assert info.jurisdiction == "内蒙古自治区" and info.level == "provincial"
    assert info.issued == "2021-12-31"
    assert info.title == "内蒙古自治区全民科学素质行动规划纲要实施方案(2021-2025年)"
    assert document_info(seed_text("dazhang")).jurisdiction == "邵阳市大祥区"
    # Jiangxi's date is only in the print line at its foot: "2022年1月7日印发"
    assert document_info(seed_text("jiangxi")).issued == "2022-01-07"


def test_check_parents_accepts_the_bundled_manifest_and_flags_wrong_parents(plans: list[PlanMeta]) -> None:
    texts = {p.plan_id: seed_text(p.plan_id) for p in plans if p.file}
    assert check_parents(plans, texts) == []
    wrong = [replace(p, parent_id="national-2021") if p.plan_id == "jiujiang" else p for p in plans]
    wrong = [replace(p, parent_id="central-opinion-2022") if p.plan_id == "jiangxi" else p for p in wrong]
    warnings = check_parents(wrong, texts)
    assert len(warnings) == 2
    assert any(w.startswith("plan jiujiang") and "jiangxi (provincial)" in w for w in warnings)
    assert any(w.startswith("plan jiangxi") and "国发〔2021〕9号" in w for w in warnings)


def test_check_parents_says_nothing_of_a_parent_without_title_or_number(plans: list[PlanMeta]) -> None:
    """Without a title or number of the parent, a citation cannot be recognised as it: no note."""
    texts = {p.plan_id: seed_text(p.plan_id) for p in plans if p.file}
    bare = [replace(p, title="", doc_number="") for p in plans]
    assert check_parents(bare, texts) == []


def test_checking_parents_compares_each_citation_with_the_plans_it_may_name(
    plans: list[PlanMeta], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No all-pairs step: 300 county plans citing the Jiujiang plan cost a few comparisons each,
    not one per plan of the manifest (which would be 300 × 305 at least)."""
    import align.manifest as manifest

    calls = 0
    real_cites = manifest.cites

    def counting(citation: manifest.Citation, meta: PlanMeta) -> bool:
        nonlocal calls
        calls += 1
        return real_cites(citation, meta)

    monkeypatch.setattr(manifest, "cites", counting)
    city = next(p for p in plans if p.plan_id == "jiujiang")
    counties = [
        PlanMeta(
            f"county{k}", f"c{k}.txt", f"第{k}县", "county", "jiujiang", title=f"第{k}县科学素质实施方案"
        )
        for k in range(300)
    ]
    text = f"根据《{city.title}》，结合我县实际，制定本方案。\n一、总体要求\n" + seed_text("jiujiang")[-400:]
    texts = {c.plan_id: text for c in counties}
    assert check_parents([*plans, *counties], texts) == []
    assert calls <= 2 * len(counties)


def test_a_folder_that_cannot_be_listed_is_named_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder without read permission (chmod 000 does not stop root, so the error is simulated)
    once surfaced as the CLI's "cannot write …/.align-outputs"."""
    import errno

    def denied(self: Path) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", denied)
    with pytest.raises(InputError) as err:
        infer_manifest(tmp_path)
    assert str(err.value) == f"{tmp_path}: cannot be read: Permission denied"


def test_infer_manifest_says_which_document_names_it_skipped(tmp_path: Path) -> None:
    shutil.copy(PLANS / SEEDS["jiujiang"], tmp_path)
    (tmp_path / "gone.txt").symlink_to(tmp_path / "moved-away.txt")
    (tmp_path / "scans.docx").mkdir()
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.warns(AlignWarning) as caught:
        manifest = infer_manifest(tmp_path)
    assert manifest["file"].tolist()[0] == SEEDS["jiujiang"]
    assert sorted(str(w.message) for w in caught) == [
        f"{tmp_path / 'gone.txt'}: skipped, it is a link leading nowhere",
        f"{tmp_path / 'pipe.txt'}: skipped, it is not a regular file (a pipe or device?)",
        f"{tmp_path / 'scans.docx'}: skipped, it is a folder",
    ]


def test_infer_manifest_on_the_seed_folder(tmp_path: Path) -> None:
    manifest = infer_manifest(PLANS)
    rows = manifest.set_index("file")
    levels = {name[:3]: rows.loc[name, "level"] for name in SEEDS.values()}
    assert levels == {
        "001": "provincial",
        "004": "provincial",
        "003": "provincial",
        "000": "municipal",
        "002": "county",
    }
    assert rows.loc[SEEDS["jiujiang"], "parent_id"] == "001"
    parents = {name[:3]: str(rows.loc[name, "parent_id"]) for name in SEEDS.values()}
    assert parents["001"] == parents["004"] == "国发〔2021〕9号"
    assert rows.loc[SEEDS["dazhang"], "parent_id"] == "邵市政办发〔2021〕8号"
    absent = manifest[manifest.file == ""].set_index("plan_id")
    assert absent.loc["国发〔2021〕9号", "level"] == "national"
    assert absent.loc["邵市政办发〔2021〕8号", "level"] == "municipal"
    assert rows.loc[SEEDS["jiangxi"], "doc_number"] == "赣府发〔2021〕29号"
    assert rows.loc[SEEDS["jiujiang"], "issued"] == "2022-10-31"
    # the draft is a manifest the corpus loader accepts
    draft = write_csv(manifest, tmp_path / "plans.csv")
    loaded = {meta.plan_id: meta for meta in load_manifest(draft, PLANS)}
    assert loaded["000"].parent_id == "001" and loaded["001"].level == "provincial"


def test_infer_manifest_takes_a_city_implementing_a_citys_plan_as_a_county_level_city(
    tmp_path: Path,
) -> None:
    """瑞昌市 is a county-level city under 九江市: its name reads like a city's, so its plan, which
    implements Jiujiang's, found no parent of a higher level. Dazhang's text re-headed as Ruichang's."""
    shutil.copy(PLANS / SEEDS["jiujiang"], tmp_path)
    text = seed_text("dazhang")
    for old, new in (
        ("大政办发〔2022〕12号", "瑞府办发〔2022〕12号"),
        ("邵阳市大祥区人民政府办公室", "瑞昌市人民政府办公室"),
        ("大祥区全民科学素质", "瑞昌市全民科学素质"),
    ):
        text = text.replace(old, new)
    cited = re.search(r"根据(《湖南省.*?》.*?)文件的要求", text)
    assert cited is not None
    text = text.replace(cited.group(1), "《九江市全民科学素质行动规划纲要实施方案(2021-2025年)》")
    (tmp_path / "ruichang.txt").write_text(text, encoding="utf-8")
    rows = infer_manifest(tmp_path).set_index("plan_id")
    assert rows.loc["ruichang", "jurisdiction"] == "瑞昌市"
    assert rows.loc["ruichang", "level"] == "county"
    assert rows.loc["ruichang", "parent_id"] == "000"
    assert "county-level city (县级市) under 九江市" in rows.loc["ruichang", "notes"]
    assert rows.loc["000", "level"] == "municipal"


# ---------------------------------------------------------------------------------------------
# a manifest kept in Excel


def _workbook(rows: list[list[object]], path: Path, sheet: str = "Sheet1") -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_a_manifest_saved_from_excel_reads_as_its_csv(tmp_path: Path) -> None:
    import csv
    import datetime

    rows = list(csv.reader((DATA / "plans.csv").read_text(encoding="utf-8-sig").splitlines()))
    header = rows[0]
    typed: list[list[object]] = [header]
    for row in rows[1:]:
        cells: list[object] = list(row)
        # as Excel stores them: dates as dates, populations as numbers, empty cells as nothing
        issued = row[header.index("issued")]
        if len(issued) == 10:
            cells[header.index("issued")] = datetime.datetime.strptime(issued, "%Y-%m-%d")
        if row[header.index("population")]:
            cells[header.index("population")] = float(row[header.index("population")])
        typed.append([None if cell == "" else cell for cell in cells])
    shutil.copytree(DATA / "plans", tmp_path / "plans")
    _workbook(typed, tmp_path / "plans.xlsx")
    from_excel, from_csv = Corpus.load(tmp_path), Corpus.load(DATA)
    assert from_excel.metas == from_csv.metas
    assert from_excel.metas["jiangxi"].issued == "2022-01-07"
    assert from_excel.metas["jiangxi"].population == 45188635
    assert Corpus.load(tmp_path / "plans.xlsx").metas == from_excel.metas


def test_errors_in_an_excel_manifest_name_the_row_excel_shows(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["plan_id", "file", "jurisdiction", "level", "parent_id"],
        ["jiangxi", JIANGXI_FILE, "江西省", "provincial", None],
        [],  # an empty row in the sheet
        ["jiujiang", JIUJIANG_FILE, "九江市", "municipal", "nowhere"],
    ]
    # a sheet named "plans" is the manifest even when it is not the first
    import openpyxl

    path = _workbook([["notes"]], tmp_path / "plans.xlsx", sheet="notes")
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("plans")
    for row in rows:
        sheet.append(row)
    book.save(path)
    with pytest.raises(InputError, match="parent_id 'nowhere' of plan 'jiujiang'") as err:
        load_manifest(path, check_files=False)
    assert err.value.line == 4 and str(err.value).startswith(f"{path}:4: ")


def test_an_old_or_damaged_workbook_is_named_for_what_it_is(tmp_path: Path) -> None:
    good = _workbook([["plan_id", "file", "jurisdiction", "level", "parent_id"]], tmp_path / "good.xlsx")
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(InputError, match="is not a readable Excel workbook .* save the manifest again"):
        load_manifest(damaged, check_files=False)
    old = tmp_path / "plans.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(
        InputError, match=r"Excel 97–2003 workbook \(.xls\).*save the manifest as .xlsx or CSV"
    ):
        load_manifest(old, check_files=False)


def test_a_csv_and_an_excel_manifest_side_by_side_is_a_warning(tmp_path: Path) -> None:
    from align.errors import AlignWarning

    copy_corpus(tmp_path)
    _workbook([["plan_id", "file", "jurisdiction", "level", "parent_id"]], tmp_path / "plans.xlsx")
    with pytest.warns(AlignWarning, match="has both plans.csv and plans.xlsx; reading plans.csv"):
        corpus = Corpus.load(tmp_path)
    assert "jiujiang" in corpus.metas  # the CSV's rows, not the empty sheet's


XLSX_HEADER = ["plan_id", "file", "jurisdiction", "level", "parent_id", "title", "issued"]


def test_an_excel_date_typed_with_a_time_is_its_date(tmp_path: Path) -> None:
    import datetime

    rows: list[list[object]] = [
        XLSX_HEADER,
        ["jx", "", "江西省", "provincial", None, "t", datetime.datetime(2021, 3, 5, 10, 30)],
    ]
    (meta,) = load_manifest(_workbook(rows, tmp_path / "plans.xlsx"), check_files=False)
    assert meta.issued == "2021-03-05"


def test_a_line_break_in_an_excel_cell_does_not_shift_the_rows_named(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        XLSX_HEADER,
        ["jx", "", "江西省", "provincial", None, "江西省\n十四五规划", None],  # Alt+Enter in a cell
        ["jj", "", "九江市", "municipal", "nowhere", "九江", None],
    ]
    path = _workbook(rows, tmp_path / "plans.xlsx")
    with pytest.raises(InputError, match="parent_id 'nowhere'") as err:
        load_manifest(path, check_files=False)
    assert err.value.line == 3


def test_a_parent_id_merged_over_its_children_is_each_childs_parent(tmp_path: Path) -> None:
    import openpyxl

    rows: list[list[object]] = [
        XLSX_HEADER,
        ["jx", "", "江西省", "provincial", None, "江西", None],
        ["jj", "", "九江市", "municipal", "jx", "九江", None],
        ["pz", "", "彭泽县", "county", None, "彭泽", None],
    ]
    path = _workbook(rows, tmp_path / "plans.xlsx")
    book = openpyxl.load_workbook(path)
    book.active.merge_cells("E3:E4")
    book.active.merge_cells("F2:G2")  # across columns the value stays in the first one
    book.save(path)
    metas = {meta.plan_id: meta for meta in load_manifest(path, check_files=False)}
    assert metas["pz"].parent_id == "jx" and metas["jj"].parent_id == "jx"
    assert metas["jx"].title == "江西" and metas["jx"].issued == ""


def test_the_manifest_is_the_first_visible_worksheet(tmp_path: Path) -> None:
    import openpyxl
    from openpyxl.chart import BarChart

    path = _workbook(
        [XLSX_HEADER, ["jx", "", "江西省", "provincial", None, "", None]], tmp_path / "plans.xlsx"
    )
    book = openpyxl.load_workbook(path)
    book.create_chartsheet("chart", 0).add_chart(BarChart())
    lookup = book.create_sheet("lookup", 0)
    lookup.append(["levels"])
    lookup.sheet_state = "hidden"
    book.save(path)
    assert [meta.plan_id for meta in load_manifest(path, check_files=False)] == ["jx"]
    book.remove(book["Sheet1"])
    book.save(path)
    with pytest.raises(InputError, match="has no visible worksheet"):
        load_manifest(path, check_files=False)


def test_a_sheet_formatted_to_its_last_row_is_read_without_a_million_cells(tmp_path: Path) -> None:
    import tracemalloc

    import openpyxl
    from openpyxl.styles import Font

    path = _workbook(
        [XLSX_HEADER, ["jx", "", "江西省", "provincial", None, "", None]], tmp_path / "plans.xlsx"
    )
    book = openpyxl.load_workbook(path)
    for column in "ABCDEFG":
        book.active[f"{column}1048576"].font = Font(bold=True)  # formatted, empty
    book.save(path)
    tracemalloc.start()
    try:
        assert [meta.plan_id for meta in load_manifest(path, check_files=False)] == ["jx"]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6


def test_a_workbook_whose_first_entry_is_large_is_still_a_workbook(tmp_path: Path) -> None:
    import zipfile

    good = _workbook(
        [XLSX_HEADER, ["jx", "", "江西省", "provincial", None, "", None]], tmp_path / "good.xlsx"
    )
    path = tmp_path / "plans.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as out:
        out.writestr("docProps/thumbnail.jpeg", os.urandom(200_000))  # Excel's "save thumbnail"
        for info in src.infolist():
            out.writestr(info, src.read(info))
    assert [meta.plan_id for meta in load_manifest(path, check_files=False)] == ["jx"]


def test_a_password_protected_workbook_is_named_for_what_it_is(tmp_path: Path) -> None:
    # Excel encrypts a workbook into an OLE file holding an EncryptedPackage stream
    path = tmp_path / "plans.xlsx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le")
    )
    with pytest.raises(InputError, match="password-protected Excel workbook; save the manifest without"):
        load_manifest(path, check_files=False)


def test_a_corpus_folder_under_home_is_found_from_python_as_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(DATA / "plans", tmp_path / "data" / "plans")
    shutil.copy(DATA / "plans.csv", tmp_path / "data" / "plans.csv")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert list(Corpus.load("~/data").metas) == list(Corpus.load(DATA).metas)


def test_a_title_row_above_the_header_and_line_breaks_in_header_cells_are_read(tmp_path: Path) -> None:
    """The usual layout of a Chinese spreadsheet: a title merged over the columns, then the header,
    some of its cells written on two lines (Alt+Enter). It said "missing column(s) plan_id, …
    (the header reads '全民科学素质行动实施方案清单') … separated by commas, tabs or semicolons"."""
    import csv

    rows = list(csv.reader((DATA / "plans.csv").read_text(encoding="utf-8-sig").splitlines()))
    chinese = ["编号", "文件", "地区", "层级", "上级\n编号", "标题", "印发\n日期", "文号", "人口"]
    sheet: list[list[object]] = [["全民科学素质行动实施方案清单"], chinese, *rows[1:]]
    shutil.copytree(DATA / "plans", tmp_path / "plans")
    _workbook(sheet, tmp_path / "plans.xlsx")
    assert Corpus.load(tmp_path).metas == Corpus.load(DATA).metas
    # errors name the sheet's row, under the title
    sheet[3] = [*rows[2][:4], "nowhere", *rows[2][5:]]
    _workbook(sheet, tmp_path / "plans.xlsx")
    with pytest.raises(InputError, match=r"plans.xlsx:4: .*nowhere"):
        Corpus.load(tmp_path)
    # the same as CSV, tab-separated under a title line
    (tmp_path / "plans.xlsx").unlink()
    lines = ["方案清单", "\t".join(c.replace("\n", "") for c in chinese)] + ["\t".join(r) for r in rows[1:]]
    (tmp_path / "plans.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert Corpus.load(tmp_path).metas == Corpus.load(DATA).metas
    # as Excel saves it: empty cells at a row's end are not stored at all, and the title row is
    # one cell wide (rows were padded to the first row's width: "row has 4 values")
    sheet = [["全民科学素质行动实施方案清单"], chinese, *([c if c else None for c in r] for r in rows[1:])]
    _workbook(sheet, tmp_path / "plans.xlsx")
    (tmp_path / "plans.csv").unlink()
    assert Corpus.load(tmp_path).metas == Corpus.load(DATA).metas
    # a title in quotes written over two lines
    (tmp_path / "plans.xlsx").unlink()
    lines[0] = '"方案\n清单"'
    (tmp_path / "plans.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert Corpus.load(tmp_path).metas == Corpus.load(DATA).metas
    # a workbook without its header is told where the header goes, not about separators
    _workbook([["清单"], ["a", "b", "c"]], tmp_path / "bad.xlsx")
    with pytest.raises(InputError, match=r"bad.xlsx:1: missing column.*in the sheet's first row"):
        load_manifest(tmp_path / "bad.xlsx")


def test_a_row_short_of_values_is_an_error_saying_how_to_leave_a_cell_empty(tmp_path: Path) -> None:
    """A value left out anywhere shifts the ones after it: a doc_number left out put the population
    into doc_number when short rows were accepted, so a short row stays an error."""
    lines = (DATA / "plans.csv").read_text(encoding="utf-8-sig").splitlines()
    shutil.copytree(DATA / "plans", tmp_path / "plans")
    short = "jiangxi,001_e9d6debd5c2ad4f8.txt,江西省,provincial,national-2021,江西方案,2022-01-07,45188635"
    (tmp_path / "plans.csv").write_text(f"{lines[0]}\n{short}\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"plans.csv:2: row has 8 values but the header has 9 columns \(an empty value is still",
    ):
        Corpus.load(tmp_path)
