"""The pytorch.org tutorial "Forward-mode Automatic Differentiation": torch.autograd.forward_ad's
dual_level / make_dual / unpack_dual on plain functions (the tangent of a dual input is the very
tangent object given), on an nn.Module whose parameters are swapped for dual tensors with
delattr / setattr, and through torch.func.functional_call; a custom autograd.Function with a jvp
staticmethod (and no backward) checked by gradcheck(check_forward_ad=True, check_backward_ad=False);
then the same Jacobian-vector products by torch.func.jvp, and forward-over-reverse Hessian-vector
products compared with double backward."""
import argparse
import json

import numpy as np
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn
import torch.func
from torch.func import functional_call


def main():
    parser = argparse.ArgumentParser(description="Forward-mode AD tutorial")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.RandomState(args.seed)
    out = {}
    primal = torch.tensor(rng.randn(4, 4).astype(np.float32))
    tangent = torch.tensor(rng.randn(4, 4).astype(np.float32))
    def fn(x, y):
        return x ** 2 + y ** 2
    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        out["is_tangent"] = fwAD.unpack_dual(dual_input).tangent is tangent
        dual_input_alt = fwAD.make_dual(primal, tangent.T)
        out["alt_not"] = fwAD.unpack_dual(dual_input_alt).tangent is not tangent
        plain_tensor = torch.tensor(rng.randn(4, 4).astype(np.float32))
        dual_output = fn(dual_input, plain_tensor)
        jvp = fwAD.unpack_dual(dual_output).tangent
        out["jvp"] = jvp.reshape(-1).tolist()
        out["primal"] = fwAD.unpack_dual(dual_output).primal.reshape(-1).tolist()
        out["plain_none"] = fwAD.unpack_dual(plain_tensor).tangent is None
        out["primal_tangent_none"] = fwAD.unpack_dual(fwAD.unpack_dual(dual_output).primal).tangent is None
        two = fn(dual_input, dual_input_alt)
        out["two"] = fwAD.unpack_dual(two).tangent.reshape(-1).tolist()
        chain = torch.tanh(dual_input @ plain_tensor).softmax(-1).log().sum(0)
        out["chain"] = fwAD.unpack_dual(chain).tangent.tolist()
    out["after_none"] = fwAD.unpack_dual(dual_output).tangent is None

    model = nn.Linear(5, 5)
    with torch.no_grad():
        model.weight.copy_(torch.tensor(rng.randn(5, 5).astype(np.float32))); model.bias.copy_(torch.tensor(rng.randn(5).astype(np.float32)))
    input = torch.tensor(rng.randn(16, 5).astype(np.float32))
    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: torch.tensor(rng.rand(*p.shape).astype(np.float32)) for name, p in params.items()}
    dual_params = {}
    with fwAD.dual_level():
        for name, p in params.items():
            dual_params[name] = fwAD.make_dual(p, tangents[name])
        o = functional_call(model, dual_params, input)
        out["functional_call"] = fwAD.unpack_dual(o).tangent.reshape(-1).tolist()
    with fwAD.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))
        o = model(input)
        out["module"] = fwAD.unpack_dual(o).tangent.reshape(-1).tolist()

    class Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, foo):
            result = torch.exp(foo)
            ctx.result = result
            return result

        @staticmethod
        def jvp(ctx, gI):
            gO = gI * ctx.result
            del ctx.result
            return gO

    fnc = Fn.apply
    primal = torch.tensor(rng.randn(3, 3), dtype=torch.double, requires_grad=True)
    tangent = torch.tensor(rng.randn(3, 3), dtype=torch.double)
    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        dual_output = fnc(dual_input)
        jvp = fwAD.unpack_dual(dual_output).tangent
        out["fn_jvp"] = jvp.reshape(-1).tolist()
        after = (dual_output * 2).sum()
        out["fn_after"] = fwAD.unpack_dual(after).tangent.item()
    out["gradcheck_fwd"] = torch.autograd.gradcheck(Fn.apply, (primal,), check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False, check_batched_grad=False)

    # torch.func.jvp gives the same products; forward-over-reverse HVP equals double backward.
    x = torch.tensor(rng.randn(6), dtype=torch.double)
    v = torch.tensor(rng.randn(6), dtype=torch.double)

    def f(x):
        return (x.sin() * x.cosh()).sum() + (x[:3] @ x[3:]) ** 2

    _, jv = torch.func.jvp(lambda x: x.sin() * x.cosh(), (x,), (v,))
    with fwAD.dual_level():
        jv_dual = fwAD.unpack_dual(fwAD.make_dual(x, v).sin() * fwAD.make_dual(x, v).cosh()).tangent
    out["func_jvp_vs_dual"] = float((jv - jv_dual).abs().max())
    _, hvp_fwd = torch.func.jvp(torch.func.grad(f), (x,), (v,))
    xr = x.clone().requires_grad_()
    g, = torch.autograd.grad(f(xr), xr, create_graph=True)
    hvp_rev, = torch.autograd.grad(g, xr, v)
    out["hvp"] = hvp_fwd.tolist()
    out["hvp_diff"] = float((hvp_fwd - hvp_rev).abs().max())
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
