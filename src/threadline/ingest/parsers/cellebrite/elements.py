"""Reading one Cellebrite ``<model>`` element into plain values (formats.md §1).

A decoded record in a UFED report is a ``<model type=".." id=".." deleted_state="..">`` whose
children are

* ``<field name="X"><value type="..">text</value></field>`` (or ``<empty/>`` when absent),
* ``<multiField name="X">`` with several ``<value>`` children,
* ``<modelField name="X">`` holding one nested ``<model>`` (a party, an attachment, a position),
* ``<multiModelField name="X">`` holding a list of nested models (participants, messages,
  contact entries), and
* links (``<nodeField>``, ``<jumptargets>``, ``<dataField>``) that name files by id.

:func:`read_model` gathers the direct children of one model in a single pass. Elements are
matched by their local name, so namespaced reports (``http://pa.cellebrite.com/report/2.0``) and
un-namespaced fragments read alike. Values marked ``format="Base64String"`` are decoded only when
the result is printable text, as IPED does (``UfedXmlReader``); otherwise they are kept exactly as
written, and the caller is told so that it can raise an issue.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "ModelView",
    "deleted_state",
    "local",
    "printable",
    "read_model",
]

#: The namespace of Physical Analyzer's reports (``parser.NAMESPACE``, which imports this module).
_CELLEBRITE_NS: Final = "http://pa.cellebrite.com/report/2.0"

#: Cellebrite's ``deleted_state`` (models) and ``deleted`` (files) values -> canonical state.
_DELETED: Final = MappingProxyType({"intact": "intact", "deleted": "deleted", "trash": "deleted"})

#: The attribute values Physical Analyzer writes, read without a call (see :func:`deleted_state`).
_STATES: Final = MappingProxyType(
    {"Intact": "intact", "Deleted": "deleted", "Trash": "deleted", "Unknown": "unknown"}
)

#: Control characters IPED's printable rule lets through (tab, line feed, vertical tab, return).
_ALLOWED_CONTROLS: Final = frozenset("\t\n\v\r")

_VALUE: Final = "{*}value"
_MODEL: Final = "{*}model"
#: The kinds of a model's children: a field, a model field (one or several nested models), a
#: list of values, a link to files or models, anything else.
_FIELD_KIND: Final = "field"
_MODEL_KIND: Final = "model"
_LIST_KIND: Final = "list"
_LINK_KIND: Final = "link"
_OTHER: Final = "other"
_LOCAL_KINDS: Final = MappingProxyType(
    {
        "field": _FIELD_KIND,
        "modelField": _MODEL_KIND,
        "multiModelField": _MODEL_KIND,
        "multiField": _LIST_KIND,
        "nodeField": _LINK_KIND,
        "jumptargets": _LINK_KIND,
        "dataField": _LINK_KIND,
        "sourcemodels": _LINK_KIND,
    }
)
#: Child tag -> kind, for local names and Cellebrite's namespace (other namespaces are read by
#: their local name).
_KINDS: Final = MappingProxyType(
    {
        **_LOCAL_KINDS,
        **{f"{{{_CELLEBRITE_NS}}}{name}": kind for name, kind in _LOCAL_KINDS.items()},
    }
)


def local(tag: Any) -> str:
    """An element's tag without its namespace; ``""`` for entity references and other nodes."""
    if not isinstance(tag, str):
        return ""
    return tag[tag.rfind("}") + 1 :]


def deleted_state(value: str | None) -> str:
    """``intact``, ``deleted`` or ``unknown`` for a ``deleted_state``/``deleted`` attribute."""
    if value is None:
        return "unknown"
    return _DELETED.get(value.strip().lower(), "unknown")


def printable(text: str) -> bool:
    """IPED's rule for a decoded Base64 value: every character a letter, printable ASCII,
    Latin-1 printable (U+00A0-U+00FF) or tab/new line/return."""
    return all(
        ch.isalpha() or " " <= ch <= "~" or "\xa0" <= ch <= "\xff" or ch in _ALLOWED_CONTROLS
        for ch in text
    )


def _decode_base64(text: str) -> str | None:
    try:
        decoded = base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if printable(decoded) else None


@dataclass(slots=True)
class ModelView:
    """The direct content of one ``<model>``.

    Attributes:
        element: the element itself (for nested models and the raw record).
        type: the ``type`` attribute (``Call``, ``InstantMessage``...).
        id: the ``id`` attribute (a GUID), or ``""``.
        line: the line of its start tag in the report.
        deleted: canonical deleted state from ``deleted_state``.
        fields: first value of each ``<field>`` (and of each ``<multiField>``), ``None`` when
            empty; Base64 values decoded when printable.
        multi: every value of each ``<multiField>``.
        models: nested models of each ``<modelField>``/``<multiModelField>``, by field name.
        names: every field name met, in order (for the unknown-field tally).
        undecoded: names of fields whose Base64 value was kept as written (not printable).
    """

    element: Any
    type: str
    id: str
    line: int
    deleted: str
    fields: dict[str, str | None] = field(default_factory=dict)
    multi: dict[str, list[str]] = field(default_factory=dict)
    models: dict[str, list[Any]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    undecoded: list[str] = field(default_factory=list)

    def text(self, name: str) -> str | None:
        """The field's value with surrounding white space removed; ``None`` when empty."""
        value = self.fields.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def flag(self, name: str) -> bool | None:
        """A Boolean field (``True``/``False``), ``None`` when absent or not a Boolean."""
        value = self.text(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        return None

    def nested(self, name: str) -> list[ModelView]:
        """The nested models of a modelField/multiModelField, read."""
        return [read_model(child) for child in self.models.get(name, ())]

    def first(self, name: str) -> ModelView | None:
        """The first nested model of a modelField, read; ``None`` when empty."""
        children = self.models.get(name)
        return read_model(children[0]) if children else None


def _value_text(value: Any, name: str, view: ModelView) -> str | None:
    text: str | None = value.text
    # Base64 never holds a space: most texts (bodies, names) skip the attribute lookup
    if text and " " not in text and value.get("format") == "Base64String":
        decoded = _decode_base64(text)
        if decoded is None:
            view.undecoded.append(name)
        else:
            text = decoded
    return text


def read_model(element: Any) -> ModelView:
    """Gather the direct children of a ``<model>`` element (see the module docstring)."""
    get = element.get
    state = get("deleted_state")
    fields: dict[str, str | None] = {}
    names: list[str] = []
    models: dict[str, list[Any]] = {}
    view = ModelView(
        element,
        get("type") or "",
        get("id") or "",
        element.sourceline or 0,
        _STATES.get(state) or deleted_state(state),
        fields,
        {},
        models,
        names,
        [],
    )
    lists: list[Any] = []
    # the hot path of a multi-gigabyte report (tens of millions of fields): one pass over the
    # children, each kind known by its tag (looked up, not parsed, for Cellebrite's namespace),
    # and the first value taken by index, the cheapest steps lxml offers
    for child in element:
        tag = child.tag
        kind = _KINDS.get(tag)
        if kind is None:
            kind = _KINDS.get(local(tag), _OTHER)
        if kind is _FIELD_KIND:
            name = child.get("name") or ""
            names.append(name)
            if name in fields:
                continue  # a repeated field keeps its first value; the raw record keeps all
            try:
                value = child[0]  # <value>, or <empty/> whose text is None
            except IndexError:
                fields[name] = None
                continue
            text = value.text
            # Base64 never holds a space: most texts (bodies, names) skip the attribute lookup
            if text and " " not in text and value.get("format") == "Base64String":
                text = _value_text(value, name, view)
            fields[name] = text
        elif kind is _MODEL_KIND:
            name = child.get("name") or ""
            names.append(name)
            if len(child):
                found = list(child.iterchildren(_MODEL))
                if found:
                    known = models.get(name)
                    if known is None:
                        models[name] = found
                    else:
                        known.extend(found)
        elif kind is _LINK_KIND:
            names.append(child.get("name") or local(tag))
        elif kind is _LIST_KIND:
            names.append(child.get("name") or "multiField")
            lists.append(child)
    # after the single fields, which a list of the same name does not replace
    for child in lists:
        name = child.get("name") or "multiField"
        values = [
            text for value in child.iterchildren(_VALUE) if (text := _value_text(value, name, view))
        ]
        view.multi[name] = values
        fields.setdefault(name, values[0] if values else None)
    return view
