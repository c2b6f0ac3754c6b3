"""Find, read and validate report templates.

Bundled templates live in the repository's ``sheet_templates/`` folder (:data:`TEMPLATE_DIR`),
found relative to this package so a clean clone with an editable install works. A template is
named by id (``sales_pipeline``) or by the path of a user's own YAML file. Every problem raises
:class:`~sheets_sync.errors.TemplateError` with one line naming the file, the key path and, when
known, the line: ``sales_pipeline.yaml: tabs[2].blocks[0].metrics[1]: unknown metric 'win_rat'
(did you mean 'win_rate'?) (line 40)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sheets_sync.errors import TemplateError
from sheets_sync.templates import schema
from sheets_sync.templates.schema import BLOCK_TYPES, TAB_KINDS, Template
from sheets_sync.templates.validate import (
    Problem,
    Vocabulary,
    check_template,
    default_vocabulary,
    render_path,
    suggest,
)

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "sheet_templates"
MAX_LISTED_PROBLEMS = 5
_ALL_KEYS = sorted(
    {
        name
        for obj in vars(schema).values()
        if isinstance(obj, type) and issubclass(obj, BaseModel)
        for name in obj.model_fields
    }
)


def template_dir() -> Path:
    """The folder of bundled templates; raise :class:`TemplateError` when it is missing."""
    if not TEMPLATE_DIR.is_dir():
        raise TemplateError(
            f"bundled templates folder {TEMPLATE_DIR} is missing; reinstall sheets-sync from a "
            "full clone (pip install -e .) or pass the path of a template file"
        )
    return TEMPLATE_DIR


def template_path(id_or_path: str | Path) -> Path:
    """The file of template ``id_or_path``: a bundled id, or a path to a ``.yaml`` file."""
    text = str(id_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text:
        path = Path(text).expanduser()
        if not path.is_file():
            raise TemplateError(f"template file {path} does not exist; check the path")
        return path
    for suffix in (".yaml", ".yml"):
        path = template_dir() / f"{text}{suffix}"
        if path.is_file():
            return path
    known = bundled_ids()
    raise TemplateError(
        f"unknown template {text!r}{suggest(text, known)}; bundled templates: {', '.join(known)}"
    )


def bundled_ids() -> list[str]:
    """The ids of the bundled templates (their file names), sorted."""
    folder = template_dir()
    return sorted(p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def load_template(id_or_path: str | Path, vocabulary: Vocabulary | None = None) -> Template:
    """Load and fully validate template ``id_or_path`` (bundled id or file path).

    ``vocabulary`` defaults to the built-in metric catalogue and quality checks; pass one built
    with :func:`default_vocabulary` to allow custom metrics.
    """
    path = template_path(id_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TemplateError(f"{path}: cannot read the template file ({err})") from err
    return parse_template(text, path.name, vocabulary, path=path)


def list_templates(vocabulary: Vocabulary | None = None) -> list[Template]:
    """Every bundled template, validated, sorted by id."""
    vocab = vocabulary or default_vocabulary()
    return [load_template(tid, vocab) for tid in bundled_ids()]


def parse_template(
    text: str,
    filename: str,
    vocabulary: Vocabulary | None = None,
    path: Path | None = None,
) -> Template:
    """Validate the YAML ``text`` of a template; ``filename`` prefixes every error message."""
    data, root = _parse_yaml(text, filename)
    if not isinstance(data, dict):
        raise TemplateError(f"{filename}: a template must be a mapping with id, name, tabs...")
    try:
        template = Template.model_validate(data)
    except ValidationError as err:
        raise TemplateError(_describe(filename, _pydantic_problems(err), root)) from None
    problems = check_template(template, vocabulary or default_vocabulary())
    if problems:
        raise TemplateError(_describe(filename, problems, root))
    if path is not None and path.stem != template.id:
        raise TemplateError(
            f"{filename}: id: template id {template.id!r} must match the file name "
            f"{path.stem!r}; rename one of them"
        )
    template._path = str(path) if path else None
    return template


def _parse_yaml(text: str, filename: str) -> tuple[Any, yaml.Node | None]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise TemplateError(f"{filename}: {where}invalid YAML: {problem}") from None
    return data, root


def _pydantic_problems(err: ValidationError) -> list[Problem]:
    problems: dict[str, Problem] = {}
    for item in err.errors():
        path = _clean_loc(item["loc"])
        key = render_path(path)
        if key not in problems:
            problems[key] = (path, _message(item))
    return list(problems.values())


def _clean_loc(loc: Iterable[str | int]) -> tuple[str | int, ...]:
    """Drop the union tags and type names pydantic inserts into error locations."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str):
            after_index = bool(out) and isinstance(out[-1], int)
            if after_index and part in (*TAB_KINDS, *BLOCK_TYPES):
                continue
            if part in ("str", "int", "float", "bool") or "[" in part:
                continue
        out.append(part)
    return tuple(out)


def _message(item: Any) -> str:
    kind, loc, value = item["type"], item["loc"], item.get("input")
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key {last!r}{suggest(str(last), _ALL_KEYS)}"
    if kind == "missing":
        return f"missing required key {last!r}"
    if kind == "union_tag_invalid":
        tag = item.get("ctx", {}).get("tag")
        kinds = BLOCK_TYPES if "blocks" in loc else TAB_KINDS
        what = "block type" if "blocks" in loc else "tab kind"
        return f"unknown {what} {tag!r}; choose one of: {', '.join(kinds)}"
    if kind == "union_tag_not_found":
        return "missing required key 'type'; choose one of: " + ", ".join(BLOCK_TYPES)
    text = str(item["msg"]).removeprefix("Value error, ")
    if kind.endswith(("_type", "_parsing")) or kind in ("literal_error", "string_pattern_mismatch"):
        text = f"{text}, got {value!r}"
    return text


def _describe(filename: str, problems: Sequence[Problem], root: yaml.Node | None) -> str:
    parts = []
    for path, message in problems[:MAX_LISTED_PROBLEMS]:
        line = _line_of(root, path)
        where = f"{render_path(path)}: " if path else ""
        parts.append(f"{where}{message}{f' (line {line})' if line else ''}")
    more = len(problems) - MAX_LISTED_PROBLEMS
    tail = f"; and {more} more problem(s)" if more > 0 else ""
    return f"{filename}: " + "; ".join(parts) + tail


def _line_of(node: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest node of ``path`` present in the YAML tree."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line
