"""Test helpers shared by every layer and model test (see `layer_checks.py`)."""

from zoo.testing.layer_checks import (
    build_functional_model,
    check_config_round_trip,
    check_fit_step,
    check_mixed_precision,
    check_saving_round_trip,
    check_symbolic_call,
    mixed_precision_policies,
    run_layer_checks,
)
from zoo.testing.numeric import assert_allclose, to_numpy

__all__ = [
    "assert_allclose",
    "build_functional_model",
    "check_config_round_trip",
    "check_fit_step",
    "check_mixed_precision",
    "check_saving_round_trip",
    "check_symbolic_call",
    "mixed_precision_policies",
    "run_layer_checks",
    "to_numpy",
]
