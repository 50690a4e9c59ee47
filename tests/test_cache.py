"""The parse cache (align.cache.MeasureCache): exact round trip on a real seed plan, bad entries
and files ignored and recomputed, keys that follow the extractor's settings, and `align run`
with a cache folder giving the same outputs twice."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from align.cache import MeasureCache, checksum, decode_measures, encode_measures, move_aside
from align.cli import main
from align.errors import NotChineseWarning
from align.measures import MeasureExtractor
from align.models import Measure
from tests.conftest import PLANS, SEEDS, seed_text
from tests.test_measures import ENGLISH_PLAN

FAST = ["--encoder", "lexical", "--no-progress", "--no-figures"]


def _same(a: list[Measure], b: list[Measure]) -> None:
    """Equal field by field, ``extra`` included (it is left out of ``==``), with the same types."""
    assert a == b
    assert repr(a) == repr(b)
    for x, y in zip(a, b, strict=True):
        for f in dataclasses.fields(Measure):
            u, v = getattr(x, f.name), getattr(y, f.name)
            assert u == v and type(u) is type(v), f.name
        for s, t in zip(x.targets, y.targets, strict=True):
            assert [(type(getattr(s, f.name)), getattr(s, f.name)) for f in dataclasses.fields(s)] == [
                (type(getattr(t, f.name)), getattr(t, f.name)) for f in dataclasses.fields(t)
            ]


@pytest.mark.parametrize("name", ["jiangxi", "neimenggu"])
def test_round_trip_is_exact_on_a_seed_plan(name: str, tmp_path: Path) -> None:
    text = seed_text(name)
    extractor = MeasureExtractor()
    parsed = extractor.extract(text, name)
    assert any(m.targets for m in parsed) and any(m.extra for m in parsed)
    _same(decode_measures(encode_measures(parsed)), parsed)

    cache = MeasureCache(tmp_path)
    first = cache.extract(extractor, text, name, source=SEEDS[name])
    second = MeasureCache(tmp_path).extract(extractor, text, name)  # a new object: read from disk
    assert (cache.misses, cache.hits) == (1, 0)
    _same(first, parsed)
    _same(second, parsed)
    assert isinstance(second[0].path, tuple) and isinstance(second[0].sentences, tuple)


def test_measures_from_the_cache_are_the_plans_own(tmp_path: Path) -> None:
    cache = MeasureCache(tmp_path)
    text = seed_text("jiujiang")
    a = cache.extract(MeasureExtractor(), text, "jiujiang")
    b = cache.extract(MeasureExtractor(), text, "copy")  # the plan id is part of the key
    assert {m.plan_id for m in a} == {"jiujiang"} and {m.plan_id for m in b} == {"copy"}
    assert cache.misses == 2


def _rows(cache: MeasureCache) -> list[tuple[bytes, bytes]]:
    with sqlite3.connect(cache.path) as conn:
        return conn.execute("SELECT key, data FROM parsed").fetchall()


def _set(cache: MeasureCache, data: bytes, good_sum: bool) -> None:
    conn = sqlite3.connect(cache.path)
    with conn:
        conn.execute("UPDATE parsed SET data = ?, sum = ?", (data, checksum(data) if good_sum else b"x" * 8))
    conn.close()


@pytest.mark.parametrize(
    "data, good_sum",
    [
        (b"not zlib", True),  # checksum fits, content does not decode
        (zlib.compress(json.dumps([{"plan_id": "x"}]).encode()), True),  # decodes, wrong shape
        (zlib.compress(b"[]"), False),  # checksum fails
    ],
)
def test_a_bad_entry_is_ignored_recomputed_and_rewritten(
    data: bytes, good_sum: bool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = seed_text("guangxi")
    extractor = MeasureExtractor()
    expected = extractor.extract(text, "guangxi")
    cache = MeasureCache(tmp_path)
    cache.extract(extractor, text, "guangxi")
    _set(cache, data, good_sum)
    again = MeasureCache(tmp_path)
    _same(again.extract(extractor, text, "guangxi"), expected)
    assert (again.corrupt, again.misses, again.hits) == (1, 1, 0)
    assert "bad entry" in caplog.text
    third = MeasureCache(tmp_path)
    _same(third.extract(extractor, text, "guangxi"), expected)  # the entry was rewritten
    assert (third.corrupt, third.hits) == (0, 1)
    assert len(_rows(third)) == 1


def test_a_wrong_type_inside_an_entry_is_a_bad_entry(tmp_path: Path) -> None:
    text = seed_text("jiangxi")
    extractor = MeasureExtractor()
    cache = MeasureCache(tmp_path)
    measures = cache.extract(extractor, text, "jiangxi")
    rows = json.loads(zlib.decompress(_rows(cache)[0][1]))
    rows[0]["line"] = "41"  # a str where an int belongs
    _set(cache, zlib.compress(json.dumps(rows, ensure_ascii=False).encode()), True)
    again = MeasureCache(tmp_path)
    _same(again.extract(extractor, text, "jiangxi"), measures)
    assert again.corrupt == 1


def test_an_unreadable_database_is_moved_aside(tmp_path: Path) -> None:
    cache = MeasureCache(tmp_path)
    cache.path.write_bytes(b"this is not a database" * 100)
    text = seed_text("jiangxi")
    _same(cache.extract(MeasureExtractor(), text, "jiangxi"), MeasureExtractor().extract(text, "jiangxi"))
    assert list(tmp_path.glob("measures.sqlite3.corrupt-*"))
    assert MeasureCache(tmp_path).get(MeasureExtractor(), text, "jiangxi") is not None


def test_a_database_that_cannot_be_moved_aside_is_not_said_to_be_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a read-only folder: the damaged file stays where it is, and the log says so
    cache = MeasureCache(tmp_path)
    cache.path.write_bytes(b"this is not a database" * 100)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr("align.cache.os.replace", refuse)
    text = seed_text("jiangxi")
    _same(cache.extract(MeasureExtractor(), text, "jiangxi"), MeasureExtractor().extract(text, "jiangxi"))
    assert cache.disabled
    assert "cannot be moved aside" in caplog.text and "rebuilt" not in caplog.text
    assert not list(tmp_path.glob("measures.sqlite3.corrupt-*"))


def test_an_unusable_folder_only_turns_the_cache_off(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    cache = MeasureCache(blocker)
    text = seed_text("jiangxi")
    _same(cache.extract(MeasureExtractor(), text, "jiangxi"), MeasureExtractor().extract(text, "jiangxi"))
    assert cache.disabled


class _OtherExtractor(MeasureExtractor):
    pass


def test_extractor_settings_and_class_change_the_key(tmp_path: Path) -> None:
    cache = MeasureCache(tmp_path)
    text = seed_text("dazhang")
    base = cache.key(MeasureExtractor(), text, "dazhang")
    assert cache.key(MeasureExtractor(), text, "dazhang") == base
    assert cache.key(MeasureExtractor(min_bundle_sentences=6), text, "dazhang") != base
    assert cache.key(MeasureExtractor(snippet=20), text, "dazhang") != base
    assert cache.key(_OtherExtractor(), text, "dazhang") != base
    assert cache.key(MeasureExtractor(), text + "。", "dazhang") != base
    # and the measures stored under each setting are that setting's own
    five = cache.extract(MeasureExtractor(), text, "dazhang")
    many = cache.extract(MeasureExtractor(min_bundle_sentences=100), text, "dazhang")
    assert len(five) != len(many)
    assert cache.extract(MeasureExtractor(), text, "dazhang") == five
    assert cache.extract(MeasureExtractor(min_bundle_sentences=100), text, "dazhang") == many


def test_without_a_cache_parsing_is_as_before() -> None:
    from align.corpus import plan_from_path
    from align.pipeline import Aligner

    plan = plan_from_path(PLANS / SEEDS["jiangxi"])
    assert Aligner().parse_cache is None
    assert Aligner().measures(plan) == MeasureExtractor().extract(plan.text, plan.plan_id)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".align-outputs"
    }


def test_run_with_a_cache_folder_twice_gives_identical_outputs(tmp_path: Path) -> None:
    """The second run reads every plan from the cache and loads no word segmenter: the binding
    cues of the status rules were read at parse time and stored with the measures."""
    cache = tmp_path / "cache"
    first, second = tmp_path / "first", tmp_path / "second"
    argv = ["run", "--corpus", str(PLANS.parent), "--cache-dir", str(cache), *FAST]
    assert main([*argv, "--out", str(first)]) == 0
    script = (
        "import sys; from align.cli import main; code = main(sys.argv[1:]); "
        "print('jieba' in sys.modules); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *argv, "--out", str(second)],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False"
    assert (cache / "measures.sqlite3").is_file() and (cache / "diffs.sqlite3").is_file()
    outputs = [_snapshot(o) for o in (first, second)]
    assert "alignment.csv" in outputs[0] and "report.xlsx" in outputs[0]
    assert outputs[0] == outputs[1]  # byte for byte, the workbook too
    # every document of the second run was read from the cache
    with sqlite3.connect(cache / "measures.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM parsed").fetchone()[0] == 5


def test_measures_carry_the_binding_cue_of_each_sentence() -> None:
    measures = MeasureExtractor().extract(seed_text("dazhang"), "dazhang")
    for m in measures:
        assert len(m.binding_cues) == len(m.sentences)
    cues = {s: c for m in measures for s, c in zip(m.sentences, m.binding_cues, strict=True)}

    def cue_of(start: str) -> str:
        return next(c for sentence, c in cues.items() if sentence.startswith(start))

    assert cue_of("区政府安排经费保障公民科学素质建设并列入财政预算") == "列入…预算"
    assert cue_of("实施科技助力乡村振兴工程，新建10个") == "10个"
    assert cue_of("坚持立德树人") == ""
    assert sum(bool(c) for c in cues.values()) < len(cues) / 4  # most sentences bind nothing


def test_a_full_disk_while_storing_is_logged_as_such(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite rolls a transaction back by itself when the disk is full (simulated by a page limit);
    the warning once read "cannot rollback - no transaction is active" instead."""
    from align.cache import BlobStore, blob_schema

    class Store(BlobStore):
        FILE_NAME = "blobs.sqlite3"
        TABLE = "blobs"
        SCHEMA = blob_schema(TABLE)

    store = Store(tmp_path)
    conn = store._connect()
    assert conn is not None
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    rows = [(b"key%d" % i, os.urandom(100_000), b"sum") for i in range(3)]
    with caplog.at_level("WARNING", logger="align.cache"):
        store._write(conn, [(f"INSERT OR REPLACE INTO {Store.TABLE} VALUES (?, ?, ?)", rows)])
    conn.close()
    assert "could not store entries (database or disk is full)" in caplog.text


def test_move_aside_moves_only_what_exists(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # a database that could not even be created (a read-only cache folder) is not "moved aside
    # and rebuilt": the caller goes on without the cache, with one warning of its own
    err = sqlite3.DatabaseError("file is not a database")
    assert move_aside(tmp_path / "measures.sqlite3", err) is False
    assert caplog.text == ""
    (tmp_path / "measures.sqlite3").write_bytes(b"not a database")
    # a full disk or an I/O error says nothing of the file: a sound cache is kept where it is
    for trouble in ("database or disk is full", "disk I/O error", "unable to open database file"):
        assert move_aside(tmp_path / "measures.sqlite3", sqlite3.OperationalError(trouble)) is False
    assert (tmp_path / "measures.sqlite3").exists()
    assert move_aside(tmp_path / "measures.sqlite3", err) is True
    assert "moved to" in caplog.text and not (tmp_path / "measures.sqlite3").exists()
    assert len(list(tmp_path.glob("measures.sqlite3.corrupt-*"))) == 1


def test_a_parse_warning_is_given_again_when_the_measures_come_from_the_cache(tmp_path: Path) -> None:
    cache = MeasureCache(tmp_path)
    for _ in range(2):  # a miss, then a hit: the same warning both times
        with pytest.warns(NotChineseWarning, match=r"en.txt: only \d+% of its text is Chinese"):
            cache.extract(MeasureExtractor(), ENGLISH_PLAN, "en", source="en.txt")
    assert (cache.misses, cache.hits) == (1, 1)
