"""ZSL / GZSL / ISLR metrics (numpy only), plus local `evaluate` modules loadable by path. A tie with the true
class counts against it in every top-k metric (a constant scorer is at 0 top-1, never at 100 %).

```python
import evaluate
from lexsign_hf.metrics import evaluate_module_path

metric = evaluate.load(evaluate_module_path("zsl_accuracy"))
metric.compute(predictions=scores, references=labels, unseen_classes=unseen)  # unseen_classes is required
```
"""

from pathlib import Path

from .functional import (
    gzsl_accuracy,
    harmonic_mean,
    islr_accuracy,
    islr_compute_metrics,
    per_class_mean,
    topk_hits,
    zsl_accuracy,
)

MODULES_DIR = Path(__file__).parent / "modules"


def evaluate_module_path(name: str) -> str:
    """Path of a local `evaluate` metric module (`islr_accuracy`, `zsl_accuracy`, `gzsl_accuracy`)."""
    path = MODULES_DIR / name / f"{name}.py"
    if not path.is_file():
        available = sorted(p.name for p in MODULES_DIR.iterdir() if p.is_dir())
        raise ValueError(f"unknown metric module {name!r}; available: {available}")
    return str(path)


__all__ = [
    "evaluate_module_path",
    "gzsl_accuracy",
    "harmonic_mean",
    "islr_accuracy",
    "islr_compute_metrics",
    "per_class_mean",
    "topk_hits",
    "zsl_accuracy",
]
