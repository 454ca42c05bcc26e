"""A real PHP-FPM (Debian's php8.2-fpm) for the FastCGI tests: its own pool file on a free
loopback port, a document root with the scripts below, and a directory outside that root
with a PHP file that must never run. The scripts are tiny and say what PHP saw."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import can_connect, current_logs, free_port, temp_paths, _live

FPM = "/usr/sbin/php-fpm8.2"

SCRIPTS = {
    # The front controller: what Laravel's public/index.php is to tierd. /up is its health
    # route; it fails while the file "down" exists next to the root.
    "index.php": r"""<?php
$pool = getenv('POOL') ?: 'a';
if ($_SERVER['REQUEST_URI'] === '/up') {
    if (file_exists(__DIR__ . "/../down-$pool")) { http_response_code(503); echo "down"; exit; }
    echo "up"; exit;
}
header('Content-Type: application/json');
$keys = ['SCRIPT_FILENAME', 'SCRIPT_NAME', 'PATH_INFO', 'DOCUMENT_ROOT', 'REQUEST_URI',
         'QUERY_STRING', 'REQUEST_METHOD', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'SERVER_PROTOCOL',
         'SERVER_NAME', 'SERVER_PORT', 'REMOTE_ADDR', 'REMOTE_PORT', 'HTTPS',
         'GATEWAY_INTERFACE', 'REDIRECT_STATUS', 'HTTP_HOST', 'HTTP_X_TEST', 'HTTP_PROXY',
         'HTTP_COOKIE', 'APP_ENV', 'HTTP_USER_AGENT'];
$out = ['front' => true, 'pid' => getmypid(), 'pool' => $pool];
foreach ($keys as $k) { $out[$k] = $_SERVER[$k] ?? null; }
$out['get'] = $_GET;
$out['post'] = $_POST;
echo json_encode($out);
""",
    "info.php": r"""<?php
header('Content-Type: application/json');
echo json_encode(['script' => 'info', 'SCRIPT_NAME' => $_SERVER['SCRIPT_NAME'],
                  'PATH_INFO' => $_SERVER['PATH_INFO'] ?? null,
                  'SCRIPT_FILENAME' => $_SERVER['SCRIPT_FILENAME'], 'get' => $_GET]);
""",
    "status.php": r"""<?php
header('Status: 201 Created');
header('X-From-Php: yes');
setcookie('a', '1');
setcookie('b', '2');
echo "made";
""",
    "redirect.php": r"""<?php
header('Location: /elsewhere');
""",
    "big.php": r"""<?php
$n = (int)($_GET['n'] ?? 0);
$chunk = str_repeat('x', 65536);
while ($n > 0) { $k = min($n, 65536); echo substr($chunk, 0, $k); $n -= $k; flush(); }
""",
    "length.php": r"""<?php
header('Content-Length: 5');
echo "hello";
""",
    "upload.php": r"""<?php
$in = fopen('php://input', 'rb');
$ctx = hash_init('sha256'); $n = 0;
while (!feof($in)) { $b = fread($in, 65536); if ($b === false) break; $n += strlen($b); hash_update($ctx, $b); }
header('Content-Type: application/json');
echo json_encode(['bytes' => $n, 'sha256' => hash_final($ctx),
                  'CONTENT_LENGTH' => $_SERVER['CONTENT_LENGTH'] ?? null]);
""",
    "sleep.php": r"""<?php
echo "started"; flush();
sleep((int)($_GET['s'] ?? 30));
echo "done";
""",
    "hang.php": r"""<?php
sleep(30);
echo "late";
""",
    "stderr.php": r"""<?php
error_log("tierd-test-stderr-line");
echo "logged";
""",
    "sub/page.php": r"""<?php
echo "sub page " . $_SERVER['SCRIPT_NAME'];
""",
    # In the uploads directory: an image that is PHP, the old cgi.fix_pathinfo trick.
    "uploads/evil.jpg": "<?php echo 'PWNED-evil-jpg';\n",
}


class Fpm:
    """php-fpm8.2 in the foreground with one static pool; .root is the document root and
    .outside a directory next to it (with outside.php, and root/link.php pointing there)."""

    def __init__(self, children=3, max_requests=0, name="a", share=None):
        """share: another Fpm whose document root this pool serves too (a second target
        of the same group); name: the pool's POOL environment variable."""
        self.dir = tempfile.mkdtemp(prefix="tierd-fpm-")
        temp_paths.append(self.dir)
        self.share = share
        self.name = name
        base = share.dir if share else self.dir
        self.root = os.path.join(base, "public")
        self.outside = os.path.join(base, "private")
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.children = children
        self.max_requests = max_requests
        self.proc = None
        self.log = os.path.join(self.dir, "fpm.log")

    def _write_tree(self):
        for rel, text in SCRIPTS.items():
            p = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
        os.makedirs(self.outside, exist_ok=True)
        with open(os.path.join(self.outside, "outside.php"), "w") as f:
            f.write("<?php echo 'PWNED-outside';\n")
        os.symlink(os.path.join(self.outside, "outside.php"), os.path.join(self.root, "link.php"))
        os.chmod(self.dir, 0o755)

    def set_down(self, down):
        """Makes this pool's /up answer 503 (or 200 again)."""
        p = os.path.join(os.path.dirname(self.root), f"down-{self.name}")
        if down:
            open(p, "w").close()
        elif os.path.exists(p):
            os.unlink(p)

    def __enter__(self):
        if not self.share:
            self._write_tree()
        root_user = "user = root\ngroup = root\n" if os.getuid() == 0 else ""
        conf = os.path.join(self.dir, "fpm.conf")
        with open(conf, "w") as f:
            f.write(f"""[global]
daemonize = no
error_log = {self.log}
pid = {self.dir}/fpm.pid
[www]
{root_user}listen = {self.addr}
pm = static
pm.max_children = {self.children}
pm.max_requests = {self.max_requests}
clear_env = no
env[POOL] = {self.name}
catch_workers_output = yes
php_admin_flag[log_errors] = on
php_admin_value[output_buffering] = 0
""")
        args = [FPM, "--nodaemonize", "--fpm-config", conf, "-n"]
        if os.getuid() == 0:
            args.append("-R")
        self._out = open(os.path.join(self.dir, "fpm.stdout"), "wb")
        self.proc = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        _live.append(self.proc)
        current_logs.append(("php-fpm log", self.log, self.proc))
        deadline = time.monotonic() + 15
        while not can_connect("127.0.0.1", self.port, timeout=0.5):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("php-fpm did not start:\n" + self.read_log())
            time.sleep(0.05)
        return self

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def workers(self):
        """The pids of the pool's worker processes (children of the master)."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(x) for x in out.stdout.split()]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self.proc in _live:
            _live.remove(self.proc)

    def __exit__(self, *exc):
        self.stop()
        self._out.close()
        return False


def fcgi_stack(fpm, listen_extra="", group_extra="", extra="", params="{ APP_ENV: testing }",
               targets=None):
    """One listener forwarding everything to the FastCGI group php on fpm (or on the pools
    in targets, which share fpm's root)."""
    addrs = ", ".join(p.addr for p in (targets or [fpm]))
    return f"""listeners:
  - name: public
    address: ${{listen}}
{listen_extra}    rules:
      - forward: php
target_groups:
  php:
    protocol: fastcgi
    targets: [{addrs}]
    fastcgi:
      root: {fpm.root}
      index: index.php
      split_path: .php
      params: {params}
{group_extra}{extra}"""
