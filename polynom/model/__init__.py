"""Models: Python objects standing for entries, their state, and relationships between them."""

from polynom.model.model import BaseModel, FlexModel
from polynom.model.model_registry import polynom_model
from polynom.model.relationship import Relationship
from polynom.model.state import ModelState, model_state

__all__ = ["BaseModel", "FlexModel", "ModelState", "Relationship", "model_state", "polynom_model"]
