"""Reading the text of a policy file: UTF-8 only, no repeated keys, bounded YAML aliases.

Policies (each failure raises ``PolicyTextError``, which ``Tiering.from_file`` reports as a
``PolicyError`` naming the file):

- **Size**: at most ``MAX_POLICY_BYTES`` (1 MiB). A hand-written policy is a few kilobytes
  and a generated one (a rule per branch or region) some hundreds; a larger file is refused
  before it is parsed, as the YAML parser would take the run's time and memory on it.
- **Encoding**: policy files are UTF-8 (a leading byte-order mark is allowed). Other
  encodings (GBK, Latin-1, ...) are refused with the line and column of the first byte
  that is not UTF-8, rather than guessed.
- **Repeated keys**: a key written twice in one mapping (YAML) or object (JSON) is an
  error naming the key and both lines; YAML and JSON parsers would otherwise keep the last
  value silently. YAML merge keys (``<<: *defaults``) may still be overridden by keys
  written beside them, as YAML defines.
- **YAML aliases**: anchors and aliases are allowed, but expanding every alias may add at
  most ``ALIAS_NODE_BUDGET`` nodes to the ones written in the file, and an alias may not
  refer to a node that contains it. A few hundred bytes of nested aliases ("billion
  laughs") would otherwise expand to billions of nodes when the policy is read.
"""
from __future__ import annotations

import json
import json.decoder
import json.scanner

# More than any hand-written policy repeats through aliases (a rule is about five nodes),
# far less than the memory a run may take.
ALIAS_NODE_BUDGET = 10_000

# The most bytes a policy file may hold (see the module's policies).
MAX_POLICY_BYTES = 1 << 20


class PolicyTextError(ValueError):
    """The text of a policy file cannot be read; the message follows the file's name."""


def decode(data: bytes) -> str:
    """The text of a UTF-8 file (a byte-order mark is dropped) of at most MAX_POLICY_BYTES."""
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyTextError(
            f"is larger than {MAX_POLICY_BYTES:,} bytes (1 MiB), the most a policy file may hold; "
            "split it, or build the policy in Python (tk.TierPolicy, tk.Tiering.from_dict)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise PolicyTextError(
            f"is not UTF-8 text: byte 0x{data[e.start]:02x} at line {line}, column {column} "
            "cannot be decoded; save the file as UTF-8") from None


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


# --- JSON ------------------------------------------------------------------------------------

def _key_positions(s: str, start: int, scan_once) -> list[tuple[str, int]]:
    """(key, position) of every member of the JSON object whose text begins after the '{'
    at start - 1 (the object has been parsed once, so its text is valid)."""
    ws = json.decoder.WHITESPACE.match
    out = []
    i = ws(s, start).end()
    while s[i] != "}":
        key, after = json.decoder.scanstring(s, i + 1)
        out.append((key, i))
        i = ws(s, after).end() + 1            # past ':'
        _, i = scan_once(s, ws(s, i).end())   # the value
        i = ws(s, i).end()
        if s[i] == ",":
            i = ws(s, i + 1).end()
    return out


def load_json(text: str):
    """json.loads, refusing a key repeated within one object."""
    decoder = json.JSONDecoder()

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        s, start = s_and_end
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            first: dict[str, int] = {}
            for key, pos in _key_positions(s, start, scan_once):
                if key in first:
                    raise PolicyTextError(
                        f"repeats the key {key!r} at line {_line(s, pos)} (first at line "
                        f"{_line(s, first[key])}); a repeated key would silently replace the "
                        "earlier value")
                first[key] = pos
        return dict(pairs), end

    # The pure-Python scanner calls parse_object (the C scanner does not); policy files are
    # small, so its speed does not matter.
    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder.decode(text)


# --- YAML ------------------------------------------------------------------------------------

def load_yaml(text: str):
    """yaml.safe_load with the checks of the module: repeated keys and alias expansion are
    judged on the composed node graph, before any Python object is built."""
    import yaml

    class PolicyLoader(yaml.SafeLoader):
        def __init__(self, stream):
            super().__init__(stream)
            self.alias_uses: list[tuple[str, int]] = []

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                self.alias_uses.append((event.anchor, event.start_mark.line + 1))
            return super().compose_node(parent, index)

        def construct_document(self, node):
            _check_nodes(self, node, yaml)
            return super().construct_document(node)

    loader = PolicyLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _children(node, yaml) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_nodes(loader, root, yaml) -> None:
    """Refuses repeated keys, recursive aliases and alias expansion beyond the budget."""
    cap = 1 << 62  # sizes saturate here (9 levels of 9 aliases already exceed 10^8)
    size: dict[int, int] = {}      # id(node) -> nodes with every alias expanded
    on_path: set[int] = set()      # nodes whose subtree is being walked
    written = 0                    # distinct nodes: the ones written in the file
    stack = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if leaving:
            on_path.discard(key)
            size[key] = min(cap, 1 + sum(size[id(c)] for c in _children(node, yaml)))
            continue
        if key in size:
            continue
        if key in on_path:
            raise PolicyTextError(
                f"has a node at line {node.start_mark.line + 1} that contains an alias to itself (a "
                "recursive structure); policies cannot be recursive")
        on_path.add(key)
        written += 1
        if isinstance(node, yaml.MappingNode):
            _check_keys(loader, node, yaml)
        stack.append((node, True))
        for child in _children(node, yaml):
            if id(child) not in size:
                stack.append((child, False))
    expanded = size[id(root)]
    if expanded - written > ALIAS_NODE_BUDGET:
        anchors: dict[str, list[int]] = {}
        for anchor, line in loader.alias_uses:
            anchors.setdefault(anchor, []).append(line)
        named = ", ".join(f"*{a} {len(lines)} time{'s' if len(lines) != 1 else ''} from line "
                          f"{lines[0]}" for a, lines in list(anchors.items())[:3])
        more = f" and {len(anchors) - 3:,} more anchors" if len(anchors) > 3 else ""
        raise PolicyTextError(
            f"has aliases ({named}{more}) that expand to "
            f"{'more than ' if expanded >= cap else ''}{expanded - written:,} nodes beyond the "
            f"{written:,} written; at most {ALIAS_NODE_BUDGET:,} are allowed (write the repeated "
            "parts out, or repeat less)")


def _check_keys(loader, node, yaml) -> None:
    merge = "tag:yaml.org,2002:merge"
    first: dict = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == merge:
            continue
        key = loader.construct_object(key_node)
        try:
            seen = first.get(key)
        except TypeError:  # unhashable: construction reports it
            continue
        line = key_node.start_mark.line + 1
        if seen is not None:
            raise PolicyTextError(
                f"repeats the key {key!r} at line {line} (first at line {seen}); a repeated key "
                "would silently replace the earlier value")
        first[key] = line
