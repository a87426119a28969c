"""The loops of the catseq compiler, compiled by noodle's own @jit: a walk over the
arena that gives every primitive occurrence its absolute start time, and the replay of
events that checks channel states. They run over millions of nodes at once, so they are
compiled by the optimising tier from the start (`eager`), and kept in the kernel cache."""
from __future__ import annotations

import noodle

# node kinds, as in arena.py (kept literal here: the kernels compare against constants)
_PRIM, _SEQ, _SERIAL, _REPEAT = 0, 1, 2, 5


@noodle.jit(eager=True)
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


@noodle.jit(eager=True)
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


@noodle.jit(eager=True)
def count_events(leaf_node, code, events_per_code):
    """How many events the occurrences emit."""
    n = 0
    for i in range(leaf_node.shape[0]):
        n += events_per_code[code[leaf_node[i]]]
    return n


@noodle.jit(eager=True)
def event_times(leaf_node, leaf_start, code, duration, start_opcode, end_opcode, times,
                source):
    """The time of each occurrence's start event and (for pulses) end event, in
    composition order, and where it comes from: 2 * occurrence, + 1 for an end event.
    Returns how many."""
    n = 0
    for i in range(leaf_node.shape[0]):
        node = leaf_node[i]
        kind = code[node]
        if start_opcode[kind] != 0:
            times[n] = leaf_start[i]
            source[n] = 2 * i
            n += 1
        if end_opcode[kind] != 0:
            times[n] = leaf_start[i] + duration[node]
            source[n] = 2 * i + 1
            n += 1
    return n


@noodle.jit(eager=True)
def write_events(order, times, source, leaf_node, code, channel, param, duration,
                 start_opcode, end_opcode, ramp_opcode, pool, board_of, out_time, out_board,
                 out_channel, out_opcode, out_value, out_duration):
    """Event k of the table is event order[k] of `event_times`: its fields, written
    through strided views of the table's records, in table order (sequential writes;
    a gather of whole records afterwards was the compiler's slowest step). A ramp's
    event carries the ramp's duration; an end event has no value."""
    for k in range(order.shape[0]):
        j = order[k]
        s = source[j]
        node = leaf_node[s >> 1]
        kind = code[node]
        ch = channel[node]
        out_time[k] = times[j]
        out_board[k] = board_of[ch]
        out_channel[k] = ch
        if s & 1 == 0:
            op = start_opcode[kind]
            p = param[node]
            out_opcode[k] = op
            out_value[k] = pool[p] if p >= 0 else 0.0
            out_duration[k] = duration[node] if op == ramp_opcode else 0
        else:
            out_opcode[k] = end_opcode[kind]
            out_value[k] = 0.0
            out_duration[k] = 0
