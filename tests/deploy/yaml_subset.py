"""A strict reader for the subset of YAML that examples/kubernetes/ is written in (python3 has no
yaml module): block mappings, block sequences, plain and quoted scalars, `{}` and `[]`, comments.
Anything else (tabs, flow collections with content, anchors, tags, block scalars, several
documents) is an error, so what parses here is plain YAML with the same meaning."""
import json
import re


class YamlError(ValueError):
    pass


_KEY = re.compile(r"^([A-Za-z_][\w.\-/]*):(?: (.*))?$")


def _strip_comment(text):
    if text.startswith("#"):
        return ""
    if text[:1] in "\"'":
        return text
    return re.split(r"\s+#", text, maxsplit=1)[0].rstrip()


def _scalar(text, where):
    if text.startswith('"'):
        try:
            return json.loads(text)
        except ValueError as e:
            raise YamlError(f"{where}: bad double-quoted string {text}") from e
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise YamlError(f"{where}: bad single-quoted string {text}")
        return text[1:-1].replace("''", "'")
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if text[:1] in "{[&*!|>%@`" or text.startswith("- ") or ": " in text:
        raise YamlError(f"{where}: outside the supported subset: {text}")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def parse(text):
    lines = []  # (indent, content, line number)
    for number, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw:
            raise YamlError(f"line {number}: tab")
        if raw.strip() in ("---", "..."):
            raise YamlError(f"line {number}: one document only")
        content = _strip_comment(raw.strip())
        if content:
            lines.append((len(raw) - len(raw.lstrip(" ")), content, number))
    value, end = _block(lines, 0, 0)
    if end != len(lines):
        raise YamlError(f"line {lines[end][2]}: unexpected indentation")
    return value


def _block(lines, i, indent):
    if i >= len(lines) or lines[i][0] != indent:
        raise YamlError(f"line {lines[min(i, len(lines) - 1)][2]}: expected a block at indentation {indent}")
    is_sequence = lines[i][1] == "-" or lines[i][1].startswith("- ")
    return (_sequence if is_sequence else _mapping)(lines, i, indent)


def _nested(lines, i, indent, where):
    """The block after a `key:` or `-` line: deeper than `indent`."""
    if i >= len(lines) or lines[i][0] <= indent:
        raise YamlError(f"{where}: empty value")
    return _block(lines, i, lines[i][0])


def _mapping(lines, i, indent):
    out = {}
    while i < len(lines) and lines[i][0] == indent:
        _, content, number = lines[i]
        m = _KEY.match(content)
        if not m:
            raise YamlError(f"line {number}: expected `key: value`, got {content}")
        key, rest = m.group(1), m.group(2)
        if key in out:
            raise YamlError(f"line {number}: duplicate key {key}")
        if rest:
            out[key] = _scalar(rest, f"line {number}")
            i += 1
        else:
            out[key], i = _nested(lines, i + 1, indent, f"line {number}")
    return out, i


def _sequence(lines, i, indent):
    out = []
    while i < len(lines) and lines[i][0] == indent and (lines[i][1] == "-" or lines[i][1].startswith("- ")):
        _, content, number = lines[i]
        rest = content[2:].strip()
        if not rest:
            item, i = _nested(lines, i + 1, indent, f"line {number}")
        elif _KEY.match(rest):
            # "- key: value" opens a mapping whose keys sit two columns right of the dash.
            lines[i] = (indent + 2, rest, number)
            item, i = _mapping(lines, i, indent + 2)
        else:
            item, i = _scalar(rest, f"line {number}"), i + 1
        out.append(item)
    return out, i
