"""The CLI end to end on the seed plans (lexical encoder, no model): `align run` and its outputs,
compare / evaluate against the hand-made gold, measures, trace, report, --help, determinism and a
run killed mid-way."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from align.cli import build_parser, main
from align.corpus import Corpus
from align.errors import InputError
from align.models import ALIGNMENT_COLUMNS, COVERAGE_COLUMNS, MEASURE_COLUMNS, STATUSES

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SCORER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "score_alignment.py"
GOLD = Path(__file__).resolve().parents[2] / "shared" / "gold" / "jiangxi_to_jiujiang.csv"
ALIGN = Path(sys.executable).with_name("align")
JIUJIANG = DATA / "plans" / "000_db08bb93956ab56b.txt"
JIANGXI = DATA / "plans" / "001_e9d6debd5c2ad4f8.txt"
FAST = ["--encoder", "lexical", "--no-progress"]
CSVS = ("measures.csv", "alignment.csv", "coverage.csv")
JIANGXI_GOAL = "公民具备科学素质的比例力争达到15%"
JIUJIANG_GOAL = "公民具备科学素质的比例力争达到15.5%"


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def copy_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(DATA / "plans.csv", corpus / "plans.csv")
    shutil.copytree(DATA / "plans", corpus / "plans")
    return corpus


def snapshot(folder: Path) -> dict[str, str]:
    """Hashes of the published files (a killed run's staging folder is not output)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).parts[0].startswith(".staging-")
    }


def spawn_run(corpus: Path, out: Path, **popen: Any) -> subprocess.Popen[Any]:
    """`align run` of ``corpus`` into ``out`` (lexical, offline) in a child process."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    argv = [str(ALIGN), "run", "--corpus", str(corpus), "--out", str(out), *FAST]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env, **popen)


def staging_dirs(folder: Path) -> list[Path]:
    return sorted(folder.glob(".staging-*"))


def pair_f1(text: str) -> float:
    found = re.findall(r"pair_f1=([0-9.]+)", text)
    assert len(found) == 1, text
    return float(found[0])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def run_out(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `align run` of a copy of the bundled corpus, with figures, shared by the module."""
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", "--corpus", str(corpus), "--out", str(out), *FAST]) == 0
    return out


@pytest.fixture(scope="module")
def compare_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`align compare JIANGXI_FILE JIUJIANG_FILE --out X` (the issue's acceptance command; --corpus
    given so that the test does not depend on the working folder)."""
    out = tmp_path_factory.mktemp("compare") / "x"
    argv = ["compare", str(JIANGXI), str(JIUJIANG), "--out", str(out), "--corpus", str(DATA), *FAST]
    assert main(argv) == 0
    return out


# ---------------------------------------------------------------------------------------------
# align run


def test_run_writes_every_output(run_out: Path) -> None:
    from align.output import RUN_FILES  # what the CLI checks against the user's files

    for name in (*CSVS, "graph.graphml", "graph.json", "report.xlsx", "run_summary.json", *RUN_FILES):
        assert (run_out / name).is_file() and (run_out / name).stat().st_size > 0, name
    assert (run_out / "html" / "jiangxi__jiujiang.html").is_file()
    pngs = sorted(p.name for p in (run_out / "figures").glob("*.png"))
    assert "coverage.png" in pngs and "pair_jiangxi__jiujiang.png" in pngs
    assert all((run_out / "figures" / p).read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert staging_dirs(run_out) == [] and list(run_out.rglob("*.tmp")) == []

    assert list(read_csv(run_out / "alignment.csv").columns[: len(ALIGNMENT_COLUMNS)]) == list(
        ALIGNMENT_COLUMNS
    )
    assert list(read_csv(run_out / "coverage.csv").columns) == list(COVERAGE_COLUMNS)
    assert list(read_csv(run_out / "measures.csv").columns) == list(MEASURE_COLUMNS)

    summary = json.loads((run_out / "run_summary.json").read_text(encoding="utf-8"))
    # Jiujiang against its province; the two provinces against their shared consensus backbone, and
    # Dazhang (whose city and province are absent) against that backbone of its national ancestor
    assert summary["pairs"] == [
        ["consensus:national-2021", "jiangxi"],
        ["jiangxi", "jiujiang"],
        ["consensus:national-2021", "neimenggu"],
        ["consensus:national-2021", "dazhang"],
    ]
    assert summary["encoder"] == "lexical"
    assert set(summary["measures"]) == {"jiangxi", "jiujiang", "neimenggu", "dazhang", "guangxi"}
    # plans whose ancestors have no text are reported, not silently skipped
    for plan_id in ("jiangxi", "neimenggu", "dazhang", "guangxi"):
        assert any(note.startswith(f"{plan_id}: no ancestor has a text") for note in summary["notes"])
    # ... in the workbook too: Guangxi is on no pair sheet and in no summary row, and the notes
    # sheet says why
    import openpyxl

    book = openpyxl.load_workbook(run_out / "report.xlsx", read_only=True)
    assert book.sheetnames[:2] == ["summary", "notes"]
    notes = [row[0] for row in book["notes"].iter_rows(min_row=2, values_only=True)]
    book.close()
    assert notes == summary["notes"] and any(n.startswith("guangxi:") and "not aligned" in n for n in notes)


def test_csvs_are_utf8_with_bom(run_out: Path) -> None:
    for name in CSVS:
        data = (run_out / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), name
        data.decode("utf-8")
    assert "九江市" in (run_out / "coverage.csv").read_bytes().decode("utf-8")


def test_alignment_rows_follow_the_contract(run_out: Path) -> None:
    alignment = read_csv(run_out / "alignment.csv")
    measures = read_csv(run_out / "measures.csv")
    assert set(alignment["status"]) <= set(STATUSES)
    assert set(zip(alignment["parent_plan"], alignment["child_plan"], strict=True)) == {
        ("jiangxi", "jiujiang"),
        ("consensus:national-2021", "jiangxi"),
        ("consensus:national-2021", "neimenggu"),
        ("consensus:national-2021", "dazhang"),
    }
    alignment = alignment[alignment["parent_plan"] == "jiangxi"]
    dropped = alignment[alignment["status"] == "dropped"]
    assert (dropped["child_measure"] == "").all() and (dropped["parent_measure"] != "").all()
    added = alignment[alignment["status"] == "added"]
    assert (added["parent_measure"] == "").all() and (added["child_measure"] != "").all()
    # every Jiangxi measure appears, each with a single status
    jiangxi_ids = set(measures.loc[measures["plan_id"] == "jiangxi", "measure_id"])
    parents = alignment[alignment["parent_measure"] != ""]
    assert set(parents["parent_measure"]) == jiangxi_ids
    assert (parents.groupby("parent_measure")["status"].nunique() == 1).all()
    # parent_text is the whole measure's text
    jx = measures[measures["plan_id"] == "jiangxi"].set_index("measure_id")["text"]
    texts = jx.to_dict()
    assert all(texts[m] == t for m, t in zip(parents["parent_measure"], parents["parent_text"], strict=True))

    coverage = read_csv(run_out / "coverage.csv")
    assert list(coverage["child_plan"]) == ["jiangxi", "jiujiang", "neimenggu", "dazhang"]
    row = coverage.iloc[1]
    assert (row["child_plan"], row["parent_plan"], row["level"]) == ("jiujiang", "jiangxi", "municipal")
    assert int(row["n_parent_measures"]) == len(jiangxi_ids)
    counts = {s: int(row[s]) for s in ("inherited", "strengthened", "weakened", "dropped")}
    assert sum(counts.values()) == len(jiangxi_ids)
    assert int(row["added"]) == len(added)
    carried = counts["inherited"] + counts["strengthened"] + counts["weakened"]
    assert float(row["coverage"]) == pytest.approx(carried / len(jiangxi_ids), abs=1e-4)


def test_jiangxi_goal_is_a_measure_and_jiujiang_goal_is_matched_to_it(run_out: Path) -> None:
    measures = read_csv(run_out / "measures.csv")
    jiangxi = measures[measures["plan_id"] == "jiangxi"]
    goal = jiangxi[jiangxi["text"].map(squash).str.contains(JIANGXI_GOAL, regex=False)]
    assert len(goal) == 1, "the 15% goal must be exactly one Jiangxi measure"
    goal_id = goal["measure_id"].iloc[0]
    assert "15" in goal["targets"].iloc[0]

    alignment = read_csv(run_out / "alignment.csv")
    rows = alignment[alignment["parent_measure"] == goal_id]
    assert not rows.empty
    matched = rows[rows["child_text"].map(squash).str.contains(JIUJIANG_GOAL, regex=False)]
    assert len(matched) == 1, rows[["child_measure", "status"]].to_string()
    status, evidence = matched["status"].iloc[0], matched["evidence"].iloc[0]
    assert status in ("strengthened", "inherited")
    assert "15.5" in evidence


# ---------------------------------------------------------------------------------------------
# compare, evaluate, measures, trace, report


def test_compare_writes_alignment_that_the_shared_scorer_accepts(compare_out: Path) -> None:
    assert (compare_out / "alignment.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    measures = read_csv(compare_out / "measures.csv")
    # documents of the manifest get their plan ids
    assert set(measures["plan_id"]) == {"jiangxi", "jiujiang"}
    alignment = read_csv(compare_out / "alignment.csv")
    assert set(alignment["parent_plan"]) == {"jiangxi"} and set(alignment["child_plan"]) == {"jiujiang"}
    if not SCORER.is_file() or not GOLD.is_file():
        pytest.skip(f"shared scorer or gold not found at {SCORER.parent.parent} (../shared beside the repo)")
    proc = subprocess.run(
        [sys.executable, str(SCORER), str(compare_out / "alignment.csv"), str(GOLD)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert pair_f1(proc.stdout) >= 0.95, proc.stdout


def test_evaluate_prints_the_shared_scorers_pair_f1(
    compare_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not SCORER.is_file() or not GOLD.is_file():
        pytest.skip(f"shared scorer or gold not found at {SCORER.parent.parent} (../shared beside the repo)")
    proc = subprocess.run(
        [sys.executable, str(SCORER), str(compare_out / "alignment.csv"), str(GOLD)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    capsys.readouterr()
    assert main(["evaluate", str(compare_out / "alignment.csv"), str(GOLD)]) == 0
    ours = capsys.readouterr().out
    assert pair_f1(ours) == pair_f1(proc.stdout)
    # the whole summary line agrees, not only pair_f1
    theirs_line = [line for line in proc.stdout.splitlines() if line.startswith("pair_f1=")]
    assert theirs_line and theirs_line[0] in ours
    assert main(["evaluate", "--quiet", str(compare_out / "alignment.csv"), str(GOLD)]) == 0
    assert capsys.readouterr().out.strip() == theirs_line[0]


def test_measures_prints_the_tree(run_out: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    capsys.readouterr()
    assert main(["measures", str(JIANGXI), "--csv", str(tmp_path / "m.csv")]) == 0
    text = capsys.readouterr().out
    assert "推进基础教育阶段科学教育工作" in text
    assert "▸" in text  # section headings of the tree
    *_, last_line, aside = text.strip().splitlines()
    assert aside == "set aside, kept outside the measures: 22 context paragraph(s), 3 furniture paragraph(s)"
    last = re.fullmatch(r"(\d+) measures", last_line)
    assert last, text[-200:]
    n = int(last.group(1))
    measures = read_csv(run_out / "measures.csv")
    assert n == (measures["plan_id"] == "jiangxi").sum()
    written = read_csv(tmp_path / "m.csv")
    assert len(written) == n and list(written.columns) == list(MEASURE_COLUMNS)
    assert (
        written["measure_id"].tolist()
        == measures.loc[measures["plan_id"] == "jiangxi", "measure_id"].tolist()
    )


def test_measures_set_aside_lists_what_is_not_a_measure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Jiujiang as copied from a PDF on a web page: a page number inside a sentence, site lines below
    lines = JIUJIANG.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("1.将弘扬科学精神"))
    copied = [*lines[: at + 1], "— 2 —", *lines[at + 1 :], "【打印本页】【关闭窗口】", "上一篇：九江市某通知"]
    document = tmp_path / "jiujiang.txt"
    document.write_text("\n".join(copied), encoding="utf-8")
    capsys.readouterr()
    assert main(["measures", str(document), "--set-aside", "--width", "12"]) == 0
    out = capsys.readouterr().out
    furniture = out[out.index("▸ furniture") :].splitlines()[1:]
    assert [line.split() for line in furniture] == [
        [str(at + 2), "—", "2", "—"],
        [str(len(lines) + 2), "【打印本页】【关闭窗口】"],
        [str(len(lines) + 3), "上一篇：九江市某通知"],
    ]
    assert "▸ context" in out and "set aside, kept outside the measures:" in out


def test_trace_prints_a_lineage_for_a_jiangxi_measure(
    run_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    graph = str(run_out / "graph.graphml")
    assert main(["trace", "二.(一).1", "--plan", "jiangxi", "--graph", graph]) == 0
    text = capsys.readouterr().out
    lines = text.strip().splitlines()
    assert len(lines) >= 2
    assert "江西省" in lines[0] and "二.(一).1" in lines[0] and "推进基础教育阶段科学教育" in squash(lines[0])
    # the Jiujiang measure(s) carrying it, as recorded in alignment.csv
    alignment = read_csv(run_out / "alignment.csv")
    carried = alignment[alignment["parent_measure"] == "二.(一).1"]
    assert len(lines) - 1 >= len(carried)
    for child, status in zip(carried["child_measure"], carried["status"], strict=True):
        assert any(
            "九江市" in line and status in line and (child in line if child else True) for line in lines[1:]
        )


def test_trace_reads_the_graph_json_of_a_run_as_its_graphml(
    run_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`align run` writes the graph twice; either copy given to --graph gives the same lineage."""
    capsys.readouterr()
    printed = []
    for name in ("graph.graphml", "graph.json"):
        code = main(["trace", "二.(一).1", "--plan", "jiangxi", "--graph", str(run_out / name)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        printed.append(captured.out)
    assert printed[0] == printed[1] and "九江市" in printed[1]


def test_trace_of_an_unreadable_graph_says_it_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once reported as "cannot write …/graph.graphml" (chmod 000 does not stop root: simulated)."""
    import errno

    import networkx

    graph = tmp_path / "graph.graphml"
    graph.write_text("<graphml/>", encoding="utf-8")

    def denied(path: Path, **_: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(networkx, "read_graphml", denied)
    assert main(["trace", "一", "--graph", str(graph)]) == 2
    assert capsys.readouterr().err == f"align: error: {graph}: cannot be read: Permission denied\n"


@pytest.mark.parametrize("encoder", ["lexical", "hashing"])
def test_a_cache_dir_that_is_a_file_is_one_error_line(
    encoder: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once a warning and a run without cache (lexical), or a warning and then "cannot write
    …/embeddings: Not a directory" (an encoder with an embedding cache)."""
    cache = tmp_path / "cache.txt"
    cache.write_text("notes", encoding="utf-8")
    argv = ["compare", str(JIANGXI), str(JIUJIANG), "--out", str(tmp_path / "o"), "--no-progress"]
    assert main([*argv, "--encoder", encoder, "--cache-dir", str(cache)]) == 2
    assert capsys.readouterr().err == (
        f"align: error: {cache}: is not a folder; --cache-dir (or $ALIGN_CACHE_DIR) names the folder of "
        "align's cache\n"
    )
    assert not (tmp_path / "o").exists() and cache.read_text(encoding="utf-8") == "notes"


def test_report_writes_a_side_by_side_page(corpus: Path, tmp_path: Path) -> None:
    page = tmp_path / "pages" / "jiangxi_jiujiang.html"
    assert main(["report", "jiangxi", "jiujiang", "--html", str(page), "--corpus", str(corpus), *FAST]) == 0
    html = page.read_text(encoding="utf-8")
    assert "基础教育" in html
    assert "15.5%" in html and "15%" in html
    assert list(page.parent.glob("*.tmp")) == []
    # plans of the manifest are named as the run's pages name them (it was "jiangxi → jiujiang")
    assert "<title>江西省 → 九江市</title>" in html


# ---------------------------------------------------------------------------------------------
# --help


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


CONTRACT_OPTIONS = {
    "run": ["--corpus", "--out", "--encoder", "--keep-going", "--no-figures"],
    "compare": ["--out", "--corpus", "--encoder"],
    "measures": [],
    "evaluate": [],
    "trace": ["--graph", "--plan"],
    "report": ["--html", "--corpus", "--encoder"],
    "manifest": ["--infer", "--out"],
}


def test_every_command_exists() -> None:
    assert set(_subcommands()) == set(CONTRACT_OPTIONS)


@pytest.mark.parametrize("command", sorted(CONTRACT_OPTIONS))
def test_help_explains_every_option(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _subcommands()[command]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: align {command}")
    for option in CONTRACT_OPTIONS[command]:
        assert option in text, option
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        names = action.option_strings or [action.dest]
        assert any(name in text for name in names), names
        assert action.help and action.help.strip(), f"{command} {names} has no help text"
        first_words = " ".join(action.help.split()[:3]).replace("%", "")
        assert " ".join(first_words.split()) in " ".join(text.split()), (command, names)


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for command in CONTRACT_OPTIONS:
        assert command in text


# ---------------------------------------------------------------------------------------------
# determinism and a killed run


def test_two_runs_give_byte_identical_outputs(run_out: Path, corpus: Path, tmp_path: Path) -> None:
    """Every table, page, graph and the workbook (its creation date is fixed): a re-run changes no
    checksum in the ledger, and a researcher can check that two runs agree."""
    again = tmp_path / "again"
    assert main(["run", "--corpus", str(corpus), "--out", str(again), "--no-figures", *FAST]) == 0
    written = [p.relative_to(again) for p in again.rglob("*") if p.is_file() and p.name != ".align-outputs"]
    assert {*CSVS, "report.xlsx", "graph.graphml"} <= {str(p) for p in written}
    for name in written:
        assert (again / name).read_bytes() == (run_out / name).read_bytes(), name


def test_a_run_keeps_an_output_the_user_edited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    argv = ["compare", str(JIANGXI), str(JIUJIANG), "--out", str(out), "--corpus", str(DATA), *FAST]
    assert main(argv) == 0
    edited = (out / "alignment.csv").read_text(encoding="utf-8-sig").replace("inherited", "strengthened", 1)
    (out / "alignment.csv").write_text(edited, encoding="utf-8-sig")  # a researcher's correction
    capsys.readouterr()
    code = main(argv)
    one_error_line(code, capsys.readouterr().err, str(out), "alignment.csv was changed after align wrote it")
    assert (out / "alignment.csv").read_text(encoding="utf-8-sig") == edited


def test_a_single_file_output_keeps_an_output_of_compare_the_user_edited(
    compare_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`measures --csv` onto the measures.csv of a compare folder that the user annotated once
    replaced it: the folder's ledger has the checksum align wrote, and the file no longer matches."""
    out = tmp_path / "x"
    shutil.copytree(compare_out, out)
    table = out / "measures.csv"
    annotated = table.read_text(encoding="utf-8-sig") + "我的批注\n"
    table.write_text(annotated, encoding="utf-8-sig")
    capsys.readouterr()
    code = main(["measures", str(JIUJIANG), "--csv", str(table)])
    err = capsys.readouterr().err
    one_error_line(
        code, err, str(table), r"was changed after `align compare` wrote it into .*choose another file"
    )
    assert table.read_text(encoding="utf-8-sig") == annotated
    # as compare wrote it, it is align's own measures table and is replaced
    shutil.copy(compare_out / "measures.csv", table)
    assert main(["measures", str(JIUJIANG), "--csv", str(table)]) == 0


def test_killed_run_leaves_previous_outputs_and_next_run_cleans_up(
    run_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not ALIGN.exists():
        pytest.skip(f"console script {ALIGN} is not installed (pip install -e .)")
    out = tmp_path / "out"
    shutil.copytree(run_out, out)
    before = snapshot(out)
    # a corpus whose outputs differ from the previous ones, so that any published file shows
    corpus = copy_corpus(tmp_path)
    text = (corpus / "plans" / JIUJIANG.name).read_text(encoding="utf-8")
    assert "15.5%" in text
    (corpus / "plans" / JIUJIANG.name).write_text(text.replace("15.5%", "16%"), encoding="utf-8")

    proc = spawn_run(corpus, out, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and not staging_dirs(out) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert staging_dirs(out), "killed before the run started writing (no staging folder seen)"

    assert snapshot(out) == before, "the killed run changed the previous outputs"
    assert read_csv(out / "alignment.csv")["child_text"].map(squash).str.contains("15.5%", regex=False).any()
    assert list(out.glob("*.tmp")) == []

    # the next run removes the stale staging folder and publishes the new outputs
    assert main(["run", "--corpus", str(corpus), "--out", str(out), "--no-figures", *FAST]) == 0
    assert staging_dirs(out) == [] and list(out.rglob("*.tmp")) == []
    child_texts = read_csv(out / "alignment.csv")["child_text"].map(squash)
    assert child_texts.str.contains("力争达到16%", regex=False).any()
    assert not child_texts.str.contains("15.5%", regex=False).any()


# ---------------------------------------------------------------------------------------------
# outputs that cannot be written, option values, compare of same-named files, manifest --infer


def one_error_line(code: int, err: str, where: str, message: str) -> None:
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"align: error: {where}"), lines[0]
    assert re.search(message, lines[0]), lines[0]


def test_report_html_that_is_a_folder_or_under_a_file(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep\n", encoding="utf-8")
    for target, message in ((tmp_path, "is a folder"), (afile / "x.html", "afile is a file, not a folder")):
        capsys.readouterr()
        code = main(["report", "jiangxi", "jiujiang", "--corpus", str(corpus), "--html", str(target), *FAST])
        captured = capsys.readouterr()
        one_error_line(code, captured.err, str(target), message)
        assert captured.out == ""
    assert afile.read_text(encoding="utf-8") == "keep\n"


def test_measures_csv_folder_fails_before_printing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(["measures", str(JIUJIANG), "--csv", str(tmp_path)])
    captured = capsys.readouterr()
    one_error_line(code, captured.err, str(tmp_path), "is a folder")
    assert captured.out == ""


def test_manifest_out_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs").mkdir()
    shutil.copy(JIANGXI, tmp_path / "docs" / JIANGXI.name)
    (tmp_path / "afile").write_text("", encoding="utf-8")
    target = tmp_path / "afile" / "m.csv"
    code = main(["manifest", "--infer", str(tmp_path / "docs"), "--out", str(target)])
    one_error_line(code, capsys.readouterr().err, str(target), "not a folder")


def test_os_error_writing_an_output_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A read-only folder (simulated: the tests may run as root, who may write anywhere)."""
    import errno

    from align import fileio

    target = tmp_path / "ro" / "m.csv"

    def refuse(frame: pd.DataFrame, path: Path) -> Path:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(fileio, "write_csv", refuse)
    capsys.readouterr()
    code = main(["measures", str(JIUJIANG), "--csv", str(target)])
    one_error_line(code, capsys.readouterr().err, f"cannot write {target}: Permission denied", ".")


@pytest.mark.parametrize("command", ["measures", "compare", "report", "evaluate", "trace", "manifest", "run"])
def test_an_input_path_the_system_refuses_is_not_reported_as_a_write(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name too long for the file system (a stand-in for any input that cannot be opened) once
    read "cannot write <the input>" in every command."""
    bad = tmp_path / ("x" * 300 + ".txt")
    argv = {
        "measures": ["measures", str(bad)],
        "compare": ["compare", str(bad), str(JIUJIANG), "--out", str(tmp_path / "o"), *FAST],
        "report": ["report", str(bad), str(JIUJIANG), "--html", str(tmp_path / "r.html"), *FAST],
        "evaluate": ["evaluate", str(bad), str(GOLD)],
        "trace": ["trace", "一", "--graph", str(bad)],
        "manifest": ["manifest", "--infer", str(bad)],
        "run": ["run", "--corpus", str(bad), "--out", str(tmp_path / "o"), *FAST],
    }[command]
    capsys.readouterr()
    code = main(argv)
    one_error_line(code, capsys.readouterr().err, f"cannot read {bad}: File name too long", ".")


def test_full_disk_is_one_line_and_keeps_the_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full disk shows up while a file's contents are written: the OSError names no file."""
    import errno

    from align import fileio

    out = tmp_path / "out"
    assert main(["compare", str(JIANGXI), str(JIUJIANG), "--encoder", "lexical", "--out", str(out)]) == 0
    before = (out / "alignment.csv").read_bytes()

    def full(frame: pd.DataFrame, path: Path) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio, "write_csv", full)
    capsys.readouterr()
    code = main(["compare", str(JIANGXI), str(JIUJIANG), "--encoder", "lexical", "--out", str(out)])
    one_error_line(
        code, capsys.readouterr().err, "cannot write: No space left on device", "outputs left as they were"
    )
    assert (out / "alignment.csv").read_bytes() == before
    assert not [p.name for p in out.iterdir() if p.name.startswith((".staging-", ".backup-"))]


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "jiangxi.txt"
    shutil.copy(JIANGXI, plan)
    code = main(["measures", str(plan), "--csv", str(plan)])
    one_error_line(code, capsys.readouterr().err, str(plan), "--csv names an input of this command")
    code = main(["report", str(plan), str(JIUJIANG), "--html", str(plan), *FAST])
    one_error_line(code, capsys.readouterr().err, str(plan), "--html names an input of this command")
    assert plan.read_bytes() == JIANGXI.read_bytes()
    # manifest --out onto a document of the inferred folder; a manifest beside them may be rewritten
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(JIANGXI, docs / JIANGXI.name)
    code = main(["manifest", "--infer", str(docs), "--out", str(docs / JIANGXI.name)])
    one_error_line(code, capsys.readouterr().err, str(docs / JIANGXI.name), "--out names an input")
    assert (docs / JIANGXI.name).read_bytes() == JIANGXI.read_bytes()
    # a manifest there holds the user's edits: replaced only with --force; anything else never
    edited = "plan_id,file,jurisdiction,level,parent_id\njx,x.txt,江西省,provincial,\n"
    (docs / "plans.csv").write_text(edited, encoding="utf-8")
    code = main(["manifest", "--infer", str(docs), "--out", str(docs / "plans.csv")])
    one_error_line(
        code, capsys.readouterr().err, str(docs / "plans.csv"), "holds a manifest already.*--force"
    )
    assert (docs / "plans.csv").read_text(encoding="utf-8") == edited
    chinese = (
        "方案清单\n编号\t文件\t地区\t层级\t上级\njx\tx.txt\t江西省\t省级\t\n"  # a title, Chinese headers
    )
    for encoding in ("utf-8", "gbk"):  # GBK: as Excel or WPS saves a CSV on Chinese Windows
        (docs / "plans.csv").write_text(chinese, encoding=encoding)
        code = main(["manifest", "--infer", str(docs), "--out", str(docs / "plans.csv")])
        one_error_line(
            code, capsys.readouterr().err, str(docs / "plans.csv"), "holds a manifest already.*--force"
        )
    assert main(["manifest", "--infer", str(docs), "--out", str(docs / "plans.csv"), "--force"]) == 0
    assert [f for f in read_csv(docs / "plans.csv")["file"] if f] == [JIANGXI.name]
    (docs / "notes.md").write_text("# my notes\n", encoding="utf-8")
    code = main(["manifest", "--infer", str(docs), "--out", str(docs / "notes.md"), "--force"])
    one_error_line(code, capsys.readouterr().err, str(docs / "notes.md"), "is not a manifest")
    assert (docs / "notes.md").read_text(encoding="utf-8") == "# my notes\n"


def test_single_file_outputs_replace_only_their_own_kind(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report --html` onto another plan of the corpus (not an input of this pair) once replaced it."""
    other = corpus / "plans" / "004_34aac81e3d6f48e4.txt"
    before = other.read_bytes()
    argv = ["report", "jiangxi", "jiujiang", "--corpus", str(corpus), *FAST]
    code = main([*argv, "--html", str(other)])
    one_error_line(code, capsys.readouterr().err, str(other), "is not a page written by `align report`")
    assert other.read_bytes() == before
    page = tmp_path / "page.html"
    assert main([*argv, "--html", str(page)]) == 0
    assert main([*argv, "--html", str(page)]) == 0  # its own page is replaced
    table = tmp_path / "m.csv"
    table.write_text("name,score\na,1\n", encoding="utf-8")
    code = main(["measures", str(JIUJIANG), "--csv", str(table)])
    one_error_line(code, capsys.readouterr().err, str(table), "is not a measures table written by align")
    assert table.read_text(encoding="utf-8") == "name,score\na,1\n"
    table.unlink()
    assert main(["measures", str(JIUJIANG), "--csv", str(table)]) == 0
    assert main(["measures", str(JIUJIANG), "--csv", str(table)]) == 0


def test_manifest_infer_leaves_out_what_align_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(JIANGXI, folder / JIANGXI.name)
    shutil.copy(JIUJIANG, folder / JIUJIANG.name)
    assert (
        main(
            [
                "compare",
                str(folder / JIANGXI.name),
                str(folder / JIUJIANG.name),
                "--html",
                "--out",
                str(folder),
                *FAST,
            ]
        )
        == 0
    )
    assert (folder / "alignment.html").is_file()
    capsys.readouterr()
    assert main(["manifest", "--infer", str(folder)]) == 0
    files = [line.split(",")[1] for line in capsys.readouterr().out.splitlines()[1:]]
    assert sorted(f for f in files if f) == sorted([JIANGXI.name, JIUJIANG.name])


def test_paths_that_are_no_documents_are_named_for_what_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["compare", str(tmp_path), str(JIUJIANG), "--out", str(tmp_path / "o"), *FAST])
    one_error_line(code, capsys.readouterr().err, str(tmp_path), "is a folder, not a document")
    fifo = tmp_path / "plan.txt"
    os.mkfifo(fifo)
    code = main(["compare", str(fifo), str(JIUJIANG), "--out", str(tmp_path / "o"), *FAST])
    one_error_line(code, capsys.readouterr().err, str(fifo), "is not a regular file")
    code = main(["trace", "一.(一)", "--graph", str(tmp_path)])
    one_error_line(
        code, capsys.readouterr().err, str(tmp_path), "is not a file; --graph names the graph.graphml"
    )


def test_the_same_document_twice_is_a_warning_and_all_inherited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a manifest (no issue date), Jiangxi's 2021 start and its own 2025 follow-up were
    once merged into a "later deadline" and the identical text came out weakened."""
    plan = tmp_path / "p.txt"
    shutil.copy(JIANGXI, plan)
    capsys.readouterr()
    assert (
        main(
            ["compare", str(plan), str(plan), "--out", str(tmp_path / "o"), "--corpus", str(tmp_path), *FAST]
        )
        == 0
    )
    assert "are the same document" in capsys.readouterr().err
    rows = read_csv(tmp_path / "o" / "alignment.csv")
    assert set(rows["status"]) == {"inherited"}


def test_damaged_bytes_are_a_warning_without_verbose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bytearray(JIANGXI.read_bytes())
    cut = data.index("工作目标".encode()) + 1  # the middle of a three-byte character
    damaged = tmp_path / "damaged.txt"
    damaged.write_bytes(bytes(data[:cut] + data[cut + 2 :]))
    assert main(["measures", str(damaged)]) == 0
    err = capsys.readouterr().err
    assert (
        err.startswith(f"align: warning: {damaged}: 1 invalid UTF-8 byte sequence") and "Traceback" not in err
    )


def test_os_error_that_is_not_about_an_output_keeps_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from align import fileio

    def broken(frame: pd.DataFrame, path: Path) -> Path:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fileio, "write_csv", broken)
    with pytest.raises(OSError, match="Input/output error"):
        main(["measures", str(JIUJIANG), "--csv", str(tmp_path / "m.csv")])


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--threshold", "5"),
        ("--threshold", "nan"),
        ("--threshold", "-1"),
        ("--threshold", "x"),
        ("--width", "0"),
        ("--max-memory", "0"),
        ("--max-memory", "-2"),
        ("--max-memory", "lots"),
    ],
)
def test_out_of_range_options_are_refused(
    option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = (
        ["measures", str(JIUJIANG), option, value]
        if option == "--width"
        else ["compare", str(JIANGXI), str(JIUJIANG), "--out", str(tmp_path / "x"), option, value, *FAST]
    )
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}:" in err
    # one line like every other error, pointing to the help instead of printing the usage block
    assert err.count("\n") == 1 and "usage:" not in err
    assert err.rstrip().endswith(f"(see `align {argv[0]} --help`)")
    assert not (tmp_path / "x").exists()


def test_unknown_encoder_lists_lexical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", str(JIANGXI), str(JIUJIANG), "--out", str(tmp_path / "x"), "--encoder", "nope"]
    code = main([*args, "--no-progress"])
    err = capsys.readouterr().err
    one_error_line(code, err, "unknown encoder 'nope'", "valid: .*lexical")


def test_compare_of_two_files_with_the_same_name_gets_distinct_ids(tmp_path: Path) -> None:
    for folder, seed in (("a", JIANGXI), ("b", JIUJIANG)):
        (tmp_path / folder).mkdir()
        shutil.copy(seed, tmp_path / folder / "plan.txt")
    out = tmp_path / "out"
    argv = ["compare", str(tmp_path / "a" / "plan.txt"), str(tmp_path / "b" / "plan.txt"), "--out", str(out)]
    assert main([*argv, "--corpus", str(tmp_path / "no-corpus"), *FAST]) == 0
    measures = read_csv(out / "measures.csv")
    assert set(measures["plan_id"]) == {"plan", "plan-2"}
    assert not measures.duplicated(["plan_id", "measure_id"]).any()


def test_manifest_infer_skips_unreadable_documents_and_refuses_an_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    capsys.readouterr()
    one_error_line(
        main(["manifest", "--infer", str(docs)]), capsys.readouterr().err, str(docs), "no readable"
    )
    shutil.copy(JIANGXI, docs / JIANGXI.name)
    (docs / "broken.txt").write_bytes(JIANGXI.read_bytes()[:150])  # a truncated download
    assert main(["manifest", "--infer", str(docs)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith(f"align: warning: skipped {docs / 'broken.txt'}: ")
    assert len(captured.err.strip().splitlines()) == 1
    assert JIANGXI.name in captured.out and "broken.txt" not in captured.out


def _catches_sigterm(pid: int) -> bool:
    """Whether process ``pid`` has installed a SIGTERM handler (Linux: SigCgt in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_sigterm_before_writing_is_a_clean_interrupt(tmp_path: Path, corpus: Path, run_out: Path) -> None:
    if not ALIGN.exists():
        pytest.skip(f"console script {ALIGN} is not installed (pip install -e .)")
    out = tmp_path / "out"
    shutil.copytree(run_out, out)
    before = snapshot(out)
    proc = spawn_run(corpus, out, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and not _catches_sigterm(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(out) == before and staging_dirs(out) == []


def test_compare_and_run_do_not_share_an_output_folder(
    tmp_path: Path, run_out: Path, compare_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # each would remove the other's files when publishing: refused before any work
    run_copy, compare_copy = tmp_path / "run", tmp_path / "compare"
    shutil.copytree(run_out, run_copy)
    shutil.copytree(compare_out, compare_copy)
    before_run, before_compare = snapshot(run_copy), snapshot(compare_copy)
    assert main(["compare", str(JIANGXI), str(JIUJIANG), "--out", str(run_copy), *FAST]) == 2
    assert "holds the outputs of `align run`" in capsys.readouterr().err
    assert main(["run", "--corpus", str(DATA), "--out", str(compare_copy), *FAST]) == 2
    assert "holds the outputs of `align compare`" in capsys.readouterr().err
    assert snapshot(run_copy) == before_run and snapshot(compare_copy) == before_compare


def test_out_of_memory_is_one_line_and_leaves_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # a machine with less free memory than the pair needs: numpy's MemoryError, not its traceback
    from align.pipeline import Aligner

    out = tmp_path / "out"
    assert main(["compare", str(JIANGXI), str(JIUJIANG), "--out", str(out), *FAST]) == 0
    before = snapshot(out)
    capsys.readouterr()

    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError("Unable to allocate 722. MiB for an array with shape (9731, 9731)")

    monkeypatch.setattr(Aligner, "align", no_memory)
    assert main(["compare", str(JIANGXI), str(JIUJIANG), "--out", str(out), *FAST]) == 1
    err = capsys.readouterr().err
    assert err.startswith("align: error: out of memory (Unable to allocate 722. MiB") and err.count("\n") == 1
    assert "split the largest document" in err and "Traceback" not in err
    assert snapshot(out) == before and staging_dirs(out) == []


def test_max_memory_refuses_a_pair_in_one_line_and_none_lifts_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the pair limit is a user's setting: a small machine lowers it, a large one lifts it
    from align.cli import DEFAULT_MAX_MEMORY_GB
    from align.match import MAX_PAIR_MEMORY

    assert DEFAULT_MAX_MEMORY_GB * 2**30 == MAX_PAIR_MEMORY  # the help's default is the real one
    out = tmp_path / "out"
    code = main(["compare", str(JIANGXI), str(JIUJIANG), "--out", str(out), "--max-memory", "0.001", *FAST])
    err = capsys.readouterr().err
    one_error_line(
        code,
        err,
        "",
        rf"{JIUJIANG.name}: too large to align with jiangxi: .* more than the 1 MB allowed \(--max-memory\)",
    )
    assert not out.exists()
    assert (
        main(["compare", str(JIANGXI), str(JIUJIANG), "--out", str(out), "--max-memory", "none", *FAST]) == 0
    )
    assert (
        main(["compare", str(JIANGXI), str(JIUJIANG), "--out", str(out), "--max-memory", "2.5GB", *FAST]) == 0
    )


def test_plan_ids_resolve_through_an_excel_manifest(tmp_path: Path) -> None:
    import openpyxl

    corpus = copy_corpus(tmp_path)
    frame = read_csv(corpus / "plans.csv")
    (corpus / "plans.csv").unlink()
    book = openpyxl.Workbook()
    book.active.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        book.active.append(list(row))
    book.save(corpus / "plans.xlsx")
    out = tmp_path / "out"
    assert main(["compare", "jiangxi", "jiujiang", "--corpus", str(corpus), "--out", str(out), *FAST]) == 0
    assert set(read_csv(out / "alignment.csv")["child_plan"]) == {"jiujiang"}


def test_plan_ids_resolve_through_a_manifest_given_as_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["compare", "jiangxi", "jiujiang", "--corpus", str(DATA / "plans.csv"), "--out", str(out), *FAST]
    assert main(args) == 0
    assert set(read_csv(out / "alignment.csv")["child_plan"]) == {"jiujiang"}


def test_cache_notices_read_like_the_other_warnings(tmp_path: Path) -> None:
    """A damaged cache is set aside and rebuilt; the notice has the ``align: warning:`` prefix of
    every other warning, so that a user (or a script grepping stderr) sees it as one."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "measures.sqlite3").write_bytes(b"not a database, cut from a full disk" * 40)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    argv = [str(ALIGN), "compare", str(JIANGXI), str(JIUJIANG), "--out", str(tmp_path / "out")]
    proc = subprocess.run(
        [*argv, *FAST, "--cache-dir", str(cache)], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    notices = [line for line in proc.stderr.splitlines() if "measures.sqlite3" in line]
    assert notices and all(line.startswith("align: warning: ") for line in notices), proc.stderr
    assert "moved to" in notices[0]


def test_a_tilde_in_a_path_no_shell_expanded_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quoted ``~/…`` (from a script, an IDE, a config) is the home folder, as in the shell: not a
    folder called ``~`` made in the working folder, nor "does not exist"."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(JIUJIANG, home / "jiujiang.txt")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    assert main(["measures", "~/jiujiang.txt", "--csv", "~/measures.csv", "--width", "8"]) == 0
    assert (home / "measures.csv").is_file()
    assert main(["compare", str(JIANGXI), "~/jiujiang.txt", "--out", "~/out", *FAST]) == 0
    assert (home / "out" / "alignment.csv").is_file()
    assert not (work / "~").exists()
    assert str(home / "out") in capsys.readouterr().out
    # ~name of a user the system does not know: one line, exit 2 (it was a RuntimeError traceback)
    for argv in (
        ["run", "--corpus", "~nosuchuser-align/data", "--out", str(work / "o")],
        ["compare", "~nosuchuser-align/a.txt", str(JIUJIANG), "--out", str(work / "o"), *FAST],
    ):
        try:
            code = main(argv)
        except SystemExit as exc:  # an option's value: argparse's usage error
            code = int(exc.code or 0)
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
        assert "~nosuchuser-align/" in err and "home folder of a user this system does not know" in err
    with pytest.raises(InputError, match="home folder of a user this system does not know"):
        Corpus.load("~nosuchuser-align/data")
