"""AutoAugment, RandAugment, TrivialAugmentWide and AugMix: the ops at fixed magnitudes, the
magnitude tables and the AutoAugment policies against torchvision 0.29 (recorded), and the
random choices for their distributions and seeding."""
import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import transforms as T
from ember.vision.transforms import autoaugment as aa
from ember.vision.transforms import InterpolationMode
from tests.vision._tv_transform_cases import AUG_OPS
from tests.vision.test_vision_tv_functional import ARRAYS, RECORDED


@pytest.mark.parametrize("case", AUG_OPS, ids=[c[0] for c in AUG_OPS])
def test_apply_op_matches_torchvision(case):
    case_id, op, name, magnitude, interpolation, fill = case
    out = aa._apply_op(ember.from_numpy(ARRAYS[name].copy()), op, magnitude,
                       InterpolationMode(interpolation), fill)
    np.testing.assert_array_equal(out.numpy(), RECORDED["aug:" + case_id])


SPACES = {"AutoAugment": lambda: aa.AutoAugment()._augmentation_space(10, (8, 10)),
          "RandAugment": lambda: aa.RandAugment()._augmentation_space(31, (8, 10)),
          "TrivialAugmentWide": lambda: aa.TrivialAugmentWide()._augmentation_space(31),
          "AugMix": lambda: aa.AugMix()._augmentation_space(10, (8, 10)),
          "AugMixColourless": lambda: aa.AugMix(all_ops=False)._augmentation_space(10, (8, 10))}


@pytest.mark.parametrize("cls", list(SPACES))
def test_magnitude_tables_match_torchvision(cls):
    space = SPACES[cls]()
    assert list(space) == RECORDED[f"space:{cls}:order"].tolist()
    for op, (magnitudes, signed) in space.items():
        want = RECORDED[f"space:{cls}:{op}"]
        np.testing.assert_array_equal(np.asarray(magnitudes), want)
        assert np.asarray(magnitudes).dtype == want.dtype
        assert signed == bool(RECORDED[f"signed:{cls}:{op}"])


@pytest.mark.parametrize("policy", list(aa.AutoAugmentPolicy))
def test_autoaugment_policies_match_torchvision(policy):
    ours = [[f"{n} {p} {m}" for n, p, m in sub] for sub in aa.AutoAugment(policy).policies]
    assert ours == RECORDED["policy:" + policy.name].tolist()


def test_autoaugment_applies_its_subpolicy():
    t = aa.AutoAugment(aa.AutoAugmentPolicy.CIFAR10)
    img = ember.from_numpy(ARRAYS["u8"].copy())
    space = t._augmentation_space(10, (8, 10))
    for seed in range(5):
        ember.manual_seed(seed)
        index, probs, signs = t.get_params(len(t.policies))
        want = img
        for i, (name, p, bin_id) in enumerate(t.policies[index]):
            if probs[i] <= p:
                magnitude = float(space[name][0][bin_id]) if bin_id is not None else 0.0
                magnitude = -magnitude if space[name][1] and signs[i] == 0 else magnitude
                want = aa._apply_op(want, name, magnitude, InterpolationMode.NEAREST, None)
        ember.manual_seed(seed)
        np.testing.assert_array_equal(t(img).numpy(), want.numpy())
    ember.manual_seed(0)
    picks = [t.get_params(25)[0] for _ in range(500)]
    assert set(picks) == set(range(25))


def test_rand_and_trivial_augment_draws():
    img = ember.from_numpy(ARRAYS["u8"].copy())
    for t in (aa.RandAugment(num_ops=3, magnitude=5), aa.TrivialAugmentWide()):
        ember.manual_seed(1)
        a = [t(img).numpy() for _ in range(10)]
        ember.manual_seed(1)
        assert all(np.array_equal(x, t(img).numpy()) for x in a)
        assert sum(not np.array_equal(x, ARRAYS["u8"]) for x in a) >= 5
    pil = aa.TrivialAugmentWide()(Image.fromarray(ARRAYS["u8"].transpose(1, 2, 0)))
    assert isinstance(pil, Image.Image)


def test_augmix_is_the_dirichlet_mix_of_its_chains():
    img = ember.from_numpy(ARRAYS["u8"].copy())
    t = aa.AugMix(severity=4, mixture_width=2, chain_depth=1)
    space = t._augmentation_space(10, (8, 10))
    names = list(space)
    for seed in range(4):
        ember.manual_seed(seed)
        rng = ember.random._get_rng(None)
        m = rng.dirichlet([1.0, 1.0], size=1).astype(np.float32)
        w = rng.dirichlet([1.0, 1.0], size=1).astype(np.float32) * m[:, 1:2]
        mix = m[0, 0] * ARRAYS["u8"][None]
        for i in range(2):
            name = names[int(rng.integers(0, len(names)))]
            magnitudes, signed = space[name]
            magnitude = float(magnitudes[int(rng.integers(0, 4))]) if np.ndim(magnitudes) else 0.0
            if signed and int(rng.integers(0, 2)):
                magnitude = -magnitude
            aug = aa._apply_op(ember.from_numpy(ARRAYS["u8"][None].copy()), name, magnitude,
                               InterpolationMode.BILINEAR, None)
            mix = mix + w[0, i] * aug.numpy()
        ember.manual_seed(seed)
        np.testing.assert_array_equal(t(img).numpy(), np.trunc(mix[0]).astype(np.uint8))
    pil = aa.AugMix()(Image.fromarray(ARRAYS["u8"].transpose(1, 2, 0)))
    assert isinstance(pil, Image.Image) and pil.size == (10, 8)
    with pytest.raises(ValueError, match="severity must be between"):
        aa.AugMix(severity=11)
    assert T.AugMix is aa.AugMix and T.AutoAugmentPolicy is aa.AutoAugmentPolicy
