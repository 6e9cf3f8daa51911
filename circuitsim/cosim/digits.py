"""Handwritten digits trained in situ on a memristive crossbar (scikit-learn's 8 x 8 digits).

The 1797 images of scikit-learn's ``sklearn.datasets.load_digits`` (shipped inside the
scikit-learn wheel: nothing is downloaded) are classified by a single-layer
network on a crossbar: 64 pixels and a bias as row voltages, ten classes as
differential column pairs (G+ - G-), a 65 x 20 array.  ``[experiment] size = 28``
upsamples the images to 28 x 28 (bilinear), a 785 x 20 array of 15,700
devices, the size of an MNIST single-layer network, where the IR drop along
785-cell columns matters.

Inputs are **unipolar**: a pixel of intensity ``p`` (0..16) is the read voltage
``V_read * p / 16`` on its row, the bias row is at ``V_read``, and a black pixel
is 0 V (``[read] encoding = "bipolar"`` maps 0..16 to -V_read..+V_read instead).

One **step is one epoch**: the training images in a new random order (from the
run's seeded generator), in mini-batches of ``[experiment] batch`` images.  For
each mini-batch the array is read (the batch's input vectors through the array
with its wire, driver and sense resistance), the rule decides signed pulse counts
per weight from the batch, and the pulses are written: physically, as V/2 (or
V/3) programming pulses through the array run by the coupling (ngspice restart,
lock-step, or the fast engine), or abstractly (``update = "abstract"``).  After
the epoch the whole training set and the test set are read through the array
for the accuracies.

Reads are DC solves of the array at the present device states
(:func:`~circuitsim.crossbar.solver.solve_crossbar` with a ``(K, M)`` batch: one
factorisation for all K vectors of a linear cell).  This is exact as long as a
read does not move the states, which holds for threshold devices read below
their thresholds (VTEAM's are +-0.5 V; the reads here put at most 0.2 V on a
cell) and is the quasi-static picture the fast engine is built on (no wire
capacitance in our decks).

Beside the crossbar, the same single-layer network (the same initial weights,
activation, mini-batches and order) is trained in float64 software with the
delta rule: the hardware-software gap.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np

from circuitsim.cosim.circuit import CrossbarCircuit
from circuitsim.cosim.config import ConfigError, Section
from circuitsim.cosim.experiment import Experiment, ExperimentState
from circuitsim.cosim.perceptron import count_disturbs
from circuitsim.cosim.rules import ManhattanRule, MixedPrecisionRule, call_rule, checked_pulses, user_rule
from circuitsim.cosim.tables import array_table, device_table, initial_states, pulse_fraction, write_table
from circuitsim.cosim.writes import differential_pulses, ideal_update, write_phases
from circuitsim.netlists.programming import LineProgram
from circuitsim.userfiles import is_reference

__all__ = ["CLASSES", "DigitsExperiment", "digit_images", "split_indices"]

#: the ten classes
CLASSES = 10
#: side of scikit-learn's digit images (pixels)
NATIVE_SIZE = 8
#: gray levels of scikit-learn's digit images (0..16)
GRAY_LEVELS = 16.0


def digit_images(size: int = NATIVE_SIZE) -> Tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1797 handwritten digits as intensities in [0, 1], upsampled to ``size`` x ``size``.

    Parameters
    ----------
    size
        Image side (pixels, >= 8); 8 is the native resolution, larger sides are
        bilinear upsamplings (:func:`scipy.ndimage.zoom`, order 1).

    Returns
    -------
    images : numpy.ndarray
        ``(1797, size * size)``, row-major pixels, each in [0, 1].
    labels : numpy.ndarray
        ``(1797,)``, the digit of each image (0..9).

    Raises
    ------
    ImportError
        scikit-learn is not installed (``pip install circuitsim-ngspice[digits]``).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("the digits experiment needs scikit-learn (its 8 x 8 digits ship inside its wheel): "
                          "pip install 'circuitsim-ngspice[digits]' or pip install 'scikit-learn>=1.3'") from None
    data = load_digits()
    images = np.asarray(data.images, dtype=float) / GRAY_LEVELS
    if size != NATIVE_SIZE:
        from scipy.ndimage import zoom

        images = np.stack([zoom(img, size / NATIVE_SIZE, order=1) for img in images])
        if images.shape[1:] != (size, size):        # pragma: no cover - zoom rounds the output shape
            raise ValueError(f"upsampling 8 x 8 to {size} x {size} gave {images.shape[1:]}")
    return np.clip(images.reshape(len(images), -1), 0.0, 1.0), np.asarray(data.target, dtype=int)


def split_indices(total: int, images: int, test_fraction: float, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """A fixed train / test split: ``images`` of ``total`` drawn by ``seed``, the first ``test_fraction`` for testing.

    Returns the training and the test indices (each sorted).
    """
    chosen = np.random.default_rng(seed).permutation(total)[:images]
    n_test = int(round(test_fraction * images))
    return np.sort(chosen[n_test:]), np.sort(chosen[:n_test])


class DigitsExperiment(Experiment):
    """In-situ training of a single-layer network on scikit-learn's digits, configured from an experiment file.

    Tables and keys (defaults in brackets):

    ``[experiment]`` ``epochs`` [10], ``seed`` [1] (initial device states and the order of the training
    images), ``update`` ["physical" | "abstract"], ``size`` [8: image side; 28 upsamples to an MNIST-size
    785 x 20 array], ``batch`` [100: images per mini-batch, one write per mini-batch], ``images`` [1797: the
    first k of a seeded permutation, for quick runs], ``test_fraction`` [0.2], ``split_seed`` [0: the fixed
    train / test split].
    ``[device]`` ``name`` ["vteam"], ``initial_state`` [[0.5, 0.9]], ``[device.params]`` (see
    :func:`~circuitsim.cosim.tables.device_table`).
    ``[array]`` ``r_row``, ``r_col``, ``r_source``, ``r_sense`` [1 ohm each].
    ``[read]`` ``voltage`` [0.2 V: a white pixel and the bias], ``encoding`` ["unipolar": 0..V_read, or
    "bipolar": -V_read..+V_read], ``duration`` [100 ns: per image, for the read energy], ``gain`` [1.0:
    activation gain on the normalised differential current].
    ``[write]`` as :func:`~circuitsim.cosim.tables.write_table`.
    ``[rule]`` ``kind`` ["manhattan" | "mixed_precision" | a user's rule "file.py:Class"], ``threshold``
    (manhattan), ``learning_rate`` [3e-4], ``max_pulses`` [4] (mixed precision).
    ``[software]`` ``learning_rate`` [0.01]: the float64 baseline's delta rule.

    The rule contract is the perceptron's: ``rule.update(x, delta)`` with the batch's inputs ``x``
    (images, inputs + 1) in [0, 1] (unipolar; [-1, 1] bipolar; the bias column is 1) and errors
    ``delta = target - tanh(gain * f)`` (images, 10), targets +-1 (one-hot), ``f`` the differential column
    currents in weight units; it returns signed whole pulse counts per weight (inputs + 1, 10).
    """

    kind = "digits"
    tables = ("experiment", "device", "array", "read", "write", "rule", "software", "run")
    count_key = "epochs"
    default_steps = 10
    progress_metrics = ("train_accuracy", "test_accuracy", "software_test_accuracy")
    curve_metric = "test_accuracy"
    summary_metrics = ("final_test_accuracy", "software_test_accuracy", "best_test_accuracy")

    def __init__(self, config: Dict[str, Any]):
        super().__init__(config)
        exp = self.experiment_section
        self.epochs = self.steps
        self.size = exp.get("size", NATIVE_SIZE, int, lambda v: 8 <= v <= 64, "be an image side in 8..64 pixels")
        self.batch = exp.get("batch", 100, int, lambda v: v >= 1, "be >= 1 image")
        self.n_images = exp.get("images", 1797, int, lambda v: 20 <= v <= 1797, "be between 20 and 1797")
        self.test_fraction = exp.get("test_fraction", 0.2, float, lambda v: 0 < v < 1, "be in (0, 1)")
        self.split_seed = exp.get("split_seed", 0, int, lambda v: v >= 0, "be >= 0 (a numpy seed)")
        exp.finish()

        device = device_table(config, [0.5, 0.9], base_dir=self.base_dir)
        self.initial_range = device.initial_range
        wires = array_table(config)

        read = Section(config, "read", required=False)
        self.v_read = read.positive("voltage", 0.2)
        self.encoding = read.choice("encoding", ("unipolar", "bipolar"), "unipolar")
        self.t_read = read.positive("duration", 1e-7)
        self.gain = read.positive("gain", 1.0)
        read.finish()

        self.write, max_state_step = write_table(config)
        self.rule = self._rule(Section(config, "rule", required=False))
        software = Section(config, "software", required=False)
        self.software_rate = software.positive("learning_rate", 0.01)
        software.finish()

        m, n = self.size * self.size + 1, 2 * CLASSES
        self.rise = self.write.width / 20
        self.circuit = CrossbarCircuit(device.device, (m, n), device.params, max_step=self.write.width / 4,
                                       **wires)
        self.device = self.circuit.model
        self.params = dict(device.params)
        self.circuit.require_reference("the digits experiment's reads (DC solves of the array at the device "
                                       "states)")
        if self.update_mode == "abstract":
            self.circuit.require_reference("experiment.update = 'abstract' (states set by the device's ODE)")
        self._weight_scale(pulse_fraction(self.circuit, self.write, max_state_step))
        if hasattr(self.rule, "device_step"):
            self.rule.device_step = self._weight_step
        self._images: Any = None

    def _rule(self, rule: Section) -> Any:
        """The learning rule of ``[rule]``: Manhattan, mixed precision or a user's class."""
        kind = rule.get("kind", "manhattan", str)
        if is_reference(kind):
            return user_rule(kind, rule, self.base_dir)
        rule.choice("kind", ("manhattan", "mixed_precision"), "manhattan")
        if kind == "manhattan":
            made: Any = ManhattanRule(rule.get("threshold", 0.0, float, lambda v: v >= 0, "be >= 0"))
        else:
            made = MixedPrecisionRule(rule.positive("learning_rate", 3e-4), 1.0,
                                      rule.get("max_pulses", 4, int, lambda v: v >= 1, "be >= 1"))
        rule.finish()
        return made

    def _weight_scale(self, steps: Dict[str, float]) -> None:
        """Conductance range (S) and one potentiating pulse's weight step at mid-range (weight units)."""
        name = self.circuit.state_params[0]
        lo, hi = self.circuit.state_bounds()[name]
        g = self.circuit.conductance({name: np.array([[lo, hi]])})[0]
        self._g_range = (float(g.min()), float(g.max()))
        mid = 0.5 * (lo + hi)
        g_mid = self.circuit.conductance({name: np.array([[mid]])})[0, 0]
        g_up = self.circuit.conductance({name: np.array([[mid + steps["potentiate"]]])})[0, 0]
        self._weight_step = abs(g_up - g_mid) / (self._g_range[1] - self._g_range[0])

    # -- data ----------------------------------------------------------------------------------------------
    def data(self) -> Dict[str, np.ndarray]:
        """The split data set (loaded on first use, not in the constructor).

        Returns ``{"x_train", "y_train", "x_test", "y_test"}``: inputs ``(images, size**2 + 1)`` in
        weight units (unipolar [0, 1] or bipolar [-1, 1], the bias column 1) and labels.
        """
        if self._images is None:
            images, labels = digit_images(self.size)
            train, test = split_indices(len(images), self.n_images, self.test_fraction, self.split_seed)
            x = images if self.encoding == "unipolar" else 2 * images - 1
            x = np.hstack([x, np.ones((len(x), 1))])
            self._images = {"x_train": x[train], "y_train": labels[train], "x_test": x[test], "y_test": labels[test]}
        return self._images

    @staticmethod
    def targets(labels: np.ndarray) -> np.ndarray:
        """+-1 one-hot targets ``(images, 10)``."""
        return np.where(np.eye(CLASSES)[labels] > 0, 1.0, -1.0)

    # -- the array -----------------------------------------------------------------------------------------
    def weights(self, states: Dict[str, np.ndarray]) -> np.ndarray:
        """Weights (inputs + 1, 10) = (G+ - G-) / (G_max - G_min) of the device states."""
        g = self.circuit.conductance(states)
        return (g[:, 0::2] - g[:, 1::2]) / (self._g_range[1] - self._g_range[0])

    def read(self, states: Dict[str, np.ndarray], x: np.ndarray) -> Tuple[np.ndarray, float]:
        """Read input vectors through the array: DC solves with wire, driver and sense resistance.

        Parameters
        ----------
        states
            Device states (each ``(M, N)``).
        x
            Inputs ``(K, M)`` in weight units; row voltages are ``V_read * x``.

        Returns
        -------
        f : numpy.ndarray
            Differential column currents in weight units, ``(K, 10)``:
            ``(I+ - I-) / (V_read (G_max - G_min))`` (``x @ W`` on an ideal array).
        energy : float
            Mean energy one read (inference) takes from the row drivers (J): ``t_read * sum_i V_i I_i``.
        """
        from circuitsim.crossbar import CrossbarSpec
        from circuitsim.crossbar.solver import solve_crossbar

        c = self.circuit
        volts = self.v_read * np.atleast_2d(x)
        spec = CrossbarSpec(c.conductance(states), volts, c.r_row, c.r_col, c.r_source, c.r_sense)
        solution = solve_crossbar(spec, keep_voltages=False)
        currents = np.atleast_2d(solution.column_currents)
        f = (currents[:, 0::2] - currents[:, 1::2]) / (self.v_read * (self._g_range[1] - self._g_range[0]))
        energy = float(np.mean(np.sum(volts * np.atleast_2d(solution.row_currents), axis=1))) * self.t_read
        return f, energy

    # -- the loop's interface ------------------------------------------------------------------------------
    @property
    def horizon(self) -> float:
        """An upper bound of the whole run's simulated time (s): every mini-batch's most write pulses."""
        batches = int(np.ceil(self.n_images / self.batch))
        pulses = int(getattr(self.rule, "max_pulses", 1))
        return 2.0 * self.epochs * batches * 2 * self.circuit.shape[1] * pulses * self.write.width

    def initial_state(self) -> ExperimentState:
        rng = np.random.default_rng(self.seed)
        states = initial_states(self.circuit, self.initial_range, rng)
        return ExperimentState(states=states, rng=rng,
                               values={"conductance_initial": self.circuit.conductance(states),
                                       "software_weights": self.weights(states),
                                       "test_predictions": None, "software_test_predictions": None})

    def _write(self, state: ExperimentState, coupling: Any, cell_pulses: np.ndarray) -> int:
        """Apply signed pulse counts per cell; the half-select disturbs they caused (physical writes)."""
        if self.update_mode == "abstract":
            state.states = ideal_update(self.device, self.params, state.states, cell_pulses, self.write)
            return 0
        program = LineProgram(self.circuit.shape, rise=self.rise)
        program.extend(write_phases(cell_pulses, self.write))
        result = coupling.run(program, state.states)
        state.states = result.states
        return count_disturbs(program, result, self.circuit)

    def step(self, state: ExperimentState, coupling: Any) -> Dict[str, Any]:
        """One epoch: for each mini-batch read it, decide pulses, write them; then read both sets."""
        data = self.data()
        x, labels = data["x_train"], data["y_train"]
        t = self.targets(labels)
        w_soft = np.asarray(state.values["software_weights"], dtype=float)
        order = state.rng.permutation(len(x))
        pulses = disturbs = writes = 0
        loss = 0.0
        write_seconds = read_seconds = 0.0
        for start in range(0, len(order), self.batch):
            rows = order[start:start + self.batch]
            started = time.perf_counter()
            f, _ = self.read(state.states, x[rows])
            read_seconds += time.perf_counter() - started
            delta = t[rows] - np.tanh(self.gain * f)
            loss += float(np.sum(delta ** 2))
            weight_pulses = checked_pulses(self.rule, call_rule(self.rule, x[rows], delta), x.shape[1], CLASSES)
            # the software twin: same batch, float64 delta rule
            w_soft = w_soft + self.software_rate * x[rows].T @ (t[rows] - np.tanh(self.gain * x[rows] @ w_soft))
            if not weight_pulses.any():
                continue
            cells = differential_pulses(weight_pulses)
            started = time.perf_counter()
            disturbs += self._write(state, coupling, cells)
            write_seconds += time.perf_counter() - started
            pulses += int(np.abs(cells).sum())
            writes += 1
        state.values["software_weights"] = w_soft
        started = time.perf_counter()
        f_train, _ = self.read(state.states, x)
        f_test, energy = self.read(state.states, data["x_test"])
        read_seconds += time.perf_counter() - started
        predicted = np.argmax(f_test, axis=1)
        soft_test = np.argmax(data["x_test"] @ w_soft, axis=1)
        state.values["test_predictions"] = predicted
        state.values["software_test_predictions"] = soft_test
        return {"epoch": state.step + 1,
                "train_accuracy": float(np.mean(np.argmax(f_train, axis=1) == labels)),
                "test_accuracy": float(np.mean(predicted == data["y_test"])),
                "software_train_accuracy": float(np.mean(np.argmax(x @ w_soft, axis=1) == labels)),
                "software_test_accuracy": float(np.mean(soft_test == data["y_test"])),
                "loss": loss / (len(x) * CLASSES), "pulses": pulses, "writes": writes,
                "half_select_disturbs": disturbs, "read_energy_per_inference": energy,
                "write_seconds": write_seconds, "read_seconds": read_seconds}

    def confusion(self, predicted: np.ndarray) -> np.ndarray:
        """Confusion matrix (true digit, predicted digit) of test-set predictions."""
        matrix = np.zeros((CLASSES, CLASSES), dtype=int)
        np.add.at(matrix, (self.data()["y_test"], np.asarray(predicted, dtype=int)), 1)
        return matrix

    def summary(self, state: ExperimentState) -> Dict[str, Any]:
        metrics = state.metrics
        if not metrics:
            return {}
        last = metrics[-1]
        data = self.data()
        return {"final_test_accuracy": last["test_accuracy"], "final_train_accuracy": last["train_accuracy"],
                "best_test_accuracy": max(m["test_accuracy"] for m in metrics),
                "software_test_accuracy": last["software_test_accuracy"],
                "software_train_accuracy": last["software_train_accuracy"],
                "gap": last["software_test_accuracy"] - last["test_accuracy"],
                "pulses_total": int(sum(m["pulses"] for m in metrics)),
                "half_select_disturbs_total": int(sum(m["half_select_disturbs"] for m in metrics)),
                "read_energy_per_inference": last["read_energy_per_inference"],
                "array": list(self.circuit.shape), "train_images": int(len(data["y_train"])),
                "test_images": int(len(data["y_test"])),
                "confusion": self.confusion(state.values["test_predictions"]).tolist()}

    def plots(self, state: ExperimentState, folder: Any) -> List[Path]:
        if not state.metrics:
            return []
        return [accuracy_curves(state.metrics, Path(folder) / "accuracy.png",
                                f"{self.circuit.shape[0]} x {self.circuit.shape[1]} crossbar"),
                confusion_plot(self.confusion(state.values["test_predictions"]), Path(folder) / "confusion.png")]

    def report_lines(self, report: Mapping[str, Any]) -> List[str]:
        summary = report["summary"]
        curve = " ".join(f"{100 * m['test_accuracy']:.1f}" for m in report["metrics"])
        soft = " ".join(f"{100 * m['software_test_accuracy']:.1f}" for m in report["metrics"])
        return [f"digits ({report['mode']}, {report['update']} writes, {summary['array'][0]} x "
                f"{summary['array'][1]}): test accuracy per epoch (%): {curve}",
                f"float64 software on the same split: {soft}",
                f"write pulses {summary['pulses_total']}, half-select disturbs {summary['half_select_disturbs_total']}"
                f", read energy per inference {summary['read_energy_per_inference']:.3g} J"]


def accuracy_curves(metrics: List[Mapping[str, Any]], path: Path, title: str) -> Path:
    """Train and test accuracy per epoch, crossbar and float64 software."""
    from circuitsim.plotting import new_figure, save_figure

    epochs = [m["epoch"] for m in metrics]
    fig = new_figure(figsize=(5.5, 3.5))
    ax = fig.add_subplot()
    for key, label, style in (("test_accuracy", "crossbar, test", "o-"), ("train_accuracy", "crossbar, train", "o--"),
                              ("software_test_accuracy", "float64, test", "s-"),
                              ("software_train_accuracy", "float64, train", "s--")):
        ax.plot(epochs, [100 * m[key] for m in metrics], style, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"digits on a {title}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return Path(save_figure(fig, path))


def confusion_plot(matrix: np.ndarray, path: Path) -> Path:
    """The test set's confusion matrix (true digit vs predicted digit)."""
    from circuitsim.plotting import new_figure, save_figure

    fig = new_figure(figsize=(4.6, 4.0))
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks(range(CLASSES))
    ax.set_yticks(range(CLASSES))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    ax.set_title(f"test set, crossbar: {100 * accuracy:.1f} %")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return Path(save_figure(fig, path))
