"""tierkit on Dask: profiles, strategies and tier policies over a Dask DataFrame of
transactions, with the answers of one process.

    import tierkit.dask as tkd
    prof = tkd.profile(ddf, customer="customer_id", time="time", amount="amount")
    model = tkd.fit(tk.RFM(), prof)                  # cut points exactly as in one process
    scores = tkd.apply(model, tkd.to_dask(prof, 8))  # a Dask DataFrame, scored per partition
    result = tkd.run(tk.Tiering.from_file("policy.yaml"), ddf)
    result.tiers                                     # a Dask DataFrame, one row per customer

How: every partition of transactions becomes a ``ProfileBuilder`` state shipped as bytes;
the states are merged pairwise in a tree (``merge`` is exact, so any partitioning and any
merge order give the single-pass profile) and the last one is finished on the client. Cut
points and thresholds are fitted on that profile, so they are the one-process ones by
construction. ``run`` then tiers the customers per partition: the transactions are
shuffled by customer, so that every customer's rows meet in one partition, and each
partition is profiled and tiered with the frozen models and the job's as_of.

Memory: the client holds the merged state and the profile (see docs/scale.md for bytes per
customer); workers hold one partition and one state at a time.

Needs ``pip install 'tierkit[dask]'`` (dask[dataframe] and distributed); imported only
when used.
"""
from __future__ import annotations

import pickle

import pyarrow as pa

from ._errors import InvalidInput, SchemaError
from ._optional import require
from .profile import Profile, ProfileBuilder
from .tiering import Tiering

_ROLE_NAMES = ("customer", "time", "amount", "order", "quantity", "channel", "category")
_SETTINGS = ("as_of", "window_start", "time_zone", "period", "spend_series", "purchase_days",
             "on_invalid", "valid_dates", "threads")


def _dd(what: str):
    require("dask", what)
    return require("dask.dataframe", what)


def _check_frame(ddf, roles: dict, what: str) -> None:
    dd = _dd(what)
    if not isinstance(ddf, dd.DataFrame):
        raise InvalidInput(f"{what}: expected a dask.dataframe.DataFrame; got "
                           f"{type(ddf).__module__}.{type(ddf).__name__}")
    names = list(ddf.columns)
    for role, col in roles.items():
        if col is not None and col not in names:
            from ._arrow import missing_column
            raise missing_column(col, [str(n) for n in names], role, what)
    # Types checked on the client from the frame's dtypes, before any task is sent.
    import pandas.api.types as pt
    checks = {"time": (lambda d: pt.is_datetime64_any_dtype(d) or str(d).startswith(("date32", "timestamp")),
                       "dates or timestamps"),
              "amount": (lambda d: pt.is_numeric_dtype(d) and not pt.is_bool_dtype(d), "numbers"),
              "quantity": (lambda d: pt.is_numeric_dtype(d) and not pt.is_bool_dtype(d), "numbers")}
    for role, col in roles.items():
        if col is not None and role in checks and not checks[role][0](ddf.dtypes[col]):
            raise SchemaError(f"{what}: the {role} column {col!r} has dtype {ddf.dtypes[col]}; "
                              f"expected {checks[role][1]} (convert it, e.g. ddf.astype(...))")


def _arrow(pdf) -> pa.Table:
    return pa.Table.from_pandas(pdf, preserve_index=False)


def _partial(pdf, kwargs: dict) -> bytes:
    """One partition's ProfileBuilder state as bytes (an empty partition: an empty state)."""
    b = ProfileBuilder(**kwargs)
    if len(pdf):
        b.update(_arrow(pdf))
    return b.to_bytes()


def _merge(*states: bytes) -> bytes:
    out = ProfileBuilder.from_bytes(states[0])
    for s in states[1:]:
        out.merge(ProfileBuilder.from_bytes(s))
    return out.to_bytes()


def partial_states(ddf, **kwargs) -> list:
    """One dask.delayed ProfileBuilder state (bytes) per partition."""
    _dd("tierkit.dask.profile")
    import dask
    roles = {k: kwargs.get(k, d) for k, d in (("customer", "customer_id"), ("time", "time"),
                                              ("amount", "amount"))}
    roles.update({k: kwargs.get(k) for k in _ROLE_NAMES if k not in roles})
    _check_frame(ddf, roles, "tierkit.dask.profile")
    unknown = set(kwargs) - set(_ROLE_NAMES) - set(_SETTINGS)
    if unknown:
        raise InvalidInput(f"tierkit.dask.profile: unknown arguments {', '.join(sorted(unknown))}")
    ProfileBuilder(**kwargs)  # settings checked here, before any task is sent
    return [dask.delayed(_partial)(p, kwargs) for p in ddf.to_delayed()]


def merged_state(ddf, *, fan_in: int = 8, **kwargs):
    """The delayed merge of all partitions' states (bytes), in a tree of `fan_in`."""
    _dd("tierkit.dask.profile")
    import dask
    level = partial_states(ddf, **kwargs)
    while len(level) > 1:
        level = [dask.delayed(_merge)(*level[i:i + fan_in]) for i in range(0, len(level), fan_in)]
    return level[0]


def builder(ddf, **kwargs) -> ProfileBuilder:
    """The merged ProfileBuilder of all partitions (computed)."""
    return ProfileBuilder.from_bytes(merged_state(ddf, **kwargs).compute())


def profile(ddf, **kwargs) -> Profile:
    """tk.profile over a Dask DataFrame of transactions (same arguments): the exact
    single-process profile, built from per-partition states merged in a tree."""
    b = builder(ddf, **kwargs)
    if b._core_state is None:
        raise InvalidInput("tierkit.dask.profile: the DataFrame has no rows (0 rows in every "
                           "partition)")
    return b.finish()


def fit(strategy, data, **kwargs):
    """A strategy fitted on the whole data: a Profile, or a Dask DataFrame of transactions
    (profiled first with kwargs). Cut points and thresholds are the one-process ones."""
    if not (hasattr(strategy, "fit") and callable(strategy.fit)):
        raise InvalidInput(f"tierkit.dask.fit: {type(strategy).__name__} has no fit(data) method")
    prof = data if isinstance(data, Profile) else profile(data, **kwargs)
    return strategy.fit(prof)


def to_dask(prof: Profile, npartitions: int = 1):
    """A profile as a Dask DataFrame of `npartitions` partitions (in key order)."""
    dd = _dd("tierkit.dask.to_dask")
    if not isinstance(prof, Profile):
        raise InvalidInput(f"tierkit.dask.to_dask: expected a tierkit.Profile; got {type(prof).__name__}")
    return dd.from_pandas(prof.to_arrow().to_pandas(), npartitions=max(1, int(npartitions)), sort=False)


def _apply_part(pdf, model, key: str, meta=None):
    if not len(pdf) and meta is not None:
        return meta
    if isinstance(model, bytes):
        model = pickle.loads(model)
    return model.apply(_arrow(pdf), key=key).to_arrow().to_pandas()


def apply(model, ddf, key: str | None = None):
    """model.apply per partition of a Dask DataFrame of per-customer metrics (a profile
    from to_dask, or a keyed table): a Dask DataFrame of the model's output columns."""
    _dd("tierkit.dask.apply")
    if not (hasattr(model, "apply") and callable(model.apply)):
        raise InvalidInput(f"tierkit.dask.apply: {type(model).__name__} has no apply(data) method")
    key = key or str(ddf.columns[0])
    _check_frame(ddf, {"key": key}, "tierkit.dask.apply")
    sample = ddf.head(64, npartitions=-1)
    if not len(sample):
        raise InvalidInput("tierkit.dask.apply: the DataFrame has no rows")
    meta = _apply_part(sample, model, key).iloc[:0]
    # The model travels as bytes (tasks are keyed by a hash of their arguments).
    return ddf.map_partitions(_apply_part, pickle.dumps(model), key, meta, meta=meta)


class DaskTieringResult:
    """What tierkit.dask.run produced: the fitted models (exactly the one-process ones),
    the profile's report, and the tiers as a Dask DataFrame (one row per customer)."""

    def __init__(self, models: dict, report: dict, tiers, as_of):
        self.models = models
        self.report = report
        self.tiers = tiers
        self.as_of = as_of

    def __repr__(self) -> str:
        return (f"<tierkit DaskTieringResult: models {', '.join(self.models) or 'none'}; as of "
                f"{self.as_of}; tiers in {self.tiers.npartitions} partitions>")


def _tier_part(pdf, payload: bytes, meta):
    if not len(pdf):
        return meta
    job, as_of, models, threads = pickle.loads(payload)
    res = job.run(_arrow(pdf), as_of=as_of, models=models, threads=threads)
    return res.tiers.to_arrow().to_pandas()


def run(job: Tiering, ddf, *, as_of=None, threads: int | None = 1, npartitions: int | None = None) -> DaskTieringResult:
    """A tier policy over a Dask DataFrame of transactions.

    The strategies are fitted on the merged profile (exact cut points); then the
    transactions are shuffled by customer into `npartitions` (default: as many as ddf
    has) and every partition is tiered with those frozen models and the job's as_of, so
    every customer's tier is the one-process one. threads: per task (1 by default, as Dask
    runs tasks side by side). Derived columns of the policy file are not supported here.
    """
    if not isinstance(job, Tiering):
        raise InvalidInput(f"tierkit.dask.run: expected a tierkit.Tiering; got {type(job).__name__}")
    if job.transactions.get("derive"):
        raise InvalidInput("tierkit.dask.run: policy files with derived columns are not supported "
                           "on Dask; add the columns to the DataFrame (ddf.assign) and name them")
    settings = job.profile_settings(as_of)
    roles = {k: settings.pop(k) for k in _ROLE_NAMES if k in settings}
    _check_frame(ddf, roles, "tierkit.dask.run")
    prof = profile(ddf, **roles, **settings, threads=threads)
    whole = job.run(prof, threads=threads)
    fixed_as_of = prof.as_of
    cols = [c for c in dict.fromkeys(roles.values()) if c]
    shuffled = ddf[cols].shuffle(on=roles["customer"], npartitions=npartitions or ddf.npartitions)
    meta = whole.tiers.to_arrow().slice(0, 0).to_pandas()
    payload = pickle.dumps((job, fixed_as_of, whole.models, threads))
    tiers = shuffled.map_partitions(_tier_part, payload, meta, meta=meta)
    return DaskTieringResult(whole.models, whole.report, tiers, fixed_as_of)


__all__ = ["profile", "partial_states", "merged_state", "builder", "fit", "apply", "to_dask", "run",
           "DaskTieringResult"]
