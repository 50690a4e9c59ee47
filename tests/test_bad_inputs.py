"""Bad inputs through the CLI: every one exits with code 2 and one line naming the file (and the
manifest line), prints no traceback, and leaves the previous outputs in --out untouched.

Each bad corpus is a copy of the bundled one (data/plans.csv + data/plans/) with one thing broken.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from align.cli import main
from align.errors import InputError

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
GOLD = DATA / "gold" / "jiangxi_to_jiujiang.csv"
ALIGN = Path(sys.executable).with_name("align")
JIUJIANG = "000_db08bb93956ab56b.txt"
JIANGXI = "001_e9d6debd5c2ad4f8.txt"
FAST = ["--encoder", "lexical", "--no-progress"]
HEADER_LINE = "plan_id,file,jurisdiction,level,parent_id"

# manifest lines of the bundled plans.csv (line 1 is the header)
LINE = {"national-2021": 2, "jiangxi": 3, "jiujiang": 4}


# ---------------------------------------------------------------------------------------------
# helpers


def make_corpus(root: Path) -> Path:
    """A copy of the bundled corpus under ``root/corpus``."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(DATA / "plans.csv", corpus / "plans.csv")
    shutil.copytree(DATA / "plans", corpus / "plans")
    return corpus


def manifest_text(corpus: Path) -> str:
    return (corpus / "plans.csv").read_text(encoding="utf-8-sig")


def edit_manifest(corpus: Path, old: str, new: str) -> None:
    text = manifest_text(corpus)
    assert old in text, f"the bundled manifest changed: {old!r} not found"
    (corpus / "plans.csv").write_text("\ufeff" + text.replace(old, new, 1), encoding="utf-8")


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under ``folder`` (hidden ones included)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    """Staging folders and temporary files a failed command must not leave behind."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.startswith(".staging-")) + [
        str(p.relative_to(folder)) for p in folder.rglob("*.tmp")
    ]


def scanned_pdf(path: Path) -> None:
    """A one-page PDF holding only a picture (what a scanner produces)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig = plt.figure(figsize=(8.27, 11.69))
    fig.figimage(np.random.default_rng(0).random((200, 150)), xo=50, yo=50)
    fig.savefig(str(path))
    plt.close(fig)


@pytest.fixture(scope="module")
def previous_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good `align run` output of the bundled corpus (no figures, lexical encoder)."""
    out = tmp_path_factory.mktemp("previous") / "out"
    assert main(["run", "--corpus", str(DATA), "--out", str(out), "--no-figures", *FAST]) == 0
    assert (out / "alignment.csv").is_file() and (out / "run_summary.json").is_file()
    return out


@pytest.fixture
def out(tmp_path: Path, previous_output: Path) -> Path:
    """An --out folder that already holds a previous good output."""
    target = tmp_path / "out"
    shutil.copytree(previous_output, target)
    return target


# ---------------------------------------------------------------------------------------------
# the matrix


@dataclass(frozen=True)
class Bad:
    """One bad input.

    Parameters
    ----------
    name : test id.
    setup : (tmp folder, --out folder) → (argv, where): breaks a copy of the corpus and returns
        the command line and the location the message must start with (file, or file:line).
    message : regular expression the rest of the message must match.
    """

    name: str
    setup: Callable[[Path, Path], tuple[list[str], str]]
    message: str


def run_with_document(
    data: bytes, plan_file: str = JIUJIANG
) -> Callable[[Path, Path], tuple[list[str], str]]:
    def setup(tmp: Path, out: Path) -> tuple[list[str], str]:
        corpus = make_corpus(tmp)
        (corpus / "plans" / plan_file).write_bytes(data)
        return ["run", "--corpus", str(corpus), "--out", str(out), *FAST], str(corpus / "plans" / plan_file)

    return setup


def run_with_manifest(old: str, new: str, line: int | None) -> Callable[[Path, Path], tuple[list[str], str]]:
    def setup(tmp: Path, out: Path) -> tuple[list[str], str]:
        corpus = make_corpus(tmp)
        edit_manifest(corpus, old, new)
        where = str(corpus / "plans.csv") + (f":{line}" if line else "")
        return ["run", "--corpus", str(corpus), "--out", str(out), *FAST], where

    return setup


def _empty_manifest(tmp: Path, out: Path) -> tuple[list[str], str]:
    corpus = make_corpus(tmp)
    (corpus / "plans.csv").write_bytes(b"")
    return ["run", "--corpus", str(corpus), "--out", str(out), *FAST], f"{corpus / 'plans.csv'}:1"


def _scanned_pdf(tmp: Path, out: Path) -> tuple[list[str], str]:
    corpus = make_corpus(tmp)
    (corpus / "plans" / JIUJIANG).unlink()
    scanned_pdf(corpus / "plans" / "jiujiang_scan.pdf")
    edit_manifest(corpus, JIUJIANG, "jiujiang_scan.pdf")
    return ["run", "--corpus", str(corpus), "--out", str(out), *FAST], str(
        corpus / "plans" / "jiujiang_scan.pdf"
    )


def _corpus_missing(tmp: Path, out: Path) -> tuple[list[str], str]:
    missing = tmp / "no-such-corpus"
    return ["run", "--corpus", str(missing), "--out", str(out), *FAST], str(missing)


def _corpus_is_a_document(tmp: Path, out: Path) -> tuple[list[str], str]:
    document = make_corpus(tmp) / "plans" / JIUJIANG
    return ["run", "--corpus", str(document), "--out", str(out), *FAST], str(document)


def _plans_folder_is_a_file(tmp: Path, out: Path) -> tuple[list[str], str]:
    corpus = make_corpus(tmp)
    shutil.rmtree(corpus / "plans")
    (corpus / "plans").write_text("not a folder", encoding="utf-8")
    return [
        "run",
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        *FAST,
    ], f"{corpus / 'plans.csv'}:{LINE['jiangxi']}"


def _compare_dangling_link(tmp: Path, out: Path) -> tuple[list[str], str]:
    link = tmp / "jiangxi.txt"
    link.symlink_to(tmp / "moved-away.txt")
    return ["compare", str(link), str(DATA / "plans" / JIUJIANG), "--out", str(out), *FAST], str(link)


def _compare_unknown_plan(tmp: Path, out: Path) -> tuple[list[str], str]:
    corpus = make_corpus(tmp)
    return ["compare", "jiangxi", "wuhan", "--corpus", str(corpus), "--out", str(out), *FAST], "wuhan"


def _evaluate_gold_missing_columns(tmp: Path, out: Path) -> tuple[list[str], str]:
    gold = tmp / "gold.csv"
    # the real gold file with its child columns cut off
    lines = GOLD.read_text(encoding="utf-8-sig").splitlines()[:4]
    gold.write_text("\n".join(",".join(line.split(",")[:2]) for line in lines) + "\n", encoding="utf-8")
    return ["evaluate", str(out / "alignment.csv"), str(gold)], f"{gold}:1"


def _evaluate_gold_truncated(tmp: Path, out: Path) -> tuple[list[str], str]:
    gold = tmp / "gold.csv"
    # the real gold file, its copy interrupted inside a Chinese character
    gold.write_bytes(_cut_mid_character(GOLD.read_bytes(), len(GOLD.read_bytes()) // 2))
    return ["evaluate", str(out / "alignment.csv"), str(gold)], str(gold)


def _evaluate_gold_ragged(tmp: Path, out: Path) -> tuple[list[str], str]:
    gold = tmp / "gold.csv"
    # the real gold file whose third line lost its child anchor, label and evidence
    lines = GOLD.read_text(encoding="utf-8-sig").splitlines()[:4]
    lines[2] = ",".join(lines[2].split(",")[:3])
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["evaluate", str(out / "alignment.csv"), str(gold)], f"{gold}:3"


def _seed_bytes(name: str) -> bytes:
    return (DATA / "plans" / name).read_bytes()


def _cut_mid_character(data: bytes, near: int) -> bytes:
    """``data`` cut inside a multi-byte UTF-8 character at or after byte ``near``."""
    cut = near
    while data[cut] & 0xC0 != 0x80:  # advance to a continuation byte
        cut += 1
    return data[:cut]


RANDOM_BYTES = random.Random(7).randbytes(6000)
LATIN1_TEXT = (
    "Plan de développement. Résumé : la façade du musée sera rénovée ; naïveté, coût élevé, "
    "à réaliser en été. " * 4
).encode("latin-1")
ERROR_PAGE = (
    "404 Not Found. The requested page could not be found on this server. It may have been moved "
    "or deleted. Please check the address and try again, or return to the home page of the portal. " * 2
).encode("utf-8")

BAD_INPUTS = [
    Bad("doc-random-bytes", run_with_document(RANDOM_BYTES), r"binary or in an unknown text encoding"),
    Bad("doc-latin1", run_with_document(LATIN1_TEXT), r"unknown text encoding|no measures found"),
    Bad("doc-empty", run_with_document(b""), r"is empty"),
    Bad("doc-whitespace-only", run_with_document(" \n\t\r\n\u3000\u3000\n  ".encode("utf-8")), r"is empty"),
    Bad("doc-binary-gzip", run_with_document(gzip.compress(_seed_bytes(JIUJIANG))), r"binary"),
    Bad("doc-no-measures", run_with_document(ERROR_PAGE), r"no measures found"),
    Bad(
        "doc-truncated-mid-character",
        run_with_document(_cut_mid_character(_seed_bytes(JIUJIANG), 900)),
        "truncated",
    ),
    Bad(
        "doc-truncated-short", run_with_document(_seed_bytes(JIANGXI)[:150], JIANGXI), r"too short.*truncated"
    ),
    Bad("doc-scanned-pdf", _scanned_pdf, r"scanned.*OCR"),
    Bad(
        "manifest-missing-columns",
        run_with_manifest(HEADER_LINE, "plan_id,file,jurisdiction,level,parent", 1),
        r"missing column.*parent_id",
    ),
    Bad(
        "manifest-duplicate-plan-id",
        run_with_manifest("neimenggu,004_", "jiangxi,004_", 5),
        r"duplicate plan_id 'jiangxi'.*line 3",
    ),
    Bad(
        "manifest-unknown-parent",
        run_with_manifest("九江市,municipal,jiangxi,", "九江市,municipal,jiang-xi,", LINE["jiujiang"]),
        r"parent_id 'jiang-xi' of plan 'jiujiang'",
    ),
    Bad(
        "manifest-parent-cycle",
        run_with_manifest("national-2021,,全国,national,,", "national-2021,,全国,national,jiujiang,", 2),
        r"parent cycle: national-2021 → jiujiang → jiangxi → national-2021",
    ),
    Bad(
        "manifest-missing-file",
        run_with_manifest(JIUJIANG, "000_missing.txt", LINE["jiujiang"]),
        r"file '000_missing.txt' of plan 'jiujiang' does not exist",
    ),
    Bad(
        "manifest-unknown-level",
        run_with_manifest("九江市,municipal", "九江市,township", LINE["jiujiang"]),
        r"unknown level 'township'",
    ),
    Bad(
        "manifest-child-above-parent",
        run_with_manifest("九江市,municipal", "九江市,national", LINE["jiujiang"]),
        r"'jiujiang' is national but its parent 'jiangxi' is provincial",
    ),
    Bad("manifest-empty", _empty_manifest, r"manifest is empty"),
    Bad(
        "manifest-bad-population",
        run_with_manifest(",4600276", ",about 4.6 million", LINE["jiujiang"]),
        r"population 'about 4.6 million' is not a positive number",
    ),
    Bad(
        "manifest-impossible-issued",
        run_with_manifest(",2022-10-31,", ",2022-02-30,", LINE["jiujiang"]),
        r"issued '2022-02-30' is not a real date",
    ),
    Bad(
        "manifest-unreadable-issued",
        run_with_manifest(",2022-10-31,", ",二〇二二年一月,", LINE["jiujiang"]),
        r"issued '二〇二二年一月' is not a date",
    ),
    Bad(  # a NUL in a title once ended the run, after all the work, with lxml's traceback
        "manifest-control-character",
        run_with_manifest("九江市全民科学", "九江市\x00全民科学", LINE["jiujiang"]),
        r"the title '九江市\\x00全民科学.*' holds the control character U\+0000",
    ),
    Bad("corpus-folder-missing", _corpus_missing, r"corpus folder does not exist"),
    Bad("compare-unknown-plan-id", _compare_unknown_plan, r"neither a plan id.*plans\.csv"),
    Bad("corpus-is-a-document", _corpus_is_a_document, r"is a plan document, not a manifest"),
    Bad(
        "plans-folder-is-a-file", _plans_folder_is_a_file, r"plans is a file, not the folder of the documents"
    ),
    Bad(
        "compare-dangling-link",
        _compare_dangling_link,
        r"is a link to .*moved-away\.txt, which leads to no file",
    ),
    Bad(
        "evaluate-gold-missing-columns",
        _evaluate_gold_missing_columns,
        r"missing columns: child_doc, child_anchor",
    ),
    Bad("evaluate-gold-ragged", _evaluate_gold_ragged, r"row has 3 values but the header has 6 columns"),
    Bad(
        "evaluate-gold-truncated", _evaluate_gold_truncated, r"is truncated: it ends in the middle of a UTF-8"
    ),
]
BY_NAME = {bad.name: bad for bad in BAD_INPUTS}


def check_error(code: int, stderr: str, where: str, message: str) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    prefix = f"align: error: {where}"
    assert lines[0].startswith(prefix + ":") or lines[0].startswith(prefix + " "), lines[0]
    assert re.search(message, lines[0][len(prefix) :]), lines[0]


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: b.name)
def test_bad_input_exits_2_names_the_file_and_keeps_previous_outputs(
    bad: Bad, tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(out)
    argv, where = bad.setup(tmp_path, out)
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    check_error(code, captured.err, where, bad.message)
    assert captured.out == ""
    assert snapshot(out) == before, "a failed command changed the previous outputs"
    assert leftovers(out) == []


def test_matrix_is_large_enough() -> None:
    assert len(BAD_INPUTS) >= 15
    assert len(BY_NAME) == len(BAD_INPUTS)


@pytest.mark.parametrize("name", ["manifest-duplicate-plan-id", "doc-random-bytes"])
def test_console_script_prints_one_line_and_no_traceback(name: str, tmp_path: Path, out: Path) -> None:
    if not ALIGN.exists():
        pytest.skip(f"console script {ALIGN} is not installed (pip install -e .)")
    bad = BY_NAME[name]
    before = snapshot(out)
    argv, where = bad.setup(tmp_path, out)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [str(ALIGN), *argv], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    check_error(proc.returncode, proc.stderr, where, bad.message)
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_verbose_raises_the_error_with_its_traceback(tmp_path: Path, out: Path) -> None:
    argv, where = BY_NAME["manifest-unknown-level"].setup(tmp_path, out)
    with pytest.raises(InputError, match="unknown level 'township'") as err:
        main(["--verbose", *argv])
    assert str(err.value).startswith(where)


def test_keep_going_skips_the_broken_plan_and_lists_it(tmp_path: Path, out: Path) -> None:
    """Jiangxi's document is truncated: with --keep-going the run succeeds without it, and the
    summary says why Jiangxi and its child Jiujiang are missing."""
    corpus = make_corpus(tmp_path)
    broken = corpus / "plans" / JIANGXI
    broken.write_bytes(_cut_mid_character(_seed_bytes(JIANGXI), 900))
    args = ["run", "--corpus", str(corpus), "--out", str(out), "--no-figures", *FAST]
    assert main(args) == 2  # without --keep-going it stops
    assert main([*args, "--keep-going"]) == 0
    summary = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    skipped = [note for note in summary["notes"] if note.startswith("skipped jiangxi")]
    assert len(skipped) == 1 and str(broken) in skipped[0] and "truncated" in skipped[0]
    assert any(note.startswith("jiujiang:") and "jiangxi" in note for note in summary["notes"])
    assert "jiangxi" not in summary["measures"]
    assert {"jiujiang", "neimenggu", "dazhang", "guangxi"} <= set(summary["measures"])
    assert summary["pairs"] == []
    import pandas as pd

    measures = pd.read_csv(out / "measures.csv", encoding="utf-8-sig", keep_default_na=False)
    assert "jiangxi" not in set(measures["plan_id"])
    assert leftovers(out) == []


def test_unknown_encoder_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "compare",
            str(DATA / "plans" / JIANGXI),
            str(DATA / "plans" / JIUJIANG),
            "--out",
            str(tmp_path / "x"),
            "--encoder",
            "no-such-encoder",
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("align: error:") and "unknown encoder 'no-such-encoder'" in err
    assert not (tmp_path / "x").exists() or leftovers(tmp_path / "x") == []


# ---------------------------------------------------------------------------------------------
# output folder and graph mistakes, stale files of earlier runs


def test_out_is_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "results.csv"
    target.write_text("keep me\n", encoding="utf-8")
    code = main(
        [
            "compare",
            str(DATA / "plans" / JIANGXI),
            str(DATA / "plans" / JIUJIANG),
            "--out",
            str(target),
            *FAST,
        ]
    )
    check_error(code, capsys.readouterr().err, str(target), r".")
    assert target.read_text(encoding="utf-8") == "keep me\n"


def test_trace_with_a_corrupt_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = tmp_path / "graph.graphml"
    graph.write_text('<?xml version="1.0"?><graphml><graph><node id="a"', encoding="utf-8")
    code = main(["trace", "二.(一).1", "--graph", str(graph)])
    check_error(code, capsys.readouterr().err, str(graph), r".")


def test_a_new_run_leaves_no_outputs_of_pairs_it_no_longer_has(tmp_path: Path, out: Path) -> None:
    assert (out / "html" / "jiangxi__jiujiang.html").is_file()
    corpus = make_corpus(tmp_path)
    (corpus / "plans" / JIUJIANG).write_bytes(b"")
    argv = ["run", "--corpus", str(corpus), "--out", str(out), "--no-figures", "--keep-going", *FAST]
    assert main(argv) == 0
    assert ["jiangxi", "jiujiang"] not in json.loads((out / "run_summary.json").read_text(encoding="utf-8"))[
        "pairs"
    ]
    assert not (out / "html" / "jiangxi__jiujiang.html").exists()


# ---------------------------------------------------------------------------------------------
# Ctrl-C that a library loses: raised in a weak-reference callback (Python prints "Exception
# ignored" and carries on: matplotlib's drawing runs many) or turned into another error by C code
# (matplotlib's SVG writer: "ValueError: Invalid affine transformation matrix")


def _ctrl_c_lost_in_a_callback() -> None:
    import signal
    import weakref

    class Artist:
        pass

    artist = Artist()
    ref = weakref.ref(artist, lambda _: signal.raise_signal(signal.SIGINT))
    del artist
    assert ref() is None


def _ctrl_c_turned_into_another_error() -> None:
    import signal

    try:
        signal.raise_signal(signal.SIGINT)
    except KeyboardInterrupt:
        raise ValueError("Invalid affine transformation matrix") from None


@pytest.mark.parametrize("lost", [_ctrl_c_lost_in_a_callback, _ctrl_c_turned_into_another_error])
def test_a_ctrl_c_a_library_loses_still_interrupts_and_publishes_nothing(
    lost: Callable[[], None],
    tmp_path: Path,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import signal

    import align.output

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("the test runner handles Ctrl-C itself")
    corpus = make_corpus(tmp_path)
    (corpus / "plans" / JIUJIANG).write_bytes(b"")  # a run that would change the outputs
    before = snapshot(out)
    write_csv = align.output.write_csv
    calls = []

    def write_csv_interrupted(*args: object, **kwargs: object) -> object:
        if not calls:
            calls.append(1)
            lost()
        return write_csv(*args, **kwargs)

    monkeypatch.setattr(align.output, "write_csv", write_csv_interrupted)
    capsys.readouterr()
    code = main(["run", "--corpus", str(corpus), "--out", str(out), "--no-figures", "--keep-going", *FAST])
    err = capsys.readouterr().err
    assert calls and code == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.strip().splitlines()[-1] == "align: interrupted; outputs left as they were"
    assert snapshot(out) == before
    assert leftovers(out) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # the interrupt ended with its command: the next one (a notebook's, a test's) is not stopped
    from align.fileio import check_interrupted

    check_interrupted()


def test_a_leaf_plan_without_a_document_is_noted_not_silently_left_out(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file cell holding only spaces reads as "no document", which stands for a parent not in
    the corpus; a plan without children then has nothing to align, and the run says so instead of
    dropping the pair without a word."""
    # the bundled corpus, whose plans without a document all have children, gets no such note
    before = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    assert not any("nothing to align" in note for note in before["notes"])
    corpus = make_corpus(tmp_path)
    edit_manifest(corpus, JIUJIANG, "   ")
    capsys.readouterr()
    assert main(["run", "--corpus", str(corpus), "--out", str(out), "--no-figures", *FAST]) == 0
    note = "jiujiang: no document (its file is empty in the manifest) and no child plan; nothing to align"
    assert f"note: {note}" in capsys.readouterr().err.splitlines()
    summary = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    assert note in summary["notes"] and ["jiangxi", "jiujiang"] not in summary["pairs"]
