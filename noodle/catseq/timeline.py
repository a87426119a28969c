"""Timelines of a sequence, for people: `text_timeline` (a terminal drawing) and `plot`
(a matplotlib figure; matplotlib is the optional extra `plot`).

Both draw one row per channel from the compiled event table, so what they show is what
the hardware will do: when a channel is on, its ramps, its instantaneous settings, and
the padding after its own last operation until the sequence ends, during which it holds
whatever state it was left in (a laser left on stays on).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from noodle.catseq.channels import Channel
from noodle.catseq.morphism import Morphism
from noodle.catseq.states import Opcode
from noodle.catseq.timebase import clock_hz

_ON = {Opcode.TTL_ON, Opcode.RF_ON}
_OFF = {Opcode.TTL_OFF, Opcode.RF_OFF}
_INIT = {Opcode.TTL_INIT, Opcode.RF_INIT}
#: one letter per instantaneous setting, in the text drawing and the plot's labels
_MARKS = {Opcode.TTL_INIT: "I", Opcode.RF_INIT: "I", Opcode.SET_FREQ: "F",
          Opcode.SET_AMP: "A", Opcode.SET_PHASE: "P"}


@dataclass
class Track:
    """What one channel does, in cycles from the start of the sequence."""
    channel: Channel
    on: list[tuple[int, int]] = field(default_factory=list)       # [start, end] on
    ramps: list[tuple[int, int, float]] = field(default_factory=list)  # start, end, target
    marks: list[tuple[int, Opcode, float]] = field(default_factory=list)
    initialized_at: int | None = None
    own_end: int = 0  # its last own operation ends here; padding from here on
    on_at_end: bool = False


def tracks(seq: Morphism) -> list[Track]:
    """One `Track` per channel of `seq`, by board, then in the order channels were made."""
    events = seq.compile().events
    found = {ch.id: Track(ch, own_end=seq.channel_duration(ch)) for ch in seq.channels}
    switched_on: dict[int, int] = {}
    for event in events:  # time order, so each channel's on/off pair up in turn
        t, ch, op = int(event["time"]), int(event["channel"]), Opcode(int(event["opcode"]))
        track = found[ch]
        if op in _ON:
            switched_on[ch] = t
        elif op in _OFF:
            track.on.append((switched_on.pop(ch), t))
        elif op == Opcode.RAMP_AMP:
            track.ramps.append((t, t + int(event["duration"]), float(event["value"])))
        if op in _MARKS:
            track.marks.append((t, op, float(event["value"])))
        if op in _INIT and track.initialized_at is None:
            track.initialized_at = t
    for ch, start in switched_on.items():  # still on when the sequence ends
        found[ch].on.append((start, seq.duration))
        found[ch].on_at_end = True
    return sorted(found.values(), key=lambda tr: (tr.channel.board.id, tr.channel.id))


def _micros(cycles: int, hz: int) -> str:
    return f"{float(Fraction(cycles * 1_000_000, hz)):g}"


# -- text --------------------------------------------------------------------------------
#: what each drawing character means, in the order the legend lists them
SYMBOLS = {"█": "on", "▁": "off", "╱": "amplitude ramp", "┆": "zero-length pulse",
           "I": "initialise", "F": "set freq", "A": "set amp", "P": "set phase",
           "*": "several settings",
           "▒": "padding, holds on", "┄": "padding, holds off"}


def _legend(drawn: str, width: int) -> list[str]:
    """The meaning of the symbols that appear in `drawn`, wrapped to `width`."""
    lines, line = [], "legend:"
    for symbol, meaning in SYMBOLS.items():
        if symbol in drawn:
            item = f"  {symbol} {meaning}"
            if len(line) + len(item) > width and line != "legend:":
                lines.append(line)
                line = "       "
            line += item
    return lines + [line] if line.strip() != "legend:" else lines


def text_timeline(seq: Morphism, width: int = 72, hz: int | None = None) -> str:
    """A drawing of `seq`, `width` characters wide: a header with the duration, a time
    axis in cycles and in µs at `hz` (default: the clock in force, `cs.clock`), one row
    per channel, and a legend. A column covers duration/columns cycles and shows
    everything that happens within it, so no pulse is too short to see."""
    hz = hz or seq.clock_hz or clock_hz()
    rows = tracks(seq)
    label_width = max([len(repr(tr.channel)) for tr in rows] + [len("cycles")]) + 1
    columns = max(width - label_width, 10)
    span = max(seq.duration, 1)

    def col(t: int) -> int:
        return min(t * columns // span, columns - 1)

    def last_col(end: int) -> int:  # the column an interval ending (exclusive) at `end` ends in
        return max(col(max(end - 1, 0)), 0)

    header = f"{seq.duration} cycles = {_micros(seq.duration, hz)} µs at {hz / 1e6:g} MHz"
    if seq.duration:
        header += f"; one column = {seq.duration / columns:.3g} cycles"
    lines = [header] + _axis(seq.duration, columns, label_width, hz)
    for tr in rows:
        cells = [" "] * columns
        if tr.initialized_at is not None:
            for c in range(col(tr.initialized_at), columns):
                cells[c] = "▁"
        for start, end in tr.on:
            for c in range(col(start), last_col(end) + 1):
                cells[c] = "█"
        for start, end, _ in tr.ramps:
            for c in range(col(start), last_col(end) + 1):
                cells[c] = "╱"
        if tr.own_end < seq.duration:
            for c in range(col(tr.own_end), columns):
                cells[c] = "▒" if tr.on_at_end else ("┄" if tr.initialized_at is not None
                                                     else " ")
        for start, end in tr.on:
            if start == end:
                cells[col(start)] = "┆"
        for t, op, _ in tr.marks:
            c = col(t)
            cells[c] = "*" if cells[c] in _MARKS.values() and cells[c] != _MARKS[op] \
                else _MARKS[op]
        lines.append(repr(tr.channel).ljust(label_width) + "".join(cells).rstrip())
    if not rows:
        lines.append("(no channels: the sequence only waits)")
    drawn = "".join(line[label_width:] for line in lines[3:])
    return "\n".join(lines + _legend(drawn, width))


def _axis(duration: int, columns: int, label_width: int, hz: int) -> list[str]:
    """Two axis rows, cycles and µs, each label starting at its tick's column; the
    tick step is the smallest round one whose labels do not run into each other."""
    span = max(duration, 1)
    step = 1
    for step in (f * 10**k for k in range(19) for f in (1, 2, 5)):
        ticks = range(0, duration + 1, step)
        room = step * columns / span
        widest = max(len(f"|{t}") for t in ticks[-1:]) if ticks else 2
        widest = max(widest, max(len(f"|{_micros(t, hz)}") for t in ticks))
        if room >= widest + 1 or step >= span:
            break
    in_cycles = [" "] * (columns + 24)
    in_micros = [" "] * (columns + 24)
    for t in range(0, duration + 1, step):
        c = min(t * columns // span, columns - 1)
        for row, text in ((in_cycles, f"|{t}"), (in_micros, f"|{_micros(t, hz)}")):
            row[c:c + len(text)] = text
    return ["cycles".ljust(label_width) + "".join(in_cycles).rstrip(),
            "µs".ljust(label_width) + "".join(in_micros).rstrip()]


# -- matplotlib --------------------------------------------------------------------------
def plot(seq: Morphism, ax=None, hz: int | None = None):
    """A matplotlib Figure of `seq`: one row per channel against time in µs at `hz`
    (cycles on the top axis); on intervals as bars, ramps as slopes, settings as
    labelled ticks, padding hatched. Draws into `ax` when given, and returns its figure."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("seq.plot() needs matplotlib: pip install 'noodle[plot]' "
                          "(or pip install matplotlib)") from error
    hz = hz or seq.clock_hz or clock_hz()
    rows = tracks(seq)
    if ax is None:
        # a bare Figure, not pyplot: no global figure registry to leak into, and
        # Jupyter still displays it
        fig = Figure(figsize=(10, 0.9 + 0.7 * max(len(rows), 1)), layout="constrained")
        ax = fig.add_subplot()
    us_per_cycle = 1e6 / hz
    end = seq.duration * us_per_cycle
    for y, tr in enumerate(reversed(rows)):  # first channel on top
        if tr.initialized_at is not None:
            ax.hlines(y, tr.initialized_at * us_per_cycle, end, color="0.6", lw=1)
        ax.broken_barh([(s * us_per_cycle, (e - s) * us_per_cycle) for s, e in tr.on],
                       (y - 0.3, 0.6), color="tab:blue")
        for s, e in tr.on:
            if s == e:  # a zero-length pulse has no bar width; show where it is
                ax.vlines(s * us_per_cycle, y - 0.3, y + 0.3, color="tab:blue", lw=2)
        for s, e, target in tr.ramps:
            ax.fill([s * us_per_cycle, e * us_per_cycle, e * us_per_cycle],
                    [y - 0.3, y - 0.3, y + 0.3], color="tab:orange", alpha=0.8)
            ax.annotate(f"→{target:g}", (e * us_per_cycle, y + 0.3), fontsize=7,
                        ha="right", va="bottom")
        for t, op, value in tr.marks:
            ax.vlines(t * us_per_cycle, y - 0.4, y + 0.4, color="black", lw=1)
            text = "init" if op in _INIT else f"{_MARKS[op]}={value:g}"
            ax.annotate(text, (t * us_per_cycle, y + 0.4), fontsize=7, va="bottom")
        if tr.own_end < seq.duration:
            ax.add_patch(_padding_patch(tr, y, us_per_cycle, end))
    ax.set_yticks(range(len(rows)), [repr(tr.channel) for tr in reversed(rows)])
    ax.set_ylim(-0.8, max(len(rows), 1) - 0.2)
    ax.set_xlim(0, max(end, us_per_cycle))
    ax.set_xlabel(f"time (µs at {hz / 1e6:g} MHz)")
    top = ax.secondary_xaxis("top", functions=(lambda x: x / us_per_cycle,
                                               lambda c: c * us_per_cycle))
    top.set_xlabel("cycles")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(handles=_legend_handles(), loc="upper left", bbox_to_anchor=(1.01, 1),
              fontsize=8, frameon=False)
    return ax.figure


def _legend_handles() -> list:
    from matplotlib.patches import Patch
    return [Patch(color="tab:blue", label="on"),
            Patch(color="tab:orange", label="amplitude ramp"),
            Patch(facecolor="white", edgecolor="0.4", hatch="//",
                  label="padding (holds its state)")]


def _padding_patch(tr: Track, y: int, us_per_cycle: float, end: float):
    from matplotlib.patches import Rectangle
    start = tr.own_end * us_per_cycle
    # on while padded: a pale bar, so a channel left on is not mistaken for off
    return Rectangle((start, y - 0.3), end - start, 0.6, fill=tr.on_at_end,
                     facecolor="tab:blue", alpha=0.35 if tr.on_at_end else 1.0,
                     edgecolor="0.4", hatch="//", lw=0.5)
