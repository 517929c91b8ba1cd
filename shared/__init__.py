"""svgai's conversion core: decoding, tracing, rendering, quality, features, tiers and the pipeline.

Nothing in here imports the web gateway (`api`) or the queue workers (`workers`).
"""
