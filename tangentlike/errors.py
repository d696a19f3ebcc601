"""The one exception users see from a transformation."""
from __future__ import annotations

import linecache
import os
import sys
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


class ArgumentTypeError(TransformError, TypeError):
    """An argument a derived function cannot take (an integer where it differentiates,
    a complex constant, a seed or tangent that is not a number), found when it is
    called: at the ``def`` line of the user's function; also the ``TypeError`` it was."""


class ArgumentValueError(TransformError, ValueError):
    """A seed or tangent of the wrong shape, found when the derived function is called:
    at the ``def`` line of the user's function; also the ``ValueError`` it was."""


class Generated:
    """Where generated code (a derived function, a version, the entry tl.grad returns)
    comes from: the file of the function it was derived from (its comments name lines
    of that file; itself generated at higher orders) and the user's file and ``def``
    line, which the errors its checks raise name."""

    __slots__ = ("parent", "user_def")

    def __init__(self, parent: str, user_def: tuple):
        self.parent = parent
        self.user_def = user_def


# the file name of compiled generated code -> its Generated
GENERATED: dict = {}


def register_generated(code, parent: str, user_def: tuple) -> None:
    """Remember where the function compiled as ``code`` comes from (pipeline.build,
    specialize.make_entry)."""
    GENERATED[code.co_filename] = Generated(parent, user_def)


def at_user_def(error: Exception) -> Exception:
    """``error`` (a TypeError or ValueError of a run-time check on the arguments) placed
    at the ``def`` line of the user's function whose derivative made the check (the
    nearest generated frame); ``error`` itself when no generated code is calling."""
    frame = sys._getframe(1)
    for _ in range(8):
        if frame is None:
            break
        generated = GENERATED.get(frame.f_code.co_filename)
        if generated is not None:
            kind = ArgumentValueError if isinstance(error, ValueError) else ArgumentTypeError
            return kind(str(error), *generated.user_def)
        frame = frame.f_back
    return error


def short_filename(filename: str) -> str:
    """The name a person recognises: the base name of a real file, the derived
    function's name for generated code, as-is otherwise."""
    if filename.startswith("<tangentlike "):
        return filename[len("<tangentlike "):].split(" ", 1)[0]
    if filename.startswith("<"):
        return filename
    return os.path.basename(filename)
