#!/usr/bin/env python3
"""params_fields.py HEADERS FILE... - checks that every kernel params struct a
generated NET.c initializes names every field of the struct as the runtime's
headers declare it (include/kiln/kernels*.h), in the header's order, nested
structs (rq, pool) included.  HEADERS: comma-separated header paths.

The headers are read here, independently of the compiler: a C struct
definition `typedef struct N { type a, b[3]; other c; } N;` gives N's fields,
and so does one declared from an X-macro field list (include/kiln/fields.h):
`#define N_FIELDS(F, A, S) F(type, a, INT) A(type, b, 3, INT) S(other, c)`
with `typedef struct N { KILN_FIELDS(N_FIELDS) } N;`.
Prints one line per problem and a count; exits 1 on any problem.
"""
import re
import sys


def strip_comments(s):
    s = re.sub(r'/\*.*?\*/', ' ', s, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', s)
def field_lists(s):
    """The X-macro field lists (include/kiln/fields.h) of a header's text:
    #define LIST(F, A, S) F(type, name, fmt) A(type, name, n, fmt) S(type, name)..."""
    s = s.replace('\\\n', ' ')
    lists = {}
    for m in re.finditer(r'^#define\s+(\w+)\(F, A, S\)(.*)$', s, re.M):
        decls = []
        for e in re.finditer(r'\b([FAS])\(([^()]*)\)', m.group(2)):
            args = [a.strip() for a in e.group(2).split(',')]
            if e.group(1) == 'A':
                decls.append(f'{args[0]} {args[1]}[{args[2]}]')
            else:
                decls.append(f'{args[0]} {args[1]}')
        lists[m.group(1)] = '; '.join(decls) + ';'
    return lists
def header_structs(paths):
    st = {}
    for p in paths:
        s = strip_comments(open(p).read())
        lists = field_lists(s)
        for m in re.finditer(r'typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;', s, re.S):
            body, name = m.group(2), m.group(3)
            x = re.fullmatch(r'\s*KILN_FIELDS\((\w+)\)\s*', body)
            if x:
                body = lists.get(x.group(1), '?')   # a list not found: no fields, every check fails
            fields = []
            for decl in body.split(';'):
                decl = decl.strip()
                if not decl: continue
                mm = re.match(r'((?:const\s+)?[\w\s\*]+?)\s*(\**\w+(?:\[[^\]]*\])?(?:\s*,\s*\**\w+(?:\[[^\]]*\])?)*)$', decl)
                if not mm: 
                    fields.append(('?', decl, False)); continue
                ty = mm.group(1).split()[-1]
                for v in mm.group(2).split(','):
                    v = v.strip().lstrip('*')
                    arr = '[' in v
                    fields.append((v.split('[')[0].strip(), ty, arr))
            st[name] = fields
    return st
def split_items(s):
    items, depth, cur = [], 0, ''
    for ch in s:
        if ch == '{': depth += 1
        if ch == '}': depth -= 1
        if ch == ',' and depth == 0:
            items.append(cur.strip()); cur = ''
        else: cur += ch
    if cur.strip(): items.append(cur.strip())
    return items
def check(ty, init, st, where, errs):
    body = init.strip()
    if not (body.startswith('{') and body.endswith('}')):
        errs.append(f'{where}: {ty}: not a brace group: {body[:30]!r}')
        return
    items = split_items(body[1:-1])
    if not items or items == ['0']: return
    names = []
    for it in items:
        m = re.match(r'\.(\w+)\s*=\s*(.*)$', it, re.S)
        if not m:
            errs.append(f'{where}: {ty}: positional item {it[:30]!r}'); return
        names.append((m.group(1), m.group(2)))
    want = [f[0] for f in st[ty]]
    got = [n for n, _ in names]
    if got != want:
        missing = [w for w in want if w not in got]
        extra = [g for g in got if g not in want]
        order = not missing and not extra
        errs.append(f'{where}: {ty}: ' + (f'missing {missing} ' if missing else '') + (f'unknown {extra} ' if extra else '') + ('other order' if order else ''))
    ftypes = {f[0]: (f[1], f[2]) for f in st[ty]}
    for n, v in names:
        if n in ftypes and not ftypes[n][1] and ftypes[n][0] in st:
            check(ftypes[n][0], v, st, where + '.' + n, errs)
st = header_structs(sys.argv[1].split(','))
errs = []; n = 0
for f in sys.argv[2:]:
    s = open(f).read()
    for m in re.finditer(r'static const (kiln_\w+) (\w+)(?:\[\d*\])? = (\{.*?\n\});', s, re.S):
        ty, var, init = m.groups()
        if ty not in st or ty in ('kiln_io_desc', 'kiln_state_desc'): continue
        n += 1
        check(ty, init, st, f'{f}:{var}', errs)
for e in sorted(set(errs)): print(e)
print(f"{n} params structs checked, {len(errs)} problems")
sys.exit(1 if errs else 0)
