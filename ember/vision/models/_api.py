"""torchvision's model API: weights enums, ``get_model``/``list_models``, and pretrained weights.

``resnet18(weights=ResNet18_Weights.DEFAULT)`` (or ``weights="DEFAULT"``, or the old
``pretrained=True``) downloads torchvision's own checkpoint from ``download.pytorch.org`` into
the hub cache (``ember.hub.get_dir()/checkpoints``, as torchvision does), checks the SHA-256
prefix in its file name, reads it without unpickling (:mod:`ember.io.torch_pickle`) and loads it:
ember's state_dict keys are torchvision's. Entries whose URL ember does not list raise an error
saying how to load a state dict by hand. Without a network the download fails naming the URL
and the cache path to put the file in.
"""
import enum
import re
from ._categories import categories_for

_BASE = "https://download.pytorch.org/models/"
# torchvision's checkpoint file per weights entry, and the resize its eval transform uses
# (the "V2" recipes resize to 232 before the 224 crop).
_FILES = {
    ("ResNet18_Weights", "IMAGENET1K_V1"): ("resnet18-f37072fd.pth", 256),
    ("ResNet34_Weights", "IMAGENET1K_V1"): ("resnet34-b627a593.pth", 256),
    ("ResNet50_Weights", "IMAGENET1K_V1"): ("resnet50-0676ba61.pth", 256),
    ("ResNet50_Weights", "IMAGENET1K_V2"): ("resnet50-11ad3fa6.pth", 232),
    ("ResNet101_Weights", "IMAGENET1K_V1"): ("resnet101-63fe2227.pth", 256),
    ("ResNet101_Weights", "IMAGENET1K_V2"): ("resnet101-cd907fc2.pth", 232),
    ("ResNet152_Weights", "IMAGENET1K_V1"): ("resnet152-394f9c45.pth", 256),
    ("ResNet152_Weights", "IMAGENET1K_V2"): ("resnet152-f82ba261.pth", 232),
    ("ResNeXt50_32X4D_Weights", "IMAGENET1K_V1"): ("resnext50_32x4d-7cdf4587.pth", 256),
    ("ResNeXt50_32X4D_Weights", "IMAGENET1K_V2"): ("resnext50_32x4d-1a0047aa.pth", 232),
    ("ResNeXt101_32X8D_Weights", "IMAGENET1K_V1"): ("resnext101_32x8d-8ba56ff5.pth", 256),
    ("ResNeXt101_32X8D_Weights", "IMAGENET1K_V2"): ("resnext101_32x8d-110c445d.pth", 232),
    ("Wide_ResNet50_2_Weights", "IMAGENET1K_V1"): ("wide_resnet50_2-95faca4d.pth", 256),
    ("Wide_ResNet50_2_Weights", "IMAGENET1K_V2"): ("wide_resnet50_2-9ba9bcbe.pth", 232),
    ("Wide_ResNet101_2_Weights", "IMAGENET1K_V1"): ("wide_resnet101_2-32ee1156.pth", 256),
    ("Wide_ResNet101_2_Weights", "IMAGENET1K_V2"): ("wide_resnet101_2-d733dc28.pth", 232),
    ("VGG11_Weights", "IMAGENET1K_V1"): ("vgg11-8a719046.pth", 256),
    ("VGG11_BN_Weights", "IMAGENET1K_V1"): ("vgg11_bn-6002323d.pth", 256),
    ("VGG13_Weights", "IMAGENET1K_V1"): ("vgg13-19584684.pth", 256),
    ("VGG13_BN_Weights", "IMAGENET1K_V1"): ("vgg13_bn-abd245e5.pth", 256),
    ("VGG16_Weights", "IMAGENET1K_V1"): ("vgg16-397923af.pth", 256),
    ("VGG16_BN_Weights", "IMAGENET1K_V1"): ("vgg16_bn-6c64b313.pth", 256),
    ("VGG19_Weights", "IMAGENET1K_V1"): ("vgg19-dcbb9e9d.pth", 256),
    ("VGG19_BN_Weights", "IMAGENET1K_V1"): ("vgg19_bn-c79401a0.pth", 256),
    ("AlexNet_Weights", "IMAGENET1K_V1"): ("alexnet-owt-7be5be79.pth", 256),
    ("SqueezeNet1_0_Weights", "IMAGENET1K_V1"): ("squeezenet1_0-b66bff10.pth", 256),
    ("SqueezeNet1_1_Weights", "IMAGENET1K_V1"): ("squeezenet1_1-b8a52dc0.pth", 256),
    ("MobileNet_V2_Weights", "IMAGENET1K_V1"): ("mobilenet_v2-b0353104.pth", 256),
    ("MobileNet_V2_Weights", "IMAGENET1K_V2"): ("mobilenet_v2-7ebf99e0.pth", 232),
    ("MobileNet_V3_Large_Weights", "IMAGENET1K_V1"): ("mobilenet_v3_large-8738ca79.pth", 256),
    ("MobileNet_V3_Large_Weights", "IMAGENET1K_V2"): ("mobilenet_v3_large-5c1a4163.pth", 232),
    ("MobileNet_V3_Small_Weights", "IMAGENET1K_V1"): ("mobilenet_v3_small-047dcff4.pth", 256),
    ("DenseNet121_Weights", "IMAGENET1K_V1"): ("densenet121-a639ec97.pth", 256),
}
from ._weights_more import FILES as _MORE_FILES  # noqa: E402  (the newer architectures' entries)

_FILES.update(_MORE_FILES)
# DenseNet checkpoints predate the module names: "denselayer1.norm.1.weight" is "denselayer1.norm1.weight".
_DENSENET_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")

_MODELS = {}


class Weights:
    """A pretrained-weights entry: its name, torchvision's URL (None where ember lists none),
    ``meta`` (``categories``, ``num_params``, ``min_size``, ``_metrics`` ... as torchvision's) and the
    preprocessing its model expects: resize to ``resize_size`` (with
    ``interpolation``), center-crop to ``crop_size`` (None: no crop, as for segmentation), scale
    to [0, 1] and normalise with ``mean`` / ``std``."""

    def __init__(self, name, meta=None, url=None, resize_size=256, crop_size=224, interpolation="bilinear",
                 mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
        self.name, self.url, self.meta, self.resize_size = name, url, dict(meta or {}), resize_size
        self.crop_size, self.interpolation, self.mean, self.std = crop_size, interpolation, tuple(mean), tuple(std)

    def transforms(self, crop_size=None, resize_size=None):
        from ..transforms import Compose, Resize, CenterCrop, ToTensor, Normalize, InterpolationMode
        crop = self.crop_size if crop_size is None else crop_size
        steps = [Resize(self.resize_size if resize_size is None else resize_size,
                        interpolation=InterpolationMode(self.interpolation))]
        if crop is not None:
            steps.append(CenterCrop(crop))
        return Compose(steps + [ToTensor(), Normalize(self.mean, self.std)])

    def get_state_dict(self, progress=True, check_hash=True):
        """torchvision's checkpoint for this entry, from the hub cache or downloaded into it."""
        from ember import hub
        state = hub.load_state_dict_from_url(self.url, progress=progress, check_hash=check_hash)
        if self.url.rsplit("/", 1)[-1].startswith("densenet"):
            state = {(_DENSENET_KEY.sub(r"\1\2", k)): v for k, v in state.items()}
        return state


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
    members = {}
    for n in names:
        file, resize, *extra = _FILES.get((class_name, n), (None, 256))
        # a third item holds the entry's meta and its other preprocessing (crop, interpolation, mean/std)
        extra = dict(extra[0]) if extra else {}
        meta = dict(extra.pop("meta", None) or {})
        labels = categories_for(n)
        if labels is not None:
            meta.setdefault("categories", labels)
        members[n] = Weights(n, meta=meta, url=_BASE + file if file else None, resize_size=resize, **extra)
    cls = WeightsEnum(class_name, members)
    cls.DEFAULT = cls[names[0]]
    return cls


def pretrained_weights(builder, weights, kwargs):
    """The weights entry a builder was asked for (``weights=`` as an entry, its name or
    ``"DEFAULT"``; or the old ``pretrained=True``, torchvision's IMAGENET1K_V1), or None.

    Raises:
        RuntimeError: when ember lists no URL for the entry.
        ValueError: when ``num_classes`` differs from the checkpoint's 1000 classes.
    """
    pretrained = kwargs.pop("pretrained", False)
    kwargs.pop("progress", None)
    if weights is None and not pretrained:
        return None
    from ember.vision.models import get_model_weights
    try:
        enum_cls = get_model_weights(builder)
    except ValueError:
        enum_cls = None
    if enum_cls is not None:
        if weights is None:
            weights = enum_cls.__members__.get("IMAGENET1K_V1", enum_cls.DEFAULT)
        elif isinstance(weights, str):
            weights = enum_cls.DEFAULT if weights in ("DEFAULT", f"{enum_cls.__name__}.DEFAULT") else \
                enum_cls.verify(weights)
    url = getattr(weights, "url", None)
    if url is None:
        raise RuntimeError(
            f"ember.vision.models.{builder}(weights={weights}): ember does not list a download URL for these "
            f"weights. Build the model with weights=None and load a state dict yourself: "
            f"model.load_state_dict(ember.load('checkpoint.pth')) reads torchvision's .pth files (without "
            f"unpickling) and safetensors files; the state_dict keys are torchvision's.")
    num_classes = kwargs.get("num_classes", 1000)
    if num_classes != 1000:
        raise ValueError(f"ember.vision.models.{builder}: the parameter 'num_classes' expected value 1000 but got "
                         f"{num_classes} instead (pretrained weights have 1000 classes; replace the last layer "
                         f"after loading)")
    return weights


def overwrite_named_param(kwargs, param, new_value):
    """Set ``kwargs[param]`` to what the pretrained weights need, or raise ValueError when the
    caller asked for another value (torchvision's ``_ovewrite_named_param``)."""
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def with_weights(model, weights, progress=True):
    """``model`` with ``weights``'s state dict loaded (when ``weights`` is not None)."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress))
    return model


def register_model(fn):
    _MODELS[fn.__name__] = fn
    return fn


def list_models(module=None, include=None, exclude=None):
    """The names of the registered model builders (``'resnet18'`` ...), sorted; with ``module``
    (``models`` or ``models.segmentation``) only the builders defined directly in that package."""
    import fnmatch
    names = sorted(_MODELS)
    if module is not None:
        names = [n for n in names if _MODELS[n].__module__.rsplit(".", 1)[0] == module.__name__]
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
