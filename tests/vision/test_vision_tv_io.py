"""ember.vision.io against torchvision 0.29's decoders: the PNG files (written by Pillow) and the
JPEG file (written by torchvision's encode_jpeg) recorded in torchvision_transforms.npz, decoded
in each read mode, give torchvision's pixels."""
import numpy as np
import pytest

import ember
from ember.vision import io
from tests.vision.test_vision_tv_functional import ARRAYS, RECORDED

# torchvision 0.29's PNG decoder returns a one-channel buffer of unrelated bytes for a palette
# image read UNCHANGED, and shuffles its channels read as RGB_ALPHA; ember returns the image.
TV_BUGS = {"decoded:png:palette:UNCHANGED", "decoded:png:palette:RGB_ALPHA"}
DECODED = sorted(k for k in RECORDED if k.startswith("decoded:") and k not in TV_BUGS)


@pytest.mark.parametrize("key", DECODED)
def test_decode_image_matches_torchvision(key):
    _, kind, name, mode = key.split(":")
    data = ember.from_numpy(RECORDED[f"{kind}:{name}"].copy())
    out = io.decode_image(data, mode=mode)
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), RECORDED[key])
    decoder = io.decode_png if kind == "png" else io.decode_jpeg
    np.testing.assert_array_equal(decoder(data, mode=io.ImageReadMode[mode]).numpy(),
                                  RECORDED[key])


def test_palette_images_decode_to_their_colours():
    from PIL import Image
    data = RECORDED["png:palette"]
    want = np.asarray(Image.open(__import__("io").BytesIO(data.tobytes())).convert("RGB"))
    out = io.decode_image(ember.from_numpy(data.copy()))
    np.testing.assert_array_equal(out.numpy(), want.transpose(2, 0, 1))


def test_files_round_trip(tmp_path):
    img = ember.from_numpy(ARRAYS["u8"].copy())
    path = str(tmp_path / "a.png")
    io.write_png(img, path, compression_level=9)
    np.testing.assert_array_equal(io.read_image(path).numpy(), ARRAYS["u8"])
    np.testing.assert_array_equal(io.read_image(path, io.ImageReadMode.GRAY).numpy(),
                                  RECORDED["decoded:png:rgb:GRAY"])
    raw = io.read_file(path)
    assert raw.dtype == ember.uint8 and raw.ndim == 1 and bytes(raw.numpy()[:4]) == b"\x89PNG"
    io.write_file(str(tmp_path / "b.png"), raw)
    assert (tmp_path / "b.png").read_bytes() == (tmp_path / "a.png").read_bytes()
    np.testing.assert_array_equal(io.decode_png(io.encode_png(img)).numpy(), ARRAYS["u8"])
    gray = ember.from_numpy(ARRAYS["g8"].copy())
    np.testing.assert_array_equal(io.decode_image(io.encode_png(gray)).numpy(), ARRAYS["g8"])
    smooth = np.broadcast_to((np.arange(16) * 12 + 30).astype(np.uint8), (3, 16, 16)).copy()
    jpeg_path = str(tmp_path / "c.jpg")
    io.write_jpeg(ember.from_numpy(smooth), jpeg_path, quality=95)
    back = io.read_image(jpeg_path).numpy().astype(int)
    assert back.shape == (3, 16, 16) and np.abs(back - smooth).max() <= 4  # lossy, but close
    assert len(io.encode_jpeg([img, img])) == 2


def test_io_errors():
    with pytest.raises(ValueError, match="uint8 image tensor"):
        io.encode_png(ember.zeros(3, 2, 2))
    with pytest.raises(ValueError, match="between 0 and 9"):
        io.encode_png(ember.zeros(3, 2, 2, dtype=ember.uint8), compression_level=10)
    with pytest.raises(ValueError, match="between 1 and 100"):
        io.encode_jpeg(ember.zeros(3, 2, 2, dtype=ember.uint8), quality=0)
    with pytest.raises(ValueError, match="1-D uint8 tensor of bytes"):
        io.decode_image(ember.zeros(2, 2, dtype=ember.uint8))


def test_decode_avif_and_webp_round_trip(tmp_path):
    from PIL import Image
    smooth = np.broadcast_to((np.arange(16) * 12 + 30).astype(np.uint8)[None, :, None],
                             (16, 16, 3)).copy()
    for fmt, decoder in (("AVIF", io.decode_avif), ("WEBP", io.decode_webp)):
        path = tmp_path / f"x.{fmt.lower()}"
        Image.fromarray(smooth).save(path, format=fmt, quality=95)
        out = decoder(io.read_file(str(path))).numpy().astype(int)
        assert out.shape == (3, 16, 16) and np.abs(out - smooth.transpose(2, 0, 1)).max() <= 6
        np.testing.assert_array_equal(io.decode_image(io.read_file(str(path))).numpy(),
                                      out)  # decode_image detects the format
