"""``ember train --task wakeword``: train the "ember" keyword spotter on the bundled espeak-ng sample and
report its test accuracy (new speakers), its hits within 0.5 s and its false alarms per hour when
streaming over long recordings; save the model.

Use the saved model on a recording: ``python -m ember.audio.detect ember-wakeword.safetensors long.wav``.
"""
import os

DEFAULTS = {"epochs": 24, "batch_size": 64, "lr": 5e-3, "out": "ember-wakeword.safetensors"}
STREAM_SECONDS = 600


def _fail(message):
    raise SystemExit(f"ember train --task wakeword: error: {message}")


def run(args):
    import ember
    from ember.audio.wakeword.train import train
    if args.epochs < 1:
        _fail(f"--epochs must be >= 1, got {args.epochs}")
    if args.batch_size < 1:
        _fail(f"--batch-size must be >= 1, got {args.batch_size}")
    if not args.lr > 0:
        _fail(f"--lr must be > 0, got {args.lr}")
    if args.out:
        folder = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(folder):
            _fail(f"--out {args.out!r}: the folder {folder!r} does not exist")
        if os.path.exists(args.out) and not getattr(args, "overwrite", False):
            _fail(f"{args.out!r} (--out) is from an earlier run: pass --overwrite to replace it or choose another "
                  "--out")
    print(f"ember {ember.__version__}: training the wake-word spotter (\"ember\") on the bundled espeak-ng sample")
    model, report = train(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                          stream_seconds=STREAM_SECONDS)
    test, neg, wake = report["test"], report["negative_stream"], report["wake_stream"]
    common = report["common_stream"]
    print(f"test accuracy: {test['accuracy'] * 100:.2f}% on {test['n']} one-second clips of unseen speakers "
          f"(wake word recall {test['wake_recall'] * 100:.1f}%, precision {test['wake_precision'] * 100:.1f}%) "
          f"after {args.epochs} epochs in {report['seconds']:.1f}s")
    print(f"streaming, {neg['seconds'] / 60:.0f} min without the wake word, half the words near rhymes (amber, "
          f"member, timber ...): {neg['false_alarms']} false alarms = {neg['false_alarms_per_hour']:.1f} per hour")
    print(f"streaming, {common['seconds'] / 60:.0f} min of common words and sentences: {common['false_alarms']} "
          f"false alarms = {common['false_alarms_per_hour']:.1f} per hour")
    print(f"streaming, {wake['seconds'] / 60:.0f} min with {wake['hits'] + wake['misses']} wake words: "
          f"{wake['hits']} detected within 0.5 s, {wake['misses']} missed, {wake['false_alarms']} false alarms")
    if args.out:
        ember.save(model.state_dict(), args.out)
        print(f"saved the model to {os.path.abspath(args.out)}; detect with: python -m ember.audio.detect "
              f"{args.out} RECORDING.wav")
    return 0
