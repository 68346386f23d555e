"""The deterministic torchvision calls recorded into torchvision_transforms.npz: the same table
drives the recording (with real torchvision, see make_torchvision_transforms_fixture.py) and the
test (with ember.vision). A case is ``(id, namespace, function, input, args, kwargs)``; an input
names an entry of :func:`inputs`, and an argument that is a NumPy array becomes the framework's
tensor on each side. Interpolation modes are given by their string values."""
import numpy as np


def inputs():
    rng = np.random.default_rng(2024)
    return {
        "u8": rng.integers(0, 256, (3, 8, 10), dtype=np.uint8),
        "u8_dark": (rng.integers(0, 256, (3, 8, 10)) // 3 + 40).astype(np.uint8),
        "g8": rng.integers(0, 256, (1, 8, 10), dtype=np.uint8),
        "b8": rng.integers(0, 256, (2, 3, 6, 7), dtype=np.uint8),
        "f32": rng.random((3, 8, 10), dtype=np.float32),
        "u8_big": np.full((3, 24, 30), 90, dtype=np.uint8),
        "f32_gray": rng.random((1, 8, 10), dtype=np.float32),
        "f64": rng.random((2, 9, 11)),
        "grid": rng.standard_normal((5, 3, 4, 5)).astype(np.float32),
        "grid1": rng.random((3, 1, 4, 5), dtype=np.float32),
        "i16": rng.integers(0, 32768, (1, 3, 4), dtype=np.int16),
        "disp": (rng.standard_normal((1, 9, 11, 2)) * 0.1),
        "boxes": np.array([[1.0, 1.0, 6.0, 5.0], [3.0, 2.0, 9.0, 7.0], [0.0, 0.0, 2.0, 3.0]]),
        "masks": rng.random((2, 8, 10)) < 0.4,
        "points": np.array([[[3.0, 4.0], [20.0, 10.0], [8.6, 20.2]], [[25.0, 2.0], [1.0, 1.0],
                                                                      [15.0, 15.0]]]),
        "points_small": np.array([[[2.0, 2.0], [7.0, 5.0]]]),
        "vis": np.array([[True, False]]),
        "flow": rng.standard_normal((2, 7, 9)).astype(np.float32),
        "flow_batch": rng.standard_normal((2, 2, 5, 6)).astype(np.float32),
    }


SQUARE = [[0, 0], [10, 0], [10, 8], [0, 8]]
BENT = [[1, 2], [9, 0], [11, 9], [0, 7]]

CASES = [
    ("brightness_u8_dim", "F", "adjust_brightness", "u8", (0.6,), {}),
    ("brightness_u8_bright", "F", "adjust_brightness", "u8", (1.7,), {}),
    ("brightness_f32", "F", "adjust_brightness", "f32", (1.3,), {}),
    ("contrast_u8_low", "F", "adjust_contrast", "u8", (0.5,), {}),
    ("contrast_u8_high", "F", "adjust_contrast", "u8", (1.8,), {}),
    ("contrast_f32", "F", "adjust_contrast", "f32", (0.7,), {}),
    ("contrast_gray", "F", "adjust_contrast", "g8", (1.5,), {}),
    ("contrast_batch", "F", "adjust_contrast", "b8", (0.4,), {}),
    ("saturation_u8_low", "F", "adjust_saturation", "u8", (0.3,), {}),
    ("saturation_u8_high", "F", "adjust_saturation", "u8", (2.0,), {}),
    ("saturation_f32", "F", "adjust_saturation", "f32", (1.4,), {}),
    ("hue_u8_pos", "F", "adjust_hue", "u8", (0.2,), {}),
    ("hue_u8_neg", "F", "adjust_hue", "u8", (-0.35,), {}),
    ("hue_f32", "F", "adjust_hue", "f32", (0.1,), {}),
    ("hue_batch", "F", "adjust_hue", "b8", (0.45,), {}),
    ("gamma_u8", "F", "adjust_gamma", "u8", (0.5,), {}),
    ("gamma_u8_gain", "F", "adjust_gamma", "u8", (2.2, 0.9), {}),
    ("gamma_f32", "F", "adjust_gamma", "f32", (1.5,), {}),
    ("sharpness_u8_blur", "F", "adjust_sharpness", "u8", (0.0,), {}),
    ("sharpness_u8", "F", "adjust_sharpness", "u8", (2.5,), {}),
    ("sharpness_f32", "F", "adjust_sharpness", "f32", (1.7,), {}),
    ("gray_u8", "F", "rgb_to_grayscale", "u8", (), {}),
    ("gray_u8_3", "F", "rgb_to_grayscale", "u8", (3,), {}),
    ("gray_f32", "F", "rgb_to_grayscale", "f32", (), {}),
    ("invert_u8", "F", "invert", "u8", (), {}),
    ("invert_f32", "F", "invert", "f32", (), {}),
    ("posterize_u8", "F", "posterize", "u8", (3,), {}),
    ("solarize_u8", "F", "solarize", "u8", (128,), {}),
    ("solarize_f32", "F", "solarize", "f32", (0.5,), {}),
    ("autocontrast_u8", "F", "autocontrast", "u8_dark", (), {}),
    ("autocontrast_f32", "F", "autocontrast", "f32", (), {}),
    ("autocontrast_batch", "F", "autocontrast", "b8", (), {}),
    ("equalize_u8", "F", "equalize", "u8_dark", (), {}),
    ("equalize_batch", "F", "equalize", "b8", (), {}),
    ("blur_u8", "F", "gaussian_blur", "u8", ([3, 5], [1.2, 0.7]), {}),
    ("blur_f32_default_sigma", "F", "gaussian_blur", "f32", ([5, 3],), {}),
    ("blur_f64", "F", "gaussian_blur", "f64", (3, 1.0), {}),
    ("resized_crop_f64", "F", "resized_crop", "f64", (1, 2, 5, 6, [7, 9]), {}),
    ("resized_crop_u8_nearest", "F", "resized_crop", "u8", (2, 1, 6, 8, [3, 4]),
     {"interpolation": "nearest"}),
    ("five_crop_u8", "F", "five_crop", "u8", ([3, 4],), {}),
    ("ten_crop_u8_vflip", "F", "ten_crop", "u8", ([3, 4], True), {}),
    ("erase_f32", "F", "erase", "f32", (2, 3, 3, 4, 0.5), {}),
    ("perspective_f64", "F", "perspective", "f64", (SQUARE, BENT), {}),
    ("perspective_f64_nearest", "F", "perspective", "f64", (SQUARE, BENT),
     {"interpolation": "nearest"}),
    ("perspective_f64_fill", "F", "perspective", "f64", (BENT, SQUARE), {"fill": [0.25, 0.75]}),
    ("elastic_f64", "F", "elastic_transform", "f64", ("disp",), {}),
    ("elastic_f64_nearest", "F", "elastic_transform", "f64", ("disp",),
     {"interpolation": "nearest", "fill": [0.5, 0.5]}),
    ("rotate_f64_bilinear", "F", "rotate", "f64", (30.0,), {"interpolation": "bilinear"}),
    ("rotate_f64_expand", "F", "rotate", "f64", (-45.0,), {"expand": True}),
    ("rotate_f64_center_fill", "F", "rotate", "f64", (17.0,),
     {"interpolation": "bilinear", "center": [3, 2], "fill": [1.0, 2.0]}),
    ("affine_f64", "F", "affine", "f64", (20.0, [1, -2], 1.1, [5.0, 3.0]),
     {"interpolation": "bilinear"}),
    ("affine_f64_nearest", "F", "affine", "f64", (-33.0, [0, 1], 0.8, [-7.0, 0.0]), {}),
    ("pad_u8_reflect", "F", "pad", "u8", ([1, 2, 3, 2],), {"padding_mode": "reflect"}),
    ("rotate_u8_bilinear", "F", "rotate", "u8", (30.0,), {"interpolation": "bilinear"}),
    ("rotate_u8_expand", "F", "rotate", "u8", (-45.0,), {"expand": True}),
    ("rotate_u8_center_fill", "F", "rotate", "u8", (17.0,),
     {"center": [3, 2], "fill": [10, 20, 30]}),
    ("affine_u8_bilinear", "F", "affine", "u8", (20.0, [1, -2], 1.1, [5.0, 3.0]),
     {"interpolation": "bilinear"}),
    ("affine_u8_nearest_fill", "F", "affine", "u8", (-33.0, [0, 1], 0.8, [-7.0, 0.0]),
     {"fill": 99}),
    ("perspective_u8", "F", "perspective", "u8", (SQUARE, BENT), {}),
    ("perspective_u8_nearest_fill", "F", "perspective", "u8", (BENT, SQUARE),
     {"interpolation": "nearest", "fill": [5, 6, 7]}),
    ("resize_u8_bilinear", "F", "resize", "u8", ([5, 7],), {}),
    ("resize_u8_bicubic_up", "F", "resize", "u8", ([11, 13],), {"interpolation": "bicubic"}),
    ("resize_u8_nearest", "F", "resize", "u8", ([4, 4],), {"interpolation": "nearest"}),
    ("resize_u8_short_side", "F", "resize", "u8", ([6],), {}),
    ("resize_f64_bilinear", "F", "resize", "f64", ([5, 7],), {}),
    ("crop_u8_outside", "F", "crop", "u8", (-1, 7, 4, 5), {}),
    ("center_crop_u8_big", "F", "center_crop", "u8", ([11, 9],), {}),
    ("convert_u8_f32", "F", "convert_image_dtype", "u8", ("float32",), {}),
    ("convert_f32_u8", "F", "convert_image_dtype", "f32", ("uint8",), {}),
    ("convert_f32_i16", "F", "convert_image_dtype", "f32", ("int16",), {}),
    ("convert_i16_u8", "F", "convert_image_dtype", "i16", ("uint8",), {}),
    ("convert_u8_i16", "F", "convert_image_dtype", "u8", ("int16",), {}),
    ("grid_default", "utils", "make_grid", "grid", (), {}),
    ("grid_nrow_pad", "utils", "make_grid", "grid", (), {"nrow": 2, "padding": 1,
                                                        "pad_value": 0.5}),
    ("grid_normalize", "utils", "make_grid", "grid", (), {"nrow": 3, "normalize": True}),
    ("grid_range_each", "utils", "make_grid", "grid", (),
     {"normalize": True, "value_range": (-0.5, 0.8), "scale_each": True}),
    ("grid_scale_each", "utils", "make_grid", "grid", (), {"normalize": True,
                                                          "scale_each": True, "padding": 0}),
    ("grid_one_channel", "utils", "make_grid", "grid1", (), {"nrow": 2}),
    ("boxes_palette", "utils", "draw_bounding_boxes", "u8", ("boxes",), {}),
    ("boxes_colors_fill", "utils", "draw_bounding_boxes", "u8", ("boxes",),
     {"colors": ["red", (10, 200, 30), "#00FFFF"], "fill": True, "width": 2}),
    ("boxes_gray_float", "utils", "draw_bounding_boxes", "f32_gray", ("boxes",),
     {"colors": "yellow"}),
    ("boxes_labels", "utils", "draw_bounding_boxes", "u8_big", ("boxes",),
     {"labels": ["cat", "dog", "x"], "fill_labels": True, "label_colors": "white"}),
    ("masks_palette", "utils", "draw_segmentation_masks", "u8", ("masks",), {}),
    ("keypoints", "utils", "draw_keypoints", "u8_big", ("points",),
     {"connectivity": [(0, 1), (1, 2)], "colors": "red", "radius": 1, "width": 1}),
    ("keypoints_visibility", "utils", "draw_keypoints", "f32", ("points_small",),
     {"visibility": "vis", "radius": 2}),
    ("flow", "utils", "flow_to_image", "flow", (), {}),
    ("flow_batch", "utils", "flow_to_image", "flow_batch", (), {}),
    ("masks_float_alpha", "utils", "draw_segmentation_masks", "f32", ("masks",),
     {"alpha": 0.35, "colors": ["blue", (250, 10, 10)]}),
]

DTYPE_ARGS = {"convert_image_dtype"}

# save_image calls: (id, input, make_grid keyword arguments); the PNG's pixels are recorded.
SAVED = [("save_grid", "grid", {"nrow": 3, "normalize": True}),
         ("save_one_channel", "f32_gray", {})]


# transforms.v2.functional on tv_tensors: (id, function, input, args, kwargs). The inputs are
# built by build_v2 with each side's own tv_tensors module (their constructors agree).
BOXES = np.array([[1.0, 2.0, 5.0, 6.0], [0.0, 0.0, 10.0, 8.0], [7.0, 1.0, 9.5, 7.0]])


def build_v2(name, tv, from_numpy):
    arrays = inputs()
    if name.startswith("box_"):
        fmt = name.split("_")[1].upper()
        data = BOXES.copy()
        if fmt == "INT":
            return tv.BoundingBoxes(from_numpy(np.array([[1, 2, 5, 6], [3, 0, 9, 7]])),
                                    format="XYXY", canvas_size=(8, 10))
        if fmt == "XYWH":
            data[:, 2:] -= data[:, :2]
        elif fmt == "CXCYWH":
            data = np.stack([(data[:, 0] + data[:, 2]) / 2, (data[:, 1] + data[:, 3]) / 2,
                             data[:, 2] - data[:, 0], data[:, 3] - data[:, 1]], axis=1)
        return tv.BoundingBoxes(from_numpy(data), format=fmt, canvas_size=(8, 10))
    if name == "mask":
        return tv.Mask(from_numpy((arrays["u8"][0] // 64).astype(np.int64)))
    if name == "hwc":
        return arrays["u8"].transpose(1, 2, 0).copy()
    return tv.Image(from_numpy(arrays[name].copy()))


V2_CASES = [
    ("hflip_xyxy", "horizontal_flip", "box_xyxy", (), {}),
    ("hflip_xywh", "horizontal_flip", "box_xywh", (), {}),
    ("hflip_cxcywh", "horizontal_flip", "box_cxcywh", (), {}),
    ("hflip_int", "horizontal_flip", "box_int", (), {}),
    ("vflip_xyxy", "vertical_flip", "box_xyxy", (), {}),
    ("hflip_mask", "horizontal_flip", "mask", (), {}),
    ("resize_boxes", "resize", "box_xyxy", ([4, 5],), {}),
    ("resize_boxes_short_side", "resize", "box_cxcywh", ([16],), {}),
    ("resize_int_boxes", "resize", "box_int", ([5, 7],), {}),
    ("resize_mask", "resize", "mask", ([5, 7],), {}),
    ("resize_image", "resize", "u8", ([5, 7],), {}),
    ("crop_boxes", "crop", "box_xyxy", (1, 2, 5, 6), {}),
    ("crop_boxes_outside", "crop", "box_xywh", (-1, -2, 10, 12), {}),
    ("center_crop_boxes", "center_crop", "box_xyxy", ([5, 6],), {}),
    ("center_crop_boxes_big", "center_crop", "box_xyxy", ([11, 13],), {}),
    ("resized_crop_boxes", "resized_crop", "box_xyxy", (1, 2, 5, 6, [10, 12]), {}),
    ("pad_boxes", "pad", "box_xyxy", ([1, 2, 3, 4],), {}),
    ("pad_mask", "pad", "mask", ([1, 2],), {}),
    ("rotate_mask", "rotate", "mask", (30.0,), {}),
    ("to_dtype_scale", "to_dtype", "u8", ("float32",), {"scale": True}),
    ("to_dtype_float_to_u8", "to_dtype", "f32", ("uint8",), {"scale": True}),
    ("to_dtype_no_scale", "to_dtype", "u8", ("float32",), {}),
    ("to_dtype_mask", "to_dtype", "mask", ("float32",), {"scale": True}),
    ("convert_cxcywh", "convert_bounding_box_format", "box_xyxy", (),
     {"new_format": "CXCYWH"}),
    ("convert_xywh", "convert_bounding_box_format", "box_cxcywh", (), {"new_format": "XYWH"}),
    ("to_image_hwc", "to_image", "hwc", (), {}),
]


# autoaugment._apply_op at fixed magnitudes: (id, op, input, magnitude, interpolation, fill).
AUG_OPS = [
    ("shear_x", "ShearX", "u8", 0.25, "nearest", None),
    ("shear_y_fill", "ShearY", "u8", -0.3, "bilinear", [10.0, 20.0, 30.0]),
    ("translate_x", "TranslateX", "u8", 3.7, "nearest", None),
    ("translate_y", "TranslateY", "u8", -2.2, "nearest", [5.0, 5.0, 5.0]),
    ("rotate_aa", "Rotate", "u8", 14.0, "nearest", None),
    ("brightness_aa", "Brightness", "u8", -0.3, "nearest", None),
    ("color_aa", "Color", "u8", 0.6, "nearest", None),
    ("contrast_aa", "Contrast", "u8", 0.45, "nearest", None),
    ("sharpness_aa", "Sharpness", "u8", 0.9, "nearest", None),
    ("posterize_aa", "Posterize", "u8", 4.0, "nearest", None),
    ("solarize_aa", "Solarize", "u8", 100.0, "nearest", None),
    ("autocontrast_aa", "AutoContrast", "u8_dark", 0.0, "nearest", None),
    ("equalize_aa", "Equalize", "u8_dark", 0.0, "nearest", None),
    ("invert_aa", "Invert", "u8", 0.0, "nearest", None),
]


# Calls of the v2 per-kind kernels, written once against the names both libraries share:
# ``fn(F, tv, t)`` with F = transforms.v2.functional, tv = tv_tensors, t = from_numpy.
def _video():
    return np.arange(5 * 2 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2, 2)


DEGENERATE = np.array([[1.0, 1.0, 4.0, 5.0], [2.0, 2.0, 2.5, 6.0], [-1.0, 0.0, 3.0, 3.0],
                       [3.0, 3.0, 9.0, 7.0], [0.0, 0.0, 11.0, 4.0], [1.0, 1.0, 1.9, 1.9]])

V2_KERNELS = [
    ("k_crop_boxes", lambda F, tv, t: F.crop_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYXY, 1, 2, 5, 6)),
    ("k_resize_boxes", lambda F, tv, t: F.resize_bounding_boxes(t(BOXES.copy()), (8, 10),
                                                                 [4, 5])),
    ("k_pad_boxes", lambda F, tv, t: F.pad_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYWH, (8, 10), [1, 2])),
    ("k_center_crop_boxes", lambda F, tv, t: F.center_crop_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYXY, (8, 10), [5, 6])),
    ("k_resized_crop_boxes", lambda F, tv, t: F.resized_crop_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYXY, 1, 2, 5, 6, [10, 12])),
    ("k_hflip_boxes", lambda F, tv, t: F.horizontal_flip_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.CXCYWH, (8, 10))),
    ("k_sanitize", lambda F, tv, t: F.sanitize_bounding_boxes(
        t(DEGENERATE.copy()), tv.BoundingBoxFormat.XYXY, (8, 10))),
    ("k_sanitize_area", lambda F, tv, t: F.sanitize_bounding_boxes(
        t(DEGENERATE.copy()), tv.BoundingBoxFormat.XYXY, (8, 10), min_size=0.5, min_area=3.0)),
    ("k_resize_mask", lambda F, tv, t: F.resize_mask(
        t((inputs()["u8"][:1] // 64).astype(np.int64)), [5, 7])),
    ("k_rotate_mask", lambda F, tv, t: F.rotate_mask(
        t((inputs()["u8"][:1] // 64).astype(np.int64)), 30.0, expand=True)),
    ("k_subsample", lambda F, tv, t: F.uniform_temporal_subsample(t(_video()), 3)),
    ("k_subsample_4", lambda F, tv, t: F.uniform_temporal_subsample(t(_video()), 4)),
    ("k_jpeg", lambda F, tv, t: F.jpeg(t(inputs()["u8"].copy()), 75)),
    ("k_hue_image", lambda F, tv, t: F.adjust_hue_image(t(inputs()["u8"].copy()), 0.2)),
    ("k_five_crop_video", lambda F, tv, t: F.five_crop_video(t(_video()), [1, 1])),
]

POINTS = np.array([[[1.0, 2.0], [9.0, 7.0], [4.5, 0.0]], [[0.0, 0.0], [10.0, 3.0], [-1.0, 5.0]]])

V2_KERNELS += [
    ("k_hflip_points", lambda F, tv, t: F.horizontal_flip_keypoints(t(POINTS.copy()), (8, 10))),
    ("k_vflip_points", lambda F, tv, t: F.vertical_flip_keypoints(t(POINTS.copy()), (8, 10))),
    ("k_crop_points", lambda F, tv, t: F.crop_keypoints(t(POINTS.copy()), 1, 2, 5, 6)),
    ("k_resize_points", lambda F, tv, t: F.resize_keypoints(t(POINTS.copy()), [4, 5], (8, 10))),
    ("k_pad_points", lambda F, tv, t: F.pad_keypoints(t(POINTS.copy()), (8, 10), [1, 2, 3, 4])),
    ("k_center_crop_points", lambda F, tv, t: F.center_crop_keypoints(t(POINTS.copy()), (8, 10),
                                                                       [5, 6])),
    ("k_resized_crop_points", lambda F, tv, t: F.resized_crop_keypoints(
        t(POINTS.copy()), 1, 2, 5, 6, [10, 12])),
    ("k_clamp_points", lambda F, tv, t: F.clamp_keypoints(t(POINTS.copy()), (8, 10))),
    ("k_sanitize_points", lambda F, tv, t: F.sanitize_keypoints(t(POINTS.copy()), (8, 10))),
    ("k_sanitize_single", lambda F, tv, t: F.sanitize_keypoints(t(POINTS[1].copy()), (8, 10))),
    ("k_dispatch_hflip_points", lambda F, tv, t: F.horizontal_flip(
        tv.KeyPoints(t(POINTS.copy()), canvas_size=(8, 10)))),
    ("k_dispatch_crop_points", lambda F, tv, t: F.crop(
        tv.KeyPoints(t(POINTS.copy()), canvas_size=(8, 10)), 1, 2, 5, 6)),
    ("k_dispatch_resize_points", lambda F, tv, t: F.resize(
        tv.KeyPoints(t(POINTS.copy()), canvas_size=(8, 10)), [16, 20])),
]

V2_KERNELS += [
    ("k_affine_points", lambda F, tv, t: F.affine_keypoints(
        t(POINTS.copy()), (8, 10), 20.0, [1.0, -2.0], 1.1, [5.0, 3.0])),
    ("k_rotate_points", lambda F, tv, t: F.rotate_keypoints(t(POINTS.copy()), (8, 10), 30.0)),
    ("k_rotate_points_expand", lambda F, tv, t: F.rotate_keypoints(
        t(POINTS.copy()), (8, 10), -45.0, expand=True)),
    ("k_rotate_points_center", lambda F, tv, t: F.rotate_keypoints(
        t(POINTS.copy()), (8, 10), 17.0, center=[3.0, 2.0])),
    ("k_perspective_points", lambda F, tv, t: F.perspective_keypoints(
        t(POINTS.copy()), (8, 10), SQUARE, BENT)),
    ("k_affine_boxes", lambda F, tv, t: F.affine_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYXY, (8, 10), 20.0, [1.0, -2.0], 1.1, [5.0, 3.0])),
    ("k_rotate_boxes", lambda F, tv, t: F.rotate_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYXY, (8, 10), 30.0)),
    ("k_rotate_boxes_expand", lambda F, tv, t: F.rotate_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYWH, (8, 10), -45.0, expand=True)),
    ("k_perspective_boxes", lambda F, tv, t: F.perspective_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYXY, (8, 10), SQUARE, BENT)),
    ("k_dispatch_rotate_boxes", lambda F, tv, t: F.rotate(
        tv.BoundingBoxes(t(BOXES.copy()), format="XYXY", canvas_size=(8, 10)), 30.0,
        expand=True)),
    ("k_dispatch_affine_points", lambda F, tv, t: F.affine(
        tv.KeyPoints(t(POINTS.copy()), canvas_size=(8, 10)), 10.0, [0, 1], 0.9, [0.0, 0.0])),
]

V2_KERNELS += [
    ("k_elastic_points", lambda F, tv, t: F.elastic_keypoints(
        t(POINTS.copy()), (9, 11), t(inputs()["disp"].astype(np.float64)))),
    ("k_elastic_boxes", lambda F, tv, t: F.elastic_bounding_boxes(
        t(BOXES.copy()), tv.BoundingBoxFormat.XYXY, (9, 11),
        t(inputs()["disp"].astype(np.float64)))),
    ("k_dispatch_elastic_boxes", lambda F, tv, t: F.elastic(
        tv.BoundingBoxes(t(BOXES.copy()), format="CXCYWH", canvas_size=(9, 11)),
        t(inputs()["disp"].astype(np.float64)))),
]
