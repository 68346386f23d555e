"""``ember.version``: as ``torch.version``, the package version and the (absent) GPU toolkits.

>>> import ember
>>> ember.version.__version__ == ember.__version__, ember.version.cuda
(True, None)
"""
from ember import __version__  # noqa: F401

cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = "unknown"


class TorchVersion(str):
    """A version string that compares as a version (``TorchVersion("2.13.0") >= "2.1"``, ``>= (2, 0)``),
    as ``torch.__version__`` does; what ``torch.__version__`` is while ember runs a PyTorch program
    (``"2.13.0+ember<version>"``: the PyTorch API ember follows, and ember's own version).

    >>> TorchVersion("2.13.0+ember0.1.0") >= "2.0", TorchVersion("2.13.0") < (2, 14)
    (True, True)
    """

    def _release(self):
        head = self.split("+", 1)[0]
        parts = []
        for piece in head.split("."):
            digits = "".join(ch for ch in piece if ch.isdigit()) if not piece.isdigit() else piece
            if not digits:
                break
            parts.append(int(digits))
            if not piece.isdigit():
                break
        return tuple(parts)

    @staticmethod
    def _other(other):
        if isinstance(other, tuple):
            return tuple(int(x) for x in other)
        return TorchVersion(str(other))._release()

    def _cmp(self, other):
        a, b = self._release(), self._other(other)
        n = max(len(a), len(b))
        a, b = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
        if a == b:      # as packaging orders them: a local label ("+cpu") sorts after the plain release
            a, b = self.partition("+")[2], "" if isinstance(other, tuple) else str(other).partition("+")[2]
        return (a > b) - (a < b)

    def __lt__(self, other):
        return self._cmp(other) < 0

    def __le__(self, other):
        return self._cmp(other) <= 0

    def __gt__(self, other):
        return self._cmp(other) > 0

    def __ge__(self, other):
        return self._cmp(other) >= 0

    def __eq__(self, other):
        if isinstance(other, tuple):
            return self._cmp(other) == 0
        if isinstance(other, str):      # as packaging's Version: the release and the local label
            return self._cmp(other) == 0
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = str.__hash__
