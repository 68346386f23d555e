"""``STFTSpectrogram``: the short-time Fourier transform of 1-D signals as a (trainable) layer.

The transform is two strided ``Conv1D`` s whose kernels start as the STFT's windowed cosines and sines
(``keras.initializers.STFT``: ``real_kernel`` / ``imag_kernel``, ``(frame_length, 1, fft_length // 2 + 1)``),
applied to each channel. ``mode``: ``'real'``, ``'imag'``, ``'angle'``, ``'stft'`` (real and imaginary
parts stacked), ``'psd'`` (power, inner bins doubled), ``'magnitude'`` or ``'log'`` (of the magnitude).
Input ``(batch, time, channels)`` (``channels_first``: ``(batch, channels, time)``); output
``(batch, frames, channels * bins)`` or, with ``expand_dims``, ``(batch, frames, bins, channels)``.
"""
import math
import warnings

from .. import backend
from .. import initializers as _init
from .. import ops as kops
from .layer import Layer

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann", periodic=False,
                 scaling="density", padding="valid", expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(f"`frame_step` should be a positive integer not greater than `frame_length`. "
                             f"Received frame_step={frame_step}, frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"`fft_length` should be not less than `frame_length`. Received fft_length="
                             f"{fft_length}, frame_length={frame_length}")
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                          stacklevel=2)
        if mode not in _MODES:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(_MODES)}. Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received "
                             f"scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}")
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step, self.fft_length = mode, frame_length, frame_step, fft_length
        self._frame_step = frame_step or frame_length // 2
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window, self.periodic, self.scaling, self.padding = window, periodic, scaling, padding
        self.expand_dims = expand_dims
        self.data_format = backend.standardize_data_format(data_format)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self._add_weight("real_kernel", shape, _init.STFT("real", self.window, self.scaling, self.periodic))
        if self.mode != "real":
            self._add_weight("imag_kernel", shape, _init.STFT("imag", self.window, self.scaling, self.periodic))

    def _conv(self, inputs, kernel):
        last = self.data_format == "channels_last"
        if last:
            _, steps, channels = inputs.shape
            x = kops.reshape(kops.transpose(inputs, (0, 2, 1)), (-1, steps, 1))
        else:
            _, channels, steps = inputs.shape
            x = kops.reshape(inputs, (-1, 1, steps))
        y = kops.conv(x, kernel, strides=self._frame_step, padding=self.padding, data_format=self.data_format)
        if last:
            y = kops.transpose(y, (0, 2, 1))
        return kops.reshape(y, (-1, channels, y.shape[1], y.shape[2]))  # (batch, channels, bins, frames)

    def _adjust(self, y):
        _, channels, bins, frames = y.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return kops.transpose(y, (0, 3, 2, 1))
            return kops.transpose(kops.reshape(y, (-1, channels * bins, frames)), (0, 2, 1))
        if self.expand_dims:
            return kops.transpose(y, (0, 1, 3, 2))
        return kops.reshape(y, (-1, channels * bins, frames))

    def call(self, inputs):
        if inputs.dtype.name not in ("float16", "float32", "float64"):
            raise TypeError(f"Invalid input type. Expected `float16`, `float32` or `float64`. Received: input "
                            f"type={inputs.dtype.name}")
        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._adjust(real)
        if self.mode == "imag":
            return self._adjust(imag)
        if self.mode == "angle":
            return self._adjust(kops.arctan2(imag, real))
        if self.mode == "stft":
            return self._adjust(kops.concatenate([real, imag], axis=2))
        power = real * real + imag * imag
        if self.mode == "psd":
            return self._adjust(power + kops.pad(power[:, :, 1:-1, :], [[0, 0], [0, 0], [1, 1], [0, 0]]))
        magnitude = self._adjust(kops.sqrt(kops.maximum(power, backend.epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return kops.log(kops.maximum(magnitude, backend.epsilon()))

    def compute_output_shape(self, input_shape):
        last = self.data_format == "channels_last"
        channels, steps = (input_shape[-1], input_shape[1]) if last else (input_shape[1], input_shape[-1])
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if steps is None:
            frames = None
        elif self.padding == "same":
            frames = -(-steps // self._frame_step)
        else:
            frames = (steps - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            return (input_shape[0], frames, bins, channels) if last else (input_shape[0], channels, frames, bins)
        return (input_shape[0], frames, bins * channels) if last else (input_shape[0], bins * channels, frames)

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, frame_length=self.frame_length, frame_step=self.frame_step,
                      fft_length=self.fft_length, window=self.window, periodic=self.periodic, scaling=self.scaling,
                      padding=self.padding, data_format=self.data_format, expand_dims=self.expand_dims)
        return config
