"""Reading and writing image files, as ``torchvision.io`` (images only), through Pillow
(``pip install "ember[vision]"``). Encoded files are 1-D uint8 tensors of their bytes; decoded
images are uint8 tensors ``(C, H, W)``.

>>> import ember
>>> png = encode_png(ember.zeros(3, 2, 4, dtype=ember.uint8))
>>> png.dtype, decode_png(png).shape
(ember.uint8, ember.Size([3, 2, 4]))
"""
import enum
import io as _io

import numpy as np

import ember
from ember.vision._pil import require_pil

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png",
           "decode_jpeg", "decode_webp", "decode_avif", "decode_gif", "encode_png", "encode_jpeg",
           "read_image", "write_png", "write_jpeg"]


class ImageReadMode(enum.Enum):
    """The channels to decode to: ``UNCHANGED`` (as stored), ``GRAY``, ``GRAY_ALPHA``, ``RGB``,
    ``RGB_ALPHA`` (alias ``RGBA``)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}


def read_file(path):
    """The bytes of the file at ``path`` as a 1-D uint8 tensor."""
    with open(path, "rb") as f:
        return ember.from_numpy(np.frombuffer(f.read(), dtype=np.uint8).copy())


def write_file(filename, data):
    """Write a 1-D uint8 tensor of bytes to ``filename``."""
    arr = _bytes_of(data, "write_file")
    with open(filename, "wb") as f:
        f.write(arr.tobytes())


def _bytes_of(data, who):
    if not isinstance(data, ember.Tensor) or data.dtype != ember.uint8 or data.ndim != 1:
        shape = tuple(data.shape) if isinstance(data, ember.Tensor) else type(data).__name__
        raise ValueError(f"{who}: expected a 1-D uint8 tensor of bytes, got {shape}")
    return data._data


def _mode(mode):
    return ImageReadMode[mode.upper()] if isinstance(mode, str) else ImageReadMode(mode)


def _decode(data, mode, apply_exif_orientation, who, formats=None):
    image_module = require_pil(who)
    if not isinstance(data, ember.Tensor):
        data = read_file(str(data))
    img = image_module.open(_io.BytesIO(_bytes_of(data, who).tobytes()), formats=formats)
    if apply_exif_orientation:
        from PIL import ImageOps
        img = ImageOps.exif_transpose(img)
    mode = _mode(mode)
    if img.format == "JPEG" and mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA):
        # libjpeg's own grayscale output (the luma channel), as torchvision's decoder gives.
        img.draft("L", img.size)
    elif mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA) and img.mode not in ("L", "LA"):
        return _gray(img, mode)
    if mode is ImageReadMode.UNCHANGED:
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode not in ("L", "LA", "RGB", "RGBA", "I;16", "I", "1"):
            img = img.convert("RGB")
        if img.mode == "1":
            img = img.convert("L")
    else:
        img = img.convert(_PIL_MODES[mode])
    arr = np.asarray(img)
    if img.mode in ("I;16", "I"):
        arr = arr.astype(np.uint16 if img.mode == "I;16" else np.int32)
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return ember.from_numpy(np.ascontiguousarray(arr))


def _gray(img, mode):
    # torchvision's decoders weigh R, G and B by 0.2989, 0.587 and 0.114 in float32 and
    # truncate, as its rgb_to_grayscale does (Pillow's convert("L") rounds).
    from ember.vision.transforms._color_ops import _gray_array
    rgba = np.asarray(img.convert("RGBA")).transpose(2, 0, 1)
    gray = _gray_array(rgba[:3])
    out = gray if mode is ImageReadMode.GRAY else np.concatenate([gray, rgba[3:]])
    return ember.from_numpy(np.ascontiguousarray(out))


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode the bytes (a 1-D uint8 tensor, or a path) of a PNG, JPEG, GIF, WEBP... image to
    ``(C, H, W)`` uint8, with ``mode``'s channels."""
    return _decode(input, mode, apply_exif_orientation, "decode_image")


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """:func:`decode_image` of the file at ``path``."""
    return _decode(read_file(path), mode, apply_exif_orientation, "read_image")


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode PNG bytes."""
    return _decode(input, mode, apply_exif_orientation, "decode_png", ["PNG"])


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    """Decode JPEG bytes (or a list of them, giving a list)."""
    if isinstance(input, (list, tuple)):
        return [decode_jpeg(i, mode, device, apply_exif_orientation) for i in input]
    return _decode(input, mode, apply_exif_orientation, "decode_jpeg", ["JPEG"])


def decode_webp(input, mode=ImageReadMode.UNCHANGED):
    """Decode WEBP bytes."""
    return _decode(input, mode, False, "decode_webp", ["WEBP"])


def decode_avif(input, mode=ImageReadMode.UNCHANGED):
    """Decode AVIF bytes (needs a Pillow built with AVIF support, as the PyPI wheels are)."""
    from PIL import features
    require_pil("decode_avif")
    if not features.check("avif"):
        raise RuntimeError("decode_avif: this Pillow was built without AVIF support")
    return _decode(input, mode, False, "decode_avif", ["AVIF"])


def decode_gif(input):
    """Decode a GIF: ``(C, H, W)`` for one frame, ``(N, C, H, W)`` for an animation."""
    image_module = require_pil("decode_gif")
    img = image_module.open(_io.BytesIO(_bytes_of(input, "decode_gif").tobytes()),
                            formats=["GIF"])
    frames = []
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        frames.append(np.asarray(img.convert("RGB")).transpose(2, 0, 1))
    out = frames[0] if len(frames) == 1 else np.stack(frames)
    return ember.from_numpy(np.ascontiguousarray(out))


def _to_pil(input, who):
    image_module = require_pil(who)
    if not isinstance(input, ember.Tensor) or input.dtype != ember.uint8 or input.ndim != 3 or (
            input.shape[0] not in (1, 3)):
        shape = tuple(input.shape) if isinstance(input, ember.Tensor) else type(input).__name__
        raise ValueError(f"{who}: expected a uint8 image tensor (1 or 3, H, W), got {shape}"
                         + (f" of {input.dtype}" if isinstance(input, ember.Tensor) else ""))
    arr = input._data
    return image_module.fromarray(np.ascontiguousarray(arr[0] if arr.shape[0] == 1
                                                       else arr.transpose(1, 2, 0)))


def _encode(img, format, **options):
    buffer = _io.BytesIO()
    img.save(buffer, format=format, **options)
    return ember.from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def encode_png(input, compression_level=6):
    """PNG bytes of a uint8 image ``(C, H, W)`` (C 1 or 3), ``compression_level`` 0 to 9."""
    if not 0 <= compression_level <= 9:
        raise ValueError(f"encode_png: compression_level should be between 0 and 9, got "
                         f"{compression_level}")
    return _encode(_to_pil(input, "encode_png"), "PNG", compress_level=compression_level)


def encode_jpeg(input, quality=75):
    """JPEG bytes of a uint8 image (or a list of images, giving a list), ``quality`` 1 to 100."""
    if isinstance(input, (list, tuple)):
        return [encode_jpeg(i, quality) for i in input]
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, got "
                         f"{quality}")
    return _encode(_to_pil(input, "encode_jpeg"), "JPEG", quality=quality)


def write_png(input, filename, compression_level=6):
    """Write a uint8 image to ``filename`` as PNG."""
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input, filename, quality=75):
    """Write a uint8 image to ``filename`` as JPEG."""
    write_file(filename, encode_jpeg(input, quality))
