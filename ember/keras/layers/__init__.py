"""Keras layers (``from ember.keras import layers``), channels-last, with Keras's names and defaults."""
from .layer import Layer
from .input_layer import Input, InputLayer
from .core import Dense, Embedding, Activation, Identity
from .reshaping import Flatten, Reshape, Permute, RepeatVector
from .regularization import Dropout, SpatialDropout1D, SpatialDropout2D, GaussianNoise
from .activations import ReLU, LeakyReLU, ELU, Softmax, PReLU
from .convolutional import Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from .pooling import (MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D)
from .normalization import BatchNormalization, LayerNormalization
from .merging import Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot
from .preprocessing import Rescaling, Normalization, RandomFlip, RandomRotation
from .rnn import RNN, SimpleRNN, LSTM, GRU, SimpleRNNCell, LSTMCell, GRUCell
from .wrappers import Bidirectional, TimeDistributed
from .attention import MultiHeadAttention
from .module_wrapper import TorchModuleWrapper

# Keras's aliases.
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
Convolution1D, Convolution2D, Conv2DTranspose = Conv1D, Conv2D, Conv2DTranspose


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


__all__ = ["Layer", "Input", "InputLayer", "Dense", "Embedding", "Activation", "Identity", "Flatten", "Reshape",
           "Permute", "RepeatVector", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "ReLU",
           "LeakyReLU", "ELU", "Softmax", "PReLU", "Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D",
           "SeparableConv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "BatchNormalization", "LayerNormalization", "Add", "Subtract", "Multiply", "Average", "Maximum",
           "Minimum", "Concatenate", "Dot", "Rescaling", "Normalization", "RandomFlip", "RandomRotation", "RNN",
           "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell", "Bidirectional", "TimeDistributed",
           "MultiHeadAttention", "TorchModuleWrapper", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "Convolution1D",
           "Convolution2D", "add", "concatenate", "multiply"]
