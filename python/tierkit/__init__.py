"""tierkit: customer tiering (客户分级) with a C++ core.

Start with ``tierkit.profile(transactions, customer=..., time=..., amount=...)``; the demo
data in ``tierkit.demo.transactions()`` show every input column.
"""
from . import clv, demo, plots, service
from ._core import FORMAT_VERSION, __version__
from ._errors import FormatError, InvalidInput, SchemaError, TierkitError
from .abc import ABC, ABCModel, Concentration, concentration
from .asset_bands import AssetBandModel, AssetBands, PointsStars, RelationshipStars
from .attributes import CustomerAttributes
from ._files import FileSource
from .clv import (BGNBD, CLV, BGNBDModel, CLVModel, CLVSummary, GammaGamma, GammaGammaModel, NotConverged, ParetoNBD,
                  ParetoNBDModel)
from .balances import AccountBalances, CustomerBalances, average_daily_balances
from .groups import Grouped, GroupedModel
from .households import Households
from .kmeans import KMeans, KMeansModel
from .lifecycle import Lifecycle, LifecycleModel
from .over_time import Migration, TierHistory, TierLedger, Transition
from .policy import Explanation, PolicyCheck, TierAssignment, TierPolicy
from .profile import DroppedRows, Profile, ProfileBuilder, ProfileReport, profile
from .pseudonym import pseudonymise, reidentify
from .rfm import RFM, Bins, RFMModel, SegmentCheck, Segments
from .scoring import load, score
from .service import ContactBook, OwnerAssignment, ServicePlan
from .tiering import PolicyError, Tiering, TieringResult, derive_columns
from .transactions import Transactions
from .value_potential import ValuePotential, ValuePotentialModel

__all__ = [
    "__version__",
    "profile",
    "FileSource",
    "Profile",
    "ProfileBuilder",
    "ProfileReport",
    "DroppedRows",
    "Transactions",
    "CustomerAttributes",
    "RFM",
    "Grouped",
    "GroupedModel",
    "Households",
    "RFMModel",
    "Bins",
    "Segments",
    "SegmentCheck",
    "ABC",
    "average_daily_balances",
    "AccountBalances",
    "CustomerBalances",
    "AssetBands",
    "AssetBandModel",
    "RelationshipStars",
    "PointsStars",
    "Lifecycle",
    "ValuePotential",
    "ValuePotentialModel",
    "LifecycleModel",
    "ABCModel",
    "Concentration",
    "concentration",
    "score",
    "TierPolicy",
    "TierAssignment",
    "PolicyCheck",
    "Explanation",
    "Tiering",
    "TieringResult",
    "TierHistory",
    "TierLedger",
    "Transition",
    "Migration",
    "PolicyError",
    "derive_columns",
    "clv",
    "CLV",
    "CLVModel",
    "CLVSummary",
    "BGNBD",
    "BGNBDModel",
    "ParetoNBD",
    "ParetoNBDModel",
    "GammaGamma",
    "GammaGammaModel",
    "NotConverged",
    "KMeans",
    "KMeansModel",
    "pseudonymise",
    "reidentify",
    "ServicePlan",
    "ContactBook",
    "OwnerAssignment",
    "service",
    "load",
    "FORMAT_VERSION",
    "demo",
    "plots",
    "TierkitError",
    "InvalidInput",
    "SchemaError",
    "FormatError",
]
