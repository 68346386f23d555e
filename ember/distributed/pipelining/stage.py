"""A pipeline stage: one part of a model, run on one rank, that receives its inputs from the stage before it
and sends its outputs to the stage after it (and the gradients the other way), as torch's ``PipelineStage``.

Stage ``s`` of ``num_stages`` lives on group rank ``s % group_size``. Per microbatch ``i``:

- forward: the first stage runs its submodule on the microbatch; a later one on the activations it received
  (fresh leaves that require grad when the schedule runs backward); the outputs are kept for backward and
  sent on (the last stage keeps them for the merged output and the loss);
- backward: the last stage backpropagates the microbatch's loss, the others their outputs with the gradients
  received from the next stage; parameter gradients accumulate in ``.grad`` over the microbatches, and the
  inputs' gradients go back to the previous stage.

Shapes need not be given: on the first step the stages vote (static when every stage was given
``input_args`` and ``output_args``, whose metadata is then used as is); in dynamic mode each stage runs its
submodule once on the first microbatch (under a forked RNG, outputs thrown away) and tells the next stage the
shape, dtype and ``requires_grad`` of its outputs, so that receives can be posted before the data arrives. The
gradients' shapes are the activations'. Every microbatch must have the first one's shapes (as in torch).
"""
import numpy as np

from ember.autograd.tensor import Tensor
from ._utils import PipeliningMetadataError, TensorMeta, metas_from_bytes, metas_to_bytes
from .. import collectives as C
from ..process_group import get_rank, get_world_size

__all__ = ["PipelineStage", "build_stage"]

_TAG_BASE = 1 << 10


def _tag(edge, kind):
    """Messages between stages ``edge`` and ``edge + 1``: 0 activations, 1 gradients, 2 metadata, 3 the vote."""
    return _TAG_BASE + 4 * edge + kind


def _as_tuple(output):
    if isinstance(output, tuple):
        return output
    if isinstance(output, list):
        return tuple(output)
    return (output,)


def _tensors(values):
    from ember.utils._pytree import tree_flatten
    return [v for v in tree_flatten(values)[0] if isinstance(v, Tensor)]


def _metas(values, where):
    values = _as_tuple(values)
    bad = [type(v).__name__ for v in values if not isinstance(v, Tensor)]
    if bad:
        raise PipeliningMetadataError(f"{where} must be a tensor, tuple, or list of tensors, got {bad}")
    return tuple(TensorMeta.of(v) for v in values)


class _PipelineStageBase:
    """What every stage has: its place in the pipeline, its peers, and the per-step runtime state."""

    def __init__(self, submodule, stage_index, num_stages, device, group=None, dw_builder=None):
        if stage_index >= num_stages:
            raise ValueError(f"Stage index {stage_index} is out of range of {num_stages}")
        self.submod = submodule
        self.stage_index = stage_index
        self.num_stages = num_stages
        self.device = device
        self.group = group
        self.dw_builder = dw_builder
        self.group_rank = get_rank(group)
        self.group_size = get_world_size(group)
        if self.group_size > num_stages:
            raise RuntimeError(f"Pipeline group size {self.group_size} cannot be larger than number of stages "
                               f"{num_stages}")
        self.stage_index_to_group_rank = {i: i % self.group_size for i in range(num_stages)}
        self.has_backward = False
        self.chunks = None
        self.log_prefix = f"[Stage {stage_index}]"
        self.fwd_cache = {}        # microbatch -> (outputs tuple, flat input tensors)
        self.bwd_cache = {}        # microbatch -> gradients of the positional inputs
        self.output_chunks = []    # the last stage's outputs, merged by the schedule
        self._fwd_inputs = {}      # microbatch -> received (or locally handed) activations
        self._bwd_grads = {}       # microbatch -> gradients of the outputs (None where none flows)
        self._input_metas = None
        self._output_metas = None

    @property
    def is_first(self):
        return self.stage_index == 0

    @property
    def is_last(self):
        return self.stage_index == self.num_stages - 1

    def _is_same_rank(self, other_stage):
        return self.stage_index_to_group_rank[other_stage] == self.group_rank

    def _peer(self, other_stage):
        return self.stage_index_to_group_rank[other_stage]

    def clear_runtime_states(self):
        """Forget the previous step's activations, gradients and outputs."""
        self.fwd_cache.clear()
        self.bwd_cache.clear()
        self.output_chunks.clear()
        self._fwd_inputs.clear()
        self._bwd_grads.clear()

    # -- metadata -----------------------------------------------------------------------------------

    def _send_meta(self, metas, dst_stage):
        import ember
        data = np.frombuffer(metas_to_bytes(metas), np.uint8).copy()
        edge = min(self.stage_index, dst_stage)
        C.send(ember.tensor(np.array([data.size], np.int64)), group=self.group, tag=_tag(edge, 2),
               group_dst=self._peer(dst_stage))
        C.send(ember.tensor(data), group=self.group, tag=_tag(edge, 2), group_dst=self._peer(dst_stage))

    def _recv_meta(self, src_stage):
        import ember
        edge = min(self.stage_index, src_stage)
        size = ember.zeros(1, dtype=ember.int64)
        C.recv(size, group=self.group, tag=_tag(edge, 2), group_src=self._peer(src_stage))
        data = ember.zeros(int(size.item()), dtype=ember.uint8)
        C.recv(data, group=self.group, tag=_tag(edge, 2), group_src=self._peer(src_stage))
        return metas_from_bytes(data.numpy().tobytes())

    def _prepare_forward_infra(self, num_microbatches, args, kwargs=None, has_backward=False):
        """Run the submodule once on the first microbatch to learn the outputs' metadata and pass it on.
        ``args``: the real microbatch (first stage), the previous stage's metadata (same rank) or None."""
        import ember
        self.chunks = num_microbatches
        if self.is_first:
            if args is None:
                raise PipeliningMetadataError(f"Stage {self.stage_index}: First stage requires real tensors, "
                                              "got NoneType.")
            self._input_metas = _metas(args, f"Stage {self.stage_index} inputs")
            inference_args = tuple(a.detach().requires_grad_(a.requires_grad) for a in _as_tuple(args))
        else:
            metas = args if self._is_same_rank(self.stage_index - 1) else self._recv_meta(self.stage_index - 1)
            if not isinstance(metas, tuple):
                raise PipeliningMetadataError(f"Stage {self.stage_index}: expected the previous stage's output "
                                              f"metadata, got {type(metas).__name__}")
            self._input_metas = metas
            inference_args = tuple(m.empty(has_backward and m.requires_grad) for m in metas)
        kwargs = {k: v.detach() if isinstance(v, Tensor) else v for k, v in (kwargs or {}).items()}
        grad_mode = ember.enable_grad() if has_backward else ember.no_grad()
        with grad_mode:
            outputs = self.submod(*inference_args, **kwargs)
        self._output_metas = _metas(outputs, f"Stage {self.stage_index} outputs")
        if self.is_last or self._is_same_rank(self.stage_index + 1):
            return self._output_metas
        self._send_meta(self._output_metas, self.stage_index + 1)
        return None

    def _prepare_backward_infra(self, num_microbatches, loss_fn=None, target=None, received_grad_meta=None,
                                loss_kwargs=None):
        self.chunks = num_microbatches
        if self.is_last and (loss_fn is None or target is None):
            raise PipeliningMetadataError(f"Stage {self.stage_index}: loss_fn and target required for last stage")
        return None

    # -- point to point ---------------------------------------------------------------------------

    def get_fwd_recv_ops(self, fwd_chunk_id):
        """Receives of microbatch ``fwd_chunk_id``'s activations from the previous stage (none on the first
        stage or when the previous stage is on this rank)."""
        if self.is_first or self._is_same_rank(self.stage_index - 1):
            return []
        buffers = tuple(m.empty() for m in self._input_metas)
        self._fwd_inputs[fwd_chunk_id] = buffers
        peer, tag = self._peer(self.stage_index - 1), _tag(self.stage_index - 1, 0)
        return [C.P2POp(C.irecv, b, group=self.group, tag=tag, group_peer=peer) for b in buffers]

    def get_fwd_send_ops(self, fwd_chunk_id):
        """Sends of microbatch ``fwd_chunk_id``'s outputs to the next stage."""
        if self.is_last or self._is_same_rank(self.stage_index + 1):
            return []
        outputs = self.fwd_cache[fwd_chunk_id][0]
        peer, tag = self._peer(self.stage_index + 1), _tag(self.stage_index, 0)
        return [C.P2POp(C.isend, o.detach(), group=self.group, tag=tag, group_peer=peer) for o in outputs]

    def get_bwd_recv_ops(self, bwd_chunk_id):
        """Receives of the gradients of microbatch ``bwd_chunk_id``'s outputs from the next stage."""
        if not self.has_backward or self.is_last or self._is_same_rank(self.stage_index + 1):
            return []
        grads = tuple(m.empty() if m.requires_grad else None for m in self._output_metas)
        self._bwd_grads[bwd_chunk_id] = grads
        peer, tag = self._peer(self.stage_index + 1), _tag(self.stage_index, 1)
        return [C.P2POp(C.irecv, g, group=self.group, tag=tag, group_peer=peer) for g in grads if g is not None]

    def get_bwd_send_ops(self, bwd_chunk_id):
        """Sends of the gradients of microbatch ``bwd_chunk_id``'s inputs to the previous stage."""
        if not self.has_backward or self.is_first or self._is_same_rank(self.stage_index - 1):
            return []
        peer, tag = self._peer(self.stage_index - 1), _tag(self.stage_index - 1, 1)
        return [C.P2POp(C.isend, g, group=self.group, tag=tag, group_peer=peer)
                for g in self._input_grads(bwd_chunk_id) if g is not None]

    def _input_grads(self, bwd_chunk_id):
        """The gradients owed to the previous stage: zeros for an input that requires grad but got none."""
        grads = self.bwd_cache.pop(bwd_chunk_id)
        return tuple((g if g is not None else m.empty()) if m.requires_grad else None
                     for g, m in zip(grads, self._input_metas))

    def set_local_fwd_input(self, prev_stage_outputs, mb_index):
        """Hand the previous stage's outputs (on this rank) to this stage as microbatch ``mb_index``'s inputs."""
        self._fwd_inputs[mb_index] = tuple(o.detach() for o in _as_tuple(prev_stage_outputs))

    def get_local_bwd_output(self, mb_index):
        return self._input_grads(mb_index)

    def set_local_bwd_input(self, next_stage_bwd_outputs, mb_index):
        self._bwd_grads[mb_index] = tuple(next_stage_bwd_outputs)

    # -- compute ----------------------------------------------------------------------------------

    def _retrieve_recv_activations(self, fwd_chunk_id):
        if fwd_chunk_id not in self._fwd_inputs:
            raise PipeliningMetadataError(f"{self.log_prefix} no activations received for microbatch "
                                          f"{fwd_chunk_id}")
        import ember
        received = self._fwd_inputs.pop(fwd_chunk_id)
        grad = self.has_backward and ember.is_grad_enabled()
        return tuple(a.requires_grad_(True) if grad and m.requires_grad else a
                     for a, m in zip(received, self._input_metas))

    def _is_ddp(self):
        from ember.nn.parallel import DistributedDataParallel
        return isinstance(self.submod, DistributedDataParallel)

    def forward_maybe_with_nosync(self, *args, **kwargs):
        """Run the submodule; a ``DistributedDataParallel`` one under ``no_sync`` (its gradients are reduced once,
        in the last microbatch's backward)."""
        if self._is_ddp():
            with self.submod.no_sync():
                return self.submod(*args, **kwargs)
        return self.submod(*args, **kwargs)

    def forward_one_chunk(self, fwd_chunk_id, args, kwargs=None, save_forward_output=True):
        """Run the submodule on microbatch ``fwd_chunk_id`` (``args``: the microbatch, on the first stage only);
        the submodule's output."""
        composite_args = args if self.is_first else self._retrieve_recv_activations(fwd_chunk_id)
        composite_kwargs = kwargs or {}
        try:
            output = self.forward_maybe_with_nosync(*composite_args, **composite_kwargs)
        except Exception as e:
            shapes = [tuple(a.shape) if isinstance(a, Tensor) else type(a).__name__ for a in composite_args]
            raise RuntimeError(f"{self.log_prefix} failed to run forward: args: {shapes} "
                               f"kwargs: {sorted(composite_kwargs)}") from e
        if self.is_last and save_forward_output:
            self.output_chunks.append(output)
        self.fwd_cache[fwd_chunk_id] = (_as_tuple(output), _tensors(composite_args) + _tensors(composite_kwargs))
        return output

    def backward_one_chunk(self, bwd_chunk_id, loss=None, full_backward=True, last_backward=False):
        """Backpropagate microbatch ``bwd_chunk_id``: from its loss on the last stage, else from the gradients
        received for its outputs; parameter gradients accumulate."""
        import ember
        if not self.has_backward:
            return
        if not full_backward:
            raise NotImplementedError("ember.distributed.pipelining: split input/weight backward (zero-bubble "
                                      "schedules) is not supported; use full_backward=True")
        if bwd_chunk_id not in self.fwd_cache:
            raise RuntimeError(f"{self.log_prefix} microbatch {bwd_chunk_id} has no forward to backpropagate "
                               f"(forwarded: {sorted(self.fwd_cache)})")
        outputs, inputs = self.fwd_cache.pop(bwd_chunk_id)
        if self.is_last:
            roots, grads = [loss], None
        else:
            received = self._bwd_grads.pop(bwd_chunk_id)
            pairs = [(o, g) for o, g in zip(outputs, received)
                     if isinstance(o, Tensor) and o.requires_grad and g is not None]
            roots, grads = [o for o, _ in pairs], [g for _, g in pairs]
        if last_backward and self._is_ddp():
            # torch's reducer.prepare_for_backward: this backward all-reduces the accumulated gradients
            self.submod._expect_backward = ember.is_grad_enabled()
        if roots:
            ember.autograd.backward(roots, grad_tensors=grads)
        if self.dw_builder is not None:
            self.dw_builder()()
        n_inputs = len(self._input_metas)
        self.bwd_cache[bwd_chunk_id] = tuple(x.grad if x.requires_grad else None for x in inputs[:n_inputs])
        if self.is_last and not self.is_first:
            for o in outputs:
                if isinstance(o, Tensor):
                    o.detach_()

    def backward_weight_one_chunk(self, bwd_chunk_id, last_backward=False):
        raise NotImplementedError("ember.distributed.pipelining: split input/weight backward (zero-bubble "
                                  "schedules) is not supported")

    def scale_grads(self, grad_scale_factor):
        """Divide the submodule's parameter gradients by ``grad_scale_factor`` (the number of microbatches for a
        loss that averages, 1 for one that sums)."""
        if grad_scale_factor != 1:
            for p in self.submod.parameters():
                if p.grad is not None:
                    p.grad.div_(grad_scale_factor)

    def perform_reduce_grad(self, grad_scale_factor):
        self.scale_grads(grad_scale_factor)


class PipelineStage(_PipelineStageBase):
    """One stage of a model split by hand into ``num_stages`` consecutive submodules.

    Args:
        submodule: the ``nn.Module`` this stage runs.
        stage_index: its place, from 0; stage ``s`` runs on group rank ``s % group_size``.
        num_stages: how many stages the pipeline has (at least the group's size).
        device: the device it runs on (``"cpu"``).
        input_args, output_args: example microbatch inputs and outputs (optional). When every stage gives both,
            the pipeline is static: their shapes, dtypes and ``requires_grad`` are what travels, and nothing is
            inferred. Otherwise the first step infers them, and raises ``PipeliningMetadataError`` where they
            differ from what was given.
        group: the process group of the pipeline (the default group when None).
        dw_builder: a function returning a callable run after each microbatch's backward.

    Example (rank ``r`` of 2, ``parts`` the model's two halves)::

        stage = PipelineStage(parts[r], r, 2, "cpu")
        schedule = ScheduleGPipe(stage, n_microbatches=4, loss_fn=nn.functional.cross_entropy)
        if r == 0:
            schedule.step(x)
        else:
            losses = []
            out = schedule.step(target=y, losses=losses)
    """

    def __init__(self, submodule, stage_index, num_stages, device, input_args=None, output_args=None,
                 output_grads=None, input_grads=None, group=None, dw_builder=None, get_mesh=None):
        super().__init__(submodule, stage_index, num_stages, device, group, dw_builder)
        self._user_inputs = None if input_args is None else _metas(input_args, "input_args")
        self._user_outputs = None if output_args is None else _metas(output_args, "output_args")
        self._inference_mode = None

    # -- the vote: static (every stage was given input_args and output_args) or dynamic --------------

    def _vote_tensor(self, value=0):
        import ember
        return ember.tensor([value], dtype=ember.int32)

    def _warmup_forward_vote(self, has_backward, received_acc=None):
        """Stage 0 -> N-1: the product of every stage's vote (1: it has its inputs' and outputs' metadata)."""
        vote = int(self._user_inputs is not None and self._user_outputs is not None)
        if self.is_first:
            acc = vote
        elif self._is_same_rank(self.stage_index - 1):
            acc = received_acc * vote
        else:
            t = self._vote_tensor()
            C.recv(t, group=self.group, tag=_tag(self.stage_index - 1, 3), group_src=self._peer(self.stage_index - 1))
            acc = int(t.item()) * vote
        if not self.is_last and not self._is_same_rank(self.stage_index + 1):
            C.send(self._vote_tensor(acc), group=self.group, tag=_tag(self.stage_index, 3),
                   group_dst=self._peer(self.stage_index + 1))
        return acc

    def _warmup_backward_result(self, received_result=None):
        """Stage N-1 -> 0: hand the vote's result back, so that every stage runs in the same mode."""
        if self.is_last or self._is_same_rank(self.stage_index + 1):
            result = received_result
        else:
            t = self._vote_tensor()
            C.recv(t, group=self.group, tag=_tag(self.stage_index, 3), group_src=self._peer(self.stage_index + 1))
            result = int(t.item())
        if not self.is_first and not self._is_same_rank(self.stage_index - 1):
            C.send(self._vote_tensor(result), group=self.group, tag=_tag(self.stage_index - 1, 3),
                   group_dst=self._peer(self.stage_index - 1))
        self._inference_mode = "static" if result == 1 else "dynamic"
        return result

    def _prepare_forward_infra(self, num_microbatches, args, kwargs=None, has_backward=False):
        """Static mode takes the metadata from ``input_args``/``output_args``; dynamic mode infers it (and checks
        what the user gave against it)."""
        import ember
        if self._inference_mode == "static":
            self.chunks = num_microbatches
            self._input_metas, self._output_metas = self._user_inputs, self._user_outputs
            return self._output_metas
        with ember.random.fork_rng():
            result = super()._prepare_forward_infra(num_microbatches, args, kwargs, has_backward)
        self._check_user_metas("input", self._user_inputs, self._input_metas)
        self._check_user_metas("output", self._user_outputs, self._output_metas)
        return result

    def _check_user_metas(self, label, given, inferred):
        if given is None:
            return
        where = f"Stage {self.stage_index} {label}"
        if len(given) != len(inferred):
            raise PipeliningMetadataError(f"{where}: expected {len(given)} tensors, got {len(inferred)}")
        for i, (g, m) in enumerate(zip(given, inferred)):
            diffs = [f"{k}: expected {a}, got {b}" for k, a, b in (("shape", g.shape, m.shape),
                                                                  ("dtype", g.dtype, m.dtype),
                                                                  ("requires_grad", g.requires_grad,
                                                                   m.requires_grad)) if str(a) != str(b)]
            if diffs:
                raise PipeliningMetadataError(f"{where}[{i}]: {'; '.join(diffs)}")

    def _prepare_backward_infra(self, num_microbatches, loss_fn=None, target=None, received_grad_meta=None,
                                loss_kwargs=None):
        if self._inference_mode == "static":
            self.chunks = num_microbatches
            return None
        return super()._prepare_backward_infra(num_microbatches, loss_fn, target, received_grad_meta, loss_kwargs)


def build_stage(stage_module, stage_index, pipe_info, device, group=None):
    """Stages built from a traced ``pipeline()``: not available (``pipeline`` needs torch.export)."""
    raise NotImplementedError("ember.distributed.pipelining.build_stage needs a traced Pipe from pipeline(), which "
                              "ember does not provide; split the model by hand and wrap each part in "
                              "PipelineStage(submodule, stage_index, num_stages, device)")
