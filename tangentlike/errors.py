"""The one exception users see from a transformation."""
from __future__ import annotations

import linecache
import os
from typing import Optional


class TransformError(Exception):
    """A function cannot be differentiated as written.

    The message names the user's ``file:line``, shows the offending line, says what
    is not supported and what to do instead. ``filename`` and ``lineno`` carry the
    location for tools (``None`` when the function has no source at all).
    """

    def __init__(self, message: str, filename: Optional[str] = None,
                 lineno: Optional[int] = None, hint: Optional[str] = None):
        self.reason = message
        self.filename = filename
        self.lineno = lineno
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.filename is not None and self.lineno is not None:
            parts.append(f"{self.filename}:{self.lineno}: {self.reason}")
            line = linecache.getline(self.filename, self.lineno).strip()
            if line:
                parts.append(f"    {line}")
        else:
            parts.append(self.reason)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class NoNumberReturned(TransformError, TypeError):
    """The path a derived function took returns no number (``return None``, a string,
    or the end of the function without ``return``). Raised when that path runs, at its
    line; also a ``TypeError``, as the same output caught after the call would be."""


class NonScalarOutput(TransformError, TypeError):
    """``grad`` (``value_and_grad``, ``hessian``) of a function whose output is not a
    scalar, found when the derived function runs: at the user's return statement; also
    a ``TypeError``, as before it named its line."""


def short_filename(filename: str) -> str:
    """The name a person recognises: the base name of a real file, the derived
    function's name for generated code, as-is otherwise."""
    if filename.startswith("<tangentlike "):
        return filename[len("<tangentlike "):].split(" ", 1)[0]
    if filename.startswith("<"):
        return filename
    return os.path.basename(filename)
