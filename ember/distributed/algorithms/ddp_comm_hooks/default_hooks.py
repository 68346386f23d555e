"""PyTorch's default DDP communication hooks: plain, float16- and bfloat16-compressed all-reduce.

A hook is ``hook(state, bucket) -> Future`` whose value is the bucket's averaged gradients;
``state`` is the process group to use (None: the default group). Register one with
``ddp_model.register_comm_hook(state, hook)``:

- ``allreduce_hook``: divide by the world size, all-reduce (what DDP does without a hook);
- ``fp16_compress_hook``: cast the bucket to float16, divide, all-reduce, cast back: half the bytes
  on the wire, gradients rounded to float16;
- ``bf16_compress_hook``: the same in bfloat16 (needs ember's ``bfloat16`` extra, ml_dtypes).

Example::

    from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
    model.register_comm_hook(None, default_hooks.fp16_compress_hook)
"""
import ember
import ember.distributed as dist

__all__ = ["allreduce_hook", "fp16_compress_hook", "bf16_compress_hook", "fp16_compress_wrapper",
           "bf16_compress_wrapper"]


def _group(process_group):
    return process_group if process_group is not None else dist.group.WORLD


def _allreduce_fut(process_group, tensor):
    """Average ``tensor`` over the group in place; a future of it."""
    group = _group(process_group)
    tensor.div_(dist.get_world_size(group))
    return dist.all_reduce(tensor, group=group, async_op=True).get_future().then(lambda fut: fut.value()[0])


def allreduce_hook(process_group, bucket):
    """The bucket averaged over the ranks (DDP's own reduction, as a hook)."""
    return _allreduce_fut(process_group, bucket.buffer())


def _compress_hook(dtype, process_group, bucket):
    group = _group(process_group)
    buffer = bucket.buffer()
    compressed = buffer.to(dtype).div_(dist.get_world_size(group))
    fut = dist.all_reduce(compressed, group=group, async_op=True).get_future()

    def decompress(fut):
        buffer.copy_(fut.value()[0])
        return buffer
    return fut.then(decompress)


def fp16_compress_hook(process_group, bucket):
    """All-reduce the bucket in float16 (half the bytes), then back to its dtype."""
    return _compress_hook(ember.float16, process_group, bucket)


def bf16_compress_hook(process_group, bucket):
    """All-reduce the bucket in bfloat16, then back to its dtype."""
    return _compress_hook(ember.bfloat16, process_group, bucket)


def _compress_wrapper(dtype, hook):
    def hook_with_compression(state, bucket):
        bucket.set_buffer(bucket.buffer().to(dtype))     # the wrapped hook sees (and sends) the compressed copy
        fut = hook(state, bucket)

        def decompress(fut):
            out = bucket.buffer()
            out.copy_(fut.value())
            return out
        return fut.then(decompress)
    return hook_with_compression


def fp16_compress_wrapper(hook):
    """``hook`` run on a float16 copy of the bucket (e.g. ``fp16_compress_wrapper(allreduce_hook)``)."""
    return _compress_wrapper(ember.float16, hook)


def bf16_compress_wrapper(hook):
    """``hook`` run on a bfloat16 copy of the bucket."""
    return _compress_wrapper(ember.bfloat16, hook)
