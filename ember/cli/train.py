"""``ember train``: train the classic CNN on the bundled MNIST sample, report test accuracy, save the model.

The recipe: the two-convolution CNN (ember.vision.models.MnistCNN, dropout 0.25 before
its dense layers), Adam (lr 2e-3, cosine-annealed to 0), batch 64, 15 epochs, with
small random shifts of the training images (up to 2 pixels) as augmentation; 4,000
training and 1,000 test images from the 5,000-image sample that ships with ember.
The training step runs through ``ember.compile`` (``--no-compile`` runs it eagerly).
"""
import os
import time

import numpy as np


def add_parser(sub):
    p = sub.add_parser("train", help="train the MNIST CNN on the bundled sample and report test accuracy")
    p.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    p.add_argument("--no-compile", action="store_true",
                   help="run the training step eagerly instead of through ember.compile")
    p.add_argument("--data-root", default=None,
                   help="a torchvision-style root with MNIST/raw/ (default: the bundled 5,000-image sample)")
    p.add_argument("--out", default="ember-mnist-cnn.safetensors", help="where to save the trained weights")
    p.add_argument("--plots", default=None, metavar="DIR", help="write training curves and diagnostics as PNGs")
    p.set_defaults(func=run)
    return p


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
    import ember
    from ember import nn, optim
    from ember.vision.models import MnistCNN, MnistMLP
    from ember.utils.progress import Progress

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
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}

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
    start = time.perf_counter()
    steps = (len(xtr) + args.batch_size - 1) // args.batch_size
    for epoch in range(args.epochs):
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
        acc, pred, val_loss = evaluate(model, xte, yte)
        history["loss"].append(total / seen)
        history["accuracy"].append(correct / seen)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(acc)
        bar.close(loss=total / seen, train_acc=correct / seen, test_acc=acc)
    if args.epochs == 0:
        acc, pred, _ = evaluate(model, xte, yte)
    elapsed = time.perf_counter() - start
    print(f"test accuracy: {acc * 100:.2f}% ({int(round(acc * len(yte)))}/{len(yte)}) after {args.epochs} epochs "
          f"in {elapsed:.1f}s")
    if args.out:
        ember.save(model.state_dict(), args.out)
        print(f"saved the model to {os.path.abspath(args.out)}")
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
