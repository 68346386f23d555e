"""Every primitive op, in one namespace (``ember.autograd.ops.exp`` ...)."""
from .elementwise import *  # noqa: F401,F403
from .elementwise import (abs, pow, round, sum_to, expand_to, add, sub, mul, div, neg, clamp, clip,  # noqa: F401
                          where, maximum, minimum, relu, sigmoid, tanh, exp, log, sqrt)
from .reduce import *  # noqa: F401,F403
from .reduce import sum, max, min, all, any, values_indices  # noqa: F401
from .shape import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .softmax import softmax, log_softmax  # noqa: F401
from .conversion import to  # noqa: F401
from .scan import *  # noqa: F401,F403
from .stats import *  # noqa: F401,F403
from .counting import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .shape_more import *  # noqa: F401,F403
from .index_more import *  # noqa: F401,F403
from .strided import *  # noqa: F401,F403
from .products import *  # noqa: F401,F403
from .torch_linalg import *  # noqa: F401,F403
from .inplace_more import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .complex_numbers import *  # noqa: F401,F403
