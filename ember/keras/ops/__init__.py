"""Channels-last kernels that ``ember.keras`` layers call (``keras.ops``' role): NHWC convolution
and pooling. Everything else the layers need comes from ember's tensor ops and functional."""
from .conv import conv2d, conv2d_transpose, depthwise_conv2d, conv_output_length, deconv_output_length
from .pooling import max_pool2d, avg_pool2d

__all__ = ["conv2d", "conv2d_transpose", "depthwise_conv2d", "max_pool2d", "avg_pool2d",
           "conv_output_length", "deconv_output_length"]
