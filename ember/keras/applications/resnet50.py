"""``keras.applications.resnet50``: ResNet50 and its input/label helpers (the same as in :mod:`.resnet`)."""
from .resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401
