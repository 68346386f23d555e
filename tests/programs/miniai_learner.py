"""The fast.ai "from the foundations" Learner (miniai, notebooks 04-09) in plain PyTorch: a dict dataset with
a batch transform, collate_dict over default_collate, DataLoaders.from_dd, a Learner whose fit / epoch / batch
are wrapped by a ``with_cbs`` decorator that runs callbacks and catches Cancel{Fit,Epoch,Batch}Exception,
TrainCB / DeviceCB / MetricsCB (torcheval-style metrics written by hand) / LRFinderCB (ExponentialLR, stops
the fit with CancelFitException) / SingleBatchCB / BatchSchedCB with OneCycleLR through ``partial`` /
RecorderCB reading param_groups, a MomentumLearner that scales grads instead of zeroing them, validation
through ``torch.no_grad()(self.one_epoch)(False)``, and to_cpu / to_device recursion over containers.
The model is ``nn.Sequential(*layers)`` of conv blocks built in a loop with a GeneralRelu."""
import argparse
import json
import math
from collections.abc import Mapping
from copy import copy
from functools import partial
from operator import attrgetter, itemgetter

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, default_collate

def_device = "mps" if torch.backends.mps.is_available() else "cuda" if torch.cuda.is_available() else "cpu"


# ---- data -------------------------------------------------------------------------------------------------
class DictDataset:
    """A tiny stand-in for a Hugging Face dataset: rows are dicts; ``with_transform`` applies a batch transform
    to each row wrapped as a batch of one, as datasets does."""

    def __init__(self, rows, features=("image", "label"), tfm=None):
        self.rows, self.features, self.tfm = rows, list(features), tfm

    def with_transform(self, tfm):
        return DictDataset(self.rows, self.features, tfm)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        if self.tfm is None:
            return row
        b = self.tfm({k: [v] for k, v in row.items()})
        return {k: v[0] for k, v in b.items()}


def inplace(f):
    def _f(b):
        f(b)
        return b
    return _f


@inplace
def transformi(b):
    b["image"] = [torch.tensor(np.asarray(o, dtype=np.float32) / 255.)[None] for o in b["image"]]


def collate_dict(ds):
    get = itemgetter(*ds.features)

    def _f(b):
        return get(default_collate(b))
    return _f


def get_dls(train_ds, valid_ds, bs, shuffle=True, **kwargs):
    return (DataLoader(train_ds, batch_size=bs, shuffle=shuffle, **kwargs),
            DataLoader(valid_ds, batch_size=bs * 2, **kwargs))


class DataLoaders:
    def __init__(self, *dls):
        self.train, self.valid = dls[:2]

    @classmethod
    def from_dd(cls, dd, batch_size, as_tuple=True, **kwargs):
        f = collate_dict(dd["train"])
        return cls(*get_dls(*dd.values(), bs=batch_size, collate_fn=f, **kwargs))


def make_rows(n, rng):
    """Four classes of 12x12 'images': a bright bar in one of four places, plus noise, as uint8."""
    rows = []
    for i in range(n):
        label = i % 4
        img = rng.randint(0, 150, size=(12, 12))
        if label == 0:
            img[2:4, :] += 60
        elif label == 1:
            img[:, 8:10] += 60
        elif label == 2:
            img[8:10, :] += 60
        else:
            img[:, 2:4] += 60
        rows.append({"image": img.astype(np.uint8), "label": label})
    return rows


# ---- containers -------------------------------------------------------------------------------------------
def to_device(x, device=def_device):
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, Mapping):
        return {k: v.to(device) for k, v in x.items()}
    return type(x)(to_device(o, device) for o in x)


def to_cpu(x):
    if isinstance(x, Mapping):
        return {k: to_cpu(v) for k, v in x.items()}
    if isinstance(x, list):
        return [to_cpu(o) for o in x]
    if isinstance(x, tuple):
        return tuple(to_cpu(list(x)))
    res = x.detach().cpu()
    return res.float() if res.dtype == torch.float16 else res


# ---- metrics (torcheval's interface) ----------------------------------------------------------------------
class Mean:
    def __init__(self):
        self.reset()

    def reset(self):
        self.total, self.weight = torch.tensor(0.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)

    def update(self, x, weight=1.0):
        self.total += x.double() * weight
        self.weight += weight

    def compute(self):
        return self.total / self.weight


class MulticlassAccuracy:
    def __init__(self):
        self.reset()

    def reset(self):
        self.correct, self.n = torch.tensor(0), torch.tensor(0)

    def update(self, inp, targ):
        self.correct += (inp.argmax(dim=1) == targ).sum()
        self.n += targ.numel()

    def compute(self):
        return self.correct.float() / self.n


def listify(o):
    """fastcore's L(o) for what the Learner takes: None, one callback or a list of them."""
    if o is None:
        return []
    return list(o) if isinstance(o, (list, tuple)) else [o]


# ---- callbacks --------------------------------------------------------------------------------------------
class CancelFitException(Exception):
    pass


class CancelBatchException(Exception):
    pass


class CancelEpochException(Exception):
    pass


class Callback:
    order = 0


def run_cbs(cbs, method_nm, learn=None):
    for cb in sorted(cbs, key=attrgetter("order")):
        method = getattr(cb, method_nm, None)
        if method is not None:
            method(learn)


class with_cbs:
    def __init__(self, nm):
        self.nm = nm

    def __call__(self, f):
        def _f(o, *args, **kwargs):
            try:
                o.callback(f"before_{self.nm}")
                f(o, *args, **kwargs)
                o.callback(f"after_{self.nm}")
            except globals()[f"Cancel{self.nm.title()}Exception"]:
                pass
            finally:
                o.callback(f"cleanup_{self.nm}")
        return _f


class Learner:
    def __init__(self, model, dls=(0,), loss_func=F.mse_loss, lr=0.1, cbs=None, opt_func=optim.SGD):
        self.model, self.dls, self.loss_func, self.lr, self.opt_func = model, dls, loss_func, lr, opt_func
        self.cbs = listify(cbs)

    @with_cbs("batch")
    def _one_batch(self):
        self.predict()
        self.callback("after_predict")
        self.get_loss()
        self.callback("after_loss")
        if self.training:
            self.backward()
            self.callback("after_backward")
            self.step()
            self.callback("after_step")
            self.zero_grad()

    @with_cbs("epoch")
    def _one_epoch(self):
        for self.iter, self.batch in enumerate(self.dl):
            self._one_batch()

    def one_epoch(self, training):
        self.model.train(training)
        self.dl = self.dls.train if training else self.dls.valid
        self._one_epoch()

    @with_cbs("fit")
    def _fit(self, train, valid):
        for self.epoch in self.epochs:
            if train:
                self.one_epoch(True)
            if valid:
                torch.no_grad()(self.one_epoch)(False)

    def fit(self, n_epochs=1, train=True, valid=True, cbs=None, lr=None):
        cbs = listify(cbs)
        for cb in cbs:
            self.cbs.append(cb)
        try:
            self.n_epochs = n_epochs
            self.epochs = range(n_epochs)
            if lr is None:
                lr = self.lr
            if self.opt_func:
                self.opt = self.opt_func(self.model.parameters(), lr)
            self._fit(train, valid)
        finally:
            for cb in cbs:
                self.cbs.remove(cb)

    def __getattr__(self, name):
        if name in ("predict", "get_loss", "backward", "step", "zero_grad"):
            return partial(self.callback, name)
        raise AttributeError(name)

    def callback(self, method_nm):
        run_cbs(self.cbs, method_nm, self)

    @property
    def training(self):
        return self.model.training

    def lr_find(self, gamma=1.3, max_mult=3, start_lr=1e-5, max_epochs=10):
        finder = LRFinderCB(gamma=gamma, max_mult=max_mult)
        self.fit(max_epochs, lr=start_lr, cbs=finder)
        return finder


class TrainLearner(Learner):
    def predict(self):
        self.preds = self.model(self.batch[0])

    def get_loss(self):
        self.loss = self.loss_func(self.preds, self.batch[1])

    def backward(self):
        self.loss.backward()

    def step(self):
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad()


class MomentumLearner(TrainLearner):
    def __init__(self, model, dls, loss_func, lr=None, cbs=None, opt_func=optim.SGD, mom=0.85):
        self.mom = mom
        super().__init__(model, dls, loss_func, lr, cbs, opt_func)

    def zero_grad(self):
        with torch.no_grad():
            for p in self.model.parameters():
                p.grad *= self.mom


class TrainCB(Callback):
    def __init__(self, n_inp=1):
        self.n_inp = n_inp

    def predict(self, learn):
        learn.preds = learn.model(*learn.batch[:self.n_inp])

    def get_loss(self, learn):
        learn.loss = learn.loss_func(learn.preds, *learn.batch[self.n_inp:])

    def backward(self, learn):
        learn.loss.backward()

    def step(self, learn):
        learn.opt.step()

    def zero_grad(self, learn):
        learn.opt.zero_grad()


class DeviceCB(Callback):
    def __init__(self, device=def_device):
        self.device = device

    def before_fit(self, learn):
        if hasattr(learn.model, "to"):
            learn.model.to(self.device)

    def before_batch(self, learn):
        learn.batch = to_device(learn.batch, device=self.device)


class MetricsCB(Callback):
    def __init__(self, *ms, **metrics):
        for o in ms:
            metrics[type(o).__name__] = o
        self.metrics = metrics
        self.all_metrics = copy(metrics)
        self.all_metrics["loss"] = self.loss = Mean()
        self.log = []

    def before_fit(self, learn):
        learn.metrics = self

    def before_epoch(self, learn):
        [o.reset() for o in self.all_metrics.values()]

    def after_epoch(self, learn):
        log = {k: v.compute().item() for k, v in self.all_metrics.items()}
        log["epoch"] = learn.epoch
        log["train"] = "train" if learn.model.training else "eval"
        self.log.append(log)

    def after_batch(self, learn):
        x, y, *_ = to_cpu(learn.batch)
        for m in self.metrics.values():
            m.update(to_cpu(learn.preds), y)
        self.loss.update(to_cpu(learn.loss), weight=len(x))


class LossRecorderCB(Callback):
    order = MetricsCB.order + 1

    def __init__(self):
        self.losses = []

    def after_batch(self, learn):
        if learn.training:
            self.losses.append(learn.loss.item())


class SingleBatchCB(Callback):
    order = 1

    def after_batch(self, learn):
        raise CancelFitException()


class LRFinderCB(Callback):
    def __init__(self, gamma=1.3, max_mult=3):
        self.gamma, self.max_mult = gamma, max_mult

    def before_fit(self, learn):
        self.sched = lr_scheduler.ExponentialLR(learn.opt, self.gamma)
        self.lrs, self.losses = [], []
        self.min = math.inf

    def after_batch(self, learn):
        if not learn.training:
            raise CancelEpochException()
        self.lrs.append(learn.opt.param_groups[0]["lr"])
        loss = to_cpu(learn.loss)
        self.losses.append(loss.item())
        if loss < self.min:
            self.min = loss
        if math.isnan(loss) or (loss > self.min * self.max_mult):
            raise CancelFitException()
        self.sched.step()


class BaseSchedCB(Callback):
    def __init__(self, sched):
        self.sched = sched

    def before_fit(self, learn):
        self.schedo = self.sched(learn.opt)

    def _step(self, learn):
        if learn.training:
            self.schedo.step()


class BatchSchedCB(BaseSchedCB):
    def after_batch(self, learn):
        self._step(learn)


class EpochSchedCB(BaseSchedCB):
    def after_epoch(self, learn):
        self._step(learn)


class RecorderCB(Callback):
    def __init__(self, **d):
        self.d = d

    def before_fit(self, learn):
        self.recs = {k: [] for k in self.d}
        self.pg = learn.opt.param_groups[0]

    def after_batch(self, learn):
        if not learn.training:
            return
        for k, v in self.d.items():
            self.recs[k].append(v(self))


class BatchTransformCB(Callback):
    def __init__(self, tfm, on_train=True, on_val=True):
        self.tfm, self.on_train, self.on_val = tfm, on_train, on_val

    def before_batch(self, learn):
        if (self.on_train and learn.training) or (self.on_val and not learn.training):
            learn.batch = self.tfm(learn.batch)


class CapturePreds(Callback):
    def before_fit(self, learn):
        self.all_inps, self.all_preds, self.all_targs = [], [], []

    def after_batch(self, learn):
        self.all_inps.append(to_cpu(learn.batch[0]))
        self.all_preds.append(to_cpu(learn.preds))
        self.all_targs.append(to_cpu(learn.batch[1]))

    def after_fit(self, learn):
        self.all_preds, self.all_targs, self.all_inps = map(torch.cat, [self.all_preds, self.all_targs,
                                                                        self.all_inps])


def capture_preds(learn, cbs=None, inps=False):
    cp = CapturePreds()
    learn.fit(1, train=False, cbs=[cp] + listify(cbs))
    res = cp.all_preds, cp.all_targs
    if inps:
        res = res + (cp.all_inps,)
    return res


def _flip(b):
    x, y = b
    return torch.flip(x, dims=(3,)), y


def _lr(cb):
    return cb.pg["lr"]


def _beta1(cb):
    return cb.pg["betas"][0]


# ---- model ------------------------------------------------------------------------------------------------
class GeneralRelu(nn.Module):
    def __init__(self, leak=None, sub=None, maxv=None):
        super().__init__()
        self.leak, self.sub, self.maxv = leak, sub, maxv

    def forward(self, x):
        x = F.leaky_relu(x, self.leak) if self.leak is not None else F.relu(x)
        if self.sub is not None:
            x -= self.sub
        if self.maxv is not None:
            x.clamp_max_(self.maxv)
        return x


def conv(ni, nf, ks=3, stride=2, act=nn.ReLU, norm=None, bias=None):
    if bias is None:
        bias = not isinstance(norm, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))
    layers = [nn.Conv2d(ni, nf, stride=stride, kernel_size=ks, padding=ks // 2, bias=bias)]
    if norm:
        layers.append(norm(nf))
    if act:
        layers.append(act())
    return nn.Sequential(*layers)


def get_model(act=nn.ReLU, nfs=None, norm=None):
    if nfs is None:
        nfs = [8, 16, 16, 16]
    layers = [conv(1, 8, stride=1, act=act, norm=norm)]
    layers += [conv(nfs[i], nfs[i + 1], act=act, norm=norm) for i in range(len(nfs) - 1)]
    return nn.Sequential(*layers, conv(nfs[-1], 4, act=None, norm=False, bias=True), nn.Flatten()).to(def_device)


def init_weights(m, leaky=0.):
    if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
        nn.init.kaiming_normal_(m.weight, a=leaky)


def main():
    parser = argparse.ArgumentParser(description="miniai Learner with callbacks")
    parser.add_argument("--bs", type=int, default=16)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(1)
    rng = np.random.RandomState(0)
    dd = {"train": DictDataset(make_rows(192, rng)), "test": DictDataset(make_rows(64, rng))}
    tds = {k: v.with_transform(transformi) for k, v in dd.items()}
    dls = DataLoaders.from_dd(tds, args.bs, shuffle=not args.no_shuffle)
    xb, yb = next(iter(dls.train))
    result = {"batch": [list(xb.shape), str(xb.dtype), yb.tolist()[:8], str(yb.dtype)],
              "n_batches": [len(dls.train), len(dls.valid)]}

    act_gr = partial(GeneralRelu, leak=0.1, sub=0.4)
    iw = partial(init_weights, leaky=0.1)
    state = get_model(act_gr).apply(iw).state_dict()
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in state.items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            state = {k: torch.from_numpy(f[k]) for k in f.files}

    def fresh(norm=None):
        model = get_model(act_gr, norm=norm).apply(iw)
        model.load_state_dict(state, strict=norm is None)
        return model

    # Learner + TrainCB + DeviceCB + MetricsCB, two epochs.
    metrics = MetricsCB(accuracy=MulticlassAccuracy())
    rec = LossRecorderCB()
    learn = Learner(fresh(), dls, F.cross_entropy, lr=0.2, cbs=[TrainCB(), DeviceCB(), metrics, rec])
    learn.fit(2)
    result["learner_losses"] = rec.losses
    result["learner_log"] = metrics.log

    # fit(train=False): one pass over the validation set under no_grad.
    metrics2 = MetricsCB(accuracy=MulticlassAccuracy())
    learn.fit(1, train=False, cbs=[metrics2])
    result["valid_only"] = metrics2.log
    result["cbs_restored"] = len(learn.cbs)

    # Test-time augmentation: predictions on the horizontally flipped validation set, averaged.
    ap1, at = capture_preds(learn)
    ap2, at2 = capture_preds(learn, cbs=[BatchTransformCB(_flip, on_train=False)])
    result["tta"] = [list(ap1.shape), bool(torch.equal(at, at2)), (ap1.argmax(1) == at).float().mean().item(),
                     ((ap1 + ap2) / 2).argmax(1).eq(at).float().mean().item(), ap2.sum().item()]

    # MomentumLearner: grads are scaled by mom instead of zeroed.
    rec = LossRecorderCB()
    learn = MomentumLearner(fresh(), dls, F.cross_entropy, lr=0.05, cbs=[DeviceCB(), rec])
    learn.fit(1)
    result["momentum_losses"] = rec.losses

    # LR finder: ExponentialLR each batch until the loss blows up, then CancelFitException.
    learn = MomentumLearner(fresh(), dls, F.cross_entropy, cbs=[DeviceCB()])
    finder = learn.lr_find(gamma=1.4, start_lr=1e-3)
    result["lrfind_lrs"] = finder.lrs
    result["lrfind_losses"] = finder.losses

    # SingleBatchCB: one batch then stop.
    rec = LossRecorderCB()
    learn = TrainLearner(fresh(), dls, F.cross_entropy, lr=0.1, cbs=[DeviceCB(), rec])
    learn.fit(3, cbs=[SingleBatchCB()])
    result["single_batch"] = [rec.losses, learn.epoch, learn.iter]

    # OneCycleLR through BatchSchedCB, AdamW through partial, RecorderCB reading the param group.
    epochs, lr = 2, 1e-2
    tmax = epochs * len(dls.train)
    sched = partial(lr_scheduler.OneCycleLR, max_lr=lr, total_steps=tmax)
    recorder = RecorderCB(lr=_lr, mom=_beta1)
    metrics = MetricsCB(accuracy=MulticlassAccuracy())
    rec = LossRecorderCB()
    model = fresh(norm=nn.BatchNorm2d)
    learn = TrainLearner(model, dls, F.cross_entropy, lr=lr, cbs=[DeviceCB(), metrics, rec, recorder,
                                                                    BatchSchedCB(sched)],
                         opt_func=partial(optim.AdamW, eps=1e-5))
    learn.fit(epochs)
    result["onecycle_losses"] = rec.losses
    result["onecycle_lrs"] = recorder.recs["lr"]
    result["onecycle_moms"] = recorder.recs["mom"]
    result["onecycle_log"] = metrics.log
    result["bn_running_mean"] = model[1][1].running_mean.tolist()
    result["bn_batches"] = int(model[1][1].num_batches_tracked)

    # CosineAnnealingLR stepped per epoch.
    sched = partial(lr_scheduler.CosineAnnealingLR, T_max=3)
    rec = LossRecorderCB()
    learn = TrainLearner(fresh(), dls, F.cross_entropy, lr=0.1, cbs=[DeviceCB(), rec, EpochSchedCB(sched)],
                         opt_func=partial(optim.SGD, momentum=0.9))
    learn.fit(2)
    result["cosine_losses"] = rec.losses
    result["cosine_lr"] = learn.opt.param_groups[0]["lr"]

    # to_cpu over nested containers.
    nested = to_cpu({"a": [torch.ones(2, dtype=torch.float16), (torch.zeros(1), torch.arange(3))]})
    result["to_cpu"] = [str(nested["a"][0].dtype), type(nested["a"][1]).__name__, nested["a"][1][1].tolist()]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
