"""``SwapEMAWeights``: evaluate and predict with the optimizer's moving averages of the weights.

With an optimizer made with ``use_ema=True``, the model's weights and their exponential moving averages
are swapped at ``on_test_begin`` / ``on_predict_begin`` and swapped back at the end, so validation
inside ``fit`` (and ``evaluate``/``predict``) sees the averaged weights while training goes on with
the raw ones. ``swap_on_epoch=True`` also swaps at every epoch end (so checkpoints save the averages)
and back at the next epoch's start; after the last epoch the averages are set to the weights.
As in Keras 3, ``on_predict_end`` leaves the averages in the model.
"""
from .callback import Callback


class SwapEMAWeights(Callback):
    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizers(self):
        opt = self.model.optimizer
        opt = getattr(opt, "inner_optimizer", opt)
        inner = getattr(opt, "optimizers", None)
        candidates = [o for o in inner if getattr(o, "use_ema", False)] if inner is not None else [opt]
        if inner is not None and not candidates:
            raise ValueError("SwapEMAWeights must be used when at least one inner optimizer has `use_ema=True` "
                             "set. Received a MultiOptimizer with all inner optimizers having `use_ema=False`.")
        for o in candidates:
            if not getattr(o, "use_ema", False):
                raise ValueError(f"SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                                 f"Received: use_ema={getattr(o, 'use_ema', False)}")
        return candidates

    def _swap_variables(self):
        for opt in self._optimizers():
            for p in opt._params():
                avg = opt._ema.get(p)
                if avg is None:  # no step yet: the average is the weight itself
                    continue
                current = p._data.copy()
                p._data[...] = avg
                avg[...] = current
                p._bump()

    def _finalize_ema_values(self):
        for opt in self._optimizers():
            for p in opt._params():
                if p in opt._ema:
                    opt._ema[p][...] = p._data

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs=None):
        # Keras 3.15's condition, kept as is: after predict the averages stay in the model.
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False
