#!/usr/bin/env bash
# Runs the project's load scenarios against ringcastd and naive-sse, one after
# the other, each server started fresh for each scenario (memory figures need
# a fresh heap) and stopped by its PID afterwards.
#
#   bench/load/scenarios.sh [-b BUILD_DIR] [-o OUT_DIR] [-p] SCENARIO...
#     smoke  1000 connections, 100 events/s, 5 s
#     idle   10000 idle connections held 35 s (one heartbeat each)
#     fan    10000 connections, 10 events/s, 256 B, 20 s
#     rate   1000 connections, 150 events/s, 256 B, 20 s
#     fan-arrival  fan, also measuring arrival at the sockets (--arrival)
#     peak   1000 connections, 800 events/s, 4 publishers x 64 in flight, 10 s
#   Publishing over the Unix socket (ringcastd only; 64 B events, 2M of them,
#   each publisher connection pipelining up to 4096):
#     pub-none    as fast as one connection is acknowledged, no subscriber
#     pub-one     the same, one subscriber receiving every event
#     pub-none-8  8 publisher connections, no subscriber
#     pub-one-8   8 publisher connections at 400k/s in total, one subscriber
#     pub-latency 100 subscribers, 1000 events/s for 10 s, published over HTTP
#                 and then over the socket (publish -> receive, side by side)
#     alerts-connect  10000 streams connecting to the alerts channel with no alert,
#                 then with 20 active alerts (ringcastd only)
#     alerts-fan  10000 streams on the alerts channel: an alert changed 10 times a
#                 second (--alerts), then a plain broadcast of the same size
#     alerts-fan-5  the same with the streams in 5 audiences (--audiences 5: stream
#                 tokens, and an alert per audience), so that each change gives 5
#                 distinct lists; the broadcast goes to the same streams
#   History, persistence and resume (ringcastd only; docs/performance.md):
#     keeps-10    fan (10000 connections, 10 events/s, 256 B, 20 s), every event
#                 persistent, history, cache and store on (the built-in defaults)
#     bare-10     the same events, history, cache and store off
#     keeps-rate, bare-rate  the same with rate's 1000 connections at 150 events/s
#     keeps-peak, bare-peak  the same with peak's 1000 connections asking 800/s
#     resume      10000 connections resuming at once, 100 events each to replay
#   HTTP/2 (ringcastd only):
#     h2-100      100 HTTP/1.1 connections, then 100 streams over one h2c
#                 connection (--h2 100), each on a fresh daemon: 100 events/s,
#                 256 B, 20 s (deliveries/s, p99, CPU per delivery side by side)
#   Run keeps-X and bare-X alternately, round after round, and compare medians.
#   -p  run in a session of its own weighted above other sessions (see
#       docs/load-generator.md, "Reading the figures on a small machine")
#
# Every server start gets a data directory of its own (a store left by an
# earlier daemon would be restored: history and cached events from before).
# The servers listen on 127.0.0.1:$RINGCAST_LOAD_PORT (18080) and the port after.
# Each run's table goes to stdout and its JSON to OUT_DIR/SCENARIO-SERVER.json.
# Exit status: non-zero if any run failed.
set -euo pipefail

build=build
out=load-results
priority=0
while getopts "b:o:p" opt; do
    case $opt in
        b) build=$OPTARG ;;
        o) out=$OPTARG ;;
        p) priority=1 ;;
        *) sed -n '2,41p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '2,41p' "$0"; exit 2; }

if [ "$priority" = 1 ] && [ -z "${RINGCAST_LOAD_SESSION:-}" ]; then
    RINGCAST_LOAD_SESSION=1 exec setsid -w bash -c \
        'echo -10 > /proc/self/autogroup 2>/dev/null || true; exec "$0" "$@"' "$0" \
        -b "$build" -o "$out" "$@"
fi

load=$build/bench/load/ringcast-load
daemon=$build/src/ringcastd
naive=$build/bench/naive/naive-sse
for f in "$load" "$daemon" "$naive"; do
    [ -x "$f" ] || { echo "scenarios.sh: $f is missing; build first (ninja -C $build)" >&2; exit 2; }
done
mkdir -p "$out"
data_dir=$(mktemp -d /tmp/ringcast-load.XXXXXX)
# HTTP publishing and stats need credentials: one API key for the generator.
api_key=bench-$$-$RANDOM
printf '[publish]\napi_keys = ["%s"]\n' "$api_key" > "$data_dir/bench.toml"
# The same with everything the log keeps switched off: no history, no cache of
# persistent events, no store.
cp "$data_dir/bench.toml" "$data_dir/bare.toml"
printf '[history]\nmax_events = 0\n[cache]\nmax_events = 0\n[store]\npath = ""\n' >> "$data_dir/bare.toml"
export RINGCAST_API_KEY=$api_key
port=${RINGCAST_LOAD_PORT:-18080}
daemon_addr=127.0.0.1:$port
naive_addr=127.0.0.1:$((port + 1))
pids=()
failed=0
starts=0

stop_servers() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
trap 'stop_servers; rm -rf "$data_dir"' EXIT

start_servers() {  # start_servers [CONFIG] (bench.toml by default)
    local config=${1:-bench.toml}
    starts=$((starts + 1))
    local dir=$data_dir/daemon-$starts
    mkdir -p "$dir"
    socket=$dir/ringcast.sock
    "$daemon" --config "$data_dir/$config" --http $daemon_addr --data-dir "$dir" \
        --shards 2 --log-level warn &
    pids+=($!)
    "$naive" --http $naive_addr 2>/dev/null &
    pids+=($!)
    # Both listen within milliseconds; give them a bounded moment.
    for _ in $(seq 50); do
        if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null &&
            (exec 3<>/dev/tcp/127.0.0.1/$((port + 1))) 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "scenarios.sh: the servers did not start listening" >&2
    exit 1
}

run() {  # run NAME SERVER ADDR ARGS...
    local name=$1 server=$2 addr=$3
    shift 3
    echo "=== $name: $server ($*)"
    if timeout 600 "$load" --target "$addr" --label "$server" -q --json "$@" >"$out/$name-$server.json"; then
        :
    else
        failed=1
    fi
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [print(f"  {k}: {d[k]}") for k in sys.argv[2:] if k in d]' \
        "$out/$name-$server.json" ok connect_time_s rss_per_connection_bytes deliveries_per_s \
        latency_p50_us latency_p99_us latency_p999_us latency_max_us arrival_p50_us arrival_p99_us \
        protocol stream_connections lost duplicates out_of_order publish_via ack_p50_us ack_p99_us \
        cpu_per_delivery_us achieved_rate daemon_cores generator_cores other_cores \
        burst_time_s replayed_per_s replay_p50_us replay_p99_us catchup_resumes catchup_gaps \
        catchup_replayed burst_daemon_cpu_s history_events cache_events store_written \
        warnings errors \
        2>/dev/null || cat "$out/$name-$server.json"
}

max=(-r 2000000)  # more than one core can acknowledge: the achieved rate is the figure
for scenario in "$@"; do
    naive_too=1
    config=bench.toml
    # The socket of the daemon about to start (start_servers sets it again).
    socket=$data_dir/daemon-$((starts + 1))/ringcast.sock
    flood=(-p 64 --events 2000000 -w 0 --pipeline 4096 --publish-unix "$socket")
    case $scenario in
        smoke) args=(-n 1000 -r 100 -d 5 -w 1) ;;
        idle) args=(-n 10000 --idle 35) ;;
        fan) args=(-n 10000 -r 10 -p 256 -d 20 -w 2) ;;
        rate) args=(-n 1000 -r 150 -p 256 -d 20 -w 2) ;;
        fan-arrival) args=(-n 10000 -r 10 -p 256 -d 20 -w 2 --arrival) ;;
        peak) args=(-n 1000 -r 800 -p 256 -d 10 -w 1 --publishers 4 --pipeline 64) ;;
        pub-none) args=(-n 0 "${max[@]}" "${flood[@]}"); naive_too=0 ;;
        pub-one) args=(-n 1 "${max[@]}" "${flood[@]}"); naive_too=0 ;;
        pub-none-8) args=(-n 0 --publishers 8 "${max[@]}" "${flood[@]}"); naive_too=0 ;;
        pub-one-8) args=(-n 1 --publishers 8 -r 400000 "${flood[@]}"); naive_too=0 ;;
        keeps-10) args=(-n 10000 -r 10 -p 256 -d 20 -w 2 --persistent); naive_too=0 ;;
        bare-10) args=(-n 10000 -r 10 -p 256 -d 20 -w 2 --persistent); naive_too=0; config=bare.toml ;;
        keeps-rate) args=(-n 1000 -r 150 -p 256 -d 20 -w 2 --persistent); naive_too=0 ;;
        bare-rate) args=(-n 1000 -r 150 -p 256 -d 20 -w 2 --persistent); naive_too=0; config=bare.toml ;;
        keeps-peak) args=(-n 1000 -r 800 -p 256 -d 10 -w 1 --publishers 4 --pipeline 64 --persistent)
            naive_too=0 ;;
        bare-peak) args=(-n 1000 -r 800 -p 256 -d 10 -w 1 --publishers 4 --pipeline 64 --persistent)
            naive_too=0; config=bare.toml ;;
        resume) args=(-n 10000 --resume-burst 100 -p 256); naive_too=0 ;;
        pub-latency)
            start_servers
            run pub-latency-http ringcastd $daemon_addr -n 100 -r 1000 -d 10 -w 1
            run pub-latency-unix ringcastd $daemon_addr -n 100 -r 1000 -d 10 -w 1 --publish-unix "$socket"
            stop_servers
            continue ;;
        h2-100)
            for proto in h1 h2; do
                start_servers
                if [ "$proto" = h1 ]; then
                    run h2-100-h1 ringcastd $daemon_addr -n 100 -r 100 -p 256 -d 20 -w 2
                else
                    run h2-100-h2 ringcastd $daemon_addr -n 100 -r 100 -p 256 -d 20 -w 2 --h2 100
                fi
                stop_servers
            done
            continue ;;
        alerts-fan)
            # 10k streams on the alerts channel: one alert changed 10 times a second
            # (each change: `alert` and `alerts-update`, whose data is 467 B with a
            # 256 B payload in its metadata), then a plain broadcast of 467 B events.
            for kind in alerts plain; do
                start_servers
                if [ "$kind" = alerts ]; then
                    run alerts-fan-alerts ringcastd $daemon_addr -n 10000 -r 10 -p 256 -d 20 -w 2 --alerts --pipeline 1
                else
                    run alerts-fan-plain ringcastd $daemon_addr -n 10000 -r 10 -p 467 -d 20 -w 2 --channel alerts --pipeline 1
                fi
                stop_servers
            done
            continue ;;
        alerts-fan-5)
            # As alerts-fan, the streams in 5 audiences: each change gives 5 lists of
            # two alerts (the changed one and the audience's own; data 708 B), and
            # the broadcast is of 708 B events to the same streams.
            for kind in alerts plain; do
                start_servers
                if [ "$kind" = alerts ]; then
                    run alerts-fan-5-alerts ringcastd $daemon_addr -n 10000 -r 10 -p 256 -d 20 -w 2 --alerts --audiences 5 --pipeline 1
                else
                    run alerts-fan-5-plain ringcastd $daemon_addr -n 10000 -r 10 -p 708 -d 20 -w 2 --channel alerts --audiences 5 --pipeline 1
                fi
                stop_servers
            done
            continue ;;
        alerts-connect)
            # 10k streams connect to the alerts channel with no alert, then with 20
            # (each stream's `alerts` event then carries all 20), alternating.
            for n in 0 20; do
                start_servers
                for i in $(seq "$n"); do
                    curl -sf -o /dev/null -X POST -H "X-API-Key: $api_key" \
                        "http://$daemon_addr/api/alerts" \
                        -d "{\"title\":\"Alert $i of the load test\",\"message\":\"A message of moderate length, as a banner has one.\",\"alert_type\":\"warning\",\"priority\":$((i % 10))}" ||
                        { echo "scenarios.sh: creating alert $i failed" >&2; failed=1; }
                done
                run "alerts-connect-$n" ringcastd $daemon_addr -n 10000 --channel alerts --idle 1
                stop_servers
            done
            continue ;;
        *) echo "scenarios.sh: unknown scenario '$scenario'" >&2; exit 2 ;;
    esac
    start_servers "$config"
    run "$scenario" ringcastd $daemon_addr "${args[@]}"
    [ "$naive_too" = 0 ] || run "$scenario" naive-sse $naive_addr "${args[@]}"
    stop_servers
done
exit $failed
