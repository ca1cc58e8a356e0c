"""Route guards. Each view declares the roles it admits; the access-matrix test holds them to it."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from groupement.core.access import BUYER_ROLES, Actor, Role

ALL_ROLES = frozenset(Role)


def roles_required(*roles: Role):
    # No role named: the buyers' roles; a supplier's user is admitted only where Role.SUPPLIER is named.
    allowed = frozenset(roles) or BUYER_ROLES

    def decorator(view):
        @wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        guarded.allowed_roles = allowed
        return guarded

    return decorator


def current_actor() -> Actor:
    return current_user.actor
