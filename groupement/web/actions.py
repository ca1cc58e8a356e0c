"""What every route does with a service's refusal."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash

from groupement.core import transaction
from groupement.core.errors import Forbidden, NotFound, ServiceError


def attempt(action: Callable):
    """Run one service call; a refusal undoes the request's writes and becomes an error flash and
    None. 403/404 stay errors."""
    try:
        return action()
    except (NotFound, Forbidden):
        raise
    except ServiceError as error:
        transaction.discard()
        flash(str(error), "error")
        return None
