"""The colour operations on PIL Images, through Pillow's own ``ImageEnhance``/``ImageOps``
as torchvision computes them, so a PIL pipeline gives torchvision's pixels. (Tensors and NumPy
arrays follow torchvision's tensor kernels in ``_color_ops``; the two differ by rounding.)"""
import numpy as np

__all__ = ["PIL_COLOR_OPS"]


def _enhance(kind):
    def op(img, factor):
        from PIL import ImageEnhance
        return getattr(ImageEnhance, kind)(img).enhance(factor)
    return op


def _image_ops(name):
    def op(img, *args):
        from PIL import ImageOps
        return getattr(ImageOps, name)(img, *args)
    return op


def _hue(img, hue_factor):
    from PIL import Image
    if img.mode in ("L", "1", "I", "F"):
        return img
    h, s, v = img.convert("HSV").split()
    # The hue channel wraps around modulo 256, as a uint8 addition does.
    shifted = np.asarray(h, dtype=np.uint8) + np.int32(hue_factor * 255).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(shifted, "L"), s, v)).convert(img.mode)


def _gamma(img, gamma, gain=1):
    mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.convert("RGB").point(table).convert(mode)


def _grayscale(img, num_output_channels=1):
    from PIL import Image
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    return Image.fromarray(np.dstack([np.asarray(gray)] * 3), "RGB")


PIL_COLOR_OPS = {
    "adjust_brightness": _enhance("Brightness"), "adjust_contrast": _enhance("Contrast"),
    "adjust_saturation": _enhance("Color"), "adjust_sharpness": _enhance("Sharpness"),
    "adjust_hue": _hue, "adjust_gamma": _gamma, "rgb_to_grayscale": _grayscale,
    "invert": _image_ops("invert"), "posterize": _image_ops("posterize"),
    "solarize": _image_ops("solarize"), "autocontrast": _image_ops("autocontrast"),
    "equalize": _image_ops("equalize"),
}
