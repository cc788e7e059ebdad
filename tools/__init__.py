"""Build helpers that are not part of the package (the documentation site's)."""
