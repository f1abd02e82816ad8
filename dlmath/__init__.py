"""dlmath — the mathematics of deep learning, in NumPy, implemented by you.

Modules mirror the course chapters (``dlmath.activations`` is chapter
03_activations, ...). Each graded function's docstring gives its formula, the
shapes it takes and returns, and the notebook section that derives it.

Check your work with ``dlmath.check("sigmoid")`` or ``dlmath.check("03_activations")``.
"""
from dlmath import frameworks  # cheap: TensorFlow is imported only when frameworks.tensorflow() is called
from dlmath.checking import assert_implemented, check, skip_if_missing

__version__ = "0.1.0"
__all__ = ["check", "assert_implemented", "skip_if_missing", "frameworks", "__version__"]
