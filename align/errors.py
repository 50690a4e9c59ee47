"""User-facing errors: one message naming the file (and line), no traceback."""

from __future__ import annotations

from pathlib import Path


class AlignError(Exception):
    """An error the user can fix (bad input, bad option). The CLI prints ``str(err)`` and
    exits with ``exit_code``; a traceback is shown only with ``--verbose``.

    Parameters
    ----------
    message : what is wrong and, where useful, how to fix it.
    path : the file concerned.
    line : the 1-based line (or manifest row) concerned.
    exit_code : 2 for bad input (the default).
    """

    def __init__(
        self, message: str, path: str | Path | None = None, line: int | None = None, exit_code: int = 2
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.exit_code = exit_code
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        return f"{where}{self.message}"


class InputError(AlignError):
    """A document or manifest that cannot be used."""


class NoMeasuresError(InputError):
    """A document whose outline yields no measure."""


class PairTooLargeError(InputError):
    """Two plans whose comparison would need more memory than :class:`align.match.Matcher`
    allows (``max_memory``). ``plan_id`` names the larger plan; ``path`` its document when known."""

    def __init__(self, message: str, path: str | Path | None = None, plan_id: str = "") -> None:
        self.plan_id = plan_id
        super().__init__(message, path)


class AlignWarning(UserWarning):
    """A usable input with a flaw the user should know of (damaged bytes replaced, pages without
    text). The CLI prints these as ``align: warning: …`` even without ``--verbose``."""


class TraditionalScriptWarning(AlignWarning):
    """A document is written in traditional characters: the outline, attribute and agency
    patterns are written in simplified ones, so items split apart and targets and agencies go
    unread (convert the text to simplified characters first, e.g. with OpenCC)."""


class NotChineseWarning(AlignWarning):
    """A document was parsed, but little of its text is Chinese: the outline styles, the attribute
    patterns and the models are made for Chinese plans (a translation or a minority-language edition
    gets few measures and poor matches)."""
