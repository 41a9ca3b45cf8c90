#!/usr/bin/env bash
# Compiles every ```swift block of README.md as written, from a throw-away package that depends on this
# checkout by its products, the way an embedder's package does.
#
# Each block is preceded by a marker the script reads (an HTML comment, invisible on the rendered page):
#
#   <!-- snippet: NAME manifest -->   the block is a Package.swift fragment: its `.package(url: ...netpulse.git
#                                     ...)` line becomes `.package(path:)` to this checkout (the package has no
#                                     published address), its `.product(...)` lines are copied verbatim into a
#                                     target of the throw-away manifest, and any other line must be a comment.
#   <!-- snippet: NAME [run] [package=URL@VERSION [traits=T1,T2]] [product=MODULE@PACKAGE] ... -->
#                                     the block is a program: it becomes the main.swift of its own executable
#                                     target, verbatim (only its common indentation removed). Every module it
#                                     imports is a NetPulse product (used by product), a toolchain module, or
#                                     declared by `product=` with the package that ships it (`package=`).
#                                     `traits=` after a `package=` enables only those traits of it (less to
#                                     build where the block's code does not depend on them). `run`: the
#                                     program is also run (it must need no network and finish within 60 s);
#                                     the others are only compiled.
#
# A swift block without a marker, a marker without a block, an unknown import or option, or a block that does
# not compile fails the script (exit 1). A new temporary folder each time (seeded with this checkout's package clones),
# removed at the end (set KEEP=1 to keep it for a look). The package builds only what the blocks import.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

work=$(mktemp -d)
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then echo "readme snippets: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The path dependency's identity is the last component of its path: `netpulse`, as in the README's
# `.product(name: ..., package: "netpulse")`, whatever this checkout's folder is called.
ln -s "$root" "$work/netpulse"
mkdir -p "$work/readme-snippets"

python3 - "$root/README.md" "$root/Package.swift" "$work/netpulse" "$work/readme-snippets" <<'PYTHON'
import os
import re
import sys

readme_path, manifest_path, netpulse_path, package_dir = sys.argv[1:5]


def fail(message):
    print(f"readme snippets: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


# The library products of NetPulse's own manifest.
products = set(re.findall(r'\.library\(\s*name:\s*"([^"]+)"', open(manifest_path).read()))
if not products:
    fail("no .library products found in Package.swift")
toolchain_modules = {"Foundation", "FoundationEssentials", "Dispatch", "Glibc", "Musl", "Darwin", "Synchronization"}

lines = open(readme_path).read().split("\n")
marker_re = re.compile(r"^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$")
fence_re = re.compile(r"^(\s*)```(\S*)\s*$")

blocks = []
pending = None  # (line number, marker text)
index = 0
while index < len(lines):
    line = lines[index]
    marker = marker_re.match(line)
    if marker:
        if pending:
            fail(f"README.md:{pending[0]}: snippet marker not followed by a ```swift block")
        pending = (index + 1, marker.group(1))
        index += 1
        continue
    fence = fence_re.match(line)
    if fence and fence.group(2):
        indent, language = fence.group(1), fence.group(2)
        start = index + 1
        body = []
        index += 1
        while index < len(lines) and not re.match(r"^\s*```\s*$", lines[index]):
            body.append(lines[index])
            index += 1
        if index == len(lines):
            fail(f"README.md:{start}: unterminated code block")
        if language == "swift":
            if not pending:
                fail(f"README.md:{start}: ```swift block without a <!-- snippet: ... --> marker before it")
            if pending[0] != start - 1:
                fail(f"README.md:{pending[0]}: the snippet marker must be on the line just before the block")
            # Remove the block's common indentation (blocks inside list items are indented).
            width = min((len(l) - len(l.lstrip(" ")) for l in body if l.strip()), default=0)
            code = [l[width:] for l in body]
            blocks.append({"line": start, "marker": pending[1], "code": code})
            pending = None
        elif pending:
            fail(f"README.md:{pending[0]}: snippet marker before a ```{language} block, not ```swift")
    elif pending and line.strip():
        fail(f"README.md:{pending[0]}: snippet marker not followed by a ```swift block")
    index += 1
if pending:
    fail(f"README.md:{pending[0]}: snippet marker not followed by a ```swift block")
if not blocks:
    fail("no ```swift blocks found in README.md")

dependencies = [f'        .package(path: "{netpulse_path}"),']
targets = []
runs = []
names = set()
manifest_seen = False

for block in blocks:
    where = f"README.md:{block['line']}"
    tokens = block["marker"].split()
    if not tokens:
        fail(f"{where}: empty snippet marker")
    name = tokens[0]
    if not re.fullmatch(r"[a-z][a-z0-9-]*", name) or name in names:
        fail(f"{where}: snippet name '{name}' must be unique, lowercase letters, digits and '-'")
    names.add(name)
    target = "readme_" + name.replace("-", "_")
    options = tokens[1:]

    if options == ["manifest"]:
        manifest_seen = True
        product_lines = []
        netpulse_lines = 0
        for number, text in enumerate(block["code"]):
            stripped = text.strip()
            if not stripped or stripped.startswith("//"):
                continue
            if stripped.startswith(".package("):
                match = re.fullmatch(
                    r'\.package\(url:\s*"([^"]+)",\s*from:\s*"(\d+\.\d+\.\d+)"\),\s*(//.*)?', stripped)
                if not match or not match.group(1).endswith("/netpulse.git"):
                    fail(f"{where}: line {number + 1}: expected .package(url: \".../netpulse.git\", from: \"X.Y.Z\"),"
                         f" got: {stripped}")
                netpulse_lines += 1
            elif stripped.startswith(".product("):
                match = re.fullmatch(r'\.product\(name:\s*"([^"]+)",\s*package:\s*"([^"]+)"\),\s*(//.*)?', stripped)
                if not match:
                    fail(f"{where}: line {number + 1}: cannot read this .product line: {stripped}")
                if match.group(1) not in products:
                    fail(f"{where}: line {number + 1}: {match.group(1)} is not a product of Package.swift "
                         f"(products: {', '.join(sorted(products))})")
                product_lines.append("                " + stripped)
            else:
                fail(f"{where}: line {number + 1}: neither .package, .product nor a comment: {stripped}")
        if netpulse_lines != 1 or not product_lines:
            fail(f"{where}: the fragment must have one .package(url: ...netpulse.git) line and .product lines")
        modules = [re.search(r'name:\s*"([^"]+)"', l).group(1) for l in product_lines]
        source = "// Generated: each product of the README's Package.swift fragment, imported.\n"
        source += "".join(f"import {module}\n" for module in modules)
        source += f'print("{name}: {", ".join(modules)}")\n'
        targets.append((target, product_lines, source))
        print(f"readme snippets: {where}: {name}: Package.swift fragment, products {', '.join(modules)}")
        continue

    run = False
    declared = {}
    for option in options:
        if option == "run":
            run = True
        elif option.startswith("package="):
            match = re.fullmatch(r"package=(https://\S+?\.git)@(\d+\.\d+\.\d+)", option)
            if not match:
                fail(f"{where}: expected package=https://....git@X.Y.Z, got {option}")
            dependencies.append(f'        .package(url: "{match.group(1)}", from: "{match.group(2)}"),')
        elif option.startswith("traits="):
            if not dependencies[-1].startswith("        .package(url:"):
                fail(f"{where}: traits= must follow a package=")
            traits = ", ".join(f'"{t}"' for t in option[len("traits="):].split(","))
            dependencies[-1] = dependencies[-1][:-2] + f", traits: [{traits}]),"
        elif option.startswith("product="):
            match = re.fullmatch(r"product=([A-Za-z_][A-Za-z0-9_]*)@([A-Za-z0-9_.-]+)", option)
            if not match:
                fail(f"{where}: expected product=MODULE@PACKAGE, got {option}")
            declared[match.group(1)] = match.group(2)
        else:
            fail(f"{where}: unknown snippet option '{option}'")
    imports = []
    for text in block["code"]:
        match = re.match(r"^\s*(?:@\w+\s+)*(?:public\s+|internal\s+|package\s+)?import\s+(?:\w+\s+)?([A-Za-z_]\w*)", text)
        if match:
            imports.append(match.group(1))
    if not imports:
        fail(f"{where}: the block imports nothing: as written it cannot compile on its own (add its imports)")
    uses = []
    for module in imports:
        if module in products:
            uses.append(f'                .product(name: "{module}", package: "netpulse"),')
        elif module in declared:
            uses.append(f'                .product(name: "{module}", package: "{declared[module]}"),')
        elif module not in toolchain_modules:
            fail(f"{where}: imports {module}: not a NetPulse product, a toolchain module, or a product= of the marker")
    source = "\n".join(block["code"]).rstrip("\n") + "\n"
    targets.append((target, uses, source))
    if run:
        runs.append(target)
    print(f"readme snippets: {where}: {name}: imports {', '.join(imports)}; {'compiled and run' if run else 'compiled'}")

if not manifest_seen:
    fail("no Package.swift fragment (<!-- snippet: NAME manifest -->) in README.md")

manifest = ["// swift-tools-version:6.1", "// Generated by scripts/check-readme-snippets.sh from README.md.",
            "import PackageDescription", "", "let package = Package(", '    name: "readme-snippets",',
            "    platforms: [.macOS(.v15)],", "    dependencies: ["]
manifest += dependencies
manifest += ["    ],", "    targets: ["]
for target, uses, source in targets:
    manifest.append(f'        .executableTarget(\n            name: "{target}",\n            dependencies: [')
    manifest += uses
    manifest.append("            ]\n        ),")
    os.makedirs(os.path.join(package_dir, "Sources", target))
    with open(os.path.join(package_dir, "Sources", target, "main.swift"), "w") as out:
        out.write(source)
manifest += ["    ]", ")", ""]
with open(os.path.join(package_dir, "Package.swift"), "w") as out:
    out.write("\n".join(manifest))
with open(os.path.join(package_dir, "runs"), "w") as out:
    out.write("".join(f"{target}\n" for target in runs))
PYTHON

cd "$work/readme-snippets"
# When this checkout has been built (as `make test` does first), its clones of the shared dependencies and
# their pins seed the throw-away package: resolving from scratch clones every package again (minutes).
# Packages only the snippets use (swift-otel) are resolved as usual.
if [ -d "$root/.build/repositories" ] && [ -f "$root/Package.resolved" ]; then
    mkdir -p .build
    cp -a "$root/.build/repositories" .build/
    cp "$root/Package.resolved" Package.resolved
fi
if ! swift build; then
    echo "readme snippets: FAIL: a README block does not compile (the package is in $work/readme-snippets)" >&2
    KEEP=1
    exit 1
fi
bin=$(swift build --show-bin-path)
while read -r target; do
    [ -n "$target" ] || continue
    echo "readme snippets: running $target"
    if ! timeout 60 "$bin/$target"; then
        echo "readme snippets: FAIL: $target did not run to completion (exit or 60 s timeout)" >&2
        exit 1
    fi
done <runs
echo "readme snippets: ok, $(($(date +%s) - started)) s"
