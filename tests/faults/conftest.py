"""Fault tests record their figures (tests/faults/figures.py; the hooks are in tests/conftest.py)."""

from tests.faults.figures import fault_case  # noqa: F401 - autouse fixture
