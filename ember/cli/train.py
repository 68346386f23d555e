"""``ember train``: train the classic CNN on the bundled MNIST sample, report test accuracy, save the model.

The recipe: the two-convolution CNN (ember.vision.models.MnistCNN, dropout 0.25 before
its dense layers), Adam (lr 2e-3, cosine-annealed to 0), batch 64, 15 epochs, with
small random shifts of the training images (up to 2 pixels) as augmentation; 4,000
training and 1,000 test images from the 5,000-image sample that ships with ember.
The training step runs through ``ember.compile`` (``--no-compile`` runs it eagerly).

After every epoch a checkpoint (model, optimizer, scheduler, epoch, history and the random
generators' states) is written atomically; ``--resume`` continues from it and ends with the
same weights, bit for bit, as a run that was never interrupted. Ctrl-C stops at once and keeps
the last epoch's checkpoint. An earlier run's files are never overwritten without
``--overwrite``.

``--track`` (or ``--tracking-uri``, ``--register-as NAME``) logs the run to ember.registry:
params, per-epoch metrics, the model and checkpoint files (ember.cli._tracking, docs/registry.md).

Load the trained model and predict::

    import ember
    from ember.vision.models import MnistCNN
    model = MnistCNN()
    model.load_state_dict(ember.load("ember-mnist-cnn.safetensors"))
    model.eval()
    digits = model(images).argmax(1)      # images: (N, 1, 28, 28), normalised as in training
"""
import argparse
import importlib.util
import os
import time

import numpy as np

# What a checkpoint must agree on with the command line to be resumed.
_RECIPE = ("model", "epochs", "batch_size", "lr", "seed", "no_augment", "data_root")
_MNIST_DEFAULTS = {"epochs": 15, "batch_size": 64, "lr": 2e-3, "out": "ember-mnist-cnn.safetensors"}


def fill_defaults(args, defaults):
    """Give every option the user left out (None) the task's default."""
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    return args


def add_parser(sub):
    p = sub.add_parser("train", help="train the MNIST CNN on the bundled sample and report test accuracy",
                       description="Train the classic MNIST CNN (or an MLP) on the bundled sample and report "
                                   "its test accuracy.")
    from .tasks import TASKS
    p.add_argument("--task", choices=sorted(TASKS), default="mnist",
                   help="what to train: mnist (the default, below) or one of the application tasks, each with "
                        "its own data, model and defaults (ember.cli.tasks)")
    p.add_argument("--model", choices=["cnn", "mlp"], default="cnn", help="the network (default: %(default)s)")
    # epochs, batch size, lr and out default to None so that each task can fill in its own.
    p.add_argument("--epochs", type=int, default=None,
                   help=f"passes over the training set (default: {_MNIST_DEFAULTS['epochs']})")
    p.add_argument("--batch-size", type=int, default=None,
                   help=f"images per step (default: {_MNIST_DEFAULTS['batch_size']})")
    p.add_argument("--lr", type=float, default=None,
                   help=f"Adam's learning rate, cosine-annealed to 0 (default: {_MNIST_DEFAULTS['lr']})")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: %(default)s)")
    p.add_argument("--no-augment", action="store_true", help="train on the images as they are, without shifts")
    p.add_argument("--no-compile", action="store_true",
                   help="run the training step eagerly instead of through ember.compile")
    p.add_argument("--data-root", default=None, metavar="DIR",
                   help="a torchvision-style root with MNIST/raw/ (default: the bundled 5,000-image sample)")
    p.add_argument("--out", default=None, metavar="PATH",
                   help=f"where to save the trained weights (default: {_MNIST_DEFAULTS['out']})")
    p.add_argument("--plots", default=None, metavar="DIR",
                   help="write training curves and diagnostics as PNGs into DIR (default: no plots)")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="the checkpoint written after every epoch (default: beside --out, as NAME.ckpt.safetensors)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in the checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace the files of an earlier run")
    from ._tracking import add_tracking_arguments
    add_tracking_arguments(p)
    p.set_defaults(func=run)
    return p


def _checkpoint_path(args):
    if args.checkpoint:
        return args.checkpoint
    out = args.out or "ember-mnist-cnn.safetensors"
    stem = out[:-len(".safetensors")] if out.endswith(".safetensors") else out
    return stem + ".ckpt.safetensors"


def _fail(message):
    raise SystemExit(f"ember train: error: {message}")


def validate(args):
    """Check the options before any work, with messages that say what to change; returns the
    checkpoint's path."""
    if args.epochs < 0:
        _fail(f"--epochs must be >= 0, got {args.epochs}")
    if args.batch_size < 1:
        _fail(f"--batch-size must be >= 1, got {args.batch_size}")
    if not args.lr > 0:
        _fail(f"--lr must be > 0, got {args.lr}")
    if args.data_root is not None and not os.path.isdir(args.data_root):
        _fail(f"--data-root {args.data_root!r} is not a directory")
    ckpt = _checkpoint_path(args)
    for option, path in (("--out", args.out), ("--checkpoint", ckpt)):
        if path:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                _fail(f"{option} {path!r}: the folder {folder!r} does not exist")
            if os.path.isdir(path):
                _fail(f"{option} {path!r} is a directory; give a file name")
    if args.plots is not None and importlib.util.find_spec("matplotlib") is None:
        _fail('--plots needs matplotlib: pip install "ember[plot]"')
    if args.resume:
        if not os.path.exists(ckpt):
            _fail(f"--resume: no checkpoint at {ckpt!r}")
    elif not args.overwrite:
        for option, path in (("--out", args.out), ("--checkpoint", ckpt)):
            if path and os.path.exists(path):
                _fail(f"{path!r} ({option}) is from an earlier run: pass --resume to continue it, --overwrite "
                      f"to replace it, or choose another --out/--checkpoint")
    return ckpt


def _save_checkpoint(path, args, epoch, model, opt, sched, history, rng):
    import ember
    ember.save({"recipe": {k: getattr(args, k) for k in _RECIPE}, "epoch": epoch, "history": history,
                "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "numpy_rng": rng.bit_generator.state, "ember_rng": ember.get_rng_state()}, path)


def _resume(path, args, model, opt, sched, rng):
    import ember
    state = ember.load(path)
    saved = state.get("recipe", {}) if isinstance(state, dict) else {}
    diff = [f"--{k.replace('_', '-')} was {saved.get(k)!r}, now {getattr(args, k)!r}"
            for k in _RECIPE if saved.get(k) != getattr(args, k)]
    if diff:
        _fail(f"--resume: {path!r} is a run with other options ({'; '.join(diff)})")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    rng.bit_generator.state = state["numpy_rng"]
    ember.set_rng_state(state["ember_rng"])
    return state["epoch"], state["history"]


def _load(root, train):
    from ..vision.datasets import load_mnist_sample, MNIST
    if root is None:
        x, y = load_mnist_sample(train=train)
    else:
        ds = MNIST(root, train=train)
        x, y = ds.data.numpy(), ds.targets.numpy()
    return (x.astype(np.float32) / 255.0 - 0.1307) / 0.3081, y.astype(np.int64)


def _shift(batch, rng, max_shift=2):
    """Shift each image by up to ``max_shift`` pixels in x and y (zero fill): cheap augmentation."""
    n = batch.shape[0]
    pad = np.pad(batch, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)),
                 constant_values=batch.min())
    dx = rng.integers(0, 2 * max_shift + 1, n)
    dy = rng.integers(0, 2 * max_shift + 1, n)
    out = np.empty_like(batch)
    h, w = batch.shape[2:]
    for i in range(n):
        out[i] = pad[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    return out


def evaluate(model, x, y, batch_size=500):
    """Test accuracy, predicted labels and mean cross-entropy of ``model`` on ``x``, in one pass."""
    import ember
    from ember.nn import functional as F
    model.eval()
    preds, loss_sum = [], 0.0
    with ember.no_grad():
        for i in range(0, len(x), batch_size):
            logits = model(ember.from_numpy(x[i:i + batch_size]))
            loss_sum += float(F.cross_entropy(logits, ember.from_numpy(y[i:i + batch_size]), reduction="sum"))
            preds.append(logits.argmax(1).numpy())
    model.train()
    pred = np.concatenate(preds)
    return float((pred == y).mean()), pred, loss_sum / len(y)


def run(args):
    from ._tracking import TrainTracker
    if getattr(args, "task", "mnist") != "mnist":
        if TrainTracker(args, _fail).enabled:
            _fail(f"tracking (--track, --tracking-uri, --register-as) is for --task mnist, not {args.task!r}, for now")
        from .tasks import run_task
        return run_task(args)
    fill_defaults(args, _MNIST_DEFAULTS)
    with TrainTracker(args, _fail) as tracker:   # an error ends the tracked run FAILED
        return _run(args, tracker)


def _run(args, tracker):
    import ember
    from ember import nn, optim
    from ember.vision.models import MnistCNN, MnistMLP
    from ember.utils.progress import Progress

    ckpt = validate(args)
    ember.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    xtr, ytr = _load(args.data_root, True)
    xte, yte = _load(args.data_root, False)
    xtr, xte = xtr[:, None], xte[:, None]
    source = "the bundled 5,000-image MNIST sample" if args.data_root is None else args.data_root
    print(f"ember {ember.__version__}: training the MNIST {args.model.upper()} on {source} "
          f"({len(xtr)} train / {len(xte)} test images)")
    model = MnistCNN(dropout=0.25) if args.model == "cnn" else MnistMLP()
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(args.epochs, 1))
    loss_fn = nn.CrossEntropyLoss()
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    first = 0
    if args.resume:
        first, history = _resume(ckpt, args, model, opt, sched, rng)
        print(f"resuming {ckpt} after epoch {first}/{args.epochs}")
    tracker.start({"task": "mnist", "model": args.model, "epochs": args.epochs, "batch_size": args.batch_size,
                   "lr": args.lr, "seed": args.seed, "augment": not args.no_augment, "compiled": not args.no_compile,
                   "data": args.data_root or "bundled-sample", "optimizer": "Adam", "lr_schedule": "CosineAnnealingLR",
                   "train_size": len(xtr), "test_size": len(xte)}, ckpt)

    def train_step(xb, yb):
        out = model(xb)
        loss = loss_fn(out, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.detach(), out.detach().argmax(1)
    if not args.no_compile:
        # Captured once per input shape and learning rate, then replayed (see ember.compile).
        train_step = ember.compile(train_step)
    steps = (len(xtr) + args.batch_size - 1) // args.batch_size

    def one_epoch(epoch):
        order = rng.permutation(len(xtr))
        bar = Progress(steps, prefix=f"epoch {epoch + 1}/{args.epochs}")
        total, correct, seen = 0.0, 0, 0
        for s in range(steps):
            idx = order[s * args.batch_size:(s + 1) * args.batch_size]
            xb = xtr[idx] if args.no_augment else _shift(xtr[idx], rng)
            xb, yb = ember.from_numpy(xb), ember.from_numpy(ytr[idx])
            loss, batch_pred = train_step(xb, yb)
            total += loss.item() * len(idx)
            correct += int((batch_pred == yb).sum())
            seen += len(idx)
            bar.update(loss=total / seen)
        sched.step()
        acc, _, val_loss = evaluate(model, xte, yte)
        history["loss"].append(total / seen)
        history["accuracy"].append(correct / seen)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(acc)
        bar.close(loss=total / seen, train_acc=correct / seen, test_acc=acc)

    start = time.perf_counter()
    try:
        for epoch in range(first, args.epochs):
            one_epoch(epoch)
            tracker.log_epoch(epoch, history)
            _save_checkpoint(ckpt, args, epoch + 1, model, opt, sched, history, rng)
    except KeyboardInterrupt:
        done = len(history["loss"])
        kept = f"the checkpoint of epoch {done} is kept in {ckpt}" if done else "no epoch had finished"
        print(f"\ninterrupted: {kept}; continue with the same options and --resume")
        tracker.end("KILLED")
        return 130
    acc, pred, _ = evaluate(model, xte, yte)
    elapsed = time.perf_counter() - start
    print(f"test accuracy: {acc * 100:.2f}% ({int(round(acc * len(yte)))}/{len(yte)}) after {args.epochs} epochs "
          f"in {elapsed:.1f}s")
    if args.out:
        ember.save(model.state_dict(), args.out)
        print(f"saved the model to {os.path.abspath(args.out)} (checkpoint: {os.path.abspath(ckpt)})")
    tracker.finish(args.out, {"test_accuracy": acc}, step=args.epochs, checkpoint=ckpt)
    if args.plots:
        _plots(args.plots, history, model, xte, yte, pred)
    return 0


def _plots(directory, history, model, xte, yte, pred):
    from .. import plot
    os.makedirs(directory, exist_ok=True)
    plot.plot_history(history, os.path.join(directory, "history.png"))
    plot.plot_confusion_matrix(yte, pred, os.path.join(directory, "confusion_matrix.png"))
    images = (xte[:, 0] * 0.3081 + 0.1307)
    plot.plot_misclassified(images, yte, pred, os.path.join(directory, "misclassified.png"))
    first = next(m for m in model.modules() if hasattr(m, "kernel_size"))
    plot.plot_filters(first.weight.detach().numpy(), os.path.join(directory, "filters.png"))
    print(f"wrote plots to {os.path.abspath(directory)}")
