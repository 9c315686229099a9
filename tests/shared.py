"""Finding the project's ``shared/`` folder (the notice, evaluation data), which is not in the
repository: ``$YUQING_SHARED``, else ``shared/`` beside the clone (as CI lays it out), else
``/work/shared``. Tests that need a file from it skip, saying which, where it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_file(*parts: str) -> Path:
    roots = [os.environ.get("YUQING_SHARED"), REPO.parent / "shared", "/work/shared"]
    for root in roots:
        if root and Path(root, *parts).is_file():
            return Path(root, *parts)
    pytest.skip(f"shared/{'/'.join(parts)} is not on this machine")


def notice_file(name: str) -> Path:
    return shared_file("notice", name)
