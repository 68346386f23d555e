"""``ember.amp.GradScaler``: loss scaling for mixed-precision training, as PyTorch's.

The scaler multiplies the loss by ``scale`` before ``backward`` so that small gradients survive a
low-precision format, then ``step`` divides the gradients by ``scale`` (``unscale_``) and skips the
optimizer step when any of them is infinite or NaN. ``update`` then halves the scale after a skipped
step (``backoff_factor``) and doubles it after ``growth_interval`` clean steps in a row
(``growth_factor``).

As in PyTorch 2.13: ``GradScaler("cpu")`` is enabled and scales; ``GradScaler()`` (device
``"cuda"``) finds no CUDA, warns and disables itself; a disabled scaler is a pass-through
(``scale`` returns its argument, ``step`` calls ``optimizer.step()``, ``get_scale`` is 1.0 and
``state_dict`` is ``{}``).

>>> import ember
>>> w = ember.nn.Parameter(ember.ones(2))
>>> opt = ember.optim.SGD([w], lr=0.1)
>>> scaler = ember.amp.GradScaler("cpu")
>>> scaler.scale((w * 3).sum()).backward()
>>> scaler.step(opt); scaler.update()
>>> w.tolist(), scaler.get_scale()
([0.699999988079071, 0.699999988079071], 65536.0)
"""
import math
import warnings

import numpy as np

from ..autograd.tensor import Tensor, make

_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _grads(optimizer):
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is not None:
                yield p.grad


class GradScaler:
    """Scales the loss, unscales and checks the gradients, skips steps with inf/NaN gradients.

    Args:
        device (str): ``"cuda"`` (default; disabled in ember, which has no CUDA) or ``"cpu"``.
        init_scale (float): the first scale. Default: ``2.0 ** 16``.
        growth_factor (float): multiplies the scale after ``growth_interval`` clean steps. Default: 2.0.
        backoff_factor (float): multiplies the scale after a step with inf/NaN gradients. Default: 0.5.
        growth_interval (int): clean steps between growths. Default: 2000.
        enabled (bool): False makes every method a pass-through. Default: True.
    """

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = str(device)
        if enabled and self._device.startswith("cuda"):
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                          UserWarning, stacklevel=2)
            enabled = False
        self._enabled = bool(enabled)
        if self._enabled:
            if growth_factor <= 1.0:
                raise ValueError(f"GradScaler: growth_factor should be > 1, got {growth_factor}")
            if backoff_factor >= 1.0:
                raise ValueError(f"GradScaler: backoff_factor should be < 1, got {backoff_factor}")
            self._init_scale = float(init_scale)
            self._scale = None  # a float, set by the first scale()
            self._growth_factor = float(growth_factor)
            self._backoff_factor = float(backoff_factor)
            self._growth_interval = int(growth_interval)
            self._init_growth_tracker = 0
            self._growth_tracker = None
        self._per_optimizer = {}  # id(optimizer) -> {"stage": ..., "found_inf": bool or None}

    def is_enabled(self):
        return self._enabled

    def _lazy_init(self):
        if self._scale is None:
            self._scale = self._init_scale
            self._growth_tracker = self._init_growth_tracker

    def scale(self, outputs):
        """``outputs * scale``, for a tensor or (nested) lists and tuples of tensors."""
        if not self._enabled:
            return outputs
        self._lazy_init()
        if isinstance(outputs, Tensor):
            # A 0-d float32 factor: the product keeps the output's dtype, as in PyTorch.
            return outputs * make(np.array(self._scale, np.float32))
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        try:
            return map(self.scale, outputs)
        except TypeError:
            raise ValueError("outputs must be a Tensor or an iterable of Tensors") from None

    def _state_of(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": None})

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by the scale in place and record whether any is inf/NaN.

        Call it before clipping gradients; ``step`` then does not unscale again."""
        if not self._enabled:
            return
        self._check_scale_initialized("unscale_")
        state = self._state_of(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = np.float32(1.0 / self._scale)  # the reciprocal in double, then float32, as PyTorch
        found_inf = None  # stays None when no parameter has a gradient
        for g in _grads(optimizer):
            found_inf = bool(found_inf)
            if g.dtype.name == "float16":
                raise ValueError("Attempting to unscale FP16 gradients.")
            a = g._data
            if not found_inf and not np.isfinite(a).all():
                found_inf = True
            np.multiply(a, inv_scale, out=a, casting="unsafe")
            g._bump()
        state["found_inf"] = found_inf
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless ``unscale_`` already did) and run ``optimizer.step`` unless a gradient is
        inf/NaN; returns what ``optimizer.step`` returned, or None for a skipped step."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_initialized("step")
        state = self._state_of(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale=None):
        """Set the next scale: ``new_scale`` if given, else back off after any skipped step since the
        last update, or grow after ``growth_interval`` clean steps."""
        if not self._enabled:
            return
        self._check_scale_initialized("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError("new_scale should be a float or a 1-element tensor with "
                                         f"requires_grad=False, got shape {tuple(new_scale.shape)} and "
                                         f"requires_grad={new_scale.requires_grad}")
                new_scale = new_scale.item()
            self._scale = float(new_scale)
        else:
            found = [s["found_inf"] for s in self._per_optimizer.values() if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = self._scale * self._growth_factor
                    if math.isfinite(float(np.float32(grown))):
                        self._scale = grown
                    self._growth_tracker = 0
            self._scale = float(np.float32(self._scale))  # PyTorch keeps the scale in a float32 tensor
        self._per_optimizer.clear()

    def _check_scale_initialized(self, name):
        if self._scale is None:
            raise AssertionError(f"Attempted {name} but _scale is None.  This may indicate your script did not "
                               "use scaler.scale(loss or outputs) earlier in the iteration.")

    def get_scale(self):
        """The current scale as a float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def state_dict(self):
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and ``_growth_tracker``
        (``{}`` when disabled), as PyTorch's keys."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale = self._init_scale
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker = self._init_growth_tracker

    def __getstate__(self):
        state = self.__dict__.copy()
        if self._enabled and self._per_optimizer:
            raise RuntimeError("A GradScaler instance may only be pickled at the beginning of an iteration, or "
                               "at the end after scaler.update().")
        state["_per_optimizer"] = {}
        return state
