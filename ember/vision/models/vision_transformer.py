"""Vision Transformer (Dosovitskiy et al., 2020): the image as a sequence of 16x16 (or 32x32,
14x14) patches, a class token, learned position embeddings and a pre-norm Transformer encoder.

``x = conv_proj(img)`` (patch embedding), ``z = [class_token, x] + pos_embedding``, then per
layer ``z = z + attn(ln_1(z))`` and ``z = z + mlp(ln_2(z))``; the logits are
``heads(ln(z)[:, 0])``. LayerNorm eps is 1e-6. torchvision's keys: ``conv_proj``,
``class_token``, ``encoder.pos_embedding``, ``encoder.layers.encoder_layer_0.ln_1`` ...,
``encoder.ln``, ``heads.head``.

>>> import ember
>>> from ember.vision import models
>>> vit = models.VisionTransformer(32, 16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16, num_classes=3)
>>> vit(ember.zeros(1, 3, 32, 32)).shape
ember.Size([1, 3])
"""
import collections
import functools
import math

import ember
from ... import nn
from ..ops import MLP
from ._api import overwrite_named_param, pretrained_weights, register_model, weights_enum, with_weights

__all__ = ["VisionTransformer", "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"]


class MLPBlock(MLP):
    """``Linear(in, mlp) GELU Dropout Linear(mlp, in) Dropout`` (keys ``0`` and ``3``)."""

    def __init__(self, in_dim, mlp_dim, dropout):
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None, dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, norm_layer):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads, dropout=attention_dropout,
                                                    batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        if input.dim() != 3:
            raise ValueError(f"EncoderBlock: expected (batch_size, seq_length, hidden_dim), got {tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                 norm_layer):
        super().__init__()
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(collections.OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                                                norm_layer)) for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, dropout=0.0,
                 attention_dropout=0.0, num_classes=1000, representation_size=None,
                 norm_layer=functools.partial(nn.LayerNorm, eps=1e-6), conv_stem_configs=None):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"VisionTransformer: image_size {image_size} is not divisible by patch_size {patch_size}")
        if conv_stem_configs is not None:
            raise NotImplementedError("VisionTransformer: conv_stem_configs is not supported in ember")
        self.image_size, self.patch_size, self.hidden_dim = image_size, patch_size, hidden_dim
        self.mlp_dim, self.attention_dropout, self.dropout = mlp_dim, attention_dropout, dropout
        self.num_classes, self.representation_size, self.norm_layer = num_classes, representation_size, norm_layer
        self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                               norm_layer)
        self.seq_length = seq_length
        heads = collections.OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        fan_in = 3 * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        if representation_size is not None:
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / hidden_dim))
            nn.init.zeros_(self.heads.pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        n, c, h, w = x.shape
        if h != self.image_size or w != self.image_size:
            raise ValueError(f"VisionTransformer: expected {self.image_size}x{self.image_size} images, "
                             f"got {h}x{w}")
        p = self.patch_size
        x = self.conv_proj(x)
        return x.reshape(n, self.hidden_dim, (h // p) * (w // p)).permute(0, 2, 1)

    def forward(self, x):
        x = self._process_input(x)
        x = ember.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.heads(self.encoder(x)[:, 0])


def _vit(name, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, weights, kwargs):
    weights = pretrained_weights(name, weights, kwargs)
    if weights is not None and "min_size" in weights.meta:   # the SWAG end-to-end weights are for 384+ pixels
        overwrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    model = VisionTransformer(kwargs.pop("image_size", 224), patch_size, num_layers, num_heads, hidden_dim, mlp_dim,
                              **kwargs)
    return with_weights(model, weights)


ViT_B_16_Weights = weights_enum("ViT_B_16_Weights", "IMAGENET1K_V1", "IMAGENET1K_SWAG_E2E_V1",
                                "IMAGENET1K_SWAG_LINEAR_V1")
ViT_B_32_Weights = weights_enum("ViT_B_32_Weights", "IMAGENET1K_V1")
ViT_L_16_Weights = weights_enum("ViT_L_16_Weights", "IMAGENET1K_V1", "IMAGENET1K_SWAG_E2E_V1",
                                "IMAGENET1K_SWAG_LINEAR_V1")
ViT_L_32_Weights = weights_enum("ViT_L_32_Weights", "IMAGENET1K_V1")
ViT_H_14_Weights = weights_enum("ViT_H_14_Weights", "IMAGENET1K_SWAG_E2E_V1", "IMAGENET1K_SWAG_LINEAR_V1")


@register_model
def vit_b_16(*, weights=None, progress=True, **kwargs):
    """ViT-B/16: 12 layers, 12 heads, width 768, MLP 3072; 86.6M parameters."""
    return _vit("vit_b_16", 16, 12, 12, 768, 3072, weights, kwargs)


@register_model
def vit_b_32(*, weights=None, progress=True, **kwargs):
    return _vit("vit_b_32", 32, 12, 12, 768, 3072, weights, kwargs)


@register_model
def vit_l_16(*, weights=None, progress=True, **kwargs):
    return _vit("vit_l_16", 16, 24, 16, 1024, 4096, weights, kwargs)


@register_model
def vit_l_32(*, weights=None, progress=True, **kwargs):
    return _vit("vit_l_32", 32, 24, 16, 1024, 4096, weights, kwargs)


@register_model
def vit_h_14(*, weights=None, progress=True, **kwargs):
    return _vit("vit_h_14", 14, 32, 16, 1280, 5120, weights, kwargs)
