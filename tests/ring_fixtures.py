"""Test helper: a traced ring saved from a real conversion (tests/fixtures/*-ring.json), as
shared/splines.py's `spline_ring` takes it."""

import json
from pathlib import Path

import numpy as np


def load_ring(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ring, moved, samples, first) of tests/fixtures/`name`: the ring's vertices, its edge samples
    moved onto the input's edge (NaN rows: none found; shared/curves.py, `measured_edge_points`), the
    samples and each edge's first sample index."""
    fixture = json.loads((Path(__file__).parent / "fixtures" / name).read_text())
    moved = np.array([[np.nan, np.nan] if p is None else p for p in fixture["moved"]])
    return np.array(fixture["ring"]), moved, np.array(fixture["samples"]), np.array(fixture["first"])
