"""Small templates of our own, one per TextFSM feature or template error, and regex edge cases.

Python's textfsm and re give the expected answer for each (difftool.py); nothing here states it.
"""

SHOW_INTERFACES = """\
GigabitEthernet0/1 is up, line protocol is up
  Description: uplink
  Internet address is 10.0.0.1/24
GigabitEthernet0/2 is administratively down, line protocol is down
  Internet address is 10.0.1.1/24
  Internet address is 10.0.2.1/24 secondary
Loopback0 is up, line protocol is up
"""

TEMPLATES = {
    "filldown_required": ("""\
Value Filldown CHASSIS (\\S+)
Value Required INTERFACE (\\S+)
Value STATUS (up|down)

Start
  ^Chassis ${CHASSIS}
  ^${INTERFACE} is ${STATUS} -> Record
""", ["Chassis C1\nGi0/1 is up\nnoise\nGi0/2 is down\nChassis C2\nGi0/3 is up\n", "Gi0/1 is up\n", ""]),
    "list_and_continue": ("""\
Value Required INTERFACE (\\S+)
Value STATUS (.+?)
Value DESCRIPTION (.*)
Value List ADDRESSES (\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+)

Start
  ^\\S+ is -> Continue.Record
  ^${INTERFACE} is ${STATUS}, line protocol
  ^\\s+Description: ${DESCRIPTION}
  ^\\s+Internet address is ${ADDRESSES}
""", [SHOW_INTERFACES]),
    "list_nested_groups": ("""\
Value Required NAME (\\S+)
Value List MEMBERS ((?P<port>\\S+)\\((?P<flag>\\w)\\)|(?P<other>none))

Start
  ^Group ${NAME}
  ^\\s+${MEMBERS} -> Continue
  ^\\s+\\S+\\s+${MEMBERS}
  ^end -> Record
""", ["Group A\n  Gi1(P) Gi2(D)\n  none\nend\nGroup B\n  Gi3(s)\nend\n", "Group C\nend\n"]),
    "list_optional_group": ("""\
Value INTERFACE (\\S+)
Value List TAGS (\\w+)

Start
  ^${INTERFACE}(\\s+tag\\s+${TAGS})? -> Record
""", ["Gi1 tag a\nGi2\n"]),
    "required_list_orders": ("""\
Value Required,List A (\\d+)
Value List,Required B (\\w+)
Value C (\\S+)

Start
  ^a ${A}
  ^b ${B}
  ^c ${C} -> Record
""", ["a 1\nc x\nb q\nc y\na 2\nb r\nc z\nc w\n"]),
    "filldown_list": ("""\
Value Filldown,List A (\\d+)
Value B (\\S+)

Start
  ^a ${A}
  ^b ${B} -> Record
  ^reset -> Clearall
""", ["a 1\nb x\na 2\nb y\nreset\nb z\n"]),
    "fillup": ("""\
Value Fillup VRF (\\S+)
Value Required ROUTE (\\S+)

Start
  ^route ${ROUTE} -> Record
  ^vrf ${VRF}
""", ["route 1\nroute 2\nvrf red\nroute 3\nvrf blue\nroute 4\n"]),
    "key_only": ("""\
Value Key NAME (\\S+)
Value VALUE (\\S+)

Start
  ^${NAME}=${VALUE} -> Record
""", ["a=1\nb=2\n"]),
    "clear_and_clearall": ("""\
Value Filldown SECTION (\\S+)
Value ITEM (\\S+)

Start
  ^section ${SECTION}
  ^item ${ITEM} -> Record
  ^drop -> Clear
  ^dropall -> Clearall
  ^after ${ITEM} -> Record
""", ["section s1\nitem a\ndrop\nitem b\ndropall\nafter c\nsection s2\nitem d\n"]),
    "norecord_explicit": ("""\
Value A (\\S+)

Start
  ^a ${A} -> NoRecord
  ^r -> Next.Record
""", ["a 1\nr\na 2\n"]),
    "states_and_end": ("""\
Value Required NAME (\\S+)
Value ADDRESS (\\S+)

Start
  ^Neighbors: -> Table
  ^. -> Error "no table header"

Table
  ^${NAME}\\s+${ADDRESS} -> Record
  ^Total -> End
""", ["Neighbors:\nr1 10.0.0.1\nr2 10.0.0.2\nTotal 2\nr3 10.0.0.3\n", "garbage\n", "Neighbors:\nr1 1.1.1.1\n"]),
    "eof_state_suppresses_record": ("""\
Value A (\\S+)

Start
  ^a ${A}

EOF
""", ["a 1\na 2\n"]),
    "transition_to_eof": ("""\
Value A (\\S+)

Start
  ^a ${A}
  ^stop -> EOF
""", ["a 1\nstop\na 2\n"]),
    "error_without_message": ("""\
Value A (\\S+)

Start
  ^a ${A} -> Record
  ^bad -> Error
""", ["a 1\nbad line\n"]),
    "error_with_record": ("""\
Value A (\\S+)

Start
  ^a ${A}
  ^bad -> Error.Record "bad input"
""", ["a 1\nbad\n"]),
    "continue_record_clearall": ("""\
Value Filldown A (\\S+)
Value B (\\S+)

Start
  ^x ${A} ${B} -> Continue.Record
  ^x -> Continue.Clearall
  ^x \\S+ ${B}
""", ["x 1 2\nx 3 4\n"]),
    "empty_captures": ("""\
Value A (.*)
Value B (\\S*)

Start
  ^a:${A}:${B}$$ -> Record
""", ["a::\na:x:\n"]),
    "unicode_and_splitlines": ("""\
Value NAME (\\w+)
Value REST (.*)

Start
  ^name ${NAME}\\s+${REST} -> Record
""", ["name caf\u00e9 sp\u00e4ter\u2028name x y\x0bname \u0663\u0664 z\r\nname a\tb\x1cname q\u00a0w\n"]),
    "dollar_substitution_forms": ("""\
Value A (\\d+)
Value AB (\\w+)

Start
  ^$A-$$-${AB}$$ -> Record
""", ["1-$-x\n12-$-yy\n"]),
    "case_of_keys": ("""\
Value Name (\\S+)
Value NAME (\\S+)

Start
  ^${Name} ${NAME} -> Record
""", ["a b\n"]),
    "comments_everywhere": ("""\
# leading comment
Value A (\\S+)
  # indented comment

# before the state
Start
  # inside the state
  ^a ${A} -> Record
""", ["a 1\n"]),
    "no_values": ("""\
Start
  ^x -> Record
""", ["x\n"]),
    "rule_with_tab_and_one_space": ("""\
Value A (\\S+)

Start
\t^a ${A} -> Record
 ^b ${A} -> Record
""", ["a 1\nb 2\n"]),
    "new_state_only_action": ("""\
Value A (\\S+)

Start
  ^go -> Other

Other
  ^a ${A} -> Record Start
""", ["go\na 1\na 2\ngo\na 3\n"]),
}

# Templates textfsm refuses, each with the reason in its message (and the line, where textfsm names it).
INVALID = {
    "missing_start": "Value A (\\S+)\n\nOther\n  ^a ${A}\n",
    "value_without_parentheses": "Value A \\S+\n\nStart\n  ^a ${A}\n",
    "value_unknown_option": "Value Bogus A (\\S+)\n\nStart\n  ^a ${A}\n",
    "value_duplicate_option": "Value Filldown,Filldown A (\\S+)\n\nStart\n  ^a ${A}\n",
    "value_duplicate_name": "Value A (\\S+)\nValue A (\\d+)\n\nStart\n  ^a ${A}\n",
    "value_bad_regex": "Value A ((\\S+)\n\nStart\n  ^a ${A}\n",
    "value_too_few_tokens": "Value A\n\nStart\n  ^a\n",
    "value_name_too_long": "Value " + "N" * 49 + " (x)\n\nStart\n  ^a\n",
    "value_escaped_close": "Value A (x\\)\n\nStart\n  ^a\n",
    "no_blank_after_values": "Value A (\\S+)\nStart\n  ^a ${A}\n",
    "text_before_values": "Nonsense\nValue A (x)\n\nStart\n",
    "rule_without_caret": "Value A (\\S+)\n\nStart\n  a ${A}\n",
    "rule_three_spaces": "Value A (\\S+)\n\nStart\n   ^a ${A}\n",
    "unknown_substitution": "Value A (\\S+)\n\nStart\n  ^a ${B}\n",
    "bare_dollar": "Value A (\\S+)\n\nStart\n  ^a ${A}$\n",
    "bad_rule_regex": "Value A (\\S+)\n\nStart\n  ^a ${A} (unclosed\n",
    "unknown_state": "Value A (\\S+)\n\nStart\n  ^a ${A} -> Nowhere\n",
    "continue_with_state": "Value A (\\S+)\n\nStart\n  ^a ${A} -> Continue Other\n\nOther\n  ^b\n",
    "bad_action": "Value A (\\S+)\n\nStart\n  ^a ${A} -> Next.Bogus\n",
    "quoted_state": "Value A (\\S+)\n\nStart\n  ^a ${A} -> Next \"Other\"\n",
    "invalid_state_name": "Value A (\\S+)\n\nStart\n  ^a ${A}\n\nBad State\n  ^b\n",
    "reserved_state_name": "Value A (\\S+)\n\nStart\n  ^a ${A}\n\nRecord\n  ^b\n",
    "duplicate_state": "Value A (\\S+)\n\nStart\n  ^a ${A}\n\nStart\n  ^b\n",
    "non_empty_eof": "Value A (\\S+)\n\nStart\n  ^a ${A}\n\nEOF\n  ^b\n",
    "non_empty_end": "Value A (\\S+)\n\nStart\n  ^a ${A}\n\nEnd\n  ^b\n",
    "global_flag_not_first": "Value A (\\S+)\n\nStart\n  ^a(?i) ${A}\n",
    "empty_template": "",
}

# Patterns (Python re syntax) and subjects, for the translation to PCRE2.
REGEXES = [
    (r"(?i)^show\s+(?P<x>VER\w*)", ["Show   version", "SHOW VERSION", "show"]),
    (r"(?x) ^ a \s+ (?P<b> \d+ ) \# c  # comment", ["a 12# c", "a 12#c"]),
    (r"(?s)a.b", ["a\nb", "axb"]),
    (r"(?m)^b$", ["a\nb\nc", "b"]),
    (r"(?a)\w+\s\d", ["caf\u00e9 1", "abc \u0663", "ab 1"]),
    (r"\w+ \d", ["caf\u00e9 \u0663", "x_1 9"]),
    (r"[[:alpha:]]+", ["[:a]", "alpha", "a"]),
    (r"a{,3}b", ["aaab", "ab", "b", "aaaab"]),
    (r"a{2}b{1,}c{,}", ["aabc", "aabbbccc"]),
    (r"x{}y{a}z{1", ["x{}y{a}z{1"]),
    (r"(a)(?P<n>b)?(?(n)c|d)\1", ["abca", "ada", "abda"]),
    (r"(?P<q>['\"]).*?(?P=q)", ["'abc' d", "\"x'y\" z"]),
    (r"(?<=ab)c|^abc", ["abc"]),
    (r"^.*(?<!\s)$", ["abc  ", "abc"]),
    (r"^(?=.*x)(?!.*y).*", ["axb", "axy", "ab"]),
    (r"(?>a+)b", ["aaab"]),
    (r"a*+a", ["aaa"]),
    (r"a++b", ["aab"]),
    (r"\Aab\Z", ["ab", "ab\n"]),
    (r"ab$", ["ab\n", "ab"]),
    (r"\x41\u00e9\U0001F600\101\0\n", ["A\u00e9\U0001F600A\x00\n"]),
    (r"[\s\S]", ["\x1f", " "]),
    (r"\s+", ["\x1f\x1c\u00a0\u2003", "\x85"]),
    (r"[^\S\t]+", [" \t ", "  x"]),
    (r"[\d\-a-c\]]+", ["12-ab]c", "d"]),
    (r"[]a]+", ["]a]", "b"]),
    (r"[^]a]+", ["bc]", "]"]),
    (r"[\w.-]+@[\w.-]+", ["me.x@host-1.org"]),
    (r"\bfoo\b", ["foo bar", "foobar"]),
    (r"\Bo\B", ["foo"]),
    (r"(?i:A)b", ["ab", "aB", "Ab"]),
    (r"(?-i:a)", ["a"]),
    (r"a|b|", ["", "c", "b"]),
    (r"()", ["x"]),
    (r"(a|(b))+", ["abab", "aab"]),
    (r"\#\ \:\-\/\<\>\!\@\%", ["# :-/<>!@%"]),
    (r"a.c", ["a\u00e9c", "a\nc"]),
    (r"(?i)stra\u00dfe", ["STRASSE", "STRA\u00dfE"]),
    (r"\d{1,3}(?:\.\d{1,3}){3}", ["10.0.0.1", "1.2.3"]),
    (r"(a)\2", ["aa"]),
    (r"\q", ["q"]),
    (r"(?P<1a>x)", ["x"]),
    (r"(?P<a>x)(?P<a>y)", ["xy"]),
    (r"(?<=a+)b", ["ab"]),
    (r"a**", ["a"]),
    (r"*a", ["a"]),
    (r"[z-a]", ["a"]),
    (r"(?L)a", ["a"]),
    (r"(?<n>x)", ["x"]),
]


def cases():
    out = []
    for name, (template, inputs) in TEMPLATES.items():
        for number, text in enumerate(inputs):
            out.append({"kind": "parse", "name": "%s#%d" % (name, number), "template": template, "input": text})
    for name, template in INVALID.items():
        out.append({"kind": "parse", "name": "invalid:" + name, "template": template, "input": "a 1\n"})
    for number, (pattern, subjects) in enumerate(REGEXES):
        for subject in subjects:
            out.append({"kind": "regex", "name": "regex#%d" % number, "pattern": pattern, "subject": subject})
    return out
