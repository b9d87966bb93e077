#!/bin/sh
# prochist report: the HTML page's numbers against `top --format json` for
# the same window, stacked bands that sum to the total, gaps left empty, an
# empty window, hostile process names, and the page rendered in headless
# Chromium (screenshot not blank, DOM holds the charts and numbers, no
# script from a name ran). Without python3 or chromium the checks that need
# them print "ok - NAME # SKIP reason".
. "$(dirname "$0")/../lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
    skip report "needs python3 to read the page (scripts/deps.sh installs it)"
    exit 0
fi
CHROME=""
for c in chromium chromium-browser google-chrome; do
    command -v $c >/dev/null 2>&1 && { CHROME=$c; break; }
done

cat >"$TMP/check.py" <<'EOF'
import json, re, sys, struct, zlib
from html.parser import HTMLParser

def page(path):
    return open(path, encoding='utf-8').read()

def blob(s, ident):
    m = re.search(r'<script type="application/json" id="%s">(.*?)</script>' % ident, s, re.S)
    return json.loads(m.group(1))

def die(msg):
    print(msg)
    sys.exit(1)

cmd = sys.argv[1]
if cmd == 'totals':  # HTML TOP_JSON: every app of top equals the page's row
    s = page(sys.argv[2]); summ = blob(s, 'ph-summary'); top = json.load(open(sys.argv[3]))
    rows = {r['name']: r for r in summ['rows']}
    if summ['samples'] != top['samples'] or abs(summ['covered_s'] - top['covered_s']) > 1e-6:
        die('window differs: %s/%s samples' % (summ['samples'], top['samples']))
    if len(rows) != len(top['rows']) or not rows:
        die('apps: page %d, top %d' % (len(rows), len(top['rows'])))
    if summ.get('by') != top.get('by', 'app'):
        die('grouped by %r, top by %r' % (summ.get('by'), top.get('by')))
    for t in top['rows']:
        r = rows.get(t['name'])
        if r is None:
            die('app %r missing from the page' % t['name'])
        for k in ('mem_peak_bytes', 'disk_read_bytes', 'disk_write_bytes'):
            if r[k] != t[k]:
                die('%s %s: page %s, top %s' % (t['name'], k, r[k], t[k]))
        tc = t['cpu_s']; pc = None if r['cpu_ns'] is None else r['cpu_ns'] / 1e9
        if (tc is None) != (pc is None) or (tc is not None and abs(tc - pc) > 1e-6 * max(1, tc)):
            die('%s cpu: page %s, top %s' % (t['name'], pc, tc))
    # The same numbers are shown in the tables (data-v of the CPU table).
    cells = re.findall(r'<table class="top" data-chart="cpu">.*?</table>', s, re.S)
    vals = [int(v) for v in re.findall(r'data-v="(\d+)"', cells[0])] if cells else []
    best = sorted((r['cpu_ns'] for r in summ['rows'] if r['cpu_ns']), reverse=True)[:len(vals)]
    if not vals or vals != best:
        die('CPU table %s != top rows %s' % (vals[:3], best[:3]))
    print('%d %ss' % (len(rows), summ['by']))
elif cmd == 'bands':  # HTML [COUNTER_TOTALS]: bands + other = total; no path spans a gap
    s = page(sys.argv[2]); d = blob(s, 'ph-data'); summ = blob(s, 'ph-summary')
    if not d['charts']:
        die('no charts')
    for c in d['charts']:
        gaps = set()
        for i, tot in enumerate(c['total']):
            parts = [b['v'][i] for b in c['bands']] + [c['other'][i]]
            if tot is None:
                gaps.add(i)
                if any(p is not None for p in parts):
                    die('%s point %d: a value inside a gap' % (c['id'], i))
            elif sum(parts) != tot:
                die('%s point %d: bands sum %d, total %d' % (c['id'], i, sum(parts), tot))
        for i0, i1 in re.findall(r'<path class="band" data-chart="%s" data-app="[^"]*" data-i0="(\d+)" data-i1="(\d+)"' % c['id'], s):
            if any(i in gaps for i in range(int(i0), int(i1) + 1)):
                die('%s: a band drawn across a gap (%s..%s)' % (c['id'], i0, i1))
        drawn = set()
        for i0, i1 in re.findall(r'<rect class="gap" data-i0="(\d+)" data-i1="(\d+)"', s[s.index('id="chart-%s"' % c['id']):]):
            drawn |= set(range(int(i0), int(i1) + 1))
        if not gaps <= drawn:
            die('%s: gaps not drawn as gaps' % c['id'])
        key = {'cpu': 'cpu_ns', 'read': 'disk_read_bytes', 'write': 'disk_write_bytes'}.get(c['id'])
        if key and len(sys.argv) > 3:
            want = sum(r[key] or 0 for r in summ['rows'])
            got = sum(v for v in c['total'] if v)
            if got != want:
                die('%s: the points add up to %d, the window to %d' % (c['id'], got, want))
    print('%d charts, %d points' % (len(d['charts']), len(d['t0'])))
elif cmd == 'gap':  # HTML FROM_MS TO_MS: every point inside is empty, and drawn as a gap
    s = page(sys.argv[2]); d = blob(s, 'ph-data'); a, b = int(sys.argv[3]), int(sys.argv[4])
    inside = [i for i in range(len(d['t0'])) if d['t0'][i] >= a and d['t1'][i] <= b]
    outside = [i for i in range(len(d['t0'])) if d['t1'][i] <= a - 60000 or d['t0'][i] >= b + 60000]
    if len(inside) < 3:
        die('only %d points inside the gap' % len(inside))
    for c in d['charts']:
        if any(c['total'][i] is not None for i in inside):
            die('%s: a value inside the gap' % c['id'])
    if not any(d['charts'][0]['total'][i] for i in outside):
        die('no data around the gap')
    if s.count('<rect class="gap"') < len(d['charts']):
        die('gap rects missing')
    print('%d points empty' % len(inside))
elif cmd == 'png':  # FILE MIN: decode the PNG, count distinct colours
    raw = open(sys.argv[2], 'rb').read()
    w, h, depth, ctype = struct.unpack('>IIBB', raw[16:26])
    idat = b''; pos = 8
    while pos < len(raw):
        n, = struct.unpack('>I', raw[pos:pos + 4]); kind = raw[pos + 4:pos + 8]
        if kind == b'IDAT':
            idat += raw[pos + 8:pos + 8 + n]
        pos += 12 + n
    data = zlib.decompress(idat); bpp = {2: 3, 6: 4}[ctype]; stride = w * bpp
    prev = bytearray(stride); colours = set(); i = 0
    for y in range(min(h, 900)):  # the header and the first charts: enough, and pure Python is slow
        f = data[i]; line = bytearray(data[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if y % 4 == 0:
            for x in range(0, stride, bpp * 2):
                colours.add(bytes(line[x:x + 3]))
    print('%dx%d, %d colours' % (w, h, len(colours)))
    sys.exit(0 if len(colours) >= int(sys.argv[3]) else 1)
elif cmd == 'dom':  # DUMP NEED...: the DOM Chromium built; hostile names stayed text
    s = page(sys.argv[2])
    class P(HTMLParser):
        def __init__(self):
            super().__init__(); self.tags = {}; self.text = []; self.title = ''; self.intitle = False
        def handle_starttag(self, tag, attrs):
            self.tags[tag] = self.tags.get(tag, 0) + 1; self.intitle = tag == 'title'
        def handle_endtag(self, tag):
            self.intitle = False
        def handle_data(self, d):
            self.text.append(d)
            if self.intitle: self.title += d
    p = P(); p.feed(s); text = ''.join(p.text)
    if 'PWNED' in p.title:
        die('a script from a name ran: title %r' % p.title)
    for t in ('img', 'b', 'iframe', 'object'):
        if p.tags.get(t):
            die('a <%s> element came from a name' % t)
    if p.tags.get('script', 0) != 3:
        die('%d script elements, expected 3' % p.tags.get('script', 0))
    for need in sys.argv[3:]:
        if need not in text:
            die('not shown as text: %r' % need)
    for bad in ('\u202e', '\u2028'):
        if bad in text:
            die('a raw %r reached the page' % bad)
    if 'No data in this window' not in sys.argv[3:] and not p.tags.get('svg'):
        die('no svg')
    print('%d svg, %d path' % (p.tags.get('svg', 0), p.tags.get('path', 0)))
elif cmd == 'probe':  # HTML OUT: the page plus a script (by its nonce) that hovers the first chart
    s = page(sys.argv[2]); nonce = re.search(r"'nonce-([0-9a-f]+)'", s).group(1)
    sel = sys.argv[4] if len(sys.argv) > 4 else 'svg.plot'
    probe = ('<script nonce="%s">var h=document.querySelector("SEL .hit");var b=h.getBoundingClientRect();'
             'h.dispatchEvent(new MouseEvent("mousemove",{clientX:b.left+b.width*0.3,clientY:b.top+10,bubbles:true}));'
             'var t=document.getElementById("tip");document.body.setAttribute("data-tip",t.style.display+"|"+t.textContent);'
             '</script></body>' % nonce).replace('SEL', sel)
    open(sys.argv[3], 'w', encoding='utf-8').write(s.replace('</body>', probe))
elif cmd == 'axis':  # HTML: each chart's axis top is at least its largest stack, and at most 1.5 times it
    s = page(sys.argv[2]); d = blob(s, 'ph-data')
    tops = dict(re.findall(r'<svg class="plot" data-chart="(\w+)" data-max="([^"]+)"', s))
    worst = 0
    for c in d['charts']:
        unit = {'cpu': 100, 'read': 1e9, 'write': 1e9, 'energy': 1}
        vals = [t * unit[c['id']] / cov if c['id'] in unit else t
                for t, cov in zip(c['total'], d['covered_ns']) if t is not None and cov]
        m = max(vals) if vals else 0
        top = float(tops[c['id']])
        if m > 0 and not (m <= top * (1 + 1e-5) and top <= 1.5 * m * (1 + 1e-5)):
            die('%s: largest stack %.6g, axis top %g' % (c['id'], m, top))
        worst = max(worst, top / m if m > 0 else 0)
    print('%d charts, top at most %.2f times the largest stack' % (len(d['charts']), worst))
elif cmd == 'wrapprobe':  # HTML OUT: the page plus a script that counts table values broken over lines
    s = page(sys.argv[2]); nonce = re.search(r"'nonce-([0-9a-f]+)'", s).group(1)
    probe = ('<script nonce="%s">var n=0,w=[];document.querySelectorAll(".tbl td.n,.tbl td.t").forEach(function(td){'
             'var r=document.createRange();r.selectNodeContents(td);var ys={};'
             'Array.prototype.forEach.call(r.getClientRects(),function(q){if(q.width>0)ys[Math.round(q.bottom)]=1;});'
             'n++;if(Object.keys(ys).length>1)w.push(td.textContent);});'
             'document.body.setAttribute("data-wrap",n+"|"+w.join(";"));</script></body>' % nonce)
    open(sys.argv[3], 'w', encoding='utf-8').write(s.replace('</body>', probe))
elif cmd == 'wrapped':  # DUMP: no table value was broken over two lines
    m = re.search(r'<body[^>]* data-wrap="([^"]*)"', page(sys.argv[2]))
    if not m:
        die('the probe did not run')
    n, w = m.group(1).split('|', 1)
    if int(n) < 10 or w:
        die('%s of %s cells broken: %s' % (len([x for x in w.split(';') if x]), n, w[:120]))
    print('%s cells, each on one line' % n)
elif cmd == 'system':  # DUMP DB DOMAINS...: the power and GPU lines Chromium shows equal SQL over the points
    import sqlite3, html as H
    s = page(sys.argv[2]); db = sqlite3.connect('file:%s?mode=ro' % sys.argv[3], uri=True)
    doms = sys.argv[4:]
    d = blob(s, 'ph-data'); sysd = d.get('system', {})
    leg = re.search(r'<ul class="legend" id="legend-power">(.*?)</ul>', s, re.S)
    if not re.search(r'<section class="chart" id="chart-power">', s) or not leg:
        die('no power chart in the DOM')
    shown = re.findall(r'<li data-line="([a-z]+)">', leg.group(1))
    if shown != doms:
        die('power legend %s, expected %s' % (shown, doms))
    if 'gpu' not in sysd or not re.search(r'<section class="chart" id="chart-gpu">', s):
        die('no GPU busy chart')
    lines = {l['name']: l['v'] for l in sysd['power']['lines']}
    busy = sysd['gpu']['lines'][0]['v']
    checked = nulls = 0
    for i in range(len(d['t0'])):
        a, b = d['t0'][i] * 1000000, d['t1'][i] * 1000000
        row = db.execute('SELECT count(*), sum(interval_ns), %s, sum(gpu_busy_ns), sum(gpu_covered_ns) FROM sample'
                         ' WHERE ts_ns > ? AND ts_ns <= ?' % ', '.join('sum(energy_%s_nj)' % x for x in doms),
                         (a, b)).fetchone()
        n, cov, e, gb, gc = row[0], row[1], row[2:2 + len(doms)], row[-2], row[-1]
        for k, x in enumerate(doms):
            want = None if not n or e[k] is None or not cov else e[k] / cov
            got = lines[x][i]
            if (want is None) != (got is None) or (want is not None and abs(want - got) > 1e-6 * max(1, want)):
                die('%s point %d: page %s W, SQL %s W' % (x, i, got, want))
            checked += want is not None; nulls += want is None
        want = None if not n or gb is None or not gc else 100.0 * gb / gc
        if (want is None) != (busy[i] is None) or (want is not None and abs(want - busy[i]) > 1e-6 * max(1, want)):
            die('GPU busy point %d: page %s, SQL %s' % (i, busy[i], want))
    for x, i0, i1 in re.findall(r'<path class="line" data-chart="power" data-line="([a-z]+)" data-i0="(\d+)" data-i1="(\d+)"', s):
        if any(lines[x][i] is None for i in range(int(i0), int(i1) + 1)):
            die('%s: a line drawn across a gap (%s..%s)' % (x, i0, i1))
    if not nulls:
        die('no gap in the power lines to check')
    print('%d values equal SQL, %d empty points' % (checked, nulls))
elif cmd == 'nosys':  # DUMP: no system charts, and the one-line note
    s = page(sys.argv[2])
    if 'id="chart-power"' in s or 'id="chart-gpu"' in s:
        die('a system chart without system data')
    m = re.search(r'<p class="dim" id="nosys">(.*?)</p>', s, re.S)
    if not m:
        die('no note that power and GPU were not recorded')
    print(re.sub('<[^>]+>', '', m.group(1))[:60])
elif cmd == 'tip':  # DUMP NEED...: the hover showed the moment's top processes, names as text
    import html as H
    s = page(sys.argv[2])
    m = re.search(r'<body[^>]* data-tip="([^"]*)"', s)
    if not m:
        die('the hover script did not run')
    tip = H.unescape(m.group(1))
    if not tip.startswith('block|') or 'Top processes at that moment' not in tip:
        die('no tooltip with the top processes: %r' % tip[:200])
    for need in sys.argv[3:]:
        if need not in tip:
            die('not in the tooltip: %r (%r)' % (need, tip[:300]))
    if re.search(r'<img|<b>', s) or 'PWNED' in re.search(r'<title>(.*?)</title>', s, re.S).group(1):
        die('markup from a name in the DOM after hovering')
    print(tip[6:50])
EOF
py() { python3 "$TMP/check.py" "$@" >"$TMP/py.out" 2>&1; }

# hover NAME HTML NEED...: move the mouse over the first chart in Chromium.
hover() {
    _n=$1 _h=$2
    shift 2
    [ -n "$CHROME" ] || return 0
    py probe "$_h" "$TMP/$_n-probe.html" "${SEL:-svg.plot}"
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TMP/chrome" \
        --window-size=1280,2000 --virtual-time-budget=2000 --dump-dom "file://$TMP/$_n-probe.html" \
        >"$TMP/$_n-probe.dom" 2>/dev/null
    if py tip "$TMP/$_n-probe.dom" "$@"; then ok "report: $_n hover lists the moment's top processes ($(cat "$TMP/py.out"))"
    else fail "report: $_n hover lists the moment's top processes" "$(cat "$TMP/py.out")"; fi
}

# shot HTML NAME: render in Chromium; the screenshot and the DOM land beside.
shot() {
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$TMP/chrome" --window-size=1280,2000 --screenshot="$TMP/$2.png" "file://$1" \
        >"$TMP/$2.chrome" 2>&1 &&
        timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TMP/chrome" \
            --virtual-time-budget=2000 --dump-dom "file://$1" >"$TMP/$2.dom" 2>>"$TMP/$2.chrome"
}
browser() { # NAME HTML MIN_COLOURS NEED...
    _n=$1 _h=$2 _c=$3
    shift 3
    if [ -z "$CHROME" ]; then
        skip "report: $_n in Chromium" "chromium not installed (scripts/deps.sh installs it)"
        return
    fi
    if ! shot "$_h" "$_n"; then
        fail "report: $_n renders in Chromium" "$(tail -3 "$TMP/$_n.chrome")"
        return
    fi
    if py png "$TMP/$_n.png" "$_c"; then ok "report: $_n screenshot is not blank ($(cat "$TMP/py.out"))"; else
        fail "report: $_n screenshot is not blank" "$(cat "$TMP/py.out")"; fi
    if py dom "$TMP/$_n.dom" "$@"; then ok "report: $_n DOM holds the charts and names as text ($(cat "$TMP/py.out"))"
    else fail "report: $_n DOM holds the charts and names as text" "$(cat "$TMP/py.out")"; fi
}

# 1. A generated history, a window answered by the minute tier.
db="$TMP/gen.db"
"$GEN" "$db" --hours 8 --alive 40 --busy 6 --churn 0.3 --seed 11 --start 1795132800 >/dev/null
W="--db $db --utc --since 2026-11-20T01:00Z --until 2026-11-20T07:00Z"
if "$PROCHIST" report $W -o "$TMP/gen.html" 2>"$TMP/err"; then ok "report: generated 6 h window writes a page"; else
    fail "report: generated 6 h window writes a page" "$(cat "$TMP/err")"; fi
# A window under a minute says its length in seconds (it read "(0 min)").
"$PROCHIST" report --db "$db" --utc --since 2026-11-20T01:00:00Z --until 2026-11-20T01:00:30Z -o "$TMP/short.html" 2>/dev/null
check "report: a 30 s window is '(30 s)' long" grep -q "(30 s)" "$TMP/short.html"
"$PROCHIST" top $W --format json -n 100000 >"$TMP/top.json"
if py totals "$TMP/gen.html" "$TMP/top.json"; then ok "report: totals equal top --format json ($(cat "$TMP/py.out"))"
else fail "report: totals equal top --format json" "$(cat "$TMP/py.out")"; fi
if py bands "$TMP/gen.html" sums; then ok "report: bands + other = total at every point, points add up to the window ($(cat "$TMP/py.out"))"
else fail "report: bands + other = total at every point, points add up to the window" "$(cat "$TMP/py.out")"; fi
browser generated "$TMP/gen.html" 40 app29 "Memory peaks"
# The axes' tops: a round value just above the largest stack (steps of 1,
# 2, 2.5 and 5 alone gave 400% for a stack of 213.5%, 400 KiB/s for 243).
if py axis "$TMP/gen.html"; then ok "report: each axis tops its largest stack by at most half ($(cat "$TMP/py.out"))"
else fail "report: each axis tops its largest stack by at most half" "$(cat "$TMP/py.out")"; fi
# A narrow window squeezes the tables: a size ("22.0 MiB") or a time
# ("2026-11-20 03:10:00Z") stays on one line, never split before its unit.
if [ -n "$CHROME" ]; then
    py wrapprobe "$TMP/gen.html" "$TMP/wrap.html"
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TMP/chrome" \
        --window-size=480,2000 --virtual-time-budget=2000 --dump-dom "file://$TMP/wrap.html" >"$TMP/wrap.dom" 2>/dev/null
    if py wrapped "$TMP/wrap.dom"; then ok "report: narrow tables keep sizes and times on one line ($(cat "$TMP/py.out"))"
    else fail "report: narrow tables keep sizes and times on one line" "$(cat "$TMP/py.out")"; fi
else
    skip "report: narrow tables keep sizes and times on one line" "chromium not installed"
fi
hover generated "$TMP/gen.html" app29 "CPU:"
# The whole history in 2-minute points: one pass over the minute rows (the
# raw rows' last minutes, not rolled up yet, asked point by point).
W8="--db $db --utc --since 2026-11-20T00:00Z --until 2026-11-20T08:05Z"
"$PROCHIST" report $W8 -o "$TMP/gen8.html" 2>"$TMP/err"
"$PROCHIST" top $W8 --format json -n 100000 >"$TMP/top8.json"
if py totals "$TMP/gen8.html" "$TMP/top8.json" && py bands "$TMP/gen8.html" sums; then
    ok "report: 2-minute points from the minute rows: totals equal top, points add up ($(cat "$TMP/py.out"))"
else fail "report: 2-minute points from the minute rows: totals equal top, points add up" "$(cat "$TMP/py.out")"; fi

# 1a. --by unit|slice|container|cgroup (the generator gives processes
# units, slices and containers): the page's groups are top --by KEY's, with
# its totals; the bands still add up at every point, and the points to the
# window. A window partly in the raw tier takes the one-pass path.
for k in unit slice container cgroup; do
    if "$PROCHIST" report $W --by $k -o "$TMP/by-$k.html" 2>"$TMP/err"; then
        ok "report: --by $k writes a page"
    else fail "report: --by $k writes a page" "$(cat "$TMP/err")"; fi
    "$PROCHIST" top $W --by $k --format json -n 100000 >"$TMP/top-$k.json"
    if py totals "$TMP/by-$k.html" "$TMP/top-$k.json" && py bands "$TMP/by-$k.html" sums; then
        ok "report: --by $k totals equal top --by $k --format json, bands add up ($(cat "$TMP/py.out"))"
    else fail "report: --by $k totals equal top --by $k --format json, bands add up" "$(cat "$TMP/py.out")"; fi
done
R="--db $db --utc --since 2026-11-20T06:10Z --until 2026-11-20T07:55Z"
"$PROCHIST" report $R --by unit -o "$TMP/by-raw.html" 2>"$TMP/err"
"$PROCHIST" top $R --by unit --format json -n 100000 >"$TMP/top-raw.json"
tiers=$(jq -r '[.tiers[].tier] | unique | join(",")' "$TMP/top-raw.json")
if py totals "$TMP/by-raw.html" "$TMP/top-raw.json" && py bands "$TMP/by-raw.html" sums; then
    ok "report: --by unit over $tiers rows equals top --by unit ($(cat "$TMP/py.out"))"
else fail "report: --by unit over $tiers rows equals top --by unit" "$(cat "$TMP/py.out")"; fi
top_unit=$(jq -r '.rows[0].unit' "$TMP/top-unit.json")
browser unit "$TMP/by-unit.html" 40 "Top units by CPU" "Unit" "grouped by unit" "$top_unit" "(no unit)"
# A group's memory is a moment's, as an app's: its processes' memory added
# at one time, with when and whose growth reached it (it was their peaks
# added over the window, "55.4 GiB" where the chart stacked 10 GiB).
check "report: --by unit gives the group's memory peak its moment and who reached it" \
    sh -c 'grep -q "Largest memory: .*</strong> ([^)]* at " "$1" && grep -q "Reached by" "$1" && ! grep -qi "peaks added" "$1"' \
    sh "$TMP/by-unit.html"
hover unit "$TMP/by-unit.html" "CPU:"
capture "$PROCHIST" report $W --by process -o "$TMP/x.html"
check "report: --by process is one usage line, exit 2" \
    [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "app, unit, slice, container or cgroup" "$TMP/err"

# 1b. System lines: a generated history with power (package, core, dram as
# RAPL gives them, a GPU with busy %), a 20-minute hole cut into it. The
# page's watts and busy % per point equal SQL over the raw samples of each
# point; the hole is empty; a page without power says so in one line.
pdb="$TMP/power.db"
"$GEN" "$pdb" --hours 4 --alive 40 --busy 6 --churn 0.3 --seed 12 --start 1795132800 --power >/dev/null
a=1795140000000000000 b=1795141200000000000
sqlite3 "$pdb" "
DELETE FROM proc_sample WHERE sample IN (SELECT sample FROM sample WHERE ts_ns > $a AND ts_ns <= $b);
DELETE FROM sample WHERE ts_ns > $a AND ts_ns <= $b;
DELETE FROM proc_minute WHERE bucket_ns >= $a AND bucket_ns < $b;
DELETE FROM app_minute WHERE bucket_ns >= $a AND bucket_ns < $b;
DELETE FROM sample_minute WHERE bucket_ns >= $a AND bucket_ns < $b;"
P="--db $pdb --utc --since 2026-11-20T01:00Z --until 2026-11-20T04:00Z"
if "$PROCHIST" report $P -o "$TMP/power.html" 2>"$TMP/err"; then ok "report: a history with power writes a page"; else
    fail "report: a history with power writes a page" "$(cat "$TMP/err")"; fi
if [ -z "$CHROME" ]; then
    skip "report: power and GPU lines in Chromium equal SQL" "chromium not installed (scripts/deps.sh installs it)"
elif shot "$TMP/power.html" power && py system "$TMP/power.dom" "$pdb" package core dram gpu; then
    ok "report: power and GPU lines in Chromium equal SQL ($(cat "$TMP/py.out"))"
else fail "report: power and GPU lines in Chromium equal SQL" "$(cat "$TMP/py.out")"; fi
browser power "$TMP/power.html" 40 "System power" "GPU busy" package dram
SEL='svg[data-chart=power]' hover power "$TMP/power.html" package " W"
if [ -n "$CHROME" ]; then
    if py nosys "$TMP/generated.dom"; then ok "report: without power, no system chart and a one-line note ($(cat "$TMP/py.out"))"
    else fail "report: without power, no system chart and a one-line note" "$(cat "$TMP/py.out")"; fi
fi

# 2. A window with a gap: the recorder "stopped" 02:00-03:00.
cp "$db" "$TMP/gap.db"
a=1795136400000000000 b=1795140000000000000
sqlite3 "$TMP/gap.db" "
DELETE FROM proc_sample WHERE sample IN (SELECT sample FROM sample WHERE ts_ns > $a AND ts_ns <= $b);
DELETE FROM sample WHERE ts_ns > $a AND ts_ns <= $b;
DELETE FROM proc_minute WHERE bucket_ns >= $a AND bucket_ns < $b;
DELETE FROM app_minute WHERE bucket_ns >= $a AND bucket_ns < $b;
DELETE FROM sample_minute WHERE bucket_ns >= $a AND bucket_ns < $b;"
G="--db $TMP/gap.db --utc --since 2026-11-20T01:00Z --until 2026-11-20T04:00Z"
"$PROCHIST" report $G -o "$TMP/gap.html" 2>"$TMP/err"
"$PROCHIST" top $G --format json -n 100000 >"$TMP/top-gap.json"
if py gap "$TMP/gap.html" $((a / 1000000)) $((b / 1000000)); then ok "report: a gap stays empty ($(cat "$TMP/py.out"))"
else fail "report: a gap stays empty" "$(cat "$TMP/py.out")"; fi
if py bands "$TMP/gap.html" && py totals "$TMP/gap.html" "$TMP/top-gap.json"; then
    ok "report: with a gap, no band crosses it and totals equal top"
else fail "report: with a gap, no band crosses it and totals equal top" "$(cat "$TMP/py.out")"; fi
browser gap "$TMP/gap.html" 40 "no data"

# 3. An empty window: a valid page that says so, and exit status 1 (as top).
"$PROCHIST" report --db "$db" --utc --since 2026-11-10T00:00Z --until 2026-11-11T00:00Z -o "$TMP/empty.html" 2>"$TMP/err"
rc=$?
if [ $rc = 1 ] && grep -q 'id="nodata"' "$TMP/empty.html" && grep -q "no samples between" "$TMP/err" &&
    grep -q '</html>' "$TMP/empty.html"; then
    ok "report: an empty window writes a page saying so and exits 1"
else fail "report: an empty window writes a page saying so and exits 1" "rc=$rc $(cat "$TMP/err")"; fi
browser empty "$TMP/empty.html" 3 "No data in this window"

# 4. Bad input: one line, status 2; nothing half-written.
"$PROCHIST" report --db "$db" --since bogus -o "$TMP/bad.html" 2>"$TMP/err"
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && [ ! -e "$TMP/bad.html" ]; then ok "report: a bad --since is a usage error"
else fail "report: a bad --since is a usage error" "rc=$rc $(cat "$TMP/err")"; fi
"$PROCHIST" report --db "$db" --utc --since 2026-11-20T01:00Z -o "$TMP/no/such/dir.html" 2>"$TMP/err"
rc=$?
if [ $rc = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ]; then ok "report: an unwritable -o fails with one line"
else fail "report: an unwritable -o fails with one line" "rc=$rc $(cat "$TMP/err")"; fi
# What -o names and is not a file (/dev/null, /dev/stdout, a FIFO) is written
# into, never renamed over (as root that replaced /dev/null with a file).
mkfifo "$TMP/fifo"
timeout 120 cat "$TMP/fifo" >"$TMP/fifo.out" &
reader=$!
"$PROCHIST" report --db "$db" --utc --since 2026-11-20T01:00Z -o "$TMP/fifo" 2>"$TMP/err"
rc=$?
# The reader ends at the writer's close: waited for, not killed (killed, a
# reader slowed by a busy machine lost the page it had not copied yet).
[ $rc = 0 ] || kill $reader 2>/dev/null
wait $reader
check "report: -o a FIFO writes the page into it (rc $rc) and leaves it a FIFO" \
    sh -c '[ -p "$1" ] && grep -q "</html>" "$2"' sh "$TMP/fifo" "$TMP/fifo.out"
mkdir "$TMP/adir"
"$PROCHIST" report --db "$db" --utc --since 2026-11-20T01:00Z -o "$TMP/adir" 2>"$TMP/err"
rc=$?
check "report: -o a directory fails with one line ($(cat "$TMP/err"))" [ $rc = 1 -a "$(wc -l <"$TMP/err")" = 1 ]

# 5. Hostile names: markup, quotes, </svg>, </script>, <!--, an RTL override,
# U+2028, invalid UTF-8, planted into the process and rollup tables.
cp "$db" "$TMP/evil.db"
sqlite3 "$TMP/evil.db" "
UPDATE process SET name = '<script>document.title=''PWNED''</script>', app = '<script>document.title=''PWNED''</script>' WHERE app = 'app29';
UPDATE app_minute SET app = '<script>document.title=''PWNED''</script>' WHERE app = 'app29';
UPDATE process SET name = '\"><img src=x onerror=\"document.title=''PWNED''\">', app = '\"><img src=x onerror=\"document.title=''PWNED''\">' WHERE app = 'app23';
UPDATE app_minute SET app = '\"><img src=x onerror=\"document.title=''PWNED''\">' WHERE app = 'app23';
UPDATE process SET name = '</svg></script><!--<b>x', app = '</svg></script><!--<b>x' WHERE app = 'app14';
UPDATE app_minute SET app = '</svg></script><!--<b>x' WHERE app = 'app14';
UPDATE process SET name = 'evil' || char(8238) || 'fdp.exe' || char(8232), app = 'evil' || char(8238) || 'fdp.exe' || char(8232) WHERE app = 'app34';
UPDATE app_minute SET app = 'evil' || char(8238) || 'fdp.exe' || char(8232) WHERE app = 'app34';
UPDATE process SET name = CAST(X'626164FF6279C0AF' AS TEXT), app = CAST(X'626164FF6279C0AF' AS TEXT) WHERE app = 'app33';
UPDATE app_minute SET app = CAST(X'626164FF6279C0AF' AS TEXT) WHERE app = 'app33';"
E="--db $TMP/evil.db --utc --since 2026-11-20T01:00Z --until 2026-11-20T07:00Z"
"$PROCHIST" report $E -o "$TMP/evil.html" 2>"$TMP/err"
"$PROCHIST" top $E --format json -n 100000 >"$TMP/top-evil.json"
if grep -q '<script>document' "$TMP/evil.html" || grep -q '<img' "$TMP/evil.html" || grep -q '<b>x' "$TMP/evil.html" ||
    grep -q '</svg></script>' "$TMP/evil.html" || ! grep -q '&lt;script&gt;document.title=&#39;PWNED&#39;' "$TMP/evil.html"; then
    fail "report: hostile names are escaped in the HTML" "$(grep -o '.\{20\}PWNED.\{20\}' "$TMP/evil.html" | head -3)"
else ok "report: hostile names are escaped in the HTML"; fi
if py bands "$TMP/evil.html"; then ok "report: the embedded JSON still parses with hostile names"
else fail "report: the embedded JSON still parses with hostile names" "$(cat "$TMP/py.out")"; fi
browser hostile "$TMP/evil.html" 40 "<script>document.title='PWNED'</script>" \
    "\"><img src=x onerror=\"document.title='PWNED'\">" "</svg></script><!--<b>x" "evil[U+202E]fdp.exe" \
    "bad$(printf '\357\277\275')by$(printf '\357\277\275\357\277\275')"
hover hostile "$TMP/evil.html" "<script>document.title='PWNED'</script>"

# 6. A live recording of this machine.
need_linux "report: live recording" "the Linux collector"
live="$TMP/live.db"
"$PROCHIST" record --db "$live" --interval 0.2 --count 25 --quiet &
rec=$!
"$HELPERS/spin" 1500 &
wait $rec
wait
L="--db $live --since 10m"
"$PROCHIST" report $L --utc -o "$TMP/live.html" 2>"$TMP/err"
rc=$?
"$PROCHIST" top $L --utc --format json -n 100000 >"$TMP/top-live.json"
if [ $rc = 0 ] && py totals "$TMP/live.html" "$TMP/top-live.json"; then
    ok "report: live recording totals equal top ($(cat "$TMP/py.out"))"
else fail "report: live recording totals equal top" "rc=$rc $(cat "$TMP/err") $(cat "$TMP/py.out")"; fi
if py bands "$TMP/live.html" sums; then ok "report: live recording bands sum to the total"
else fail "report: live recording bands sum to the total" "$(cat "$TMP/py.out")"; fi
# The page must show the window's top app as text. Not a fixed name such as
# the spinner's: beside another suite (or any busy machine) other apps can
# outspend it and push it out of the charts.
top_app=$(jq -r '.rows[0].name // empty' "$TMP/top-live.json")
browser live "$TMP/live.html" 20 "${top_app:-(top --format json named no app)}"
