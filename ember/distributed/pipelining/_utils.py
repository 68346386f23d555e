"""Errors and tensor descriptions shared by pipeline stages and schedules."""
import json

__all__ = ["PipeliningMetadataError", "TensorMeta"]


class PipeliningMetadataError(RuntimeError):
    """Raised when what a stage is given or receives does not match what the pipeline needs."""


class TensorMeta:
    """Shape, dtype and ``requires_grad`` of a tensor that travels between stages (the recv side allocates
    from it)."""

    def __init__(self, shape, dtype, requires_grad):
        self.shape, self.dtype, self.requires_grad = tuple(int(s) for s in shape), dtype, bool(requires_grad)

    @classmethod
    def of(cls, tensor):
        return cls(tensor.shape, tensor.dtype, tensor.requires_grad)

    def empty(self, requires_grad=False):
        import ember
        t = ember.zeros(self.shape, dtype=self.dtype)
        return t.requires_grad_(True) if requires_grad else t

    def __repr__(self):
        return f"TensorMeta(shape={self.shape}, dtype={self.dtype}, requires_grad={self.requires_grad})"

    def __eq__(self, other):
        return (isinstance(other, TensorMeta) and (self.shape, str(self.dtype), self.requires_grad)
                == (other.shape, str(other.dtype), other.requires_grad))


def metas_to_bytes(metas):
    return json.dumps([[list(m.shape), str(m.dtype).rsplit(".", 1)[-1], m.requires_grad] for m in metas]).encode()


def metas_from_bytes(data):
    import ember
    return tuple(TensorMeta(shape, getattr(ember, dtype), rg) for shape, dtype, rg in json.loads(bytes(data)))
