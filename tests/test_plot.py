"""Charts: every chart renders to PNG and SVG with Chinese labels and no missing glyph."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from align.models import ALIGNMENT_COLUMNS, COVERAGE_COLUMNS
from align.plot import (
    FigureCache,
    PairMatrix,
    cjk_style,
    hierarchy_order,
    plot_coverage,
    plot_hierarchy,
    plot_pair_matrix,
    plot_theme_heatmap,
    save_figure,
    theme_coverage,
    tree_layout,
    write_figures,
)
from align.report import STATUS_COLORS, page_names

ROOT = Path(__file__).resolve().parents[1]
JX_ACTIONS = "聚焦全人群覆盖,实施五项提升行动"  # Jiangxi's own top-level headings, as parsed
JX_PROJECTS = "突出供给侧改革,实施五项重点工程"
JX_SUPPORT = "强化保障措施，确保全面组织实施"


def manifest() -> pd.DataFrame:
    """The real manifest of the bundled corpus."""
    return pd.read_csv(ROOT / "data" / "plans.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def coverage_frame() -> pd.DataFrame:
    rows = [
        # a horizontal comparison listed first: the chart must still put Jiangxi's child first
        ("guangxi", "neimenggu", "广西壮族自治区", "provincial", 30, 3, 6, 9, 12, 10, 0.6),
        ("jiujiang", "jiangxi", "九江市", "municipal", 57, 30, 14, 5, 8, 4, 49 / 57),
        ("dazhang", "jiangxi", "邵阳市大祥区", "county", 57, 12, 3, 20, 22, 6, 35 / 57),
    ]
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


def alignment_frame() -> pd.DataFrame:
    def row(child: str, pid: str, path: str, status: str, cid: str = "c") -> dict[str, object]:
        carried = status != "dropped"
        return {
            "parent_plan": "jiangxi" if child != "guangxi" else "neimenggu",
            "child_plan": child,
            "parent_measure": pid,
            "child_measure": cid if carried else "",
            "parent_path": path,
            "child_path": "提升行动 > x" if carried else "",
            "parent_text": "推进基础教育阶段科学教育工作。",
            "child_text": "提升基础教育阶段科学教育水平。" if carried else "",
            "similarity": 0.8 if carried else None,
            "status": status,
            "evidence": "",
        }

    youth = f"{JX_ACTIONS} > 实施青少年科学素质提升行动 > 推进基础教育阶段科学教育工作"
    farmers = f"{JX_ACTIONS} > 实施农民科学素质提升行动 > 提升革命老区农民科学素质水平"
    smart = f"{JX_PROJECTS} > 科普信息化提升工程 > 推动智慧科普建设"
    lead = f"{JX_SUPPORT} > 加强组织领导"
    rows = [
        row("jiujiang", "二.(一).1", youth, "strengthened", "c1"),
        row("jiujiang", "二.(一).1", youth, "weakened", "c2"),  # best row counts: carried once
        row("jiujiang", "二.(一).2", youth, "dropped"),
        row("jiujiang", "二.(二).4", farmers, "inherited"),
        row("jiujiang", "三.(二).3", smart, "inherited"),
        row("jiujiang", "四.(一)", lead, "dropped"),
        row("dazhang", "二.(一).1", youth, "weakened"),
        row("dazhang", "二.(二).4", farmers, "dropped"),
        row("dazhang", "三.(二).3", smart, "dropped"),
        row("guangxi", "三.(二).1", "重点工程 > 科普信息化提升工程", "strengthened"),
        {
            **row("jiujiang", "", "", "added", "c9"),
            "parent_measure": "",
            "parent_path": "",
            "parent_text": "",
        },
    ]
    return pd.DataFrame(rows, columns=list(ALIGNMENT_COLUMNS))


def pair_matrix() -> PairMatrix:
    rng = np.random.default_rng(0)
    similarity = rng.uniform(0.1, 0.5, size=(6, 7))
    links = [(0, 0, "strengthened"), (1, 1, "inherited"), (2, 3, "weakened"), (4, 5)]
    for i, j, *_ in links:
        similarity[i, j] = 0.9
    return PairMatrix(
        parent_plan="jiangxi",
        child_plan="jiujiang",
        similarity=similarity,
        parent_labels=["推进基础教育阶段科学教育工作", "加强高等教育阶段科学教育和科普工作", "实施科技创新后备人才培育计划",
                       "提升农民科学素质水平", "推动智慧科普建设", "加强组织领导"],
        child_labels=[f"二.(一).{i}" for i in range(1, 6)] + ["三.(二).3", "四.(一)"],
        parent_sections=["青少年", "青少年", "青少年", "农民", "重点工程", "组织实施"],
        child_sections=["青少年"] * 5 + ["重点工程", "组织实施"],
        links=links,
    )  # fmt: skip


@contextmanager
def no_missing_glyphs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail on any matplotlib missing-glyph or font-not-found warning."""
    with (
        warnings.catch_warnings(record=True) as caught,
        caplog.at_level(logging.WARNING, logger="matplotlib"),
    ):
        warnings.simplefilter("always")
        yield
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    bad = [m for m in messages if "missing from" in m or "Glyph" in m or "findfont" in m]
    assert not bad, bad


def assert_png(path: Path, min_bytes: int = 8_000) -> None:
    assert path.stat().st_size > min_bytes
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width > 300 and height > 150
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50  # drawn, not blank


def test_every_chart_renders_chinese_without_missing_glyphs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plans = manifest()
    with no_missing_glyphs(caplog):
        written = write_figures(
            tmp_path, alignment_frame(), coverage_frame(), plans, pair_matrices=[pair_matrix()]
        )
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"{stem}.{ext}"
        for stem in ("coverage", "theme_heatmap", "hierarchy", "pair_jiangxi__jiujiang")
        for ext in ("png", "svg")
    )
    for path in written:
        if path.suffix == ".png":
            assert_png(path)
        else:
            svg = path.read_text(encoding="utf-8")
            assert svg.lstrip().startswith("<?xml") and "<path" in svg and len(svg) > 20_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_glyph_check_catches_a_font_without_chinese(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The check above can fail: DejaVu Sans alone cannot draw 九江市."""
    fig = Figure()
    fig.text(0.5, 0.5, "九江市", family="DejaVu Sans")
    with pytest.raises(AssertionError), no_missing_glyphs(caplog):
        fig.savefig(tmp_path / "x.png")


def test_cjk_style_changes_nothing_outside_the_context() -> None:
    before = list(matplotlib.rcParams["font.family"])
    with cjk_style() as family:
        assert family == "Noto Sans SC"
        assert matplotlib.rcParams["font.family"][0] == "Noto Sans SC"
    assert list(matplotlib.rcParams["font.family"]) == before


def bars(fig: Figure) -> list[Rectangle]:
    return [p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_width() > 0]


def test_coverage_chart_order_shares_and_counts() -> None:
    fig = plot_coverage(coverage_frame(), manifest())
    ax, ax_added = fig.axes[0], fig.axes[1]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # hierarchy order: Jiangxi's children (municipal before county, parent before child) first
    assert [label.strip("\u3000") for label in labels] == [
        "江西省 → 九江市",
        "江西省 → 邵阳市大祥区",
        "内蒙古自治区 → 广西壮族自治区",
    ]
    # deeper plans are indented further
    indents = [len(label) - len(label.lstrip("\u3000")) for label in labels]
    assert indents[1] > indents[0] > indents[2]
    # the first row's stacked bars are the shares of Jiujiang's 57 parent measures
    y_top = min(p.get_y() for p in bars(fig))
    top_row = sorted((p for p in bars(fig) if p.get_y() == y_top), key=lambda p: p.get_x())
    assert [to_hex(p.get_facecolor()).upper() for p in top_row] == [
        STATUS_COLORS[s].upper() for s in ("inherited", "strengthened", "weakened", "dropped")
    ]
    assert [round(p.get_width() * 57) for p in top_row] == [30, 14, 5, 8]
    assert top_row[-1].get_x() + top_row[-1].get_width() == pytest.approx(1.0)
    texts = {t.get_text() for t in ax.texts}
    assert {"30", "14", "5", "8", "86% of 57"} <= texts
    assert [round(p.get_width()) for p in ax_added.patches if isinstance(p, Rectangle)] == [4, 6, 10]
    assert fig.get_suptitle()
    legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_labels[-1] == "added 新增" and len(legend_labels) == 5


def test_theme_heatmap_cells_are_carried_shares() -> None:
    table = theme_coverage(alignment_frame())
    jiujiang = table[table["child_plan"] == "jiujiang"].set_index("section")
    assert list(jiujiang.index) == ["青少年", "农民", "重点工程", "确保全面组织实施"]
    assert jiujiang.loc["青少年", "share"] == 0.5  # 2.1 carried (twice), 2.2 dropped
    assert jiujiang.loc["农民", "share"] == 1.0 and jiujiang.loc["确保全面组织实施", "share"] == 0.0
    fig = plot_theme_heatmap(alignment_frame(), manifest())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["青少年", "农民", "重点工程"]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "江西省 → 九江市"
    cells = {t.get_text() for t in ax.texts}
    assert {"50%\n1/2", "100%\n1/1", "0%\n0/1"} <= cells
    data = ax.images[0].get_array()
    assert data is not None and bool(np.ma.getmaskarray(data)[2, 0])  # Guangxi has no 青少年 cell


def test_pair_matrix_marks_links_and_boundaries() -> None:
    pair = pair_matrix()
    fig = plot_pair_matrix(pair.similarity, pair.parent_labels, pair.child_labels, pair.parent_sections,
                           pair.child_sections, pair.links)  # fmt: skip
    ax = fig.axes[0]
    offsets = np.vstack([c.get_offsets() for c in ax.collections])
    assert sorted(map(tuple, offsets.tolist())) == [(0, 0), (1, 1), (3, 2), (5, 4)]
    horizontal = sorted(
        line.get_ydata()[0] for line in ax.lines if line.get_ydata()[0] == line.get_ydata()[1]
    )
    assert horizontal == [2.5, 3.5, 4.5]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "strengthened 强化" in legend and "chosen link" in legend
    # dropped and added measures have no dot, and the legend says so
    assert legend[-1] == "row without dot: dropped 删减 · column without dot: added 新增"
    with pytest.raises(ValueError, match="parent_sections"):
        plot_pair_matrix(
            pair.similarity, pair.parent_labels, pair.child_labels, ["青少年"], pair.child_sections
        )
    with pytest.raises(ValueError, match="outside"):
        plot_pair_matrix(pair.similarity, pair.parent_labels, pair.child_labels, pair.parent_sections,
                         pair.child_sections, [(6, 0)])  # fmt: skip
    # the PairMatrix itself, as its docstring says it is what the function draws (it was a
    # TypeError: missing 2 required positional arguments)
    whole = plot_pair_matrix(pair).axes[0]
    again = np.vstack([c.get_offsets() for c in whole.collections])
    assert sorted(map(tuple, again.tolist())) == sorted(map(tuple, offsets.tolist()))
    with pytest.raises(TypeError, match="needs parent_labels and child_labels"):
        plot_pair_matrix(pair.similarity)
    assert not plot_pair_matrix(pair, links=[]).axes[0].collections  # no links asked: none drawn
    assert len(plot_pair_matrix(pair, links=np.array([[0, 1]])).axes[0].collections) == 1


def test_pair_matrix_labels_sections_when_large() -> None:
    similarity = np.linspace(0, 1, 60 * 50).reshape(60, 50)
    sections_p = ["青少年"] * 30 + ["重点工程"] * 30
    sections_c = ["青少年"] * 20 + ["重点工程"] * 30
    fig = plot_pair_matrix(similarity, [str(i) for i in range(60)], [str(i) for i in range(50)], sections_p,
                           sections_c)  # fmt: skip
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["青少年", "重点工程"]


def test_hierarchy_layout_and_node_styles() -> None:
    plans = manifest()
    order = hierarchy_order(plans)
    ids = [plan for plan, _ in order]
    assert ids.index("national-2021") < ids.index("jiangxi") < ids.index("jiujiang")
    assert ids.index("hunan") < ids.index("shaoyang") < ids.index("dazhang")
    assert dict(order)["dazhang"] == 3 and dict(order)["guangxi"] == 1
    pos = tree_layout(plans)
    assert pos["jiangxi"][1] == 1.0 and pos["jiujiang"][1] == 2.0 and pos["dazhang"][1] == 3.0
    assert pos["jiangxi"][0] == pos["jiujiang"][0]  # parent centred over its only child
    provincial = (plans["level"] == "provincial").sum()
    assert provincial >= 4 and len({x for x, y in pos.values() if y == 1.0}) == provincial  # side by side

    fig = plot_hierarchy(plans, coverage_frame())
    ax = fig.axes[0]
    captions = {t.get_text() for t in ax.texts}
    assert "九江市\n86%" in captions and "湖南省\nno text 无文本" in captions
    assert "江西省\nnot aligned 未对齐" in captions
    faces = {}
    for collection in ax.collections:
        x, y = collection.get_offsets()[0]
        faces[(float(x), float(y))] = to_hex(collection.get_facecolor()[0])
    assert faces[pos["hunan"]] == "#ffffff"  # hollow: no text
    assert faces[pos["jiujiang"]] == to_hex(matplotlib.colormaps["cividis"](49 / 57))
    # Guangxi aligned with Inner Mongolia (not its parent): a dashed arrow
    assert any(p.get_linestyle() == "--" for p in ax.patches)
    # the two plans of 全国 are told apart
    assert {"全国 (national-2021)\nno text 无文本", "全国 (central-opinion-2022)\nno text 无文本"} <= captions

    # a plan compared with two references (a run's rows, then a peer comparison appended, as
    # notebook 02 does): the first, the run's own, colours it; a consensus reference is named
    rows = pd.DataFrame(
        [
            ("dazhang", "consensus:national-2021", "邵阳市大祥区", "county", 37, 30, 4, 3, 0, 40, 1.0),
            ("dazhang", "jiangxi", "邵阳市大祥区", "county", 57, 12, 3, 20, 22, 6, 35 / 57),
        ],
        columns=list(COVERAGE_COLUMNS),
    )
    captions = {t.get_text() for t in plot_hierarchy(plans, rows).axes[0].texts}
    assert "邵阳市大祥区\n100% of consensus 共识" in captions


def test_empty_inputs_give_a_message_not_a_crash(tmp_path: Path) -> None:
    empty_cov = pd.DataFrame(columns=list(COVERAGE_COLUMNS))
    empty_al = pd.DataFrame(columns=list(ALIGNMENT_COLUMNS))
    for fig in (
        plot_coverage(empty_cov),
        plot_theme_heatmap(empty_al),
        plot_hierarchy(manifest(), empty_cov),
    ):
        paths = save_figure(fig, tmp_path, "empty", formats=("png",))
        assert paths[0].stat().st_size > 1_000


def test_svg_is_reproducible(tmp_path: Path) -> None:
    first = save_figure(plot_coverage(coverage_frame(), manifest()), tmp_path / "a", "c", formats=("svg",))[0]
    second = save_figure(plot_coverage(coverage_frame(), manifest()), tmp_path / "b", "c", formats=("svg",))[
        0
    ]
    assert first.read_bytes() == second.read_bytes()


def test_pair_charts_of_different_pairs_never_share_a_file(tmp_path: Path) -> None:
    # ids that clean up to the same name, differ only in case, or are too long for a file name
    import dataclasses

    long_id = "内蒙古自治区全民科学素质行动规划纲要实施方案二〇二一至二〇二五年实施细则"
    ids = [("c:1", "x"), ("c?1", "x"), ("a__b", "c"), ("a", "b__c"), ("A", "b__c"), (long_id, long_id)]
    matrices = [dataclasses.replace(pair_matrix(), parent_plan=p, child_plan=c) for p, c in ids]
    written = write_figures(
        tmp_path, alignment_frame(), coverage_frame(), manifest(), pair_matrices=matrices, formats=("png",)
    )
    pair_files = [p.name for p in written if p.name.startswith("pair_")]
    assert len({name.lower() for name in pair_files}) == len(ids)
    assert all(len(name.encode("utf-8")) <= 120 for name in pair_files)
    # each chart is named as the pair's HTML page
    assert pair_files == [f"pair_{page.removesuffix('.html')}.png" for page in page_names(ids)]
    assert "pair_a__b__c.png" not in pair_files  # the clash of a__b + c and a + b__c is resolved


# --------------------------------------------------------------------------------------------
# the figure cache


def _figures(
    folder: Path, cache: FigureCache | None, pairs: list[PairMatrix] | None = None
) -> dict[str, bytes]:
    written = write_figures(
        folder,
        alignment_frame(),
        coverage_frame(),
        manifest(),
        pair_matrices=pairs or [pair_matrix()],
        cache=cache,
    )
    return {p.name: p.read_bytes() for p in written}


def test_a_cached_chart_is_copied_not_drawn_and_is_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import align.plot

    cache = FigureCache(tmp_path / "cache")
    drawn = _figures(tmp_path / "a", cache)
    assert drawn == _figures(tmp_path / "plain", None)  # the cache changes no byte
    assert (cache.hits, cache.misses) == (0, 4)

    def refuse(*args: object, **kwargs: object) -> Figure:
        raise AssertionError("an unchanged chart was drawn again")

    for name in ("plot_coverage", "plot_theme_heatmap", "plot_hierarchy", "plot_pair_matrix"):
        monkeypatch.setattr(align.plot, name, refuse)
    again = FigureCache(tmp_path / "cache")
    assert _figures(tmp_path / "b", again) == drawn
    assert (again.hits, again.misses) == (4, 0)


def test_a_changed_pair_is_drawn_again_and_the_others_copied(tmp_path: Path) -> None:
    import dataclasses

    cache = FigureCache(tmp_path / "cache")
    first = _figures(tmp_path / "a", cache)
    pair = pair_matrix()
    moved = dataclasses.replace(pair, links=[*pair.links[:-1], (4, 6)])  # one link goes elsewhere
    again = FigureCache(tmp_path / "cache")
    second = _figures(tmp_path / "b", again, [moved])
    assert (again.hits, again.misses) == (3, 1)
    assert second["pair_jiangxi__jiujiang.png"] != first["pair_jiangxi__jiujiang.png"]
    assert second == _figures(tmp_path / "plain", None, [moved])
    # nor does a new drawing code or font give back an old picture
    assert "matplotlib" in cache.version() and "NotoSans" in cache.version().replace(" ", "")


def test_a_damaged_cached_chart_is_drawn_again(tmp_path: Path) -> None:
    import sqlite3

    cache = FigureCache(tmp_path / "cache")
    first = _figures(tmp_path / "a", cache)
    with sqlite3.connect(cache.path) as conn:
        conn.execute("UPDATE figures SET data = substr(data, 1, 100)")  # every entry cut short
    conn.close()
    again = FigureCache(tmp_path / "cache")
    assert _figures(tmp_path / "b", again) == first
    assert (again.hits, again.misses, again.corrupt) == (0, 4, 8)


def test_the_cache_keeps_to_its_size_dropping_the_oldest_charts(tmp_path: Path) -> None:
    cache = FigureCache(tmp_path / "cache")
    first = _figures(tmp_path / "a", cache)
    sizes = {name: len(data) for name, data in first.items()}
    # room for the two pair images only: the three overview charts, stored first, go
    small = FigureCache(
        tmp_path / "cache",
        max_bytes=sizes["pair_jiangxi__jiujiang.png"] + sizes["pair_jiangxi__jiujiang.svg"],
    )
    assert small.trim(small.max_bytes) == 6
    again = FigureCache(tmp_path / "cache")
    assert _figures(tmp_path / "b", again) == first
    assert (again.hits, again.misses) == (1, 3)


def test_many_charts_are_drawn_by_worker_processes_into_the_same_bytes(tmp_path: Path) -> None:
    from functools import partial

    from align.plot import PARALLEL_CHARTS, draw_charts, figure_bytes

    draws = [
        partial(plot_coverage, coverage_frame().iloc[: 1 + k % 3], manifest()) for k in range(PARALLEL_CHARTS)
    ]
    serial = [figure_bytes(draw(), ("png",)) for draw in draws]
    assert list(draw_charts(draws, ("png",), workers=2)) == serial
    assert len({images["png"] for images in serial}) == 3  # the order is kept, not just the set
    # a chart that fails in a worker fails the caller (it does not hang or vanish)
    broken = [*draws[:-1], partial(plot_pair_matrix, np.zeros((2, 2)), ["a"], ["b"], [], [], [])]
    with pytest.raises(Exception):  # noqa: B017 - whatever the plotting error is
        list(draw_charts(broken, ("png",), workers=2))


def draw_and_note_pid(folder: str) -> Figure:
    """A chart that notes which process drew it (a worker of the test below)."""
    import os

    (Path(folder) / str(os.getpid())).touch()
    return plot_coverage(coverage_frame(), manifest())


def test_workers_leave_when_their_caller_is_killed_outright(tmp_path: Path) -> None:
    # SIGKILL (or the out-of-memory killer) gives the caller no chance to stop its pool
    import signal
    import subprocess
    import sys
    import time

    script = f"""
import os, signal
from functools import partial
from align.plot import PARALLEL_CHARTS, draw_charts
from tests.test_plot import draw_and_note_pid
draws = [partial(draw_and_note_pid, {str(tmp_path)!r})] * (4 * PARALLEL_CHARTS)
for _ in draw_charts(draws, ("png",), workers=2):
    os.kill(os.getpid(), signal.SIGKILL)
"""
    quiet = subprocess.DEVNULL  # the orphaned workers would hold captured pipes open
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, stdout=quiet, stderr=quiet, timeout=120)
    assert done.returncode == -signal.SIGKILL
    workers = [int(p.name) for p in tmp_path.iterdir()]
    assert workers

    def alive(pid: int) -> bool:  # a zombie nobody reaps (PID 1 of some containers) is gone too
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False

    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)


def test_a_users_matplotlib_style_changes_no_chart() -> None:
    # a matplotlibrc or a notebook's style is not in the FigureCache key, and spawned workers do
    # not see the caller's: a chart drawn under it would be given back to runs without it
    from align.plot import figure_bytes

    def draw() -> dict[str, bytes]:
        return figure_bytes(plot_coverage(coverage_frame(), manifest()))

    plain = draw()
    style = {"savefig.facecolor": "black", "axes.grid": True, "patch.linewidth": 4.0}
    with matplotlib.rc_context(style):
        assert draw() == plain
        assert matplotlib.rcParams["savefig.facecolor"] == "black"  # the caller's style is left alone


@pytest.mark.parametrize("module", ["align.report", "align.models"])
def test_a_change_to_the_colours_labels_or_levels_the_charts_use_is_a_new_cache_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    # STATUS_COLORS, STATUS_LABELS, section_key … (align.report) and LEVELS (align.models) are
    # drawn: a change to them must not give back the charts of the old ones
    import align.plot

    cache = FigureCache(tmp_path / "cache")
    before = cache.version()
    real = align.plot.source_digest
    monkeypatch.setattr(align.plot, "source_digest", lambda name: "edited" if name == module else real(name))
    assert cache.version() != before


def test_charts_are_drawn_when_the_callers_script_is_read_from_standard_input() -> None:
    # spawned workers load the caller's __main__ again from its file: "<stdin>" has none, and the
    # pool broke with a traceback per worker; such a caller draws in its own process
    import subprocess
    import sys

    script = """
from functools import partial
from align.plot import PARALLEL_CHARTS, draw_charts, plot_coverage
from tests.test_plot import coverage_frame, manifest
draws = [partial(plot_coverage, coverage_frame(), manifest())] * PARALLEL_CHARTS
print(len(list(draw_charts(draws, ("png",), workers=2))))
"""
    done = subprocess.run(
        [sys.executable, "-"], input=script, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.split() == ["8"]


def test_ctrl_c_while_the_workers_start_prints_no_traceback(tmp_path: Path) -> None:
    # Ctrl-C reaches the whole process group: a worker still importing matplotlib, before it set
    # itself to ignore SIGINT, died of it with a traceback of its own
    import os
    import signal
    import subprocess
    import sys

    script = """
import sys
from functools import partial
from align.plot import PARALLEL_CHARTS, draw_charts, plot_coverage
from tests.test_plot import coverage_frame, manifest
if __name__ == "__main__":
    draws = [partial(plot_coverage, coverage_frame(), manifest())] * (2 * PARALLEL_CHARTS)
    print("drawing", flush=True)
    try:
        list(draw_charts(draws, ("png",), workers=2))
    except KeyboardInterrupt:
        sys.exit("interrupted")
"""
    (tmp_path / "caller.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, str(tmp_path / "caller.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's
    ) as caller:
        assert caller.stdout is not None and caller.stdout.readline() == "drawing\n"
        time.sleep(0.2)  # the workers are starting: they take about a second to import
        os.killpg(caller.pid, signal.SIGINT)
        _, err = caller.communicate(timeout=60)
    assert caller.returncode == 1 and err == "interrupted\n", err


@pytest.mark.parametrize("where", ["semaphores", "processes"])
def test_charts_are_drawn_in_process_where_workers_cannot_start(
    where: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a container without /dev/shm has no semaphores; a limit on processes stops them starting
    from functools import partial

    import align.plot
    from align.plot import PARALLEL_CHARTS, draw_charts, figure_bytes

    class NoPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            if where == "semaphores":
                raise OSError(38, "Function not implemented")

        def map(self, *args: object) -> None:
            raise OSError(11, "Resource temporarily unavailable")

        def shutdown(self, **kwargs: object) -> None:
            pass

    monkeypatch.setattr(align.plot, "ProcessPoolExecutor", NoPool)
    draws = [
        partial(plot_coverage, coverage_frame().iloc[: 1 + k % 2], manifest()) for k in range(PARALLEL_CHARTS)
    ]
    with caplog.at_level(logging.WARNING, logger="align.plot"):
        drawn = list(draw_charts(draws, ("png",), workers=2))
    assert drawn == [figure_bytes(draw(), ("png",)) for draw in draws]
    assert "charts drawn in one process" in caplog.text


def coverage_chart_or_die_in_a_worker(parent: int) -> Figure:
    """The coverage chart, except in a worker process, which dies as if killed for its memory."""
    import os

    if os.getpid() != parent:
        os._exit(137)
    return plot_coverage(coverage_frame(), manifest())


def test_charts_a_dead_worker_left_are_drawn_in_process(caplog: pytest.LogCaptureFixture) -> None:
    import os
    from functools import partial

    from align.plot import PARALLEL_CHARTS, draw_charts, figure_bytes

    draws = [partial(coverage_chart_or_die_in_a_worker, os.getpid())] * PARALLEL_CHARTS
    with caplog.at_level(logging.WARNING, logger="align.plot"):
        drawn = list(draw_charts(draws, ("png",), workers=2))
    assert drawn == [figure_bytes(plot_coverage(coverage_frame(), manifest()), ("png",))] * PARALLEL_CHARTS
    assert "a chart worker stopped" in caplog.text


def test_charts_are_drawn_in_process_when_a_worker_dies_while_they_are_handed_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a worker that dies as it starts breaks the pool before every chart is submitted: the
    # submission itself raises BrokenProcessPool
    from concurrent.futures.process import BrokenProcessPool
    from functools import partial

    import align.plot
    from align.plot import PARALLEL_CHARTS, draw_charts, figure_bytes

    class BrokenPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def map(self, *args: object) -> None:
            raise BrokenProcessPool("A process in the process pool was terminated abruptly")

        def shutdown(self, **kwargs: object) -> None:
            pass

    monkeypatch.setattr(align.plot, "ProcessPoolExecutor", BrokenPool)
    draws = [partial(plot_coverage, coverage_frame(), manifest())] * PARALLEL_CHARTS
    with caplog.at_level(logging.WARNING, logger="align.plot"):
        drawn = list(draw_charts(draws, ("png",), workers=2))
    assert drawn == [figure_bytes(draws[0](), ("png",))] * PARALLEL_CHARTS
    assert "charts drawn in one process" in caplog.text


def coverage_chart_or_fail_in_a_worker(parent: int) -> Figure:
    """The coverage chart, except in a worker process, where drawing it fails."""
    import os

    if os.getpid() != parent:
        raise ValueError("no such column in a worker")
    return plot_coverage(coverage_frame(), manifest())


def test_an_error_drawing_a_chart_in_a_worker_reaches_the_caller() -> None:
    # the in-process fallback is for dead workers, not for charts that fail: those are not redrawn
    import os
    from functools import partial

    from align.plot import PARALLEL_CHARTS, draw_charts

    draws = [partial(coverage_chart_or_fail_in_a_worker, os.getpid())] * PARALLEL_CHARTS
    with pytest.raises(ValueError, match="no such column in a worker"):
        list(draw_charts(draws, ("png",), workers=2))


def test_a_table_without_a_column_or_not_a_table_is_named_not_a_pandas_key_error() -> None:
    from align.corpus import Corpus
    from align.errors import InputError

    coverage = coverage_frame()
    with pytest.raises(InputError, match=r"coverage lacks columns \['added'\]"):
        plot_coverage(coverage.drop(columns=["added"]))
    with pytest.raises(InputError, match=r"lacks columns \['child_plan'\]; call .reset_index\(\) first"):
        plot_coverage(coverage.set_index("child_plan"))
    with pytest.raises(TypeError, match=r"coverage must be a DataFrame, not dict \(for one row"):
        plot_coverage(coverage.iloc[0].to_dict())  # type: ignore[arg-type]  # pair.coverage()
    with pytest.raises(TypeError, match=r"plans_frame\(corpus\)"):
        plot_coverage(coverage, Corpus.load(ROOT / "data"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"coverage lacks columns \['coverage'\]"):
        plot_hierarchy(manifest(), coverage.drop(columns=["coverage"]))
    with pytest.raises(InputError, match=r"plans lacks columns \['plan_id'\]"):
        plot_hierarchy(coverage, manifest())  # arguments swapped
    with pytest.raises(InputError, match=r"alignment lacks columns \['parent_path'\]"):
        plot_theme_heatmap(alignment_frame().drop(columns=["parent_path"]))


def test_pair_matrix_without_sections_labels_every_nth_measure() -> None:
    pair = pair_matrix()
    fig = plot_pair_matrix(pair.similarity, pair.parent_labels, pair.child_labels, links=pair.links)
    ax = fig.axes[0]
    assert not [line for line in ax.lines]  # no section boundaries
    assert len(ax.get_yticklabels()) == len(pair.parent_labels)
    similarity = np.linspace(0, 1, 90 * 10).reshape(90, 10)
    fig = plot_pair_matrix(
        similarity, [f"m{i}" for i in range(90)], [str(i) for i in range(10)], max_ticks=30
    )
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][:3] == ["m0", "m3", "m6"]


def test_dollar_signs_in_names_are_text_not_formulas(tmp_path: Path) -> None:
    # "$^$" in a jurisdiction once made matplotlib's mathtext parser end align run with a traceback
    plans = manifest()
    plans.loc[plans["plan_id"] == "jiujiang", "jurisdiction"] = "九江$^$市"
    fig = plot_coverage(coverage_frame(), plans)
    assert "江西省 → 九江$^$市" in [t.get_text().strip("\u3000") for t in fig.axes[0].get_yticklabels()]
    assert [p.suffix for p in save_figure(fig, tmp_path, "coverage")] == [".png", ".svg"]
