"""The `catseq` dialect: export, import (round trip exact), the three catseq passes from
Python and from `noodle-opt`, and the errors they report for hand-written IR."""
import numpy as np
import pytest
from click.testing import CliRunner
from mlir import ir
from mlir.passmanager import PassManager

import noodle.catseq as cs
from noodle.catseq.channels import channel_by_id
from noodle.catseq.mlir_import import SequenceIRError
from noodle.catseq.states import PRIMITIVES
from noodle.dialects import catseq as D
from noodle.dialects import make_context
from noodle.errors import NoodleError
from noodle.passes import catseq_flatten, catseq_to_events, catseq_verify
from noodle.passes.registry import PASSES, run_passes
from noodle.tools import noodle_opt

C = cs.cycles
BOARD, OTHER = cs.Board("mlir0"), cs.Board("mlir1")
T0, T1, RF0 = cs.ttl(BOARD, 0), cs.ttl(BOARD, 1), cs.rf(BOARD, 2)
T_OTHER = cs.ttl(OTHER, 5)


def every_primitive() -> cs.Morphism:
    """Every primitive and every composition, a shared subsequence and two boards."""
    init = cs.initialize(T0) | cs.rf_initialize(RF0, 80e6) | cs.initialize(T_OTHER)
    pulse = cs.pulse(T0, C(10))
    rf = (cs.set_freq(RF0, 81e6) >> cs.set_amp(RF0, 0.1) >> cs.set_phase(RF0, 1 / 3)
          >> cs.rf_pulse(RF0, C(7)) >> cs.linear_ramp(RF0, 0.5, C(5)))
    body = (pulse >> pulse) | rf
    manual = (cs.on(T_OTHER) >> cs.hold(T_OTHER, C(2)) >> cs.off(T_OTHER)
              >> cs.rf_on(RF0) >> cs.rf_off(RF0))
    return init @ body.repeat(2) >> cs.wait(C(4)) >> manual


def parsed(text: str) -> ir.Module:
    return ir.Module.parse(text)


def ops_of(text: str) -> list[str]:
    with make_context():
        module = parsed(text)  # kept alive while its ops are read
        return [op.operation.name for op in
                module.body.operations[0].regions[0].blocks[0].operations]


# -- the dialect -------------------------------------------------------------------------
def test_dialect_ops_match_the_primitive_table():
    for p in PRIMITIVES:
        shape = D.PRIMITIVE_OPS["identity" if p.name == "wait" else p.name]
        assert shape.timed == p.timed, p.name
        assert (shape.value is not None) == p.has_value, p.name
        assert shape.channel == (p.name != "wait"), p.name


def test_mlir_itself_rejects_a_ttl_operation_on_an_rf_channel():
    text = every_primitive().to_mlir().replace('"catseq.rf_on"', '"catseq.on"', 1)
    with pytest.raises(cs.CatseqError, match=r'-:\d+:\d+: error: expected .*"ttl".*"rf"'):
        cs.from_mlir(text)


# -- export and round trip ---------------------------------------------------------------
def test_export_is_valid_mlir_with_every_op():
    text = every_primitive().to_mlir()
    with make_context():
        module = parsed(text)
        assert module.operation.verify()
    names = set(ops_of(text))
    assert {f"catseq.{n}" for n in D.PRIMITIVE_OPS} <= names
    assert {D.COMPOSE, D.SERIAL, D.TENSOR, "catseq.repeat", "catseq.channel"} <= names


@pytest.mark.parametrize("build", [
    every_primitive,
    lambda: (cs.initialize(T0) | cs.initialize(T1)) >> (
        cs.pulse(T0, C(10)) | cs.pulse(T1, C(15))) >> cs.on(T0),
    lambda: (cs.initialize(T0) | cs.initialize(T_OTHER)) >> cs.pulse(T_OTHER, C(3)).repeat(4),
    lambda: cs.wait(C(5)),
], ids=["everything", "padding", "boards-repeat", "wait-only"])
def test_round_trip_gives_the_same_event_table(build):
    seq = build()
    back = cs.from_mlir(seq.to_mlir())
    assert back.duration == seq.duration
    assert cs.compile(back) == cs.compile(seq)


def test_round_trip_of_awkward_floats_is_exact():
    values = [0.1, 1 / 3, 1e-300, -2.5e17, 123456789.123456789]
    seq = cs.rf_initialize(RF0, values[0])
    for v in values[1:]:
        seq = seq >> cs.set_amp(RF0, v)
    table = cs.compile(cs.from_mlir(seq.to_mlir()))
    assert table["value"].tolist() == values


def test_shared_subsequences_are_one_value_not_expanded():
    seq = cs.initialize(T0) >> cs.pulse(T0, C(1))
    for _ in range(12):  # 4096 pulses, 13 distinct nodes
        seq = seq >> seq
    text = seq.to_mlir()
    assert text.count('"catseq.pulse"') == 1
    assert text.count(D.COMPOSE) == 13
    assert cs.compile(cs.from_mlir(text)) == cs.compile(seq)


# -- passes ------------------------------------------------------------------------------
BARRIER = (cs.initialize(T0) | cs.initialize(T1) | cs.initialize(T_OTHER)) >> (
    (cs.pulse(T0, C(100)) | cs.pulse(T1, C(200))) >> (cs.on(T0) | cs.pulse(T_OTHER, C(5))))


def run_pass(text: str, name: str) -> tuple[str, list[str]]:
    """The module after `name` run through a plain PassManager, and its op names."""
    with make_context():
        module = parsed(text)
        pm = PassManager()
        pm.add(PASSES[name][0], name=name)
        pm.run(module.operation)
        assert module.operation.verify()
        return str(module), [op.operation.name for op in
                             module.body.operations[0].regions[0].blocks[0].operations]


def test_every_pass_module_declares_its_name():
    for module in (catseq_verify, catseq_flatten, catseq_to_events):
        assert module.PASS_NAME in PASSES and module.__doc__


def test_verify_pass_leaves_valid_ir_unchanged():
    text = BARRIER.to_mlir()
    after, _ = run_pass(text, "catseq-verify")
    assert after == text


def test_flatten_lists_each_occurrence_at_its_absolute_start():
    after, names = run_pass(BARRIER.to_mlir(), "catseq-flatten")
    assert names.count("catseq.schedule") == 1
    assert not {D.COMPOSE, D.TENSOR, D.SERIAL, "catseq.repeat"} & set(names)
    # initialize x3 at 0, the pulses at 0, then the barrier: on and pulse both at 200
    assert "start = array<i64: 0, 0, 0, 0, 0, 200, 200>" in after
    assert "duration = 205 : i64" in after


def test_to_events_gives_each_boards_rows_of_the_event_table():
    after, names = run_pass(BARRIER.to_mlir(), "catseq-to-events")
    assert names == ["catseq.events", "catseq.events", "func.return"]
    with make_context():
        module = parsed(after)
        ops = module.body.operations[0].regions[0].blocks[0].operations
        lists = {ir.StringAttr(op.attributes["board"]).value: op for op in list(ops)[:2]}
        for board, rows in cs.compile(BARRIER).by_board().items():
            op = lists[board]
            for column in ("time", "opcode", "value", "duration"):
                assert list(op.attributes[column]) == rows[column].tolist(), column
            assert list(op.attributes["channel"]) == [
                channel_by_id(int(c)).index for c in rows["channel"]]


def test_noodle_opt_runs_passes_in_order_and_lists_them():
    runner = CliRunner()
    listed = runner.invoke(noodle_opt.main, ["--list-passes"])
    assert listed.exit_code == 0
    for name in ("lower-nir", "widen-bool-memrefs", "catseq-verify", "catseq-flatten",
                 "catseq-to-events"):
        assert name in listed.output
    result = runner.invoke(noodle_opt.main, ["--pass", "catseq-verify", "--pass",
                                             "catseq-to-events", "-"],
                           input=BARRIER.to_mlir())
    assert result.exit_code == 0, result.output
    assert '"catseq.events"' in result.output and D.COMPOSE not in result.output
    flat = runner.invoke(noodle_opt.main, ["--pass", "catseq-flatten"], input=BARRIER.to_mlir())
    assert flat.exit_code == 0 and '"catseq.schedule"' in flat.output
    # a bad value is a command-line error in LLVM's words, exit status 1, as in mlir-opt
    unknown = runner.invoke(noodle_opt.main, ["--pass", "no-such-pass", "-"], input="")
    assert unknown.exit_code == 1
    assert "Cannot find option named 'no-such-pass'" in unknown.output


# -- errors in hand-written IR -----------------------------------------------------------
HEADER = """func.func @sequence() -> !catseq.morphism {
  %a = "catseq.channel"() {board = "mlir0", index = 0 : i64} : () -> !catseq.chan<"ttl">
  %b = "catseq.channel"() {board = "mlir0", index = 1 : i64} : () -> !catseq.chan<"ttl">
  %i = "catseq.initialize"(%a) : (!catseq.chan<"ttl">) -> !catseq.morphism
"""
M2 = "(!catseq.morphism, !catseq.morphism) -> !catseq.morphism"
M1 = '(!catseq.chan<"ttl">) -> !catseq.morphism'
OVERLAP = HEADER + f"""  %p = "catseq.pulse"(%a) {{duration = 10 : i64}} : {M1}
  %t = "catseq.tensor"(%i, %p) : {M2}
  return %t : !catseq.morphism
}}
"""
BAD_STATE = HEADER + f"""  %on = "catseq.on"(%b) : {M1}
  %s = "catseq.compose"(%i, %on) : {M2}
  return %s : !catseq.morphism
}}
"""
BAD_SERIAL = HEADER + f"""  %off = "catseq.off"(%a) : {M1}
  %s = "catseq.serial"(%i, %off) : {M2}
  return %s : !catseq.morphism
}}
"""


def test_verify_reports_an_overlap_at_the_tensor_op():
    with make_context():
        module = parsed(OVERLAP)
        with pytest.raises(SequenceIRError) as caught:
            catseq_verify.verify(module.operation)
        assert (caught.value.loc.line, caught.value.loc.col + 1) == (6, 8)
        assert "ttl(mlir0, 0)" in str(caught.value)
        pm = PassManager()
        pm.add(catseq_verify.catseq_verify_pass, name=catseq_verify.PASS_NAME)
        with pytest.raises(ir.MLIRError) as diagnosed:
            pm.run(module.operation)
        [error] = diagnosed.value.error_diagnostics
        assert str(error.location) == 'loc("-":6:8)' and "disjoint" in error.message
        with pytest.raises(NoodleError, match=r'-:6:8: error: a \| b needs disjoint'):
            run_passes(module, ["catseq-verify"])


def test_verify_reports_a_state_error_with_channel_and_time():
    result = CliRunner().invoke(noodle_opt.main, ["--pass", "catseq-verify", "-"],
                                input=BAD_STATE)
    assert result.exit_code == 1
    assert "<stdin>:6:8: error:" in result.output
    assert "ttl(mlir0, 1)" in result.output and "uninitialized" in result.output


def test_verify_reports_a_serial_state_mismatch_at_the_serial_op():
    with pytest.raises(cs.CatseqError, match=r"-:6:8: error: a @ b: .*ttl\(mlir0, 0\)"):
        cs.from_mlir(BAD_SERIAL)


def test_an_overlap_left_to_the_compiler_is_still_located_at_its_tensor_op():
    big = (cs.pulse(T0, C(1)) >> cs.hold(RF0, C(1))).repeat(300)
    seq = big | cs.hold(RF0, C(3))  # channel ranges overlap and 601 leaves: deferred
    text = seq.to_mlir()
    line = next(n for n, s in enumerate(text.splitlines(), 1) if D.TENSOR in s)
    with make_context(), pytest.raises(NoodleError, match=rf"-:{line}:\d+: error: .*rf\("):
        run_passes(parsed(text), ["catseq-verify"])


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace(" {duration = 10 : i64}", ""), r"-:5:\d+: error: .*duration"),
    (lambda t: t.replace("duration = 10 : i64", "duration = -1 : i64"),
     r"-:5:8: error: cycles\(n\) needs a non-negative integer"),
    (lambda t: t.replace('"catseq.tensor"', '"catseq.tensr"'), r"-:6:\d+: error: .*tensr"),
    (lambda t: t.replace("%t = ", "%t = = "), r"-:6:\d+: error: "),
], ids=["missing-attribute", "negative-duration", "unknown-op", "syntax"])
def test_malformed_ir_gives_a_located_catseq_error(edit, message):
    with pytest.raises(cs.CatseqError, match=message):
        cs.from_mlir(edit(OVERLAP))


def test_lowered_ir_is_refused_by_from_mlir_with_a_hint():
    flat, _ = run_pass(BARRIER.to_mlir(), "catseq-flatten")
    with pytest.raises(cs.CatseqError, match="flattened by catseq-flatten") as caught:
        cs.from_mlir(flat)
    assert "before catseq-flatten" in str(caught.value)
    events, _ = run_pass(BARRIER.to_mlir(), "catseq-to-events")
    with pytest.raises(cs.CatseqError, match="0 sequence functions"):
        cs.from_mlir(events)


def test_to_events_matches_the_event_table_row_count():
    after, _ = run_pass(every_primitive().to_mlir(), "catseq-to-events")
    table = cs.compile(every_primitive())
    with make_context():
        module = parsed(after)
        ops = list(module.body.operations[0].regions[0].blocks[0].operations)[:-1]
        assert sum(len(op.attributes["time"]) for op in ops) == len(table)
        assert np.all(np.diff(np.asarray(list(ops[0].attributes["time"]))) >= 0)


def test_flatten_then_to_events_gives_the_events_of_to_events_alone():
    board = cs.Board("pipeline0")
    a, b, r = cs.ttl(board, 0), cs.ttl(board, 1), cs.rf(board, 2)
    step = cs.pulse(a, cs.cycles(5)) | (cs.on(b) >> cs.hold(b, cs.cycles(3)) >> cs.off(b))
    seq = (cs.initialize(a) | cs.initialize(b) | cs.rf_initialize(r, 1e6)) >> \
        (step.repeat(3) | cs.rf_pulse(r, cs.cycles(4)))
    text = seq.to_mlir()
    both = _run_pipeline(text, ["catseq-flatten", "catseq-to-events"])
    direct = _run_pipeline(text, ["catseq-to-events"])
    assert both == direct
    assert "catseq.events" in both


def _run_pipeline(text: str, names: list[str]) -> str:
    from noodle.dialects import make_context
    from noodle.passes.registry import run_passes
    from mlir import ir

    with make_context():
        module = ir.Module.parse(text)
        run_passes(module, names)
        return str(module)
