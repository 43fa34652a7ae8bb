#!/bin/sh
# Builds the documentation of Nabla's five library modules with the toolchain's own `docc`,
# without any package plugin (the package stays dependency-free), and merges them into one site.
#
#   docs/build.sh                  # writes docs/output/<Module>.doccarchive and the merged
#                                  # site, docs/output/Nabla-site.doccarchive
#   docs/build.sh --preview        # then serves the site on http://localhost:8080/documentation/
#
# The site is a web app: serve it over HTTP (as --preview does, with Python's http.server).
# Opening its index.html from disk shows a blank page.
#
# Steps: build the library targets with the compiler's symbol-graph output turned on (in a
# scratch directory of its own, .build/docs, so the ordinary build is left alone), keep in each module's
# graph only the symbols declared in that module (NablaNN and NablaOptimizers re-export Nabla,
# whose symbols the compiler would otherwise repeat in their graphs), then run
# `docc convert --warnings-as-errors` on each module's catalog, in dependency order, each one
# given the archives of the modules below it (`--dependency`) so that a link such as
# ``/Nabla/Tensor`` in NablaNN's pages resolves; finally `docc merge` puts the five archives
# into one site with a landing page, where those links work.
#
# Environment: DOCC (the docc to use; by default the one next to `swift`, else on PATH),
# OUTPUT (the output directory; docs/output by default).
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)
modules="Nabla NablaNN NablaOptimizers NablaTraining NablaDistributed"
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
# NablaOptimizers, NablaTraining and NablaDistributed between them build all five modules.
for target in NablaOptimizers NablaTraining NablaDistributed; do
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

# The modules each one links to (the layers below it, as in DESIGN.md).
dependencies() {
  case "$1" in
    Nabla) ;;
    NablaNN | NablaOptimizers) echo Nabla ;;
    NablaTraining | NablaDistributed) echo Nabla NablaNN ;;
  esac
}

mkdir -p "$output"
archives=""
for module in $modules; do
  echo "== docc convert $module"
  rm -rf "$output/$module.doccarchive"
  links=""
  for dependency in $(dependencies "$module"); do
    links="$links --dependency $output/$dependency.doccarchive"
  done
  # shellcheck disable=SC2086  # $links is a list of options
  "$DOCC" convert "Sources/$module/$module.docc" \
    --additional-symbol-graph-dir "$graphs/$module" \
    --fallback-display-name "$module" \
    --fallback-bundle-identifier "org.nabla.$module" \
    --fallback-default-module-kind "Framework" \
    --output-path "$output/$module.doccarchive" \
    --enable-experimental-external-link-support $links \
    --warnings-as-errors
  archives="$archives $output/$module.doccarchive"
done

echo "== docc merge"
site=$output/Nabla-site.doccarchive
rm -rf "$site"
# shellcheck disable=SC2086  # $archives is a list of paths
"$DOCC" merge $archives --synthesized-landing-page-name Nabla \
  --synthesized-landing-page-kind Package --output-path "$site"

echo "== Documentation written to $output"
for module in $modules; do echo "   $output/$module.doccarchive"; done
echo "   $site (all five, linked: serve it over HTTP, see --preview)"

if [ "${1:-}" = "--preview" ]; then
  echo "== Serving $site on http://localhost:8080/documentation/ (Ctrl-C stops)"
  python3 -m http.server 8080 --bind 127.0.0.1 --directory "$site"
fi
