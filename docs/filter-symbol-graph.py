"""Keeps in a module's symbol graph only what the module declares, for docs/build.sh.

usage: filter-symbol-graph.py MODULE SOURCE_DIR INPUT OUTPUT

A module that re-exports another (`@_exported import Nabla`) gets the other module's symbols in its
own graph too; documenting them twice would repeat every page. A symbol is kept when its source
file is under SOURCE_DIR, or when it is a type that a kept symbol is a member of (so that the
module's extensions of another module's types still have a parent page). Relationships between
symbols that are both kept are kept.
"""
import json
import sys

module, source_dir, input_path, output_path = sys.argv[1:5]
with open(input_path) as f:
    graph = json.load(f)

symbols = {s["identifier"]["precise"]: s for s in graph.get("symbols", [])}


def declared_here(symbol):
    uri = symbol.get("location", {}).get("uri", "")
    return uri.startswith("file://" + source_dir) or uri.startswith(source_dir)


kept = {identifier for identifier, symbol in symbols.items() if declared_here(symbol)}
# Parents of kept members (types of another module that this module extends).
changed = True
while changed:
    changed = False
    for relation in graph.get("relationships", []):
        if relation["kind"] == "memberOf" and relation["source"] in kept:
            target = relation["target"]
            if target in symbols and target not in kept:
                kept.add(target)
                changed = True

graph["symbols"] = [s for identifier, s in symbols.items() if identifier in kept]
graph["relationships"] = [
    r for r in graph.get("relationships", [])
    if r["source"] in kept and (r["target"] in kept or r["target"] not in symbols)
]
with open(output_path, "w") as f:
    json.dump(graph, f)
