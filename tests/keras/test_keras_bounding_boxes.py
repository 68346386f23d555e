"""``ember.keras.utils.bounding_boxes`` against Keras 3's ``keras.utils.bounding_boxes`` on the same boxes."""
import numpy as np
import pytest

from ember.keras.utils import bounding_boxes as eb

FORMATS = ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
           "rel_center_xywh"]
H, W = 40, 60


@pytest.fixture(scope="module")
def kb():
    import keras
    return keras.utils.bounding_boxes


def _np(x):
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def _xyxy(rng, shape):
    """Valid xyxy boxes inside (and a little outside) a W x H image."""
    lo = rng.uniform(-5, 40, shape + (2,))
    return np.concatenate([lo, lo + rng.uniform(1, 25, shape + (2,))], -1).astype(np.float32)


def _check(ours, theirs, atol=1e-5):
    ours, theirs = _np(ours), _np(theirs)
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs)
        for k in theirs:
            _check(ours[k], theirs[k], atol)
        return
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("source", FORMATS)
def test_convert_format_every_pair(kb, source):
    rng = np.random.default_rng(0)
    boxes = kb.convert_format(_xyxy(rng, (2, 3)), "xyxy", source, height=H, width=W)
    boxes = _np(boxes)
    for target in FORMATS:
        _check(eb.convert_format(boxes, source, target, height=H, width=W),
               kb.convert_format(boxes, source, target, height=H, width=W))
    _check(eb.convert_format(boxes, source.upper(), "xywh", height=H, width=W, dtype="float64"),
           kb.convert_format(boxes, source.upper(), "xywh", height=H, width=W, dtype="float64"))


def test_convert_format_dict_and_errors(kb):
    boxes = _xyxy(np.random.default_rng(1), (4,))
    _check(eb.convert_format({"boxes": boxes, "labels": np.arange(4)}, "xyxy", "center_yxhw"),
           kb.convert_format({"boxes": boxes, "labels": np.arange(4)}, "xyxy", "center_yxhw"))
    for bad in [dict(boxes=boxes[:, :3], source="xyxy", target="xywh"),
                dict(boxes=boxes, source="xyxy", target="cxcywh"),
                dict(boxes=boxes, source="xyxy", target="rel_xyxy")]:
        with pytest.raises(ValueError):
            kb.convert_format(**bad)
        with pytest.raises(ValueError, match="convert_format"):
            eb.convert_format(**bad)


@pytest.mark.parametrize("fmt,hw", [("xyxy", (H, W)), ("rel_xyxy", (None, None))])
def test_clip_to_image_size(kb, fmt, hw):
    boxes = _xyxy(np.random.default_rng(2), (2, 5)) * (1.5 if fmt == "xyxy" else 1 / 30)
    boxes[0, 0] = [70, 1, 80, 5] if fmt == "xyxy" else [1.2, 0.1, 1.5, 0.2]  # entirely outside: label -1
    data = {"boxes": boxes, "labels": np.arange(10).reshape(2, 5)}
    _check(eb.clip_to_image_size(data, *hw, bounding_box_format=fmt),
           kb.clip_to_image_size(data, *hw, bounding_box_format=fmt))
    _check(eb.clip_to_image_size({"boxes": boxes}, *hw, bounding_box_format=fmt),
           kb.clip_to_image_size({"boxes": boxes}, *hw, bounding_box_format=fmt))
    with pytest.raises(NotImplementedError):
        eb.clip_to_image_size(data, H, W, bounding_box_format="xywh")


def test_affine_transform(kb):
    rng = np.random.default_rng(3)
    boxes = _xyxy(rng, (3, 4))
    params = [rng.uniform(lo, hi, 3).astype(np.float32) for lo, hi in
              [(-30, 30), (-0.2, 0.2), (-0.2, 0.2), (0.7, 1.3), (-20, 20), (-20, 20)]]
    _check(eb.affine_transform(boxes, *params, H, W), kb.affine_transform(boxes, *params, H, W), atol=1e-3)
    _check(eb.affine_transform(boxes, *params, H, W, center_x=0.3, center_y=0.6),
           kb.affine_transform(boxes, *params, H, W, center_x=0.3, center_y=0.6), atol=1e-3)


def test_crop_and_pad(kb):
    boxes = _xyxy(np.random.default_rng(4), (2, 6))
    _check(eb.crop(boxes, 5, 8, 20, 25), kb.crop(boxes, 5, 8, 20, 25))
    _check(eb.pad(boxes, 3, 7, H, W), kb.pad(boxes, 3, 7, H, W))
    with pytest.raises(NotImplementedError):
        eb.pad(boxes, 3, 7, bounding_box_format="yxyx")


@pytest.mark.parametrize("enc", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_encode_decode_deltas(kb, enc, variance):
    rng = np.random.default_rng(5)
    anchors, boxes = _xyxy(rng, (6,)), _xyxy(rng, (2, 6))
    rel_boxes = _np(kb.convert_format(boxes, "xyxy", "rel_xywh", height=H, width=W))
    shape = (H, W, 3)
    ours = eb.encode_box_to_deltas(anchors, rel_boxes, "xyxy", "rel_xywh", enc, variance, shape)
    theirs = kb.encode_box_to_deltas(anchors, rel_boxes, "xyxy", "rel_xywh", enc, variance, shape)
    _check(ours, theirs)
    import keras
    deltas = _np(theirs)
    kd = keras.ops.convert_to_tensor(deltas)  # Keras's decode multiplies the deltas by a tensor
    _check(eb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "yxyx", enc, variance, shape),
           kb.decode_deltas_to_boxes(anchors, kd, "xyxy", "yxyx", enc, variance, shape), atol=1e-4)
    levels_a, levels_d = {"P3": anchors, "P4": anchors[:3]}, {"P3": deltas, "P4": deltas[:, :3]}
    _check(eb.decode_deltas_to_boxes(levels_a, levels_d, "xyxy", "xywh", enc, variance),
           kb.decode_deltas_to_boxes(levels_a, {"P3": kd, "P4": kd[:, :3]}, "xyxy", "xywh", enc, variance),
           atol=1e-4)
    with pytest.raises(ValueError, match="variance"):
        eb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=[1, 2])
    with pytest.raises(ValueError, match="encoding_format"):
        eb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", encoding_format="xyxy")


@pytest.mark.parametrize("shapes", [((5,), (4,)), ((2, 5), (4,)), ((5,), (2, 4)), ((2, 5), (2, 4))])
def test_compute_iou(kb, shapes):
    rng = np.random.default_rng(6)
    b1, b2 = _xyxy(rng, shapes[0]), _xyxy(rng, shapes[1])
    b1.reshape(-1, 4)[0] = [-3, -4, -1, -2]  # all-negative box: masked
    b2.reshape(-1, 4)[-1] = b1.reshape(-1, 4)[1]  # an identical pair: IoU 1
    # Keras's masking transposes boxes2's mask by boxes1's rank, so it only runs on equal ranks.
    masks = [{"use_masking": True}, {"use_masking": True, "mask_val": -7}] if b1.ndim == b2.ndim else []
    for kwargs in [{}] + masks:
        _check(eb.compute_iou(b1, b2, "xyxy", **kwargs), kb.compute_iou(b1, b2, "xyxy", **kwargs))
    if b1.ndim != b2.ndim:  # the mask of an all-negative box, against Keras's unmasked IoU
        ours = _np(eb.compute_iou(b1, b2, "xyxy", use_masking=True, mask_val=-7))
        neg1 = (b1.max(-1) < 0)[..., :, None]
        neg2 = (b2.max(-1) < 0)[..., None, :]
        ref = np.where(neg1 | neg2, -7.0, _np(kb.compute_iou(b1, b2, "xyxy")))
        _check(ours, ref)
    c1 = _np(kb.convert_format(b1, "xyxy", "rel_center_xywh", height=H, width=W))
    c2 = _np(kb.convert_format(b2, "xyxy", "rel_center_xywh", height=H, width=W))
    _check(eb.compute_iou(c1, c2, "rel_center_xywh", image_shape=(H, W, 3)),
           kb.compute_iou(c1, c2, "rel_center_xywh", image_shape=(H, W, 3)))
    with pytest.raises(ValueError, match="image_shape"):
        eb.compute_iou(c1, c2, "rel_xyxy")
    with pytest.raises(ValueError, match="rank"):
        eb.compute_iou(b1[None, None], b2, "xyxy")


def test_compute_ciou(kb):
    rng = np.random.default_rng(7)
    b1, b2 = _xyxy(rng, (2, 5)), _xyxy(rng, (2, 5))
    b2[0, 0] = b1[0, 0]
    _check(eb.compute_ciou(b1, b2, "xyxy"), kb.compute_ciou(b1, b2, "xyxy"))
    y1, y2 = _np(kb.convert_format(b1, "xyxy", "yxyx")), _np(kb.convert_format(b2, "xyxy", "yxyx"))
    _check(eb.compute_ciou(y1, y2, "yxyx"), kb.compute_ciou(y1, y2, "yxyx"))
    with pytest.raises(ValueError):
        eb.compute_ciou(b1, b2, "rel_xyxy")
