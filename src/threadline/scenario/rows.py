"""Columnar CDR rows as numpy arrays: the shape every generator produces and every writer reads.

A :class:`RowBatch` holds rows of one CDR return from the point of view of its target line, as
parallel arrays of small integers (indices into the number book, the handset and SIM tables and
the cell table) so that millions of rows cost tens of megabytes and are rendered into any
provider layout by array look-ups (see :mod:`threadline.scenario.layouts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DATA", "FORWARDED", "SMS", "VOICE", "RowBatch"]

#: Row kinds. A forwarded (diverted) call is a voice call to the target that the network sent on
#: to a third number; it counts as a call.
VOICE, SMS, DATA, FORWARDED = 0, 1, 2, 3

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class RowBatch:
    """Rows of one return, one array per field; every array has the same length."""

    kind: I8
    outgoing: B
    """For voice and SMS: the target line originated it. Always true for data."""
    other: I32
    """Number-book index of the other party; -1 for data."""
    forwarded: I32
    """Number-book index the call was diverted to; -1 unless kind is FORWARDED."""
    start: I64
    """UTC epoch seconds."""
    duration: I64
    handset: I32
    """Index into the handset render table (which may hold deliberately corrupted IMEIs)."""
    sim: I32
    cell_start: I32
    cell_end: I32
    """-1 when the layout leaves the end cell blank (SMS)."""
    bytes_up: I64
    bytes_down: I64
    charging: I64
    """Charging ID shared by partial records of one data session; -1 when not data."""
    clock_shift: I64
    """Seconds wrongly added when the provider renders local time (a deliberate anomaly)."""
    comm: I64
    """Story communication id (the same call in two returns has the same id); -1 if none."""

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    @classmethod
    def empty(cls) -> RowBatch:
        """Return a batch with no rows."""
        return cls.concat(())

    @classmethod
    def concat(cls, batches: Sequence[RowBatch]) -> RowBatch:
        """Join batches end to end."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            dtype = _DTYPES[spec.name]
            parts = [getattr(b, spec.name) for b in batches]
            values[spec.name] = (
                np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
            )
        return cls(**values)

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> RowBatch:
        """Return the rows selected by an index array or boolean mask, in that order."""
        return RowBatch(**{spec.name: getattr(self, spec.name)[index] for spec in fields(self)})

    def sorted(self) -> RowBatch:
        """Return the rows in time order (ties kept in their existing order)."""
        return self.take(np.argsort(self.start, kind="stable"))


_DTYPES: MappingProxyType[str, type[np.generic]] = MappingProxyType(
    {
        "kind": np.int8,
        "outgoing": np.bool_,
        "other": np.int32,
        "forwarded": np.int32,
        "start": np.int64,
        "duration": np.int64,
        "handset": np.int32,
        "sim": np.int32,
        "cell_start": np.int32,
        "cell_end": np.int32,
        "bytes_up": np.int64,
        "bytes_down": np.int64,
        "charging": np.int64,
        "clock_shift": np.int64,
        "comm": np.int64,
    }
)


def make_batch(n: int, **columns: Any) -> RowBatch:
    """Build a batch of ``n`` rows from the given columns, defaulting the rest sensibly.

    Defaults: not outgoing, no other party, not forwarded, zero duration and bytes, no end cell,
    no charging ID, no clock shift, no communication id.
    """
    defaults: dict[str, Any] = {
        "outgoing": np.zeros(n, np.bool_),
        "other": np.full(n, -1, np.int32),
        "forwarded": np.full(n, -1, np.int32),
        "duration": np.zeros(n, np.int64),
        "cell_end": np.full(n, -1, np.int32),
        "bytes_up": np.zeros(n, np.int64),
        "bytes_down": np.zeros(n, np.int64),
        "charging": np.full(n, -1, np.int64),
        "clock_shift": np.zeros(n, np.int64),
        "comm": np.full(n, -1, np.int64),
    }
    defaults.update(columns)
    values = {
        name: np.asarray(defaults[name]).astype(dtype, copy=False)
        for name, dtype in _DTYPES.items()
    }
    for name, array in values.items():
        if array.shape != (n,):
            raise ValueError(f"column {name} has shape {array.shape}, expected ({n},)")
    return RowBatch(**values)
