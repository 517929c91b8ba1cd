"""Shared fixtures: small constructed images with known properties."""

import numpy as np
import pytest


def disc(size: int = 64, radius: float = 20.0, color: tuple[int, int, int] = (200, 30, 30)) -> np.ndarray:
    """An anti-aliased disc on a transparent background (alpha = pixel coverage)."""
    yy, xx = np.mgrid[:size, :size]
    d = np.hypot(yy - (size - 1) / 2, xx - (size - 1) / 2)
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., :3] = color
    rgba[..., 3] = (np.clip(radius - d + 0.5, 0, 1) * 255).round().astype(np.uint8)
    return rgba


def flat_square(size: int = 64, color: tuple[int, int, int] = (20, 90, 200)) -> np.ndarray:
    """An opaque square of one colour on transparent ground, edges on the pixel grid."""
    rgba = np.zeros((size, size, 4), np.uint8)
    q = size // 4
    rgba[q : size - q, q : size - q] = (*color, 255)
    return rgba


@pytest.fixture
def disc_rgba() -> np.ndarray:
    return disc()


@pytest.fixture
def square_rgba() -> np.ndarray:
    return flat_square()
