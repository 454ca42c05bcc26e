"""
tests/e2e/watch/watchkit.py: helpers for the watch scenarios: a webhook receiver that
verifies and records every SNS-shaped delivery (and can be closed or refuse with 503), a
tiny SMTP sink, the control routes (GET /v1/alarms, GET /metrics) over the unix socket,
the CLI, stack-file pieces for alarms and topics, and a strict Prometheus text parser.
"""
import hashlib
import hmac
import http.server
import json
import math
import os
import re
import socketserver
import subprocess
import threading
import time

from harness import TIERD, control_request, free_port, wait_for

SECRET = "e2e-hook-secret"
CONTROL = "state_dir: ${dir}/state\ncontrol: { socket: ${dir}/tierd.sock }\n"

# An alarm on a metric no source reports (shield_blocked_requests): its state is decided by
# treat_missing_data alone, at the evaluation done when the alarm is created.
NO_DATA_ALARM = ("  {name}:\n"
                 "    metric: shield_blocked_requests\n"
                 "    statistic: sum\n"
                 "    period: 10s\n"
                 "    comparison: greater_than_threshold\n"
                 "    threshold: 0\n"
                 "    treat_missing_data: {missing}\n"
                 "    alarm_actions: [{topic}]\n"
                 "    ok_actions: [{topic}]\n")


def no_data_alarm(name, missing="breaching", topic="ops"):
    """An alarm that goes to ALARM (missing: breaching) or OK (not_breaching) at start."""
    return NO_DATA_ALARM.format(name=name, missing=missing, topic=topic)


def listener_stack(target, alarms="", topics="", extra=""):
    """One listener on ${listen} forwarding to `target`, plus alarms/topics and CONTROL."""
    text = ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
            "      - forward: web\n"
            f"target_groups:\n  web:\n    targets: [{target}]\n")
    if alarms:
        text += "alarms:\n" + alarms
    if topics:
        text += "topics:\n" + topics
    return text + extra + CONTROL


def webhook_topic(url, name="ops", secret=SECRET):
    return (f"  {name}:\n    subscriptions:\n      - webhook: {url}\n"
            + (f"        secret: {secret}\n" if secret else ""))


# ---------------------------------------------------------------- control socket and CLI

def sock_path(t):
    return os.path.join(t.subst["dir"], "tierd.sock")     # ${dir}: a restart may reuse one


def api_raw(t, method, path):
    """(status, headers dict (lower-case names), body bytes) over the control socket."""
    return control_request(sock_path(t), method, path)


def api(t, path):
    st, _, body = api_raw(t, "GET", path)
    doc = json.loads(body)
    assert st == 200, (st, doc)
    return doc


def alarms(t):
    """{name: alarm} from GET /v1/alarms."""
    return {a["name"]: a for a in api(t, "/v1/alarms")["alarms"]}


def wait_state(t, name, state, timeout):
    return wait_for(lambda: alarms(t)[name]["state"] == state and alarms(t)[name], timeout,
                    interval=0.25, what=f"alarm {name} in {state}")


def cli(t, *args, timeout=30):
    return subprocess.run([TIERD, *args, "--socket", sock_path(t)], capture_output=True,
                          text=True, timeout=timeout)


# ---------------------------------------------------------------- webhook receiver

class Delivery:
    """One POST the receiver read: headers, raw body, the status it answered."""

    def __init__(self, headers, body, status, when):
        self.headers = headers          # {lower-case name: value}
        self.body = body
        self.status = status
        self.when = when
        self.doc = json.loads(body)
        self.message = json.loads(self.doc["Message"])

    @property
    def id(self):
        return self.doc["MessageId"]

    @property
    def transition(self):
        m = self.message
        return (m["AlarmName"], m["OldStateValue"], m["NewStateValue"])

    def __repr__(self):
        return f"<Delivery {self.status} {self.id} {self.transition}>"


class Receiver:
    """An HTTP server thread on 127.0.0.1:port recording every POST.

    status:  what it answers (200, or 503 to refuse); change it at any time.
    start(): listen (the port is chosen at construction, so it can stay closed at first).
    """

    def __init__(self, status=200, secret=SECRET):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.status = status
        self.secret = secret.encode() if secret else None
        self.deliveries = []
        self.problems = []              # anything not as documented
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    def start(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                status = rec.status
                try:
                    d = Delivery(hdrs, body, status, time.monotonic())
                    rec._check(d)
                except Exception as e:  # noqa: BLE001 - recorded, asserted by the test
                    with rec.lock:
                        rec.problems.append(f"unparsable delivery {body[:300]!r}: {e!r}")
                    d = None
                if d is not None:
                    with rec.lock:
                        rec.deliveries.append(d)
                out = b"ok" if status < 300 else b"busy"
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(out)
                self.close_connection = True

            def log_message(self, *a):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        return self

    def _check(self, d):
        p = []
        want_sig = "sha256=" + hmac.new(self.secret, d.body, hashlib.sha256).hexdigest() \
            if self.secret else None
        got_sig = d.headers.get("x-tierd-signature")
        if want_sig and (got_sig is None or not hmac.compare_digest(want_sig, got_sig)):
            p.append(f"X-Tierd-Signature {got_sig!r}, want {want_sig!r}")
        if d.headers.get("x-amz-sns-message-type") != "Notification":
            p.append(f"x-amz-sns-message-type {d.headers.get('x-amz-sns-message-type')!r}")
        if d.headers.get("x-amz-sns-message-id") != d.doc.get("MessageId"):
            p.append("x-amz-sns-message-id differs from the body's MessageId")
        if d.headers.get("x-amz-sns-topic-arn") != d.doc.get("TopicArn"):
            p.append("x-amz-sns-topic-arn differs from the body's TopicArn")
        if not d.headers.get("content-type", "").startswith("text/plain"):
            p.append(f"Content-Type {d.headers.get('content-type')!r}")
        doc = d.doc
        if doc.get("Type") != "Notification" or doc.get("SignatureVersion") != "1":
            p.append(f"envelope Type/SignatureVersion {doc.get('Type')!r}")
        if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                            r"[0-9a-f]{12}", doc.get("MessageId", "")):
            p.append(f"MessageId {doc.get('MessageId')!r} is not a UUID v4")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc.get("Timestamp", "")):
            p.append(f"Timestamp {doc.get('Timestamp')!r}")
        m = d.message
        want_subject = f'{m.get("NewStateValue")}: "{m.get("AlarmName")}" in tierd'
        if doc.get("Subject") != want_subject:
            p.append(f"Subject {doc.get('Subject')!r}, want {want_subject!r}")
        for k in ("AlarmName", "NewStateValue", "OldStateValue", "NewStateReason",
                  "StateChangeTime", "AlarmArn", "Trigger"):
            if k not in m:
                p.append(f"Message lacks {k}")
        if p:
            with self.lock:
                self.problems.append(f"{d!r}: " + "; ".join(p))

    def acked(self):
        """Deliveries answered with a 2xx, in order."""
        with self.lock:
            return [d for d in self.deliveries if d.status < 300]

    def all(self):
        with self.lock:
            return list(self.deliveries)

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# ---------------------------------------------------------------- SMTP sink

class SmtpSink:
    """A minimal SMTP server thread (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT):
    .mails holds (mail_from, [rcpt], raw message bytes) of every accepted message."""

    def __init__(self):
        self.mails = []
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 30

            def reply(self, line):
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                self.reply("220 sink.test ESMTP e2e")
                mail_from, rcpts = None, []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("latin-1").rstrip("\r\n")
                    verb = cmd[:4].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-sink.test\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
                        self.wfile.flush()
                    elif verb == "HELO":
                        self.reply("250 sink.test")
                    elif verb == "MAIL":
                        mail_from, rcpts = cmd[10:].split(" ")[0].strip("<>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(cmd[8:].split(" ")[0].strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        data = b""
                        while True:
                            dl = self.rfile.readline()
                            if not dl or dl in (b".\r\n", b".\n"):
                                break
                            data += dl[1:] if dl.startswith(b"..") else dl
                        with sink.lock:
                            sink.mails.append((mail_from, rcpts, data))
                        self.reply("250 OK queued")
                    elif verb == "RSET":
                        mail_from, rcpts = None, []
                        self.reply("250 OK")
                    elif verb == "NOOP":
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        return False


# ---------------------------------------------------------------- Prometheus text format

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
_VALUE = r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)"


def _labels(text, where):
    """Parses `a="x",b="y"` (escapes \\\\, \\", \\n only); returns a list of pairs."""
    out, i = [], 0
    while i < len(text):
        m = re.compile(_LABEL + '="').match(text, i)
        assert m, f"{where}: bad label at {text[i:]!r}"
        name = text[i:m.end() - 2]
        i = m.end()
        val = ""
        while True:
            assert i < len(text), f"{where}: unterminated label value"
            c = text[i]
            if c == "\\":
                assert i + 1 < len(text) and text[i + 1] in '\\"n', \
                    f"{where}: bad escape in label value"
                val += {"\\": "\\", '"': '"', "n": "\n"}[text[i + 1]]
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                assert c != "\n", f"{where}: newline in label value"
                val += c
                i += 1
        assert name not in [n for n, _ in out], f"{where}: label {name} twice"
        out.append((name, val))
        if i < len(text):
            assert text[i] == ",", f"{where}: expected ',' at {text[i:]!r}"
            i += 1
            assert i < len(text), f"{where}: trailing comma"   # we do not emit one
    return out


def _num(s):
    return {"+Inf": math.inf, "Inf": math.inf, "-Inf": -math.inf}.get(s) if "Inf" in s \
        else float(s)


def parse_prometheus(text):
    """Strict text exposition format 0.0.4 parser. Returns {family: {"type", "help",
    "samples": [(name, {labels}, value)]}}; raises AssertionError on any deviation:
    HELP/TYPE once per family and before its samples, samples of a family contiguous,
    names and label syntax, counters ending in _total with non-negative values, histograms
    with cumulative monotonic _bucket counts per label set ending at le="+Inf", whose count
    equals _count, and a _sum."""
    assert text.endswith("\n"), "the exposition must end with a newline"
    fams, order, current = {}, [], None
    for no, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {no}: {line!r}"
        assert line == line.strip() and line, f"{where}: empty line or stray whitespace"
        if line.startswith("#"):
            m = re.fullmatch(rf"# (HELP|TYPE) ({_NAME}) (.*)", line)
            if not m:
                assert not line.startswith(("# HELP", "# TYPE")), f"{where}: malformed"
                continue                    # a plain comment
            kind, name, rest = m.groups()
            f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
            if name not in order:
                order.append(name)
            assert not f["samples"], f"{where}: {kind} after the family's samples"
            if kind == "HELP":
                assert f["help"] is None, f"{where}: second HELP"
                assert re.fullmatch(r"(?:[^\\]|\\\\|\\n)*", rest), f"{where}: bad escape"
                f["help"] = rest
            else:
                assert f["type"] is None, f"{where}: second TYPE"
                assert rest in ("counter", "gauge", "histogram", "summary", "untyped"), where
                f["type"] = rest
            current = name
            continue
        m = re.fullmatch(rf"({_NAME})(?:\{{(.*)\}})? ({_VALUE})(?: (-?\d+))?", line)
        assert m, f"{where}: not `name{{labels}} value [timestamp]`"
        sname, ltext, value = m.group(1), m.group(2), m.group(3)
        labels = _labels(ltext, where) if ltext else []
        fam = sname
        if sname not in fams:
            for suf in ("_bucket", "_sum", "_count"):
                if sname.endswith(suf) and sname[:-len(suf)] in fams:
                    fam = sname[:-len(suf)]
        assert fam in fams, f"{where}: sample without a TYPE line"
        assert fam == current, f"{where}: samples of {fam} are not contiguous"
        f = fams[fam]
        assert f["type"] is not None, f"{where}: sample before TYPE"
        if f["type"] == "histogram":
            assert sname != fam, f"{where}: a histogram's sample must be _bucket/_sum/_count"
        else:
            assert sname == fam, f"{where}: {f['type']} sample named {sname}"
        f["samples"].append((sname, dict(labels), _num(value), labels))
    for name, f in fams.items():
        assert f["type"], f"{name}: HELP without TYPE"
        if f["type"] == "counter":
            assert name.endswith("_total"), f"counter {name} does not end in _total"
            for s in f["samples"]:
                assert s[2] >= 0 and not math.isnan(s[2]), f"{name}: counter value {s[2]}"
        if f["type"] == "histogram":
            _check_histogram(name, f["samples"])
        seen = set()
        for s in f["samples"]:
            key = (s[0], tuple(sorted(s[1].items())))
            assert key not in seen, f"{name}: sample {key} twice"
            seen.add(key)
    return {n: {"type": f["type"], "help": f["help"],
                "samples": [(s[0], s[1], s[2]) for s in f["samples"]]} for n, f in fams.items()}


def _check_histogram(name, samples):
    groups = {}
    for sname, labels, value, raw in samples:
        base = tuple((k, v) for k, v in raw if k != "le")
        g = groups.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sname == name + "_bucket":
            assert "le" in labels, f"{name}_bucket{dict(base)} without le"
            assert raw[-1][0] == "le", f"{name}_bucket{dict(base)}: le is not the last label"
            g["buckets"].append((_num(labels["le"]), value, labels["le"]))
        elif sname == name + "_sum":
            assert "le" not in labels and g["sum"] is None, f"{name}_sum{dict(base)}"
            g["sum"] = value
        else:
            assert "le" not in labels and g["count"] is None, f"{name}_count{dict(base)}"
            g["count"] = value
    for base, g in groups.items():
        where = f"{name}{dict(base)}"
        b = g["buckets"]
        assert b, f"{where}: no buckets"
        assert b[-1][2] == "+Inf", f"{where}: the last bucket is le={b[-1][2]!r}, not +Inf"
        les = [x[0] for x in b]
        assert les == sorted(les) and len(set(les)) == len(les), f"{where}: le not increasing"
        counts = [x[1] for x in b]
        assert all(c >= 0 and c == int(c) for c in counts), f"{where}: bucket counts {counts}"
        assert counts == sorted(counts), f"{where}: buckets not cumulative: {counts}"
        assert g["count"] is not None and g["sum"] is not None, f"{where}: _count or _sum missing"
        assert g["count"] == counts[-1], f"{where}: _count {g['count']} != +Inf {counts[-1]}"
        assert g["sum"] >= 0, f"{where}: _sum {g['sum']}"


# ---------------------------------------------------------------- an auto scaling group

APP_CMD = '[{app}, --listen, "127.0.0.1:$${{PORT}}", --name, "$${{INSTANCE_ID}}"]'


def asg_stack(app, alarms="", topics="", size=1):
    """The listener forwards to target group "web", filled by the auto scaling group "web"
    of `size` build/app instances (no scaling policies), plus alarms, topics and CONTROL."""
    text = ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
            "      - forward: web\n"
            "target_groups:\n  web:\n"
            "    health_check: { path: /health, interval: 5s, timeout: 2s, "
            "healthy_threshold: 2 }\n"
            "    deregistration_delay: 1s\n"
            "launch_templates:\n  app:\n"
            f"    command: {APP_CMD.format(app=app)}\n"
            "    stop_timeout: 5s\n"
            "auto_scaling_groups:\n  web:\n    launch_template: app\n    target_group: web\n"
            f"    min_size: {size}\n    max_size: {size}\n"
            "    health_check_type: elb\n    health_check_grace_period: 30s\n"
            "    default_instance_warmup: 0s\n")
    if alarms:
        text += "alarms:\n" + alarms
    if topics:
        text += "topics:\n" + topics
    return text + CONTROL


class CpuLoad:
    """GET /work?ms=N through the listener in `threads` threads until the block ends."""

    def __init__(self, url, threads=2):
        self.url, self.threads = url, threads
        self.stop_ev = threading.Event()
        self.ok = self.failed = 0
        self.workers = []

    def _run(self):
        from harness import get
        while not self.stop_ev.is_set():
            try:
                st = get(self.url, timeout=15).status
            except OSError:
                st = 0
            if st == 200:
                self.ok += 1
            else:
                self.failed += 1
                time.sleep(0.1)

    def __enter__(self):
        for _ in range(self.threads):
            th = threading.Thread(target=self._run, daemon=True)
            th.start()
            self.workers.append(th)
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        for th in self.workers:
            th.join(30)
        return False
