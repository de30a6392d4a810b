#!/usr/bin/env python3
"""prom_check.py [FILE] - a strict checker of Prometheus's text exposition
format (version 0.0.4), as node_exporter's textfile collector and
Prometheus's own parser read it, plus the naming rules promtool checks.

Exit 0 and print "prom_check: N families, N samples" when the input is
valid; else print "prom_check: LINE: what is wrong" for the first fault
and exit 1.  Reads stdin without FILE.

Checked: every line is a comment, "# HELP name text", "# TYPE name type"
or a sample "name{label="value",...} value [timestamp]"; names and label
names are well formed, label names not reserved (__) nor repeated; HELP
text and label values use only the escapes \\\\, \\n (and \\" in values);
values are Go floats (NaN, +Inf, -Inf too); at most one HELP and one TYPE a
family, TYPE before its samples; a family's lines are contiguous; no series
twice; gauge/counter/untyped samples carry the family's own name; counter
names end in _total, others do not; the input ends with a newline.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
FLOAT = re.compile(r"[+-]?(Inf|NaN|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count", "")}


class Bad(Exception):
    pass


def unescape(s, quote):
    """The escaped text s, checked: only \\\\ and \\n (and \\" if quote)."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 == len(s):
                raise Bad("a lone backslash at the end")
            e = s[i + 1]
            if e == "\\" or e == "n" or (quote and e == '"'):
                out.append("\n" if e == "n" else e)
                i += 2
                continue
            raise Bad("bad escape \\%s" % e)
        if quote and c == '"':
            raise Bad("an unescaped quote in a label value")
        out.append(c)
        i += 1
    return "".join(out)


def labels(s):
    """'{a="x",b="y"}' (without the braces) as a tuple of pairs."""
    pairs, i = [], 0
    while i < len(s):
        m = re.compile(LABEL + "=\"").match(s, i)
        if not m:
            raise Bad("bad label at %r" % s[i:i + 20])
        name = s[i:m.end() - 2]
        if name.startswith("__"):
            raise Bad("reserved label name %s" % name)
        j = m.end()
        while j < len(s) and s[j] != '"':
            j += 2 if s[j] == "\\" else 1
        if j >= len(s):
            raise Bad("unterminated label value")
        pairs.append((name, unescape(s[m.end():j], True)))
        i = j + 1
        if i < len(s):
            if s[i] != ",":
                raise Bad("expected , between labels")
            i += 1
    names = [n for n, _ in pairs]
    if len(set(names)) != len(names):
        raise Bad("a label given twice")
    return tuple(sorted(pairs))


def sample(line):
    m = re.match(r"(%s)(\{(.*)\})?( +)(\S+)( +(-?\d+))?\Z" % NAME, line)
    if not m:
        raise Bad("not a sample line")
    if not FLOAT.match(m.group(5)):
        raise Bad("value %r is not a float" % m.group(5))
    return m.group(1), labels(m.group(3) or "")


class Checker:
    def __init__(self):
        self.help, self.type, self.done = {}, {}, set()
        self.current, self.series, self.samples = None, set(), 0

    def family_of(self, name):
        for fam, t in self.type.items():
            for suf in SUFFIXES.get(t, ()):
                if suf and name == fam + suf:
                    return fam
        return name

    def enter(self, fam):
        if fam != self.current:
            if fam in self.done:
                raise Bad("family %s seen before, not contiguous" % fam)
            if self.current:
                self.done.add(self.current)
            self.current = fam

    def meta(self, kind, name, rest):
        if not re.fullmatch(NAME, name):
            raise Bad("bad metric name %r" % name)
        self.enter(name)
        table = self.help if kind == "HELP" else self.type
        if name in table:
            raise Bad("second %s for %s" % (kind, name))
        if kind == "HELP":
            table[name] = unescape(rest, False)
            return
        if rest not in TYPES:
            raise Bad("unknown type %r" % rest)
        if any(s[0] == name for s in self.series):
            raise Bad("TYPE of %s after its samples" % name)
        if (rest == "counter") != name.endswith("_total"):
            raise Bad("%s: counters, and only counters, end in _total" % name)
        table[name] = rest

    def line(self, line):
        if line.startswith("#"):
            m = re.match(r"# (HELP|TYPE) (\S+)(?: (.*))?\Z", line)
            if m:
                self.meta(m.group(1), m.group(2), m.group(3) or "")
            return
        if not line.strip():
            return
        name, lab = sample(line)
        fam = self.family_of(name)
        self.enter(fam)
        if self.type.get(fam, "untyped") in ("counter", "gauge", "untyped") and name != fam:
            raise Bad("sample %s in family %s" % (name, fam))
        if (name, lab) in self.series:
            raise Bad("series %s%s twice" % (name, dict(lab)))
        self.series.add((name, lab))
        self.samples += 1


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    if text and not text.endswith("\n"):
        print("prom_check: the input does not end with a newline")
        return 1
    c = Checker()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        try:
            c.line(line)
        except Bad as e:
            print("prom_check: %d: %s: %s" % (n, e, line[:80]))
            return 1
    if not c.samples:
        print("prom_check: no samples")
        return 1
    print("prom_check: %d families, %d samples" % (len(c.done) + 1, c.samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
