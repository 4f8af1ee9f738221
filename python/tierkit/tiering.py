"""A whole tiering run from one policy file: profile, strategies, tier rules.

    job = tk.Tiering.from_file("policy.yaml")          # or .json, or Tiering.from_dict({...})
    result = job.run(transactions, attributes=attrs, as_of="2024-07-01")
    result.tiers.summary()                              # customers, shares, value per tier
    result.tiers.to_pandas()                            # tier, rule, attributes, columns read

The file (format 1; YAML or JSON)::

    tierkit: 1
    name: retail tiers                      # optional, for messages
    transactions:                           # tk.profile's settings
      customer: CustomerID
      time: InvoiceDate
      amount: amount
      order: InvoiceNo                      # optional roles: order, quantity, channel, category
      derive:                               # new columns, from expressions over the row's columns
        amount: Quantity * UnitPrice
      on_invalid: drop                      # raise (default) or drop, reported either way
      as_of: 2011-12-10                     # optional; run(as_of=...) overrides
      window_start: 2010-12-10              # optional; time_zone, period, spend_series,
                                            # purchase_days also accepted (tierkit.profile)
      valid_dates: [1900-01-01, 2200-12-31] # optional (this is the default): rows dated
                                            # outside are invalid rows (on_invalid)
    attributes:                             # optional: how run(attributes=...) is keyed
      customer: customer_id
    strategies:                             # fitted on the profile; `on: attributes` to fit
      - rfm: {bins: 5}                      #   on the attributes instead
      - abc: {column: monetary}
      - lifecycle: {}                       #   or {p_alive: {dormant: 0.5, churned: 0.2}}
      - clv: {horizon: 52, unit: weeks}     # clv, p_alive, expected_purchases, expected_value
      - kmeans: {k: 4, transform: log_standardize}  # cluster, cluster_name, cluster_distance
    tiers:                                  # first rule that holds names the tier
      - tier: Diamond
        when: abc_class = 'A' and segment = 'Champions'
        owner: key account manager          # any other key is an attribute of the rule
    default: Bronze
    default_attributes: {owner: call centre}
    keep: [monetary]                        # more columns to carry into the tiers
    assessment: {...}                       # tiers over time (tk.TierHistory.from_file)
    service: {...}                          # service plans per tier (tk.ServicePlan.from_file)

Strategies: rfm (tk.RFM's arguments, or ``preset: r_rfm`` ...), abc, lifecycle (``p_alive:
{dormant: 0.5, churned: 0.2}`` judges by P(alive)), value_potential (``preset`` too;
``potential: clv`` with an optional ``clv: {...}`` of tk.CLV's arguments), clv (tk.CLV's
arguments: model, unit, horizon, steps, discount_rate, l2_penalty), kmeans (tk.KMeans's
arguments: columns, k, transform, restarts, seed, names, output, ...), asset_bands (``preset:
chinese_retail`` or bands), relationship_stars, points_stars. Bins may be a number or a mapping of tk.Bins arguments.

Policy choices: the customers tiered are those of the profile (customers with
transactions); attribute rows without transactions are counted in the report, not tiered.
Unknown keys in the file are errors (with the close names), so a typo never silently
changes a run; so is a key written twice in one mapping. Files are UTF-8; YAML aliases may
expand to a bounded number of nodes (``_policy_text``).
"""
from __future__ import annotations

import copy
import datetime
import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from . import _core, _policy_text
from ._arrow import as_arrow
from ._files import FileSource, is_file_source
from ._io import needed_columns
from ._time import valid_dates_arg
from ._errors import InvalidInput, SchemaError, TierkitError
from .abc import ABC
from .asset_bands import AssetBands, PointsStars, RelationshipStars
from .attributes import CustomerAttributes
from .kmeans import KMeans
from .lifecycle import Lifecycle
from .policy import PolicyCheck, TierAssignment, TierPolicy, rule_table_of
from .profile import Profile, ProfileBuilder
from .rfm import RFM, Bins
from .scoring import score
from .value_potential import ValuePotential

FILE_FORMAT = 1


class PolicyError(InvalidInput):
    """A policy file that cannot be used: unreadable, unknown keys, bad rules or settings."""


_PROFILE_KEYS = {"customer", "time", "amount", "order", "quantity", "channel", "category",
                 "derive", "on_invalid", "as_of", "window_start", "time_zone", "period",
                 "spend_series", "purchase_days", "valid_dates"}
# Profile columns that exist only with spend series, and only with purchase days.
SPEND_COLUMNS = frozenset({"spend_growth"})
DAY_COLUMNS = frozenset({"purchase_days", "median_gap", "last_gap", "previous_purchase"})
_TOP_KEYS = {"tierkit", "name", "transactions", "attributes", "strategies", "tiers", "default",
             "default_attributes", "keep", "description", "assessment", "service"}


def _strategy(name: str, config: Mapping, where: str):
    config = dict(config or {})
    if True in config and "on" not in config:  # YAML 1.1 reads a bare `on:` key as true
        config["on"] = config.pop(True)
    on = config.pop("on", "profile")
    if on not in ("profile", "attributes"):
        raise PolicyError(f"{where}: 'on' must be 'profile' or 'attributes'; got {on!r}")
    # `by:` fits the strategy within groups (tk.Grouped); the group columns are read from the
    # attributes given to run().
    grouping = {k: config.pop(k) for k in ("by", "min_size", "unseen", "small", "nulls")
                if k in config}
    if grouping and "by" not in grouping:
        raise PolicyError(f"{where}: {', '.join(grouping)} only go with 'by' (the group columns)")
    if grouping:
        strategy, on = _strategy(name, {**config, "on": on}, where)
        from .groups import Grouped
        try:
            return Grouped(strategy, **grouping), on
        except TierkitError as e:
            raise PolicyError(f"{where}: {e}") from None
    preset = config.pop("preset", None)
    from .clv import CLV
    if isinstance(config.get("clv"), Mapping) and name in ("value_potential", "lifecycle"):
        try:
            config["clv"] = CLV(**config["clv"])
        except TypeError as e:
            raise PolicyError(f"{where}: clv: {e}".replace("__init__()", "clv")) from None
        except TierkitError as e:
            raise PolicyError(f"{where}: clv: {e}") from None
    makers = {"rfm": RFM, "abc": ABC, "lifecycle": Lifecycle, "value_potential": ValuePotential, "clv": CLV,
              "kmeans": KMeans, "asset_bands": AssetBands, "relationship_stars": RelationshipStars,
              "points_stars": PointsStars}
    if name not in makers:
        close = difflib.get_close_matches(name, list(makers), n=2, cutoff=0.5)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else \
            f" (known: {', '.join(makers)})"
        raise PolicyError(f"{where}: unknown strategy {name!r}{hint}")
    maker = makers[name]
    try:
        for k in ("recency", "frequency", "monetary", "value_bins", "potential_bins"):
            if isinstance(config.get(k), Mapping):
                config[k] = Bins(**config[k])
        if "columns" in config and name == "rfm":
            config["columns"] = tuple(config["columns"])
        if preset is not None:
            if not hasattr(maker, "preset"):
                raise PolicyError(f"{where}: strategy {name!r} has no presets")
            return maker.preset(preset, **config), on
        return maker(**config), on
    except PolicyError:
        raise
    except TierkitError as e:
        raise PolicyError(f"{where}: {e}") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as e:
        # A config value of a kind the strategy's Python arguments do not take (a list for
        # a number, a text for a mapping): the file's error, named in the file's terms.
        raise PolicyError(f"{where}: bad config ({type(e).__name__}: {e})".replace(
            "__init__()", name)) from None


def _strategies(spec, where: str) -> list[tuple[str, Any, str]]:
    """[(name, strategy, on)] from a list of {name: config} or a mapping name -> config."""
    if spec is None:
        return []
    items = list(spec.items()) if isinstance(spec, Mapping) else None
    if items is None:
        if not isinstance(spec, list):
            raise PolicyError(f"{where}: 'strategies' must be a list or a mapping")
        items = []
        for i, entry in enumerate(spec):
            if isinstance(entry, str):
                items.append((entry, {}))
            elif isinstance(entry, Mapping) and len(entry) == 1:
                items.append(next(iter(entry.items())))
            else:
                raise PolicyError(f"{where}: strategy {i + 1} must be a name or {{name: config}}")
    out = []
    for name, config in items:
        if config is not None and not isinstance(config, Mapping):
            raise PolicyError(f"{where}: the config of strategy {name!r} must be a mapping")
        s, on = _strategy(str(name), config or {}, f"{where}: strategy {name!r}")
        out.append((str(name), s, on))
    return out


def _unknown(keys, known: set, where: str) -> None:
    for k in keys:
        if k not in known:
            close = difflib.get_close_matches(str(k), sorted(known), n=2, cutoff=0.6)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else \
                f" (known: {', '.join(sorted(known))})"
            raise PolicyError(f"{where}: unknown key {k!r}{hint}")


def derive_columns(table: pa.Table, derive: Mapping[str, str], what: str = "tierkit") -> pa.Table:
    """`table` with each derived column (name -> expression) appended or replaced, in order
    (a later expression may read an earlier result). Results are float64; null where an
    input is null or a division is by zero."""
    for name, text in derive.items():
        expr = _core.Expression.parse(str(text), f"derived column {name!r}")
        missing = [c for c in expr.columns() if c not in table.column_names]
        if missing:
            close = difflib.get_close_matches(missing[0], table.column_names, n=2, cutoff=0.6)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else \
                f" (columns: {', '.join(table.column_names)})"
            raise SchemaError(f"{what}: derived column {name!r} reads {missing[0]!r}, which the "
                              f"data does not have{hint}")
        rt = rule_table_of({c: table.column(c) for c in expr.columns()}, table.num_rows, what)
        values = expr.evaluate_numbers(rt)
        col = pa.array(values, mask=np.isnan(values))
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, col)
        else:
            table = table.append_column(name, col)
    return table


_SCALAR = (str, int, float, bool, datetime.date)


def _check_shape(d: Mapping, where: str) -> None:
    """Raises PolicyError unless every part of a policy file has the kind of value the
    format gives it (a mapping, a list, a text), so that a value of the wrong kind is named
    in the file's terms instead of failing deep inside a run."""
    def fail(what: str, expected: str, value) -> None:
        raise PolicyError(f"{where}: {what} must be {expected}; got {type(value).__name__} "
                          f"{_short(value)}")

    def text(what: str, value) -> None:
        if not isinstance(value, str):
            fail(what, "a text", value)

    def mapping(what: str, value) -> Mapping:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            fail(what, "a mapping", value)
        for k in value:
            if not isinstance(k, str):
                fail(f"a key of {what}", "a text", k)
        return value

    def scalars(what: str, value) -> None:
        for k, v in mapping(what, value).items():
            if v is not None and not isinstance(v, _SCALAR):
                fail(f"{what}.{k}", "a text or a number", v)

    if "name" in d and not isinstance(d["name"], _SCALAR):
        fail("'name'", "a text", d["name"])
    tx = mapping("'transactions'", d.get("transactions"))
    for role in ("customer", "time", "amount", "order", "quantity", "channel", "category",
                 "on_invalid", "time_zone", "period"):
        if role in tx:
            text(f"transactions.{role}", tx[role])
    for day in ("as_of", "window_start"):
        if day in tx and not isinstance(tx[day], (str, datetime.date)):
            fail(f"transactions.{day}", "a date (YYYY-MM-DD)", tx[day])
    if "valid_dates" in tx:
        v = tx["valid_dates"]
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, (str, datetime.date)) for x in v)):
            fail("transactions.valid_dates", "two dates [first, last] (YYYY-MM-DD)", v)
    if "derive" in tx:
        for col, expr in mapping("transactions.derive", tx["derive"]).items():
            if not isinstance(expr, (str, int, float)) or isinstance(expr, bool):
                fail(f"transactions.derive.{col}", "an expression", expr)
    attrs = mapping("'attributes'", d.get("attributes"))
    for k in ("customer", "time_zone"):
        if k in attrs:
            text(f"attributes.{k}", attrs[k])
    if attrs.get("columns") is not None:
        cols = attrs["columns"]
        if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
            fail("attributes.columns", "a list of column names", cols)
    tiers = d.get("tiers")
    for i, rule in enumerate(tiers if isinstance(tiers, list) else []):
        what = f"tier rule {i + 1}"
        if not isinstance(rule, Mapping):
            fail(what, "a mapping with 'tier' and 'when'", rule)
        for k, v in mapping(what, rule).items():
            if k == "attributes":
                scalars(f"{what}: attributes", v)
            elif v is not None and not isinstance(v, _SCALAR):
                fail(f"{what}: {k}", "a text or a number", v)
    if "default" in d and not isinstance(d["default"], _SCALAR):
        fail("'default'", "a tier name", d["default"])
    scalars("'default_attributes'", d.get("default_attributes"))
    keep = d.get("keep")
    if keep is not None and not isinstance(keep, str) and not (
            isinstance(keep, list) and all(isinstance(k, str) for k in keep)):
        fail("'keep'", "a column name or a list of them", keep)


def _short(value, limit: int = 60) -> str:
    r = repr(value)
    return r if len(r) <= limit else r[:limit - 3] + "..."


def _assessment_section(d: Mapping, where: str) -> dict:
    a = d.get("assessment")
    if a is None:
        return {}
    if not isinstance(a, Mapping):
        raise PolicyError(f"{where}: 'assessment' must be a mapping (frequency, window_months, ...)")
    return dict(a)


def _derived_stream(source: pa.RecordBatchReader, derive: Mapping[str, str], what: str) -> pa.RecordBatchReader:
    """The stream with the derived columns added to every batch."""
    batches = (derive_columns(pa.Table.from_batches([b]), derive, what) for b in source)
    first = next(batches, None)
    if first is None:
        return pa.RecordBatchReader.from_batches(source.schema, iter(()))

    def rest():
        yield from first.to_batches()
        for t in batches:
            yield from t.to_batches()
    return pa.RecordBatchReader.from_batches(first.schema, rest())


class TieringResult:
    """What a run produced: the profile, the fitted models, the scores, the tiers, the
    check of the rules on this data and a report of every count a run can lose."""

    def __init__(self, profile: Profile, models: dict, scores: list, tiers: TierAssignment,
                 check: PolicyCheck | None, report: dict, policy: TierPolicy):
        self.profile = profile
        self.models = models
        self.scores = scores
        self.tiers = tiers
        self.check = check
        self.report = report
        self.policy = policy

    def summary(self, value: str | None = "monetary"):
        """Per tier: customers, share, the rules that named them and the sum and share of
        ``value`` (see TierAssignment.summary)."""
        return self.tiers.summary(value)

    def save_models(self, directory) -> list[Path]:
        """Writes every fitted model and the policy as .tkm files (tk.load reads them)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        written = []
        for name, model in self.models.items():
            if hasattr(model, "save"):
                model.save(d / f"{name}.tkm")
                written.append(d / f"{name}.tkm")
        self.policy.save(d / "policy.tkm")
        written.append(d / "policy.tkm")
        return written

    def __repr__(self) -> str:
        return f"<tierkit tiering of {len(self.tiers):,} customers>\n{self.tiers!r}"

    def _repr_html_(self) -> str:
        return self.tiers._repr_html_()


class Tiering:
    """A tiering job: profile settings, strategies and a tier policy (see the module)."""

    # The mapping a job read from a file or dict was built from, with its name: a job
    # shipped to Dask or Spark workers is rebuilt from it (None: built in Python).
    _spec: tuple[dict, str | None] | None = None

    def __init__(self, policy: TierPolicy, *, transactions: Mapping | None = None,
                 attributes: Mapping | None = None, strategies=None, keep=(),
                 name: str | None = None, assessment: Mapping | None = None,
                 service: Mapping | None = None):
        self.name = name or "tiering"
        # The file's `assessment:` section, read by tk.TierHistory.from_file (checked there).
        self.assessment = dict(assessment or {})
        # The file's `service:` section, read by tk.ServicePlan.from_file (checked there).
        self.service = service
        where = f"tierkit policy {self.name!r}"
        self.policy = policy
        self.transactions = dict(transactions or {})
        _unknown(self.transactions, _PROFILE_KEYS, f"{where}: transactions")
        for flag in ("spend_series", "purchase_days"):
            if flag in self.transactions and not isinstance(self.transactions[flag], bool):
                raise PolicyError(f"{where}: transactions.{flag} must be true or false; got "
                                  f"{self.transactions[flag]!r}")
        if "valid_dates" in self.transactions:
            try:
                valid_dates_arg(self.transactions["valid_dates"], f"{where}: transactions")
            except InvalidInput as e:
                raise PolicyError(str(e)) from None
        derive = self.transactions.get("derive") or {}
        if not isinstance(derive, Mapping):
            raise PolicyError(f"{where}: transactions.derive must map column names to expressions")
        for col, text in derive.items():
            try:
                _core.Expression.parse(str(text), f"derived column {col!r}")
            except TierkitError as e:
                raise PolicyError(f"{where}: {e}") from None
        self.attributes = dict(attributes or {})
        _unknown(self.attributes, {"customer", "columns", "time_zone"}, f"{where}: attributes")
        self.strategies = _strategies(strategies, where)
        self.keep = [keep] if isinstance(keep, str) else list(keep or [])
        policy._check_attribute_names(self.keep, where, PolicyError)

    @classmethod
    def from_dict(cls, d: Mapping, name: str | None = None) -> "Tiering":
        """A policy from the mapping a policy file holds (strategies, tiers, default,
        assessment, service); raises PolicyError naming the key that is wrong."""
        if not isinstance(d, Mapping):
            raise PolicyError(f"tierkit policy {name or ''}".rstrip() +
                              ": the policy must be a mapping with a 'tiers' list")
        if name is None and d.get("name") is not None:
            name = d["name"] if isinstance(d["name"], str) else None
        where = f"tierkit policy {name or ''}".rstrip()
        _unknown(d, _TOP_KEYS, where)
        _check_shape(d, where)
        version = d.get("tierkit", FILE_FORMAT)
        if version != FILE_FORMAT:
            raise PolicyError(f"{where}: file format {version!r} is not readable by this "
                              f"tierkit (reads format {FILE_FORMAT})")
        if not isinstance(d.get("tiers"), list):
            raise PolicyError(f"{where}: needs a 'tiers' list of rules")
        try:
            policy = TierPolicy.from_dict(d)
        except TierkitError as e:
            raise PolicyError(f"{where}: {e}") from None
        job = cls(policy, transactions=d.get("transactions"), attributes=d.get("attributes"),
                  strategies=d.get("strategies"), keep=d.get("keep", ()),
                  name=name or d.get("name"), assessment=_assessment_section(d, where),
                  service=d.get("service"))
        # Kept for pickling (a job shipped to Dask or Spark workers is rebuilt from it).
        job._spec = (copy.deepcopy(dict(d)), name)
        return job

    def __reduce__(self):
        spec = getattr(self, "_spec", None)
        if spec is None:
            raise TypeError("a Tiering pickles when made by Tiering.from_dict or from_file; build "
                            "it from its policy dict to ship it to other processes")
        return (Tiering.from_dict, spec)

    @classmethod
    def from_file(cls, path) -> "Tiering":
        """From a .yaml/.yml or .json file: UTF-8 text, no key repeated within a mapping,
        YAML aliases expanding to a bounded number of nodes, at most MAX_POLICY_BYTES
        (see ``_policy_text``)."""
        path = Path(path)
        try:
            with open(path, "rb") as f:
                # One byte more than allowed is enough to tell a file that is too large.
                data = f.read(_policy_text.MAX_POLICY_BYTES + 1)
        except OSError as e:
            raise PolicyError(f"tierkit: cannot read the policy file {str(path)!r}: {e.strerror}") from None
        return cls._from_bytes(data, f"tierkit: the policy file {str(path)!r}",
                               path.suffix.lower() == ".json", path.name)

    @classmethod
    def _from_bytes(cls, data: bytes, where: str, is_json: bool, name: str) -> "Tiering":
        """The job of a policy file's bytes (from_file; fuzz/fuzz_policy.py): every problem
        is a PolicyError whose message begins with `where`."""
        try:
            text = _policy_text.decode(data)
            d = _policy_text.load_json(text) if is_json else _policy_text.load_yaml(text)
        except _policy_text.PolicyTextError as e:
            raise PolicyError(f"{where} {e}") from None
        except RecursionError:
            raise PolicyError(f"{where} nests deeper than Python can read") from None
        except (ValueError, ImportError) as e:  # json.JSONDecodeError is a ValueError
            raise PolicyError(f"{where} is not valid: {e}") from None
        except Exception as e:  # yaml.YAMLError: the message has the line and column
            raise PolicyError(f"{where} is not valid YAML: {e}") from None
        if not isinstance(d, Mapping):
            raise PolicyError(f"{where} must hold a mapping with a 'tiers' list")
        return cls.from_dict(d, name=d.get("name") or name)

    # --- running ---------------------------------------------------------------------------
    @property
    def roles(self) -> dict:
        """The transactions' column roles (customer, time, amount and the optional ones)."""
        return {k: v for k, v in self.transactions.items()
                if k in ("customer", "time", "amount", "order", "quantity", "channel", "category")}

    def profile_needs(self) -> set[str] | None:
        """The profile columns the job reads (its rules, keep and the strategies fitted on the
        profile), or None when a strategy does not say which it reads."""
        needs = set(self.policy.columns) | set(self.keep)
        for _, strategy, on in self.strategies:
            if on != "profile":
                continue
            reads = getattr(strategy, "profile_columns", None)
            if reads is None:
                return None
            needs |= set(reads)
        return needs

    def profile_settings(self, as_of=None) -> dict:
        """tk.profile's arguments for the job. Spend series and purchase days (each costs a
        pass of per-customer state) are built when the file asks for them, or when it does
        not say and the job may read them: a job of RFM, ABC and rules on the basic metrics
        profiles without them."""
        s = {k: v for k, v in self.transactions.items() if k != "derive"}
        needs = self.profile_needs()
        for flag, columns in (("spend_series", SPEND_COLUMNS), ("purchase_days", DAY_COLUMNS)):
            if flag not in s:
                s[flag] = needs is None or bool(needs & columns)
        if as_of is not None:
            s["as_of"] = as_of
        return s

    def run(self, transactions, attributes=None, *, as_of=None, threads: int | None = None,
            progress=None, models: Mapping | None = None) -> TieringResult:
        """Profile `transactions`, fit and apply the strategies, assign tiers.

        ``transactions``: any input tk.profile reads, or a finished Profile.
        ``attributes``: CustomerAttributes or a keyed table (key named in the file's
        ``attributes.customer``, default "customer_id"). ``as_of`` overrides the file's.
        ``progress``: a callable taking a message, for each finished step.
        ``models``: fitted models by strategy name (as in ``result.models``) to apply as they
        are instead of fitting those strategies (frozen cut points).
        """
        return self._run(transactions, attributes, as_of=as_of, threads=threads, progress=progress,
                         models=models, check=True)

    def _run(self, transactions, attributes=None, *, as_of=None, threads: int | None = None,
             progress=None, models: Mapping | None = None, check: bool = True) -> TieringResult:
        """run(); without the check of the rules on the data (result.check None) when
        ``check`` is false: a caller that reads only the tiers, scores and models (a history's
        assessments) does not pay for it."""
        step = progress or (lambda message: None)
        what = f"tierkit policy {self.name!r}"
        report: dict[str, Any] = {}
        files = FileSource(transactions, what=what) if (
            not isinstance(transactions, Profile) and is_file_source(transactions)) else None
        source = as_arrow(transactions, what) if not isinstance(transactions, Profile) and files is None else None
        if isinstance(transactions, Profile):
            prof = transactions
        elif files is not None:
            # Files: streamed batch by batch, only the columns the job reads (derived columns
            # added per batch), the window pushed down to Parquet row groups.
            derive = self.transactions.get("derive") or {}
            settings = self.profile_settings(as_of)
            roles = {k: settings.pop(k) for k in ("customer", "time", "amount", "order", "quantity",
                                                  "channel", "category") if k in settings}
            builder = ProfileBuilder(**roles, **settings, threads=threads)
            builder._update_files(files, columns=needed_columns(roles, derive),
                                  transform=(lambda r: _derived_stream(r, derive, what)) if derive else None)
            prof = builder.finish()
            step(f"profiled {prof.report.rows_read:,} rows of {len(files.files):,} files into "
                 f"{len(prof):,} customers")
        else:
            derive = self.transactions.get("derive") or {}
            if isinstance(source, pa.RecordBatchReader):
                # A stream (a file read batch by batch): derived columns per batch, profiled as
                # the batches come; the rows are never all in memory at once.
                if derive:
                    source = _derived_stream(source, derive, what)
            elif derive:
                source = derive_columns(source, derive, what)
                step(f"derived {', '.join(derive)}")
            settings = self.profile_settings(as_of)
            roles = {k: settings.pop(k) for k in ("customer", "time", "amount", "order", "quantity",
                                                  "channel", "category") if k in settings}
            builder = ProfileBuilder(**roles, **settings, threads=threads)
            builder.update(source)
            prof = builder.finish()
            step(f"profiled {prof.report.rows_read:,} rows into {len(prof):,} customers")
        rep = getattr(prof, "report", None)
        if rep is not None:
            report["profile"] = rep
        attrs = None
        if attributes is not None:
            attrs = attributes if isinstance(attributes, CustomerAttributes) else CustomerAttributes(
                attributes, customer=self.attributes.get("customer", "customer_id"),
                columns=self.attributes.get("columns"),
                time_zone=self.attributes.get("time_zone", "UTC"))
            report["attributes"] = attrs.coverage(prof)
        frozen = dict(models or {})
        unknown = [n for n in frozen if n not in {name for name, _, _ in self.strategies}]
        if unknown:
            raise InvalidInput(f"{what}: models were given for {', '.join(map(repr, unknown))}, "
                               "which the policy has no strategy of")
        models, scores = {}, []
        on_profile = [(n, s) for n, s, on in self.strategies if on == "profile"]
        on_attrs = [(n, s) for n, s, on in self.strategies if on == "attributes"]
        if on_attrs and attrs is None:
            raise InvalidInput(f"{what}: strategies {', '.join(n for n, _ in on_attrs)} are fitted "
                               "on the attributes; pass attributes=...")
        for group, data in ((on_profile, prof), (on_attrs, attrs)):
            if not group:
                continue
            fitted = {n: _Recorder(_with_groups(s, attrs, n, what), models, n,
                                   (frozen or {}).get(n), attrs) for n, s in group}
            if data is attrs:
                assert attrs is not None  # strategies on attributes raised without them
                scores.append(score(attrs.to_arrow(), *fitted.values(), key=attrs._key_name))
            else:
                scores.append(score(data, *fitted.values()))
            step(f"scored with {', '.join(fitted)}")
        inputs = [prof, *scores] + ([attrs] if attrs is not None else [])
        names = ["profile"] + [f"scores ({', '.join(n for n, _ in g)})"
                               for g in (on_profile, on_attrs) if g] + ["attributes"]
        tiers = self.policy.assign(*inputs, keep=self.keep, threads=threads)
        tiers.coverage = {names[int(k.split()[1]) - 1]: v for k, v in tiers.coverage.items()}
        report["coverage"] = tiers.coverage
        checked = self.policy.check(*inputs) if check else None
        step(f"assigned {len(tiers):,} customers to {len(self.policy.tiers)} tiers")
        return TieringResult(prof, models, scores, tiers, checked, report, self.policy)

    def __repr__(self) -> str:
        names = ", ".join(n for n, _, _ in self.strategies) or "none"
        return f"<tierkit Tiering {self.name!r}: strategies {names}>\n{self.policy!r}"


def _with_groups(strategy, attrs, name: str, what: str):
    """A grouped strategy reading its group columns from this run's attributes."""
    from .groups import Grouped
    if not isinstance(strategy, Grouped):
        return strategy
    if attrs is None:
        raise InvalidInput(f"{what}: strategy {name!r} is fitted by {', '.join(strategy.by)}, "
                           "read from the attributes; pass attributes=...")
    import copy
    s = copy.copy(strategy)
    s.groups = attrs
    return s


class _Recorder:
    """Wraps a strategy so the model ``score`` fits is kept (for saving and audit); with a
    frozen model, that model is used instead of fitting."""

    def __init__(self, strategy, models: dict, name: str, frozen=None, groups=None):
        self._strategy, self._models, self._name, self._frozen = strategy, models, name, frozen
        self._groups = groups

    @property
    def reads_source(self) -> bool:
        return getattr(self._strategy, "reads_source", False)

    def fit(self, data, key: str | None = None):
        if self._frozen is not None:
            model = self._frozen
            if hasattr(model, "groups_source") and self._groups is not None:
                model.groups_source = self._groups  # a frozen grouped model reads the run's groups
        else:
            model = self._strategy.fit(data) if key is None else self._strategy.fit(data, key=key)
        self._models[self._name] = model
        return model


__all__ = ["Tiering", "TieringResult", "PolicyError", "derive_columns", "FILE_FORMAT"]
