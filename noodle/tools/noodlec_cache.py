"""`noodlec cache`: list, measure and empty the on-disk kernel cache."""
from __future__ import annotations

import time
from pathlib import Path

import click

from noodle.runtime.cache_store import CacheStore, EntryInfo

_dir_option = click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Cache directory (default: $NOODLE_CACHE_DIR, else $XDG_CACHE_HOME/noodle, "
         "else ~/.cache/noodle).")


def _human(size: int) -> str:
    """`size` bytes in binary units: 512 B, 1.5 KiB, 512.0 MiB."""
    if size < 1024:
        return f"{size} B"
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024:
            break
    return f"{size:.1f} {unit}"


def _describe(info: EntryInfo) -> str:
    """What the entry holds, from its metadata when the JIT recorded it, else its key."""
    parts = [str(info.meta[name]) for name in ("function", "signature", "tier")
             if name in info.meta]
    if info.meta.get("index"):  # what a miss compares with, to say what changed
        parts.append("(index)")
    return " ".join(parts) if parts else info.key[:60]


@click.group()
def cache() -> None:
    """Inspect or empty the on-disk kernel cache."""


@cache.command("list")
@_dir_option
def list_entries(directory: Path | None) -> None:
    """One line per entry, most recently used first."""
    for info in CacheStore(directory).entries():
        used = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.last_used))
        click.echo(f"{_human(info.size):>10}  {used}  {_describe(info)}")


@cache.command()
@_dir_option
def stats(directory: Path | None) -> None:
    """The cache's directory, entry count, total size and size limit."""
    info = CacheStore(directory).stats()
    click.echo(f"directory: {info['directory']}")
    click.echo(f"entries:   {info['entries']}")
    click.echo(f"size:      {_human(info['bytes'])}")
    click.echo(f"limit:     {_human(info['max_bytes'])}")


@cache.command()
@_dir_option
def clear(directory: Path | None) -> None:
    """Remove every entry."""
    store = CacheStore(directory)
    removed = store.clear()
    click.echo(f"removed {removed} {'entry' if removed == 1 else 'entries'} from {store.root}")
