"""Swin Transformer V1 and V2 (Liu et al., 2021 and 2022), torchvision's layout: a patch
embedding (``features.0``), four stages of Swin blocks separated by patch merging, a final
LayerNorm and a linear ``head``; activations are channels-last ``(B, H, W, C)`` throughout.

A Swin block attends within non-overlapping ``window_size`` windows, every second block on
windows shifted by half a window (with a mask so tokens that wrapped around do not attend to
each other), adding a learned relative position bias. V2 uses scaled cosine attention
(``cos(q, k) * exp(min(logit_scale, log 100))``), a small MLP (``cpb_mlp``) for the position
bias, and post-norm residual blocks.

>>> import ember
>>> from ember.vision import models
>>> models.swin_t(num_classes=10).eval()(ember.zeros(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""
import functools
import math

import numpy as np

from ... import cat, clamp, from_numpy, log, nn, ones, roll, sigmoid, zeros
from ...nn import functional as F
from ..ops import MLP, Permute, StochasticDepth
from ._api import pretrained_weights, register_model, weights_enum, with_weights

__all__ = ["SwinTransformer", "swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b", "Swin_T_Weights",
           "Swin_S_Weights", "Swin_B_Weights", "Swin_V2_T_Weights", "Swin_V2_S_Weights", "Swin_V2_B_Weights"]


def _patch_merging_pad(x):
    """(..., H, W, C) -> (..., H/2, W/2, 4C): each 2x2 patch's four pixels side by side."""
    h, w = x.shape[-3], x.shape[-2]
    x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    return cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], -1)


def _get_relative_position_bias(relative_position_bias_table, relative_position_index, window_size):
    n = window_size[0] * window_size[1]
    bias = relative_position_bias_table[relative_position_index].reshape(n, n, -1)
    return bias.permute(2, 0, 1).unsqueeze(0)


class PatchMerging(nn.Module):
    """Halve the resolution and double the width: ``reduction(norm(merge 2x2 patches))``."""

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x):
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """V2's patch merging: ``norm(reduction(merge 2x2 patches))``."""

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x):
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _shift_mask(pad_h, pad_w, window_size, shift_size, num_windows):
    """-100 between tokens of one window that came from different regions before the shift, else 0."""
    mask = np.zeros((pad_h, pad_w))
    h_slices = ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None))
    w_slices = ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None))
    count = 0
    for h in h_slices:
        for w in w_slices:
            mask[h[0]:h[1], w[0]:w[1]] = count
            count += 1
    mask = mask.reshape(pad_h // window_size[0], window_size[0], pad_w // window_size[1], window_size[1])
    mask = mask.transpose(0, 2, 1, 3).reshape(num_windows, window_size[0] * window_size[1])
    diff = mask[:, None, :] - mask[:, :, None]
    return np.where(diff != 0, -100.0, 0.0)


def shifted_window_attention(input, qkv_weight, proj_weight, relative_position_bias, window_size, num_heads,
                             shift_size, attention_dropout=0.0, dropout=0.0, qkv_bias=None, proj_bias=None,
                             logit_scale=None, training=True):
    """Multi-head self-attention within (shifted) windows of a ``(B, H, W, C)`` input, padded to
    whole windows; torchvision.models.swin_transformer.shifted_window_attention."""
    b, h, w, c = input.shape
    pad_r = (window_size[1] - w % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - h % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    pad_h, pad_w = x.shape[1], x.shape[2]
    shift_size = list(shift_size)
    if window_size[0] >= pad_h:   # one window covers the map: nothing to shift
        shift_size[0] = 0
    if window_size[1] >= pad_w:
        shift_size[1] = 0
    if sum(shift_size) > 0:
        x = roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    num_windows = (pad_h // window_size[0]) * (pad_w // window_size[1])
    x = x.reshape(b, pad_h // window_size[0], window_size[0], pad_w // window_size[1], window_size[1], c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b * num_windows, window_size[0] * window_size[1], c)
    if logit_scale is not None and qkv_bias is not None:
        # V2 has no key bias: the middle third of the qkv bias is held at zero
        length = qkv_bias.numel() // 3
        keep = np.ones(qkv_bias.numel())
        keep[length:2 * length] = 0
        qkv_bias = qkv_bias * from_numpy(keep).to(qkv_bias.dtype)
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.shape[0], x.shape[1], 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        attn = (q * (c // num_heads) ** -0.5).matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias
    if sum(shift_size) > 0:
        mask = from_numpy(_shift_mask(pad_h, pad_w, window_size, shift_size, num_windows)).to(attn.dtype)
        n = x.shape[1]
        attn = attn.reshape(x.shape[0] // num_windows, num_windows, num_heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.reshape(-1, num_heads, n, n)
    attn = F.dropout(F.softmax(attn, dim=-1), p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.shape[0], x.shape[1], c)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)
    x = x.reshape(b, pad_h // window_size[0], pad_w // window_size[1], window_size[0], window_size[1], c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, pad_h, pad_w, c)
    if sum(shift_size) > 0:
        x = roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :h, :w, :]


def _relative_position_index(window_size):
    """For each pair of tokens in a window, the row of their offset in the bias table."""
    coords = np.stack(np.meshgrid(np.arange(window_size[0]), np.arange(window_size[1]), indexing="ij")).reshape(2, -1)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)
    rel[:, :, 0] += window_size[0] - 1
    rel[:, :, 1] += window_size[1] - 1
    rel[:, :, 0] *= 2 * window_size[1] - 1
    return from_numpy(rel.sum(-1).reshape(-1).astype(np.int64))


class ShiftedWindowAttention(nn.Module):
    def __init__(self, dim, window_size, shift_size, num_heads, qkv_bias=True, proj_bias=True, attention_dropout=0.0,
                 dropout=0.0):
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size, self.shift_size, self.num_heads = window_size, shift_size, num_heads
        self.attention_dropout, self.dropout = attention_dropout, dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self):
        self.relative_position_bias_table = nn.Parameter(
            zeros((2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self):
        self.register_buffer("relative_position_index", _relative_position_index(self.window_size))

    def get_relative_position_bias(self):
        return _get_relative_position_bias(self.relative_position_bias_table, self.relative_position_index,
                                           self.window_size)

    def forward(self, x):
        return shifted_window_attention(x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
                                        self.window_size, self.num_heads, shift_size=self.shift_size,
                                        attention_dropout=self.attention_dropout, dropout=self.dropout,
                                        qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    def __init__(self, dim, window_size, shift_size, num_heads, qkv_bias=True, proj_bias=True, attention_dropout=0.0,
                 dropout=0.0):
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias, proj_bias=proj_bias,
                         attention_dropout=attention_dropout, dropout=dropout)
        self.logit_scale = nn.Parameter(log(10 * ones((num_heads, 1, 1))))
        # continuous position bias: an MLP from the log-spaced offset to one bias per head
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            self.qkv.bias.data[length:2 * length] = 0

    def define_relative_position_bias_table(self):
        wh, ww = self.window_size
        hh = np.arange(-(wh - 1), wh, dtype=np.float32)
        hw = np.arange(-(ww - 1), ww, dtype=np.float32)
        table = np.stack(np.meshgrid(hh, hw, indexing="ij")).transpose(1, 2, 0)[None].copy()
        table[:, :, :, 0] /= wh - 1
        table[:, :, :, 1] /= ww - 1
        table *= 8
        table = np.sign(table) * np.log2(np.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", from_numpy(table.astype(np.float32)))

    def get_relative_position_bias(self):
        table = self.cpb_mlp(self.relative_coords_table).reshape(-1, self.num_heads)
        return 16 * sigmoid(_get_relative_position_bias(table, self.relative_position_index, self.window_size))

    def forward(self, x):
        return shifted_window_attention(x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
                                        self.window_size, self.num_heads, shift_size=self.shift_size,
                                        attention_dropout=self.attention_dropout, dropout=self.dropout,
                                        qkv_bias=self.qkv.bias, proj_bias=self.proj.bias,
                                        logit_scale=self.logit_scale, training=self.training)


class SwinTransformerBlock(nn.Module):
    """Pre-norm: ``x + drop(attn(norm1(x)))``, then ``x + drop(mlp(norm2(x)))``."""

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=4.0, dropout=0.0, attention_dropout=0.0,
                 stochastic_depth_prob=0.0, norm_layer=nn.LayerNorm, attn_layer=ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads, attention_dropout=attention_dropout,
                               dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None, dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x):
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Post-norm: ``x + drop(norm1(attn(x)))``, then ``x + drop(norm2(mlp(x)))``."""

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=4.0, dropout=0.0, attention_dropout=0.0,
                 stochastic_depth_prob=0.0, norm_layer=nn.LayerNorm, attn_layer=ShiftedWindowAttentionV2):
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio, dropout=dropout,
                         attention_dropout=attention_dropout, stochastic_depth_prob=stochastic_depth_prob,
                         norm_layer=norm_layer, attn_layer=attn_layer)

    def forward(self, x):
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    def __init__(self, patch_size, embed_dim, depths, num_heads, window_size, mlp_ratio=4.0, dropout=0.0,
                 attention_dropout=0.0, stochastic_depth_prob=0.1, num_classes=1000, norm_layer=None, block=None,
                 downsample_layer=PatchMerging):
        super().__init__()
        self.num_classes = num_classes
        block = block or SwinTransformerBlock
        norm_layer = norm_layer or functools.partial(nn.LayerNorm, eps=1e-5)
        layers = [nn.Sequential(nn.Conv2d(3, embed_dim, kernel_size=(patch_size[0], patch_size[1]),
                                          stride=(patch_size[0], patch_size[1])),
                                Permute([0, 2, 3, 1]), norm_layer(embed_dim))]
        total, block_id = sum(depths), 0
        for i_stage in range(len(depths)):
            stage, dim = [], embed_dim * 2 ** i_stage
            for i_layer in range(depths[i_stage]):
                sd_prob = stochastic_depth_prob * float(block_id) / (total - 1)
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else w // 2 for w in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout, attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


_ARCHS = {  # name -> (embed_dim, depths, num_heads, window_size, stochastic_depth_prob, v2)
    "swin_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], [7, 7], 0.2, False),
    "swin_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], [7, 7], 0.3, False),
    "swin_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], [7, 7], 0.5, False),
    "swin_v2_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], [8, 8], 0.2, True),
    "swin_v2_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], [8, 8], 0.3, True),
    "swin_v2_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], [8, 8], 0.5, True),
}
Swin_T_Weights = weights_enum("Swin_T_Weights", "IMAGENET1K_V1")
Swin_S_Weights = weights_enum("Swin_S_Weights", "IMAGENET1K_V1")
Swin_B_Weights = weights_enum("Swin_B_Weights", "IMAGENET1K_V1")
Swin_V2_T_Weights = weights_enum("Swin_V2_T_Weights", "IMAGENET1K_V1")
Swin_V2_S_Weights = weights_enum("Swin_V2_S_Weights", "IMAGENET1K_V1")
Swin_V2_B_Weights = weights_enum("Swin_V2_B_Weights", "IMAGENET1K_V1")


def _swin(arch, weights, kwargs):
    weights = pretrained_weights(arch, weights, kwargs)
    embed_dim, depths, heads, window, sd_prob, v2 = _ARCHS[arch]
    if v2:
        kwargs.setdefault("block", SwinTransformerBlockV2)
        kwargs.setdefault("downsample_layer", PatchMergingV2)
    model = SwinTransformer(patch_size=[4, 4], embed_dim=embed_dim, depths=depths, num_heads=heads,
                            window_size=window, stochastic_depth_prob=sd_prob, **kwargs)
    return with_weights(model, weights)


@register_model
def swin_t(*, weights=None, progress=True, **kwargs):
    """Swin-T, 28.3M parameters."""
    return _swin("swin_t", weights, kwargs)


@register_model
def swin_s(*, weights=None, progress=True, **kwargs):
    """Swin-S, 49.6M parameters."""
    return _swin("swin_s", weights, kwargs)


@register_model
def swin_b(*, weights=None, progress=True, **kwargs):
    """Swin-B, 87.8M parameters."""
    return _swin("swin_b", weights, kwargs)


@register_model
def swin_v2_t(*, weights=None, progress=True, **kwargs):
    """Swin V2-T, 28.4M parameters."""
    return _swin("swin_v2_t", weights, kwargs)


@register_model
def swin_v2_s(*, weights=None, progress=True, **kwargs):
    """Swin V2-S, 49.7M parameters."""
    return _swin("swin_v2_s", weights, kwargs)


@register_model
def swin_v2_b(*, weights=None, progress=True, **kwargs):
    """Swin V2-B, 87.9M parameters."""
    return _swin("swin_v2_b", weights, kwargs)
