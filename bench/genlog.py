#!/usr/bin/python3
"""A realistic access log with known attackers and known heavy-but-legitimate users.

    /usr/bin/python3 bench/genlog.py --lines 1000000 --seed 1 --out build/genlog/access.log \
        [--format combined|combined_host|json] [--truth build/genlog/truth.json]

Deterministic for a given seed and line count. The log spans --hours (default 8) from
--start. Who is in it:

  background   thousands of visitors from many networks: pages, assets, a few 404s
  attackers    ffuf (default UA) and a gobuster-like brute force with a browser UA,
               a nikto scan (scanner UA, sensitive files, traversal), three addresses of one
               /24 probing sensitive files together, a vhost fuzzer (Host: FUZZ.example.com, browser UA,
               answered 200 by the default server: only visible in combined_host and json),
               a low-and-slow admin-panel scanner (one probe every 1-2 minutes), two credential stuffers (POST /login
               answered 401, POST /api/login answered 422), a request flood (~80 req/s)
  legit heavy  a NAT'd office (40 users behind one address, favicon 404s, the odd broken
               link and mistyped password), a search-engine crawler at a steady rate with
               Googlebot's UA and a few 404s, health checkers hitting /health every 5 s

The ground truth (--truth, default next to --out) lists both groups:
  {"seed": 1, "lines": N, "attackers": {"ip": "kind"}, "legit_heavy": {"ip": "kind"}}
"""

import argparse
import calendar
import json
import os
import random
import sys
import time

SITE = "shop.example.com"
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.43 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Safari/537.36 Edg/119.0.2151.97",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1",
]
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
FFUF = "Fuzz Faster U Fool v2.1.0-dev"
NIKTO = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:{:06d})"
HEALTH_UAS = ["ELB-HealthChecker/2.0", "kube-probe/1.28", "Consul Health Check"]

PAGES = ["/", "/products", "/cart", "/about", "/contact", "/search", "/blog", "/account",
         "/checkout", "/help", "/faq", "/shipping", "/returns", "/careers"]
ASSETS = ["/static/app.css", "/static/app.js", "/static/vendor.js", "/static/logo.png",
          "/static/hero.webp", "/static/fonts/inter.woff2", "/static/icons.svg"]
WORDS = ["admin", "backup", "config", "test", "old", "dev", "api", "v1", "v2", "login", "upload",
         "uploads", "files", "data", "db", "sql", "tmp", "temp", "private", "secret", "debug",
         "console", "dashboard", "panel", "manage", "server", "status", "info", "include",
         "includes", "lib", "src", "vendor", "node_modules", "assets", "images", "img", "js",
         "css", "docs", "download", "downloads", "export", "import", "logs", "log", "cache",
         "cron", "cgi", "bin", "shell", "cmd", "exec", "system", "user", "users", "account",
         "accounts", "auth", "oauth", "token", "session", "sessions", "web", "www", "site",
         "portal", "home", "index", "main", "default", "public", "storage", "media", "static"]
# What fail2ban's nginx-botsearch knows (botsearch-common.conf): some wordlists hold them.
BOTSEARCH = ["phpmyadmin", "pma", "myadmin", "mysqladmin", "wp-login.php", "cgi-bin/test.cgi",
             "roundcube", "webmail", "horde", "mail"]
SENSITIVE = ["/.env", "/.env.local", "/.env.prod", "/.git/config", "/.git/HEAD", "/.svn/entries",
             "/.htpasswd", "/.htaccess", "/backup.sql", "/db.sql.gz", "/wp-config.php.bak",
             "/.aws/credentials", "/.ssh/id_rsa", "/.bash_history", "/phpinfo.php",
             "/server-status", "/.DS_Store", "/config.php.bak", "/composer.json",
             "/storage/logs/laravel.log", "/_ignition/execute-solution",
             "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/.docker/config.json",
             "/debug.log", "/secrets.yml", "/.vscode/sftp.json"]
NIKTO_EXTRA = ["/cgi-bin/test-cgi", "/cgi-bin/php.cgi", "/phpmyadmin/", "/pma/", "/admin/",
               "/wp-admin/", "/manager/html", "/wp-login.php",
               "/index.php?page=../../../../etc/passwd", "/?file=..%2f..%2f..%2fetc%2fpasswd",
               "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
               "/item?id=1%20UNION%20SELECT%20NULL,NULL--", "/shell.php", "/c99.php", "/r57.php"]


class Gen:
    def __init__(self, rng, start, seconds):
        self.rng = rng
        self.start = start
        self.seconds = seconds
        self.events = []            # (t_ms, ip, method, target, status, size, ua, host, referer)

    def add(self, t, ip, method, target, status, size, ua, host=SITE, referer="-"):
        if 0 <= t < self.seconds * 1000:
            self.events.append((int(t), ip, method, target, status, size, ua, host, referer))


def rand_ip(rng, avoid):
    while True:
        a = rng.choice([23, 31, 37, 46, 62, 77, 81, 84, 88, 91, 94, 109, 151, 176, 185, 188,
                        212, 213, 217, 24, 50, 67, 68, 71, 73, 76, 98, 99, 107, 174])
        ip = f"{a}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if ip not in avoid:
            return ip


def page_view(g, t, ip, ua, page, referer, assets=True, missing_favicon=False):
    """A page and what a browser loads with it (cached assets mostly)."""
    rng = g.rng
    status = 200 if rng.random() > 0.004 else 404       # a broken link now and then
    g.add(t, ip, "GET", page, status, rng.randrange(4000, 60000), ua, referer=referer)
    if assets:
        for a in rng.sample(ASSETS, rng.randrange(0, 4)):
            g.add(t + rng.randrange(50, 400), ip, "GET", a, 200, rng.randrange(2000, 200000),
                  ua, referer=f"https://{SITE}{page}")
    if missing_favicon:
        g.add(t + rng.randrange(100, 600), ip, "GET", "/favicon.ico", 404, 153, ua,
              referer=f"https://{SITE}{page}")


def random_page(rng):
    r = rng.random()
    if r < 0.35:
        return f"/products/{rng.randrange(1, 5000)}"
    if r < 0.45:
        return f"/search?q={rng.choice(WORDS)}+{rng.choice(WORDS)}"
    if r < 0.5:
        return f"/blog/{rng.randrange(2015, 2027)}/{rng.choice(WORDS)}-{rng.choice(WORDS)}"
    return rng.choice(PAGES)


def background(g, n_sessions, avoid):
    rng = g.rng
    pool = [rand_ip(rng, avoid) for _ in range(max(50, n_sessions // 3))]
    for _ in range(n_sessions):
        ip = rng.choice(pool)
        ua = rng.choice(BROWSERS)
        t = rng.uniform(0, g.seconds * 1000)
        ref = rng.choice(["https://www.google.com/", "-", "https://duckduckgo.com/", "-"])
        fav = rng.random() < 0.15
        for k in range(rng.randrange(1, 12)):
            page = random_page(rng)
            page_view(g, t, ip, ua, page, ref, assets=True, missing_favicon=fav and k == 0)
            ref = f"https://{SITE}{page}"
            t += rng.uniform(3000, 60000)
        if rng.random() < 0.05:
            g.add(t, ip, "POST", "/login", 302 if rng.random() < 0.8 else 401, 0, ua)


def office(g, ip, users=40):
    """Office users behind one NAT address, 08:00-17:00 of the log's clock."""
    rng = g.rng
    uas = [rng.choice(BROWSERS) for _ in range(users)]
    for u in range(users):
        t = rng.uniform(0, 1800_000)
        ua = uas[u]
        if rng.random() < 0.1:      # a mistyped password, corrected
            g.add(t, ip, "POST", "/login", 401, 0, ua)
            t += rng.uniform(4000, 15000)
        g.add(t, ip, "POST", "/login", 302, 0, ua)
        end = g.seconds * 1000 - rng.uniform(0, 1800_000)
        ref = "-"
        poll = t
        while t < end:
            page = random_page(rng)
            page_view(g, t, ip, ua, page, ref, assets=rng.random() < 0.3,
                      missing_favicon=rng.random() < 0.05)
            ref = f"https://{SITE}{page}"
            t += rng.expovariate(1 / 45000)
            while poll < t:     # the app's notification poll
                g.add(poll, ip, "GET", "/api/notifications", 200, 120, ua, referer=ref)
                poll += 60000


def crawler(g, ip):
    rng = g.rng
    t = rng.uniform(0, 5000)
    while t < g.seconds * 1000:
        r = rng.random()
        if r < 0.03:
            g.add(t, ip, "GET", f"/products/{rng.randrange(5000, 9000)}", 404, 153, GOOGLEBOT)
        elif r < 0.05:
            g.add(t, ip, "GET", "/robots.txt", 200, 68, GOOGLEBOT)
        else:
            g.add(t, ip, "GET", random_page(rng).split("?")[0], 200, rng.randrange(4000, 60000),
                  GOOGLEBOT)
        t += rng.uniform(800, 2200)


def health(g, ip, ua, path="/health"):
    t = g.rng.uniform(0, 5000)
    while t < g.seconds * 1000:
        g.add(t, ip, "GET", path, 200, 2, ua, host="10.0.0.5", referer="-")
        t += 5000


def brute(g, ip, t, n, rate, ua):
    """ffuf / gobuster: every word, with and without extensions, at `rate` per second."""
    rng = g.rng
    words = [w for w in WORDS] + BOTSEARCH
    words += [f"{a}_{b}" for a in WORDS[:40] for b in WORDS[40:]]
    for i in range(n):
        w = words[i % len(words)]
        ext = ["", ".php", ".bak", ".txt", ".html", ".zip"][(i // len(words)) % 6]
        path = f"/{w}{ext}"
        status = 404 if rng.random() > 0.01 else rng.choice([200, 301, 403])
        g.add(t, ip, "GET", path, status, 153, ua)
        t += rng.expovariate(rate) * 1000


def nikto(g, ip, t, n):
    rng = g.rng
    paths = SENSITIVE + NIKTO_EXTRA + [f"/{w}/{rng.choice(WORDS)}.cgi" for w in WORDS]
    for i in range(n):
        p = paths[i % len(paths)]
        g.add(t, ip, rng.choice(["GET", "GET", "HEAD"]), p, 404 if rng.random() > 0.05 else 403,
              153, NIKTO.format(i))
        t += rng.expovariate(8) * 1000


def sensitive_group(g, ip, t, n):
    """One of several addresses of a /24 sharing out a sensitive-file list."""
    rng = g.rng
    ua = rng.choice(BROWSERS)
    for i in range(n):
        g.add(t, ip, "GET", SENSITIVE[(i * 7 + int(ip.rsplit('.', 1)[1])) % len(SENSITIVE)],
              404, 153, ua)
        t += rng.uniform(500, 3000)


def botsearch_slow(g, ip, t, n):
    """A low-and-slow scanner: one admin/webmail probe every one to two minutes."""
    rng = g.rng
    ua = BROWSERS[0]
    for i in range(n):
        g.add(t, ip, "GET", "/" + BOTSEARCH[i % len(BOTSEARCH)] + ("/" if i % 2 else ""), 404,
              153, ua)
        t += rng.uniform(60000, 120000)


def vhost_fuzz(g, ip, t, n):
    """ffuf -H "Host: FUZZ.example.com" with a browser UA; the default server answers 200
    with its placeholder page, so a combined log shows nothing but GET / from one address."""
    rng = g.rng
    ua = BROWSERS[2]
    for i in range(n):
        host = f"{rng.choice(WORDS)}{i if i % 3 == 0 else ''}.example.com"
        g.add(t, ip, "GET", "/", 200, 615, ua, host=host)
        t += rng.expovariate(8) * 1000


def stuffing(g, ip, t, n, rate, path, fail_status, rotate_ua):
    rng = g.rng
    ua = rng.choice(BROWSERS)
    for i in range(n):
        if rotate_ua:
            ua = rng.choice(BROWSERS)
        status = fail_status if rng.random() > 0.01 else 302
        g.add(t, ip, "POST", path, status, 0 if status == 302 else 64, ua,
              referer=f"https://{SITE}/login")
        t += rng.expovariate(rate) * 1000


def flood(g, ip, t, seconds, rate):
    rng = g.rng
    ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    end = t + seconds * 1000
    while t < end:
        g.add(t, ip, "GET", rng.choice(["/", "/search?q=" + str(rng.randrange(10**6)), "/products"]),
              200 if rng.random() > 0.2 else 503, rng.randrange(100, 20000), ua)
        t += rng.expovariate(rate) * 1000


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def clf_escape(s):
    if s == "":
        return "-"
    if '"' in s or "\\" in s:
        s = s.replace("\\", "\\x5C").replace('"', "\\x22")
    return s


def write(events, start, fmt, out):
    cache_sec, cache_clf, cache_iso = None, None, None
    w = out.write
    for (t, ip, method, target, status, size, ua, host, ref) in events:
        sec = start + t // 1000
        if sec != cache_sec:
            tm = time.gmtime(sec)
            cache_sec = sec
            cache_clf = (f"{tm.tm_mday:02d}/{MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:"
                         f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000")
            cache_iso = time.strftime("%Y-%m-%dT%H:%M:%S", tm)
        req = f"{method} {target} HTTP/1.1"
        if fmt == "json":
            w(json.dumps({"time": f"{cache_iso}.{t % 1000:03d}Z", "remote_addr": ip,
                          "request": req, "host": host, "status": status,
                          "body_bytes_sent": size, "request_time": 0.004,
                          "upstream_addr": "10.0.1.7:8080", "listener": "public",
                          "target_group": "web", "request_id": f"{t:x}{size:x}",
                          "referer": "" if ref == "-" else ref, "user_agent": ua},
                         separators=(",", ":")) + "\n")
            continue
        line = (f'{ip} - - [{cache_clf}] "{clf_escape(req)}" {status} {size} '
                f'"{clf_escape(ref)}" "{clf_escape(ua)}"\n')
        w(line if fmt == "combined" else f"{host} {line}")


def generate(lines, seed, hours):
    rng = random.Random(seed)
    seconds = int(hours * 3600)
    g = Gen(rng, 0, seconds)
    at = lambda frac: frac * seconds * 1000     # noqa: E731
    attackers = {
        "45.155.205.17": "path_bruteforce (ffuf)",
        "193.32.162.40": "path_bruteforce (gobuster-like, browser UA)",
        "89.248.165.73": "nikto",
        "141.98.11.21": "sensitive_files (/24 group)",
        "141.98.11.22": "sensitive_files (/24 group)",
        "141.98.11.23": "sensitive_files (/24 group)",
        "62.210.5.9": "botsearch (low and slow, 1 probe per 1-2 min)",
        "185.220.101.5": "vhost_fuzzing",
        "103.145.13.88": "credential_stuffing (/login 401)",
        "5.188.62.140": "credential_stuffing (/api/login 422, rotating UA)",
        "198.18.7.77": "flood",
    }
    legit = {
        "192.0.2.10": "nat_office",
        "66.249.66.1": "crawler (Googlebot UA)",
        "10.0.0.11": "health_checker",
        "10.0.0.12": "health_checker",
        "10.0.0.13": "health_checker",
    }
    avoid = set(attackers) | set(legit)
    brute(g, "45.155.205.17", at(0.10), 6000, 60, FFUF)
    brute(g, "193.32.162.40", at(0.55), 4000, 25, BROWSERS[0])
    nikto(g, "89.248.165.73", at(0.30), 1500)
    for i, ip in enumerate(["141.98.11.21", "141.98.11.22", "141.98.11.23"]):
        sensitive_group(g, ip, at(0.70) + i * 20000, 40)
    botsearch_slow(g, "62.210.5.9", at(0.05), 60)
    vhost_fuzz(g, "185.220.101.5", at(0.40), 2000)
    stuffing(g, "103.145.13.88", at(0.20), 1200, 2.0, "/login", 401, False)
    stuffing(g, "5.188.62.140", at(0.60), 1200, 0.5, "/api/login", 422, True)
    flood(g, "198.18.7.77", at(0.80), 180, 80)
    office(g, "192.0.2.10")
    crawler(g, "66.249.66.1")
    for i, ip in enumerate(["10.0.0.11", "10.0.0.12", "10.0.0.13"]):
        health(g, ip, HEALTH_UAS[i])
    # Fill up to the requested size with ordinary visitors (about 14 lines per session).
    n = max(0, lines - len(g.events))
    while n > 0:
        before = len(g.events)
        background(g, max(1, n // 14), avoid)
        n -= len(g.events) - before
    g.events.sort(key=lambda e: e[0])
    del g.events[lines:]
    return g.events, attackers, legit


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--start", default="2026-11-24T08:00:00Z",
                    help="UTC start of the log (default 2026-11-24T08:00:00Z)")
    ap.add_argument("--format", action="append", choices=["combined", "combined_host", "json"],
                    help="repeatable; with several, --out gets .<format> appended "
                         "(default: combined)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", help="ground truth JSON (default: <out>.truth.json)")
    a = ap.parse_args(argv)
    start = calendar.timegm(time.strptime(a.start, "%Y-%m-%dT%H:%M:%SZ"))
    events, attackers, legit = generate(a.lines, a.seed, a.hours)
    fmts = a.format or ["combined"]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    for fmt in fmts:
        path = a.out if len(fmts) == 1 else f"{a.out}.{fmt}"
        with open(path, "w", buffering=1 << 20) as f:
            write(events, start, fmt, f)
    truth = a.truth or a.out + ".truth.json"
    with open(truth, "w") as f:
        json.dump({"seed": a.seed, "lines": len(events), "start": a.start, "hours": a.hours,
                   "attackers": attackers, "legit_heavy": legit}, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
