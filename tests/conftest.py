import sys
from pathlib import Path

# Test helpers (golden.py, factories) live beside the tests, importable without a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))
