#!/usr/bin/env python3
"""Inputs and Python's answers for the differential tests of NetPulseTextFSM against textfsm.

ntc-templates ships templates and its index but no sample outputs, so inputs are made here:

- for every template, lines walked through its state machine: in each state a rule is picked and a line
  is generated from its regex (re._parser's tree, with realistic characters), then fed to a shadow
  textfsm FSM so that the walk follows the template's transitions; now and then a noise line;
- hand-written outputs of common commands (samples.py);
- small templates of our own for each TextFSM feature and each template error (features.py);
- for every rule regex of every template, subjects that match and subjects that nearly match.

Python's textfsm gives the expected answer for each. The Swift tests (NetPulseTextFSMTests) read the
resulting JSON and compare record by record.

    difftool.py generate --templates DIR --out FILE [--inputs N] [--seed S]   all templates (live run)
    difftool.py record --templates DIR --out FILE                             the committed, smaller set
"""

import argparse
import io
import json
import os
import random
import re
import re._constants as C
import re._parser as P
import signal
import sys
import time
from contextlib import contextmanager

import textfsm
from textfsm import clitable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import features  # noqa: E402
import samples  # noqa: E402

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]
RARE = ["é", "ß", "→", "Ω", "\u00a0", "٣", "µ", "日"]


class TooSlow(Exception):
    """Python's re backtracks without end on some template regexes and some generated lines."""


@contextmanager
def deadline(seconds):
    def expire(signum, frame):
        raise TooSlow()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


SLOW = {"skipped": 0, "last": 0}


def bounded(seconds, function, *args):
    """function(*args), or None when Python takes longer than `seconds` (the case is then left out)."""
    try:
        with deadline(seconds):
            return function(*args)
    except TooSlow:
        SLOW["skipped"] += 1
        return None


class LineGenerator:
    """A string that a Python regex matches at its start (re.match), drawn from the regex's parse tree."""

    def __init__(self, rng):
        self.rng = rng
        self.trees = {}

    def tree(self, regex):
        if regex not in self.trees:
            self.trees[regex] = P.parse(regex)
        return self.trees[regex]

    def line(self, regex, tries=6):
        """A line the regex matches, or the last attempt when none did."""
        compiled = re.compile(regex)
        text = ""
        for _ in range(tries):
            out, groups = [], {}
            try:
                self.seq(self.tree(regex), out, groups, 0)
            except RecursionError:
                return ""
            text = "".join(out)
            text = "".join(" " if c in LINE_BREAKS else c for c in text)[:300]
            if bounded(0.2, compiled.match, text):
                return text
        return text

    def seq(self, items, out, groups, depth):
        for op, av in items:
            self.item(op, av, out, groups, depth)

    def item(self, op, av, out, groups, depth):
        rng = self.rng
        if op is C.LITERAL:
            out.append(chr(av))
        elif op is C.NOT_LITERAL:
            out.append(self.char(lambda c: ord(c) != av))
        elif op is C.ANY:
            out.append(self.char(lambda c: True))
        elif op is C.IN:
            out.append(self.char_in(av))
        elif op is C.BRANCH:
            self.seq(rng.choice(av[1]), out, groups, depth + 1)
        elif op is C.SUBPATTERN:
            gid, _, _, sub = av
            inner = []
            self.seq(sub, inner, groups, depth + 1)
            text = "".join(inner)
            out.append(text)
            if gid:
                groups[gid] = text
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, sub = av
            extra = rng.choice([0, 0, 1, 1, 2, 3, 4, 6, 9])
            count = low + extra if high == C.MAXREPEAT else rng.randint(low, min(high, low + 6))
            for _ in range(min(count, 40)):
                self.seq(sub, out, groups, depth + 1)
        elif op is C.GROUPREF:
            out.append(groups.get(av, ""))
        elif op is C.GROUPREF_EXISTS:
            gid, yes, no = av
            self.seq(yes if gid in groups else (no or []), out, groups, depth + 1)
        elif op is C.ATOMIC_GROUP:
            self.seq(av, out, groups, depth + 1)
        # AT, ASSERT, ASSERT_NOT: nothing to write (the result is checked afterwards).

    def pool(self):
        if self.rng.random() < 0.03:
            return RARE
        return PRINTABLE

    def char(self, accept):
        for _ in range(40):
            c = self.rng.choice(self.pool())
            if accept(c):
                return c
        for c in PRINTABLE + RARE:
            if accept(c):
                return c
        return " "

    def char_in(self, items):
        negate = any(op is C.NEGATE for op, _ in items)
        members = [(op, av) for op, av in items if op is not C.NEGATE]

        def inside(c):
            for op, av in members:
                if op is C.LITERAL and ord(c) == av:
                    return True
                if op is C.RANGE and av[0] <= ord(c) <= av[1]:
                    return True
                if op is C.CATEGORY and re.match(CATEGORY_PATTERNS[av], c):
                    return True
            return False

        if negate:
            return self.char(lambda c: not inside(c))
        op, av = self.rng.choice(members)
        if op is C.LITERAL:
            return chr(av)
        if op is C.RANGE:
            low, high = av
            if high > 0x7E and low <= 0x7E and self.rng.random() < 0.9:
                high = 0x7E
            return chr(self.rng.randint(low, high))
        if av is C.CATEGORY_SPACE:
            return self.rng.choice("    \t") if self.rng.random() > 0.02 else "\u00a0"
        return self.char(lambda c: re.match(CATEGORY_PATTERNS[av], c))


CATEGORY_PATTERNS = {
    C.CATEGORY_DIGIT: r"\d",
    C.CATEGORY_NOT_DIGIT: r"\D",
    C.CATEGORY_SPACE: r"\s",
    C.CATEGORY_NOT_SPACE: r"\S",
    C.CATEGORY_WORD: r"\w",
    C.CATEGORY_NOT_WORD: r"\W",
}


def noise(rng, gen):
    kind = rng.random()
    if kind < 0.3:
        return ""
    if kind < 0.5:
        return " " * rng.randint(1, 4)
    return gen.line(r"[A-Za-z0-9 :/.,()-]{1,40}")


def walk(path, rng, gen, max_lines, noise_rate):
    """An input for the template at `path`: lines generated from the rules of the state the shadow FSM is in."""
    with open(path) as handle:
        shadow = textfsm.TextFSM(handle)
    lines = []
    for _ in range(max_lines):
        state = shadow._cur_state_name
        if state in ("End", "EOF"):
            break
        rules = shadow.states.get(state, [])
        if not rules or rng.random() < noise_rate:
            line = noise(rng, gen)
        else:
            usable = [r for r in rules if r.line_op != "Error"]
            if not usable or rng.random() < 0.02:
                usable = rules
            weights = [1 + 2 * bool(r.record_op) + 2 * bool(r.new_state) + r.regex.count("(?P<") for r in usable]
            rule = rng.choices(usable, weights)[0]
            line = gen.line(rule.regex)
        lines.append(line)
        try:
            if bounded(0.5, shadow._CheckLine, line) is None and SLOW["last"] != SLOW["skipped"]:
                lines.pop()
                SLOW["last"] = SLOW["skipped"]
        except textfsm.TextFSMError:
            break
    return "\n".join(lines) + ("\n" if lines and rng.random() < 0.8 else "")


def lowered(header, row):
    record = {}
    for name, value in zip(header, row):
        record[name.lower()] = value
    return record


def python_parse(template_text, text):
    """What NetPulseTextFSM's TextFSMTemplate.parse must give: records, or the error."""
    try:
        fsm = textfsm.TextFSM(io.StringIO(template_text))
    except textfsm.TextFSMTemplateError as error:
        return {"error": {"type": "template", "message": str(error), "line": error_line(str(error))}}
    try:
        rows = fsm.ParseText(text)
    except textfsm.TextFSMError as error:
        return {"error": {"type": "state", "message": str(error)}}
    except Exception as error:  # textfsm itself fails (e.g. TypeError): recorded, compared as "an error"
        return {"error": {"type": "python", "message": "%s: %s" % (type(error).__name__, error)}}
    return {"records": [lowered(fsm.header, row) for row in rows]}


def error_line(message):
    match = re.search(r"Line:? (\d+)", message)
    return int(match.group(1)) if match else None


def python_parse_output(template_dir, platform, command, text):
    """What TemplateIndex.parse must give (ntc-templates' parse_output through clitable)."""
    table = clitable.CliTable("index", template_dir)
    try:
        table.ParseCmd(text, {"Command": command, "Platform": platform})
    except clitable.CliTableError as error:
        return {"error": {"type": "no_template", "message": str(error)}}
    except textfsm.TextFSMError as error:
        return {"error": {"type": "state", "message": str(error)}}
    except Exception as error:
        return {"error": {"type": "python", "message": "%s: %s" % (type(error).__name__, error)}}
    records = []
    for row in table:
        records.append({table.header[i].lower(): value for i, value in enumerate(row)})
    return {"records": records}


def python_lookup(template_dir, platform, command):
    table = clitable.CliTable("index", template_dir)
    row = table.index.GetRowMatch({"Command": command, "Platform": platform})
    return table.index.index[row]["Template"].split(":") if row else None


def python_match(regex, subject):
    try:
        match = re.match(regex, subject)
    except re.error:
        return {"error": True}
    if not match:
        return {"groups": None}
    return {"groups": [match.group(0)] + list(match.groups())}


def index_rows(template_dir):
    table = clitable.CliTable("index", template_dir)
    rows = []
    for row in table.index.index:
        rows.append({"Template": row["Template"], "Platform": row["Platform"], "Command": row["Command"]})
    return rows


def plain_platform(pattern):
    return pattern if re.fullmatch(r"[\w-]+", pattern) else None


def template_names(template_dir):
    return sorted(name for name in os.listdir(template_dir) if name.endswith(".textfsm"))


def generate(args):
    rng = random.Random(args.seed)
    gen = LineGenerator(rng)
    template_dir = args.templates
    started = time.time()
    cases = []
    covered = set()
    regexes = {}

    names = template_names(template_dir)
    if args.only:
        names = [n for n in names if any(part in n for part in args.only.split(","))]
    for name in names:
        path = os.path.join(template_dir, name)
        with open(path) as handle:
            template_text = handle.read()
        try:
            fsm = textfsm.TextFSM(io.StringIO(template_text))
        except textfsm.TextFSMTemplateError as error:
            cases.append({"kind": "parse", "template": name, "input": "", **python_parse(template_text, "")})
            continue
        for state in fsm.states.values():
            for rule in state:
                regexes.setdefault(rule.regex, name)
        for number in range(args.inputs):
            lines = [6, 20, 60, 12][number % 4]
            text = walk(path, rng, gen, lines, noise_rate=0.04 if number % 2 == 0 else 0.15)
            result = bounded(5, python_parse, template_text, text)
            if result is None:
                continue
            cases.append({"kind": "parse", "template": name, "input": text, **result})
            if "records" in result and result["records"]:
                covered.add(name)

    # The index: lookups for every row, and parse_output on inputs for the row's templates.
    for row in index_rows(template_dir):
        platform = plain_platform(row["Platform"])
        if not platform or (args.only and not any(part in row["Template"] for part in args.only.split(","))):
            continue
        for _ in range(2):
            command = gen.line(row["Command"])
            cases.append(
                {"kind": "lookup", "platform": platform, "command": command,
                 "templates": python_lookup(template_dir, platform, command)}
            )
        command = gen.line(row["Command"])
        parts = [walk(os.path.join(template_dir, t), rng, gen, 12, 0.05) for t in row["Template"].split(":")]
        text = "".join(parts)
        result = bounded(5, python_parse_output, template_dir, platform, command, text)
        if result is not None:
            cases.append({"kind": "index", "platform": platform, "command": command, "input": text, **result})
    cases.append({"kind": "lookup", "platform": "cisco_ios", "command": "no such command at all",
                  "templates": python_lookup(template_dir, "cisco_ios", "no such command at all")})

    # Every rule regex on subjects that match and subjects that nearly match.
    for regex in sorted(regexes):
        subject = gen.line(regex)
        for candidate in sorted({subject, subject[: len(subject) // 2], subject + " x", mutate(rng, subject)}):
            result = bounded(0.5, python_match, regex, candidate)
            if result is not None:
                cases.append({"kind": "regex", "pattern": regex, "subject": candidate, **result})

    for case in features.cases():
        cases.append(case_for_feature(case))
    for sample in samples.SAMPLES:
        cases.append({"kind": "index", "platform": sample["platform"], "command": sample["command"],
                      "input": sample["output"],
                      **python_parse_output(template_dir, sample["platform"], sample["command"], sample["output"])})

    summary = {
        "templates": len(names),
        "templates_with_records": len(covered),
        "templates_without_records": sorted(set(names) - covered),
        "cases": len(cases),
        "left_out_python_too_slow": SLOW["skipped"],
        "seconds": round(time.time() - started, 1),
    }
    write(args.out, {"generator": generator_info(args), "template_dir": os.path.abspath(template_dir),
                     "summary": summary, "cases": cases})
    print(
        "difftool: %d templates, %d gave records from generated input; %d cases in %.0f s -> %s"
        % (summary["templates"], summary["templates_with_records"], summary["cases"], summary["seconds"], args.out),
        file=sys.stderr,
    )


def mutate(rng, text):
    if not text:
        return "x"
    i = rng.randrange(len(text))
    return text[:i] + rng.choice(["#", " ", "Z", "9", ""]) + text[i + 1:]


def case_for_feature(case):
    if case["kind"] == "regex":
        return {**case, **python_match(case["pattern"], case["subject"])}
    return {"kind": "parse", "name": case["name"], "template_text": case["template"], "input": case["input"],
            **python_parse(case["template"], case["input"])}


def record(args):
    """The committed set: features, samples through the index, one generated input for a spread of templates,
    lookups for every index row, and a sample of the regex cases; templates and index inline."""
    rng = random.Random(args.seed)
    args.only = None
    if args.source:
        with open(args.source) as handle:
            data = json.load(handle)
    else:
        full = args.out + ".full"
        generate(argparse.Namespace(**{**vars(args), "out": full}))
        with open(full) as handle:
            data = json.load(handle)
        os.remove(full)
    template_dir = args.templates
    chosen = choose_templates(template_dir, rng, args.spread)
    kept = []
    seen_parse = set()
    for case in data["cases"]:
        kind = case["kind"]
        if kind == "parse" and "template" in case:
            if case["template"] in chosen and case["template"] not in seen_parse and case.get("records"):
                seen_parse.add(case["template"])
                kept.append(case)
        elif kind == "regex" and "name" not in case:
            if rng.random() < args.regex_share:
                kept.append(case)
        elif kind == "index":
            # The samples, and generated outputs for the chosen templates (each needs its templates inline).
            templates = python_lookup(template_dir, case["platform"], case["command"]) or []
            sample = any(case["input"] == s["output"] for s in samples.SAMPLES)
            if sample or (templates and set(templates) <= chosen):
                kept.append(case)
        elif kind == "lookup":
            if rng.random() < args.lookup_share:
                kept.append(case)
        else:
            kept.append(case)
    needed = set(chosen)
    for case in kept:
        if case["kind"] == "index":
            templates = python_lookup(template_dir, case["platform"], case["command"])
            needed.update(templates or [])
    templates = {}
    for name in sorted(needed):
        with open(os.path.join(template_dir, name)) as handle:
            templates[name] = handle.read()
    with open(os.path.join(template_dir, "index")) as handle:
        index_text = handle.read()
    # Index cases whose templates are not all kept cannot run without the package: keep only runnable ones.
    kept = [c for c in kept if c["kind"] != "index" or all(
        t in templates for t in (python_lookup(template_dir, c["platform"], c["command"]) or []))]
    write(args.out, {"generator": generator_info(args), "templates": templates, "index": index_text,
                     "summary": {**data["summary"], "recorded_cases": len(kept)}, "cases": kept})
    print("difftool: recorded %d cases, %d templates -> %s" % (len(kept), len(templates), args.out), file=sys.stderr)


def choose_templates(template_dir, rng, spread):
    """Every template that uses a rarer feature, and a random spread of the rest."""
    names = template_names(template_dir)
    special = []
    for name in names:
        with open(os.path.join(template_dir, name)) as handle:
            text = handle.read()
        if re.search(r"Fillup|Key|List|Clearall|^EOF|-> Error \"|\(\?<[=!]|\(\?[=!]|\*\+|\+\+|\{,", text, re.M):
            special.append(name)
    rest = [n for n in names if n not in special]
    return set(rng.sample(special, min(len(special), spread))) | set(rng.sample(rest, min(len(rest), spread)))


def generator_info(args):
    import importlib.metadata as metadata

    return {
        "python": sys.version.split()[0],
        "textfsm": metadata.version("textfsm"),
        "ntc_templates": metadata.version("ntc_templates"),
        "seed": args.seed,
    }


def write(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=None, separators=(",", ":"))
        handle.write("\n")


def main():
    # A parent may have blocked signals (a test runner spawning this script passes its mask on): the
    # deadlines above need SIGALRM, and stopping the run needs SIGTERM and SIGINT.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM, signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    for mode in ("generate", "record"):
        p = sub.add_parser(mode)
        p.add_argument("--templates", help="ntc-templates' templates folder (default: the installed package's)")
        p.add_argument("--out", required=True)
        p.add_argument("--seed", type=int, default=16)
        p.add_argument("--inputs", type=int, default=4, help="generated inputs per template")
        p.add_argument("--only", help="comma-separated substrings of template names (generate only)")
        p.add_argument("--spread", type=int, default=30, help="record: templates of each kind kept")
        p.add_argument("--regex-share", type=float, default=0.01, help="record: share of regex cases kept")
        p.add_argument("--lookup-share", type=float, default=0.5, help="record: share of lookup cases kept")
        p.add_argument("--from", dest="source", help="record: take the cases of an earlier generate run")
    args = parser.parse_args()
    if not args.templates:
        import ntc_templates

        args.templates = os.path.join(os.path.dirname(ntc_templates.__file__), "templates")
    if args.mode == "generate":
        generate(args)
    else:
        record(args)


if __name__ == "__main__":
    main()
