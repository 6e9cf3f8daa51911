"""Shared fixtures and the numerical tolerance policy.

Tolerance policy (every numerical assertion states which case it is):

* Engine against engine (batch vs shared, same deck): both read the same
  float64 numbers, from a raw file or from memory, so they agree to 1e-9
  relative (in practice exactly).
* ngspice against a closed form: ngspice's tolerances (``reltol``, ``abstol``,
  ``vntol``) and the integration method bound the error.  Tests that compare
  transients to formulas tighten ``reltol`` to 1e-6 and cap the step, then
  allow 1e-4 of the signal's scale; DC/op against a numpy nodal solve
  allows 1e-9 relative (KLU's direct solve is exact to rounding).
"""

from __future__ import annotations

import shutil

import pytest

from circuitsim.spice import BatchEngine, SharedEngine
from circuitsim.spice.toolchain import probe

HAVE_NGSPICE = probe().usable

#: address space the test process (and what it starts) may use: a runaway case fails with MemoryError
#: instead of taking the shared machine (24 GB) down with it, as an unrefused million-synapse run once did
TEST_ADDRESS_SPACE = 16e9


def pytest_configure(config):
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = int(TEST_ADDRESS_SPACE) if hard == resource.RLIM_INFINITY else min(int(TEST_ADDRESS_SPACE), hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def pytest_collection_modifyitems(config, items):
    if HAVE_NGSPICE:
        return
    skip = pytest.mark.skip(reason="needs ngspice >= 42 (run scripts/setup.sh)")
    for item in items:
        if "ngspice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_engine():
    engine = SharedEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def batch_engine():
    return BatchEngine()


@pytest.fixture(params=["batch", "shared"])
def engine(request, batch_engine, shared_engine):
    """Each test using it runs once per engine."""
    return batch_engine if request.param == "batch" else shared_engine


@pytest.fixture(scope="session")
def ngspice_path():
    return shutil.which("ngspice")
