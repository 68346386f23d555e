"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd`` and ``hessian`` (``torch.func``'s).

Each transform runs the function on fresh leaves that require grad and differentiates with
``ember.autograd.grad(create_graph=True)``, so transforms nest (``grad(grad(f))``,
``jacrev(jacrev(f))``) and their results stay differentiable with respect to tensors outside the
transform that require grad (inputs that already require grad, or parameters the function closes
over). A result that depends on nothing outside comes back detached, as in PyTorch.

How each is computed:

- ``vjp``: one reverse pass per call of the returned ``vjp_fn``.
- ``jvp``: the double-vjp trick. ``g(u) = J^T u`` is linear in a dummy cotangent ``u``, so the
  vjp of ``g`` with cotangent ``t`` is ``J t``: two reverse passes, no forward-mode AD.
- ``jacrev``: one reverse pass per output element (``chunk_size`` is accepted; rows are computed
  one at a time).
- ``jacfwd``: computed by ``jacrev`` (the same Jacobian; forward mode would only change the cost).
- ``hessian``: ``jacfwd(jacrev(f))``.

Inputs and outputs may be pytrees (tuples, lists, dicts, namedtuples) of tensors.

>>> import ember
>>> from ember.func import grad
>>> x = ember.tensor(2.0)
>>> grad(lambda x: x ** 3)(x), grad(grad(lambda x: x ** 3))(x)
(tensor(12.), tensor(12.))
"""
import numpy as np

from ..autograd import engine, grad_mode
from ..autograd.tensor import Tensor, make
from ._tree import flatten, unflatten


def _argnums_tuple(argnums, nargs, api):
    if nargs == 0:
        raise RuntimeError(f"{api}(f)(*args): Expected f to be a function that has non-empty positional "
                           "arguments")
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or not all(isinstance(n, int) for n in nums):
        raise RuntimeError(f"{api}: argnums must be int or Tuple[int, ...], got: {argnums!r}")
    for n in nums:
        if not -nargs <= n < nargs:
            raise RuntimeError(f"{api}: Got argnums={argnums}, but only {nargs} positional inputs")
    nums = tuple(n % nargs for n in nums)
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"{api}: argnums must be unique, got {argnums}")
    return nums


class _Lift:
    """Fresh differentiable stand-ins for the tensors a transform differentiates with respect to."""

    def __init__(self, api):
        self.api = api
        self.own = set()  # ids of the leaves made here: a graph reaching only these stays inside

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise ValueError(f"{self.api}: Thing passed to transform API must be Tensor, got {type(x)}")
        if not x.is_floating_point():
            raise RuntimeError(f"{self.api}: only Tensors of floating point dtype can require gradients, got "
                               f"{x.dtype}")
        if x.requires_grad:
            return x.view_as(x)  # stays connected to x, so outer transforms and autograd see through
        leaf = x.detach().requires_grad_()
        self.own.add(id(leaf))
        return leaf

    def reaches_outside(self, t):
        """Whether ``t``'s graph reaches a tensor requiring grad that this transform did not make."""
        if not isinstance(t, Tensor) or not t.requires_grad:
            return False
        if t.grad_fn is None:
            return id(t) not in self.own
        seen, stack = set(), [t.grad_fn]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            for nxt in node.next:
                if nxt is None:
                    continue
                if isinstance(nxt, Tensor):
                    if id(nxt) not in self.own:
                        return True
                else:
                    stack.append(nxt)
        return False

    def finish(self, tree):
        """Detach the results whose graph stays inside this transform."""
        leaves, spec = flatten(tree)
        return unflatten(spec, [v.detach() if isinstance(v, Tensor) and v.requires_grad
                                and not self.reaches_outside(v) else v for v in leaves])


def _lift_args(args, nums, lift):
    """args with the trees at ``nums`` replaced by lifted leaves; and those leaves with their specs."""
    args = list(args)
    per_arg = []
    for n in nums:
        leaves, spec = flatten(args[n])
        lifted = [lift(v) for v in leaves]
        args[n] = unflatten(spec, lifted)
        per_arg.append((lifted, spec))
    return args, per_arg


def _grads(outputs, inputs, cotangents=None):
    with grad_mode.enable_grad():
        return engine.grad(outputs, inputs, cotangents, retain_graph=True, create_graph=True, allow_unused=True,
                           materialize_grads=True)


def _split_aux(out, has_aux, api):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}(f)(*args): output of function f should be a tuple: (output, aux) if has_aux "
                           "is True")
    return out


def grad_and_value(func, argnums=0, has_aux=False):
    """Like :func:`grad`, but the function returns ``(gradients, value)`` (``(gradients, (value, aux))``
    with ``has_aux``)."""
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "grad_and_value")
        lift = _Lift("grad_and_value")
        with grad_mode.enable_grad():
            new_args, per_arg = _lift_args(args, nums, lift)
            out, aux = _split_aux(func(*new_args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(out)}")
            if out.dim() != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            flat = [v for lifted, _ in per_arg for v in lifted]
            gs = list(_grads(out, flat)) if out.requires_grad else [make(np.zeros_like(v._data)) for v in flat]
        trees, k = [], 0
        for lifted, spec in per_arg:
            trees.append(unflatten(spec, gs[k:k + len(lifted)]))
            k += len(lifted)
        grads = trees[0] if isinstance(argnums, int) else tuple(trees)
        grads, out, aux = lift.finish((grads, out, aux))
        return (grads, (out, aux)) if has_aux else (grads, out)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The function computing the gradient of scalar-valued ``func`` with respect to its ``argnums``
    arguments (pytrees of tensors).

    Args:
        func: a function returning a 0-d tensor (and an auxiliary value with ``has_aux``).
        argnums (int or tuple of ints): which positional arguments to differentiate. Default: 0.
        has_aux (bool): ``func`` returns ``(output, aux)``; the gradient function then returns
            ``(gradients, aux)``.

    >>> import ember
    >>> g = grad(lambda x, y: (x * y).sum(), argnums=(0, 1))
    >>> g(ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
    (tensor([3., 4.]), tensor([1., 2.]))
    """
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        grads, value = gv(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` is the tuple (one entry per primal) of
    ``cotangents^T J``, with ``cotangents`` shaped as the output. With ``has_aux``, a third item: aux.

    >>> import ember
    >>> out, vjp_fn = vjp(ember.sin, ember.tensor([0.0, 1.0]))
    >>> vjp_fn(ember.ones(2))
    (tensor([1.0000, 0.5403]),)
    """
    lift = _Lift("vjp")
    with grad_mode.enable_grad():
        new_args, per_arg = _lift_args(primals, tuple(range(len(primals))), lift)
        out, aux = _split_aux(func(*new_args), has_aux, "vjp")
    out_leaves, out_spec = flatten(out)
    for v in out_leaves:
        if not isinstance(v, Tensor):
            raise RuntimeError(f"vjp(f, *primals): Expected f to be a function that has Tensor outputs, got "
                               f"{type(v)}")
    flat = [v for lifted, _ in per_arg for v in lifted]

    def vjp_fn(cotangents):
        cot_leaves, cot_spec = flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               "outputs to the function")
        for o, c in zip(out_leaves, cot_leaves):
            if tuple(o.shape) != tuple(c.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {tuple(c.shape)} and output has "
                                   f"a shape of {tuple(o.shape)}")
        pairs = [(o, c) for o, c in zip(out_leaves, cot_leaves) if o.requires_grad]
        if pairs:
            gs = list(_grads([o for o, _ in pairs], flat, [c for _, c in pairs]))
        else:
            gs = [make(np.zeros_like(v._data)) for v in flat]
        result, k = [], 0
        for lifted, spec in per_arg:
            result.append(unflatten(spec, gs[k:k + len(lifted)]))
            k += len(lifted)
        return lift.finish(tuple(result))

    shown = lift.finish(out)
    return (shown, vjp_fn, lift.finish(aux)) if has_aux else (shown, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product, by the double-vjp trick.

    ``primals`` and ``tangents`` are tuples of matching structure and shapes.

    >>> import ember
    >>> jvp(lambda x: x ** 2, (ember.tensor([1.0, 3.0]),), (ember.tensor([1.0, 1.0]),))[1]
    tensor([2., 6.])
    """
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    if not isinstance(tangents, tuple) or flatten(primals)[1] != flatten(tangents)[1]:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents also must be.")
    for p, t in zip(flatten(primals)[0], flatten(tangents)[0]):
        if isinstance(p, Tensor) and tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have the same shape, "
                               f"got {tuple(p.shape)} and {tuple(t.shape)}")
    lift = _Lift("jvp")
    with grad_mode.enable_grad():
        new_args, per_arg = _lift_args(primals, tuple(range(len(primals))), lift)
        out, aux = _split_aux(func(*new_args), has_aux, "jvp")
        out_leaves, out_spec = flatten(out)
        flat = [v for lifted, _ in per_arg for v in lifted]
        tangent_leaves = flatten(tangents)[0]
        dummies = [make(np.zeros_like(o._data)).requires_grad_() for o in out_leaves]
        live = [(o, u) for o, u in zip(out_leaves, dummies) if o.requires_grad]
        results = []
        if live:
            g = _grads([o for o, _ in live], flat, [u for _, u in live])  # J^T u, linear in u
            for gi, v in zip(g, flat):
                if not gi.requires_grad and np.any(gi._data):
                    raise RuntimeError("jvp: an op in f has a first-order-only gradient in ember, so its "
                                       "Jacobian-vector product cannot be formed")
            pairs = [(gi, t) for gi, t in zip(g, tangent_leaves) if gi.requires_grad]
            if pairs:
                results = _grads([gi for gi, _ in pairs], dummies, [t for _, t in pairs])
        if not results:
            results = [make(np.zeros_like(o._data)) for o in out_leaves]
    jvp_out = unflatten(out_spec, list(results))
    out, jvp_out, aux = lift.finish((out, jvp_out, aux))
    return (out, jvp_out, aux) if has_aux else (out, jvp_out)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The function computing the Jacobian of ``func`` with respect to its ``argnums`` arguments,
    one reverse pass per output element.

    For an output of shape ``O`` and an input of shape ``I`` the Jacobian has shape ``O + I``. With
    several outputs (a pytree) the result has the output's structure; with a tuple ``argnums`` each
    of its leaves is a tuple with one Jacobian per argument.

    >>> import ember
    >>> jacrev(lambda x: x ** 2)(ember.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "jacrev")
        lift = _Lift("jacrev")
        with grad_mode.enable_grad():
            new_args, per_arg = _lift_args(args, nums, lift)
            out, aux = _split_aux(func(*new_args, **kwargs), has_aux, "jacrev")
            out_leaves, out_spec = flatten(out)
            flat = [v for lifted, _ in per_arg for v in lifted]
            jac_leaves = []
            for o in out_leaves:
                if not isinstance(o, Tensor):
                    raise RuntimeError(f"jacrev(f, ...)(*args): Expected f to be a function that has Tensor "
                                       f"outputs, got {type(o)}")
                rows = [[] for _ in flat]
                o_flat = o.reshape(-1)
                for k in range(o_flat.numel()):
                    if o.requires_grad:
                        gs = _grads(o_flat[k], flat)
                    else:
                        gs = [make(np.zeros_like(v._data)) for v in flat]
                    for r, gk in zip(rows, gs):
                        r.append(gk)
                jacs = []
                for r, v in zip(rows, flat):
                    if r:
                        from ..autograd.ops import stack
                        j = stack(r).reshape(tuple(o.shape) + tuple(v.shape))
                    else:
                        j = make(np.zeros(tuple(o.shape) + tuple(v.shape), v._data.dtype))
                    jacs.append(j)
                trees, k = [], 0
                for lifted, spec in per_arg:
                    trees.append(unflatten(spec, jacs[k:k + len(lifted)]))
                    k += len(lifted)
                jac_leaves.append(trees[0] if isinstance(argnums, int) else tuple(trees))
        jac = unflatten(out_spec, jac_leaves)
        jac, aux = lift.finish((jac, aux))
        return (jac, aux) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` as :func:`jacrev` computes it (PyTorch uses forward mode here; the
    values are the same, only the cost differs: ember makes one reverse pass per output element)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of scalar ``func`` with respect to its ``argnums`` arguments: ``jacfwd(jacrev(func))``.

    >>> import ember
    >>> hessian(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian-vector product at ``primals``
    (one tangent per primal, shaped as it), as ``jvp(func, primals, tangents)[1]``.

    PyTorch traces ``func`` once and replays the linear map; ember recomputes it per call.

    >>> import ember
    >>> out, jvp_fn = linearize(lambda x: x ** 2, ember.tensor([1.0, 3.0]))
    >>> jvp_fn(ember.tensor([1.0, 1.0]))
    tensor([2., 6.])
    """
    with grad_mode.no_grad():
        output = func(*primals)
    leaves = flatten(primals)[0]

    def jvp_fn(*tangents):
        for k, (p, t) in enumerate(zip(leaves, flatten(tangents)[0])):
            if isinstance(p, Tensor) and tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"tangent:{k} with shape {t.shape} in flattened pytree doesn't match the shape "
                                   f"{p.shape} of the corresponding primal.")
        return jvp(func, tuple(primals), tuple(tangents))[1]
    return output, jvp_fn


def functionalize(func, *, remove="mutations"):
    """``func`` itself: ember's transforms already see the values an in-place op leaves (functionalize
    exists in PyTorch to remove mutations before tracing, which ember does not do)."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. "
                           f"Valid options are:\n     remove='mutations': all inputs and outputs to the function "
                           f"will be un-functionalized.\n     remove='mutations_and_views': all inputs and outputs "
                           f"to the function will be unwrapped.")
    return func


def debug_unwrap(tensor, *, recurse=True):
    """The tensor underneath a transform's wrapper: ember's transforms pass plain tensors, so ``tensor``."""
    return tensor
