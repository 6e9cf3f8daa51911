"""The experiment interface: what a user writes to run their own learning loop through circuitsim.

An experiment owns a :class:`~circuitsim.cosim.circuit.CrossbarCircuit`
(the circuit every step simulates) and says what one step does: build a
:class:`~circuitsim.netlists.programming.LineProgram` (reads, write pulses,
idle), run it through the coupling it is given (restart or lock-step:
the experiment does not need to know which), read the result and decide
what the devices should do next.  :func:`circuitsim.cosim.runner.run_experiment`
does the rest: checkpoints after every step, ``--resume``, the progress bar,
timing, ``report.json`` and the plots.

Writing one::

    from circuitsim.cosim import CrossbarCircuit, Experiment, ExperimentState, LineProgram, Phase

    class OneReadPerStep(Experiment):
        kind = "one_read"
        tables = ("experiment", "run")
        progress_metrics = ("current",)

        def __init__(self, config):
            super().__init__(config)                # reads [experiment] steps / seed / update
            self.circuit = CrossbarCircuit("vteam", (4, 2), max_step=1e-8)

        def step(self, state, coupling):
            program = LineProgram(self.circuit.shape, rise=1e-9)
            program.add(Phase.read([0.1] * 4, 2, 1e-7))
            result = coupling.run(program, state.states)
            state.states = result.states
            return {"current": float(result.column_currents_at(program.sample_times("read"))[0, 0])}

and ``circuitsim run my_experiment.py`` (or ``kind = "my_experiment.py:OneReadPerStep"``
in a TOML file) runs it.

State is typed (:class:`ExperimentState`) and saved without pickle: put
what must survive a restart in ``state.states`` (device states),
``state.values`` (numpy arrays, numbers, strings, booleans, ``None``,
numpy random Generators, and lists or dicts of those), ``state.pending`` and ``state.rng``; learned attributes of
the experiment's rules (names ending in ``_``, scikit-learn style) are
saved too.  Anything else on ``self`` is rebuilt from the file by the
constructor.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Tuple

import numpy as np

from circuitsim.cosim.config import Section

__all__ = ["Experiment", "ExperimentState", "UPDATE_MODES"]

#: how decided pulses reach the devices: through the array (``physical``) or set on the states (``abstract``)
UPDATE_MODES = ("physical", "abstract")


@dataclass
class ExperimentState:
    """Everything a run carries from one step to the next (and what a checkpoint holds).

    Attributes
    ----------
    states
        Device states by initial-state parameter name, each ``(M, N)``:
        what the next step's deck starts from.
    step
        Completed steps.
    metrics
        One dict of numbers per completed step (the runner appends what
        :meth:`Experiment.step` returns, with the step's timing).
    done
        Set by the experiment when it has reached its goal early.
    pending
        What the experiment decided to apply next step (e.g. signed pulse
        counts per cell), or ``None``.
    values
        The experiment's own values (numpy arrays, numbers, strings,
        booleans, ``None``, lists of those): e.g. the initial conductances.
    rng
        The run's random generator (its state is checkpointed, so a resumed
        run draws the same numbers).
    """

    states: Dict[str, np.ndarray]
    step: int = 0
    metrics: List[Dict[str, Any]] = field(default_factory=list)
    done: bool = False
    pending: Optional[np.ndarray] = None
    values: Dict[str, Any] = field(default_factory=dict)
    rng: np.random.Generator = field(default_factory=np.random.default_rng)


class Experiment(ABC):
    """Base class of co-simulation experiments (built-in and users' own).

    Subclasses set the class attributes, build ``self.circuit`` in
    ``__init__`` from the experiment file's tables (read them with
    :class:`~circuitsim.cosim.config.Section`, which names every bad key), and
    implement :meth:`step`.  The constructor must not run SPICE: a sweep
    builds the experiment of every point first to check its file.

    Attributes
    ----------
    kind
        Name in reports and on the progress bar (default: the class name).
    tables
        The experiment-file tables the experiment reads; any other table is
        refused.  ``"experiment"`` and ``"run"`` are always allowed.
    count_key
        The ``[experiment]`` key holding the number of steps (``"steps"``;
        the perceptron says ``"epochs"``).
    default_steps
        Its default.
    progress_metrics
        Metrics (keys of what :meth:`step` returns) shown on the progress bar.
    curve_metric
        The per-step metric a sweep records as a curve (``None``: none).
    summary_metrics
        Scalar summary entries a sweep plots against its swept keys.
    config
        Set by :meth:`__init__`: the experiment file as a dict (what checkpoints are matched against).
    steps, seed, update_mode
        Set by :meth:`__init__` from ``[experiment]``: the step count, the seed of ``state.rng`` and
        ``"physical"`` or ``"abstract"`` (abstract updates set states between
        steps, which only restart mode can take).
    circuit
        The :class:`~circuitsim.cosim.circuit.CrossbarCircuit` (set it in the
        subclass's ``__init__``).
    base_dir
        Folder of the experiment file (set before ``__init__`` runs): relative
        references in the file resolve against it.
    """

    kind: ClassVar[str] = ""
    tables: ClassVar[Tuple[str, ...]] = ("experiment", "run")
    count_key: ClassVar[str] = "steps"
    default_steps: ClassVar[int] = 10
    progress_metrics: ClassVar[Tuple[str, ...]] = ()
    curve_metric: ClassVar[Optional[str]] = None
    summary_metrics: ClassVar[Tuple[str, ...]] = ()

    circuit: Any
    #: folder of the experiment file: relative references in it (devices, rules) resolve against it
    base_dir: Optional[Path] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("kind"):
            cls.kind = cls.__name__

    def __init__(self, config: Mapping[str, Any]):
        """Read ``[experiment]``: the step count (``count_key``), ``seed`` [1], ``update`` ["physical"].

        Subclasses call this first, then read their own tables; keys of
        ``[experiment]`` they add are read from ``self.experiment_section``
        (:func:`~circuitsim.cosim.runner.build_experiment` then refuses any
        key nobody read).
        """
        self.config: Dict[str, Any] = dict(config)
        exp = Section(self.config, "experiment", required=False)
        exp.get("kind", None)
        self.steps: int = exp.get(self.count_key, self.default_steps, int, lambda v: v >= 1, "be >= 1")
        self.seed: int = exp.get("seed", 1, int, lambda v: v >= 0, "be >= 0 (a numpy seed)")
        self.update_mode: str = exp.choice("update", UPDATE_MODES, "physical")
        self.experiment_section = exp

    # -- what every experiment provides ------------------------------------------------------------------
    @property
    def horizon(self) -> float:
        """An upper bound of the whole run's simulated time (s): lock-step's ``.tran`` stop time.

        The default raises: an experiment that supports lock-step says how long it runs.
        """
        raise NotImplementedError(f"{self.kind} does not say how long it runs (Experiment.horizon), which "
                                  "lock-step needs: run it with mode = 'restart', or define horizon")

    def learning_rules(self) -> Dict[str, Any]:
        """The rule objects whose learned attributes (names ending in ``_``) checkpoints carry.

        Default: ``{"rule": self.rule}`` when the experiment has a ``rule``.
        """
        rule = getattr(self, "rule", None)
        return {} if rule is None else {"rule": rule}

    def initial_state(self) -> ExperimentState:
        """The state before the first step: device defaults, ``rng`` seeded with ``self.seed``.

        Override to draw initial states (use ``state.rng``) or to record values.
        """
        return ExperimentState(states=self.circuit.initial_states(), rng=np.random.default_rng(self.seed))

    @abstractmethod
    def step(self, state: ExperimentState, coupling: Any) -> Dict[str, Any]:
        """One step: simulate through ``coupling.run(program, state.states, extra)``, update ``state``.

        Parameters
        ----------
        state
            The run's state; update ``state.states`` from the coupling's
            result, and ``pending`` / ``values`` / ``done`` as needed.  The
            runner increments ``state.step`` and appends the metrics.
        coupling
            A :class:`~circuitsim.cosim.coupling.Coupling`.

        Returns
        -------
        dict
            This step's metrics (numbers; JSON-serialisable), e.g. accuracy.
        """

    def finished(self, state: ExperimentState) -> bool:
        """Whether the run is over (default: ``state.done`` or ``self.steps`` steps done)."""
        return bool(state.done) or state.step >= self.steps

    def summary(self, state: ExperimentState) -> Dict[str, Any]:
        """The report's ``summary`` (default: the last step's metrics)."""
        return dict(state.metrics[-1]) if state.metrics else {}

    def plots(self, state: ExperimentState, folder: Path) -> List[Path]:
        """Write the experiment's plots into ``folder``; return their paths (default: none)."""
        return []

    def report_lines(self, report: Mapping[str, Any]) -> List[str]:
        """What ``circuitsim run`` prints about a finished report (default: the scalar summary entries)."""
        summary = report.get("summary", {})
        shown = [f"{k} = {v:.6g}" if isinstance(v, float) else f"{k} = {v}" for k, v in summary.items()
                 if isinstance(v, (int, float, str, bool)) or v is None]
        return [f"{self.kind} ({report.get('mode')}): " + (", ".join(shown) or "no summary")]
