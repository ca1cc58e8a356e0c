"""SQLAlchemy 2 typed models, one module per aggregate."""

from groupement.models.audit import AuditEvent
from groupement.models.campaigns import Campaign, CampaignItem, NeedLine, PendingUpload, Submission
from groupement.models.catalog import CatalogItem
from groupement.models.contracts import (
    Award,
    AwardCriteria,
    Contract,
    ContractPrice,
    Delivery,
    Offer,
    OfferLine,
    Order,
    OrderLine,
    Supplier,
)
from groupement.models.invoices import (
    Allocation,
    AllocationLine,
    AllocationVat,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceCheck,
    InvoiceLine,
    InvoiceVat,
    Payment,
    RecoveryTitle,
)
from groupement.models.organisations import Groupement, Membership, Organisation
from groupement.models.tenders import Lot, LotLine, LotLineShare
from groupement.models.users import User

__all__ = [
    "Allocation",
    "AllocationLine",
    "AllocationVat",
    "Invoice",
    "InvoiceAllowanceCharge",
    "InvoiceCheck",
    "InvoiceLine",
    "InvoiceVat",
    "Payment",
    "RecoveryTitle",
    "Award",
    "AwardCriteria",
    "Contract",
    "ContractPrice",
    "Delivery",
    "Offer",
    "OfferLine",
    "Order",
    "OrderLine",
    "Supplier",
    "AuditEvent",
    "Campaign",
    "CampaignItem",
    "NeedLine",
    "PendingUpload",
    "Submission",
    "CatalogItem",
    "Lot",
    "LotLine",
    "LotLineShare",
    "Groupement",
    "Membership",
    "Organisation",
    "User",
]
