#!/bin/sh
# Builds the documentation of Nabla's three library modules with the toolchain's own `docc`,
# without any package plugin (the package stays dependency-free).
#
#   docs/build.sh                  # writes docs/output/<Module>.doccarchive
#   docs/build.sh --preview        # then serves the Nabla archive on http://localhost:8080
#
# Steps: build the library targets with the compiler's symbol-graph output turned on (in a
# scratch directory of its own, .build/docs, so the ordinary build is left alone), keep in each module's
# graph only the symbols declared in that module (NablaNN and NablaOptimizers re-export Nabla,
# whose symbols the compiler would otherwise repeat in their graphs), then run
# `docc convert --warnings-as-errors` on each module's catalog.
#
# Environment: DOCC (the docc to use; by default the one next to `swift`, else on PATH),
# OUTPUT (the output directory; docs/output by default).
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)
modules="Nabla NablaNN NablaOptimizers"
output=${OUTPUT:-$root/docs/output}
scratch=$root/.build/docs
graphs=$scratch/symbol-graphs

if [ -z "${DOCC:-}" ]; then
  swift_path=$(command -v swift || true)
  if [ -n "$swift_path" ] && [ -x "$(dirname "$swift_path")/docc" ]; then
    DOCC=$(dirname "$swift_path")/docc
  else
    DOCC=docc
  fi
fi
command -v "$DOCC" >/dev/null 2>&1 || {
  echo "build.sh: no docc found; install a Swift toolchain that includes it or set DOCC" >&2
  exit 1
}

echo "== Building the symbol graphs"
# The compiler writes a module's graph only when it compiles the module, so build from a clean
# scratch directory each time (the three library targets take well under a minute).
rm -rf "$scratch"
mkdir -p "$graphs/all"
# NablaNN and NablaOptimizers between them build all three modules.
for target in NablaNN NablaOptimizers; do
  swift build --scratch-path "$scratch" --target "$target" \
    -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$graphs/all" \
    -Xswiftc -symbol-graph-minimum-access-level -Xswiftc public
done

for module in $modules; do
  mkdir -p "$graphs/$module"
  for file in "$graphs/all/$module.symbols.json" "$graphs/all/$module"@*.symbols.json; do
    [ -e "$file" ] || continue
    if command -v python3 >/dev/null 2>&1; then
      python3 "$root/docs/filter-symbol-graph.py" "$module" "$root/Sources/$module/" \
        "$file" "$graphs/$module/$(basename "$file")"
    else
      cp "$file" "$graphs/$module/"
    fi
  done
done

mkdir -p "$output"
for module in $modules; do
  echo "== docc convert $module"
  rm -rf "$output/$module.doccarchive"
  "$DOCC" convert "Sources/$module/$module.docc" \
    --additional-symbol-graph-dir "$graphs/$module" \
    --fallback-display-name "$module" \
    --fallback-bundle-identifier "org.nabla.$module" \
    --fallback-default-module-kind "Framework" \
    --output-path "$output/$module.doccarchive" \
    --warnings-as-errors
done

echo "== Documentation written to $output"
for module in $modules; do echo "   $output/$module.doccarchive"; done

if [ "${1:-}" = "--preview" ]; then
  "$DOCC" preview "Sources/Nabla/Nabla.docc" --additional-symbol-graph-dir "$graphs/Nabla" \
    --fallback-display-name Nabla --fallback-bundle-identifier org.nabla.Nabla
fi
