"""``ember.ao.nn``: quantized (``quantized``, ``quantized.dynamic``), fused (``intrinsic``) and
quantization-aware-training (``qat``) modules, named as ``torch.ao.nn``'s."""
