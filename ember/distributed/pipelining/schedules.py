"""Pipeline schedules: the order in which a rank runs its stages' forwards and backwards over the microbatches
of one batch, as torch's ``torch.distributed.pipelining.schedules``.

``schedule.step(*args, target=None, losses=None, **kwargs)`` cuts the batch (first stage) and the target
(last stage) into ``n_microbatches`` with ``tensor_split`` along dimension 0, runs them through the pipeline,
computes ``loss_fn(output, target)`` per microbatch on the last stage (appended, unscaled, to ``losses``) and
backpropagates each; parameter gradients accumulate over the microbatches and, with ``scale_grads=True`` (the
default, for a loss that averages), are divided by ``n_microbatches`` at the end, so that ``optimizer.step()``
sees the gradient of the whole batch's mean loss. The last stage returns its outputs concatenated.

- :class:`ScheduleGPipe`: every forward, then every backward (fill, drain).
- :class:`Schedule1F1B`: ``num_stages - stage_index`` forwards, then one backward and one forward in turn.
- :class:`ScheduleLoopedBFS` and :class:`ScheduleInterleaved1F1B`: several stages per rank (stage ``s`` on
  rank ``s % world_size``); breadth first (each local stage runs all microbatches, forward then backward in
  reverse stage order), or depth first, in rounds of ``world_size`` microbatches per local stage.

Schedules without a loss function run forward only; :meth:`eval` runs forward only with a loss function.
"""
import ember
from .microbatch import TensorChunkSpec, _split_tensor, merge_chunks, split_args_kwargs_into_chunks
from .stage import _PipelineStageBase
from .. import collectives as C

__all__ = ["PipelineScheduleSingle", "PipelineScheduleMulti", "ScheduleGPipe", "Schedule1F1B",
           "ScheduleLoopedBFS", "ScheduleInterleaved1F1B", "ScheduleInterleavedZeroBubble",
           "ScheduleZBVZeroBubble", "ScheduleDualPipeV", "get_schedule_class"]

_TARGET_CHUNK_SPEC = TensorChunkSpec(0)


def _start(ops):
    return C.batch_isend_irecv(ops) if ops else []


def _wait(works):
    for w in works:
        w.wait()


class _PipelineSchedule:
    def __init__(self, n_microbatches, loss_fn=None, args_chunk_spec=None, kwargs_chunk_spec=None,
                 output_merge_spec=None, scale_grads=True):
        self._n_microbatches = n_microbatches
        self._loss_fn = loss_fn
        self.scale_grads = scale_grads
        self._args_chunk_spec = args_chunk_spec
        self._kwargs_chunk_spec = kwargs_chunk_spec
        self._output_merge_spec = output_merge_spec
        self._has_backward = loss_fn is not None
        self._internal_losses = []
        self._fwd_initialized = False
        self._bwd_initialized = False

    # -- losses -----------------------------------------------------------------------------------

    def _compute_loss(self, output, target, loss_kwargs=None):
        return self._loss_fn(output, target, **(loss_kwargs or {}))

    def _maybe_compute_loss(self, stage, output, target_mbs, mb_index, loss_kwargs=None):
        if stage.is_last and self._loss_fn is not None:
            self._internal_losses.append(self._compute_loss(output, target_mbs[mb_index], loss_kwargs))

    def _maybe_get_loss(self, stage, mb_index):
        valid = 0 <= mb_index < len(self._internal_losses)
        if stage.is_last and self._loss_fn is not None and valid:
            return self._internal_losses[mb_index]
        if self._internal_losses and not valid:
            raise RuntimeError(f"Loss for microbatch {mb_index} is not available. Available losses for "
                               f"microbatches: {self._internal_losses}")
        return None

    def _update_losses(self, stages, losses):
        stages = stages if isinstance(stages, list) else [stages]
        if any(s.is_last for s in stages) and losses is not None:
            if len(self._internal_losses) != self._n_microbatches:
                raise RuntimeError(f"Expecting {self._n_microbatches} losses but got {len(self._internal_losses)}")
            losses.clear()
            losses.extend(self._internal_losses)
        self._internal_losses.clear()

    # -- inputs -----------------------------------------------------------------------------------

    def _check_inputs(self, arg_mbs=None, kwarg_mbs=None, target_mbs=None, losses=None):
        def check(mbs, name):
            if not isinstance(mbs, list):
                raise TypeError(f"{name} must be a list but got a {type(mbs)}")
            if len(mbs) != self._n_microbatches:
                raise ValueError(f"Expecting {self._n_microbatches} {name} but got {len(mbs)}")

        if arg_mbs is not None:
            check(arg_mbs, "arg_mbs")
        else:
            arg_mbs = [()] * self._n_microbatches
        if kwarg_mbs is not None:
            check(kwarg_mbs, "kwarg_mbs")
        else:
            kwarg_mbs = [{}] * self._n_microbatches
        if target_mbs is not None:
            check(target_mbs, "target_mbs")
        if losses is not None and not isinstance(losses, list):
            raise TypeError(f"losses must be a list but got a {type(losses)}")
        return arg_mbs, kwarg_mbs

    def _split_inputs(self, args, kwargs=None):
        if args or kwargs:
            return split_args_kwargs_into_chunks(args, kwargs, self._n_microbatches, self._args_chunk_spec,
                                                 self._kwargs_chunk_spec)
        return [()] * self._n_microbatches, [{}] * self._n_microbatches

    def _merge_outputs(self, output_chunks):
        return merge_chunks(output_chunks, self._output_merge_spec)

    def _split_target(self, target):
        return list(_split_tensor(target, _TARGET_CHUNK_SPEC, self._n_microbatches)) if target is not None else None

    def _initialize_pp_stages(self, stages, args, kwargs, target, loss_kwargs=None):
        """On the first step (and after a switch between train and eval) learn the shapes that travel."""
        if self._fwd_initialized and self._has_backward != self._bwd_initialized:
            self._fwd_initialized = self._bwd_initialized = False
        if not self._fwd_initialized:
            if all(hasattr(stage, "_warmup_forward_vote") for stage in stages):
                acc = None
                for stage in stages:
                    acc = stage._warmup_forward_vote(self._has_backward, acc)
                for stage in reversed(stages):
                    acc = stage._warmup_backward_result(acc)
            passed = None
            for stage in stages:
                passed = stage._prepare_forward_infra(self._n_microbatches, args if stage.is_first else passed,
                                                      kwargs, has_backward=self._has_backward)
            self._fwd_initialized = True
        if self._has_backward and not self._bwd_initialized:
            for stage in reversed(stages):
                stage._prepare_backward_infra(self._n_microbatches, loss_fn=self._loss_fn, target=target,
                                              loss_kwargs=loss_kwargs)
            self._bwd_initialized = True

    def _check_grad_mode(self):
        if self._has_backward and not ember.is_grad_enabled():
            raise RuntimeError("step() requires gradients to be enabled for backward computation; it should not "
                               "be used under torch.no_grad() context. Please call eval() instead.")

    def eval(self, *args, target=None, losses=None, **kwargs):
        """One forward-only pass over the batch (losses still computed on the last stage when given a target)."""
        has_backward = self._has_backward
        try:
            self._has_backward = False
            return self.step(*args, target=target, losses=losses, **kwargs)
        finally:
            self._has_backward = has_backward


class PipelineScheduleSingle(_PipelineSchedule):
    """A schedule for one stage per rank. Gradients are divided by ``n_microbatches`` when ``scale_grads``
    (the default; right for a loss that averages, use ``scale_grads=False`` for one that sums)."""

    def __init__(self, stage, n_microbatches, loss_fn=None, args_chunk_spec=None, kwargs_chunk_spec=None,
                 output_merge_spec=None, scale_grads=True):
        super().__init__(n_microbatches, loss_fn, args_chunk_spec, kwargs_chunk_spec, output_merge_spec,
                         scale_grads)
        if not isinstance(stage, _PipelineStageBase):
            raise TypeError(f"{type(self).__name__} expects a PipelineStage, got {type(stage).__name__}")
        self._stage = stage
        self._num_stages = stage.num_stages

    def step(self, *args, target=None, losses=None, return_outputs=True, loss_kwargs=None, **kwargs):
        """Run one batch through the pipeline (see the module docstring); the last stage returns the merged
        outputs (when ``return_outputs``), the others None."""
        self._check_grad_mode()
        self._stage.has_backward = self._has_backward
        self._stage.clear_runtime_states()
        args_split, kwargs_split = self._split_inputs(args, kwargs)
        targets_split = self._split_target(target)
        self._step_microbatches(args_split, kwargs_split, targets_split, losses, return_outputs,
                                loss_kwargs=loss_kwargs)
        if self._stage.is_last and return_outputs:
            return self._merge_outputs(self._stage.output_chunks)
        return None

    def _prepare(self, arg_mbs, kwarg_mbs, target_mbs, losses, loss_kwargs):
        arg_mbs, kwarg_mbs = self._check_inputs(arg_mbs, kwarg_mbs, target_mbs, losses)
        self._initialize_pp_stages([self._stage], arg_mbs[0], kwarg_mbs[0],
                                   target_mbs[0] if target_mbs is not None else None, loss_kwargs)
        return arg_mbs, kwarg_mbs

    def _forward(self, i, arg_mbs, kwarg_mbs, target_mbs, return_outputs, loss_kwargs):
        _wait(_start(self._stage.get_fwd_recv_ops(i)))
        output = self._stage.forward_one_chunk(i, arg_mbs[i], kwarg_mbs[i], save_forward_output=return_outputs)
        self._maybe_compute_loss(self._stage, output, target_mbs, i, loss_kwargs)
        return _start(self._stage.get_fwd_send_ops(i))

    def _backward(self, i):
        _wait(_start(self._stage.get_bwd_recv_ops(i)))
        self._stage.backward_one_chunk(i, loss=self._maybe_get_loss(self._stage, i),
                                       last_backward=i == self._n_microbatches - 1)
        return _start(self._stage.get_bwd_send_ops(i))

    def _finish(self, sends, losses):
        _wait(sends)
        self._update_losses(self._stage, losses)
        self._stage.perform_reduce_grad(self._n_microbatches if self.scale_grads else 1)


class ScheduleGPipe(PipelineScheduleSingle):
    """GPipe: the forwards of every microbatch, then their backwards (in microbatch order)."""

    def _step_microbatches(self, arg_mbs=None, kwarg_mbs=None, target_mbs=None, losses=None, return_outputs=True,
                           loss_kwargs=None):
        arg_mbs, kwarg_mbs = self._prepare(arg_mbs, kwarg_mbs, target_mbs, losses, loss_kwargs)
        sends = []
        for i in range(self._n_microbatches):
            sends += self._forward(i, arg_mbs, kwarg_mbs, target_mbs, return_outputs, loss_kwargs)
        if self._has_backward:
            for i in range(self._n_microbatches):
                sends += self._backward(i)
        self._finish(sends, losses)


class Schedule1F1B(PipelineScheduleSingle):
    """1F1B: stage ``s`` runs ``num_stages - s`` forwards, then alternates one backward and one forward, then
    the remaining backwards; at most ``num_stages - s`` microbatches' activations are alive at once."""

    def __init__(self, stage, n_microbatches, loss_fn=None, args_chunk_spec=None, kwargs_chunk_spec=None,
                 output_merge_spec=None, scale_grads=True):
        super().__init__(stage, n_microbatches, loss_fn, args_chunk_spec, kwargs_chunk_spec, output_merge_spec,
                         scale_grads)
        if n_microbatches < self._num_stages:
            raise ValueError(f"Number of microbatches ({n_microbatches}) must be greater than or equal to the "
                             f"number of stages ({self._num_stages}).")

    def _step_microbatches(self, arg_mbs=None, kwarg_mbs=None, target_mbs=None, losses=None, return_outputs=True,
                           loss_kwargs=None):
        arg_mbs, kwarg_mbs = self._prepare(arg_mbs, kwarg_mbs, target_mbs, losses, loss_kwargs)
        n = self._n_microbatches
        if not self._has_backward:
            sends = []
            for i in range(n):
                sends += self._forward(i, arg_mbs, kwarg_mbs, target_mbs, return_outputs, loss_kwargs)
            return self._finish(sends, losses)
        warmup = min(n, self._num_stages - self._stage.stage_index)
        sends = []
        fwd = bwd = 0
        for _ in range(warmup):
            sends += self._forward(fwd, arg_mbs, kwarg_mbs, target_mbs, return_outputs, loss_kwargs)
            fwd += 1
        while bwd < n:
            sends += self._backward(bwd)
            bwd += 1
            if fwd < n:
                sends += self._forward(fwd, arg_mbs, kwarg_mbs, target_mbs, return_outputs, loss_kwargs)
                fwd += 1
        self._finish(sends, losses)


class PipelineScheduleMulti(_PipelineSchedule):
    """A schedule for several stages per rank (``stages``: this rank's, in increasing stage index)."""

    def __init__(self, stages, n_microbatches, loss_fn=None, args_chunk_spec=None, kwargs_chunk_spec=None,
                 output_merge_spec=None, use_full_backward=None, scale_grads=True, backward_requires_autograd=True):
        super().__init__(n_microbatches, loss_fn, args_chunk_spec, kwargs_chunk_spec, output_merge_spec,
                         scale_grads)
        self._stages = list(stages)
        if not self._stages or not all(isinstance(s, _PipelineStageBase) for s in self._stages):
            raise TypeError(f"{type(self).__name__} expects a list of PipelineStage")
        self._num_stages = self._stages[0].num_stages
        self.pp_group_size = self._stages[0].group_size
        self.rank = self._stages[0].group_rank
        self._stage_by_index = {s.stage_index: s for s in self._stages}
        self._validate_stages()

    def _validate_stages(self):
        for s in self._stages:
            if s.stage_index_to_group_rank[s.stage_index] != self.rank:
                raise RuntimeError(f"Stage {s.stage_index} runs on group rank "
                                   f"{s.stage_index_to_group_rank[s.stage_index]} (stage s on rank "
                                   f"s % {self.pp_group_size}), not on this rank {self.rank}")

    def step(self, *args, target=None, losses=None, return_outputs=True, loss_kwargs=None, **kwargs):
        self._check_grad_mode()
        for stage in self._stages:
            stage.has_backward = self._has_backward
            stage.clear_runtime_states()
        args_split, kwargs_split = self._split_inputs(args, kwargs)
        targets_split = self._split_target(target)
        self._step_microbatches(args_split, kwargs_split, targets_split, losses, return_outputs,
                                loss_kwargs=loss_kwargs)
        for stage in self._stages:
            if stage.is_last and return_outputs:
                return self._merge_outputs(stage.output_chunks)
        return None

    def _order(self):
        """This rank's actions: ``("F" | "B", stage_index, microbatch)`` in the order they run."""
        raise NotImplementedError

    def _step_microbatches(self, arg_mbs=None, kwarg_mbs=None, target_mbs=None, losses=None, return_outputs=True,
                           loss_kwargs=None):
        arg_mbs, kwarg_mbs = self._check_inputs(arg_mbs, kwarg_mbs, target_mbs, losses)
        self._initialize_pp_stages(self._stages, arg_mbs[0], kwarg_mbs[0],
                                   target_mbs[0] if target_mbs is not None else None, loss_kwargs)
        n = self._n_microbatches
        backward_done = {s.stage_index: 0 for s in self._stages}
        sends = []
        for kind, index, i in self._order():
            stage = self._stage_by_index[index]
            if kind == "F":
                _wait(_start(stage.get_fwd_recv_ops(i)))
                output = stage.forward_one_chunk(i, arg_mbs[i], kwarg_mbs[i], save_forward_output=return_outputs)
                self._maybe_compute_loss(stage, output, target_mbs, i, loss_kwargs)
                sends += _start(stage.get_fwd_send_ops(i))
                if not stage.is_last and index + 1 in self._stage_by_index:
                    self._stage_by_index[index + 1].set_local_fwd_input(output, i)
            elif self._has_backward:
                _wait(_start(stage.get_bwd_recv_ops(i)))
                stage.backward_one_chunk(i, loss=self._maybe_get_loss(stage, i), last_backward=i == n - 1)
                if not stage.is_first and index - 1 in self._stage_by_index:
                    self._stage_by_index[index - 1].set_local_bwd_input(stage.get_local_bwd_output(i), i)
                else:
                    sends += _start(stage.get_bwd_send_ops(i))
                backward_done[index] += 1
                if backward_done[index] == n:
                    stage.scale_grads(n if self.scale_grads else 1)
        _wait(sends)
        self._update_losses(self._stages, losses)


class ScheduleLoopedBFS(PipelineScheduleMulti):
    """Breadth first over several stages per rank: each local stage forwards every microbatch (in increasing
    stage order), then each backwards every microbatch (in decreasing stage order)."""

    def __init__(self, stages, n_microbatches, loss_fn=None, output_merge_spec=None, scale_grads=True,
                 backward_requires_autograd=True, defer_pp_recv=False):
        super().__init__(stages, n_microbatches, loss_fn, output_merge_spec=output_merge_spec,
                         scale_grads=scale_grads)

    def _order(self):
        n = self._n_microbatches
        indices = sorted(self._stage_by_index)
        return ([("F", s, i) for s in indices for i in range(n)]
                + [("B", s, i) for s in reversed(indices) for i in range(n)])


class ScheduleInterleaved1F1B(PipelineScheduleMulti):
    """Interleaved 1F1B (Megatron-LM's virtual pipeline, depth first): microbatches go through the local stages
    in rounds of ``n_microbatches // max(1, n_microbatches // world_size)``; after a warm-up of
    ``(local stages - 1) * round + 2 * (world_size - 1 - rank)`` forwards, one forward and one backward
    alternate, then the remaining backwards."""

    def __init__(self, stages, n_microbatches, loss_fn=None, args_chunk_spec=None, kwargs_chunk_spec=None,
                 output_merge_spec=None, scale_grads=True, backward_requires_autograd=True, defer_pp_recv=False):
        super().__init__(stages, n_microbatches, loss_fn, args_chunk_spec, kwargs_chunk_spec, output_merge_spec,
                         scale_grads=scale_grads)
        self.n_local_stages = len(self._stages)
        self.number_of_rounds = max(1, n_microbatches // self.pp_group_size)
        self.microbatches_per_round = n_microbatches // self.number_of_rounds
        if n_microbatches % self.number_of_rounds != 0:
            raise ValueError("Interleaved 1F1B requires the number of microbatches to be a multiple of the number "
                             f"of rounds ({self.number_of_rounds}), but got {n_microbatches}.")

    def _order(self):
        n, w, v, per_round = self._n_microbatches, self.pp_group_size, self.n_local_stages, self.microbatches_per_round
        local = sorted(self._stage_by_index)
        total = n * v
        warmup = min((v - 1) * per_round + 2 * (w - 1 - self.rank), total)
        done = {("F", s): 0 for s in local}
        done.update({("B", s): 0 for s in local})

        def action(kind, stage):
            mb = done[(kind, stage)]
            done[(kind, stage)] += 1
            return (kind, stage, mb)

        actions = [action("F", local[(k // per_round) % v]) for k in range(warmup)]
        for k in range(total - warmup):
            actions.append(action("F", local[((warmup + k) // per_round) % v]))
            actions.append(action("B", local[v - 1 - (k // per_round) % v]))
        for k in range(total - warmup, total):
            actions.append(action("B", local[v - 1 - (k // per_round) % v]))
        return actions


def _zero_bubble(name):
    class _Unsupported(PipelineScheduleMulti):
        def __init__(self, *args, **kwargs):
            raise NotImplementedError(f"ember.distributed.pipelining.{name}: zero-bubble schedules split each "
                                      f"backward into input and weight parts, which ember does not; use "
                                      f"Schedule1F1B or ScheduleInterleaved1F1B")
    _Unsupported.__name__ = _Unsupported.__qualname__ = name
    return _Unsupported


ScheduleInterleavedZeroBubble = _zero_bubble("ScheduleInterleavedZeroBubble")
ScheduleZBVZeroBubble = _zero_bubble("ScheduleZBVZeroBubble")
ScheduleDualPipeV = _zero_bubble("ScheduleDualPipeV")


def get_schedule_class(schedule_name):
    """The schedule class named ``schedule_name`` (case insensitive): ``"1F1B"``, ``"Interleaved1F1B"``,
    ``"GPipe"``, ``"LoopedBFS"``, ... (torchtitan picks its schedule this way).

    >>> get_schedule_class("gpipe").__name__
    'ScheduleGPipe'
    """
    schedules = {"1F1B": Schedule1F1B, "Interleaved1F1B": ScheduleInterleaved1F1B, "GPipe": ScheduleGPipe,
                 "LoopedBFS": ScheduleLoopedBFS, "InterleavedZeroBubble": ScheduleInterleavedZeroBubble,
                 "PipelineScheduleSingle": PipelineScheduleSingle, "PipelineScheduleMulti": PipelineScheduleMulti,
                 "ZBVZeroBubble": ScheduleZBVZeroBubble, "DualPipeV": ScheduleDualPipeV}
    by_lower = {k.lower(): k for k in schedules}
    if schedule_name.lower() not in by_lower:
        raise ValueError(f"Unknown schedule name '{schedule_name}'. The valid options are {list(schedules)}")
    return schedules[by_lower[schedule_name.lower()]]
