#!/bin/sh
# scripts/demo.sh BUILD_DIR: runs the demo stack in the foreground: two sample app
# instances and tierd in front (examples/demo.yaml). Ctrl-C stops everything.
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p logs

for port in 8080 9001 9002; do
    if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
        echo "demo: port $port is already in use on 127.0.0.1; stop what listens there first" >&2
        exit 1
    fi
done

pids=""
cleanup() {
    trap - INT TERM EXIT
    [ -n "$pids" ] && kill $pids 2>/dev/null
    wait 2>/dev/null
    echo
    echo "demo stopped; the access log is in logs/access.log"
}
trap cleanup INT TERM EXIT

"$B/app" --listen 127.0.0.1:9001 --name app-1 >logs/app-1.log 2>&1 & pids="$pids $!"
"$B/app" --listen 127.0.0.1:9002 --name app-2 >logs/app-2.log 2>&1 & pids="$pids $!"
"$B/tierd" run examples/demo.yaml 2>&1 & tierd_pid=$!; pids="$pids $tierd_pid"

i=0
until curl -s -o /dev/null http://127.0.0.1:8080/health 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 50 ] || ! kill -0 $tierd_pid 2>/dev/null; then
        echo "demo: tierd did not come up; see the lines above" >&2
        exit 1
    fi
    sleep 0.1
done

cat <<TXT

  tierd is running in front of two app instances. Try, in another terminal:

    curl http://127.0.0.1:8080/                 # answered by app-1, then app-2 (round robin)
    curl http://127.0.0.1:8080/headers          # what the app receives: X-Forwarded-For, Via, X-Request-Id
    curl -H 'X-Canary: 1' http://127.0.0.1:8080/ # routed by a header rule
    curl 'http://127.0.0.1:8080/work?ms=50'     # 50 ms of CPU in the app
    wrk -t2 -c50 -d5s http://127.0.0.1:8080/    # load (apt-get install wrk)
    curl -i -H 'Transfer-Encoding: chunked' -H 'Content-Length: 5' --data-binary hello \\
         http://127.0.0.1:8080/echo            # a smuggling attempt (CL.TE): 400, closed
    kill -HUP $tierd_pid                          # reload examples/demo.yaml (edit it first)
    tail -f logs/access.log                     # nginx "combined" format

  WebSocket echo: ws://127.0.0.1:8080/ws      Press Ctrl-C to stop.

TXT
wait $tierd_pid
