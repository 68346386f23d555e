"""``fuse_modules``: replace runs of modules (conv-bn-relu, conv-relu, linear-relu, bn-relu ...) with one
fused module, so that quantization treats each run as one op.

In eval mode (post-training quantization) a batch norm is folded into the convolution before it
(``W' = W * gamma / sqrt(var + eps)``, ``b' = (b - mean) * gamma / sqrt(var + eps) + beta``); for QAT
(``fuse_modules_qat``, train mode) the parts stay separate inside ``ConvBn2d`` / ``ConvBnReLU2d``.
The first name gets the fused module and the others become ``nn.Identity``.

>>> from ember import nn
>>> from ember.ao.quantization import fuse_modules
>>> m = nn.Sequential(nn.Linear(2, 2), nn.ReLU()).eval()
>>> type(fuse_modules(m, [["0", "1"]])[0]).__name__
'LinearReLU'
"""
import copy

from ... import nn
from ...nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval
from ..nn import intrinsic as nni


def _same_mode(a, b):
    if a.training != b.training:
        raise AssertionError("Conv and BN both must be in the same mode (train or eval).")


def fuse_conv_bn(is_qat, conv, bn):
    _same_mode(conv, bn)
    if is_qat:
        if bn.num_features != conv.out_channels:
            raise AssertionError("Output channel of Conv2d must match num_features of BatchNorm2d")
        kinds = {nn.Conv1d: nni.ConvBn1d, nn.Conv2d: nni.ConvBn2d}
        return kinds[type(conv)](conv, bn)
    return fuse_conv_bn_eval(conv, bn)


def fuse_conv_bn_relu(is_qat, conv, bn, relu):
    _same_mode(conv, bn)
    if is_qat:
        if type(conv) is not nn.Conv2d:
            raise NotImplementedError(f"Cannot fuse train modules: {(conv, bn, relu)}")
        return nni.ConvBnReLU2d(conv, bn, relu)
    kinds = {nn.Conv1d: nni.ConvReLU1d, nn.Conv2d: nni.ConvReLU2d}
    return kinds[type(conv)](fuse_conv_bn_eval(conv, bn), relu)


def fuse_linear_bn(is_qat, linear, bn):
    _same_mode(linear, bn)
    if is_qat:
        return nni.LinearBn1d(linear, bn)
    return fuse_linear_bn_eval(linear, bn)


_FUSERS = {
    (nn.Conv1d, nn.BatchNorm1d): fuse_conv_bn,
    (nn.Conv1d, nn.BatchNorm1d, nn.ReLU): fuse_conv_bn_relu,
    (nn.Conv2d, nn.BatchNorm2d): fuse_conv_bn,
    (nn.Conv2d, nn.BatchNorm2d, nn.ReLU): fuse_conv_bn_relu,
    (nn.Conv1d, nn.ReLU): lambda is_qat, c, r: nni.ConvReLU1d(c, r),
    (nn.Conv2d, nn.ReLU): lambda is_qat, c, r: nni.ConvReLU2d(c, r),
    (nn.Linear, nn.BatchNorm1d): fuse_linear_bn,
    (nn.Linear, nn.ReLU): lambda is_qat, lin, r: nni.LinearReLU(lin, r),
    (nn.BatchNorm2d, nn.ReLU): lambda is_qat, bn, r: nni.BNReLU2d(bn, r),
}


def get_fuser_method(op_list, additional_fuser_method_mapping=None):
    table = {**_FUSERS, **(additional_fuser_method_mapping or {})}
    fuser = table.get(tuple(op_list))
    if fuser is None:
        raise AssertionError(f"did not find fuser method for: {tuple(op_list)} ")
    return fuser


def fuse_known_modules(mod_list, is_qat, additional_fuser_method_mapping=None):
    """``[fused, Identity, ...]`` for a list of modules of a known fusable pattern."""
    types = tuple(type(m) for m in mod_list)
    fused = get_fuser_method(types, additional_fuser_method_mapping)(is_qat, *mod_list)
    return [fused] + [nn.Identity() for _ in mod_list[1:]]


def _get_module(model, name):
    for part in name.split("."):
        model = getattr(model, part)
    return model


def _set_module(model, name, new):
    *parents, last = name.split(".")
    for part in parents:
        model = getattr(model, part)
    setattr(model, last, new)


def _fuse_modules(model, modules_to_fuse, is_qat, inplace=False, fuser_func=fuse_known_modules,
                  fuse_custom_config_dict=None):
    if not inplace:
        model = copy.deepcopy(model)
    groups = modules_to_fuse
    if all(isinstance(n, str) for n in groups):
        groups = [groups]
    extra = (fuse_custom_config_dict or {}).get("additional_fuser_method_mapping", {})
    for names in groups:
        mods = [_get_module(model, n) for n in names]
        fused = fuser_func(mods, is_qat, extra) if fuser_func is fuse_known_modules else fuser_func(mods, is_qat)
        for n, m in zip(names, fused):
            _set_module(model, n, m)
    return model


def fuse_modules(model, modules_to_fuse, inplace=False, fuser_func=fuse_known_modules, fuse_custom_config_dict=None):
    """Fuse each list of module names in ``modules_to_fuse`` (eval mode: batch norms are folded)."""
    return _fuse_modules(model, modules_to_fuse, False, inplace, fuser_func, fuse_custom_config_dict)


def fuse_modules_qat(model, modules_to_fuse, inplace=False, fuser_func=fuse_known_modules,
                     fuse_custom_config_dict=None):
    """Fuse for quantization-aware training (train mode: conv and batch norm stay separate modules)."""
    return _fuse_modules(model, modules_to_fuse, True, inplace, fuser_func, fuse_custom_config_dict)
