"""The bike shop's admin for people: owners, bikes and the changelog, at ``/``.

Writes go through the same services as the API (``BikeService.create`` checks the owner,
``OwnerService.delete`` keeps the bikes), each in a DAL context of its own, recorded in the
changelog under the admin's user.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from examples.bikeshop.models import Bike, Owner
from polynom.integrations.admin import PolynomAdmin

__all__ = ["create_admin"]


def create_admin(dm: Any, *, base_url: str = "/") -> PolynomAdmin:
    """The admin site over the bike shop's data manager."""
    # Signs the admin's CSRF tokens and messages; set BIKESHOP_SECRET_KEY to keep them valid
    # across restarts (and the same in every worker process).
    secret = os.environ.get("BIKESHOP_SECRET_KEY") or secrets.token_hex(32)
    admin = PolynomAdmin(dm, title="Bike shop", base_url=base_url, secret_key=secret)
    admin.add_models(
        Owner,
        Bike,
        services={Owner: "owners", Bike: "bikes"},
        label_fields={Bike: ("brand", "model")},
    )
    return admin
