"""Transformer layers: encoder and decoder layers, their stacks, and the full ``Transformer``.

Each layer is PyTorch's: attention and a feed-forward block
(``linear2(dropout(activation(linear1(x))))``), each wrapped in dropout, a residual
connection and LayerNorm: after the residual (``norm_first=False``, the original
"post-norm") or on the block's input (``norm_first=True``, "pre-norm")::

    post-norm: x = norm1(x + sa(x));          x = norm2(x + ff(x))
    pre-norm:  x = x + sa(norm1(x));          x = x + ff(norm2(x))

Submodule and ``state_dict`` names match PyTorch's (``self_attn``, ``linear1``, ``norm1`` ...).

>>> import ember
>>> from ember import nn
>>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
>>> encoder = nn.TransformerEncoder(layer, num_layers=2)
>>> encoder(ember.randn(2, 7, 16)).shape
ember.Size([2, 7, 16])
"""
import copy

import numpy as np

from ...autograd.tensor import Tensor
from ...functional import activation as _act
from ...functional._fuse import wrap
from ..module import Module
from ..containers import ModuleList
from .attention import MultiheadAttention
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm


def _get_activation(activation):
    if callable(activation):
        return activation
    if activation == "relu":
        return _act.relu
    if activation == "gelu":
        return _act.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def generate_square_subsequent_mask(sz, device=None, dtype=None):
    """The causal mask ``(sz, sz)``: ``-inf`` above the diagonal (future positions), 0 elsewhere."""
    from ...backend import dtypes as _dt
    d = (_dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)).numpy
    m = np.zeros((sz, sz), d)
    m[np.triu_indices(sz, 1)] = -np.inf
    return wrap(m)


def _detect_causal(mask, is_causal, size):
    if is_causal is None:
        is_causal = False
        if mask is not None and size is not None:
            m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
            ref = generate_square_subsequent_mask(size, dtype=None)._data
            if m.shape == ref.shape:
                is_causal = bool(np.array_equal(m.astype(ref.dtype) if m.dtype != np.bool_ else
                                                np.where(m, -np.inf, 0.0).astype(ref.dtype), ref))
    return is_causal


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with dropout, a residual and LayerNorm.

    Args:
        d_model: features of the input and output.
        nhead: attention heads.
        dim_feedforward: hidden width of the feed-forward block (default 2048).
        dropout: dropout probability (default 0.1).
        activation: ``'relu'`` (default), ``'gelu'`` or a callable.
        layer_norm_eps: LayerNorm epsilon (1e-5).
        batch_first: ``(N, S, E)`` instead of ``(S, N, E)``.
        norm_first: pre-norm (LayerNorm before each block) instead of post-norm.
        bias: biases in the linear layers and LayerNorms.

    forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False): masks as in
    :class:`MultiheadAttention`; returns the same shape as ``src``.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _get_activation(activation)
        # As PyTorch's: 1 for relu, 2 for gelu, 0 otherwise (the nested-tensor path needs 1 or 2).
        from .activation import ReLU, GELU
        act = self.activation
        self.activation_relu_or_gelu = (1 if act is _act.relu or isinstance(act, ReLU) else
                                        2 if act is _act.gelu or isinstance(act, GELU) else 0)
        self.batch_first = batch_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal and attn_mask is not None)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (``memory``), then a feed-forward block.

    Args: as :class:`TransformerEncoderLayer`.

    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False): returns ``tgt``'s shape.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first,
                                                 bias=bias, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _get_activation(activation)
        self.batch_first = batch_first

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=bool(is_causal) and attn_mask is not None, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=bool(is_causal) and attn_mask is not None, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _why_not_nested(layer):
    """Why PyTorch would not run a TransformerEncoder of ``layer`` through nested tensors ("" if it would)."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer was not TransformerEncoderLayer"
    if layer.norm_first:
        return "encoder_layer.norm_first was True"
    if not layer.self_attn.batch_first:
        return ("encoder_layer.self_attn.batch_first was not True"
                "(use batch_first for better inference performance)")
    if not layer.self_attn._qkv_same_embed_dim:
        return "encoder_layer.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return "encoder_layer.self_attn was passed bias=False"
    if not getattr(layer, "activation_relu_or_gelu", 0):
        return "encoder_layer.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return "encoder_layer.norm1.eps was not equal to encoder_layer.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return "encoder_layer.self_attn.num_heads is odd"
    return ""


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (deep copies), then an optional ``norm``.

    forward(src, mask=None, src_key_padding_mask=None, is_causal=None).

    Padded positions in inference (as PyTorch's nested-tensor path): when ``enable_nested_tensor``
    holds and the layer qualifies (post-norm, ``batch_first``, relu/gelu, an even number of heads,
    biases; otherwise a warning says why not, and ``use_nested_tensor`` is False), the input is
    batched ``(N, S, E)`` with a ``src_key_padding_mask`` whose padding is at the end of each row,
    no ``mask`` is given, the layers are in eval mode and no gradient is being recorded, PyTorch
    computes only the real positions and returns **zeros at the padded ones** (then ``norm``, so
    ``norm(0)`` there). ember gives the same output; ``torch.backends.mha.set_fastpath_enabled(False)``
    turns it off in both.

    >>> import ember
    >>> from ember import nn
    >>> enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1).eval()
    >>> pad = ember.tensor([[False, False, True]])
    >>> with ember.no_grad():
    ...     out = enc(ember.randn(1, 3, 8), src_key_padding_mask=pad)
    >>> out[0, 2].abs().sum().item()
    0.0
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            import warnings
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def _padded_positions(self, src, mask, src_key_padding_mask):
        """The ``(N, S)`` boolean of padded positions PyTorch's nested-tensor path zeros, or None."""
        from ...autograd.grad_mode import is_grad_enabled
        from ...amp.autocast_mode import is_autocast_enabled
        from ...backends import mha
        if (not mha.get_fastpath_enabled() or not getattr(self, "use_nested_tensor", False) or not len(self.layers)
                or self.layers[0].training or src._data.ndim != 3 or src_key_padding_mask is None
                or mask is not None or is_autocast_enabled()):
            return None
        # Exporting (ember.onnx traces arrays of its own ndarray subclass) takes the plain path, as
        # PyTorch's tracing exporter does: the zeroing depends on the mask's values.
        if type(src._data).__name__ == "TracedArray":
            return None
        first = self.layers[0]
        attn = first.self_attn
        args = (src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
                first.norm1.weight, first.norm1.bias, first.norm2.weight, first.norm2.bias,
                first.linear1.weight, first.linear1.bias, first.linear2.weight, first.linear2.bias)
        if is_grad_enabled() and any(t is not None and t.requires_grad for t in args):
            return None
        m = np.asarray(src_key_padding_mask._data if isinstance(src_key_padding_mask, Tensor)
                       else src_key_padding_mask)
        keep = ~m if m.dtype == np.bool_ else (m == 0)
        if keep.shape != src._data.shape[:2]:
            return None
        # mask_check: only right padding (every row keeps a prefix) takes the nested path.
        if getattr(self, "mask_check", True) and (np.diff(keep.astype(np.int8), axis=1) > 0).any():
            return None
        return ~keep

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        first = self.layers[0] if len(self.layers) else None
        seq_dim = 1 if (first is not None and first.batch_first and src._data.ndim == 3) else 0
        is_causal = _detect_causal(mask, is_causal, src._data.shape[seq_dim])
        padded = self._padded_positions(src, mask, src_key_padding_mask)
        out = src
        for mod in self.layers:
            out = mod(out, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if padded is not None and padded.any():
            out = wrap(np.where(padded[:, :, None], out._data.dtype.type(0), out._data))
        if self.norm is not None:
            out = self.norm(out)
        return out


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer``, then an optional ``norm``.

    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False).
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        first = self.layers[0] if len(self.layers) else None
        seq_dim = 1 if (first is not None and first.batch_first and tgt._data.ndim == 3) else 0
        tgt_is_causal = _detect_causal(tgt_mask, tgt_is_causal, tgt._data.shape[seq_dim])
        out = tgt
        for mod in self.layers:
            out = mod(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            out = self.norm(out)
        return out


class Transformer(Module):
    """The encoder-decoder Transformer ("Attention Is All You Need"), PyTorch's ``nn.Transformer``.

    Args:
        d_model (512), nhead (8), num_encoder_layers (6), num_decoder_layers (6), dim_feedforward (2048),
        dropout (0.1), activation ('relu'), custom_encoder, custom_decoder, layer_norm_eps (1e-5),
        batch_first (False), norm_first (False), bias (True).

    forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
    memory_is_causal=False): src ``(S, N, E)``, tgt ``(T, N, E)``; returns ``(T, N, E)``.

    Init (as PyTorch): every parameter with more than one dimension is Xavier-uniform.

    >>> import ember
    >>> model = ember.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
    ...                              dim_feedforward=32)
    >>> src, tgt = ember.randn(6, 2, 16), ember.randn(4, 2, 16)
    >>> mask = model.generate_square_subsequent_mask(4)
    >>> model(src, tgt, tgt_mask=mask).shape
    ember.Size([4, 2, 16])
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def _reset_parameters(self):
        from .. import init
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batched = src._data.ndim == 3
        bdim = 0 if self.batch_first else 1
        if batched and src._data.shape[bdim] != tgt._data.shape[bdim]:
            raise RuntimeError(f"Transformer: the batch number of src {tuple(src.shape)} and tgt "
                               f"{tuple(tgt.shape)} must be equal")
        if src._data.shape[-1] != self.d_model or tgt._data.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src {tuple(src.shape)} and tgt "
                               f"{tuple(tgt.shape)} must be equal to d_model={self.d_model}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)
