"""The version of bonemet, written once; imports nothing, so any module may read it (httpx style)."""

__version__ = "0.1.0"
