"""Service plans (服务方案): what each tier is owed.

    plan = tk.ServicePlan({
        "Diamond": {"owner_role": "private banker", "channels": ["visit", "phone"],
                    "cadence": [{"every_days": 30}, {"channel": "visit", "every_days": 90}],
                    "benefits": ["annual review"], "response_hours": 4, "first_contact_days": 7},
        "Gold": {"owner_role": "wealth manager", "cadence": {"per_period": 1, "period": "month"}},
    }, counted_outcomes=["reached", "visited"])
    plan = tk.ServicePlan.from_file("policy.yaml")      # its service: section, checked against its tiers
    plan = tk.ServicePlan.preset("chinese_retail")       # the asset bands' owner roles

Per tier: ``owner_role`` ("" or absent: no personal owner), ``channels``, ``cadence`` (a rule
or a list of rules: ``every_days`` N -- a contact at least every N days -- or ``per_period``
k with ``period`` (week, month, quarter, year) -- at least k contacts per period; either on
one ``channel`` or, without one, on any channel), ``benefits``, ``response_hours``,
``first_contact_days`` (days after entering the tier before a customer who was never
contacted, or whose last contact is too old for the tier's cadence, is overdue; 0: due on
the day of entry), ``on_upgrade`` ("keep": a customer moving up keeps its owner, the
default; "reassign") and ``on_downgrade`` ("reassign", the default; "keep").
``counted_outcomes``: outcomes of a logged contact that count as made (all, when empty).

The policy file's section (format of ``tierkit.tiering``)::

    service:
      counted_outcomes: [reached, visited]
      tiers:
        Diamond:
          owner_role: key account manager
          cadence: [{every_days: 30}, {channel: visit, every_days: 90}]

Unknown keys, tiers the policy lacks, and bad cadences (negative, both or neither of
every_days and per_period) are errors naming the tier and the close names.
"""
from __future__ import annotations

import difflib
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import _core
from .._errors import InvalidInput, TierkitError

_TIER_KEYS = {"owner_role", "channels", "cadence", "benefits", "response_hours", "first_contact_days",
              "on_upgrade", "on_downgrade"}
_RULE_KEYS = {"channel", "every_days", "per_period", "period"}
_SECTION_KEYS = {"tiers", "counted_outcomes"}


def _close(name, known) -> str:
    known = sorted(map(str, known))
    close = difflib.get_close_matches(str(name), known, n=2, cutoff=0.6)
    return (f" (did you mean {' or '.join(map(repr, close))}?)" if close
            else f" (known: {', '.join(known)})")


def _unknown(keys, known: set, where: str, error) -> None:
    for k in keys:
        if k not in known:
            raise error(f"{where}: unknown key {k!r}{_close(k, known)}")


def _whole(value, what: str, error) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{what} must be a whole number; got {value!r}")
    return int(value)


def _texts(value, what: str, error) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence):
        raise error(f"{what} must be a list of texts; got {value!r}")
    return [str(v) for v in value]


def _rule(spec, where: str, error) -> _core.ContactRule:
    if not isinstance(spec, Mapping):
        raise error(f"{where} must be a mapping such as {{every_days: 30}} or {{per_period: 2, "
                    f"period: month}}; got {spec!r}")
    _unknown(spec, _RULE_KEYS, where, error)
    every = _whole(spec.get("every_days", 0), f"{where}: every_days", error)
    per = _whole(spec.get("per_period", 0), f"{where}: per_period", error)
    period = spec.get("period", "month")
    if period not in ("week", "month", "quarter", "year"):
        raise error(f"{where}: period must be 'week', 'month', 'quarter' or 'year'; got {period!r}")
    return _core.ContactRule(str(spec.get("channel") or ""), every, per, period)


def _tier_service(tier: str, spec, where: str, error) -> _core.TierService:
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise error(f"{where} must be a mapping (owner_role, channels, cadence, ...); got {spec!r}")
    _unknown(spec, _TIER_KEYS, where, error)
    cadence = spec.get("cadence") or []
    if isinstance(cadence, Mapping):
        cadence = [cadence]
    if not isinstance(cadence, Sequence) or isinstance(cadence, str):
        raise error(f"{where}: cadence must be a rule or a list of rules; got {cadence!r}")
    rules = [_rule(r, f"{where}, cadence rule {i + 1}", error) for i, r in enumerate(cadence)]
    hours = spec.get("response_hours", 0)
    if isinstance(hours, bool) or not isinstance(hours, (int, float)):
        raise error(f"{where}: response_hours must be a number; got {hours!r}")
    return _core.TierService(
        str(tier), str(spec.get("owner_role") or ""), _texts(spec.get("channels"), f"{where}: channels", error),
        rules, _texts(spec.get("benefits"), f"{where}: benefits", error), float(hours),
        _whole(spec.get("first_contact_days", 0), f"{where}: first_contact_days", error),
        str(spec.get("on_upgrade", "keep")), str(spec.get("on_downgrade", "reassign")))


def _rule_text(r) -> str:
    where = f" by {r.channel}" if r.channel else ""
    if r.every_days:
        return f"every {r.every_days} days{where}"
    return f"{r.per_period} per {r.period}{where}"


class ServicePlan:
    """What each tier is owed (see the module). ``tiers``: {tier: settings} in rank order
    (highest first; the order ranks tiers of tables that carry no order of their own)."""

    def __init__(self, tiers: Mapping, counted_outcomes: Sequence[str] = (), *, _error=InvalidInput,
                 _where: str = "tierkit.ServicePlan"):
        if not isinstance(tiers, Mapping):
            raise _error(f"{_where}: tiers must be a mapping {{tier: settings}}; got {type(tiers).__name__}")
        entries = [_tier_service(str(t), s, f"{_where}: tier {t!r}", _error) for t, s in tiers.items()]
        try:
            self._core = _core.ServicePlan(entries, _texts(counted_outcomes, f"{_where}: counted_outcomes", _error))
        except TierkitError as e:
            raise _error(str(e)) from None

    @classmethod
    def _from_core(cls, core) -> "ServicePlan":
        obj = object.__new__(cls)
        obj._core = core
        return obj

    @classmethod
    def from_dict(cls, d: Mapping, *, tiers: Sequence[str] | None = None, error=InvalidInput,
                  where: str = "tierkit.ServicePlan") -> "ServicePlan":
        """From a policy file's ``service:`` section ({tiers: {...}, counted_outcomes: [...]});
        with ``tiers`` (the policy's), a plan for a tier it lacks is an error."""
        if not isinstance(d, Mapping):
            raise error(f"{where}: the service section must be a mapping with 'tiers'; got {d!r}")
        _unknown(d, _SECTION_KEYS, where, error)
        if not isinstance(d.get("tiers"), Mapping):
            raise error(f"{where}: needs 'tiers', a mapping from tier to its service")
        plan = cls(d["tiers"], d.get("counted_outcomes") or (), _error=error, _where=where)
        if tiers is not None:
            try:
                plan._core.check_tiers(list(tiers), where)
            except TierkitError as e:
                raise error(str(e)) from None
        return plan

    @classmethod
    def from_file(cls, path) -> "ServicePlan":
        """The ``service:`` section of a policy file, checked against the file's tiers
        (tk.PolicyError otherwise)."""
        from ..tiering import PolicyError, Tiering
        job = Tiering.from_file(path)
        where = f"tierkit policy {job.name!r}: service"
        if not job.service:
            raise PolicyError(f"tierkit policy {job.name!r} ({Path(path).name}) has no service: section")
        return cls.from_dict(job.service, tiers=job.policy.tiers, error=PolicyError, where=where)

    @classmethod
    def preset(cls, name: str = "chinese_retail") -> "ServicePlan":
        """"chinese_retail": the asset bands of ``tk.AssetBands.preset("chinese_retail")``
        (Private banking, Wealth management, Branch managed, Branch staff, Maintained by other
        criteria) with the owner roles of Chinese retail-bank practice -- private banker,
        wealth manager, branch manager, branch staff -- and cadences from a visit every 30
        days to a call every quarter; "Not maintained" customers get no plan."""
        if name != "chinese_retail":
            raise InvalidInput(f"tierkit.ServicePlan.preset: unknown preset {name!r} (known: 'chinese_retail')")
        return cls({
            "Private banking": {"owner_role": "private banker", "channels": ["visit", "phone", "messaging"],
                                "cadence": [{"every_days": 14}, {"channel": "visit", "every_days": 90}],
                                "benefits": ["dedicated banker", "annual portfolio review", "VIP events"],
                                "response_hours": 2, "first_contact_days": 3},
            "Wealth management": {"owner_role": "wealth manager", "channels": ["visit", "phone", "messaging"],
                                  "cadence": [{"every_days": 30}, {"channel": "visit", "every_days": 180}],
                                  "benefits": ["quarterly review", "priority service"],
                                  "response_hours": 4, "first_contact_days": 7},
            "Branch managed": {"owner_role": "branch manager", "channels": ["phone", "messaging", "sms"],
                               "cadence": {"every_days": 60}, "benefits": ["personal offers"],
                               "response_hours": 24, "first_contact_days": 14},
            "Branch staff": {"owner_role": "branch staff", "channels": ["phone", "sms"],
                             "cadence": {"per_period": 1, "period": "quarter"}, "response_hours": 48},
            "Maintained by other criteria": {"owner_role": "branch staff", "channels": ["phone", "sms"],
                                             "cadence": {"per_period": 1, "period": "quarter"},
                                             "response_hours": 48},
        }, counted_outcomes=["reached", "visited"])

    # --- facts -------------------------------------------------------------------------------
    @property
    def tiers(self) -> list[str]:
        return [t.tier for t in self._core.tiers]

    @property
    def channels(self) -> list[str]:
        return list(self._core.channels())

    @property
    def owner_roles(self) -> list[str]:
        return list(self._core.owner_roles())

    @property
    def counted_outcomes(self) -> list[str]:
        return list(self._core.counted_outcomes)

    def __getitem__(self, tier: str) -> dict:
        for t in self._core.tiers:
            if t.tier == tier:
                return self._entry(t)
        raise KeyError(f"tierkit.ServicePlan: no plan for tier {tier!r}{_close(tier, self.tiers)}")

    @staticmethod
    def _entry(t) -> dict:
        return {"owner_role": t.owner_role, "channels": list(t.channels),
                "cadence": [{k: v for k, v in (("channel", r.channel), ("every_days", r.every_days),
                                                ("per_period", r.per_period),
                                                ("period", r.period if r.per_period else None)) if v}
                            for r in t.cadence],
                "benefits": list(t.benefits), "response_hours": t.response_hours,
                "first_contact_days": t.first_contact_days, "on_upgrade": t.on_upgrade,
                "on_downgrade": t.on_downgrade}

    def to_dict(self) -> dict:
        """The plan as a policy file's service section."""
        return {"counted_outcomes": self.counted_outcomes,
                "tiers": {t.tier: self._entry(t) for t in self._core.tiers}}

    def rule_text(self, tier: str, rule: int) -> str:
        """A cadence rule in words ("every 30 days", "1 per quarter by phone")."""
        for t in self._core.tiers:
            if t.tier == tier:
                return _rule_text(t.cadence[rule])
        raise KeyError(tier)

    def check(self, tiers: Sequence[str]) -> None:
        """Raises InvalidInput when the plan names a tier not in `tiers` (with close names)."""
        self._core.check_tiers(list(tiers), "tierkit.ServicePlan.check")

    # --- use ---------------------------------------------------------------------------------
    def contacts(self, log, tiers, **kwargs):
        """A ContactBook: the log read against the tiers (see tierkit.service.ContactBook)."""
        from .contacts import ContactBook
        return ContactBook(self, log, tiers, **kwargs)

    def assign_owners(self, tiers, roster, **kwargs):
        """Owners for the customers of `tiers` (see tierkit.service.assign_owners)."""
        from .owners import assign_owners
        return assign_owners(self, tiers, roster, **kwargs)

    # --- persistence and display --------------------------------------------------------------
    def __reduce__(self):
        d = self.to_dict()
        return (_from_dict, (d,))

    def __eq__(self, other) -> bool:
        return isinstance(other, ServicePlan) and self.to_dict() == other.to_dict()

    __hash__ = None

    def _rows(self) -> list[tuple]:
        return [(t.tier, t.owner_role or "-", ", ".join(t.channels) or "-",
                 "; ".join(_rule_text(r) for r in t.cadence) or "-", ", ".join(t.benefits) or "-",
                 f"{t.response_hours:g} h" if t.response_hours else "-") for t in self._core.tiers]

    def __repr__(self) -> str:
        lines = ["<tierkit ServicePlan>"]
        for tier, role, ch, cad, ben, resp in self._rows():
            lines.append(f"  {tier}: owner {role}; {cad}; channels {ch}; response {resp}; benefits {ben}")
        if self.counted_outcomes:
            lines.append(f"  counted outcomes: {', '.join(self.counted_outcomes)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{h}</th>" for h in ("tier", "owner role", "channels", "cadence", "benefits", "response"))
        rows = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in r) + "</tr>" for r in self._rows())
        tail = (f"<div>counted outcomes: {esc(', '.join(self.counted_outcomes))}</div>"
                if self.counted_outcomes else "")
        return f"<div><strong>tierkit ServicePlan</strong><table><tr>{head}</tr>{rows}</table>{tail}</div>"


def _from_dict(d: dict) -> ServicePlan:
    return ServicePlan.from_dict(d)


__all__ = ["ServicePlan"]
