"""SQLAlchemy 2 typed models, one module per aggregate."""

from groupement.campaigns.models import Campaign, CampaignItem, NeedLine, PendingUpload, Submission
from groupement.catalog.models import CatalogItem
from groupement.contracts.models import Award, Contract, ContractPrice, Delivery, Order, OrderLine
from groupement.core.audit_log import AuditEvent
from groupement.invoices.models import (
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
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.organisations.models import Groupement, Membership, Organisation
from groupement.organisations.user_models import User
from groupement.tenders.models import AwardCriteria, Offer, OfferLine, Supplier

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
