"""Service plans and relationship owners: what each tier is owed, who serves it, what is due,
and what the service achieved (see ``plan``, ``contacts``, ``owners``). Service reads tiers
(from a tier assignment or the tier ledger) and event tables; it never changes tiers."""
from .contacts import CADENCE_STATES, ContactBook, DueList, ServiceKPIs, occasions
from .owners import OWNER_CAUSES, OWNER_REASONS, OwnerAssignment, assign_owners, assign_owners_over
from .plan import ServicePlan
from .tiers import ServiceTiers, service_tiers

__all__ = ["ServicePlan", "ContactBook", "DueList", "ServiceKPIs", "occasions", "OwnerAssignment",
           "assign_owners", "assign_owners_over", "ServiceTiers", "service_tiers", "OWNER_REASONS",
           "OWNER_CAUSES", "CADENCE_STATES"]
