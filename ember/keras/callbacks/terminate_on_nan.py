"""``TerminateOnNaN``: stop training as soon as the loss is NaN or infinite."""
import math

from .callback import Callback


class TerminateOnNaN(Callback):
    """Stops training at a NaN or Inf loss: ``model.stop_training = True`` (the epoch's and training's end hooks
    still run), or with ``raise_error=True`` a RuntimeError at once, as Keras."""

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating "
                                   "training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
