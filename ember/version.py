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
