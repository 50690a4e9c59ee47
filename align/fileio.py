"""Atomic output: nothing half-written, the previous outputs intact when a run fails.

Every writer goes through :func:`atomic_write_bytes`; a whole run writes into a
:class:`StagedOutput` folder and publishes it at the end.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A DataFrame as UTF-8-with-BOM CSV bytes (Excel and WPS then read Chinese correctly)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` atomically as UTF-8-with-BOM CSV."""
    return atomic_write_bytes(path, csv_bytes(frame))


class StagedOutput:
    """A staging folder inside ``out`` whose files replace those of ``out`` only on ``publish``.

    A run killed before ``publish`` leaves ``out`` as it was (the hidden staging folder is
    removed on the next run).
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in self.out.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.path = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.out))

    def publish(self) -> None:
        """Move every staged file into ``out`` (each move is an atomic rename)."""
        for src in sorted(p for p in self.path.rglob("*") if p.is_file()):
            dest = self.out / src.relative_to(self.path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        shutil.rmtree(self.path, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def staged_output(out: str | Path) -> Iterator[Path]:
    """Context manager: yield a staging folder, publish it into ``out`` on success only."""
    stage = StagedOutput(out)
    try:
        yield stage.path
    except BaseException:
        stage.discard()
        raise
    stage.publish()
