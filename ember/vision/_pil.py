"""Pillow is optional: these helpers import it lazily and say how to get it when missing."""

INSTALL_HINT = 'pip install "ember[vision]"'


def pil_image_module():
    """``PIL.Image``, or None when Pillow is not installed."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def require_pil(what):
    """``PIL.Image``, or an ImportError saying ``what`` needs Pillow and how to install it."""
    image = pil_image_module()
    if image is None:
        raise ImportError(f"{what} needs Pillow, which is not installed; install it with "
                          f"{INSTALL_HINT} (or pip install pillow)")
    return image


def is_pil_image(obj):
    image = pil_image_module()
    return image is not None and isinstance(obj, image.Image)
