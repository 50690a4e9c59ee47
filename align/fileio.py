"""Atomic output: nothing half-written, the previous outputs intact when a run fails.

Every writer goes through :func:`atomic_write_bytes`; a whole run writes into a
:class:`StagedOutput` folder and publishes it at the end, holding a lock on the output folder
from the first write to the last so that two commands never write into the same folder at once.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

import pandas as pd

from align.errors import AlignError, InputError

if sys.platform != "win32":
    import fcntl

log = logging.getLogger(__name__)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    if path.is_dir():  # else os.replace fails naming the temporary file, not the path given
        raise IsADirectoryError(
            errno.EISDIR, "is a folder; give the file to write (a name inside it)", str(path)
        )
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


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: object) -> object:
    """A text cell that Excel or WPS would read as a formula (``=…``, ``+…``, ``-…``, ``@…``: a
    heading such as ``-加强科普`` shows ``#NAME?``, a crafted document could run one) with a
    leading apostrophe, as OWASP advises for CSV; numbers such as ``-0.5`` stay as they are."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def _is_identifier(column: object) -> bool:
    """Columns of ids and file names (plan_id, parent_plan, child_measure, file, cluster …): they
    are read back and joined on, so they are written as they are."""
    name = str(column)
    return name in ("file", "cluster", "members") or name.endswith(("_id", "_plan", "_measure"))


def csv_bytes(frame: pd.DataFrame, formulas_as_text: bool = True) -> bytes:
    """A DataFrame as UTF-8-with-BOM CSV bytes (Excel and WPS then read Chinese correctly).

    Parameters
    ----------
    frame : the table.
    formulas_as_text : text cells that Excel would read as formulas get an apostrophe
        (:func:`excel_safe`), except in id and file columns (:func:`_is_identifier`); off for a
        table align reads back as it is (a drafted manifest).
    """
    texts = [
        c
        for c in frame.columns
        if formulas_as_text
        and not _is_identifier(c)
        and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))
    ]
    if texts:
        frame = frame.copy()
        for column in texts:
            frame[column] = frame[column].map(excel_safe)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path, formulas_as_text: bool = True) -> Path:
    """Write ``frame`` atomically as UTF-8-with-BOM CSV (see :func:`csv_bytes`)."""
    return atomic_write_bytes(path, csv_bytes(frame, formulas_as_text))


# -- processes ------------------------------------------------------------------------------------


def expand_home(path: str | Path) -> Path:
    """``path`` with ``~`` as the home folder (``~name``: that user's), as a shell would expand it.

    Raises
    ------
    InputError : ``~name`` of a user this system does not know (Python raises RuntimeError).
    """
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise InputError(
            "starts with the home folder of a user this system does not know", str(path)
        ) from None


def names_a_file(name: str | Path) -> bool:
    """Whether ``name`` is the path of an existing file; ``False`` for a string that cannot be a
    path at all (too long for the file system, a NUL), as a notebook may pass a text for a path."""
    try:
        return Path(name).is_file()
    except (OSError, ValueError):
        return False


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# -- SIGTERM ---------------------------------------------------------------------------------------

_INTERRUPTED = threading.Event()
"""Set by the handler of :func:`sigterm_as_interrupt` when a Ctrl-C or SIGTERM comes."""


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def check_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` if a Ctrl-C or SIGTERM came while :func:`sigterm_as_interrupt`'s
    handlers are in place, even one whose ``KeyboardInterrupt`` was lost: raised inside a weak-reference
    callback or ``__del__`` (matplotlib's drawing runs many), Python prints "Exception ignored"
    and carries on. :meth:`StagedOutput.publish` calls it, so that such a Ctrl-C publishes nothing."""
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt


def _unraisable_hook(previous: Callable[[sys.UnraisableHookArgs], object]) -> Callable[..., None]:
    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        # the interrupt lost in a callback is kept by _INTERRUPTED: no traceback for it
        if not (unraisable.exc_type is KeyboardInterrupt and _INTERRUPTED.is_set()):
            previous(unraisable)

    return hook


def sigterm_as_interrupt() -> Callable[[], None]:
    """Make SIGTERM raise ``KeyboardInterrupt`` as Ctrl-C does, so that ``kill`` unwinds the
    command through the same clean-up (staging removed, "interrupted" message, exit 130); both
    are also recorded for :func:`check_interrupted` (Python's own Ctrl-C handler is replaced
    while it is in place, another one is left as it is).

    Returns
    -------
    A function restoring the previous handlers (a no-op where no handler could be installed:
    outside the main thread, or on a platform without SIGTERM).
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return lambda: None
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    except (ValueError, OSError):
        return lambda: None
    outermost = previous is not _raise_interrupt
    if outermost:
        _INTERRUPTED.clear()
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, _raise_interrupt)
    previous_hook = sys.unraisablehook
    if outermost:
        sys.unraisablehook = _unraisable_hook(previous_hook)

    def restore() -> None:
        if previous is not None:  # None: a handler set outside Python, which cannot be restored
            signal.signal(signal.SIGTERM, previous)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)
        sys.unraisablehook = previous_hook
        if outermost:  # a later command (a notebook, a test) starts without it
            _INTERRUPTED.clear()

    return restore


# -- the output folder: ledger, lock ---------------------------------------------------------------

LEDGER = ".align-outputs"
LOCK = ".align.lock"
_COMMAND_LINE = "#command "
_CHECKSUM = "\tsha256:"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def read_ledger(out: str | Path) -> tuple[str | None, set[str]]:
    """The command and the files that the last publish into ``out`` recorded.

    Parameters
    ----------
    out : an output folder.

    Returns
    -------
    ``(command, relative file names)``; the command is ``None`` when the ledger names none
    (ledgers of older versions, or writers that do not name themselves) or there is no ledger.
    """
    command, checksums = read_ledger_checksums(out)
    return command, set(checksums)


def read_ledger_checksums(out: str | Path) -> tuple[str | None, dict[str, str | None]]:
    """Like :func:`read_ledger`, with the SHA-256 of each file as published (``None`` for the
    entries of ledgers written before align recorded them)."""
    ledger = Path(out) / LEDGER
    if not (ledger.exists() or ledger.is_symlink()):
        return None, {}
    if not ledger.is_file():
        raise InputError(
            "is not a file; align keeps the list of its outputs there: move it away or choose another --out",
            path=ledger,
        )
    try:
        text = ledger.read_bytes().decode("utf-8-sig")  # a BOM: the ledger was saved by an editor
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot be read as align's list of outputs ({exc}); move it away or choose another --out",
            path=ledger,
        ) from None
    command: str | None = None
    checksums: dict[str, str | None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(_COMMAND_LINE):
            command = line[len(_COMMAND_LINE) :].strip() or None
        elif _CHECKSUM in line:
            name, digest = line.rsplit(_CHECKSUM, 1)
            digest = digest.strip().lower()
            if not _SHA256_HEX.fullmatch(digest):
                raise InputError(
                    f"line {number}: the checksum of {name} is not a SHA-256 (64 hexadecimal digits); "
                    "align keeps the list of its outputs there: move it away or choose another --out",
                    path=ledger,
                )
            checksums[name] = digest
        elif line:
            checksums[line] = None
    return command, checksums


def _ledger_text(command: str | None, checksums: dict[str, str]) -> str:
    head = f"{_COMMAND_LINE}{command}\n" if command else ""
    return head + "".join(f"{name}{_CHECKSUM}{digest}\n" for name, digest in checksums.items())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_output_folder(out: str | Path, command: str | None = None, names: Iterable[str] = ()) -> None:
    """Fail, before any work, when ``out`` cannot take the outputs of ``command``: it is a file,
    it holds the outputs of another command, which publishing would remove, a file that align
    did not write (or a folder) stands where an output goes, or an output of the last run was
    changed since (edited in Excel, say), which publishing would replace or remove.

    Parameters
    ----------
    out : the output folder (need not exist).
    command : the command about to write there (``"run"``, ``"compare"``); ``None`` for a writer
        that does not name itself, which is refused only by a folder of a named command.
    names : outputs the command will write (relative names), checked against the user's files.

    Raises
    ------
    InputError, AlignError : with a message naming the folder.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("output folder is an existing file; choose a folder", path=out)
    if out.is_symlink() and not out.exists():  # once "cannot create …: File exists", after the work
        raise InputError(
            f"output folder is a link to {os.readlink(out)}, which leads to no folder; create that folder "
            "or choose another --out",
            path=out,
        )
    previous, recorded = read_ledger_checksums(out) if out.is_dir() else (None, {})
    names = list(names)
    _check_foreign(out, names, set(recorded))
    _check_conflicts(out, names)  # a folder where an output goes: found now, not after the work
    if previous is None or previous == command:
        _check_edited(out, recorded)
        return
    ours = f"`align {command}`" if command else "other outputs"
    raise AlignError(
        f"{out} holds the outputs of `align {previous}`; writing {ours} there would remove them: "
        "choose another --out"
    )


def _lock_folder(out: Path) -> int:
    """Open ``out/.align.lock`` and lock it exclusively without waiting.

    Returns the open descriptor (closing it releases the lock). Where advisory locks are not
    available (no fcntl, a file system without locks), the folder is written unlocked as before.
    """
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    if sys.platform == "win32":
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise AlignError(
            f"{out} is being written by another align process; wait for it or choose another --out"
        ) from None
    except OSError as exc:
        log.debug("%s: no lock (%s); writing unlocked", out, exc)
    return fd


# -- staging and publishing ------------------------------------------------------------------------


class StagedOutput:
    """A staging folder inside ``out`` whose files replace those of ``out`` only on ``publish``.

    A run killed before ``publish`` leaves ``out`` as it was (the hidden staging folder is
    removed on the next run). ``out/.align-outputs`` records the command and the files the last
    run published, so that a new run of the same command removes the files of the old one that
    it no longer produces (and nothing else), and another command refuses to write there.
    ``out/.align.lock`` is held from the creation of the staging folder until ``publish`` or
    ``discard``; a second command finds it held and stops with an error.

    Parameters
    ----------
    out : the output folder (created if needed).
    command : the command writing (recorded in the ledger; see :func:`check_output_folder`).
    """

    LEDGER = LEDGER

    def __init__(self, out: str | Path, command: str | None = None) -> None:
        self.out = Path(out)
        self.command = command
        check_output_folder(self.out, command)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the output folder: {exc.strerror}", path=self.out) from None
        try:
            self._lock = _lock_folder(self.out)
        except OSError as exc:
            raise InputError(f"cannot write into the output folder: {exc.strerror}", path=self.out) from None
        self._restore_sigterm: Callable[[], None] = lambda: None
        try:
            check_output_folder(self.out, command)  # again, now that no other process can publish
            self._remove_stale()
            self.path = _hidden_folder(self.out, ".staging-")
            self._restore_sigterm = sigterm_as_interrupt()
        except BaseException:
            self._release()
            raise

    def _remove_stale(self) -> None:
        """Remove the staging folders of killed runs (safe: we hold the lock, none is live)."""
        for stale in self.out.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for backup in self.out.glob(".backup-*"):
            # only a publish killed outright leaves one; its files may be the only old copies
            log.warning("%s holds the previous files of an interrupted publish; check and remove it", backup)

    def _release(self) -> None:
        self._restore_sigterm()
        self._restore_sigterm = lambda: None
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1

    def publish(self) -> None:
        """Move every staged file into ``out`` and remove the files the previous run published
        that this one did not, all or nothing: the replaced files are moved aside first and put
        back if any move fails.

        Raises
        ------
        InputError : a file stands where a folder is to go (or a folder where a file is to go);
            nothing is moved.
        AlignError : a move failed; the previous outputs were restored.
        """
        try:
            check_interrupted()  # a Ctrl-C lost in a callback publishes nothing either
            self._publish()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)
            self._release()

    def _publish(self) -> None:
        _, recorded = read_ledger_checksums(self.out)
        previous = set(recorded)
        files = sorted(p for p in self.path.rglob("*") if p.is_file())
        names = [str(p.relative_to(self.path)) for p in files]
        _check_conflicts(self.out, names)
        _check_foreign(self.out, names, previous)
        _check_edited(self.out, recorded)
        checksums = {name: _sha256(src) for src, name in zip(files, names, strict=True)}
        stale = [
            n for n in sorted(previous - set(names)) if _inside(self.out, n) and (self.out / n).is_file()
        ]
        backup = _hidden_folder(self.out, ".backup-")
        moves: list[tuple[Path, Path]] = []
        created: list[Path] = []
        try:
            for src, name in zip(files, names, strict=True):
                dest = self.out / name
                if dest.exists() or dest.is_symlink():
                    _move(dest, backup / name, moves)
                created += _make_folders(dest.parent)
                _move(src, dest, moves)
            for name in stale:
                _move(self.out / name, backup / name, moves)
            atomic_write_text(self.out / LEDGER, _ledger_text(self.command, checksums))
        except BaseException as exc:
            restored = _undo(moves, created)
            if restored:
                shutil.rmtree(backup, ignore_errors=True)
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt: the CLI reports it
            kept = "the previous outputs were restored" if restored else f"the previous files are in {backup}"
            raise AlignError(f"could not publish the outputs ({exc}); {kept}", path=self.out) from exc
        shutil.rmtree(backup, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self._release()


def _hidden_folder(out: Path, prefix: str) -> Path:
    """A new hidden folder ``out/<prefix>XXXX`` (staging, backup); a clear error when ``out``
    cannot be written."""
    try:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=out))
    except OSError as exc:
        raise InputError(f"cannot write into the output folder: {exc.strerror}", path=out) from None


def _inside(out: Path, name: str) -> bool:
    """Whether the ledger entry ``name`` is a plain file path inside ``out``: no ``..``, not
    absolute, and no symbolic link on the way (a stale entry is removed; never outside ``out``)."""
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        return False
    where = out
    for part in parts:
        where = where / part
        if where.is_symlink():
            return False
    return True


def _check_foreign(out: Path, names: Iterable[str], written: set[str]) -> None:
    """Raise :class:`InputError` when a file that align did not write (not in the ledger) stands
    where an output goes: publishing would replace the user's file."""
    for name in names:
        where = out / name
        # a regular file, a link, or anything else but a folder (a FIFO, a socket): all are the user's
        if name not in written and (where.is_symlink() or (where.exists() and not where.is_dir())):
            raise InputError(
                f"{name} is a file that align did not write (not listed in {LEDGER}); replacing it "
                "would lose it: move it away or choose another --out",
                path=out,
            )


def _check_edited(out: Path, recorded: dict[str, str | None]) -> None:
    """Raise :class:`InputError` when an output of the last publish no longer has the checksum
    recorded for it: the user changed it, and publishing (which replaces or removes every output
    of the last run) would lose the changes."""
    for name, digest in sorted(recorded.items()):
        where = out / name
        if digest is None or not _inside(out, name) or not where.is_file():
            continue
        if _sha256(where) != digest:
            raise InputError(
                f"{name} was changed after align wrote it; replacing it would lose the changes: "
                "move it away (or delete it) and run again, or choose another --out",
                path=out,
            )


def check_recorded_output(target: str | Path) -> None:
    """Fail when the single file ``target`` (``measures --csv``, ``report --html``) is an output
    that a command recorded in the ledger of a folder above it and that was changed since: the
    user's edits, which replacing the file would lose.

    Raises
    ------
    InputError : naming the file.
    """
    given, target = Path(target), Path(os.path.abspath(target))
    if not target.is_file():
        return
    for folder in target.parents:
        if not (folder / LEDGER).is_file():
            continue
        try:
            command, recorded = read_ledger_checksums(folder)
        except InputError:  # not a ledger align can read: it vouches for nothing
            continue
        digest = recorded.get(str(target.relative_to(folder)))
        try:
            changed = digest is not None and _sha256(target) != digest
        except OSError:  # unreadable: the write will report it
            return
        if changed:
            writer = f"`align {command}`" if command else "align"
            raise InputError(
                f"was changed after {writer} wrote it into {folder} (it no longer has the checksum "
                f"{LEDGER} records); replacing it would lose the changes: choose another file, or move "
                "it away",
                path=given,
            )
        return


def _check_conflicts(out: Path, names: Iterable[str]) -> None:
    """Raise :class:`InputError` when a file of ``out`` stands where a staged file needs a folder,
    or a folder where it needs a file (found before anything moves)."""
    for name in names:
        for folder in reversed(list(Path(name).parents)[:-1]):
            where = out / folder
            if (where.exists() or where.is_symlink()) and not where.is_dir():
                raise InputError(
                    "a file stands where the outputs need a folder; move or remove it (nothing was published)",
                    path=where,
                )
        if (out / name).is_dir():
            raise InputError(
                "a folder stands where the outputs need a file; move or remove it (nothing was published)",
                path=out / name,
            )


def _move(src: Path, dest: Path, moves: list[tuple[Path, Path]]) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dest)
    moves.append((src, dest))


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
    return missing[::-1]


def _undo(moves: list[tuple[Path, Path]], created: list[Path]) -> bool:
    """Reverse ``moves`` (latest first) and remove the folders created; ``True`` when all went back."""
    ok = True
    for src, dest in reversed(moves):
        try:
            os.replace(dest, src)
        except OSError:
            ok = False
    for folder in reversed(created):
        with suppress(OSError):  # not empty: something else was put there; leave it
            folder.rmdir()
    return ok


@contextmanager
def staged_output(out: str | Path, command: str | None = None) -> Iterator[Path]:
    """Context manager: yield a staging folder, publish it into ``out`` on success only.

    Parameters
    ----------
    out : the output folder.
    command : the command writing (``"run"``, ``"compare"``), recorded so that another command
        does not remove these outputs (see :func:`check_output_folder`).
    """
    stage = StagedOutput(out, command)
    try:
        yield stage.path
    except BaseException:
        stage.discard()
        raise
    stage.publish()
