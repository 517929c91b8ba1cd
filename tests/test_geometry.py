"""The geometry model's derived views (shared/geometry.py): computed once per drawing, never stale."""

from dataclasses import replace

import numpy as np

from shared.geometry import Drawing, cyclic_shift


def _drawing() -> Drawing:
    square = np.array([[0, 0], [4, 0], [4, 4], [0, 4]], float)
    triangle = np.array([[6, 6], [9, 6], [6, 9]], float)
    return Drawing(10, 10, ("#000", "#f00"), np.vstack([square, square + 1, triangle]),
                   np.array([0, 4, 8, 11]), np.array([0, 0, 1]))


def test_rings_and_shape_rings_are_computed_once_per_drawing() -> None:
    drawing = _drawing()
    assert drawing.rings is drawing.rings  # the steps read them per ring: splitting anew was quadratic
    assert drawing.shape_rings() is drawing.shape_rings()
    assert [len(r) for r in drawing.rings] == [4, 4, 3]
    assert drawing.shape_rings() == ((0, 1), (2,))
    assert all(np.array_equal(drawing.ring(i), r) for i, r in enumerate(drawing.rings))


def test_a_replaced_drawing_reads_its_own_rings() -> None:
    drawing = _drawing()
    _ = drawing.rings, drawing.shape_rings()  # cached on the original
    moved = replace(drawing, vertices=drawing.vertices + 1, ring_shape=np.array([0, 1, 1]))
    assert np.array_equal(moved.rings[2], drawing.rings[2] + 1)
    assert moved.shape_rings() == ((0,), (1, 2))
    assert drawing.shape_rings() == ((0, 1), (2,))


def test_cyclic_shift_is_np_roll_along_the_first_axis() -> None:
    rng = np.random.default_rng(3)
    for values in (rng.normal(size=(7, 2)), rng.normal(size=5), rng.integers(0, 9, 4) > 4, np.zeros((0, 2)),
                   rng.normal(size=(1, 2))):
        for shift in (-1, 1, 0, 3, -9):
            shifted = cyclic_shift(values, shift)
            assert np.array_equal(shifted, np.roll(values, shift, axis=0))
            assert shifted.dtype == values.dtype and shifted is not values
