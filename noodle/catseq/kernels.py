"""The loops of the catseq compiler, compiled by noodle's own @jit: a walk over the
arena that gives every primitive occurrence its absolute start time, and the replay of
events that checks channel states."""
from __future__ import annotations

import noodle

# node kinds, as in arena.py (kept literal here: the kernels compare against constants)
_PRIM, _SEQ, _SERIAL, _REPEAT = 0, 1, 2, 5


@noodle.jit
def flatten(kind, a, b, duration, root, leaf_node, leaf_start, stack_node, stack_start):
    """Depth-first over the (shared) nodes under `root`, in time order of composition:
    writes each primitive occurrence and its start; returns how many. `>>`/`@` start
    the right side when the left ends, `|` starts both together, repeat runs its child
    back to back."""
    stack_node[0] = root
    stack_start[0] = 0
    sp = 1
    n = 0
    while sp > 0:
        sp -= 1
        node = stack_node[sp]
        t = stack_start[sp]
        k = kind[node]
        if k == _PRIM:
            leaf_node[n] = node
            leaf_start[n] = t
            n += 1
        elif k == _REPEAT:
            child = a[node]
            d = duration[child]
            r = b[node] - 1
            while r >= 0:
                stack_node[sp] = child
                stack_start[sp] = t + r * d
                sp += 1
                r -= 1
        else:
            left = a[node]
            stack_node[sp] = b[node]
            if k == _SEQ or k == _SERIAL:
                stack_start[sp] = t + duration[left]
            else:
                stack_start[sp] = t
            stack_node[sp + 1] = left
            stack_start[sp + 1] = t
            sp += 2
    return n


@noodle.jit
def replay_states(channel, opcode, needs_mask, leaves, state):
    """Runs the events through each channel's state machine; the index of the first
    event whose channel is not in a state it may start from, or -1."""
    for i in range(channel.shape[0]):
        c = channel[i]
        op = opcode[i]
        s = state[c]
        if (needs_mask[op] >> s) & 1 == 0:
            return i
        if leaves[op] >= 0:
            state[c] = leaves[op]
    return -1


@noodle.jit
def emit_events(leaf_node, leaf_start, code, channel, param, duration, start_opcode,
                end_opcode, ramp_opcode, pool, board_of, out_time, out_board, out_channel,
                out_opcode, out_value, out_duration):
    """Each occurrence's start event and (for pulses) end event, in composition order,
    into the columns of the event table (strided views of its records); returns how
    many. A ramp's event carries the ramp's duration."""
    n = 0
    for i in range(leaf_node.shape[0]):
        node = leaf_node[i]
        kind = code[node]
        op = start_opcode[kind]
        if op != 0:
            out_time[n] = leaf_start[i]
            out_board[n] = board_of[channel[node]]
            out_channel[n] = channel[node]
            out_opcode[n] = op
            p = param[node]
            out_value[n] = pool[p] if p >= 0 else 0.0
            out_duration[n] = duration[node] if op == ramp_opcode else 0
            n += 1
        op = end_opcode[kind]
        if op != 0:
            out_time[n] = leaf_start[i] + duration[node]
            out_board[n] = board_of[channel[node]]
            out_channel[n] = channel[node]
            out_opcode[n] = op
            out_value[n] = 0.0
            out_duration[n] = 0
            n += 1
    return n
