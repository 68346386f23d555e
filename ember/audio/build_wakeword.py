"""Build the wake-word data set with espeak-ng: ``python -m ember.audio.build_wakeword --out DIR``.

Every utterance is spoken by espeak-ng (``apt-get install espeak-ng``), a formant synthesizer that runs
offline, with a random voice (7 English accents x 15 speaker variants), speed (120-220 words per minute)
and pitch (20-80 of 99). espeak-ng writes 22,050 Hz WAV; the builder reads it with
``ember.audio.load``, resamples it to 16 kHz with ``ember.audio.functional.resample`` (windowed sinc),
trims the silence around the speech (keeping 40 ms), peak-normalises to 0.9 and stores it as 8-bit mu-law.

What is spoken:

- the wake word ``"ember"``;
- other words: near rhymes that a detector must not take for it ("amber", "member", "timber", "embark",
  "emblem" ...) and common words (words that contain the whole sound of "ember", such as "December" or
  "remember", are left out: a detector may rightly fire on them);
- short sentences (running speech, some with the near rhymes in them): negatives for the long stream.

The split is by speaker: the test split has its own speaker variants (``TEST_VARIANTS``), never heard
in training, so test accuracy measures new voices. Background noise is not stored: ember.audio.wakeword
synthesizes it (white, pink, brown noise and mains hum) from a seed when it loads the data.

Output: ``wakeword.npz`` (no pickled objects; read with ``allow_pickle=False``) holding ``audio`` (uint8
mu-law, all utterances end to end), ``offsets`` (``N + 1`` start indices), ``kind`` (0 wake word, 1 other
word, 2 sentence), ``split`` (0 train, 1 test), ``text``, ``voice``, ``speed``, ``pitch``; and
``SHA256SUMS``, which ember.audio.wakeword checks on every load.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import tempfile

import numpy as np

WAKE_WORD = "ember"
NEAR_WORDS = ["amber", "member", "timber", "number", "embark", "emblem", 
              "temper", "hamper", "chamber", "camber", "umber", "simmer", "summer", "hammer",
              "embassy", "empire", "emperor", "enter", "ever", "never", "better", "amble", "ample", "embrace",
              "lumber", "somber", "slumber", "cucumber", "embed",
              "them", "hem", "emma", "elbow", "amplify", "timbre", "encounter"]
COMMON_WORDS = ["hello", "computer", "okay", "stop", "go", "yes", "no", "left", "right", "up", "down", "on", "off",
                "music", "weather", "light", "today", "morning", "seven", "three", "house", "table", "window",
                "coffee", "paper", "river", "garden", "yellow", "happy", "water", "dinner", "letter", "open",
                "close", "play", "pause", "next", "volume", "alarm", "timer", "kitchen", "bedroom", "phone",
                "message", "radio", "forward", "silver", "energy", "engine", "entry", "lemon", "melon", "wonder"]
SENTENCES = ["try to buy some amber lights", "the number seven is my favorite", "turn the music down please",
             "what is the weather like today", "January is colder than March", "the chamber was full of timber",
             "she kept a member card in her wallet", "open the window in the kitchen", "set a timer for ten minutes",
             "we walked along the river after dinner", "the hammer is on the table", "call me in the morning",
             "the emperor entered the empire", "a cucumber and a lemon", "play the next song on the radio",
             "I never forget her number", "the summer garden is yellow and green",
             "please close the door behind you", "the coffee is too hot to drink", "send a message to my phone",
             "an umbrella in April", "the engine has a lot of energy", "better late than never",
             "turn on the light in the bedroom"]
ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
TRAIN_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f4", "klatt", "klatt3"]
TEST_VARIANTS = ["m6", "f3", "f5", "klatt2"]
SAMPLE_RATE = 16000
# (wake words, other words, sentences) per split
COUNTS = {"train": (180, 210, 8), "test": (60, 75, 4)}


def _speak(text, voice, speed, pitch, tmp):
    """One utterance from espeak-ng as float32 at 16 kHz, silence trimmed."""
    from . import load
    from .functional import resample
    path = os.path.join(tmp, "u.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, text], check=True,
                   capture_output=True, timeout=60)
    wave, rate = load(path)
    x = resample(wave, rate, SAMPLE_RATE)[0].numpy()
    loud = np.nonzero(np.abs(x) > 0.02 * np.abs(x).max())[0]
    margin = int(0.04 * SAMPLE_RATE)
    x = x[max(loud[0] - margin, 0):loud[-1] + margin]
    return (0.9 * x / np.abs(x).max()).astype(np.float32)


def build(out, seed=0, counts=None, verbose=True):
    """Synthesize the data set into ``out`` (a directory); returns the path of ``wakeword.npz``."""
    from .functional import mu_law_encoding
    from ..io.atomic import atomic_write
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("ember.audio.build_wakeword needs the espeak-ng program: apt-get install espeak-ng "
                           "(or brew install espeak-ng); the bundled sample needs nothing")
    counts = counts or COUNTS
    rng = np.random.default_rng(seed)
    rows, chunks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for split_id, split in enumerate(("train", "test")):
            variants = TRAIN_VARIANTS if split == "train" else TEST_VARIANTS
            n_wake, n_words, n_sent = counts[split]
            words = NEAR_WORDS + COMMON_WORDS
            # sentences: the first two thirds for training, the rest for testing
            cut = len(SENTENCES) * 2 // 3
            sentences = SENTENCES[:cut] if split == "train" else SENTENCES[cut:]
            jobs = ([(0, WAKE_WORD)] * n_wake + [(1, words[i % len(words)]) for i in rng.permutation(n_words)]
                    + [(2, sentences[i % len(sentences)]) for i in range(n_sent)])
            for kind, text in jobs:
                voice = f"{ACCENTS[rng.integers(len(ACCENTS))]}+{variants[rng.integers(len(variants))]}"
                speed, pitch = int(rng.integers(120, 221)), int(rng.integers(20, 81))
                x = _speak(text, voice, speed, pitch, tmp)
                chunks.append(mu_law_encoding(x, 256).numpy().astype(np.uint8))
                rows.append((kind, split_id, text, voice, speed, pitch))
            if verbose:
                print(f"{split}: {len(jobs)} utterances")
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in chunks])]).astype(np.int64)
    kind, split, text, voice, speed, pitch = zip(*rows)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "wakeword.npz")
    with atomic_write(path) as f:
        np.savez_compressed(f, audio=np.concatenate(chunks), offsets=offsets, kind=np.array(kind, np.int64),
                            split=np.array(split, np.int64), text=np.array(text), voice=np.array(voice),
                            speed=np.array(speed, np.int64), pitch=np.array(pitch, np.int64),
                            sample_rate=np.array(SAMPLE_RATE, np.int64))
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    with atomic_write(os.path.join(out, "SHA256SUMS")) as f:
        f.write(f"{digest}  wakeword.npz\n".encode())
    if verbose:
        seconds = offsets[-1] / SAMPLE_RATE
        print(f"wrote {path}: {len(rows)} utterances, {seconds:.0f} s of speech, {os.path.getsize(path)} bytes, "
              f"sha256 {digest}")
    return path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ember.audio.build_wakeword", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="directory to write wakeword.npz and SHA256SUMS into")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: %(default)s)")
    args = p.parse_args(argv)
    build(args.out, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
