#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks: no service, no container, no fixed port.
#   tools/db/throwaway-postgres.sh start DIR   creates a cluster in DIR (which must not exist), starts it on a free
#                                              loopback port and prints its connection string
#   tools/db/throwaway-postgres.sh stop DIR    stops it (then delete DIR)
# PostgreSQL refuses to run as root; as root the cluster runs as the postgres user Debian's package creates.
# Durability is off (fsync, full pages): the cluster lives as long as one test run, and no test crashes the server.
set -euo pipefail
command=${1:?start or stop}
dir=${2:?a directory for the cluster}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL's server is not installed (apt-get install postgresql)" >&2; exit 1; }
as=()
if [ "$(id -u)" -eq 0 ]; then
  as=(runuser -u postgres --)
fi

case "$command" in
  start)
    mkdir -p "$dir"
    [ ${#as[@]} -eq 0 ] || chown postgres: "$dir"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      port=$(( (RANDOM << 15 | RANDOM) % 40000 + 20000 ))
      if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" >/dev/null; then
        echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    [ -d "$dir/data" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
