"""torchvision 0.29's public API in ember.vision: the share of each namespace's names ember has
(less the written exclusions of ``vision_coverage.EXCLUDED``) may not fall below the floors set
when the test was last raised. ``python tests/vision/vision_coverage.py`` prints the missing
names."""
from tests.vision import vision_coverage

# Percentages at the last raise, rounded down; raise them as coverage grows.
FLOORS = {"transforms": 100, "transforms.v2": 100, "transforms.functional": 100,
          "transforms.v2.functional": 100, "utils": 100, "io": 93, "tv_tensors": 90}


def test_every_namespace_is_counted_and_exclusions_are_real_torchvision_names():
    names = vision_coverage.recorded_names()
    assert names["torchvision"].startswith("0.29")
    assert set(FLOORS) == set(vision_coverage.NAMESPACES)
    for ns, excluded in vision_coverage.EXCLUDED.items():
        for name, reason in excluded.items():
            assert name in names[ns], f"exclusion torchvision.{ns}.{name} is not a name there"
            assert reason, f"exclusion torchvision.{ns}.{name} needs a reason"


def test_torchvision_coverage_floors():
    cov = vision_coverage.coverage()
    print("\n" + vision_coverage.table(cov))
    below = {ns: (round(100.0 * have / total, 1), FLOORS[ns], missing[:20])
             for ns, (have, total, missing) in cov.items() if 100.0 * have / total < FLOORS[ns]}
    assert not below, f"coverage fell below its floor (percent, floor, first missing): {below}"
