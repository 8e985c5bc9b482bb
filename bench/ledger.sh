#!/usr/bin/env bash
# The team ledger against the embedded one, on one machine:
#   1. ingest throughput: `tally ingest` (Native AOT, as released) of the same generated Claude Code
#      corpus into a fresh SQLite ledger and into a fresh PostgreSQL database (whole process,
#      median of RUNS);
#   2. write rate and `summary` latency over CALLS synthetic calls inserted through the ledger
#      contract (bench/Tally.Bench.Ledger), with the two ledgers' totals checked against each other.
#
#   bench/ledger.sh [SIZE] [CALLS]     SIZE of the corpus (default 300MB), CALLS (default 1000000)
#
# Environment knobs:
#   TALLY_BENCH_POSTGRES=url   use this server (a database the script may create tables in; it must
#                              be empty) instead of starting a throwaway one with initdb/pg_ctl
#   TALLY_BIN=path             time this tally binary instead of publishing src/Tally.Cli (Native AOT)
#   RUNS=N                     runs of each measurement (default 3)
#   SEED=N                     corpus seed (default 1)
set -euo pipefail

SIZE="${1:-300MB}"
CALLS="${2:-1000000}"
RUNS="${RUNS:-3}"
SEED="${SEED:-1}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/tally-ledger-bench.XXXXXX")"
chmod 755 "$work"
server_pid_dir=""
cleanup() {
  if [[ -n "$server_pid_dir" ]]; then as_pg "$pg_bin/pg_ctl" stop -D "$server_pid_dir" -m immediate -w >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# ---- a PostgreSQL server --------------------------------------------------------------------
as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [[ -n "${TALLY_BENCH_POSTGRES:-}" ]]; then
  base_url="$TALLY_BENCH_POSTGRES"
  say "postgres: using $(sed -E 's#(://[^:@/]*):[^@]*@#\1@#' <<<"$base_url")"
  new_db() { printf '%s' "$base_url"; }
else
  pg_bin=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")")
  [[ -x "$pg_bin/initdb" && -x "$pg_bin/pg_ctl" ]] || die "PostgreSQL server binaries not found: apt-get install postgresql, or set TALLY_BENCH_POSTGRES."
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$work/pg"; [[ "$(id -u)" == 0 ]] && chown postgres "$work/pg"
  as_pg "$pg_bin/initdb" -D "$work/pg/data" -U tally -A trust -E UTF8 --locale=C >/dev/null
  # Durable settings (fsync on), as a real team server runs; shared_buffers sized for a million calls.
  as_pg "$pg_bin/pg_ctl" start -D "$work/pg/data" -w -l "$work/pg/server.log" \
    -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB" >/dev/null
  server_pid_dir="$work/pg/data"
  say "postgres: $("$pg_bin/postgres" --version) on 127.0.0.1:$port (throwaway, in $work/pg)"
  # Called in $(...) subshells, so the name cannot come from a counter.
  new_db() { local name="bench_$(date +%s%N)"; "$pg_bin/psql" -q -h 127.0.0.1 -p "$port" -U tally -d postgres -c "CREATE DATABASE $name" >/dev/null; printf 'postgres://tally@127.0.0.1:%s/%s' "$port" "$name"; }
fi

# ---- builds ---------------------------------------------------------------------------------
# tally as a release ships it (Native AOT, as bench/run.sh times it), else a Release JIT build.
if [[ -n "${TALLY_BIN:-}" ]]; then
  tally=("$TALLY_BIN")
else
  rid=$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')
  say "publishing tally (Release, Native AOT for $rid)..."
  if dotnet publish "$repo/src/Tally.Cli" -c Release -r "$rid" -p:PublishAot=true -o "$work/tally" -nologo -v q >"$work/build.log" 2>&1; then
    tally=("$work/tally/tally")
  else
    say "Native AOT publish failed (see $work/build.log); timing a Release JIT build instead."
    dotnet build "$repo/src/Tally.Cli" -c Release -nologo -v q -o "$work/tally-jit" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "tally did not build."; }
    tally=(dotnet "$work/tally-jit/tally.dll")
  fi
fi
say "building the ledger bench (Release)..."
dotnet build "$here/Tally.Bench.Ledger" -c Release -nologo -v q -o "$work/bench" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "the ledger bench did not build."; }

# ---- 1. ingest throughput on the same corpus ------------------------------------------------
corpus="$here/out/claude-$(printf '%s' "$SIZE" | tr '[:lower:]' '[:upper:]')-seed$SEED"
if [[ ! -f "$corpus/expected.json" ]]; then
  say "corpus: generating $SIZE into $corpus ..."
  dotnet run -c Release --project "$here/Tally.Bench.Corpus" -- --out "$corpus" --size "$SIZE" --seed "$SEED" >&2
fi
isolated=(env -u CLAUDE_CONFIG_DIR -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u CODEX_HOME -u OPENCODE_DATA_DIR -u TALLY_LEDGER HOME="$corpus")
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
time_ingest() { # ledger-location-or-empty
  local t0 t1 home="$work/home-$RANDOM"
  mkdir -p "$home"
  t0=$(date +%s%N)
  if [[ -n "$1" ]]; then "${isolated[@]}" TALLY_HOME="$home" "${tally[@]}" ingest --ledger "$1" >/dev/null 2>"$work/ingest.err" || { cat "$work/ingest.err" >&2; return 1; }
  else "${isolated[@]}" TALLY_HOME="$home" "${tally[@]}" ingest >/dev/null 2>"$work/ingest.err" || { cat "$work/ingest.err" >&2; return 1; }; fi
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}
calls_in_corpus=$(node -e 'console.log(require(process.argv[1]).totals.calls)' "$corpus/expected.json" 2>/dev/null || echo "?")
say "timing: tally ingest of $SIZE ($calls_in_corpus calls) into SQLite and into PostgreSQL, x$RUNS each"
sqlite_s=(); pg_s=()
for ((i = 0; i < RUNS; i++)); do
  sqlite_s+=("$(time_ingest "")") || die "tally ingest into SQLite failed."
  db=$(new_db) || die "could not create a database."
  pg_s+=("$(time_ingest "$db")") || die "tally ingest into PostgreSQL failed."
done
s_med=$(printf '%s\n' "${sqlite_s[@]}" | median); p_med=$(printf '%s\n' "${pg_s[@]}" | median)
echo "ingest of $SIZE ($calls_in_corpus calls), median of $RUNS:"
awk -v s="$s_med" -v p="$p_med" -v c="$calls_in_corpus" 'BEGIN {
  printf "  SQLite      %7.2f s  %9.0f calls/s\n", s, (c == "?" ? 0 : c / s)
  printf "  PostgreSQL  %7.2f s  %9.0f calls/s\n", p, (c == "?" ? 0 : c / p)
  printf "  PostgreSQL / SQLite time: %.2fx (target: within 2x) %s\n", p / s, (p / s <= 2 ? "PASS" : "FAIL") }'

# ---- 2. write rate and summary latency over CALLS calls ---------------------------------------
say "timing: $CALLS synthetic calls through the ledger contract, then the summary x$RUNS"
db=$(new_db) || die "could not create a database."
dotnet "$work/bench/tally-bench-ledger.dll" --calls "$CALLS" --runs "$RUNS" --ledger "$work/contract.db" --ledger "$db"
