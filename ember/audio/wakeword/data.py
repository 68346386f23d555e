"""The bundled wake-word sample and the clips, noise and long recordings made from it.

``load_sample()`` reads ``ember/audio/_data/wakeword/wakeword.npz`` (built by
``python -m ember.audio.build_wakeword``; see its README), checks its sha256 against ``SHA256SUMS``
and decodes the mu-law utterances to float32 at 16 kHz. From those:

- ``make_clips(sample, split, rng)``: one-second training or test clips with labels
  ``0 = "ember"`` (the wake word), ``1 = other speech``, ``2 = background only``. Each utterance is placed at
  a random offset (sentences: a random one-second stretch), scaled to a random level and mixed with
  synthesized noise at a random signal-to-noise ratio.
- ``noise(kind, n, rng)``: white, pink (1/f power), brown (1/f^2) noise or mains hum (50 or 60 Hz with
  harmonics), unit RMS.
- ``make_stream(sample, seconds, rng, wake_every=None)``: a long recording of the test split's speech with
  gaps over continuous background noise; with ``wake_every`` (seconds) it has wake words inserted at known
  times, returned with the stream.
- ``stream_clips(sample, n, rng)``: one-second windows cut from such recordings of the training split,
  labelled by what they hold, so that training also sees words next to words as the detector will.

>>> from ember.audio.wakeword import data
>>> s = data.load_sample()
>>> x, y = data.make_clips(s, "test", __import__("numpy").random.default_rng(0))
>>> x.shape[1], sorted(set(y.tolist()))
(16000, [0, 1, 2])
"""
import hashlib
import os

import numpy as np

from ..build_wakeword import NEAR_WORDS

__all__ = ["SAMPLE_DIR", "LABELS", "load_sample", "noise", "make_clips", "make_stream", "stream_clips"]

SAMPLE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_data", "wakeword")
LABELS = ("ember", "speech", "background")
SAMPLE_RATE = 16000
NOISES = ("white", "pink", "brown", "hum")


def _verify(directory):
    sums = os.path.join(directory, "SHA256SUMS")
    path = os.path.join(directory, "wakeword.npz")
    with open(sums, encoding="utf-8") as f:
        expected = dict(reversed(line.split()) for line in f if line.strip())
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if expected.get("wakeword.npz") != digest:
        raise RuntimeError(f"ember.audio.wakeword: {path} has sha256 {digest}, but SHA256SUMS says "
                           f"{expected.get('wakeword.npz')}: the file is damaged or was replaced; reinstall ember "
                           f"or rebuild it with python -m ember.audio.build_wakeword --out {directory}")
    return path


def load_sample(directory=None):
    """The utterances of the sample: a dict with ``audio`` (list of float32 arrays at 16 kHz), ``kind``
    (0 wake word, 1 other word, 2 sentence), ``split`` (0 train, 1 test), ``text``, ``voice``, ``speed``,
    ``pitch`` (arrays)."""
    from ..functional import mu_law_decoding
    path = _verify(directory or SAMPLE_DIR)
    with np.load(path, allow_pickle=False) as z:
        fields = {k: z[k] for k in z.files}
    wave = mu_law_decoding(fields.pop("audio"), 256).numpy()
    offsets = fields.pop("offsets")
    fields["audio"] = [wave[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    fields["sample_rate"] = int(fields["sample_rate"])
    return fields


def noise(kind, n, rng):
    """``n`` samples of unit-RMS noise of ``kind`` ('white', 'pink', 'brown', 'hum')."""
    if kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        base = rng.choice([50.0, 60.0])
        x = sum(rng.uniform(0.2, 1.0) / h * np.sin(2 * np.pi * base * h * t + rng.uniform(0, 2 * np.pi))
                for h in range(1, 6))
        x = x + 0.05 * rng.standard_normal(n)
    else:
        white = rng.standard_normal(n)
        if kind == "white":
            x = white
        else:
            # shape white noise's spectrum: power ~ 1/f (pink) or 1/f^2 (brown)
            spec = np.fft.rfft(white)
            f = np.maximum(np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE), 20.0)
            spec /= np.sqrt(f) if kind == "pink" else f
            x = np.fft.irfft(spec, n)
    return (x / (np.sqrt(np.mean(x ** 2)) + 1e-12)).astype(np.float32)


class _NoiseBank:
    """Long noise recordings of every kind, drawn once; clips take random stretches of them (much cheaper
    than a new spectrum-shaped noise for every clip)."""

    def __init__(self, rng, seconds=30):
        self.waves = [noise(kind, seconds * SAMPLE_RATE, rng) for kind in NOISES]

    def draw(self, n, rng):
        wave = self.waves[rng.integers(len(self.waves))]
        start = rng.integers(0, len(wave) - n + 1)
        return wave[start:start + n]


def _perturb_speed(utt, rng):
    """Speed perturbation: the utterance resampled to a rate 0.85-1.15 times 16 kHz and played at 16 kHz,
    which scales its duration, pitch and formants together (a new speaker, roughly). Rates are multiples of
    400 Hz, so that the resampling kernels stay small."""
    import ember
    from ..functional import resample
    new = int(400 * rng.integers(34, 47))                     # 13.6 to 18.4 kHz
    if new == SAMPLE_RATE:
        return utt
    return resample(ember.from_numpy(utt[None]), SAMPLE_RATE, new)[0].numpy()


def _place(utt, rng, length=SAMPLE_RATE):
    """The utterance somewhere in a ``length`` canvas (a random stretch of it if it is longer)."""
    canvas = np.zeros(length, np.float32)
    if len(utt) >= length:
        start = rng.integers(0, len(utt) - length + 1)
        return utt[start:start + length].copy()
    start = rng.integers(0, length - len(utt) + 1)
    canvas[start:start + len(utt)] = utt
    return canvas


def _with_context(canvas, others, rng):
    """Add a stretch of another utterance before or after the one in ``canvas`` (where there is room), cut
    at the edge of the second, as a neighbouring word in running speech would be."""
    nz = np.nonzero(canvas)[0]
    if not len(nz) or not others:
        return canvas
    first, last = nz[0], nz[-1]
    other = others[rng.integers(len(others))] * rng.uniform(0.3, 1.0)
    gap = int(rng.uniform(0.05, 0.3) * SAMPLE_RATE)
    out = canvas.copy()
    if rng.random() < 0.5 and first - gap > 0:                  # the end of a word before it
        piece = other[-(first - gap):]
        out[first - gap - len(piece):first - gap] += piece
    elif last + gap < len(canvas):                              # the start of a word after it
        piece = other[:len(canvas) - last - gap]
        out[last + gap:last + gap + len(piece)] += piece
    return out


def _mix(speech, rng, bank, snr_db=(0.0, 30.0), level_db=(-30.0, -6.0)):
    """Speech at a random peak level plus noise of a random kind at a random SNR (or, for a silent clip,
    noise alone at a random level)."""
    n = len(speech)
    rms = np.sqrt(np.mean(speech ** 2))
    noise_wave = bank.draw(n, rng)
    if rms > 0:
        speech = speech * (10 ** (rng.uniform(*level_db) / 20) / np.abs(speech).max())
        snr = rng.uniform(*snr_db)
        noise_wave = noise_wave * (np.sqrt(np.mean(speech ** 2)) / 10 ** (snr / 20))
    else:
        noise_wave = noise_wave * 10 ** (rng.uniform(-60.0, -20.0) / 20)
    return np.clip(speech + noise_wave, -1.0, 1.0).astype(np.float32)


def make_clips(sample, split, rng, background=None, context=0.5, near_repeats=1, speed_perturb=0.0):
    """One-second clips of ``split`` ('train' or 'test'): ``(waveforms (N, 16000) float32, labels (N,))``.

    Every wake word and every other word of the split gives one clip, each sentence two per second of
    it (random stretches), and ``background`` clips (default: a quarter of the speech clips) are noise alone.
    With probability ``context`` a word clip also holds the cut-off end of a word before it or the start of
    one after it, as in running speech. Near rhymes of "ember" give ``near_repeats`` clips each (training
    uses 2: they are the words a detector confuses). With probability ``speed_perturb`` (training: 0.5)
    an utterance is first sped up or slowed down by up to 15%, pitch and formants with it."""
    want = {"train": 0, "test": 1}[split]
    bank = _NoiseBank(rng)
    others = [u for u, k, s in zip(sample["audio"], sample["kind"], sample["split"]) if s == want and k != 0]
    clips, labels = [], []
    for utt, kind, s, text in zip(sample["audio"], sample["kind"], sample["split"], sample["text"]):
        if s != want:
            continue
        repeats = max(2, 2 * len(utt) // SAMPLE_RATE) if kind == 2 else (near_repeats if text in NEAR_WORDS else 1)
        for _ in range(repeats):
            canvas = _place(_perturb_speed(utt, rng) if rng.random() < speed_perturb else utt, rng)
            if kind != 2 and rng.random() < context:
                canvas = _with_context(canvas, others, rng)
            clips.append(_mix(canvas, rng, bank))
            labels.append(0 if kind == 0 else 1)
    n_bg = len(clips) // 4 if background is None else background
    for _ in range(n_bg):
        clips.append(_mix(np.zeros(SAMPLE_RATE, np.float32), rng, bank))
        labels.append(2)
    return np.stack(clips), np.array(labels, np.int64)


def _stream(sample, seconds, rng, wake_every, split, near_rhymes=True):
    """The recording of :func:`make_stream` and its events ``(start, end, is_wake, text)``, in samples."""
    want = {"train": 0, "test": 1}[split]
    rows = list(zip(sample["audio"], sample["kind"], sample["split"], sample["text"]))
    negatives = [(u, t) for u, k, s, t in rows if s == want and k != 0 and (near_rhymes or t not in NEAR_WORDS)]
    wakes = [(u, t) for u, k, s, t in rows if s == want and k == 0]
    total = int(seconds * SAMPLE_RATE)
    out = np.zeros(total, np.float32)
    bank = _NoiseBank(rng)
    # background: segments of 2-8 s, each its own noise kind and level
    pos = 0
    while pos < total:
        n = min(int(rng.uniform(2, 8) * SAMPLE_RATE), total - pos)
        out[pos:pos + n] += bank.draw(n, rng) * 10 ** (rng.uniform(-60.0, -40.0) / 20)
        pos += n
    events = []
    pos = int(rng.uniform(0.5, 1.5) * SAMPLE_RATE)
    next_wake = wake_every * rng.uniform(0.5, 1.0) if wake_every else None
    while True:
        is_wake = next_wake is not None and pos / SAMPLE_RATE >= next_wake
        utt, text = wakes[rng.integers(len(wakes))] if is_wake else negatives[rng.integers(len(negatives))]
        if pos + len(utt) + SAMPLE_RATE // 2 > total:
            break
        out[pos:pos + len(utt)] += utt * (10 ** (rng.uniform(-24.0, -6.0) / 20) / np.abs(utt).max())
        events.append((pos, pos + len(utt), is_wake, str(text)))
        if is_wake:
            next_wake = pos / SAMPLE_RATE + wake_every * rng.uniform(0.7, 1.3)
        pos += len(utt) + int(rng.uniform(0.3, 2.0) * SAMPLE_RATE)
    return np.clip(out, -1.0, 1.0), events


def make_stream(sample, seconds, rng, wake_every=None, split="test", near_rhymes=True):
    """A long recording: ``(waveform float32 (seconds * 16000,), wake word centre times in seconds)``.

    The split's other words and sentences follow each other in random order with gaps of 0.3-2 s, at
    random peak levels (-24 to -6 dB), over continuous background noise (a new kind and level, -60 to -40 dB
    RMS, every 2-8 s: the words are about 4 to 40 dB above the noise); with
    ``wake_every``, a wake word of the split is put in about every ``wake_every`` seconds instead of the
    next negative, and its centre time is recorded. About half of the other words are near rhymes of
    "ember" ("amber", "member", "timber" ...): ``near_rhymes=False`` leaves them out (common words and
    sentences only)."""
    wave, events = _stream(sample, seconds, rng, wake_every, split, near_rhymes)
    return wave, np.array([(a + b) / 2 / SAMPLE_RATE for a, b, w, _ in events if w])


def stream_clips(sample, n, rng, seconds=120, wake_every=3.0, split="train"):
    """``n`` one-second windows cut at random from recordings like :func:`make_stream`'s, labelled as the
    detector will meet them: 0 if a wake word lies wholly inside, 1 if any other speech is heard, 2 for
    background only. Windows that hold only part of a wake word are not used (neither answer is right)."""
    clips, labels = [], []
    while len(clips) < n:
        wave, events = _stream(sample, seconds, rng, wake_every, split)
        for _ in range(n // 4):
            a = int(rng.integers(0, len(wave) - SAMPLE_RATE))
            b = a + SAMPLE_RATE
            inside = [(s, e, w) for s, e, w, _ in events if s < b and e > a]
            if any(w and not (s >= a and e <= b) for s, e, w in inside):
                continue
            label = 0 if any(w for _, _, w in inside) else (1 if inside else 2)
            clips.append(wave[a:b])
            labels.append(label)
            if len(clips) == n:
                break
    return np.stack(clips), np.array(labels, np.int64)
