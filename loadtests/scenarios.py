"""Load scenarios: users over the run, as (share of the duration, users) steps."""

SCENARIOS: dict[str, list[tuple[float, int]]] = {
    # (share of the run's duration, users) steps; spawn rate is users per second
    "smoke": [(1.0, 4)],
    "normal": [(1.0, 8)],
    "peak": [(0.2, 8), (0.8, 24)],
    "spike": [(0.3, 8), (0.3, 40), (0.4, 8)],
    "endurance": [(1.0, 6)],
}
