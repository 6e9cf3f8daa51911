"""Learning rules: small objects in the scikit-learn habit.

The constructor stores hyper-parameters only; what a rule learns ends in
``_``; one ``update(...)`` call per step returns what the devices should do:
signed **pulse counts** per weight (``+k``: ``k`` potentiating pulses,
``-k``: ``k`` depressing ones).  The experiment then applies the pulses either
physically (write pulses through the array in the next SPICE run) or
abstractly (device states set to what the pulses would do to an isolated
device).

Sign conventions: inputs ``x`` have shape (patterns, inputs), errors
``delta = target - output`` (patterns, outputs), and weights (inputs, outputs),
so the gradient step is ``x.T @ delta``.

A user's rule is any class with the :class:`LearningRule` ``update`` (no
base class needed): name it in an experiment file as ``[rule] kind =
"my_rules.py:MyRule"``; the table's other keys are its constructor's
keywords.  Learned attributes (names ending in ``_``: numbers, strings,
numpy arrays, numpy random Generators) are saved in checkpoints and restored
on ``--resume``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Protocol, Sequence, Union, runtime_checkable

import numpy as np

__all__ = ["DeltaRule", "LearningRule", "ManhattanRule", "MixedPrecisionRule", "PairSTDP", "RULES", "call_rule",
           "checked_pulses", "user_rule"]


@runtime_checkable
class LearningRule(Protocol):
    """What a learning rule provides: one ``update`` per step (scikit-learn habit).

    The constructor stores hyper-parameters only; what the rule learns is kept
    in attributes whose names end in ``_`` (checkpointed).  The arguments of
    ``update`` are fixed by the experiment that calls it: the perceptron calls
    ``update(x, delta)`` with inputs (patterns, inputs) and errors (patterns,
    outputs) and expects signed whole pulse counts (inputs, outputs).
    """

    def update(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """Signed pulse counts (or weight changes, as the experiment documents) for this step."""
        ...


def user_rule(reference: str, section: Any, base_dir: Optional[Union[str, Path]] = None) -> Any:
    """A user's rule class named by ``reference`` ("file.py:Class"), built with the rest of its table as keywords.

    ``section`` is the ``[rule]`` :class:`~circuitsim.cosim.config.Section` (its ``kind`` already read).
    """
    from circuitsim.cosim.config import ConfigError
    from circuitsim.userfiles import UserCodeError, load_object

    try:
        cls = load_object(reference, base_dir, what="learning-rule class")
    except UserCodeError as exc:
        raise ConfigError(f"rule.kind: {exc}") from None
    keywords = section.rest()
    try:
        rule = cls(**keywords)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[rule] for {reference}: {type(exc).__name__}: {exc}") from None
    if not callable(getattr(rule, "update", None)):
        raise ConfigError(f"rule.kind: {reference} has no update() method, which a learning rule must have")
    return rule


def call_rule(rule: Any, *args: Any) -> Any:
    """``rule.update(*args)``; an exception from a user's rule becomes one message naming their line."""
    try:
        return rule.update(*args)
    except Exception as exc:
        if type(rule).__module__.startswith("circuitsim."):
            raise
        from circuitsim.userfiles import user_code_failure

        raise user_code_failure(exc, f"{type(rule).__name__}.update") from exc


def checked_pulses(rule: Any, pulses: Any, rows: int, columns: int) -> np.ndarray:
    """A rule's pulse counts as an integer (rows, columns) array, or one clear error naming the rule."""
    name = type(rule).__name__
    try:
        array = np.asarray(pulses, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}.update returned {type(pulses).__name__}, not an array of pulse counts") from None
    if array.shape != (rows, columns):
        raise ValueError(f"{name}.update returned shape {array.shape}; this experiment needs signed pulse "
                         f"counts of shape ({rows}, {columns})")
    if not np.all(np.isfinite(array)) or np.any(array != np.rint(array)):
        raise ValueError(f"{name}.update returned non-integer or non-finite pulse counts: pulses are whole")
    return array.astype(int)


def _batch(x: Any, delta: Any) -> np.ndarray:
    x = np.atleast_2d(np.asarray(x, dtype=float))
    delta = np.atleast_2d(np.asarray(delta, dtype=float))
    if x.shape[0] != delta.shape[0]:
        raise ValueError(f"x has {x.shape[0]} patterns, delta {delta.shape[0]}")
    return x.T @ delta


class ManhattanRule:
    """The Manhattan (sign) rule: one pulse per weight in the direction of the batch gradient.

    ``pulses = sign(sum_n x_n delta_n)``; weights whose gradient magnitude is at
    most ``threshold`` get none.  (Prezioso et al., Nature 521, 61 (2015).)

    Parameters
    ----------
    threshold
        Gradient magnitude below which no pulse is issued (>= 0).
    """

    def __init__(self, threshold: float = 0.0):
        if not (threshold >= 0):
            raise ValueError(f"threshold must be >= 0, got {threshold!r}")
        self.threshold = threshold

    def update(self, x: Any, delta: Any) -> np.ndarray:
        """Signed pulse counts (inputs, outputs), each -1, 0 or +1."""
        gradient = _batch(x, delta)
        pulses = np.where(np.abs(gradient) > self.threshold, np.sign(gradient), 0).astype(int)
        self.n_updates_ = getattr(self, "n_updates_", 0) + 1
        self.n_pulses_ = getattr(self, "n_pulses_", 0) + int(np.abs(pulses).sum())
        return pulses


class DeltaRule:
    """The delta (Widrow-Hoff) rule: ``dW = learning_rate * sum_n x_n delta_n``, rounded to whole pulses.

    Parameters
    ----------
    learning_rate
        Weight change per unit of gradient (weight units).
    device_step
        Weight change of one pulse (weight units, > 0).
    max_pulses
        Most pulses one weight may get in one update (the device's safe range:
        a larger request is an error, not silently clipped).
    """

    def __init__(self, learning_rate: float, device_step: float, max_pulses: int = 8):
        if not (learning_rate > 0):
            raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
        if not (device_step > 0):
            raise ValueError(f"device_step must be > 0, got {device_step!r}")
        if not (int(max_pulses) >= 1):
            raise ValueError(f"max_pulses must be >= 1, got {max_pulses!r}")
        self.learning_rate = learning_rate
        self.device_step = device_step
        self.max_pulses = int(max_pulses)

    def _checked(self, counts: np.ndarray) -> np.ndarray:
        worst = int(np.abs(counts).max()) if counts.size else 0
        if worst > self.max_pulses:
            raise ValueError(f"{type(self).__name__}: an update asks for {worst} pulses on one device, more than "
                             f"max_pulses={self.max_pulses}; lower learning_rate")
        return counts.astype(int)

    def update(self, x: Any, delta: Any) -> np.ndarray:
        """Signed pulse counts (inputs, outputs): the float update rounded to the nearest whole pulse."""
        dw = self.learning_rate * _batch(x, delta)
        counts = np.rint(dw / self.device_step)
        self.n_updates_ = getattr(self, "n_updates_", 0) + 1
        return self._checked(counts)


class MixedPrecisionRule(DeltaRule):
    """Mixed precision: the float update accumulates, a pulse is issued when it crosses a device step.

    ``accumulator_ += learning_rate * x.T @ delta``; ``pulses = trunc(accumulator_ / device_step)``;
    ``accumulator_ -= pulses * device_step`` (Nandakumar et al., Front. Neurosci. 14, 406 (2020)).
    :meth:`accumulate` takes a ready weight change (e.g. from :class:`PairSTDP`).
    """

    def accumulate(self, dw: Any) -> np.ndarray:
        """Add a weight change; signed pulse counts of the steps crossed."""
        dw = np.asarray(dw, dtype=float)
        if not hasattr(self, "accumulator_"):
            self.accumulator_ = np.zeros_like(dw)
        self.accumulator_ = self.accumulator_ + dw
        counts = np.trunc(self.accumulator_ / self.device_step)
        self.accumulator_ = self.accumulator_ - counts * self.device_step
        self.n_updates_ = getattr(self, "n_updates_", 0) + 1
        return self._checked(counts)

    def update(self, x: Any, delta: Any) -> np.ndarray:
        return self.accumulate(self.learning_rate * _batch(x, delta))


class PairSTDP:
    """Pair-based STDP with exponential windows (all pairs within a step).

    ``dw_i = sum_{pre t_p, post t_q} a_plus exp(-(t_q - t_p)/tau_plus)  [t_q > t_p]
    - a_minus exp(-(t_p - t_q)/tau_minus)  [t_q < t_p]`` (Song, Miller & Abbott,
    Nat. Neurosci. 3, 919 (2000)).

    Parameters
    ----------
    a_plus, a_minus
        Potentiation and depression amplitudes (weight units, >= 0).
    tau_plus, tau_minus
        Window time constants (s, > 0).
    """

    def __init__(self, a_plus: float, a_minus: float, tau_plus: float, tau_minus: float):
        for name, value in (("a_plus", a_plus), ("a_minus", a_minus)):
            if not (value >= 0):
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        for name, value in (("tau_plus", tau_plus), ("tau_minus", tau_minus)):
            if not (value > 0):
                raise ValueError(f"{name} must be > 0 s, got {value!r}")
        self.a_plus, self.a_minus = a_plus, a_minus
        self.tau_plus, self.tau_minus = tau_plus, tau_minus

    def update(self, pre_spikes: Sequence[Any], post_spikes: Any) -> np.ndarray:
        """Weight change per synapse from each synapse's presynaptic spike times and the neuron's spike times."""
        post = np.asarray(post_spikes, dtype=float)
        out: List[float] = []
        for spikes in pre_spikes:
            pre = np.asarray(spikes, dtype=float)
            if pre.size == 0 or post.size == 0:
                out.append(0.0)
                continue
            lag = post[None, :] - pre[:, None]           # > 0: pre before post
            ltp = np.where(lag > 0, self.a_plus * np.exp(-np.abs(lag) / self.tau_plus), 0.0).sum()
            ltd = np.where(lag < 0, self.a_minus * np.exp(-np.abs(lag) / self.tau_minus), 0.0).sum()
            out.append(float(ltp - ltd))
        self.n_updates_ = getattr(self, "n_updates_", 0) + 1
        return np.array(out)


#: rule name in experiment files -> class
RULES = {"manhattan": ManhattanRule, "delta": DeltaRule, "mixed_precision": MixedPrecisionRule, "stdp": PairSTDP}
