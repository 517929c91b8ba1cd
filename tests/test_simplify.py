"""Polygon simplification: the vertices kept, the path text read (shared.geometry) and written
(shared.svg), and agreement with a plain per-outline reference (recursive Ramer-Douglas-Peucker, a
token-by-token path reader) on large random input."""

import re

import numpy as np
import pytest

from shared import simplify
from shared.geometry import Drawing, parse_paths, read_trace
from shared.simplify import simplify_drawing, simplify_outline, without_jogs
from shared.svg import write_svg
from tests.path_text import as_lines

HEAD = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
_TOKEN = re.compile(r"[MmLlZz]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def outlines(d: str) -> list[np.ndarray]:
    """Token-by-token reference reader: the closed outlines of a polygon path as absolute vertices."""
    tokens = _TOKEN.findall(d)
    found: list[np.ndarray] = []
    points: list[tuple[float, float]] = []
    command, current, start, i = "M", (0.0, 0.0), (0.0, 0.0), 0
    while i < len(tokens):
        token = tokens[i]
        if token in "MmLlZz":
            command, i = token, i + 1
            if token in "Zz":
                if points:
                    found.append(np.array(points))
                points, current = [], start
            continue
        if i + 1 >= len(tokens) or tokens[i + 1] in "MmLlZz":
            raise ValueError("odd number of coordinates")
        x, y = float(tokens[i]), float(tokens[i + 1])
        i += 2
        if command in "ml":
            x, y = current[0] + x, current[1] + y
        if command in "Mm":
            if points:
                found.append(np.array(points))
            points, start = [(x, y)], (x, y)
            command = "l" if command == "m" else "L"
        else:
            points = points or [current]
            points.append((x, y))
        current = (x, y)
    if points:
        found.append(np.array(points))
    return found


def path_data(shapes: list[np.ndarray]) -> str:
    """The writer's `d` for polygon rings (one shape of these rings, in a 40 px view, no grid)."""
    if not shapes:
        return ""
    vertices, offsets = np.vstack(shapes), np.cumsum([0, *[len(s) for s in shapes]])
    drawing = Drawing(40, 40, ("#000000",), vertices, offsets, np.zeros(len(shapes), int), view=(40.0, 40.0))
    return path_ds(write_svg(drawing))[0]


def path_ds(svg: str) -> list[str]:
    return re.findall(r'<path d="([^"]*)"', svg)


def simplify_polygons(svg: str, tolerance: float) -> list[str]:
    """The `d` of each path of an engine-like trace (paths with fills, 40 px), read, simplified, written."""
    return path_ds(write_svg(simplify_drawing(read_trace(svg, 40, 40, 40, 40), tolerance)))


def reference_rdp(points: np.ndarray, tolerance: float) -> np.ndarray:
    if len(points) < 3:
        return points
    a, chord = points[0], points[-1] - points[0]
    length, rel = float(np.hypot(*chord)), points - points[0]
    dist = np.abs(chord[0] * rel[:, 1] - chord[1] * rel[:, 0]) / length if length else np.hypot(*rel.T)
    k = int(np.argmax(dist))
    if dist[k] <= tolerance:
        return np.array([a, points[-1]])
    return np.vstack([reference_rdp(points[: k + 1], tolerance)[:-1], reference_rdp(points[k:], tolerance)])


def reference_simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    if len(points) > 1 and np.allclose(points[0], points[-1]):
        points = points[:-1]
    if len(points) < 4:
        return points
    far = int(np.argmax(np.hypot(*(points - points[0]).T)))
    ring = np.vstack([points, points[:1]])
    kept = np.vstack([
        reference_rdp(ring[: far + 1], tolerance)[:-1], reference_rdp(ring[far:], tolerance)[:-1]])
    return kept if len(kept) >= 3 else points


def number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    text = "0" if text in ("", "-0", "-") else text
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def pair(x: float, y: float) -> str:
    """'x,y', or 'x-y' where y is negative."""
    return f"{number(x)},{number(y)}".replace(",-", "-")


def reference_path_data(shapes: list[np.ndarray]) -> str:
    out = ""
    for shape in shapes:
        out += f"M{pair(shape[0][0], shape[0][1])}"
        command = ""
        for dx, dy in np.diff(shape, axis=0):
            x, y = number(dx), number(dy)
            if (x == "0") != (y == "0"):
                letter, text = ("h", x) if y == "0" else ("v", y)
            else:
                letter, text = "l", pair(dx, dy)
            out += (letter if letter != command else "" if text.startswith("-") else " ") + text
            command = letter
        out += "Z"
    return out


def reference_simplify_polygons(svg: str, tolerance: float) -> list[str]:
    out = []
    for d in path_ds(svg):
        d = d.lstrip()
        if d[:1] in ("L", "l"):  # a leading lineto is read as the moveto it stands for (the engine's
            d = {"L": "M", "l": "m"}[d[0]] + d[1:]  # cutout traces begin some outlines so)
        shapes = [reference_simplify(o, tolerance) for o in outlines(d)]
        if d[:1] in ("M", "m"):  # other path data that does not begin with a moveto renders nothing
            out.append(reference_path_data(shapes))
    return out


def noisy_ring(rng: np.random.Generator, n: int, radius: float, decimals: int = 0) -> np.ndarray:
    angle = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = radius + rng.normal(0, 1.5, n)
    return np.round(np.c_[200 + r * np.cos(angle), 200 + r * np.sin(angle)], decimals)


def as_relative(ring: np.ndarray, close: bool = True) -> str:
    steps = " ".join(f"l{x:g},{y:g}" for x, y in np.diff(ring, axis=0))
    return f"M{ring[0][0]:g},{ring[0][1]:g}{steps}" + (f"L{ring[0][0]:g},{ring[0][1]:g}Z" if close else "Z")


def test_a_known_polygon_keeps_exactly_the_vertices_off_its_simplified_outline() -> None:
    # a 10 x 10 square with a spike on the right side, a 0.1 bump at the bottom and collinear vertices
    bottom, right = [[0, 0], [5, 0.1], [10, 0]], [[10, 4], [12, 5], [10, 6], [10, 10]]
    ring = np.array([*bottom, *right, [5, 10], [0, 10], [0, 5]])
    kept = simplify_outline(ring, 0.5)
    np.testing.assert_array_equal(kept, [[0, 0], [10, 0], [10, 4], [12, 5], [10, 6], [10, 10], [0, 10]])
    assert [0, 0] not in simplify_outline(ring, 0.05).tolist()[1:], "the start is kept once"
    assert [5, 0.1] in simplify_outline(ring, 0.05).tolist(), "above the tolerance the bump stays"


def test_collinear_vertices_and_the_repeated_closing_vertex_go_even_at_tolerance_zero() -> None:
    bottom = [[x, 0] for x in range(5)]
    right = [[4, y] for y in range(1, 3)]
    top = [[x, 2] for x in range(3, -1, -1)]
    ring = np.array(bottom + right + top + [[0, 1], [0, 0]], float)
    np.testing.assert_array_equal(simplify_outline(ring, 0), [[0, 0], [4, 0], [4, 2], [0, 2]])


def test_an_outline_that_would_keep_fewer_than_three_vertices_is_kept_whole() -> None:
    sliver = np.array([[0, 0], [5, 0.1], [10, 0], [5, -0.1], [0, 0]])  # closed by repeating its first
    np.testing.assert_array_equal(simplify_outline(sliver, 0.5), sliver[:-1])
    np.testing.assert_array_equal(simplify_outline(sliver[:3], 0.5), sliver[:3])
    assert path_data([simplify_outline(np.array([[1.0, 2.0]]), 1)]) == "M1,2Z"


def test_tolerance_zero_or_below_keeps_every_vertex() -> None:
    svg = HEAD + '<path d="M0,0l10,0 0,.1 0,10-10,0Z" fill="#000"/></svg>'
    drawing = read_trace(svg.replace('"#000"', '"#000000"'), 40, 40, 40, 40)
    assert simplify_drawing(drawing, 0) is drawing and simplify_drawing(drawing, -1) is drawing


def test_curved_traces_are_kept_as_markup_and_empty_paths_write_nothing() -> None:
    curve = '<path d="M0,0C10,0,20,10,20,20L0,20Z" fill="#FF0000"/>'
    square = '<path d="M0,0l5,0 5,0 0,10-10,0Z" fill="#000000"/>'
    curved = read_trace(HEAD + square + curve + "</svg>", 40, 40, 40, 40)
    assert not curved.is_polygonal and simplify_drawing(curved, 0.25) is curved
    assert "C10,0,20,10,20,20" in write_svg(curved)
    assert simplify_polygons(HEAD + square + square + "</svg>", 0.25) == ["M0,0h10v10h-10Z"] * 2
    assert simplify_polygons(HEAD + "</svg>", 0.5) == []
    empty = HEAD + '<path d="" fill="#000000"/><path d="Z" fill="#000000"/>' + square + "</svg>"
    assert simplify_polygons(empty, 0.25) == ["M0,0h10v10h-10Z"], "empty paths draw nothing"
    led = HEAD + '<path d="L2,2l5,0 0,5-5,0Z" fill="#000000"/><path d="l1,1 4,0 0,4Z" fill="#000000"/></svg>'
    assert simplify_polygons(led, 0) == ["M2,2h5v5h-5Z", "M1,1h4v4Z"], "a leading lineto is a moveto"


def test_relative_text_reads_as_absolute_vertices_and_round_trips() -> None:
    # m after Z is relative to the subpath start; a lineto after Z starts at that start too
    d = "M10,10l5,0 0,5-5,0Zm2,2l1,0 0,1ZL1e1,.5l-.25-1.5z"
    found = outlines(d)
    expected = [[[10, 10], [15, 10], [15, 15], [10, 15]], [[12, 12], [13, 12], [13, 13]],
                [[12, 12], [10, 0.5], [9.75, -1]]]
    assert [s.tolist() for s in found] == expected
    assert [s.tolist() for s in outlines(as_lines(path_data(found)))] == expected
    assert path_data(found) == "M10,10h5v5h-5ZM12,12h1v1ZM12,12l-2-11.5-.25-1.5Z"
    vertices, offsets, _ = parse_paths([d])
    assert [s.tolist() for s in np.split(vertices, offsets[1:-1])] == expected
    assert outlines("") == [] and path_data([]) == ""


def test_random_commands_read_and_simplify_like_the_token_by_token_reference() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        parts = []
        for _ in range(rng.integers(1, 12)):
            command = rng.choice(list("MmLlZz"))
            pairs = 0 if command in "Zz" else rng.integers(1, 6)
            values = np.round(rng.uniform(-50, 50, 2 * pairs), rng.choice([0, 2]))
            parts.append(command + " ".join(f"{v:g}" for v in values))
        d = ",".join(parts) if rng.random() < 0.5 else "".join(parts)
        vertices, offsets, _ = parse_paths([d])  # the all-paths numpy reader of shared.geometry
        got, want = np.split(vertices, offsets[1:-1]) if len(vertices) else [], outlines(d)
        assert len(got) == len(want), d
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=d)
        both = f'<path d="{d}" fill="#000000"/><path d="{d.upper()}" fill="#000000"/>'  # read at once
        svg = HEAD + both + "</svg>"
        assert simplify_polygons(svg, 1.0) == reference_simplify_polygons(svg, 1.0), d


def test_path_data_writes_the_reference_text() -> None:
    rng = np.random.default_rng(11)
    for grid in (1, 4, 100, 1000):
        sizes = rng.integers(1, 20, 30)
        shapes = [np.round(rng.uniform(-30, 30, (n, 2)) * grid) / grid for n in sizes]
        assert path_data(shapes) == reference_path_data(shapes)
    assert path_data([np.array([[0.0, -0.0], [-0.001, 0.004], [0.5, -0.5]])]) == "M0,0l0,0 .5-.5Z"


def test_a_large_noisy_ring_keeps_the_vertices_of_a_recursive_reference() -> None:
    rng = np.random.default_rng(5)
    for decimals, tolerance in ((0, 0.75), (0, 1.5), (2, 0.375), (6, 0.5)):
        ring = noisy_ring(rng, 3000, 150, decimals)
        kept = simplify_outline(ring, tolerance)
        assert 10 < len(kept) < len(ring)
        np.testing.assert_array_equal(kept, reference_simplify(ring, tolerance))


def test_many_paths_give_the_text_of_the_reference_path_by_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simplify, "JOG_MAX_TRACED_PX", 0.0)  # the reference is the RDP alone
    rng = np.random.default_rng(7)
    for decimals in (0, 2):  # integer text (the tracer's) and decimal text
        ds = []
        for _ in range(40):
            rings = [noisy_ring(rng, int(rng.integers(3, 300)), float(rng.uniform(5, 150)), decimals)
                     for _ in range(rng.integers(1, 4))]
            ds.append("".join(as_relative(r, close=bool(rng.random() < 0.5)) for r in rings))
        svg = HEAD + "".join(f'<path d="{d}" fill="#{i:06X}"/>' for i, d in enumerate(ds)) + "</svg>"
        assert simplify_polygons(svg, 0.5) == reference_simplify_polygons(svg, 0.5)


def test_a_command_with_an_odd_number_of_coordinates_is_an_error() -> None:
    with pytest.raises(ValueError):
        parse_paths(["M0,0l5,0 5Z"])


def test_the_risers_of_a_slanted_edge_traced_at_one_and_a_half_times_go_to_their_middles() -> None:
    # the engine's trace of a slanted edge (slope 0.625) from a 1.5x input: 19 x 11 segments
    # joined by 2 px risers, which stay through a 0.75 px simplification (0.9 px off the true line)
    steps = [[0, 0], [19, 11], [19, 13], [24, 15], [43, 26], [43, 28], [48, 30], [67, 41], [67, 43]]
    ring = np.array([*steps, [72, 45], [72, 70], [0, 70]], float)
    assert len(simplify_outline(ring, 0.75)) > 6, "the sawtooth survives the simplification"
    vertices, offsets = without_jogs(ring, np.array([0, len(ring)]))
    np.testing.assert_array_equal(offsets, [0, len(ring) - 3])
    edge = simplify_outline(vertices, 0.75)
    np.testing.assert_array_equal(edge, [[0, 0], [72, 45], [72, 70], [0, 70]])  # one slanted segment
    middles = np.array([[19, 12], [43, 27], [67, 42]])
    along = (edge[1] - edge[0]) / np.hypot(*(edge[1] - edge[0]))
    rel = middles - edge[0]
    assert np.abs(rel[:, 0] * along[1] - rel[:, 1] * along[0]).max() < 0.3  # the risers' middles on it


def test_a_jog_between_a_curve_s_flat_top_and_its_slanted_side_goes_to_its_middle() -> None:
    ring = np.array([[0, 0], [10, 0], [10, 2], [16, 5], [16, 20], [-6, 20], [-6, 5], [0, 2]], float)
    vertices, _ = without_jogs(ring, np.array([0, len(ring)]))
    # both ends of the flat top: the ring now starts at the first jog's middle
    np.testing.assert_array_equal(vertices, [[10, 1], [16, 5], [16, 20], [-6, 20], [-6, 5], [0, 1]])


@pytest.mark.parametrize("ring", [
    [[0, 0], [20, 0], [20, 2], [40, 2], [40, 20], [0, 20]],  # a step in a horizontal edge
    [[0, 0], [20, 0], [20, 2], [22, 2], [22, 0], [40, 0], [40, 20], [0, 20]],  # a notch
    [[0, 0], [2, 0], [2, 2], [0, 2]],  # a pixel
])
def test_steps_of_axis_parallel_edges_and_notches_stay(ring: list[list[float]]) -> None:
    vertices, _ = without_jogs(np.array(ring, float), np.array([0, len(ring)]))
    np.testing.assert_array_equal(vertices, ring)
