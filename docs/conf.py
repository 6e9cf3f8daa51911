"""Sphinx configuration: the API reference from the numpydoc docstrings, the README and docs/*.md as the
user guide (through myst-parser, included, not copied).  Build: scripts/docs.sh -> docs/_build/html."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import types  # noqa: E402

import circuitsim  # noqa: E402

# `python -m circuitsim` runs the command line when imported; the reference shows a stub instead.
sys.modules.setdefault("circuitsim.__main__", types.ModuleType("circuitsim.__main__", "``python -m circuitsim``: "
                                                                 "the command line (:mod:`circuitsim.cli`)."))

project = "circuitsim"
author = "the circuitsim authors"
copyright = "2026, the circuitsim authors"
release = version = circuitsim.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# One page per module, generated from the package tree at build time (docs/api/, not checked in).
autosummary_generate = True
autosummary_imported_members = False
autosummary_ignore_module_all = True        # every public member, as automodule below documents them
autodoc_default_options = {"members": True, "undoc-members": True, "ignore-module-all": True, "show-inheritance": True}
autodoc_typehints = "none"          # the numpydoc sections say the types; annotations would need intersphinx
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Broken cross-references (:class:`...`, :func:`...`) are errors: scripts/docs.sh runs with -W.
nitpicky = True
nitpick_ignore_regex = [
    # the standard library and third-party names: no intersphinx inventory (the build is offline)
    (r"py:.*", r"(os|abc|collections|dataclasses|typing|pathlib|concurrent|subprocess|json|enum|numbers"
               r"|numpy|np|scipy|xarray|xr|matplotlib|dask|distributed|PySpice|sympy)(\..*)?"),
    # private names (a leading underscore in any component) are not in the reference
    (r"py:.*", r"(.*\.)?_[A-Za-z0-9_]*(\..*)?"),
]

# |V|, |gamma| ... in docstrings are absolute values, not reStructuredText substitutions.
rst_prolog = "\n".join(f".. |{name}| unicode:: U+007C {' '.join(f'U+{ord(c):04X}' for c in name)} U+007C"
                        for name in ("V", "I", "V I", "gamma", "x", "v", "i"))


def _candidates(env, node, target: str) -> list:
    """Documented objects a reference may mean, most specific rule first (see _resolve_short_names)."""
    objects = env.get_domain("py").objects
    parts = target.split(".")
    # 1. a method or attribute inherited from a documented base class of the referring class
    module, cls = node.get("py:module"), node.get("py:class")
    if module and cls and len(parts) == 1:
        import importlib

        try:
            klass = importlib.import_module(module)
            for piece in cls.split("."):
                klass = getattr(klass, piece)
            found = [f"{base.__module__}.{base.__qualname__}.{target}" for base in klass.__mro__]
            found = [name for name in found if name in objects]
            if found:
                return found[:1]
        except Exception:  # noqa: BLE001 - a failed guess leaves the reference unresolved
            pass
    # 2. a re-exported name: circuitsim.crossbar.CrossbarSpec -> circuitsim.crossbar.spec.CrossbarSpec
    for k in range(len(parts) - 1, 0, -1):
        prefix, tail = ".".join(parts[:k]) + ".", "." + ".".join(parts[k:])
        found = [name for name in objects if name.startswith(prefix) and name.endswith(tail)]
        if len(found) == 1:
            return found
    # 3. an unqualified name documented exactly once (or once in the referring package)
    found = sorted(name for name in objects if name.endswith("." + target))
    if len(found) > 1:
        here = (module or "").split(".")[:2]
        found = [name for name in found if name.split(".")[:2] == here]
    return found


def _resolve_short_names(app, env, node, contnode):
    """Resolve a reference as the docstrings' reader means it: ``:class:`Experiment``` from another module,
    ``:class:`circuitsim.crossbar.CrossbarSpec``` (re-exported), ``:meth:`terminal_currents``` (inherited).
    Only a single candidate resolves; ambiguous or unknown names stay unresolved and -W fails on them."""
    if node.get("refdomain") != "py":
        return None
    found = _candidates(env, node, node["reftarget"].lstrip(".~"))
    if len(found) != 1:
        return None
    domain = env.get_domain("py")
    hits = domain.resolve_any_xref(env, node["refdoc"], app.builder, found[0], node, contnode)
    return hits[0][1] if hits else None


# Known problems in docstrings of files this build's owner may not edit, each (file suffix, message
# fragment).  They are printed, not failed on; every other warning fails the build (-W).  Remove an entry
# when its docstring is fixed (an entry that no longer matches anything is reported at the end).
KNOWN_PROBLEMS = [
]


class _KnownProblems:
    """A logging filter in front of Sphinx's warning-is-error filter."""

    def __init__(self):
        self.seen = set()

    def filter(self, record) -> bool:
        import logging

        if record.levelno < logging.WARNING:
            return True
        location = getattr(record, "location", None)
        if location is not None and not isinstance(location, str):
            from sphinx.util.logging import get_node_location

            location = get_node_location(location)
        text = f"{location or ''} {record.getMessage()}"
        for entry in KNOWN_PROBLEMS:
            if entry[0] in text and entry[1] in text:
                if entry not in self.seen:
                    print(f"docs: known problem, not failed on: {text.strip().splitlines()[0]}", file=sys.stderr)
                self.seen.add(entry)
                return False
        return True


_known = _KnownProblems()


def _report_stale(app, exception):
    for entry in KNOWN_PROBLEMS:
        if entry not in _known.seen and exception is None and app.builder.name == "html" and app.env.all_docs:
            print(f"docs: KNOWN_PROBLEMS entry {entry} matched nothing: remove it from docs/conf.py", file=sys.stderr)


def setup(app):
    import logging

    app.connect("missing-reference", _resolve_short_names)
    app.connect("build-finished", _report_stale)
    for handler in logging.getLogger("sphinx").handlers:
        handler.filters.insert(0, _known)

myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]   # README links to files outside docs/ (netlists/, cosim/ ...)

html_theme = "alabaster"
html_title = f"circuitsim {release}"
html_static_path: list = []
