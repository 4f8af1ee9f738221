"""Shared fixtures. Real data sets live in ../shared/data beside the repository (or where
TIERKIT_SHARED_DATA points); tests that need them skip cleanly when they are absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_data(name: str) -> Path:
    """Path of a shared data set, or skip the test when it is not there."""
    root = Path(os.environ.get("TIERKIT_SHARED_DATA", REPO.parent / "shared" / "data"))
    path = root / name
    if not path.exists():
        pytest.skip(f"shared data set {name!r} not found under {root}")
    return path
