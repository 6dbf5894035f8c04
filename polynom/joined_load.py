"""PolyNOM 0.3's ``polynom.joined_load`` (a face): ``JoinedLoad(Bike.owner)`` is
:func:`polynom.query.joinedload`, for ``query.options(...)``."""

from polynom.query import JoinedLoad

__all__ = ["JoinedLoad"]
