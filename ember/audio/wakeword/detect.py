"""Streaming wake-word detection over a long recording, and its scoring.

``posteriors`` slides a one-second window over the recording every ``hop`` seconds (0.1 s) and
gives the model's probability of the wake word in each; the features are computed once for the
whole recording and windowed, which gives exactly the features of each window on its own (the front
end does not pad). ``detect`` smooths those probabilities with a moving average over ``smooth``
windows and reports a detection where the smoothed curve rises above ``threshold``, at the middle of the
stretch of windows above it (every window that holds the word scores high, and the word is in the middle
of them); a stretch that starts within ``refractory`` seconds of the last detection is not reported
again. Times are those of the window centres.

``score`` matches detections to the true wake-word times: a detection within ``tolerance`` (0.5 s)
of a not yet matched true time is a hit, any other is a false alarm.

>>> import numpy as np
>>> score(np.array([1.1, 5.0, 9.0]), np.array([1.0, 9.4]))
{'hits': 2, 'misses': 0, 'false_alarms': 1}
"""
import numpy as np

__all__ = ["posteriors", "detect", "score"]


def posteriors(model, waveform, hop=0.1, batch_size=512):
    """``(times, p)``: window centre times (s) and the wake-word probability of each one-second window
    of ``waveform`` (1-D float array at the model's rate), one every ``hop`` seconds."""
    import ember
    rate = model.sample_rate
    step = int(round(hop * rate))
    frame_hop = model.melspec.hop_length
    if step % frame_hop:
        raise ValueError(f"detect: hop must be a multiple of the feature hop ({frame_hop / rate} s), got {hop}")
    x = np.asarray(waveform, np.float32).reshape(-1)
    if len(x) < rate:
        raise ValueError(f"detect: the recording must be at least one second ({rate} samples), got {len(x)}")
    model.eval()
    n = 1 + (len(x) - rate) // step
    width, stride = model.frames_per_window, step // frame_hop
    probs = []
    with ember.no_grad():
        feats = model.features(ember.from_numpy(x[None]))[0].numpy()        # (40, frames) of the whole stream
        for s in range(0, n, batch_size):
            idx = np.arange(s, min(s + batch_size, n))
            windows = np.stack([feats[:, i * stride:i * stride + width] for i in idx])
            logits = model.classify(ember.from_numpy(windows))
            probs.append(ember.softmax(logits, dim=1)[:, 0].numpy())
    times = (np.arange(n) * step + rate / 2) / rate
    return times, np.concatenate(probs)


def detect(times, probs, threshold=0.8, smooth=3, refractory=1.0):
    """Detection times (s) from window probabilities; see the module docstring."""
    p = np.convolve(probs, np.ones(smooth) / smooth, mode="same") if smooth > 1 else np.asarray(probs)
    found, i, n = [], 0, len(p)
    quiet_until = -np.inf
    while i < n:
        if p[i] > threshold:
            j = i
            while j + 1 < n and p[j + 1] > threshold:
                j += 1
            if times[i] < quiet_until:
                quiet_until = times[j] + refractory
                i = j + 1
                continue
            found.append(float((times[i] + times[j]) / 2))
            quiet_until = times[j] + refractory
            i = j + 1
        else:
            i += 1
    return np.array(found)


def score(detections, truth, tolerance=0.5):
    """Hits, misses and false alarms of ``detections`` against true wake-word times (greedy matching)."""
    truth = list(np.asarray(truth, float))
    used = [False] * len(truth)
    hits = false_alarms = 0
    for d in np.asarray(detections, float):
        best = None
        for k, t in enumerate(truth):
            if not used[k] and abs(d - t) <= tolerance and (best is None or abs(d - t) < abs(d - truth[best])):
                best = k
        if best is None:
            false_alarms += 1
        else:
            used[best] = True
            hits += 1
    return {"hits": hits, "misses": len(truth) - hits, "false_alarms": false_alarms}
