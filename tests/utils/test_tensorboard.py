"""SummaryWriter against torch.utils.tensorboard.SummaryWriter: both write the same calls, and TensorBoard's
own EventAccumulator reads back the same scalars, histograms, images (decoded), text and hparams."""
import io
import os
import re
import socket

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import ember
from ember.utils.tensorboard import SummaryWriter

RNG = np.random.default_rng(0)
IMG_CHW = RNG.random((3, 12, 20)).astype(np.float32)
IMG_HWC_U8 = (RNG.random((9, 7, 3)) * 255).astype(np.uint8)
BATCH = RNG.random((5, 3, 6, 4)).astype(np.float32)
GRAY_HW = RNG.random((8, 5)).astype(np.float32)
VALUES = RNG.standard_normal(2000)


def _write(writer_cls, lib, log_dir):
    with writer_cls(log_dir) as w:
        for step in range(4):
            w.add_scalar("train/loss", lib.tensor(1.0 / (step + 1)), step)
            w.add_scalars("curves", {"sin": float(np.sin(step)), "cos": float(np.cos(step))}, step)
        w.add_scalar("plain", 3, 7)
        w.add_histogram("weights", lib.tensor(VALUES), 1)
        w.add_histogram("numpy_bins", VALUES, 2, bins="auto")
        w.add_histogram("merged", VALUES * 3, 3, bins=50, max_bins=7)
        w.add_image("chw", lib.tensor(IMG_CHW), 0)
        w.add_image("hwc_uint8", IMG_HWC_U8, 1, dataformats="HWC")
        w.add_image("gray_hw", GRAY_HW, 2, dataformats="HW")
        w.add_images("grid", lib.tensor(BATCH), 3)
        w.add_text("notes", "lr = **0.1**", 5)
        w.add_hparams({"lr": 0.1, "optimizer": "sgd", "bn": True, "depth": lib.tensor([3])},
                      {"hparam/accuracy": 0.75}, run_name="trial")
        if lib is ember:
            w.add_graph(None)  # a documented no-op in ember


def _load(path):
    acc = EventAccumulator(path, size_guidance={"images": 0, "histograms": 0, "tensors": 0, "scalars": 0})
    acc.Reload()
    return acc


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    ours, theirs = tmp_path_factory.mktemp("ember"), tmp_path_factory.mktemp("torch")
    _write(SummaryWriter, ember, str(ours))
    _write(TorchWriter, torch, str(theirs))
    return str(ours), str(theirs)


def test_same_runs_and_tags(written):
    ours, theirs = written
    runs = [sorted(n for n in os.listdir(d) if os.path.isdir(os.path.join(d, n))) for d in written]
    assert runs[0] == runs[1] == ["curves_cos", "curves_sin", "trial"]  # the add_scalars and hparams runs
    a, b = _load(ours).Tags(), _load(theirs).Tags()
    for kind in ("scalars", "histograms", "images", "tensors"):
        assert sorted(a[kind]) == sorted(b[kind]), kind


def test_scalars_and_add_scalars_runs(written):
    ours, theirs = written
    for run in ("", "curves_sin", "curves_cos"):
        a, b = _load(os.path.join(ours, run)), _load(os.path.join(theirs, run))
        for tag in b.Tags()["scalars"]:
            assert [(e.step, e.value) for e in a.Scalars(tag)] == [(e.step, e.value) for e in b.Scalars(tag)]
    assert _load(os.path.join(ours, "curves_sin")).Tags()["scalars"] == ["curves"]


def test_histograms(written):
    a, b = _load(written[0]), _load(written[1])
    for tag in ("weights", "numpy_bins", "merged"):
        ha, hb = a.Histograms(tag)[0], b.Histograms(tag)[0]
        assert ha.step == hb.step
        va, vb = ha.histogram_value, hb.histogram_value
        assert (va.min, va.max, va.num) == (vb.min, vb.max, vb.num)
        assert va.sum == pytest.approx(vb.sum) and va.sum_squares == pytest.approx(vb.sum_squares)
        assert sum(va.bucket) == sum(vb.bucket) == len(VALUES)
        assert list(va.bucket) == list(vb.bucket)
        assert list(va.bucket_limit) == list(vb.bucket_limit)


def _pixels(event):
    return np.asarray(Image.open(io.BytesIO(event.encoded_image_string)))


@pytest.mark.parametrize("tag, shape", [("chw", (12, 20)), ("hwc_uint8", (9, 7)), ("gray_hw", (8, 5)),
                                        ("grid", (6, 20))])
def test_images_decode_to_the_same_pixels(written, tag, shape):
    ea, eb = _load(written[0]).Images(tag)[0], _load(written[1]).Images(tag)[0]
    assert (ea.height, ea.width) == (eb.height, eb.width) == shape
    pa, pb = _pixels(ea), _pixels(eb)
    assert pa.shape[:2] == shape
    if pa.ndim != pb.ndim:  # a gray image: torch writes it as RGB with three equal channels
        pa = np.repeat(pa[..., None], 3, axis=2) if pa.ndim == 2 else pa
        pb = np.repeat(pb[..., None], 3, axis=2) if pb.ndim == 2 else pb
    np.testing.assert_array_equal(pa, pb)


def test_text(written):
    a, b = _load(written[0]), _load(written[1])
    ta, tb = a.Tensors("notes/text_summary")[0], b.Tensors("notes/text_summary")[0]
    assert ta.step == tb.step == 5
    assert list(ta.tensor_proto.string_val) == list(tb.tensor_proto.string_val) == [b"lr = **0.1**"]
    assert a.PluginTagToContent("text").keys() == b.PluginTagToContent("text").keys()


def _hparams(path):
    content = _load(path).PluginTagToContent("hparams")
    return {tag: plugin_data_pb2.HParamsPluginData.FromString(v) for tag, v in content.items()}


def test_hparams_read_by_the_plugin_protos(written):
    ours, theirs = _hparams(os.path.join(written[0], "trial")), _hparams(os.path.join(written[1], "trial"))
    assert ours.keys() == theirs.keys() == {"_hparams_/experiment", "_hparams_/session_start_info",
                                            "_hparams_/session_end_info"}
    start_a = ours["_hparams_/session_start_info"].session_start_info.hparams
    start_b = theirs["_hparams_/session_start_info"].session_start_info.hparams
    assert dict(start_a) == dict(start_b)
    assert start_a["optimizer"].string_value == "sgd" and start_a["bn"].number_value == 1
    assert start_a["lr"].number_value == 0.1 and start_a["depth"].number_value == 3
    exp_a, exp_b = ours["_hparams_/experiment"].experiment, theirs["_hparams_/experiment"].experiment
    assert sorted((h.name, h.type) for h in exp_a.hparam_infos) == sorted((h.name, h.type) for h in exp_b.hparam_infos)
    assert [m.name.tag for m in exp_a.metric_infos] == [m.name.tag for m in exp_b.metric_infos]
    assert ours["_hparams_/session_end_info"] == theirs["_hparams_/session_end_info"]
    scalars = _load(os.path.join(written[0], "trial")).Scalars("hparam/accuracy")
    assert [e.value for e in scalars] == [0.75]


def test_discrete_domains_as_torch(tmp_path):
    kwargs = dict(hparam_dict={"opt": "adam", "lr": 0.01}, metric_dict={"m": 1.0},
                  hparam_domain_discrete={"opt": ["adam", "sgd"], "lr": [0.01, 0.1]}, run_name="r")
    for cls, sub in ((SummaryWriter, "e"), (TorchWriter, "t")):
        with cls(str(tmp_path / sub)) as w:
            w.add_hparams(**kwargs)
    ea = _hparams(str(tmp_path / "e" / "r"))["_hparams_/experiment"].experiment
    eb = _hparams(str(tmp_path / "t" / "r"))["_hparams_/experiment"].experiment
    key = lambda e: sorted((h.name, str(h.domain_discrete)) for h in e.hparam_infos)  # noqa: E731
    assert key(ea) == key(eb)


def test_purge_step_discards_the_old_run_after_it(tmp_path):
    log_dir = str(tmp_path)
    with SummaryWriter(log_dir) as w:
        for step in range(10):
            w.add_scalar("loss", float(step), step)
    with SummaryWriter(log_dir, purge_step=5) as w:
        for step in range(5, 8):
            w.add_scalar("loss", 100.0 + step, step)
    events = _load(log_dir).Scalars("loss")
    assert [(e.step, e.value) for e in events] == [(s, float(s)) for s in range(5)] + \
        [(s, 100.0 + s) for s in range(5, 8)]


def test_default_log_dir_flush_and_reopen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()) + "_lr0.1",
                        w.get_logdir())
    w.add_scalar("x", 1.0, 0)
    w.flush()
    assert [e.value for e in _load(w.get_logdir()).Scalars("x")] == [1.0]
    w.close()
    w.add_scalar("x", 2.0, 1)  # after close, a new event file in the same directory, as torch
    w.close()
    assert [e.value for e in _load(w.get_logdir()).Scalars("x")] == [1.0, 2.0]


def test_add_figure_with_matplotlib(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(2, 1.5), dpi=50)
    plt.plot([0, 1], [1, 0])
    with SummaryWriter(str(tmp_path)) as w:
        w.add_figure("fig", fig, 0)
        w.add_figure("figs", [plt.figure(figsize=(1, 1), dpi=40) for _ in range(3)], 1)
    acc = _load(str(tmp_path))
    one, many = acc.Images("fig")[0], acc.Images("figs")[0]
    assert (one.width, one.height) == (100, 75) and _pixels(one).shape == (75, 100, 3)
    assert (many.width, many.height) == (120, 40)


def test_bad_images_are_refused_with_the_shape():
    with pytest.raises(ValueError, match="dataformats 'CHW' does not fit an image of shape \\(4, 4\\)"):
        SummaryWriter.__new__(SummaryWriter).add_image("x", np.zeros((4, 4)))
