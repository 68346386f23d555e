"""``keras.utils.FeatureSpace``: one object that preprocesses a dict of structured-data columns.

Each feature is a column of shape ``(batch, 1)`` (a ``(batch,)`` column gets the trailing axis, a scalar
is a batch of one) with a preprocessor and an output mode:

======================  ===================================  ==============================================
feature                 preprocessor                         encoded as
======================  ===================================  ==============================================
``float``               identity                             the float value
``float_rescaled``      ``Rescaling(scale, offset)``         ``x * scale + offset``
``float_normalized``    ``Normalization(axis=-1)``, adapted  ``(x - mean) / sqrt(var)``
``float_discretized``   ``Discretization(num_bins)``         one-hot over ``num_bins`` (or the bin index)
``integer_categorical`` ``IntegerLookup``, adapted           one-hot over the vocabulary (OOV index 0 first,
``string_categorical``  ``StringLookup``, adapted            then the most frequent values), or the index
``*_hashed``            ``Hashing(num_bins)``                one-hot over ``num_bins``
======================  ===================================  ==============================================

``crosses`` hash the preprocessed values of several features together (``HashedCrossing(crossing_dim)``),
one-hot encoded. ``output_mode='concat'`` (default) returns one float32 tensor: the features in sorted
name order, then the crosses in sorted name order, concatenated on the last axis; ``'dict'`` returns
them by name. ``adapt`` takes a dict of arrays/lists (or an iterable of such dict batches) and fits every
adaptable preprocessor on its column. The encoders are Keras's (one-hot here is Keras's ``multi_hot``
``CategoryEncoding`` over a ``(batch, 1)`` column, the same vectors).

>>> import numpy as np
>>> from ember import keras
>>> fs = keras.utils.FeatureSpace({"x": "float_normalized", "c": "integer_categorical"})
>>> fs.adapt({"x": np.array([1.0, 3.0]), "c": np.array([5, 5])})
>>> np.asarray(fs({"x": np.array([1.0]), "c": np.array([5])}))   # c one-hot [OOV, 5], then x
array([[ 0.,  1., -1.]], dtype=float32)
"""
import numpy as np

from ...autograd.tensor import Tensor, make
from .. import layers
from ..graph import any_symbolic
from ..layers.layer import Layer
from ..saving import serialization_lib


def _auto_name(prefix):
    from ..backend import get_uid
    return f"{prefix}_{get_uid(prefix)}"


class Cross:
    """Features hashed together into ``crossing_dim`` bins (``output_mode`` 'one_hot' or 'int')."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {{'int', 'one_hot'}}. "
                             f"Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One column: its input ``dtype``, its ``preprocessor`` layer and its ``output_mode``
    ('int', 'one_hot' or 'float')."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of "
                             f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = serialization_lib.deserialize_keras_object(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        preprocessor = serialization_lib.serialize_keras_object(self.preprocessor)
        if isinstance(self.preprocessor, (layers.IntegerLookup, layers.StringLookup)) and \
                preprocessor["config"].get("vocabulary") is None:
            # An adapted vocabulary is data, not a weight: the config carries it so a reload encodes the same.
            vocabulary = self.preprocessor.get_vocabulary(include_special_tokens=False)
            preprocessor["config"]["vocabulary"] = [v.item() if hasattr(v, "item") else v for v in vocabulary]
        return {"dtype": self.dtype, "preprocessor": preprocessor, "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class TFDIdentity(Layer):
    """The ``float`` feature's preprocessor (Keras's name for it in saved configs)."""

    def call(self, inputs):
        return inputs


def _numpy(x):
    if isinstance(x, Tensor):
        return x._data
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _column(values):
    x = _numpy(values)
    if x.dtype.kind == "U" or x.dtype.kind == "S":
        x = x.astype(object)
    return x[:, None] if x.ndim == 1 else x


class FeatureSpace(Layer):
    """Preprocess a dict of feature columns (see the module docstring).

    Args:
        features: dict of name -> a ``Feature`` (from the class methods) or one of the names 'float',
            'float_rescaled', 'float_normalized', 'float_discretized', 'integer_categorical',
            'string_categorical', 'integer_hashed', 'string_hashed'.
        output_mode: 'concat' (one tensor) or 'dict'.
        crosses: ``Cross`` objects or tuples of feature names (crossed into ``crossing_dim`` bins).
        hashing_dim, num_discretization_bins: the sizes used by the string feature names.
    """

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or _auto_name("float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or _auto_name("float_rescaled")
        return Feature("float32", layers.Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or _auto_name("float_normalized")
        return Feature("float32", layers.Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or _auto_name("float_discretized")
        return Feature("float32", layers.Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                                        name=f"{name}_preprocessor"), output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        name = name or _auto_name("integer_categorical")
        return Feature("int32", layers.IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                                     num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        name = name or _auto_name("string_categorical")
        return Feature("string", layers.StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                                     num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or _auto_name("string_hashed")
        return Feature("string", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or _auto_name("integer_hashed")
        return Feature("int32", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
                 num_discretization_bins=32, name=None):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.__dict__["features"] = {n: self._standardize_feature(n, v) for n, v in features.items()}
        crosses_list = []
        for cross in crosses or []:
            if isinstance(cross, dict):
                cross = Cross.from_config(cross.get("config", cross))
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError("When specifying `crosses`, the argument `crossing_dim` (dimensionality of "
                                     "the crossing space) should be specified as well.")
                unknown = [k for k in cross if k not in features]
                if unknown:
                    raise ValueError("All features referenced in the `crosses` argument should be present in "
                                     f"the `features` dict. Received unknown features: {cross}")
                cross = Cross(cross, crossing_dim=crossing_dim)
            crosses_list.append(cross)
        self.__dict__["crosses"] = crosses_list
        if output_mode not in {"dict", "concat"}:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {{'dict', 'concat'}}. "
                             f"Received: output_mode={output_mode}")
        self.output_mode = output_mode
        for n, feature in self.features.items():   # registered so that they save and count as sublayers
            setattr(self, f"preprocessor_{n}", feature.preprocessor)
        self.__dict__["crossers"] = {c.name: layers.HashedCrossing(c.crossing_dim, name=c.name)
                                     for c in self.crosses}
        self.__dict__["inputs"] = None
        self.__dict__["encoded_features"] = None
        self._is_adapted = False

    @property
    def preprocessors(self):
        return {n: f.preprocessor for n, f in self.features.items()}

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature.get("config", feature))
        makers = {"float": lambda: self.float(name=name), "float_normalized": lambda: self.float_normalized(name),
                  "float_rescaled": lambda: self.float_rescaled(name=name),
                  "float_discretized": lambda: self.float_discretized(self.num_discretization_bins, name=name),
                  "integer_categorical": lambda: self.integer_categorical(name=name),
                  "string_categorical": lambda: self.string_categorical(name=name),
                  "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
                  "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name)}
        if feature not in makers:
            raise ValueError(f"Invalid feature type: {feature}")
        return makers[feature]()

    # -- adapting ----------------------------------------------------------------------------
    def _adaptable(self):
        names = []
        for n, p in self.preprocessors.items():
            if isinstance(p, layers.Normalization) and p.input_mean is not None:
                continue   # preset mean/variance
            if isinstance(p, layers.Discretization) and p.bin_boundaries is not None:
                continue
            if isinstance(p, (layers.IntegerLookup, layers.StringLookup)) and p.vocabulary_size() > \
                    p.num_oov_indices + (1 if getattr(p, "mask_token", None) is not None else 0):
                continue   # given a vocabulary
            if hasattr(p, "adapt"):
                names.append(n)
        return names

    def adapt(self, dataset):
        """Fit the adaptable preprocessors: ``dataset`` is a dict of arrays/lists or an iterable of dict
        batches (each column reshaped to ``(n, 1)``)."""
        if isinstance(dataset, dict):
            batches = [dataset]
        elif hasattr(dataset, "__iter__") and not isinstance(dataset, (str, bytes)):
            batches = list(dataset)
            if not batches or not all(isinstance(b, dict) for b in batches):
                raise ValueError("FeatureSpace.adapt(): expected a dict of arrays/lists or an iterable of dict "
                                 f"batches; got {type(dataset).__name__} of {[type(b).__name__ for b in batches[:3]]}")
        else:
            raise ValueError("`adapt()` can only be called on a dataset or a dict of arrays/lists. "
                             f"Received instead: {dataset} (of type {type(dataset)})")
        for n in self._adaptable():
            column = np.concatenate([_column(b[n]) for b in batches], axis=0)
            self.preprocessors[n].adapt(column)
        self._is_adapted = True
        self.built = True

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
                                 "using it.")
            self._is_adapted = True

    # -- encoding ----------------------------------------------------------------------------
    def _cardinality(self, name, preprocessor):
        if isinstance(preprocessor, (layers.IntegerLookup, layers.StringLookup)):
            return preprocessor.vocabulary_size()
        if isinstance(preprocessor, layers.CategoryEncoding):
            return preprocessor.num_tokens
        if isinstance(preprocessor, layers.Discretization):
            return preprocessor.num_bins if preprocessor.num_bins is not None else \
                len(preprocessor.bin_boundaries) + 1
        if isinstance(preprocessor, (layers.HashedCrossing, layers.Hashing)):
            return preprocessor.num_bins
        raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature and "
                         "the dimensionality of its output space is not known, thus it cannot be one-hot "
                         "encoded. Try using `output_mode='int'`.")

    def _encode(self, data):
        processed = {n: _numpy(self.preprocessors[n](data[n])) for n in self.features}
        crossed = {c.name: _numpy(self.crossers[c.name]([processed[f] for f in c.feature_names]))
                   for c in self.crosses}
        out = {}
        specs = [(n, processed[n], self.features[n], self.preprocessors[n]) for n in sorted(processed)] + \
            [(n, crossed[n], c, self.crossers[n]) for n, c in sorted((c.name, c) for c in self.crosses)]
        for n, value, spec, preprocessor in specs:
            if spec.output_mode == "one_hot":
                if value.dtype.kind not in "iu":
                    raise ValueError(f"Feature '{n}' has `output_mode='one_hot'`. Thus its preprocessor should "
                                     f"return an integer dtype. Instead it returns a {value.dtype} dtype.")
                depth = self._cardinality(n, preprocessor)
                value = _numpy(layers.CategoryEncoding(num_tokens=depth, output_mode="multi_hot")(value))
            out[n] = value
        return out

    def __call__(self, data):
        if any_symbolic(data):
            return Layer.__call__(self, data)
        self._check_if_adapted()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict. Received: data={data} "
                             f"(of type {type(data)}")
        missing = [n for n in self.features if n not in data]
        if missing:
            raise ValueError(f"FeatureSpace: the data has no column for feature(s) {missing}; got keys "
                             f"{sorted(data)}")
        columns, rebatched = {}, False
        for n in self.features:
            x = _numpy(data[n])
            if x.dtype.kind in "US":
                x = x.astype(object)
            if x.ndim == 0:
                x, rebatched = x.reshape(1, 1), True
            elif x.ndim == 1:
                x = x[:, None]
            columns[n] = x
        encoded = self._encode(columns)
        if self.output_mode == "dict":
            result = {}
            for n, v in encoded.items():
                if rebatched and v.ndim == 2 and v.shape[0] == 1:
                    v = v[0]
                result[n] = make(v)
            return result
        for n, v in encoded.items():
            if v.dtype.kind in "iuOUS":
                raise ValueError(f"Cannot concatenate features because feature '{n}' has not been encoded (it has "
                                 f"dtype {v.dtype}). Consider using `output_mode='dict'`.")
        merged = np.concatenate([np.asarray(encoded[n], np.float32) for n in encoded], axis=-1)
        return make(merged[0] if rebatched else merged)

    def call(self, data):
        return self.__call__(data)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "dict":
            return {n: shape for n, (shape, _) in self._encoded_specs().items()}
        return (None, self._encoded_size())

    def _output_spec(self, args, kwargs):
        # Known without running the preprocessors (string columns have no placeholder values).
        specs = self._encoded_specs()
        if self.output_mode == "dict":
            return specs
        for n, (_, dtype) in specs.items():
            if dtype.startswith("int"):
                raise ValueError(f"Cannot concatenate features because feature '{n}' has not been encoded (it has "
                                 f"dtype {dtype}). Consider using `output_mode='dict'`.")
        return ((None, self._encoded_size()), "float32")

    def _encoded_specs(self):
        """``{name: ((None, width), dtype)}`` of each encoded feature and cross, in Keras's order: a one-hot
        encoding is float32 over its cardinality, an ``int`` one the preprocessor's integer index, a float
        feature its float column."""
        self._check_if_adapted()
        specs = {}
        for n in sorted(self.features):
            f = self.features[n]
            if f.output_mode == "one_hot":
                specs[n] = ((None, self._cardinality(n, f.preprocessor)), "float32")
            elif f.output_mode == "int":
                specs[n] = ((None, 1), "int64")
            else:
                specs[n] = ((None, 1), f.dtype if f.dtype.startswith("float") else "float32")
        for c in sorted(self.crosses, key=lambda c: c.name):
            specs[c.name] = ((None, c.crossing_dim), "float32") if c.output_mode == "one_hot" else \
                ((None, 1), "int64")
        return specs

    def _encoded_size(self):
        self._check_if_adapted()
        size = 0
        for n, f in self.features.items():
            size += self._cardinality(n, f.preprocessor) if f.output_mode == "one_hot" else 1
        for c in self.crosses:
            size += c.crossing_dim if c.output_mode == "one_hot" else 1
        return size

    def get_inputs(self):
        """The dict of ``keras.Input`` (shape ``(1,)``, the feature's dtype), one per feature."""
        self._check_if_adapted()
        if self.inputs is None:
            from ..layers.input_layer import Input
            self.__dict__["inputs"] = {n: Input(shape=(1,), dtype=f.dtype, name=n) for n, f in self.features.items()}
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of ``get_inputs()``: one symbolic ``(None, size)`` float32 tensor, or with
        ``output_mode='dict'`` a dict of them by name (one-hot float32, ``int`` indices int64, floats), as Keras.
        ``keras.Model(get_inputs(), f(encoded))`` takes the raw feature dict; ``keras.Model(encoded,
        f(encoded))`` takes already encoded features (what calling the FeatureSpace gives)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            self.__dict__["encoded_features"] = Layer.__call__(self, self.get_inputs())
        return self.encoded_features

    # -- saving ------------------------------------------------------------------------------
    def get_config(self):
        return {"name": self.name,
                "features": {n: {"module": "keras.src.layers.preprocessing.feature_space", "class_name": "Feature",
                                 "config": f.get_config(), "registered_name": "Feature"}
                             for n, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [{"module": "keras.src.layers.preprocessing.feature_space", "class_name": "Cross",
                             "config": c.get_config(), "registered_name": "Cross"} for c in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {n: f.preprocessor.get_build_config() for n, f in self.features.items()}

    def build_from_config(self, config):
        for n, build in (config or {}).items():
            preprocessor = self.features[n].preprocessor
            if not preprocessor.built and build:
                preprocessor.build_from_config(build)
        self._is_adapted = True
        self.built = True

    def save(self, filepath):
        """Save to a ``.keras`` file (``keras.models.load_model`` reloads it, adapted state included)."""
        from ..saving import save_model
        save_model(self, filepath)
