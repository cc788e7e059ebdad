"""What a host application needs to test code built on clientcard.

* :mod:`clientcard.testing.strategies`: hypothesis strategies for valid contact data and
  client cards.

This package imports hypothesis; install ``clientcard[testing]`` to use it.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

__all__: list[str] = []
