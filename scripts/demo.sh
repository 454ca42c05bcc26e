#!/bin/sh
# scripts/demo.sh BUILD_DIR: runs the demo stack (examples/demo.yaml) in the foreground:
# tierd on http://127.0.0.1:8080 and https://localhost:8443 (a self-signed certificate
# made here, by scripts/demo-cert.sh) with the sample app as an auto scaling group behind
# it, the shield on, static files under /static/, and the web console on 127.0.0.1:9000
# with a token made for this run. Ctrl-C stops everything (tierd stops its instances
# itself).
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p logs run state
scripts/demo-cert.sh state/demo-tls || exit 1

for port in 8080 8443 9000 3307; do
    if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
        echo "demo: port $port is already in use on 127.0.0.1; stop what listens there first" >&2
        exit 1
    fi
done

# The console's token: new every run, kept in a file only its owner can read (never a
# fixed secret in the repository), and handed to tierd in its environment.
token_file=run/console-token
umask 077
rm -f "$token_file"
TIERD_DEMO_TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
if [ ${#TIERD_DEMO_TOKEN} -ne 48 ]; then
    echo "demo: could not read 24 random bytes from /dev/urandom" >&2
    exit 1
fi
printf '%s\n' "$TIERD_DEMO_TOKEN" > "$token_file"
# The database's app password (set again at every start) and the backup repository's
# password (kept across runs: it opens state/demo-backups).
DEMO_DB_PASSWORD=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$DEMO_DB_PASSWORD" > run/demo-db-password
[ -s run/demo-restic.pass ] || od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > run/demo-restic.pass
umask 022
export TIERD_DEMO_TOKEN DEMO_DB_PASSWORD
if [ "$B" != build ]; then
    echo "demo: the demo stack runs build/app; build it with make first" >&2
fi

"$B/tierd" run examples/demo.yaml 2>&1 & tierd_pid=$!
cleanup() {
    trap - INT TERM EXIT
    kill "$tierd_pid" 2>/dev/null
    wait "$tierd_pid" 2>/dev/null
    echo
    rm -f "$token_file" run/demo-db-password
    echo "demo stopped; the access log is in logs/access.log, instance logs in state/logs/"
}
trap cleanup INT TERM EXIT

i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/health)" = 200 ]; do
    i=$((i + 1))
    if [ $i -gt 150 ] || ! kill -0 $tierd_pid 2>/dev/null; then
        echo "demo: tierd did not come up; see the lines above" >&2
        exit 1
    fi
    sleep 0.1
done

# The database: one backup now, then a verify that restores it into a scratch server (the
# daily window is 03:00 UTC); the result is printed when it is known.
(
    i=0
    until "$B/tierd" db status --socket run/tierd.sock 2>/dev/null | grep -q '^demo .* running'; do
        i=$((i + 1)); [ $i -gt 600 ] && exit 0; sleep 0.2
    done
    if "$B/tierd" db backup demo --socket run/tierd.sock >/dev/null 2>&1 &&
       "$B/tierd" db verify demo --socket run/tierd.sock >/dev/null 2>&1; then
        echo "demo: database demo: a backup was taken and verified by restoring it ($B/tierd db backups demo)"
    else
        echo "demo: database demo: backup or verify failed; see $B/tierd db backups demo" >&2
    fi
) &

cat <<TXT

  tierd is running on http://127.0.0.1:8080 and https://localhost:8443 with two app
  instances behind it.

  Console: http://127.0.0.1:9000/   token: $TIERD_DEMO_TOKEN
           (also in $token_file, mode 0600; from another machine: ssh -L 9000:127.0.0.1:9000)
           Watch "Auto scaling groups" during the load below, "Shield" during the scan.

  In another terminal:

    curl --cacert state/demo-tls/cert.pem https://localhost:8443/headers
                                                # over TLS 1.3: X-Forwarded-Proto: https
    openssl s_client -connect 127.0.0.1:8443 -servername localhost </dev/null | head -20
    curl http://127.0.0.1:8080/                 # answered by one instance, then the other
    curl http://127.0.0.1:8080/headers          # what the app sees: X-Forwarded-For, Via, X-Request-Id
    curl http://127.0.0.1:8080/static/          # a static file, served by tierd itself
    $B/tierd status; $B/tierd targets; $B/tierd instances

    wrk -t2 -c8 -d40s 'http://127.0.0.1:8080/work?ms=20'   # CPU load: watch the group scale out
    watch -n1 $B/tierd instances                           # ... and back in a minute after

    for i in \$(seq 60); do curl -s -o /dev/null --interface 127.0.0.66 \\
        http://127.0.0.1:8080/probe-\$i; done                # a path scan from 127.0.0.66
    $B/tierd bans                                          # it is banned; 127.0.0.1 is not

    curl -i -H 'Transfer-Encoding: chunked' -H 'Content-Length: 5' --data-binary hello \\
         http://127.0.0.1:8080/echo            # a smuggling attempt (CL.TE): 400, closed
    kill -HUP $tierd_pid                          # reload examples/demo.yaml (edit it first)
    tail -f logs/access.log                     # nginx "combined" format
    $B/tierd alarms; cat logs/alarms.jsonl      # the CPU alarm and its SNS-shaped messages
    curl -s --unix-socket run/tierd.sock http://x/metrics | head   # Prometheus exposition

    $B/tierd db status                          # the managed MariaDB on 127.0.0.1:3307
    MYSQL_PWD=\$(cat run/demo-db-password) mariadb -h 127.0.0.1 -P 3307 -u app shop \\
        -e 'CREATE TABLE t (i INT); INSERT INTO t VALUES (1)'   # the app's password, 0600
    $B/tierd db backups demo                    # backups, binlogs, the verify result
    $B/tierd db restore demo --latest --as copy # point-in-time restore into a new database

  WebSocket echo: ws://127.0.0.1:8080/ws      Press Ctrl-C to stop.

  The certificate is self-signed (state/demo-tls/, made at start). For a real domain, see
  the comment at the https listener in examples/demo.yaml and docs/tls.md: an acme: block
  with your domain, port 443, and a port-80 listener that redirects.

TXT
wait $tierd_pid
