"""Validators and normalisers for contact data.

Each module follows python-stdnum's shape: ``normalize()`` returns the canonical form or
raises :class:`~clientcard.errors.InvalidValueError` with a machine code, ``is_valid()``
answers without raising, and formatting helpers turn the canonical form into what people
read. They accept any object: a wrong type is an invalid value, never a ``TypeError``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.contact import address, email, name, phone, tax

__all__ = ["address", "email", "name", "phone", "tax"]
