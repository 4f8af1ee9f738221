"""Tiers over time: periodic re-assessment with upgrade and downgrade rules, the tier ledger,
migrations and tier KPIs (see ``history`` and ``ledger``)."""
from .history import TierHistory, Transition
from .ledger import Migration, TierLedger

__all__ = ["TierHistory", "Transition", "TierLedger", "Migration"]
