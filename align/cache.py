"""Disk caches of the align cache folder besides the embeddings: parsed documents
(:class:`MeasureCache`) and, through :class:`BlobStore`, the character diffs of the HTML pages
(:class:`align.report.DiffCache`) and the rendered charts (:class:`align.plot.FigureCache`).

A plan whose text was already cut into measures (same text, same plan id, same extractor
settings, same parsing code) is read back instead of parsed again.

Parsing (outline, measures and their attributes: targets, deadlines, agencies, jieba-segmented
modality words) costs about 60 ms per plan; reading a cached plan back costs about 1 ms. The
cache lives next to the embedding cache, in the align cache folder that the CLI passes down
(``--cache-dir``, ``$ALIGN_CACHE_DIR`` or the per-user folder); library calls without a
:class:`MeasureCache` parse as before.

Entries are keyed by the SHA-256 of (version, plan id, text). The version names
:data:`CACHE_VERSION` (bumped by hand when parsing changes in a way the rest cannot see), the
package version, a fingerprint of the parsing code (the source of :mod:`align.outline`,
:mod:`align.measures`, :mod:`align.attributes`, :mod:`align.models` and of the extractor's own
class, and the jieba version) and the extractor's class and settings. Measures are stored as
JSON (zlib-compressed, with a checksum) and rebuilt field by field from the dataclass types, so
they come back equal and typed as they were (tuples stay tuples). An entry that fails any check
is ignored, recomputed and rewritten; a database file SQLite cannot read is moved aside and
rebuilt; when the folder cannot be written the run goes on without the cache. Several processes
may share one cache (SQLite locking, write-ahead log).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import sqlite3
import sys
import types
import typing
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from align.models import Measure

log = logging.getLogger(__name__)

CACHE_VERSION = 1
"""Bump by hand when parsing or the stored format changes in a way the code fingerprint misses
(e.g. a data file the parser reads)."""

PARSING_MODULES: tuple[str, ...] = ("align.outline", "align.measures", "align.attributes", "align.models")
"""Modules whose source is part of every entry's version."""


def move_aside(path: Path, err: Exception, what: str = "cache") -> bool:
    """Move an unreadable SQLite database (and its ``-wal``/``-shm`` files) to
    ``<name>.corrupt-<pid>``, so the caller can create a fresh one in its place.

    Returns
    -------
    Whether it was moved; False when there is no such file or the folder cannot be written (e.g.
    read-only), where a fresh database could not be made either.
    """
    if isinstance(err, sqlite3.OperationalError):
        # a full disk, an I/O error, a lock: the database may be sound, and moving it aside would
        # throw away a good cache (and a fresh one could not be written either); the caller says so
        return False
    broken = path.with_name(f"{path.name}.corrupt-{os.getpid()}")
    present = [suffix for suffix in ("", "-wal", "-shm") if Path(f"{path}{suffix}").exists()]
    if not present:  # nothing to move: the database could not be created (a read-only folder)
        return False
    try:
        for suffix in present:
            os.replace(Path(f"{path}{suffix}"), Path(f"{broken}{suffix}"))
    except OSError as move_err:
        log.warning("%s %s is unreadable (%s) and cannot be moved aside (%s)", what, path, err, move_err)
        return False
    log.warning("%s %s is unreadable (%s); moved to %s and rebuilt", what, path, err, broken)
    return True


class _Corrupt(ValueError):
    """A stored entry that does not decode into measures."""


# -- version -----------------------------------------------------------------------------------------


def source_digest(module_name: str) -> str:
    """A short digest of a module's source file (``-`` when it cannot be read)."""
    module = sys.modules.get(module_name)
    if module is None:
        try:
            module = __import__(module_name, fromlist=["_"])
        except ImportError:
            return "-"
    return file_digest(getattr(module, "__file__", None) or "")


@functools.lru_cache(maxsize=64)
def file_digest(path: str) -> str:
    """A short digest of a file's bytes (``-`` when it cannot be read); read once per process."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "-"


@functools.lru_cache(maxsize=1)
def _jieba_version() -> str:
    try:
        return importlib.metadata.version("jieba")
    except importlib.metadata.PackageNotFoundError:
        return "-"


def code_fingerprint(extractor: object) -> str:
    """What the parsing code is: cache version, package version, jieba version and a digest of the
    source of the parsing modules and of every module defining a class of the extractor's MRO."""
    from align import __version__

    names = list(PARSING_MODULES)
    for cls in type(extractor).__mro__:
        if cls.__module__ not in names and cls.__module__ != "builtins":
            names.append(cls.__module__)
    digest = hashlib.sha256()
    for name in names:
        digest.update(f"{name}={source_digest(name)};".encode())
    return f"v{CACHE_VERSION}|align {__version__}|jieba {_jieba_version()}|{digest.hexdigest()[:24]}"


def extractor_settings(extractor: object) -> str:
    """The extractor's class and parameters, as text."""
    cls = type(extractor)
    if dataclasses.is_dataclass(extractor):
        values = {f.name: getattr(extractor, f.name) for f in dataclasses.fields(extractor)}
    else:
        values = dict(sorted(vars(extractor).items()))
    return f"{cls.__module__}.{cls.__qualname__}({', '.join(f'{k}={v!r}' for k, v in values.items())})"


# -- encoding ----------------------------------------------------------------------------------------


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def encode_measures(measures: list[Measure]) -> bytes:
    """Measures as compressed JSON."""
    text = json.dumps([_plain(m) for m in measures], ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 6)


def _check_type(kind: type | tuple[type, ...], name: str) -> Callable[[object], object]:
    def check(value: object) -> object:
        if type(value) not in (kind if isinstance(kind, tuple) else (kind,)):
            raise _Corrupt(f"not {name}")
        return value

    return check


@functools.lru_cache(maxsize=64)
def _converter(hint: Any) -> Callable[[object], object]:
    """A function turning a JSON value into an instance of the type ``hint``, raising
    :class:`_Corrupt` when the value is not one (built once per type)."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        types_ = typing.get_type_hints(hint)
        fields = [(f.name, _converter(types_[f.name])) for f in dataclasses.fields(hint) if f.init]
        names = {name for name, _ in fields}
        cls = hint

        def build(value: object) -> object:
            if not isinstance(value, dict) or value.keys() != names:
                raise _Corrupt(f"not a {cls.__name__}")
            return cls(**{name: convert(value[name]) for name, convert in fields})

        return build
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _converter(args[0])
        if args[0] is str:  # the common case, checked in one pass

            def strings(value: object) -> object:
                if not isinstance(value, list) or not all(type(v) is str for v in value):
                    raise _Corrupt(f"not a {hint}")
                return tuple(value)

            return strings

        def sequence(value: object) -> object:
            if not isinstance(value, list):
                raise _Corrupt(f"not a {hint}")
            return tuple(item(v) for v in value)

        return sequence
    if origin is dict and len(args) == 2:
        key, val = _converter(args[0]), _converter(args[1])

        def mapping(value: object) -> object:
            if not isinstance(value, dict):
                raise _Corrupt(f"not a {hint}")
            return {key(k): val(v) for k, v in value.items()}

        return mapping
    if origin is typing.Union or origin is types.UnionType:
        others = [a for a in args if a is not type(None)]
        if len(others) != 1:
            raise TypeError(f"unsupported type {hint}")
        inner = _converter(others[0])
        optional = type(None) in args

        def union(value: object) -> object:
            return None if value is None and optional else inner(value)

        return union
    if hint is float:  # an int stays an int: JSON keeps 200 and 200.0 apart
        return _check_type((int, float), "a number")
    if hint in (str, bool, int):
        return _check_type(hint, f"a {hint.__name__}")
    raise TypeError(f"unsupported type {hint}")


def decode_measures(blob: bytes) -> list[Measure]:
    """The measures of :func:`encode_measures`; :class:`_Corrupt` when ``blob`` is not such a list."""
    try:
        rows = json.loads(zlib.decompress(blob).decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Corrupt(str(exc)) from None
    if not isinstance(rows, list):
        raise _Corrupt("not a list")
    build = _converter(Measure)
    return [typing.cast(Measure, build(row)) for row in rows]


def checksum(blob: bytes) -> bytes:
    """The 8-byte checksum stored next to each cached blob."""
    return hashlib.blake2b(blob, digest_size=8).digest()


def digest(*parts: str) -> bytes:
    """SHA-256 of ``parts``, each length-prefixed (no two lists of parts give the same input)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


# -- cache -------------------------------------------------------------------------------------------


class SqliteStore:
    """One SQLite database in the align cache folder, opened per call (so the object pickles to
    dask workers and serves several threads), shared safely by several processes (SQLite locking,
    write-ahead log). A database SQLite cannot read is moved aside and rebuilt; when the folder
    cannot be written the store turns itself off (``disabled``) and callers compute everything.

    Parameters
    ----------
    cache_dir : the align cache folder (created when first written).
    """

    FILE_NAME = "store.sqlite3"
    SCHEMA: tuple[str, ...] = ()
    TABLE = ""

    def __init__(self, cache_dir: str | Path) -> None:
        self.cache_dir = Path(cache_dir)
        self.path = self.cache_dir / self.FILE_NAME
        self.hits = 0
        self.misses = 0
        self.corrupt = 0
        self.disabled = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.cache_dir)!r})"

    def _open(self) -> sqlite3.Connection:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=120, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in self.SCHEMA:
                conn.execute(statement)
            conn.execute(f"SELECT 1 FROM {self.TABLE} LIMIT 1").fetchall()
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self) -> sqlite3.Connection | None:
        """A connection, or None (store disabled for this object) when the folder is unusable."""
        if self.disabled:
            return None
        try:
            try:
                return self._open()
            except sqlite3.DatabaseError as err:
                if not self._move_aside(err):
                    raise
                return self._open()
        except (sqlite3.Error, OSError) as err:
            log.warning("cache %s cannot be used (%s); going on without it", self.path, err)
            self.disabled = True
            return None

    def _move_aside(self, err: Exception) -> bool:
        return move_aside(self.path, err)

    def _write(
        self, conn: sqlite3.Connection, statements: list[tuple[str, list[tuple[object, ...]]]]
    ) -> None:
        """Run ``executemany`` statements in one transaction; a failure is logged, not raised."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, rows in statements:
                    conn.executemany(sql, rows)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a full disk rolls back by itself: its error must show
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            log.warning("cache %s: could not store entries (%s)", self.path, err)


def blob_schema(table: str) -> tuple[str, ...]:
    """The ``SCHEMA`` of a :class:`BlobStore` whose table is ``table``."""
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (key BLOB PRIMARY KEY, data BLOB NOT NULL, sum BLOB NOT NULL)",
    )


class BlobStore(SqliteStore):
    """A :class:`SqliteStore` of ``(key, data, sum)`` rows: opaque blobs under a SHA-256 key, each
    with its :func:`checksum`. Subclasses set ``FILE_NAME``, ``TABLE`` and ``SCHEMA =
    blob_schema(TABLE)`` and say what a key is."""

    def lookup_blobs(self, keys: list[bytes]) -> dict[bytes, bytes]:
        """The stored blob of each key found; ``b""`` for an entry whose checksum fails (the caller
        counts it as corrupt and recomputes it)."""
        found: dict[bytes, bytes] = {}
        for key, data, stored_sum in self._select("key, data, sum", keys):
            ok = isinstance(data, bytes) and isinstance(stored_sum, bytes) and checksum(data) == stored_sum
            found[key] = data if ok else b""
        return found

    def existing_keys(self, keys: list[bytes]) -> set[bytes]:
        """The keys that have an entry (without reading the blobs)."""
        return {key for (key,) in self._select("key", keys)}

    def _select(self, columns: str, keys: list[bytes]) -> list[tuple[Any, ...]]:
        conn = self._connect()
        if conn is None:
            return []
        rows: list[tuple[Any, ...]] = []
        try:
            for start in range(0, len(keys), 500):  # under SQLite's bound-parameter limit
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                rows += conn.execute(f"SELECT {columns} FROM {self.TABLE} WHERE key IN ({marks})", part)
        except sqlite3.DatabaseError as err:  # damage that only shows when the pages are read
            conn.close()
            self._move_aside(err)
            return []
        conn.close()
        return rows

    def trim(self, max_bytes: int) -> int:
        """Remove the oldest entries (in the order they were stored) until the blobs take at most
        ``max_bytes``; returns how many were removed. SQLite reuses the freed pages."""
        conn = self._connect()
        if conn is None:
            return 0
        removed = 0
        try:
            total = conn.execute(f"SELECT COALESCE(SUM(length(data)), 0) FROM {self.TABLE}").fetchone()[0]
            if total > max_bytes:
                excess = total - max_bytes
                doomed: list[tuple[object, ...]] = []
                for rowid, size in conn.execute(
                    f"SELECT rowid, length(data) FROM {self.TABLE} ORDER BY rowid"
                ):
                    if excess <= 0:
                        break
                    doomed.append((rowid,))
                    excess -= size
                self._write(conn, [(f"DELETE FROM {self.TABLE} WHERE rowid = ?", doomed)])
                removed = len(doomed)
        except sqlite3.DatabaseError as err:
            log.warning("cache %s: could not trim (%s)", self.path, err)
        conn.close()
        return removed

    def store_blobs(self, rows: list[tuple[bytes, bytes]]) -> None:
        """Store ``(key, blob)`` rows in one transaction (nothing when the store is off)."""
        if not rows:
            return
        conn = self._connect()
        if conn is None:
            return
        self._write(
            conn,
            [
                (
                    f"INSERT OR REPLACE INTO {self.TABLE} VALUES (?, ?, ?)",
                    [(k, d, checksum(d)) for k, d in rows],
                )
            ],
        )
        conn.close()


class MeasureCache(SqliteStore):
    """A disk cache of :meth:`MeasureExtractor.extract <align.measures.MeasureExtractor.extract>`.

    Parameters
    ----------
    cache_dir : the align cache folder (the database is ``cache_dir/measures.sqlite3``; the
        folder is created when first written).

    Attributes
    ----------
    hits, misses, corrupt : documents served from the cache, parsed, and found with a bad entry.
    """

    FILE_NAME = "measures.sqlite3"
    TABLE = "parsed"
    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS parsed (key BLOB PRIMARY KEY, document BLOB NOT NULL, "
        "code TEXT NOT NULL, data BLOB NOT NULL, sum BLOB NOT NULL)",
        "CREATE INDEX IF NOT EXISTS parsed_document ON parsed (document)",
    )

    # -- keys ----------------------------------------------------------------------------------------

    def version(self, extractor: object) -> str:
        """The version string of entries written for ``extractor`` (code and settings)."""
        return f"{code_fingerprint(extractor)}|{extractor_settings(extractor)}"

    def key(self, extractor: object, text: str, plan_id: str) -> bytes:
        """The key of the entry for ``text`` parsed as plan ``plan_id`` by ``extractor``."""
        return digest(self.version(extractor), plan_id, text)

    @staticmethod
    def _document(text: str, plan_id: str) -> bytes:
        return digest(plan_id, text)

    # -- public --------------------------------------------------------------------------------------

    def get(self, extractor: object, text: str, plan_id: str) -> list[Measure] | None:
        """The cached measures of ``text`` as plan ``plan_id``, or None (absent or unusable)."""
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "SELECT data, sum FROM parsed WHERE key = ?", (self.key(extractor, text, plan_id),)
            ).fetchone()
        except sqlite3.DatabaseError as err:  # damage that only shows when the pages are read
            conn.close()
            self._move_aside(err)
            return None
        conn.close()
        if row is None:
            return None
        data, stored_sum = row
        try:
            if (
                not isinstance(data, bytes)
                or not isinstance(stored_sum, bytes)
                or checksum(data) != stored_sum
            ):
                raise _Corrupt("checksum mismatch")
            return decode_measures(data)
        except _Corrupt as err:
            self.corrupt += 1
            log.warning("measure cache %s: bad entry for %s (%s); parsing again", self.path, plan_id, err)
            return None

    def put(self, extractor: object, text: str, plan_id: str, measures: list[Measure]) -> None:
        """Store ``measures`` (entries of the same document from other code versions are removed)."""
        conn = self._connect()
        if conn is None:
            return
        data = encode_measures(measures)
        code = code_fingerprint(extractor)
        document = self._document(text, plan_id)
        key = self.key(extractor, text, plan_id)
        self._write(
            conn,
            [
                ("DELETE FROM parsed WHERE document = ? AND code <> ?", [(document, code)]),
                (
                    "INSERT OR REPLACE INTO parsed VALUES (?, ?, ?, ?, ?)",
                    [(key, document, code, data, checksum(data))],
                ),
            ],
        )
        conn.close()

    def extract(self, extractor: Any, text: str, plan_id: str = "", source: str = "") -> list[Measure]:
        """``extractor.extract(text, plan_id, source)`` through the cache (errors are not cached)."""
        found = self.get(extractor, text, plan_id)
        if found is not None:
            self.hits += 1
            if found:
                extractor.check_language(text, plan_id, source)  # a parse's warning, given again
            return found
        measures = extractor.extract(text, plan_id, source)
        self.misses += 1
        self.put(extractor, text, plan_id, measures)
        return measures
