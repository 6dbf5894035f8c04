"""Models: Python objects standing for entries, and relationships between them."""

from polynom.model.model import BaseModel, FlexModel
from polynom.model.model_registry import polynom_model
from polynom.model.relationship import Relationship

__all__ = ["BaseModel", "FlexModel", "Relationship", "polynom_model"]
