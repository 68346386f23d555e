"""torchvision's model API: weights enums, ``get_model``/``list_models``, and the offline rule.

ember builds every architecture with ``weights=None``. Pretrained weights would be downloaded
from the internet as pickled ``.pth`` files, and ember neither downloads at model construction
nor unpickles, so a ``weights=`` (or ``pretrained=True``) argument raises an error saying how
to load a converted state_dict instead.
"""
import enum

_MODELS = {}


class Weights:
    """A pretrained-weights entry: its name and the preprocessing its model expects."""

    def __init__(self, name, meta=None):
        self.name, self.url, self.meta = name, None, dict(meta or {})

    def transforms(self, crop_size=224, resize_size=256):
        from ..transforms import Compose, Resize, CenterCrop, ToTensor, Normalize
        return Compose([Resize(resize_size), CenterCrop(crop_size), ToTensor(),
                        Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])


class WeightsEnum(enum.Enum):
    """Base of the ``<Model>_Weights`` enums (``ResNet18_Weights.DEFAULT`` ...)."""

    @classmethod
    def verify(cls, obj):
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            return cls[obj.replace(cls.__name__ + ".", "")]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received {type(obj).__name__}.")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._value_, name)

    def transforms(self, *args, **kwargs):
        return self.value.transforms(*args, **kwargs)


def weights_enum(class_name, *names):
    """A ``WeightsEnum`` subclass with the given members, the first one also as ``DEFAULT``."""
    members = {n: Weights(n) for n in names}
    cls = WeightsEnum(class_name, members)
    cls.DEFAULT = cls[names[0]]
    return cls


def check_offline(builder, weights, kwargs):
    """Refuse pretrained weights (``weights=...`` or the old ``pretrained=True``) with a clear error."""
    pretrained = kwargs.pop("pretrained", False)
    kwargs.pop("progress", None)
    if weights is None and not pretrained:
        return
    what = f"weights={weights}" if weights is not None else "pretrained=True"
    raise RuntimeError(
        f"ember.vision.models.{builder}({what}): pretrained weights are not available: they are downloaded from "
        f"the internet as pickled .pth files, and ember neither downloads at model construction nor unpickles. "
        f"Build the model with weights=None and load a state_dict converted to safetensors: "
        f"model.load_state_dict(ember.load('{builder}.safetensors')). The state_dict keys are torchvision's.")


def register_model(fn):
    _MODELS[fn.__name__] = fn
    return fn


def list_models(module=None, include=None, exclude=None):
    """The names of the registered model builders (``'resnet18'`` ...), sorted."""
    import fnmatch
    names = sorted(_MODELS)
    if include:
        pats = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in pats)]
    if exclude:
        pats = [exclude] if isinstance(exclude, str) else exclude
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in pats)]
    return names


def get_model_builder(name):
    try:
        return _MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name}; available: {', '.join(list_models())}") from None


def get_model(name, **config):
    """Build the model ``name`` (``get_model("resnet18", num_classes=10)``)."""
    return get_model_builder(name)(**config)
