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

from align.errors import InputError


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
    removed on the next run). ``out/.align-outputs`` lists what the last run published, so a
    new run removes the files of the old one that it no longer produces (and nothing else).
    """

    LEDGER = ".align-outputs"

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise InputError("output folder is an existing file; choose a folder", path=self.out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the output folder: {exc.strerror}", path=self.out) from None
        for stale in self.out.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.path = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.out))

    def publish(self) -> None:
        """Move every staged file into ``out`` (each move is an atomic rename), then remove the
        files the previous run published that this one did not."""
        ledger = self.out / self.LEDGER
        previous = set(ledger.read_text(encoding="utf-8").splitlines()) if ledger.is_file() else set()
        files = sorted(p for p in self.path.rglob("*") if p.is_file())
        names = [str(p.relative_to(self.path)) for p in files]
        for src, name in zip(files, names, strict=True):
            dest = self.out / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        for name in sorted(previous - set(names)):
            stale = self.out / name
            if ".." not in Path(name).parts and stale.is_file():
                stale.unlink()
        atomic_write_text(ledger, "".join(f"{n}\n" for n in names))
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
