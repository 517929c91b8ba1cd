"""Tier 2's portfolio is chosen for what it adds to Tier 1's own candidates (bench/portfolio.py)."""

import json

import numpy as np

from bench.portfolio import candidate_pool, greedy_portfolio
from shared.params import parse_params
from shared.tiers.tier2 import PORTFOLIO_PATH, SHAPING_ON, portfolio


def test_greedy_portfolio_adds_what_the_base_misses() -> None:
    # config 0 is the best alone, but only where Tier 1's candidates (base) already do as well;
    # config 1 lifts the images the base misses, so it is chosen first
    values = np.array([[0.99, 0.90], [0.99, 0.90], [0.90, 0.95], [0.90, 0.95]])
    base = np.array([0.99, 0.99, 0.90, 0.90])
    assert greedy_portfolio(values, 1, base) == [1]
    assert greedy_portfolio(values, 1, np.full(4, -np.inf)) == [0]  # without a base: the best alone
    assert greedy_portfolio(values, 2, base) == [1, 0]


def test_pool_is_valid_unique_and_holds_the_portfolio_in_use() -> None:
    pool = candidate_pool(np.random.default_rng(7), 4)
    keys = {json.dumps(flat, sort_keys=True) for flat in pool}
    assert len(keys) == len(pool)
    in_use = {parse_params(entry["params"]).with_overrides(SHAPING_ON)
              for entry in json.loads(PORTFOLIO_PATH.read_text())["configs"]}
    assert in_use == set(portfolio())
    pooled = {parse_params(flat).with_overrides(SHAPING_ON) for flat in pool}
    assert in_use <= pooled
