"""glassgrad's engine: scalar Values, their graph, backward, and gradient checks (stdlib only)."""

from .anomaly import detect_anomaly, first_anomaly, nonfinite_nodes, origin
from .checks import CheckReport, compare_with_torch, gradcheck
from .functional import grad, hessian, hvp, jacobian, jvp
from .graph import topological_order
from .jit import JitError, JitMismatchError, jit
from .modes import is_grad_enabled, name_scope, no_grad
from .steps import BackwardStep, ParentUpdate, backward_steps
from .value import Value

__all__ = [
    "BackwardStep",
    "CheckReport",
    "JitError",
    "JitMismatchError",
    "ParentUpdate",
    "Value",
    "backward_steps",
    "compare_with_torch",
    "detect_anomaly",
    "first_anomaly",
    "grad",
    "gradcheck",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "jit",
    "jvp",
    "name_scope",
    "no_grad",
    "nonfinite_nodes",
    "origin",
    "topological_order",
]
