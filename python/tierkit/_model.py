"""The common base of fitted models and tier policies: bytes, files, pickling, equality."""
from __future__ import annotations

from typing import Any, Callable, ClassVar

from . import _core
from .scoring import save_bytes


class FrozenModel:
    """A fitted, frozen model (or a tier policy): it applies to new data exactly as fitted,
    and travels as bytes in tierkit's versioned envelope, through ``to_bytes``/``from_bytes``,
    ``save``/``tk.load`` and pickle (joblib, Spark, Dask, notebook caches)."""

    # The compiled class whose ``from_bytes`` reads this model's own bytes.
    _core_class: ClassVar[Any]
    # The envelope kind used when a lifetime-value model travels with this one (the
    # ``clv_model`` attribute of value x potential and lifecycle models); None when never.
    _with_clv_kind: ClassVar[str | None] = None

    _core: Any

    @classmethod
    def _from_core(cls, core):
        make: Callable[..., Any] = cls  # every subclass is made from its core object
        return make(core)

    def _state(self) -> tuple:
        """What equality compares."""
        return (self._core, getattr(self, "clv_model", None))

    def to_bytes(self) -> bytes:
        """This model in tierkit's versioned envelope; ``from_bytes``, ``tk.load`` and
        pickle read it back, on any platform. With a lifetime-value model attached, both
        models go in one envelope (each part's bytes, length-prefixed)."""
        clv = getattr(self, "clv_model", None)
        if clv is None:
            return self._core.to_bytes()
        # Only the classes that carry a lifetime-value model name an envelope kind for it.
        assert self._with_clv_kind is not None
        parts = [self._core.to_bytes(), clv.to_bytes()]
        return _core.wrap_envelope(self._with_clv_kind,
                                   b"".join(len(b).to_bytes(8, "little") + b for b in parts))

    @classmethod
    def from_bytes(cls, data: bytes):
        """The model that ``to_bytes`` wrote. Raises FormatError for bytes of another
        kind of model, of a newer format version, or damaged."""
        if cls._with_clv_kind is None or _core.envelope_kind(data) != cls._with_clv_kind:
            return cls._from_core(cls._core_class.from_bytes(data))
        from ._errors import FormatError
        from .clv import CLVModel
        what = f"tierkit.{cls.__name__}.from_bytes"
        payload = _core.unwrap_envelope(data, cls._with_clv_kind)
        parts, at = [], 0
        while at < len(payload):
            n = int.from_bytes(payload[at:at + 8], "little")
            if at + 8 + n > len(payload):
                raise FormatError(f"{what}: a part runs past the payload")
            parts.append(payload[at + 8:at + 8 + n])
            at += 8 + n
        if len(parts) != 2:
            raise FormatError(f"{what}: expected 2 parts, found {len(parts)}")
        # The classes with a _with_clv_kind take (core, clv_model).
        make: Callable[..., Any] = cls
        return make(cls._core_class.from_bytes(parts[0]), CLVModel.from_bytes(parts[1]))

    def save(self, path) -> None:
        """Writes ``to_bytes()`` to ``path``: beside the target, renamed onto it only when
        complete, so a failed save leaves an existing file as it was. ``tk.load(path)``
        reads it back."""
        save_bytes(path, self.to_bytes())

    def __reduce__(self):
        return (type(self).from_bytes, (self.to_bytes(),))

    def __eq__(self, other) -> bool:
        """Equal when ``other`` is the same kind of model with the same frozen state."""
        if type(other) is not type(self):
            return NotImplemented
        return self._state() == other._state()

    __hash__ = None  # type: ignore[assignment]  # equal by value, and models are mutable
