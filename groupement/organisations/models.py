from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from groupement.core.access import OrganisationKind
from groupement.core.search_text import NAME_KEY_LENGTH, name_key
from groupement.core.types import enum_column
from groupement.extensions import db
from groupement.organisations.families import Family, format_families, parse_families


class FamilySet(TypeDecorator):
    """A set of purchasing families, stored as sorted comma-separated text (portable)."""

    impl = String(80)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return format_families(frozenset(Family(v) for v in value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return parse_families(value)


class ExecutionMode(StrEnum):
    DROIT_COMMUN = "droit_commun"
    INTEGRE = "integre"

    @property
    def label(self) -> str:
        return {"droit_commun": "Droit commun", "integre": "Intégré"}[self.value]


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    name: Mapped[str] = mapped_column(String(200))
    insee_code: Mapped[str | None] = mapped_column(String(5), unique=True)
    siren: Mapped[str] = mapped_column(String(9), unique=True)
    siret: Mapped[str | None] = mapped_column(String(14))
    population: Mapped[int | None]
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    chorus_service_code: Mapped[str] = mapped_column(String(100), default="", server_default="")  # Chorus Pro
    # The coordinator's letterhead logo (PNG or JPEG, checked by content, at most 500 Ko): in the
    # database, never on a local disk; deferred so that loading an organisation does not load it.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_media_type: Mapped[str | None] = mapped_column(String(20))
    # The name in lower case without accents (core/search_text.py), kept by the mapper events
    # below: « isle » finds « L'Isle-d'Abeau », the same on SQLite and PostgreSQL.
    search_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), default="", server_default="")

    memberships: Mapped[list[Membership]] = relationship(back_populates="commune", foreign_keys="Membership.commune_id")

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


@event.listens_for(Organisation, "before_insert")
@event.listens_for(Organisation, "before_update")
def _keep_search_key(_mapper, _connection, organisation: Organisation) -> None:
    organisation.search_key = name_key(organisation.name)


class Groupement(db.Model):
    __tablename__ = "groupement"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    families: Mapped[frozenset[Family]] = mapped_column(FamilySet)
    convention_signed_on: Mapped[date | None]
    execution_mode: Mapped[ExecutionMode] = mapped_column(enum_column(ExecutionMode))

    coordinator: Mapped[Organisation] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="groupement")


class Membership(db.Model):
    """A commune's adhesion to a groupement, for some of its families (convention constitutive)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("groupement_id", "commune_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    groupement_id: Mapped[int] = mapped_column(ForeignKey("groupement.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    families: Mapped[frozenset[Family]] = mapped_column(FamilySet)
    signed_on: Mapped[date]
    left_on: Mapped[date | None]

    groupement: Mapped[Groupement] = relationship(back_populates="memberships")
    commune: Mapped[Organisation] = relationship(back_populates="memberships", foreign_keys=[commune_id])

    def is_active(self, on: date) -> bool:
        return self.signed_on <= on and (self.left_on is None or on < self.left_on)
