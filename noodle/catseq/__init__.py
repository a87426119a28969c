"""noodle.catseq: timed control sequences for lab hardware.

    import noodle.catseq as cs
    board = cs.Board("rwg0")
    laser, aom = cs.ttl(board, 0), cs.rf(board, 1)
    seq = (cs.initialize(laser) | cs.rf_initialize(aom, 80e6)) >> \\
          (cs.pulse(laser, cs.us(1.5)) | cs.rf_pulse(aom, cs.us(2)))
    table = cs.compile(seq)
"""
from noodle.catseq.channels import RF, TTL, Board, Channel, rf, ttl
from noodle.catseq.errors import CatseqError, ChannelOverlapError, DurationError, StateError
from noodle.catseq.mlir_import import from_mlir
from noodle.catseq.morphism import Morphism
from noodle.catseq.primitives import (hold, identity, initialize, linear_ramp, off, on, pulse,
                                      rf_initialize, rf_off, rf_on, rf_pulse, set_amp,
                                      set_freq, set_phase, wait)
from noodle.catseq.states import Opcode, State
from noodle.catseq.timebase import DEFAULT_CLOCK_HZ, Duration, clock, cycles, ms, ns, us


def compile(seq: Morphism):
    """The event table of `seq`: a NumPy structured array (time, board, channel,
    opcode, value, duration) sorted by time, stable for equal times."""
    return seq.compile()


__all__ = [
    "Board", "Channel", "ttl", "rf", "TTL", "RF", "Morphism", "compile", "us", "ns", "ms",
    "cycles", "clock", "Duration", "DEFAULT_CLOCK_HZ", "initialize", "on", "off", "hold",
    "pulse", "rf_initialize", "set_freq", "set_amp", "set_phase", "rf_on", "rf_off",
    "rf_pulse", "linear_ramp", "wait", "identity", "Opcode", "State", "CatseqError",
    "ChannelOverlapError", "DurationError", "StateError", "from_mlir",
]
