"""Train the keyword spotter on the bundled sample and measure it: test accuracy on new voices, and
streaming detection (hits within 0.5 s and false alarms per hour) over long synthesized recordings.

Recipe: ``copies`` (4) sets of one-second training clips are drawn once (each utterance at a random
offset, level, noise kind and SNR every time, near rhymes twice, half the utterances sped up or slowed
down by up to 15%: ``data.make_clips``), with ``stream_windows`` (300) windows cut from long
training-split recordings (``data.stream_clips``), and their log-mel features computed; epoch ``e``
trains on set ``e % copies``, masking one stretch of time and one of frequency per clip (SpecAugment:
``TimeMasking(10, iid_masks=True)``, ``FrequencyMasking(6, iid_masks=True)``), with Adam (lr
cosine-annealed to 0) on the cross-entropy. The test clips are drawn once, with their own seed, from the test split's speakers.

>>> from ember.audio.wakeword.train import train
>>> model, report = train(epochs=0, verbose=False, stream_seconds=0)
>>> sorted(report)[:2]
['epochs', 'seconds']
"""
import time

import numpy as np

__all__ = ["train", "evaluate_clips", "evaluate_stream"]


def _features(model, waves, batch_size=512):
    import ember
    out = []
    with ember.no_grad():
        for i in range(0, len(waves), batch_size):
            out.append(model.features(ember.from_numpy(waves[i:i + batch_size])).numpy())
    return np.concatenate(out)


def evaluate_clips(model, waves, labels):
    """Accuracy and the wake word's precision/recall on one-second clips."""
    import ember
    model.eval()
    feats = _features(model, waves)
    with ember.no_grad():
        pred = np.concatenate([model.classify(ember.from_numpy(feats[i:i + 512])).argmax(1).numpy()
                               for i in range(0, len(feats), 512)])
    wake_pred, wake_true = pred == 0, labels == 0
    return {"accuracy": float((pred == labels).mean()),
            "wake_recall": float((wake_pred & wake_true).sum() / max(wake_true.sum(), 1)),
            "wake_precision": float((wake_pred & wake_true).sum() / max(wake_pred.sum(), 1)), "n": int(len(labels))}


def evaluate_stream(model, sample, seconds, seed, wake_every=None, threshold=0.8, near_rhymes=True):
    """Detections over a ``seconds``-long test-split recording: hits, misses, false alarms, false alarms
    per hour."""
    from .data import make_stream
    from .detect import posteriors, detect, score
    stream, truth = make_stream(sample, seconds, np.random.default_rng(seed), wake_every=wake_every,
                                near_rhymes=near_rhymes)
    times, probs = posteriors(model, stream)
    result = score(detect(times, probs, threshold=threshold), truth)
    result["seconds"] = seconds
    result["false_alarms_per_hour"] = result["false_alarms"] * 3600.0 / seconds
    return result


def train(epochs=12, batch_size=64, lr=3e-3, seed=0, verbose=True, stream_seconds=600, sample=None, copies=4,
          stream_windows=300, near_repeats=2, speed_perturb=0.5):
    """Train a KeywordSpotter; returns ``(model, report)`` with the test metrics.

    ``stream_seconds``: length of the two recordings without the wake word for false alarms per hour (one
    with the near rhymes of "ember", one with common words only); a recording a fifth as long with a wake
    word every 8 s counts hits; 0 skips them."""
    import ember
    from ember import nn, optim
    from . import data
    from .model import KeywordSpotter
    from ..transforms import FrequencyMasking, TimeMasking
    ember.manual_seed(seed)
    rng = np.random.default_rng(seed)
    sample = sample or data.load_sample()
    test_x, test_y = data.make_clips(sample, "test", np.random.default_rng(seed + 1000))
    model = KeywordSpotter()
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    time_mask, freq_mask = TimeMasking(10, iid_masks=True), FrequencyMasking(6, iid_masks=True)
    start = time.perf_counter()
    pool = []
    for _ in range(min(copies, epochs)):
        x, y = data.make_clips(sample, "train", rng, near_repeats=near_repeats, speed_perturb=speed_perturb)
        sx, sy = data.stream_clips(sample, stream_windows, rng)
        x, y = np.concatenate([x, sx]), np.concatenate([y, sy])
        pool.append((_features(model, x), y))
    for epoch in range(epochs):
        feats, y = pool[epoch % len(pool)]
        order = rng.permutation(len(y))
        model.train()
        total = 0.0
        for s in range(0, len(y), batch_size):
            idx = order[s:s + batch_size]
            fb = ember.from_numpy(feats[idx])[:, None]                    # (B, 1, 40, frames) for the masks
            fill = float(fb.mean())
            fb = time_mask(freq_mask(fb, fill), fill)[:, 0]
            loss = nn.functional.cross_entropy(model.classify(fb), ember.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if verbose:
            acc = evaluate_clips(model, test_x, test_y)["accuracy"]
            print(f"epoch {epoch + 1}/{epochs}: loss {total / len(y):.4f}, test accuracy {acc * 100:.2f}% "
                  f"({time.perf_counter() - start:.1f}s)")
    report = {"epochs": epochs, "seconds": time.perf_counter() - start,
              "test": evaluate_clips(model, test_x, test_y), "train_clips_per_epoch": None}
    if epochs:
        report["train_clips_per_epoch"] = int(len(y))
    if stream_seconds:
        report["negative_stream"] = evaluate_stream(model, sample, stream_seconds, seed + 2000)
        report["common_stream"] = evaluate_stream(model, sample, stream_seconds, seed + 4000, near_rhymes=False)
        report["wake_stream"] = evaluate_stream(model, sample, stream_seconds / 5, seed + 3000, wake_every=8.0)
    return model, report
