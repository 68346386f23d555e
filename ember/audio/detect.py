"""Print the times of the wake word in a recording: ``python -m ember.audio.detect MODEL WAV``.

MODEL is the safetensors file that ``ember train --task wakeword`` saves; WAV is any WAV file
(ember.audio.load): its channels are averaged and it is resampled to 16 kHz (ember.audio.transforms
.Resample) when it has another rate. A one-second window slides over it every ``--hop`` seconds; the
wake-word probabilities are smoothed over ``--smooth`` windows and a detection is reported where they
rise above ``--threshold`` (ember.audio.wakeword.detect). With ``--truth`` (a text file of true times in
seconds, one a line) it also scores the detections: hits within 0.5 s, misses, false alarms.

    $ python -m ember.audio.detect ember-wakeword.safetensors long.wav
    00:00:07.45  ember  (p = 0.97)
    ...
"""
import argparse

import numpy as np

THRESHOLD, SMOOTH = 0.8, 3


def _clock(t):
    return f"{int(t // 3600):02d}:{int(t // 60 % 60):02d}:{t % 60:05.2f}"


def run(model_path, wav_path, threshold=THRESHOLD, smooth=SMOOTH, hop=0.1, truth=None, out=print):
    """Detect, print one line per detection (and the score with ``truth``); returns the detection times."""
    import ember
    from . import load
    from .transforms import Resample
    from .wakeword import KeywordSpotter, posteriors, detect, score
    model = KeywordSpotter()
    model.load_state_dict(ember.load(model_path))
    wave, rate = load(wav_path)
    wave = wave.mean(0, keepdim=True)
    if rate != model.sample_rate:
        wave = Resample(rate, model.sample_rate)(wave)
    times, probs = posteriors(model, wave[0].numpy(), hop=hop)
    found = detect(times, probs, threshold=threshold, smooth=smooth)
    smoothed = np.convolve(probs, np.ones(smooth) / smooth, mode="same") if smooth > 1 else probs
    for t in found:
        out(f"{_clock(t)}  ember  (p = {smoothed[np.argmin(np.abs(times - t))]:.2f})")
    duration = len(wave[0]) / model.sample_rate
    out(f"{len(found)} detections in {duration:.1f} s ({len(found) * 3600 / duration:.1f} per hour)")
    if truth is not None:
        result = score(found, truth)
        out(f"against {len(truth)} true times: {result['hits']} hits within 0.5 s, {result['misses']} misses, "
            f"{result['false_alarms']} false alarms")
    return found


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ember.audio.detect",
                                description="Print the times of the wake word 'ember' in a WAV recording.")
    p.add_argument("model", help="the model's safetensors file (from ember train --task wakeword)")
    p.add_argument("wav", help="the recording (WAV)")
    p.add_argument("--threshold", type=float, default=THRESHOLD, help="detection threshold on the smoothed "
                   "probability (default: %(default)s)")
    p.add_argument("--smooth", type=int, default=SMOOTH, help="windows in the moving average (default: %(default)s)")
    p.add_argument("--hop", type=float, default=0.1, help="seconds between windows (default: %(default)s)")
    p.add_argument("--truth", default=None, help="a text file of true wake-word times (s), one a line: score them")
    args = p.parse_args(argv)
    truth = np.loadtxt(args.truth, ndmin=1) if args.truth else None
    run(args.model, args.wav, args.threshold, args.smooth, args.hop, truth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
