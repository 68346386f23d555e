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
from .preprocessing_categorical import CategoryEncoding, Discretization, Hashing
from .preprocessing_text import StringLookup, IntegerLookup, TextVectorization
from .preprocessing_image import (Resizing, CenterCrop, AutoContrast, RandomCrop, RandomZoom, RandomTranslation,
                                  RandomContrast, RandomBrightness)
from .rnn import RNN, SimpleRNN, LSTM, GRU, SimpleRNNCell, LSTMCell, GRUCell
from .wrappers import Bidirectional, TimeDistributed
from .attention import MultiHeadAttention
from .module_wrapper import TorchModuleWrapper
from .convolutional_nd import Conv3D, Conv1DTranspose, Conv3DTranspose, DepthwiseConv1D, SeparableConv1D
from .reshaping_more import (UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
                             Cropping1D, Cropping2D, Cropping3D)
from .pooling3d import MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D, GlobalAveragePooling3D
from .normalization_more import GroupNormalization, UnitNormalization, SpectralNormalization, RMSNormalization
from .input_spec import InputSpec, serialize, deserialize
from .rnn_cells import StackedRNNCells
from .conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from .attention_layers import Attention, AdditiveAttention, GroupQueryAttention
from .core_more import EinsumDense, Lambda, Masking, ActivityRegularization, Wrapper
from .regularization_more import AlphaDropout, GaussianDropout, SpatialDropout3D
from .merging_functions import subtract, average, maximum, minimum, dot
from .preprocessing_color import (RandomGrayscale, RandomInvert, Solarization, RandomPosterization,
                                  RandomColorDegeneration, RandomSaturation, RandomHue, RandomSharpness,
                                  Equalization, RandomGaussianBlur)
from .pipeline import Pipeline
from .preprocessing_mix import MixUp, CutMix, RandomErasing
from .max_num_bounding_boxes import MaxNumBoundingBoxes
from .preprocessing_shear import RandomShear, RandomPerspective
from .preprocessing_crossing import HashedCrossing
from .preprocessing_compose import RandomColorJitter
from .preprocessing_spatial_more import RandomElasticTransform, ContrastLimitedAdaptiveHistogramEqualization
from .preprocessing_policies import RandAugment, AugMix
from .stft_spectrogram import STFTSpectrogram
from .mel_spectrogram import MelSpectrogram
from .reversible_embedding import ReversibleEmbedding
from .adaptive_pooling import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
                               AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)
MaxPool3D, AvgPool3D, GlobalMaxPool3D, GlobalAvgPool3D = (MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D,
                                                          GlobalAveragePooling3D)
Convolution3D, Convolution3DTranspose, Convolution2DTranspose = Conv3D, Conv3DTranspose, Conv2DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
Convolution1DTranspose = Conv1DTranspose

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
