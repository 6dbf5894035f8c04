"""Example applications built on polynom-dal (run from the repository root)."""
