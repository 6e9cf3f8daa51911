"""The co-simulation loop: SPICE transients of a crossbar alternating with Python learning rules.

The public interface for users' own experiments and rules:

* :class:`Experiment` and :class:`ExperimentState` (:mod:`circuitsim.cosim.experiment`): subclass
  ``Experiment``, build a :class:`CrossbarCircuit` and implement ``step``;
* :class:`Coupling` (what ``step`` is handed: restart or lock-step), :class:`StepResult`;
* :class:`LineProgram` and :class:`Phase`: what the row and column lines do during a step;
* :class:`LearningRule`: anything with ``update``; the built-in rules;
* :func:`run_experiment`: checkpoints, ``resume``, progress bar, report.
"""

from circuitsim.cosim.circuit import CrossbarCircuit
from circuitsim.cosim.config import ConfigError, Section
from circuitsim.cosim.coupling import Coupling, StepResult
from circuitsim.cosim.experiment import Experiment, ExperimentState
from circuitsim.cosim.rules import DeltaRule, LearningRule, ManhattanRule, MixedPrecisionRule, PairSTDP
from circuitsim.cosim.runner import build_experiment, run_experiment
from circuitsim.cosim.writes import WriteScheme, differential_pulses, write_phases
from circuitsim.netlists.programming import LineProgram, Phase

__all__ = ["ConfigError", "Coupling", "CrossbarCircuit", "DeltaRule", "Experiment", "ExperimentState",
           "LearningRule", "LineProgram", "ManhattanRule", "MixedPrecisionRule", "PairSTDP", "Phase", "Section",
           "StepResult", "WriteScheme", "build_experiment", "differential_pulses", "run_experiment", "write_phases"]
