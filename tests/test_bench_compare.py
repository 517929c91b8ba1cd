from bench.compare import paired


def test_paired_changes_are_per_image_and_only_over_shared_images() -> None:
    before = {"rows": {"tier1": [
        {"path": "a", "ssim": 0.99, "ssim_4x": 0.98, "bytes": 1000, "seconds": 0.2},
        {"path": "b", "ssim": 0.95, "ssim_4x": None, "bytes": 2000, "seconds": 0.4},
        {"path": "c", "ssim": 0.90, "ssim_4x": 0.90, "bytes": 500, "seconds": 0.1}]}}
    after = {"rows": {"tier1": [
        {"path": "a", "ssim": 0.99, "ssim_4x": 0.99, "bytes": 800, "seconds": 0.1},
        {"path": "b", "ssim": 0.94, "ssim_4x": None, "bytes": 2000, "seconds": 0.4}],
        "tier2": [{"path": "a", "ssim": 0.99, "bytes": 1, "seconds": 1}]}}
    result = paired(before, after, margin=0.002)
    assert set(result) == {"tier1"}, "a method only one run measured is left out"
    tier1 = result["tier1"]
    assert tier1["n"] == 2
    assert tier1["ssim"] == {"n": 2, "median_change": -0.005, "rose": 0, "fell": 1}
    assert tier1["ssim_4x"] == {"n": 1, "median_change": 0.01, "rose": 1, "fell": 0}
    assert "ssim_clean" not in tier1
    assert tier1["median_bytes_ratio"] == 0.9 and tier1["median_seconds_ratio"] == 0.75
