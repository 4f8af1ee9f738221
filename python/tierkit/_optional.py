"""Optional dependencies: imported on first use, with a one-line message naming the extra.

The core path (profiles, strategies, tiers, the command line) needs only numpy, pyarrow and
pyyaml; pandas, polars and matplotlib are extras. A missing one raises
``MissingDependency`` (an ``ImportError``) that says which extra installs it.
"""
from __future__ import annotations

import importlib

# module -> the extra of tierkit's pyproject.toml that installs it
_EXTRAS = {"pandas": "pandas", "polars": "polars", "matplotlib": "plot",
           "matplotlib.pyplot": "plot", "duckdb": "bench",
           "dask": "dask", "dask.dataframe": "dask", "distributed": "dask", "pyspark": "spark",
           "pyspark.sql": "spark"}


class MissingDependency(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def require(module: str, what: str):
    """The imported module, or MissingDependency naming `what` needs it and the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = _EXTRAS.get(module, module.split(".")[0])
        raise MissingDependency(
            f"{what} needs {module.split('.')[0]}, which is not installed: "
            f"pip install 'tierkit[{extra}]'") from None


__all__ = ["MissingDependency", "require"]
