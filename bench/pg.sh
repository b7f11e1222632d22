# Sourced by the bench scripts that run PostgreSQL beside credo: a
# throwaway cluster in $work/pg (unix socket there, fsync on, defaults),
# removed with $work on exit. Needs $work set.
#   pgstart    installs Debian's postgresql when missing, starts the cluster,
#              defines psql (as the postgres user when we are root)
#   pgstop     stops it
#   median     the median of the numbers on standard input

pgbin= pgdata=
cleanup() {
  if [ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ]; then
    pgrun "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# pgrun CMD...: run as the postgres user when we are root.
pgrun() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

median() { sort -g | awk '{a[NR]=$1} END{if(NR) print a[int((NR+1)/2)]; else print 0}'; }

pgstart() {
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
    echo "installing PostgreSQL (apt-get install -y postgresql) …" >&2
    apt-get install -y postgresql >/dev/null
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  pgdata=$work/pg/data
  mkdir -p "$work/pg"
  [ "$(id -u)" != 0 ] || chown postgres: "$work/pg"
  port=$(( 20000 + RANDOM % 20000 ))
  pgrun "$pgbin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$work/pg/initdb.log" 2>&1
  pgrun "$pgbin/pg_ctl" -D "$pgdata" -l "$work/pg/log" -w \
    -o "-p $port -k $work/pg -c listen_addresses=''" start >/dev/null
  psql() { pgrun "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$work/pg" -p "$port" -U postgres -d postgres "$@"; }
}

pgstop() { pgrun "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null; }
