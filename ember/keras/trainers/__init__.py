"""The training machinery behind ``Model.compile/fit/evaluate/predict``: the trainer, the compiled loss and
metrics, and the data adapters."""
