#!/usr/bin/env python3
"""Writes src/text/unicode_tables.cpp: the Unicode facts fluxgen's tokenizers need, derived from
this Python's own Unicode database (unicodedata and the str methods), so the C++ tokenizers behave
exactly like the Python reference tokenizers (OpenAI's CLIP simple_tokenizer) they must match.

  python3 tools/gen_unicode_tables.py > src/text/unicode_tables.cpp

Tables (all sorted, non-overlapping, inclusive ranges of code points):
  letters     \\p{L}  (categories Lu Ll Lt Lm Lo) by unicodedata, for Python re's \\w
  numbers     \\p{N}  (Nd Nl No) by unicodedata
  clip_letters, clip_numbers, clip_unmatched
              the classes of CLIP's split pattern as the `regex` module (which OpenAI's tokenizer
              uses, with re.IGNORECASE) matches them: [\\p{L}], [\\p{N}], and the characters that
              neither those nor [^\\s\\p{L}\\p{N}] match (under IGNORECASE a negated class also
              rejects a character whose case variant is in it: U+0345, whose variant is Greek iota)
  whitespace  str.isspace(): what Python's re \\s and str.split() treat as white space
  lowercase   str.lower() per code point, as runs (first, last, delta, stride): lower(c) = c + delta
              for c = first, first + stride, ... <= last; the one mapping to two code points
              (U+0130) is written separately
  cased, case_ignorable
              the two properties str.lower() consults for Greek final sigma, found by probing
              str.lower() itself (see sigma_probe below), so they are Python's, not a guess
  decompositions, combining_classes, compositions
              what NFC needs (unicodedata.normalize("NFC", ...)): one level of each canonical
              decomposition, the non-zero canonical combining classes, and the primary composites
              (a two-code-point decomposition that NFC keeps composed); Hangul is algorithmic
  width_map   ftfy's fix_character_width: NFKC of the halfwidth/fullwidth forms U+FF01..U+FFEF
              that NFKC changes, plus U+3000 IDEOGRAPHIC SPACE -> U+0020
"""
import sys
import unicodedata

import regex  # the third-party module simple_tokenizer.py uses; its Unicode data decides CLIP's classes

MAX = 0x110000


def ranges(pred):
    out, start = [], None
    for c in range(MAX):
        if 0xD800 <= c <= 0xDFFF:
            ok = False
        else:
            ok = pred(c)
        if ok and start is None:
            start = c
        elif not ok and start is not None:
            out.append((start, c - 1))
            start = None
    if start is not None:
        out.append((start, MAX - 1))
    return out


def sigma_probe(c):
    """(case_ignorable, cased) as str.lower()'s final-sigma rule sees code point c.

    Python lowers a capital sigma to final sigma when the nearest non-case-ignorable character
    before it is cased (and none after it is). So with 'A' (cased) and '1' (not cased, not
    ignorable) as neighbours: c is ignorable iff 'A'+c+'Σ' ends in ς but '1'+c+'Σ' does not;
    a non-ignorable c is cased iff c+'Σ' ends in ς.
    """
    ch = chr(c)
    after_a = ('A' + ch + '\u03a3').lower()[-1] == '\u03c2'
    after_1 = ('1' + ch + '\u03a3').lower()[-1] == '\u03c2'
    ignorable = after_a and not after_1
    cased = (ch + '\u03a3').lower()[-1] == '\u03c2' if not ignorable else False
    return ignorable, cased


def lower_runs():
    singles, specials = [], []
    for c in range(MAX):
        if 0xD800 <= c <= 0xDFFF:
            continue
        low = chr(c).lower()
        if low == chr(c):
            continue
        if len(low) == 1:
            singles.append((c, ord(low) - c))
        else:
            specials.append((c, [ord(x) for x in low]))
    runs = []
    for c, d in singles:
        if runs:
            first, last, delta, stride = runs[-1]
            if delta == d:
                if stride == 0 and c - last in (1, 2):
                    runs[-1] = (first, c, delta, c - last)
                    continue
                if stride and c - last == stride:
                    runs[-1] = (first, c, delta, stride)
                    continue
        runs.append((c, c, d, 0))
    return [(f, l, d, s or 1) for f, l, d, s in runs], specials


def canonical_decomposition(c):
    d = unicodedata.decomposition(chr(c))
    if not d or d.startswith('<'):
        return None
    return [int(x, 16) for x in d.split()]


def decompositions():
    out = []
    for c in range(MAX):
        if 0xD800 <= c <= 0xDFFF:
            continue
        d = canonical_decomposition(c)
        if d:
            assert len(d) <= 2
            out.append((c, d[0], d[1] if len(d) == 2 else 0))
    return out


def combining_class_ranges():
    out = []
    for c in range(MAX):
        cc = unicodedata.combining(chr(c)) if not 0xD800 <= c <= 0xDFFF else 0
        if not cc:
            continue
        if out and out[-1][1] == c - 1 and out[-1][2] == cc:
            out[-1] = (out[-1][0], c, cc)
        else:
            out.append((c, c, cc))
    return out


def compositions():
    out = []
    for c in range(MAX):
        if 0xD800 <= c <= 0xDFFF:
            continue
        d = canonical_decomposition(c)
        if d and len(d) == 2 and unicodedata.normalize('NFC', chr(c)) == chr(c):
            out.append((d[0], d[1], c))
    return sorted(out)


def width_map():
    out = [(0x3000, 0x20, 0)]
    for c in range(0xFF01, 0xFFF0):
        alt = unicodedata.normalize('NFKC', chr(c))
        if alt != chr(c):
            assert len(alt) <= 2
            out.append((c, ord(alt[0]), ord(alt[1]) if len(alt) == 2 else 0))
    return out


def emit_array(element, array, var, rows, out):
    """A C++ array of brace-initialised rows of hex numbers and a std::span named var over it."""
    out.append(f'const {element} {array}[] = {{')
    line = ' '
    for row in rows:
        item = ' {' + ', '.join(f'0x{v:X}' for v in row) + '},'
        if len(line) + len(item) > 110:
            out.append(line)
            line = ' '
        line += item
    out.append(line)
    out.append('};')
    out.append(f'const std::span<const {element}> {var}({array});')
    out.append('')


def emit_triples(name, var, rows, out):
    emit_array(name, f'k{name}s', var, rows, out)


def emit_ranges(name, var, rs, out):
    emit_array('CodeRange', f'k{name}', var, rs, out)


def main():
    cat = unicodedata.category
    letters = ranges(lambda c: cat(chr(c)).startswith('L'))
    numbers = ranges(lambda c: cat(chr(c)).startswith('N'))
    space = ranges(lambda c: chr(c).isspace())
    probes = {}
    for c in range(MAX):
        if not 0xD800 <= c <= 0xDFFF:
            probes[c] = sigma_probe(c)
    ignorable = ranges(lambda c: probes[c][0])
    cased = ranges(lambda c: probes[c][1])
    clip_l = regex.compile(r'[\p{L}]', regex.IGNORECASE)
    clip_n = regex.compile(r'[\p{N}]', regex.IGNORECASE)
    clip_o = regex.compile(r'[^\s\p{L}\p{N}]', regex.IGNORECASE)
    clip_s = regex.compile(r'\s')

    def clip_class(c):
        ch = chr(c)
        l, n, o = bool(clip_l.match(ch)), bool(clip_n.match(ch)), bool(clip_o.match(ch))
        assert not (o and (l or n)) and not (l and n), hex(c)
        return l, n, not (l or n or o or clip_s.match(ch))
    classes = {c: clip_class(c) for c in range(MAX) if not 0xD800 <= c <= 0xDFFF}
    clip_letters = ranges(lambda c: classes[c][0])
    clip_numbers = ranges(lambda c: classes[c][1])
    clip_unmatched = ranges(lambda c: classes[c][2])
    runs, specials = lower_runs()
    assert specials == [(0x130, [0x69, 0x307])], specials

    out = []
    out.append('// Generated by tools/gen_unicode_tables.py from Python %s\'s Unicode %s database and the regex'
               % (sys.version.split()[0], unicodedata.unidata_version))
    out.append('// module %s (CLIP\'s pattern classes). Do not edit.' % regex.__version__)
    out.append('#include "text/unicode_tables.h"')
    out.append('')
    out.append('namespace fluxgen::unicode_tables {')
    out.append('')
    out.append(f'const char* const unicode_version = "{unicodedata.unidata_version}";')
    out.append('')
    emit_ranges('Letters', 'letters', letters, out)
    emit_ranges('Numbers', 'numbers', numbers, out)
    emit_ranges('Whitespace', 'whitespace', space, out)
    emit_ranges('ClipLetters', 'clip_letters', clip_letters, out)
    emit_ranges('ClipNumbers', 'clip_numbers', clip_numbers, out)
    emit_ranges('ClipUnmatched', 'clip_unmatched', clip_unmatched, out)
    emit_ranges('Cased', 'cased', cased, out)
    emit_ranges('CaseIgnorable', 'case_ignorable', ignorable, out)
    out.append('const LowerRun kLowerRuns[] = {')
    line = ' '
    for f, l, d, s in runs:
        item = f' {{0x{f:X}, 0x{l:X}, {d}, {s}}},'
        if len(line) + len(item) > 110:
            out.append(line)
            line = ' '
        line += item
    out.append(line)
    out.append('};')
    out.append('const std::span<const LowerRun> lower_runs(kLowerRuns);')
    out.append('')
    emit_triples('Decomposition', 'decompositions', decompositions(), out)
    emit_triples('CombiningClass', 'combining_classes', combining_class_ranges(), out)
    emit_triples('Composition', 'compositions', compositions(), out)
    emit_triples('WidthMapping', 'width_map', width_map(), out)
    out.append('}  // namespace fluxgen::unicode_tables')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
