"""benchmarks/synth.py loaded as a module, for tests that generate a synthetic organisation."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

SYNTH = Path(__file__).resolve().parents[1] / "benchmarks" / "synth.py"


@cache
def load_synth() -> ModuleType:
    """The generator module (benchmarks/ is no package), loaded once."""
    spec = importlib.util.spec_from_file_location("seenby_bench_synth", SYNTH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
