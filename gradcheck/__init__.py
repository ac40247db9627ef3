"""gradcheck: checks hand-written backpropagation against finite differences and names the bug."""

from importlib.metadata import PackageNotFoundError, version

from .cases import Problem, case
from .checker import assert_gradients, check
from .errors import CheckError
from .kinds import Kind
from .layers import check_layer, check_network
from .models import check_model
from .numerics.numdiff import step_size
from .report import GradientError, ParamResult, Report
from .vector import check_hessian, check_hvp, check_jacobian, check_jvp, check_vjp

try:
    __version__ = version("gradcheck")
except PackageNotFoundError:  # pragma: no cover - run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "CheckError",
    "GradientError",
    "Kind",
    "ParamResult",
    "Problem",
    "Report",
    "assert_gradients",
    "case",
    "check",
    "check_hessian",
    "check_hvp",
    "check_jacobian",
    "check_jvp",
    "check_layer",
    "check_model",
    "check_network",
    "check_vjp",
    "step_size",
    "__version__",
]
