"""Output safety: the ledger of commands, the folder lock, all-or-nothing publishing, SIGTERM,
HTML page names and unwritable folders (align.fileio, align.output, align.report)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from align.errors import AlignError, InputError
from align.fileio import StagedOutput, read_ledger, sigterm_as_interrupt, staged_output
from align.models import ALIGNMENT_COLUMNS
from align.report import page_names, write_all_html
from tests.conftest import ROOT, seed_text

GOAL = "公民具备科学素质的比例力争达到15%"


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    """A folder holding what a run of `align run` published (seed text as content)."""
    out = tmp_path / "out"
    with staged_output(out, command="run") as stage:
        (stage / "alignment.csv").write_text(seed_text("jiangxi"), encoding="utf-8")
        (stage / "html").mkdir()
        (stage / "html" / "jiangxi__jiujiang.html").write_text(GOAL, encoding="utf-8")
    return out


def published(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def hidden_folders(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.is_dir() and p.name.startswith("."))


# -- 1. another command does not remove a run's outputs -------------------------------------------


def test_compare_refuses_a_folder_of_run(run_folder: Path) -> None:
    before = published(run_folder)
    with (
        pytest.raises(AlignError, match=r"holds the outputs of `align run`.*`align compare`.*another --out"),
        staged_output(run_folder, command="compare") as stage,
    ):
        (stage / "alignment.csv").write_text("x", encoding="utf-8")
    assert published(run_folder) == before and hidden_folders(run_folder) == []
    # a writer that does not name itself (the CLI's compare of older versions) is refused too
    with pytest.raises(AlignError, match="holds the outputs of `align run`"):
        StagedOutput(run_folder)


def test_same_command_still_removes_its_stale_files(run_folder: Path) -> None:
    with staged_output(run_folder, command="run") as stage:
        (stage / "alignment.csv").write_text(seed_text("jiujiang"), encoding="utf-8")
    assert published(run_folder) == {"alignment.csv": seed_text("jiujiang")}
    assert read_ledger(run_folder) == ("run", {"alignment.csv"})


def test_a_ledger_without_command_is_compatible(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text(GOAL, encoding="utf-8")
    (out / ".align-outputs").write_text("old.csv\n", encoding="utf-8")  # an older version's ledger
    with staged_output(out, command="compare") as stage:
        (stage / "alignment.csv").write_text(GOAL, encoding="utf-8")
    assert published(out) == {"alignment.csv": GOAL}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_where_an_output_goes_is_the_users_too(tmp_path: Path) -> None:
    from align.fileio import check_output_folder

    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "alignment.csv")
    with pytest.raises(InputError, match="alignment.csv is a file that align did not write"):
        check_output_folder(out, "compare", ["alignment.csv"])
    assert (out / "alignment.csv").exists() and not (out / "alignment.csv").is_file()


def test_a_file_align_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    """The user's own alignment.csv in the folder: refused before any work and at publishing."""
    from align.fileio import check_output_folder

    out = tmp_path / "out"
    out.mkdir()
    (out / "alignment.csv").write_text("my notes\n", encoding="utf-8")
    (out / "notes.txt").write_text("mine too\n", encoding="utf-8")
    with pytest.raises(InputError, match="alignment.csv is a file that align did not write"):
        check_output_folder(out, "compare", ["alignment.csv", "measures.csv"])
    check_output_folder(out, "compare", ["measures.csv"])  # other names are fine
    with (
        pytest.raises(InputError, match="alignment.csv is a file that align did not write"),
        staged_output(out, command="compare") as stage,
    ):
        (stage / "alignment.csv").write_text(GOAL, encoding="utf-8")
    assert published(out) == {"alignment.csv": "my notes\n", "notes.txt": "mine too\n"}
    assert hidden_folders(out) == []
    # once the user moves it, align writes there and its ledger vouches for the file from then on
    (out / "alignment.csv").unlink()
    for text in (GOAL, seed_text("jiujiang")):
        with staged_output(out, command="compare") as stage:
            (stage / "alignment.csv").write_text(text, encoding="utf-8")
    assert published(out) == {"alignment.csv": seed_text("jiujiang"), "notes.txt": "mine too\n"}


def test_an_output_edited_since_the_run_is_never_replaced(run_folder: Path) -> None:
    """alignment.csv annotated in Excel, or a stale page edited: refused before any work and at
    publishing (the ledger records each file's SHA-256); once moved away, the run goes on."""
    from align.fileio import check_output_folder

    annotated = seed_text("jiangxi") + "我的批注\n"
    (run_folder / "alignment.csv").write_text(annotated, encoding="utf-8")
    message = r"alignment.csv was changed after align wrote it; .*move it away"
    with pytest.raises(InputError, match=message):
        check_output_folder(run_folder, "run", ["alignment.csv"])
    with pytest.raises(InputError, match=message), staged_output(run_folder, command="run") as stage:
        (stage / "alignment.csv").write_text(GOAL, encoding="utf-8")
    assert published(run_folder)["alignment.csv"] == annotated
    assert hidden_folders(run_folder) == []

    # an edited output the new run would remove as stale is kept as well
    (run_folder / "alignment.csv").write_text(seed_text("jiangxi"), encoding="utf-8")  # as published
    (run_folder / "html" / "jiangxi__jiujiang.html").write_text(GOAL + "。", encoding="utf-8")
    with pytest.raises(InputError, match=r"html/jiangxi__jiujiang.html was changed"):
        check_output_folder(run_folder, "run", ["alignment.csv"])

    # moved away (or deleted): nothing of the user's is at stake any more
    (run_folder / "html" / "jiangxi__jiujiang.html").unlink()
    with staged_output(run_folder, command="run") as stage:
        (stage / "alignment.csv").write_text(GOAL, encoding="utf-8")
    assert published(run_folder) == {"alignment.csv": GOAL}
    ledger = (run_folder / ".align-outputs").read_text(encoding="utf-8")
    assert ledger.splitlines()[1].startswith("alignment.csv\tsha256:")


def test_a_ledger_of_an_older_version_vouches_without_checksums(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "alignment.csv").write_text("edited or not: unknown\n", encoding="utf-8")
    (out / ".align-outputs").write_text("#command compare\nalignment.csv\n", encoding="utf-8")
    with staged_output(out, command="compare") as stage:
        (stage / "alignment.csv").write_text(GOAL, encoding="utf-8")
    assert published(out) == {"alignment.csv": GOAL}


@pytest.mark.parametrize("ledger", ["binary", "folder"])
def test_a_broken_ledger_is_an_error_naming_it_before_any_work(tmp_path: Path, ledger: str) -> None:
    from align.fileio import check_output_folder

    out = tmp_path / "out"
    out.mkdir()
    if ledger == "binary":
        (out / ".align-outputs").write_bytes(b"\xff\xfe\x00garbage")
    else:
        (out / ".align-outputs").mkdir()
    with pytest.raises(InputError, match=r"\.align-outputs: .*move it away or choose another --out"):
        check_output_folder(out, "compare", ["alignment.csv"])


def test_a_ledger_saved_with_a_bom_still_names_its_command(run_folder: Path) -> None:
    """A ledger opened and saved in an editor that adds a BOM (Notepad): its command line was no
    longer recognised, so `compare` took the folder of `run` and removed the run's outputs."""
    ledger = run_folder / ".align-outputs"
    ledger.write_bytes(b"\xef\xbb\xbf" + ledger.read_bytes().replace(b"\n", b"\r\n"))
    before = published(run_folder)
    with (
        pytest.raises(AlignError, match="holds the outputs of `align run`"),
        staged_output(run_folder, command="compare") as stage,
    ):
        (stage / "alignment.csv").write_text(GOAL, encoding="utf-8")
    assert published(run_folder) == before
    assert read_ledger(run_folder) == ("run", {"alignment.csv", "html/jiangxi__jiujiang.html"})


def test_a_malformed_checksum_names_the_ledger_and_line(run_folder: Path) -> None:
    """A checksum edited by hand (not 64 hex digits) was reported as the output being changed."""
    from align.fileio import check_output_folder

    ledger = run_folder / ".align-outputs"
    lines = ledger.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("alignment.csv\tsha256:")
    ledger.write_text("\n".join([lines[0], lines[1][:-3] + "xyz", *lines[2:]]) + "\n", encoding="utf-8")
    before = published(run_folder)
    message = r"\.align-outputs: line 2: the checksum of alignment.csv is not a SHA-256"
    with pytest.raises(InputError, match=message):
        check_output_folder(run_folder, "run", ["alignment.csv"])
    # upper-case hex digits are a checksum all the same
    name, digest = lines[1].split("\tsha256:")
    upper = "\n".join([lines[0], f"{name}\tsha256:{digest.upper()}", *lines[2:]]) + "\n"
    ledger.write_text(upper, encoding="utf-8")
    check_output_folder(run_folder, "run", ["alignment.csv"])
    assert published(run_folder) == before


def test_a_folder_where_an_output_goes_is_refused_before_any_work(run_folder: Path) -> None:
    from align.fileio import check_output_folder

    (run_folder / "alignment.csv").unlink()
    (run_folder / "alignment.csv").mkdir()
    (run_folder / "alignment.csv" / "notes.txt").write_text(GOAL, encoding="utf-8")
    with pytest.raises(InputError, match="alignment.csv: a folder stands where the outputs need a file"):
        check_output_folder(run_folder, "run", ["alignment.csv"])
    assert (run_folder / "alignment.csv" / "notes.txt").read_text(encoding="utf-8") == GOAL


@pytest.mark.parametrize("target", ["moved/out", "out"])  # a link to nowhere, a link to itself
def test_an_output_folder_that_is_a_link_to_nowhere_is_refused_before_any_work(
    tmp_path: Path, target: str
) -> None:
    from align.fileio import check_output_folder

    link = tmp_path / "out"
    link.symlink_to(tmp_path / target)
    with pytest.raises(InputError) as err:
        check_output_folder(link, "compare", ["alignment.csv"])
    assert str(err.value) == (
        f"{link}: output folder is a link to {tmp_path / target}, which leads to no folder; create that "
        "folder or choose another --out"
    )


def test_a_single_file_writer_is_refused_an_output_the_user_edited(run_folder: Path) -> None:
    """`report --html` or `measures --csv` onto an output a run recorded: refused once the user
    changed it (its checksum in the ledger of the folder above no longer matches), else allowed."""
    from align.fileio import check_recorded_output

    page = run_folder / "html" / "jiangxi__jiujiang.html"
    check_recorded_output(page)  # as the run wrote it
    check_recorded_output(run_folder / "html" / "other.html")  # not there: nothing to lose
    page.write_text(GOAL + "（我的批注）", encoding="utf-8")
    with pytest.raises(InputError, match=r"jiangxi__jiujiang.html: was changed after `align run` wrote it"):
        check_recorded_output(page)
    with pytest.raises(InputError, match="was changed after"):
        check_recorded_output(run_folder / "html" / ".." / "html" / "jiangxi__jiujiang.html")
    (run_folder / "notes.csv").write_text(GOAL, encoding="utf-8")
    check_recorded_output(run_folder / "notes.csv")  # not an output: the CLI judges its kind


def test_a_stale_ledger_entry_never_removes_a_file_outside_the_folder(tmp_path: Path) -> None:
    """A ledger entry under a symbolic link, or with .., names no file align may remove."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "lnk").symlink_to(mine)
    (out / ".align-outputs").write_text(
        "#command compare\nlnk/notes.txt\n../mine/notes.txt\n", encoding="utf-8"
    )
    with staged_output(out, command="compare") as stage:
        (stage / "alignment.csv").write_text(GOAL, encoding="utf-8")
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep\n"
    assert (out / "alignment.csv").read_text(encoding="utf-8") == GOAL


# -- 2. one writer at a time ----------------------------------------------------------------------


def test_a_second_writer_is_refused_and_the_first_keeps_its_staging(run_folder: Path) -> None:
    first = StagedOutput(run_folder, command="run")
    (first.path / "alignment.csv").write_text(seed_text("jiujiang"), encoding="utf-8")
    with pytest.raises(AlignError, match="is being written by another align process"):
        StagedOutput(run_folder, command="run")
    assert (first.path / "alignment.csv").is_file()
    first.publish()
    assert published(run_folder) == {"alignment.csv": seed_text("jiujiang")}
    StagedOutput(run_folder, command="run").discard()  # the lock was released


# -- 3. publishing is all or nothing --------------------------------------------------------------


def test_a_file_where_a_folder_goes_is_reported_before_anything_moves(run_folder: Path) -> None:
    (run_folder / "html" / "jiangxi__jiujiang.html").unlink()
    (run_folder / "html").rmdir()
    (run_folder / "html").write_text("x\n", encoding="utf-8")
    before = published(run_folder)
    with (
        pytest.raises(InputError, match="html: a file stands where the outputs need a folder"),
        staged_output(run_folder, command="run") as stage,
    ):
        (stage / "alignment.csv").write_text(seed_text("guangxi"), encoding="utf-8")
        (stage / "html").mkdir()
        (stage / "html" / "jiangxi__jiujiang.html").write_text("new", encoding="utf-8")
    assert published(run_folder) == before and hidden_folders(run_folder) == []


def test_a_failed_move_rolls_everything_back(run_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = published(run_folder)
    real_replace = os.replace

    def fail_on_html(src: str | Path, dest: str | Path) -> None:
        if Path(dest).name == "jiangxi__jiujiang.html" and ".staging-" in str(src):
            raise OSError(28, "No space left on device")
        real_replace(src, dest)

    with (
        pytest.raises(AlignError, match="could not publish.*previous outputs were restored"),
        staged_output(run_folder, command="run") as stage,
    ):
        (stage / "alignment.csv").write_text(seed_text("guangxi"), encoding="utf-8")
        (stage / "extra.csv").write_text("new", encoding="utf-8")
        (stage / "html").mkdir()
        (stage / "html" / "jiangxi__jiujiang.html").write_text("new", encoding="utf-8")
        monkeypatch.setattr(os, "replace", fail_on_html)
    monkeypatch.undo()
    assert published(run_folder) == before and hidden_folders(run_folder) == []
    assert read_ledger(run_folder)[1] == {"alignment.csv", "html/jiangxi__jiujiang.html"}


# -- 4. SIGTERM unwinds like Ctrl-C ---------------------------------------------------------------


SIGTERM_SCRIPT = """
import os, signal, sys
from align.fileio import staged_output
try:
    with staged_output(sys.argv[1], command="run") as stage:
        (stage / "alignment.csv").write_text("new", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGTERM)
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_sigterm_while_staging_leaves_the_outputs_and_no_staging(run_folder: Path) -> None:
    # in a child process: without the handler SIGTERM would end the test session itself
    proc = subprocess.run([sys.executable, "-c", SIGTERM_SCRIPT, str(run_folder)], cwd=ROOT, timeout=120)
    assert proc.returncode == 130
    assert published(run_folder)["alignment.csv"] == seed_text("jiangxi")
    assert hidden_folders(run_folder) == []


def test_sigterm_as_interrupt_restores_the_previous_handler() -> None:
    before = signal.getsignal(signal.SIGTERM)
    restore = sigterm_as_interrupt()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) == before


# -- 5. HTML page names ---------------------------------------------------------------------------


def pair_frame(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    text = seed_text("jiangxi").splitlines()[0]
    rows = [
        {
            **dict.fromkeys(ALIGNMENT_COLUMNS, ""),
            "parent_plan": p,
            "child_plan": c,
            "parent_measure": "一",
            "child_measure": "一",
            "parent_text": text,
            "child_text": f"{c}{text}",
            "similarity": "1.0",
            "status": "inherited",
        }
        for p, c in pairs
    ]
    return pd.DataFrame(rows, columns=list(ALIGNMENT_COLUMNS))


def test_pages_of_different_pairs_never_share_a_name(tmp_path: Path) -> None:
    long_id = "江西省全民科学素质行动规划纲要实施方案" * 2 + "（2021—2025年）"
    pairs = [("jiangxi", "c:1"), ("jiangxi", "c?1"), ("a__b", "c"), ("a", "b__c"), (long_id, long_id + "甲")]
    written = write_all_html(tmp_path / "html", pair_frame(pairs))
    assert len({p.name.lower() for p in written}) == len(pairs)
    assert all(len(p.name.encode("utf-8")) <= 120 and p.name.endswith(".html") for p in written)
    for (_, child), path in zip(pairs, written, strict=True):
        assert child in path.read_text(encoding="utf-8")  # each page is its own pair's
    # names that do not collide stay readable; colliding ones do not depend on the pair order
    plain = page_names([("jiangxi", "jiujiang"), ("consensus:national-2021", "jiangxi")])
    assert plain == ["jiangxi__jiujiang.html", "consensus_national-2021__jiangxi.html"]
    cased = page_names([("A", "b"), ("a", "b")])
    assert len({n.lower() for n in cased}) == 2 and page_names([("a", "b"), ("A", "b")]) == cased[::-1]


# -- 6. an unwritable folder ----------------------------------------------------------------------


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()

    def denied(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", denied)  # as root, chmod 0555 would not deny
    with pytest.raises(InputError, match="cannot write into the output folder: Permission denied") as err:
        StagedOutput(out, command="run")
    assert str(out) in str(err.value)


def test_text_cells_excel_would_read_as_formulas_are_written_as_text(tmp_path: Path) -> None:
    """A heading "二、=HYPERLINK(…)" was written as it is: Excel and WPS run it (and show #NAME?
    for a bullet such as "-加强…"); the CSV keeps it as text behind an apostrophe."""
    import csv

    from align.cli import main

    text = seed_text("jiujiang").replace("二、提升行动", '二、=HYPERLINK("http://x","提升行动")', 1)
    plan = tmp_path / "jiujiang.txt"
    plan.write_text(text, encoding="utf-8")
    assert main(["measures", str(plan), "--csv", str(tmp_path / "m.csv")]) == 0
    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not c[1:2].isdigit())]


def test_a_drafted_manifest_with_formula_like_names_loads_back(tmp_path: Path) -> None:
    """Escaping formula-like cells made `manifest --out` write '+jiangxi.txt, which no file is."""
    from align.cli import main
    from align.corpus import Corpus

    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "+jiangxi.txt").write_text(seed_text("jiangxi"), encoding="utf-8")
    (plans / "=jiujiang.txt").write_text(seed_text("jiujiang"), encoding="utf-8")
    assert main(["manifest", "--infer", str(plans), "--out", str(tmp_path / "plans.csv")]) == 0
    corpus = Corpus.load(tmp_path)
    assert sorted(m.file for m in corpus.metas.values() if m.file) == ["+jiangxi.txt", "=jiujiang.txt"]


def test_a_consensus_plan_is_named_for_the_plans_whose_consensus_it_is() -> None:
    # charts and reports called it 全国（共识 consensus）, and read as the national plan, while its
    # measures are the text of the sibling provinces
    from align.corpus import Corpus
    from align.output import plans_frame
    from align.pipeline import align_corpus

    corpus = Corpus.load(ROOT / "data")
    frame = plans_frame(corpus, align_corpus(corpus)).set_index("plan_id")
    assert (
        frame.loc["consensus:national-2021", "jurisdiction"] == "全国（江西省、内蒙古自治区的共识 consensus）"
    )
    assert frame.loc["jiangxi", "jurisdiction"] == "江西省"
