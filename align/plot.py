"""Charts researchers look at: coverage per plan, coverage by theme, one pair's similarity
matrix, and the plan hierarchy coloured by coverage.

Every function builds a :class:`matplotlib.figure.Figure` directly (no pyplot state, rendered
by Agg) and returns it; :func:`save_figure` writes PNG and SVG atomically. Chinese text is
rendered with Noto Sans SC from the ``pylopdf-fonts-zh-cn`` package, registered with
matplotlib's font manager the first time a chart is drawn and used only inside
:func:`cjk_style` (importing this module changes no global setting).

Colours follow the Okabe-Ito palette (:data:`align.report.STATUS_COLORS`) and the coverage
colour map is ``cividis``; both stay readable under colour-vision deficiencies.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import repeat
from pathlib import Path

import matplotlib
import matplotlib.style
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.ticker import PercentFormatter

from align.cache import BlobStore, blob_schema, digest, file_digest, source_digest
from align.fileio import atomic_write_bytes, check_interrupted, usable_cores
from align.models import CONSENSUS_PREFIX, LEVELS, check_columns
from align.report import (
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_TEXT_COLORS,
    page_names,
    parent_status_frame,
    section_key,
    short_title,
)

log = logging.getLogger(__name__)

BAR_STATUSES: tuple[str, ...] = ("inherited", "strengthened", "weakened", "dropped")
"""The statuses of a parent measure, stacked left to right in the coverage chart."""

COVERAGE_CMAP = "cividis"
"""Colour map for coverage shares (perceptually uniform, colour-blind safe)."""

_FALLBACK_FAMILY = "DejaVu Sans"


# --------------------------------------------------------------------------------------------
# fonts and saving
# --------------------------------------------------------------------------------------------


def cjk_font_path() -> Path:
    """The Noto Sans SC font file shipped by the ``pylopdf-fonts-zh-cn`` package."""
    from pylopdf_fonts_zh_cn import sans_path

    return Path(sans_path())


@lru_cache(maxsize=8)
def register_cjk_font(path: str | None = None) -> str:
    """Add a CJK font file to matplotlib's font manager (once) and return its family name.

    Parameters
    ----------
    path : a ``.otf``/``.ttf`` file; default Noto Sans SC from ``pylopdf-fonts-zh-cn``.

    Returns
    -------
    The family name to use in ``font.family`` (``"Noto Sans SC"``).
    """
    font = Path(path) if path else cjk_font_path()
    font_manager.fontManager.addfont(str(font))
    return str(font_manager.FontProperties(fname=str(font)).get_name())


@contextmanager
def cjk_style(font_path: str | Path | None = None, base_size: float = 10.0) -> Iterator[str]:
    """Context in which matplotlib renders Chinese with the registered CJK font.

    Parameters
    ----------
    font_path : the font file; default Noto Sans SC (see :func:`register_cjk_font`).
    base_size : the base font size in points.

    Yields
    ------
    The font family name in use.

    The settings start from matplotlib's default style, not the user's (a ``matplotlibrc``,
    ``plt.style.use`` in a notebook): a chart depends on its data alone, so the
    :class:`FigureCache` key holds what it draws and worker processes draw the same bytes.
    """
    family = register_cjk_font(str(font_path) if font_path else None)
    with matplotlib.rc_context():
        matplotlib.style.use("default")
        rc = matplotlib.rcParams
        rc["font.family"] = [family, _FALLBACK_FAMILY]
        rc["font.size"] = base_size
        rc["axes.unicode_minus"] = False
        rc["axes.titlesize"] = base_size + 2
        rc["figure.titlesize"] = base_size + 4
        rc["svg.fonttype"] = "path"  # glyphs as paths: the SVG needs no installed font
        rc["text.parse_math"] = False  # plan text and names are text: "$^$" is no formula
        rc["svg.hashsalt"] = "align"  # stable ids: an unchanged chart gives an identical file
        yield family


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(
    fig: Figure, out_dir: str | Path, name: str, formats: Sequence[str] = ("png", "svg"), dpi: int = 150
) -> list[Path]:
    """Write ``fig`` as ``out_dir/name.<format>`` for each format, each file atomically.

    Parameters
    ----------
    fig : the figure.
    out_dir : the folder (created if needed).
    name : the file stem.
    formats : matplotlib output formats.
    dpi : resolution of raster formats.

    Returns
    -------
    The paths written.
    """
    images = figure_bytes(fig, formats, dpi)
    return [atomic_write_bytes(Path(out_dir) / f"{name}.{fmt}", images[fmt]) for fmt in formats]


def figure_bytes(fig: Figure, formats: Sequence[str] = ("png", "svg"), dpi: int = 150) -> dict[str, bytes]:
    """``fig`` rendered in each format (see :func:`save_figure`), without dates: the same chart
    gives the same bytes."""
    images = {}
    with cjk_style():
        for fmt in formats:
            buffer = io.BytesIO()
            metadata = {"Date": None} if fmt == "svg" else None
            fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
            images[fmt] = buffer.getvalue()
    return images


FIGURE_CACHE_VERSION = 1

# the modules whose source a chart depends on: this one and those it takes colours, labels,
# section names and levels from
_DRAWING_MODULES = (__name__, "align.report", "align.models")


class FigureCache(BlobStore):
    """A disk cache of rendered charts (``cache_dir/figures.sqlite3``): a run whose charts are
    unchanged copies them instead of drawing them (drawing a pair's chart as PNG and SVG takes
    about 1.5 s, three minutes for a province).

    An entry is one chart in one format, keyed by the SHA-256 of (version, chart name, format,
    resolution, the chart's inputs); the version names matplotlib's version, the source of this
    module and of the modules it draws with (:mod:`align.report`'s colours and labels,
    :mod:`align.models`'s levels) and the font file, so that a new release, a change of the drawing
    code or another font never gives back an old picture. An entry whose checksum fails is drawn again.

    Parameters
    ----------
    cache_dir : the align cache folder (created when first written).
    max_bytes : the most the stored charts may take; beyond it the charts stored longest ago are
        removed (a province's charts take about 35 MB).
    """

    FILE_NAME = "figures.sqlite3"
    TABLE = "figures"
    SCHEMA = blob_schema(TABLE)

    def __init__(self, cache_dir: str | Path, max_bytes: int = 2**30) -> None:
        super().__init__(cache_dir)
        self.max_bytes = max_bytes

    def version(self) -> str:
        font = cjk_font_path()
        return (
            f"v{FIGURE_CACHE_VERSION}|matplotlib {matplotlib.__version__}|networkx {nx.__version__}"
            f"|numpy {np.__version__}"
            f"|{'|'.join(source_digest(name) for name in _DRAWING_MODULES)}|{font.name} {file_digest(str(font))}"
        )

    def render(
        self,
        charts: Sequence[tuple[str, Callable[[], Figure], Sequence[str]]],
        formats: Sequence[str] = ("png", "svg"),
        dpi: int = 150,
        workers: int | None = None,
        batch: int = 32,
    ) -> Iterator[tuple[str, dict[str, bytes]]]:
        """``(name, format → bytes)`` for each ``(name, draw, inputs)``, in order: from the cache
        where it holds every format of the chart, else drawn by ``draw()`` (see :func:`draw_charts`
        for ``workers``) and stored, ``batch`` charts a transaction. ``inputs`` are texts that
        together determine the picture."""
        version = self.version()
        keys = [
            {fmt: digest(version, name, fmt, str(dpi), *inputs) for fmt in formats}
            for name, _, inputs in charts
        ]
        # which charts are stored is asked first, without their images (a country's charts take
        # a gigabyte); the missing ones are drawn meanwhile, the stored ones read batch by batch
        present = self.existing_keys([key for by_format in keys for key in by_format.values()])
        missing = {k for k, by_format in enumerate(keys) if not present.issuperset(by_format.values())}
        drawn = draw_charts([charts[k][1] for k in sorted(missing)], formats, dpi, workers)
        fresh: list[tuple[bytes, bytes]] = []
        for start in range(0, len(charts), batch):
            part = range(start, min(start + batch, len(charts)))
            stored = self.lookup_blobs([key for k in part if k not in missing for key in keys[k].values()])
            for k in part:
                name, draw, _ = charts[k]
                images = (
                    next(drawn) if k in missing else {f: stored.get(key, b"") for f, key in keys[k].items()}
                )
                if k not in missing and all(images.values()):
                    self.hits += 1
                else:
                    if k not in missing:  # damaged, or removed by another run since: drawn here
                        self.corrupt += sum(key in stored and not stored[key] for key in keys[k].values())
                        images = figure_bytes(draw(), formats, dpi)
                    self.misses += 1
                    fresh += [(keys[k][fmt], data) for fmt, data in images.items()]
                check_interrupted()  # a Ctrl-C lost in matplotlib's callbacks stops here, not at the end
                yield name, images
            if len(fresh) >= batch * len(formats):
                self._store(fresh)
                fresh = []
        self._store(fresh)

    def _store(self, rows: list[tuple[bytes, bytes]]) -> None:
        if rows:
            self.store_blobs(rows)
            self.trim(self.max_bytes)


PARALLEL_CHARTS = 8
"""Fewer charts than this are drawn in the calling process (starting workers costs about 2 s)."""

MAX_CHART_WORKERS = 8
"""Chart workers started by default at most (each holds about 130–250 MB)."""


def draw_charts(
    draws: Sequence[Callable[[], Figure]],
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 150,
    workers: int | None = None,
) -> Iterator[dict[str, bytes]]:
    """Each ``draw()`` rendered in ``formats`` (:func:`figure_bytes`), in order.

    With ``workers`` > 1 (default: the cores this process may use, at most
    :data:`MAX_CHART_WORKERS`) and at least :data:`PARALLEL_CHARTS` charts, the charts are drawn by
    that many worker processes (drawing is CPU-bound Python: threads would not help); where workers
    cannot start, or one dies, the charts left are drawn here. Each ``draw`` must then pickle (a
    :func:`functools.partial` of a function of an importable module, not a lambda). Workers are
    started fresh (``spawn``): a fork of a process running model threads may deadlock. As with any
    ``spawn``, each worker first loads the caller's ``__main__`` again: a script keeps its work
    under ``if __name__ == "__main__":``; a script read from standard input, which the workers
    cannot load, draws in its own process.
    """
    workers = min(usable_cores(), MAX_CHART_WORKERS) if workers is None else workers
    if workers < 2 or len(draws) < PARALLEL_CHARTS or not _can_spawn():
        for draw in draws:
            yield figure_bytes(draw(), formats, dpi)
        return
    serial = (figure_bytes(draw(), formats, dpi) for draw in draws)
    context = multiprocessing.get_context("spawn")
    try:
        pool = ProcessPoolExecutor(
            min(workers, len(draws)), mp_context=context, initializer=_worker_setup, initargs=(os.getpid(),)
        )
    except (OSError, NotImplementedError) as err:  # no semaphores (a container without /dev/shm)
        log.warning("charts drawn in one process: worker processes are not available here (%s)", err)
        yield from serial
        return
    try:
        try:
            with _sigint_held():  # the workers start (submitting starts them) with Ctrl-C held
                charts: Iterator[dict[str, bytes]] = pool.map(
                    _render_chart, draws, repeat(tuple(formats)), repeat(dpi)
                )
        # no process could start (a limit on processes or memory), or one died while the charts
        # were handed out (submitting to a broken pool raises)
        except (OSError, BrokenProcessPool) as err:
            log.warning("charts drawn in one process: worker processes could not start (%s)", err)
            charts = serial
        done = 0
        try:
            for images in charts:
                yield images
                done += 1
        except BrokenProcessPool as err:  # a worker died (the out-of-memory killer, a crash)
            log.warning("a chart worker stopped (%s); the other charts are drawn in this process", err)
            yield from (figure_bytes(draw(), formats, dpi) for draw in draws[done:])
    finally:
        # an error or an interrupt in the caller stops the workers instead of finishing every chart
        pool.shutdown(wait=True, cancel_futures=True)


def _can_spawn() -> bool:
    """Whether spawned workers can start: each first runs the caller's ``__main__`` again from its
    file, which a script read from standard input (``python - < script.py``) does not have."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return getattr(main, "__spec__", None) is not None or path is None or os.path.isfile(path)


def _render_chart(draw: Callable[[], Figure], formats: Sequence[str], dpi: int) -> dict[str, bytes]:
    return figure_bytes(draw(), formats, dpi)


_HAVE_SIGMASK = hasattr(signal, "pthread_sigmask")


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked in this thread: a Ctrl-C waits (it is not lost) until the block ends, and a
    process started meanwhile inherits the block. A worker that is still importing when Ctrl-C
    comes would otherwise die of it with a traceback before :func:`_worker_setup` ignores it (the
    resource tracker of :mod:`multiprocessing` starts so too)."""
    if not _HAVE_SIGMASK:
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _worker_setup(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the caller stops the pool, a worker prints nothing.
    # The worker started with SIGINT blocked (_sigint_held): a Ctrl-C since then is dropped here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _HAVE_SIGMASK:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # a caller killed outright (SIGKILL, the out-of-memory killer) cannot stop its pool: its
    # workers would wait for work forever, so each leaves when its parent is gone
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


# --------------------------------------------------------------------------------------------
# hierarchy helpers
# --------------------------------------------------------------------------------------------


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _check_plans(plans: object, columns: Sequence[str] = ("plan_id", "jurisdiction")) -> None:
    """The manifest as a DataFrame (notebooks hold a :class:`align.corpus.Corpus` too)."""
    if hasattr(plans, "metas") and not isinstance(plans, pd.DataFrame):
        raise TypeError(
            f"plans must be the manifest as a DataFrame (align.output.plans_frame(corpus)), "
            f"not a {type(plans).__name__}"
        )
    check_columns(plans, columns, "plans", empty_ok=True)


_COVERAGE_NEEDS = ("parent_plan", "child_plan", "jurisdiction", "n_parent_measures", *BAR_STATUSES, "added")


def plan_tree(plans: pd.DataFrame) -> nx.DiGraph:
    """The manifest as a directed tree (parent → child), node attributes from the manifest.

    Parameters
    ----------
    plans : the manifest (``plan_id, file, jurisdiction, level, parent_id, …``).

    Returns
    -------
    ``networkx.DiGraph`` with one node per plan (in manifest order) and an edge from each
    plan's parent, when the parent is in the manifest.
    """
    _check_plans(plans, ("plan_id",))
    graph = nx.DiGraph()
    for record in plans.to_dict("records"):
        attrs = {str(k): _clean(v) for k, v in record.items()}
        graph.add_node(attrs["plan_id"], **attrs)
    for node, attrs in list(graph.nodes(data=True)):
        parent = attrs.get("parent_id", "")
        if parent and parent in graph and parent != node:
            graph.add_edge(parent, node)
    return graph


def hierarchy_order(plans: pd.DataFrame) -> list[tuple[str, int]]:
    """Plans in depth-first order (each parent before its children) with their depth.

    Parameters
    ----------
    plans : the manifest.

    Returns
    -------
    ``[(plan_id, depth), …]``; roots have depth 0, siblings keep manifest order.
    """
    graph = plan_tree(plans)
    rank = {node: i for i, node in enumerate(graph.nodes)}
    order: list[tuple[str, int]] = []
    seen: set[str] = set()

    def visit(node: str, depth: int) -> None:
        if node in seen:
            return
        seen.add(node)
        order.append((node, depth))
        for child in sorted(graph.successors(node), key=rank.__getitem__):
            visit(child, depth + 1)

    for node in graph.nodes:
        if graph.in_degree(node) == 0:
            visit(node, 0)
    for node in graph.nodes:  # members of a cycle, should the manifest have one
        visit(node, 0)
    return order


def _names(plans: pd.DataFrame | None) -> dict[str, str]:
    if plans is None or plans.empty:
        return {}
    return {
        _clean(p): _clean(j) or _clean(p)
        for p, j in zip(plans["plan_id"], plans["jurisdiction"], strict=True)
    }


def _ordered_pairs(
    pairs: Sequence[tuple[str, str]], plans: pd.DataFrame | None, names: Mapping[str, str]
) -> list[tuple[int, str, int]]:
    """(index into ``pairs``, label, depth) in hierarchy order of the child plan."""
    order = hierarchy_order(plans) if plans is not None and not plans.empty else []
    position = {plan: (i, depth) for i, (plan, depth) in enumerate(order)}
    keyed = []
    for index, (parent, child) in enumerate(pairs):
        pos, depth = position.get(child, (len(position) + index, 0))
        label = f"{names.get(parent, parent)} → {names.get(child, child)}"
        keyed.append((pos, index, label, depth))
    keyed.sort()
    min_depth = min((k[3] for k in keyed), default=0)
    return [(index, label, depth - min_depth) for _, index, label, depth in keyed]


def _indent_labels(fig: Figure, ax: Axes, labels: Sequence[str], depths: Sequence[int]) -> None:
    """Left-aligned y tick labels indented by depth (full-width spaces)."""
    ax.set_yticks(range(len(labels)), ["\u3000" * d + label for label, d in zip(labels, depths, strict=True)])
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ticklabels = ax.get_yticklabels()
    widest = max((t.get_window_extent(renderer).width for t in ticklabels), default=0.0)
    for text in ticklabels:
        text.set_horizontalalignment("left")
    ax.tick_params(axis="y", pad=widest * 72.0 / fig.dpi + 4)


def _truncate(text: str, max_len: int) -> str:
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def _text_color(rgb: Sequence[float]) -> str:
    r, g, b = rgb[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def _empty(fig: Figure, message: str) -> Figure:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    return fig


# --------------------------------------------------------------------------------------------
# coverage per plan
# --------------------------------------------------------------------------------------------


def plot_coverage(
    coverage: pd.DataFrame, plans: pd.DataFrame | None = None, title: str | None = None
) -> Figure:
    """One stacked horizontal bar per child plan: the shares of the parent's measures the child
    inherited, strengthened, weakened or dropped (counts on the bars), and beside it a bar of
    the measures the child added.

    Parameters
    ----------
    coverage : rows with the columns of ``coverage.csv``.
    plans : the manifest, for hierarchy order and jurisdiction names (optional).
    title : the figure title.

    Returns
    -------
    The figure.
    """
    title = title or "Coverage of the reference plan's measures 对照（上级）方案措施承接情况"
    check_columns(coverage, _COVERAGE_NEEDS, "coverage", empty_ok=True)
    if plans is not None:
        _check_plans(plans)
    with cjk_style():
        if coverage.empty:
            return _empty(_new_figure(8, 2.5), "no aligned pair 无已对齐的方案")
        names = _names(plans)
        pairs = [
            (_clean(p), _clean(c))
            for p, c in zip(coverage["parent_plan"], coverage["child_plan"], strict=True)
        ]
        for (_, child), jurisdiction in zip(pairs, coverage["jurisdiction"], strict=True):
            names.setdefault(child, _clean(jurisdiction) or child)
        rows = _ordered_pairs(pairs, plans, names)
        frame = coverage.reset_index(drop=True).iloc[[index for index, _, _ in rows]].reset_index(drop=True)
        n = len(frame)
        fig = _new_figure(11, 1.6 + 0.55 * n)
        grid = fig.add_gridspec(1, 2, width_ratios=[5, 1.2])
        ax = fig.add_subplot(grid[0])
        ax_added = fig.add_subplot(grid[1], sharey=ax)
        y = np.arange(n, dtype=float)
        counts = {s: frame[s].fillna(0).to_numpy(dtype=float) for s in (*BAR_STATUSES, "added")}
        total = frame["n_parent_measures"].fillna(0).to_numpy(dtype=float)
        total = np.where(total > 0, total, np.maximum(sum(counts[s] for s in BAR_STATUSES), 1.0))
        left = np.zeros(n)
        for status in BAR_STATUSES:
            shares = counts[status] / total
            ax.barh(
                y, shares, left=left, height=0.7, color=STATUS_COLORS[status], label=STATUS_LABELS[status]
            )
            for yi, share, count, start in zip(y, shares, counts[status], left, strict=True):
                if count > 0 and share >= 0.04:
                    ax.text(start + share / 2, yi, f"{count:g}", ha="center", va="center", fontsize=9,
                            color=STATUS_TEXT_COLORS[status])  # fmt: skip
            left = left + shares
        carried = (counts["inherited"] + counts["strengthened"] + counts["weakened"]) / total
        for yi, share, n_parent in zip(y, carried, total, strict=True):
            ax.text(1.01, yi, f"{share:.0%} of {n_parent:g}", ha="left", va="center", fontsize=9)
        ax.set_xlim(0, 1.16)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        ax.set_xlabel("share of the reference (parent, consensus or peer) plan's measures\n占对照措施比例")
        _indent_labels(fig, ax, [label for _, label, _ in rows], [depth for _, _, depth in rows])
        ax.invert_yaxis()
        ax.spines[["top", "right"]].set_visible(False)

        ax_added.barh(
            y, counts["added"], height=0.7, color=STATUS_COLORS["added"], label=STATUS_LABELS["added"]
        )
        top = max(float(counts["added"].max()), 1.0)
        for yi, count in zip(y, counts["added"], strict=True):
            ax_added.text(count + top * 0.03, yi, f"{count:g}", ha="left", va="center", fontsize=9)
        ax_added.set_xlim(0, top * 1.3)
        ax_added.set_xlabel("child's own measures\n新增措施数")  # two lines: the axis is narrow
        ax_added.set_title("added 新增", fontsize=10)
        ax_added.tick_params(axis="y", left=False, labelleft=False)
        ax_added.spines[["top", "right"]].set_visible(False)

        handles = [Patch(color=STATUS_COLORS[s], label=STATUS_LABELS[s]) for s in (*BAR_STATUSES, "added")]
        fig.legend(handles=handles, loc="outside lower center", ncol=5, frameon=False)
        fig.suptitle(title)
        return fig


# --------------------------------------------------------------------------------------------
# coverage by theme
# --------------------------------------------------------------------------------------------


def theme_coverage(
    alignment: pd.DataFrame, split: Sequence[str] = ("提升行动",), max_label: int = 10
) -> pd.DataFrame:
    """Carried share of the parent's measures per (pair, section).

    Parameters
    ----------
    alignment : rows with the columns of ``alignment.csv``.
    split : top-level titles whose second path element names the section (see
        :func:`align.report.section_key`).
    max_label : the longest section label.

    Returns
    -------
    DataFrame ``parent_plan, child_plan, section, n, carried, share``; sections in order of
    first appearance.
    """
    status = parent_status_frame(alignment)
    columns = ["parent_plan", "child_plan", "section", "n", "carried", "share"]
    if status.empty:
        return pd.DataFrame(columns=columns)
    status["section"] = [
        section_key(p, split=split, max_len=max_label) or "(none)" for p in status["parent_path"]
    ]
    grouped = status.groupby(["parent_plan", "child_plan", "section"], sort=False)
    table = grouped.agg(n=("carried", "size"), carried=("carried", "sum")).reset_index()
    table["share"] = table["carried"] / table["n"]
    return table[columns]


def plot_theme_heatmap(
    alignment: pd.DataFrame,
    plans: pd.DataFrame | None = None,
    split: Sequence[str] = ("提升行动",),
    max_label: int = 10,
    title: str | None = None,
) -> Figure:
    """Heatmap of child plans × sections of the parent plan; each cell the share of the parent's
    measures in that section the child carries, annotated with the share and the counts.

    Parameters
    ----------
    alignment : rows with the columns of ``alignment.csv``.
    plans : the manifest, for hierarchy order and jurisdiction names (optional).
    split : top-level titles whose second path element names the section, so that the
        提升行动 themes (youth, farmers, …) are separate columns.
    max_label : the longest section label.
    title : the figure title.

    Returns
    -------
    The figure (cells without parent measures are blank grey).
    """
    title = title or "Carried share by section 分板块承接比例"
    if plans is not None:
        _check_plans(plans)
    with cjk_style():
        table = theme_coverage(alignment, split=split, max_label=max_label)
        if table.empty:
            return _empty(_new_figure(8, 2.5), "no parent measure aligned 无已对齐的上级措施")
        names = _names(plans)
        pairs = list(
            dict.fromkeys(zip(table["parent_plan"].astype(str), table["child_plan"].astype(str), strict=True))
        )
        rows = _ordered_pairs(pairs, plans, names)
        sections = list(dict.fromkeys(table["section"]))
        share = np.full((len(rows), len(sections)), np.nan)
        counts: dict[tuple[int, int], tuple[int, int]] = {}
        row_of = {pairs[index]: r for r, (index, _, _) in enumerate(rows)}
        for record in table.itertuples(index=False):
            r, c = (
                row_of[(str(record.parent_plan), str(record.child_plan))],
                sections.index(str(record.section)),
            )
            share[r, c] = float(str(record.share))
            counts[(r, c)] = (int(str(record.carried)), int(str(record.n)))
        fig = _new_figure(3.0 + 0.95 * len(sections), 2.2 + 0.6 * len(rows))
        ax = fig.add_subplot()
        cmap: Colormap = matplotlib.colormaps[COVERAGE_CMAP].with_extremes(bad="#EEEEEE")
        image = ax.imshow(np.ma.masked_invalid(share), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
        for (r, c), (carried, n) in counts.items():
            rgb = cmap(share[r, c])
            ax.text(c, r, f"{share[r, c]:.0%}\n{carried}/{n}", ha="center", va="center", fontsize=8,
                    color=_text_color(rgb))  # fmt: skip
        ax.set_xticks(range(len(sections)), sections, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(len(rows)), [label for _, label, _ in rows])
        ax.set_xticks(np.arange(-0.5, len(sections)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
        ax.grid(which="minor", color="white", linewidth=2)
        ax.tick_params(which="minor", length=0)
        ax.spines[:].set_visible(False)
        colorbar = fig.colorbar(image, ax=ax, shrink=0.9, format=PercentFormatter(xmax=1.0, decimals=0))
        colorbar.set_label("carried share 承接比例")
        ax.set_title(title)
        return fig


# --------------------------------------------------------------------------------------------
# one pair's similarity matrix
# --------------------------------------------------------------------------------------------


@dataclass
class PairMatrix:
    """What :func:`plot_pair_matrix` draws for one pair (built by the matcher).

    Parameters
    ----------
    parent_plan, child_plan : plan ids (for the file name and title).
    similarity : ``(n_parent, n_child)`` scores.
    parent_labels, child_labels : one label per measure (e.g. its id).
    parent_sections, child_sections : one section name per measure (in measure order).
    links : chosen links, ``(parent_index, child_index)`` or ``(parent_index, child_index, status)``.
    """

    parent_plan: str
    child_plan: str
    similarity: np.ndarray
    parent_labels: Sequence[str]
    child_labels: Sequence[str]
    parent_sections: Sequence[str]
    child_sections: Sequence[str]
    links: Sequence[tuple[int, int] | tuple[int, int, str]] = field(default_factory=list)


def _runs(sections: Sequence[str]) -> list[tuple[int, int, str]]:
    """Consecutive runs of equal section names: ``(start, end_exclusive, name)``."""
    runs: list[tuple[int, int, str]] = []
    for index, name in enumerate(sections):
        if runs and runs[-1][2] == name:
            runs[-1] = (runs[-1][0], index + 1, name)
        else:
            runs.append((index, index + 1, name))
    return runs


def plot_pair_matrix(
    similarity: np.ndarray | PairMatrix,
    parent_labels: Sequence[str] | None = None,
    child_labels: Sequence[str] | None = None,
    parent_sections: Sequence[str] | None = None,
    child_sections: Sequence[str] | None = None,
    links: Iterable[tuple[int, int] | tuple[int, int, str]] | None = None,
    title: str | None = None,
    max_ticks: int = 40,
) -> Figure:
    """The similarity matrix of one parent/child pair, section boundaries drawn as lines and the
    chosen links marked (coloured by status when given).

    Parameters
    ----------
    similarity : ``(n_parent, n_child)`` scores; rows are parent measures. Or a
        :class:`PairMatrix` (:func:`pair_matrix`), which gives the labels, sections and links.
    parent_labels, child_labels : one label per row / column (required with a matrix).
    parent_sections, child_sections : one section name per row / column (in order); ``None``: no
        section lines, and a long axis is labelled by every n-th measure.
    links : ``(parent_index, child_index)`` or ``(parent_index, child_index, status)``; ``None``:
        those of the :class:`PairMatrix`, or none.
    title : the figure title.
    max_ticks : above this many measures an axis is labelled by section instead of by measure.

    Returns
    -------
    The figure.

    Raises
    ------
    ValueError
        When the labels or sections do not match the matrix shape, or a link is out of range.
    """
    if isinstance(similarity, PairMatrix):
        given = similarity
        similarity, parent_labels, child_labels = given.similarity, given.parent_labels, given.child_labels
        parent_sections = given.parent_sections if parent_sections is None else parent_sections
        child_sections = given.child_sections if child_sections is None else child_sections
        links = given.links if links is None else links
        title = title or f"{given.parent_plan} → {given.child_plan}"
    if parent_labels is None or child_labels is None:
        raise TypeError(
            "plot_pair_matrix needs parent_labels and child_labels with a matrix (or a PairMatrix)"
        )
    matrix = np.asarray(similarity, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"similarity must be 2-D, got shape {matrix.shape}")
    n_parent, n_child = matrix.shape
    for name, seq, n in (
        ("parent_labels", parent_labels, n_parent),
        ("child_labels", child_labels, n_child),
    ):
        if len(seq) != n:
            raise ValueError(f"{name} has {len(seq)} entries, the similarity matrix needs {n}")
    for name, sections, n in (
        ("parent_sections", parent_sections, n_parent),
        ("child_sections", child_sections, n_child),
    ):
        if sections is not None and len(sections) != n:
            raise ValueError(f"{name} has {len(sections)} entries, the similarity matrix needs {n}")
    rows_sections = list(parent_sections) if parent_sections is not None else None
    cols_sections = list(child_sections) if child_sections is not None else None
    link_list = [
        (int(link[0]), int(link[1]), str(link[2]) if len(link) > 2 else "")
        for link in (() if links is None else links)
    ]
    for i, j, _ in link_list:
        if not (0 <= i < n_parent and 0 <= j < n_child):
            raise ValueError(f"link ({i}, {j}) is outside the {n_parent}×{n_child} matrix")
    title = title or "Similarity of parent and child measures 上下级措施相似度"
    with cjk_style():
        fig = _new_figure(min(6.0 + 0.16 * n_child, 18.0), min(4.0 + 0.16 * n_parent, 18.0))
        ax = fig.add_subplot()
        finite = matrix[np.isfinite(matrix)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        # grey cells: the links' status colours (green, blue …) must not vanish into the scale
        image = ax.imshow(matrix, cmap="Greys", vmin=vmin, vmax=max(vmax, vmin + 1e-9), aspect="auto",
                          interpolation="none")  # fmt: skip
        for start, _, _ in _runs(rows_sections or [])[1:]:
            ax.axhline(start - 0.5, color="white", linewidth=1.2)
        for start, _, _ in _runs(cols_sections or [])[1:]:
            ax.axvline(start - 0.5, color="white", linewidth=1.2)
        for axis, labels, sections, n in (
            ("y", parent_labels, rows_sections, n_parent),
            ("x", child_labels, cols_sections, n_child),
        ):
            ticks: list[float]
            if n <= max_ticks or sections is None:
                step = max(1, -(-n // max(max_ticks, 1)))  # without sections, every step-th measure
                ticks = [float(t) for t in range(0, n, step)]
                names = [_truncate(str(labels[int(t)]), 14) for t in ticks]
            else:
                runs = _runs(sections)
                ticks = [(start + end - 1) / 2 for start, end, _ in runs]
                names = [short_title(str(name), 10) for _, _, name in runs]
            if axis == "y":
                ax.set_yticks(ticks, names, fontsize=8)
            else:
                ax.set_xticks(ticks, names, fontsize=8, rotation=60, ha="right", rotation_mode="anchor")
        by_status: dict[str, list[tuple[int, int]]] = {}
        for i, j, status in link_list:
            by_status.setdefault(status or "link", []).append((i, j))
        for status, points in by_status.items():
            rows, cols = zip(*points, strict=True)
            fill = STATUS_COLORS.get(status, "#FFFFFF")
            ax.scatter(cols, rows, s=40, marker="o", c=fill, edgecolors="black" if fill == "#FFFFFF" else "white",
                       linewidths=1.0, label=STATUS_LABELS.get(status, "chosen link"))  # fmt: skip
        if by_status:
            # dropped and added measures have no dot: say how to read that
            handles = ax.get_legend_handles_labels()[0] + [
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    label="row without dot: dropped 删减 · column without dot: added 新增",
                )
            ]
            fig.legend(
                handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=8
            )
        ax.set_xlabel("child measures 下级措施")
        ax.set_ylabel("parent measures 上级措施")
        fig.colorbar(image, ax=ax, shrink=0.8).set_label("similarity 相似度")
        ax.set_title(title)
        return fig


# --------------------------------------------------------------------------------------------
# the hierarchy
# --------------------------------------------------------------------------------------------


def tree_layout(plans: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Top-down positions: leaves spaced one unit apart in hierarchy order, each parent centred
    over its children, ``y`` = the level's rank (national 0 … county 3) or the depth.

    Parameters
    ----------
    plans : the manifest.

    Returns
    -------
    ``{plan_id: (x, y)}``.
    """
    graph = plan_tree(plans)
    order = hierarchy_order(plans)
    depth = dict(order)
    x: dict[str, float] = {}
    next_leaf = 0.0

    def place(node: str) -> float:
        nonlocal next_leaf
        children = [c for c in graph.successors(node) if depth.get(c, -1) == depth[node] + 1 and c not in x]
        if not children:
            x[node] = next_leaf
            next_leaf += 1.0
        else:
            x[node] = float(np.mean([place(child) for child in children]))
        return x[node]

    for node, d in order:
        if d == 0 and node not in x:
            place(node)
    for node, _ in order:
        if node not in x:
            place(node)
    positions = {}
    for node, d in order:
        level = graph.nodes[node].get("level", "")
        y = float(LEVELS.index(level)) if level in LEVELS else float(d)
        positions[node] = (x[node], y)
    return positions


def plot_hierarchy(
    plans: pd.DataFrame, coverage: pd.DataFrame | None = None, title: str | None = None
) -> Figure:
    """The plan hierarchy as a top-down tree, each node filled by its coverage of the parent
    plan; plans without text in the corpus drawn hollow and grey, plans with text but nothing
    above them to align with drawn light grey. A dashed arrow shows a plan aligned against a
    plan other than its parent (the nearest ancestor with text, or a peer).

    Parameters
    ----------
    plans : the manifest.
    coverage : rows with the columns of ``coverage.csv`` (optional).
    title : the figure title.

    Returns
    -------
    The figure.
    """
    title = title or "Plan hierarchy coloured by coverage 方案层级与承接比例"
    _check_plans(plans, ("plan_id",))
    if coverage is not None:
        check_columns(coverage, ("child_plan", "parent_plan", "coverage"), "coverage", empty_ok=True)
    with cjk_style():
        if plans.empty:
            return _empty(_new_figure(6, 2.5), "no plan 无方案")
        graph = plan_tree(plans)
        pos = tree_layout(plans)
        cov: dict[str, tuple[float, str]] = {}
        if coverage is not None and not coverage.empty:
            for child, parent, share in zip(
                coverage["child_plan"], coverage["parent_plan"], coverage["coverage"], strict=True
            ):
                # a plan compared with several references (a run's table with peer comparisons
                # appended): its first row, the run's own reference, colours it
                cov.setdefault(_clean(child), (float(share), _clean(parent)))
        n_columns = max(int(max(x for x, _ in pos.values())) + 1, 1)
        y_values = sorted({y for _, y in pos.values()})
        fig = _new_figure(max(6.0, 1.9 * n_columns + 2.0), 1.7 * len(y_values) + 1.6)
        ax = fig.add_subplot()
        cmap = matplotlib.colormaps[COVERAGE_CMAP]
        norm = Normalize(0.0, 1.0)
        for parent, child in graph.edges:
            (x0, y0), (x1, y1) = pos[parent], pos[child]
            ax.plot([x0, x1], [y0, y1], color="#888888", linewidth=1.2, zorder=1)
        other_links = False
        for child, (_, aligned_parent) in cov.items():
            direct = graph.nodes[child].get("parent_id", "") if child in graph else ""
            if child in pos and aligned_parent in pos and aligned_parent != direct:
                other_links = True
                arrow = FancyArrowPatch(pos[aligned_parent], pos[child], connectionstyle="arc3,rad=-0.3",
                                        arrowstyle="-|>", mutation_scale=12, linestyle="--", color="#444444",
                                        shrinkA=18, shrinkB=18, zorder=1)  # fmt: skip
                ax.add_patch(arrow)
        names = Counter(graph.nodes[node].get("jurisdiction", "") or node for node in pos)
        for node, (x, y) in pos.items():
            attrs = graph.nodes[node]
            has_text = bool(attrs.get("file", ""))
            name = attrs.get("jurisdiction", "") or node
            if names[name] > 1:  # two plans of one jurisdiction (全国: an outline and an opinion)
                name = f"{name} ({node})"
            face: str | tuple[float, float, float, float]
            if not has_text:
                face, edge, style, caption = "white", "#999999", "--", "no text 无文本"
            elif node in cov:
                face, edge, style = cmap(norm(cov[node][0])), "black", "-"
                caption = f"{cov[node][0]:.0%}"
                reference = cov[node][1]
                if reference.startswith(CONSENSUS_PREFIX):  # not drawn: say what it was measured on
                    caption += " of consensus 共识"
            else:
                face, edge, style, caption = "#DDDDDD", "black", "-", "not aligned 未对齐"
            ax.scatter([x], [y], s=900, c=[face], edgecolors=edge, linewidths=1.5, linestyles=style, zorder=2)
            color = "#777777" if not has_text else "black"
            ax.annotate(f"{name}\n{caption}", (x, y), xytext=(0, -22), textcoords="offset points",
                        ha="center", va="top", fontsize=9, color=color,
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})  # fmt: skip
        xs = [x for x, _ in pos.values()]
        ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
        ax.set_ylim(max(y_values) + 0.75, min(y_values) - 0.45)
        ax.set_yticks(
            y_values,
            [LEVELS[int(y)] if float(y).is_integer() and int(y) < len(LEVELS) else "" for y in y_values],
        )
        ax.tick_params(axis="x", bottom=False, labelbottom=False)
        ax.tick_params(axis="y", length=0)
        ax.spines[:].set_visible(False)
        handles: list[Line2D] = [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=12,
                markerfacecolor="white",
                markeredgecolor="#999999",
                label="no text in corpus 无文本",
            ),  # fmt: skip
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=12,
                markerfacecolor="#DDDDDD",
                markeredgecolor="black",
                label="text, nothing to align with 未对齐",
            ),  # fmt: skip
        ]
        if other_links:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#444444",
                    linestyle="--",
                    label="aligned with a plan other than its parent 非直接上级",
                )
            )
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7,
                     format=PercentFormatter(xmax=1.0, decimals=0)).set_label("coverage 承接比例")  # fmt: skip
        ax.set_title(title)
        return fig


# --------------------------------------------------------------------------------------------
# all figures of a run
# --------------------------------------------------------------------------------------------


def write_figures(
    out_dir: str | Path,
    alignment: pd.DataFrame,
    coverage: pd.DataFrame,
    plans: pd.DataFrame,
    pair_matrices: Iterable[PairMatrix] | None = None,
    formats: Sequence[str] = ("png", "svg"),
    cache: FigureCache | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Draw and write every chart of a run.

    Parameters
    ----------
    out_dir : the figures folder (e.g. ``outputs/figures``).
    alignment : rows with the columns of ``alignment.csv``.
    coverage : rows with the columns of ``coverage.csv``.
    plans : the manifest.
    pair_matrices : optional similarity matrices, one ``pair_<parent>__<child>`` chart each.
    formats : output formats of each chart.
    cache : where charts drawn before are kept (:class:`FigureCache`); an unchanged chart is
        copied from it, not drawn again.
    workers : processes that draw the charts when there are many (see :func:`draw_charts`).

    Returns
    -------
    The paths written: ``coverage``, ``theme_heatmap``, ``hierarchy`` and the pair charts.
    """
    tables = {"coverage": _frame_text(coverage), "plans": _frame_text(plans)}
    charts: list[tuple[str, Callable[[], Figure], Sequence[str]]] = [
        ("coverage", partial(plot_coverage, coverage, plans), (tables["coverage"], tables["plans"])),
        (
            "theme_heatmap",
            partial(plot_theme_heatmap, alignment, plans),
            (_frame_text(alignment), tables["plans"]),
        ),
        ("hierarchy", partial(plot_hierarchy, plans, coverage), (tables["plans"], tables["coverage"])),
    ]
    names = _names(plans)
    pairs = list(pair_matrices or ())
    # the chart of a pair is named as its HTML page: unique in the run, short enough for any disk
    pages = page_names([(pair.parent_plan, pair.child_plan) for pair in pairs])
    for pair, page in zip(pairs, pages, strict=True):
        title = (
            f"{names.get(pair.parent_plan, pair.parent_plan)} → {names.get(pair.child_plan, pair.child_plan)}"
        )
        charts.append(
            (
                f"pair_{page.removesuffix('.html')}",
                partial(_draw_pair, pair, title),
                _pair_inputs(pair, title),
            )
        )
    rendered = (
        cache.render(charts, formats, workers=workers)
        if cache is not None
        else zip(
            (name for name, _, _ in charts),
            draw_charts([draw for _, draw, _ in charts], formats, workers=workers),
            strict=True,
        )
    )
    written: list[Path] = []
    for name, images in rendered:
        written += [atomic_write_bytes(Path(out_dir) / f"{name}.{fmt}", images[fmt]) for fmt in formats]
    return written


def _draw_pair(pair: PairMatrix, title: str) -> Figure:
    return plot_pair_matrix(
        pair.similarity,
        pair.parent_labels,
        pair.child_labels,
        pair.parent_sections,
        pair.child_sections,
        pair.links,
        title=title,
    )


def _frame_text(frame: pd.DataFrame) -> str:
    """A table as text, for a :class:`FigureCache` key (same table, same text)."""
    return frame.to_csv(index=False, lineterminator="\n")


def _pair_inputs(pair: PairMatrix, title: str) -> tuple[str, ...]:
    """What :func:`plot_pair_matrix` draws of ``pair``, as texts for a :class:`FigureCache` key."""
    similarity = np.ascontiguousarray(pair.similarity)
    return (
        title,
        json.dumps(
            [
                list(pair.parent_labels),
                list(pair.child_labels),
                list(pair.parent_sections),
                list(pair.child_sections),
                [list(link) for link in pair.links],
            ],
            ensure_ascii=False,
            default=str,
        ),
        f"{similarity.dtype.str}{similarity.shape}",
        hashlib.sha256(similarity.tobytes()).hexdigest(),
    )
