"""Editing a scenario file's YAML text in place, so that its comments and layout survive:
a dumper that keeps unusual line breaks quoted, where a block node's content ends, and the
paths a scenario names relative to its folder, relocated for a copy written elsewhere."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import yaml


class Dumper(yaml.SafeDumper):
    """Double-quotes text with the line breaks YAML 1.1 has beyond CR and LF (NEL, LS, PS),
    which PyYAML would otherwise write unescaped and read back as plain line breaks."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if any(c in data for c in "\x85\u2028\u2029"):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


Dumper.add_representer(str, Dumper.represent_str)


def dump(data: object) -> str:
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


def indented(text: str, column: int) -> str:
    """`text` with every line but the first indented by `column` spaces."""
    pad = " " * column
    return "".join(line if k == 0 else pad + line for k, line in enumerate(text.splitlines(True)))


def content_end(text: str, start: int, end: int) -> int:
    """Where the content of text[start:end] ends: trailing blank and comment lines stay
    outside (a block node's end mark runs on to the next key)."""
    lines = text[start:end].splitlines(True)
    while len(lines) > 1 and lines[-1].strip()[:1] in ("", "#"):
        lines.pop()
    return start + sum(len(line) for line in lines)


PATH_FIELDS = ("include", "assets_csv", "dependencies_csv")
"""The fields of a scenario file that name files relative to its folder."""

Moved = tuple[Path, Path]
"""A scenario file's folder, and the folder its copy is written to."""


def relocated(value: object, moved: Moved) -> object:
    """A path relative to the first folder of `moved`, made relative to the second."""
    if not isinstance(value, str) or Path(value).is_absolute():
        return value
    target = os.path.normpath(moved[0] / value)
    try:
        relative = os.path.relpath(target, moved[1])
    except ValueError:  # another drive
        return target
    return target if relative.startswith(os.path.join(os.pardir, os.pardir)) else relative


def relocated_text(text: str, moved: Moved) -> str:
    """`text` with the paths of its PATH_FIELDS relocated, each scalar replaced in place."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    scalars = []
    for key, value in root.value if isinstance(root, yaml.MappingNode) else ():
        if key.value in PATH_FIELDS:
            nodes = value.value if isinstance(value, yaml.SequenceNode) else [value]
            scalars += [
                n for n in nodes if isinstance(n, yaml.ScalarNode) and n.tag.endswith("str")
            ]
    for node in sorted(scalars, key=lambda n: -n.start_mark.index):
        new = json.dumps(relocated(node.value, moved), ensure_ascii=False)
        text = text[: node.start_mark.index] + new + text[node.end_mark.index :]
    return text


def relocated_fields(data: dict, moved: Moved | None) -> dict:
    """A scenario mapping `data` with the paths of its PATH_FIELDS relocated (as is when
    `moved` is None)."""
    data = dict(data)
    for name in PATH_FIELDS if moved else ():
        value = data.get(name)
        if isinstance(value, list):
            data[name] = [relocated(v, moved) for v in value]  # type: ignore[arg-type]
        elif value is not None:
            data[name] = relocated(value, moved)  # type: ignore[arg-type]
    return data


def spliced_or_none(
    splice: Callable[[], str | None], expected: object, moved: Moved | None
) -> str | None:
    """The text `splice` edits in place (its paths relocated by `moved`), if it reads back
    as `expected`; None when it cannot be edited in place or would read differently."""
    try:
        spliced = splice()
        if spliced is not None and moved is not None:
            spliced = relocated_text(spliced, moved)
        if spliced is not None and yaml.safe_load(spliced) == expected:
            return spliced
    except yaml.YAMLError:
        pass
    return None
