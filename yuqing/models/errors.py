"""What can go wrong in ``yuqing.models``; the CLI turns these into messages and exit codes.

::

    ModelError                  anything the classifier package refuses to do
    ├── CorpusError             a training/evaluation file or label map that cannot be read;
    │                           names the file, line and field ("seed.jsonl line 12: missing
    │                           field 'text'")
    ├── TrainingError           data that cannot train a model (a label with too few examples,
    │                           a bad threshold); names the label or setting at fault
    ├── ModelNotFound           no such model version, or no version in use yet
    └── UntrustedModel          a model file holding types outside the trusted list; nothing in
                                it was constructed
"""

from __future__ import annotations

from collections.abc import Iterable


class ModelError(Exception):
    """Base class of every error raised by ``yuqing.models``."""


class CorpusError(ModelError):
    """A corpus file (or a label map) that cannot be used.

    ``source`` is the file name (or ``"label map"``), ``line`` the 1-based line number when the
    fault is on one line, ``field`` the field or column at fault when there is one.
    """

    def __init__(
        self, source: str, problem: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.problem = problem
        where = source if line is None else f"{source} line {line}"
        super().__init__(f"{where}: {problem}")


class TrainingError(ModelError):
    """The examples (or settings) given cannot train a classifier; the message says which."""


class ModelNotFound(ModelError):
    """The requested model version does not exist, or no version has been made current."""


class UntrustedModel(ModelError):
    """A model file contains types that are not on the trusted list; it was not loaded."""

    def __init__(self, path: str, types: Iterable[str]) -> None:
        self.path = path
        self.types = tuple(sorted(types))
        super().__init__(
            f"{path}: refused to load a model holding untrusted types: {', '.join(self.types)}"
            " (a model saved by an older yuqing: train a new one with `yuqing train`)"
        )
