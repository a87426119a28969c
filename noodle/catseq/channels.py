"""Boards and channels: interned, so the same board name and index is the same object,
and each channel's integer `.id` is the value in the event table's `channel` column."""
from __future__ import annotations

from dataclasses import dataclass

TTL = "ttl"
RF = "rf"


class Board:
    """A piece of hardware with numbered channels; `Board("rwg0")` is always the same
    object for the same name."""
    __slots__ = ("name", "id")

    def __new__(cls, name: str) -> Board:
        found = _boards.get(name)
        if found is not None:
            return found
        if not isinstance(name, str) or not name:
            raise ValueError(f"a board needs a name, not {name!r}")
        board = super().__new__(cls)
        board.name = name
        board.id = len(_board_list)
        _boards[name] = board
        _board_list.append(board)
        return board

    def __repr__(self) -> str:
        return f"Board({self.name!r})"


@dataclass(frozen=True, eq=False)
class Channel:
    board: Board
    kind: str      # TTL or RF
    index: int     # the channel's number on its board
    id: int        # global id, the event table's `channel` value

    def __repr__(self) -> str:
        return f"{self.kind}({self.board.name}, {self.index})"


_boards: dict[str, Board] = {}
_board_list: list[Board] = []
_channels: dict[tuple[str, str, int], Channel] = {}
_channel_list: list[Channel] = []


def channel(board: Board | str, kind: str, index: int) -> Channel:
    """The interned channel `kind` number `index` on `board`."""
    if isinstance(board, str):
        board = Board(board)
    if kind not in (TTL, RF):
        raise ValueError(f"unknown channel kind {kind!r}; use 'ttl' or 'rf'")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"a channel index must be a non-negative integer, not {index!r}")
    key = (board.name, kind, index)
    found = _channels.get(key)
    if found is None:
        found = Channel(board, kind, index, len(_channel_list))
        _channels[key] = found
        _channel_list.append(found)
    return found


def ttl(board: Board | str, index: int) -> Channel:
    return channel(board, TTL, index)


def rf(board: Board | str, index: int) -> Channel:
    return channel(board, RF, index)


def channel_by_id(channel_id: int) -> Channel:
    return _channel_list[channel_id]


def board_by_id(board_id: int) -> Board:
    return _board_list[board_id]


def channel_boards() -> list[int]:
    """The board id of every channel, indexed by channel id."""
    return [c.board.id for c in _channel_list]
