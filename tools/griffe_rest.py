"""A griffe extension: clientcard's reStructuredText docstrings, read as Markdown.

The package's docstrings are written for Sphinx-style readers (``:class:`X```,
``.. versionadded::``, doctest blocks, ``::`` literal blocks), while mkdocstrings renders
docstring text as Markdown. Once griffe has loaded the package, this extension rewrites
every docstring in place:

* roles (``:class:``, ``:meth:``, ``:func:``, ``:attr:``, ``:data:``, ``:mod:``, ``:exc:``,
  ``:obj:``) become code that links to the object when the site documents it, and stays
  plain code when it does not (an *optional* autorefs reference, as mkdocstrings uses in
  signatures, so a reference to an undocumented object is never a broken link);
* ``.. versionadded:: X`` becomes a line "Added in version X.";
* a field written on the summary line starts a line of its own;
* on an attrs class (no ``__init__`` in its source), ``:param x:`` documents the
  attribute ``x`` the generated ``__init__`` takes, so it becomes ``:ivar x:``;
* doctest blocks (``>>>`` lines) and ``::`` literal blocks become fenced code.

The field lists (``:param x:``, ``:raises E:``, ``:ivar x:``) are left to griffe's
Sphinx parser (``docstring_style: sphinx`` in ``mkdocs.yml``).
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

__all__ = ["RestructuredDocstrings", "to_markdown"]

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|mod|exc|obj|const):`(~?)([^`]+)`")
_VERSION = re.compile(r"^(\s*)\.\. versionadded:: (\S+)\s*$")
# A field written on the summary line ("Return a card. :raises NotFoundError: ...") starts
# a field list of its own, as the Sphinx parser expects.
_PARAM = re.compile(r"^(\s*):param (\w+):", flags=re.MULTILINE)
_INLINE_FIELD = re.compile(r"(?<=\S) +(:(?:raises|param|returns?) [^:`]*:)")


def _resolve(obj: griffe.Object, target: str) -> str | None:
    """The full path of ``target`` as seen from ``obj``, or ``None``."""
    if target.startswith("clientcard."):
        return target
    head, _, rest = target.partition(".")
    scope: griffe.Object | None = obj
    while scope is not None:
        try:
            resolved = scope.resolve(head)
        except (griffe.NameResolutionError, KeyError, AttributeError):
            scope = scope.parent
            continue
        return f"{resolved}.{rest}" if rest else resolved
    return None


def _role(obj: griffe.Object, match: re.Match[str]) -> str:
    short, target = match.group(1) == "~", match.group(2).strip()
    target = target.removesuffix("()")
    title = target.rsplit(".", 1)[-1] if short else target
    identifier = _resolve(obj, target)
    code = f"<code>{title}</code>"
    if identifier is None:
        return code
    return f'<autoref identifier="{identifier}" optional>{code}</autoref>'


def _blocks(text: str) -> str:
    """Fence doctest and ``::`` literal blocks; turn ``versionadded`` into a line."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        version = _VERSION.match(line)
        if version:
            out.append(f"{version.group(1)}*Added in version {version.group(2)}.*")
            i += 1
        elif stripped.startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][len(indent) :])
                i += 1
            out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
        elif stripped.endswith("::") and not stripped.startswith(".."):
            out.append(line[:-1] if stripped != "::" else "")
            i += 1
            while i < len(lines) and not lines[i].strip():
                i += 1
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(indent + " ")):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            body = textwrap.dedent("\n".join(block)).splitlines()
            out += ["", f"{indent}```python", *(indent + b for b in body), f"{indent}```", ""]
        else:
            out.append(line)
            i += 1
    return "\n".join(out)


def to_markdown(obj: griffe.Object, text: str) -> str:
    """Rewrite one docstring of ``obj`` (see the module docstring)."""
    fenced = _blocks(_INLINE_FIELD.sub(r"\n\n\1", text))
    # Roles are rewritten outside fenced code only.
    parts = re.split(r"(```.*?```)", fenced, flags=re.DOTALL)
    return "".join(
        part if part.startswith("```") else _ROLE.sub(lambda m: _role(obj, m), part)
        for part in parts
    )


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)  # type: ignore[arg-type]


def _attributes_as_such(obj: griffe.Object, text: str) -> str:
    """On a class without its own ``__init__`` (attrs makes it), params are attributes."""
    if not obj.is_class or "__init__" in obj.members:
        return text

    def field(match: re.Match[str]) -> str:
        indent, name = match.groups()
        kind = "ivar" if name in obj.members else "param"
        return f"{indent}:{kind} {name}:"

    return _PARAM.sub(field, text)


class RestructuredDocstrings(griffe.Extension):
    """Rewrite every docstring of a loaded package (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite the docstrings of ``pkg`` and everything in it."""
        for obj in _walk(pkg):
            if obj.docstring is not None:
                text = _attributes_as_such(obj, obj.docstring.value)
                obj.docstring.value = to_markdown(obj, text)
