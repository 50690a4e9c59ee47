"""`align evaluate` on gold that does not fit: ragged rows and unknown labels are errors naming
the gold file and line; gold for another pair (anchors found nowhere, other documents) gives
one warning line each; a GBK gold file reads like a UTF-8 one."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from align.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
GOLD = DATA / "gold" / "jiangxi_to_jiujiang.csv"
JIANGXI_FILE = "001_e9d6debd5c2ad4f8.txt"
JIUJIANG_FILE = "000_db08bb93956ab56b.txt"


def gold_rows(n: int = 6) -> list[dict[str, str]]:
    """The first ``n`` rows of the real Jiangxi → Jiujiang gold."""
    with GOLD.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))[:n]


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def alignment(tmp_path: Path) -> Path:
    """An alignment.csv whose texts are the gold anchors (what a perfect aligner of the pair writes),
    with the plan ids of bare files (the documents' stems)."""
    rows = [
        {
            "parent_plan": Path(JIANGXI_FILE).stem,
            "child_plan": Path(JIUJIANG_FILE).stem,
            "parent_text": g["parent_anchor"],
            "child_text": g["child_anchor"],
            "status": g["label"],
        }
        for g in gold_rows()
    ]
    return write_csv(tmp_path / "alignment.csv", rows)


def evaluate(alignment: Path, gold: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(
        ["evaluate", "--quiet", "--corpus", str(alignment.parent / "no-corpus"), str(alignment), str(gold)]
    )
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_fitting_gold_gives_no_warning(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = evaluate(alignment, write_csv(tmp_path / "gold.csv", gold_rows()), capsys)
    assert code == 0 and err == ""
    assert "pair_f1=1.000" in out


def test_ragged_gold_row_is_an_error_naming_file_and_line(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = GOLD.read_text(encoding="utf-8-sig").splitlines()[:4]
    lines[2] = ",".join(lines[2].split(",")[:3])  # row on line 3 loses its child anchor, label, evidence
    gold = tmp_path / "gold.csv"
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = evaluate(alignment, gold, capsys)
    assert code == 2 and out == ""
    assert err.strip() == f"align: error: {gold}:3: row has 3 values but the header has 6 columns"


def test_gold_that_is_a_pipe_or_folder_is_an_error_not_a_wait(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipe = tmp_path / "gold.csv"
    os.mkfifo(pipe)
    code, _out, err = evaluate(alignment, pipe, capsys)
    assert (
        code == 2
        and err.strip() == f"align: error: {pipe}: is not a regular file (a pipe or device?); give a CSV file"
    )
    code, _out, err = evaluate(alignment, tmp_path, capsys)
    assert code == 2 and err.strip() == f"align: error: {tmp_path}: is a folder; give a CSV file"


def test_unknown_label_is_an_error_listing_the_labels(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = gold_rows()
    rows[1]["label"] = "kept"
    code, _out, err = evaluate(alignment, write_csv(tmp_path / "gold.csv", rows), capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"align: error: {tmp_path / 'gold.csv'}:3: unknown label 'kept'")
    assert "inherited, strengthened, weakened, dropped, added" in err


def test_a_label_without_the_anchors_it_needs_is_an_error_naming_the_line(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # empty anchors matched nothing and every figure read 0.000, with no word of why
    rows = gold_rows()
    carried = next(k for k, r in enumerate(rows) if r["label"] == "inherited")
    rows[carried]["child_anchor"] = ""
    code, _out, err = evaluate(alignment, write_csv(tmp_path / "gold.csv", rows), capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(
        f"align: error: {tmp_path / 'gold.csv'}:{carried + 2}: a row labelled 'inherited' needs"
    )
    assert "child_anchor" in err
    import pandas as pd

    from align.evaluate import score_alignment

    with pytest.raises(ValueError, match=r"gold row 0: a row labelled 'dropped' needs a parent_anchor"):
        score_alignment(pd.read_csv(alignment), [dict(rows[0], label="dropped", parent_anchor=" ")])


def test_anchors_found_nowhere_warn(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = gold_rows()
    for i, row in enumerate(rows):
        row["parent_anchor"] = f"不存在的锚点文字{i}"
    code, _out, err = evaluate(alignment, write_csv(tmp_path / "gold.csv", rows), capsys)
    assert code == 0
    (line,) = err.strip().splitlines()
    assert line.startswith("align: warning: ") and str(tmp_path / "gold.csv") in line
    assert re.search(r"6 of 6 parent_anchor\(s\) occur in no parent_text", line)


def test_gold_of_other_documents_warns_naming_both(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = gold_rows()
    for row in rows:
        row["parent_doc"], row["child_doc"] = "other.txt", "other2.txt"
    code, _out, err = evaluate(alignment, write_csv(tmp_path / "gold.csv", rows), capsys)
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert "parent_doc other.txt" in lines[0] and Path(JIANGXI_FILE).stem in lines[0]
    assert "child_doc other2.txt" in lines[1] and Path(JIUJIANG_FILE).stem in lines[1]


def test_manifest_maps_documents_to_plan_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run names plans by manifest id (jiangxi), the gold by file: no warning with --corpus."""
    rows = [
        {
            "parent_plan": "jiangxi",
            "child_plan": "jiujiang",
            "parent_text": g["parent_anchor"],
            "child_text": g["child_anchor"],
            "status": g["label"],
        }
        for g in gold_rows()
    ]
    alignment = write_csv(tmp_path / "alignment.csv", rows)
    gold = write_csv(tmp_path / "gold.csv", gold_rows())
    capsys.readouterr()
    assert main(["evaluate", "--quiet", "--corpus", str(DATA), str(alignment), str(gold)]) == 0
    assert capsys.readouterr().err == ""


def test_gbk_gold_reads_like_utf8(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{k: v.replace("→", "->") for k, v in row.items()} for row in gold_rows()]  # → is not in GBK
    code, out, err = evaluate(alignment, write_csv(tmp_path / "gold.csv", rows, encoding="gbk"), capsys)
    assert code == 0 and err == ""
    assert "pair_f1=1.000" in out


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_gold_separated_by_tabs_or_semicolons_reads_like_commas(
    delimiter: str, alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the manifest: what a spreadsheet saves as "Unicode text" or as CSV in some locales (it
    was "missing columns: parent_doc, …" with every column there)."""
    gold = tmp_path / "gold.csv"
    with gold.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(gold_rows()[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(gold_rows())
    code, out, err = evaluate(alignment, gold, capsys)
    assert code == 0 and err == ""
    assert "pair_f1=1.000" in out


def test_gold_saved_as_an_excel_workbook_reads_like_its_csv(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the manifest: gold made in Excel or WPS and saved as .xlsx (it was "cannot be decoded")."""
    import openpyxl

    book = openpyxl.Workbook()
    rows = gold_rows()
    book.active.append(list(rows[0]))
    for row in rows:
        book.active.append(list(row.values()))
    book.save(tmp_path / "gold.xlsx")
    code, out, err = evaluate(alignment, tmp_path / "gold.xlsx", capsys)
    assert code == 0 and err == ""
    assert "pair_f1=1.000" in out
    (tmp_path / "locked.xlsx").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le")
    )
    code, out, err = evaluate(alignment, tmp_path / "locked.xlsx", capsys)
    assert code == 2 and err.count("\n") == 1
    assert f"{tmp_path / 'locked.xlsx'}: is a password-protected Excel workbook; save the table" in err


def test_the_table_of_a_whole_run_is_scored_on_the_gold_pair_only(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`align run` writes every pair in one alignment.csv: the pair above the gold's (national →
    Jiangxi) holds the gold's parent texts on both sides, and its rows counted as wrong links of
    Jiangxi → Jiujiang (pair F1 0.788 instead of 0.983 on the bundled run, without a warning)."""
    with alignment.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    above = [
        {
            "parent_plan": "national",
            "child_plan": Path(JIANGXI_FILE).stem,
            "parent_text": g["parent_anchor"],
            "child_text": g["parent_anchor"],
            "status": "inherited",
        }
        for g in gold_rows()
    ]
    (tmp_path / "run").mkdir()
    run_table = write_csv(tmp_path / "run" / "alignment.csv", above + rows)
    code, out, err = evaluate(run_table, write_csv(tmp_path / "gold.csv", gold_rows()), capsys)
    assert code == 0 and err == ""
    assert "pair_f1=1.000" in out


def test_score_alignment_takes_gold_read_with_pandas(alignment: Path, tmp_path: Path) -> None:
    # a notebook reads the gold with pd.read_csv (an empty anchor is NaN) and passes the frame
    import pandas as pd

    from align.evaluate import GOLD_COLUMNS, read_table, score_alignment

    added = dict(gold_rows(1)[0], parent_anchor="", label="added")
    gold = write_csv(tmp_path / "gold.csv", [*gold_rows(), added])
    table, rows, frame = pd.read_csv(alignment), read_table(gold, GOLD_COLUMNS), pd.read_csv(gold)
    assert frame["parent_anchor"].isna().any()
    expected = score_alignment(table, rows)
    assert score_alignment(table, frame).line() == expected.line()
    assert score_alignment(table, frame.to_dict("records")).line() == expected.line()
    with pytest.raises(KeyError, match="gold row 0 lacks columns"):
        score_alignment(table, frame.drop(columns=["label"]))


def test_score_alignment_refuses_what_would_give_a_silently_wrong_score(
    alignment: Path, tmp_path: Path
) -> None:
    import pandas as pd

    from align.errors import InputError
    from align.evaluate import GOLD_COLUMNS, evaluate_files, read_table, score_alignment

    gold = write_csv(tmp_path / "gold.csv", gold_rows())
    table, rows = pd.read_csv(alignment), read_table(gold, GOLD_COLUMNS)
    # the table of a whole run: another pair's rows would count as wrong links of the gold's pair
    other = table.assign(parent_plan="consensus:national", child_plan=table["parent_plan"])
    run = pd.concat([table, other], ignore_index=True)
    renamed = [dict(g, parent_doc="", child_doc="") for g in rows]
    with pytest.raises(ValueError, match=r"alignment holds 2 pairs .* score one pair's rows"):
        score_alignment(run, renamed)
    # ... unless the gold names the pair's plans, whose rows are then the ones scored
    assert score_alignment(run, rows).line() == score_alignment(table, rows).line()
    with pytest.raises(ValueError, match=r"gold row 1: unknown label 'Inherited'"):
        score_alignment(table, [rows[0], dict(rows[1], label="Inherited")])
    with pytest.raises(InputError, match=r"alignment lacks columns \['status'\]"):
        score_alignment(table.drop(columns=["status"]), rows)
    with pytest.raises(
        TypeError, match=r"alignment must be a DataFrame, not PosixPath \(for a file: pd.read_csv"
    ):
        score_alignment(alignment, rows)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"gold must be rows, not the path"):
        score_alignment(table, gold)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"score a DataFrame with score_alignment"):
        evaluate_files(table, gold)  # type: ignore[arg-type]


def test_status_table_counts_what_status_accuracy_counts(alignment: Path, tmp_path: Path) -> None:
    """Per status: predicted, right and gold counts over the correctly linked measures, with
    precision and recall; the sum of the right ones over the linked ones is status_acc."""
    import pandas as pd

    from align.evaluate import GOLD_COLUMNS, read_table, score_alignment

    gold = read_table(write_csv(tmp_path / "gold.csv", gold_rows()), GOLD_COLUMNS)
    table = pd.read_csv(alignment)
    labels = [str(s) for s in table["status"]]
    assert {"strengthened", "inherited"} <= set(labels)  # the first gold rows hold both
    # call every strengthened measure inherited: precision of inherited falls, recall stays
    table["status"] = ["inherited" if s == "strengthened" else s for s in labels]
    score = score_alignment(table, gold)
    stats = score.status_table().set_index("status")
    n_strong = len({g["parent_anchor"] for g in gold if g["label"] == "strengthened"})
    n_inherited = len({g["parent_anchor"] for g in gold if g["label"] == "inherited"})
    assert stats.loc["strengthened", ["predicted", "right", "gold"]].tolist() == [0, 0, n_strong]
    assert stats.loc["inherited", ["predicted", "right", "gold"]].tolist() == [
        n_strong + n_inherited,
        n_inherited,
        n_inherited,
    ]
    assert stats.loc["inherited", "recall"] == 1.0
    assert stats["right"].sum() / stats["predicted"].sum() == pytest.approx(score.status_acc)
    assert f"strengthened 0/0/{n_strong}" in score.report()


def test_the_workbook_of_a_run_is_scored_like_its_alignment_csv(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report.xlsx` holds a summary sheet, then a sheet per pair: its pair sheets are the table
    (it was "missing columns: parent_text, child_text, status", from the summary sheet)."""
    import pandas as pd

    from align.report import write_xlsx

    table = pd.read_csv(alignment, dtype=str, keep_default_na=False)
    above = table.assign(parent_plan="national", child_plan=Path(JIANGXI_FILE).stem, status="inherited")
    above["child_text"] = above["parent_text"]
    run = pd.concat([above, table], ignore_index=True)
    coverage = pd.DataFrame({"child_plan": [Path(JIANGXI_FILE).stem], "parent_plan": ["national"]})
    workbook = write_xlsx(tmp_path / "report.xlsx", run, coverage)
    gold = write_csv(tmp_path / "gold.csv", gold_rows())
    code, out, err = evaluate(workbook, gold, capsys)
    assert code == 0 and err == ""
    assert "pair_f1=1.000" in out and "status_acc=1.000" in out


def test_a_run_table_without_the_gold_pair_is_an_error_and_without_a_manifest_the_anchors_choose(
    alignment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With plan ids from a manifest and no --corpus, the gold's file names named no plan: every
    pair of the run was scored as one (pair F1 0.604 on the bundled run). Gold of a pair the run
    did not align (Jiangxi → Dazhang) fell back to every row too (0.415), without a warning."""
    import pandas as pd

    table = pd.read_csv(alignment, dtype=str, keep_default_na=False).assign(
        parent_plan="jiangxi", child_plan="jiujiang"
    )
    above = table.assign(parent_plan="consensus:national-2021", child_plan="jiangxi", status="inherited")
    above["child_text"] = above["parent_text"]
    above["parent_text"] = "consensus text"
    (tmp_path / "run").mkdir()
    run = tmp_path / "run" / "alignment.csv"
    pd.concat([above, table]).to_csv(run, index=False)
    gold = write_csv(tmp_path / "gold.csv", gold_rows())
    code, out, err = evaluate(run, gold, capsys)
    assert code == 0 and "pair_f1=1.000" in out and "status_acc=1.000" in out
    assert err.count("\n") == 1
    assert (
        "name no plan of the table; scored the pair jiangxi → jiujiang, whose texts hold 100% of the" in err
    )
    # a gold of dropped measures only (no child anchors): the parent side alone tells
    dropped = write_csv(
        tmp_path / "dropped.csv", [dict(g, child_anchor="", label="dropped") for g in gold_rows()]
    )
    code, out, err = evaluate(run, dropped, capsys)
    assert code == 0 and "scored the pair jiangxi → jiujiang" in err
    # with the manifest, the gold's documents name the pair: no warning
    manifest = tmp_path / "corpus" / "plans.csv"
    manifest.parent.mkdir()
    manifest.write_text(
        "plan_id,file,jurisdiction,level,parent_id\n"
        f"jiangxi,{JIANGXI_FILE},江西省,provincial,\njiujiang,{JIUJIANG_FILE},九江市,municipal,jiangxi\n"
        "dazhang,002_4bddc11958e96dea.txt,大祥区,county,\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["evaluate", "--quiet", "--corpus", str(manifest.parent), str(run), str(gold)]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "pair_f1=1.000" in captured.out
    # gold of a pair the run has no rows of
    other = write_csv(
        tmp_path / "dazhang.csv", [dict(g, child_doc="002_4bddc11958e96dea.txt") for g in gold_rows()]
    )
    assert main(["evaluate", "--corpus", str(manifest.parent), str(run), str(other)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{run}: has no rows of the gold's pair ({JIANGXI_FILE} → 002_4bddc11958e96dea.txt)" in err
    assert "its pairs are consensus:national-2021 → jiangxi, jiangxi → jiujiang" in err


def test_the_misses_list_missed_and_extra_links_of_carried_measures_and_missed_additions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only status and carried/dropped misses were listed: a missed second child, a wrong extra
    link and a missed addition lowered pair recall and added recall without a line saying where."""
    import pandas as pd

    gold = gold_rows(8) + [
        dict(gold_rows(1)[0], parent_anchor="", child_anchor="完善基层科普网格建设", label="added")
    ]
    table = pd.DataFrame(
        [
            {"parent_text": g["parent_anchor"], "child_text": g["child_anchor"], "status": g["label"]}
            for g in gold[:-2]  # the second child of the last measure missed, the addition too
        ]
        + [
            {
                "parent_text": gold[0]["parent_anchor"],
                "child_text": "某个不相干的句子",
                "status": "strengthened",
            }
        ]
    )
    table.to_csv(tmp_path / "alignment.csv", index=False)
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "alignment.csv"), str(write_csv(tmp_path / "g.csv", gold))]) == 0
    out = capsys.readouterr().out
    assert f"  pair   missed       {gold[6]['parent_anchor']} → {gold[7]['child_anchor']}\n" in out
    assert f"  pair   extra        {gold[0]['parent_anchor']} → 某个不相干的句子…\n" in out
    assert "  added  missed       完善基层科普网格建设\n" in out
    assert "added recall 0/1" in out
