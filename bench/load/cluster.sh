#!/bin/bash
# bench/load/cluster.sh MODE N R DUR: one run of a cluster (docs/scaling.md, "Measured").
# MODE: single (no Redis) | one (1 node + Redis) | three (3 nodes + Redis; streams on
# node 2, published on node 1's socket, node 3 receiving every event with no streams).
# Needs redis-server and redis-cli; B=<build dir> (default build), run from the checkout.
# Prints arrival p50/p99 (publish scheduled -> received), deliveries/s, and CPU seconds of
# the daemons and of Redis during the run, plus Redis commands per published event.
MODE=$1; N=$2; R=$3; DUR=$4
B=${B:-build}; BIN=${BIN:-$B/src/ringcastd}; LOAD=${LOAD:-$B/bench/load/ringcast-load}
mkdir -p /tmp/meas; d=$(mktemp -d /tmp/meas/cl.XXXX)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
nodes=1; [ $MODE = three ] && nodes=3
if [ $MODE != single ]; then
  redis-server --port 0 --unixsocket $d/redis.sock --save "" --appendonly no > $d/redis.log 2>&1 &
  rpid=$!
  for i in $(seq 50); do [ -S $d/redis.sock ] && break; sleep 0.1; done
fi
pids=(); ports=()
for n in $(seq $nodes); do
  port=$((20000 + RANDOM % 12000)); ports+=($port)
  printf '[publish]\napi_keys = ["k"]\n' > $d/c$n.toml
  [ $MODE != single ] && printf '[cluster]\nredis = "unix://%s/redis.sock"\n' $d >> $d/c$n.toml
  $BIN --http 127.0.0.1:$port --shards 2 --data-dir $d/data$n --config $d/c$n.toml --log-level warn > $d/d$n.log 2>&1 &
  pids+=($!)
done
for p in ${ports[@]}; do for i in $(seq 100); do curl -s -o /dev/null 127.0.0.1:$p/healthz/ready -H 'X-API-Key: k' -w '%{http_code}' | grep -q 200 && break; sleep 0.1; done; done
sub=${ports[0]}; pubsock=$d/data1/ringcast.sock
[ $MODE = three ] && sub=${ports[1]}
[ -n "$rpid" ] && redis-cli -s $d/redis.sock CONFIG RESETSTAT > /dev/null
c0=0; for p in ${pids[@]}; do c0=$((c0 + $(cpu $p))); done; r0=0; [ -n "$rpid" ] && r0=$(cpu $rpid)
$LOAD --target 127.0.0.1:$sub --api-key k --publish-unix $pubsock --json -q -n $N -r $R -p 256 -d $DUR -w 2 --arrival > $d/out.json 2> $d/err.txt
c1=0; for p in ${pids[@]}; do c1=$((c1 + $(cpu $p))); done; r1=0; [ -n "$rpid" ] && r1=$(cpu $rpid)
cmds=""; [ -n "$rpid" ] && cmds=$(redis-cli -s $d/redis.sock INFO commandstats | tr -d '\r' | grep -E "^cmdstat_(evalsha|publish|xrange|eval|ping):" | sed 's/usec_per_call=//;s/,rejected.*//' | tr '\n' ' ')
for p in ${pids[@]}; do kill $p; done; wait ${pids[@]} 2>/dev/null; [ -n "$rpid" ] && kill $rpid
python3 - $d/out.json "$MODE n=$N r=$R" $(( (c1-c0) )) $(( r1-r0 )) "$cmds" <<'PY'
import json,sys
try: r=json.load(open(sys.argv[1]))
except Exception as e: print(sys.argv[2], "FAILED", e); sys.exit()
g=r.get
print(f"{sys.argv[2]:18s} ok={g('ok')} p50={g('arrival_p50_us')} p99={g('arrival_p99_us')} us deliv/s={g('deliveries_per_s')} daemons_cpu={int(sys.argv[3])/100:.2f}s redis_cpu={int(sys.argv[4])/100:.2f}s | {sys.argv[5]}")
PY
rm -rf $d
