"""The functional core: pure functions from a validated case to an assessment."""

from bonemet.core.advisor import assess

__all__ = ["assess"]
