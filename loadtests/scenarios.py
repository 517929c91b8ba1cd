"""Load scenarios: the number of users over a run, as steps of (share of the duration, users).

Users are a mix of the locustfile's classes by weight (submit-and-poll 3, cache hit 3, synchronous
Tier 1 2, webhook 1). `default_s` is the run's length when `--duration` is not given.
"""

from dataclasses import dataclass

Step = tuple[float, int]


@dataclass(frozen=True)
class Scenario:
    """Steps of (share of the run's duration, users) and the default duration in seconds."""

    steps: list[Step]
    default_s: int
    about: str


SCENARIOS: dict[str, Scenario] = {
    "smoke": Scenario([(1.0, 4)], 15, "a handful of users, for the test suite"),
    "normal": Scenario([(1.0, 8)], 60, "steady everyday traffic"),
    "peak": Scenario([(0.2, 8), (0.8, 24)], 120, "a busy hour: three times the normal users"),
    "spike": Scenario([(0.3, 8), (0.3, 40), (0.4, 8)], 90, "five times the users for a while, then back"),
    "endurance": Scenario([(1.0, 6)], 600, "moderate load for longer: leaks, TTLs, queue drift"),
}
