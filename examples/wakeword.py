"""Wake-word spotting with ember.audio: train the "ember" keyword spotter on the bundled espeak-ng sample,
write a two-minute recording with the wake word said at known times (speakers never heard in
training, other words and sentences in between, over changing background noise), and find it again by
streaming detection, printing each detection's time beside the truth.

    python examples/wakeword.py                       # trains first (about a minute)
    python examples/wakeword.py --model ember-wakeword.safetensors   # a model from ember train --task wakeword
"""
import argparse

import numpy as np

import ember
import ember.audio
from ember.audio.detect import run
from ember.audio.wakeword import KeywordSpotter, data
from ember.audio.wakeword.train import train


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=None, help="a trained model's safetensors file (default: train one now)")
    p.add_argument("--epochs", type=int, default=24)
    p.add_argument("--wav", default="wakeword-demo.wav", help="where to write the recording")
    args = p.parse_args()
    sample = data.load_sample()
    if args.model is None:
        model, report = train(epochs=args.epochs, sample=sample, stream_seconds=0)
        print(f"test accuracy on new speakers: {report['test']['accuracy'] * 100:.2f}%")
        args.model = "wakeword-demo.safetensors"
        ember.save(model.state_dict(), args.model)
    else:
        KeywordSpotter().load_state_dict(ember.load(args.model))
    stream, truth = data.make_stream(sample, 120, np.random.default_rng(42), wake_every=8.0)
    ember.audio.save(args.wav, ember.from_numpy(stream[None]), 16000, bits_per_sample=16)
    print(f"wrote {args.wav}: 120 s, the wake word at " + ", ".join(f"{t:.2f}" for t in truth) + " s")
    run(args.model, args.wav, truth=truth)


if __name__ == "__main__":
    main()
