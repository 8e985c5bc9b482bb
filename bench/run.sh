#!/usr/bin/env bash
# Times Tally against the read floor (cat) and the leading peer (ccusage) on a generated
# Claude Code corpus, and checks every tool's totals against the corpus's ground truth.
#
#   bench/run.sh [SIZE]          SIZE defaults to 1GB (binary units: 300MB, 1GB, 2GB)
#
# Environment knobs:
#   SEED=N           corpus seed (default 1)
#   RUNS=N           repetitions of each cheap command (default 5); COLD_RUNS for Tally cold (default 3)
#   TALLY_BIN=path   use this tally binary instead of publishing src/Tally.Cli
#   SOURCES=mixed    Claude Code + Codex CLI + OpenCode (60/25/15 % of SIZE); default claude
#   SKIP_TALLY=1     measure only cat and ccusage (e.g. to check the corpus against ccusage)
#   BENCH_TMP=dir    where builds, the peer and ledgers go (default: a fresh temp dir, removed at exit)
#   KEEP_TMP=1       keep that temp dir
set -euo pipefail

SIZE="${1:-1GB}"
SEED="${SEED:-1}"
RUNS="${RUNS:-5}"
COLD_RUNS="${COLD_RUNS:-3}"
SOURCES="${SOURCES:-claude}"
CCUSAGE_VERSION="20.0.24"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in dotnet npm node; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required (the .NET SDK, and npm with node)."
done
[[ "$SOURCES" == claude || "$SOURCES" == mixed ]] || die "SOURCES must be claude or mixed, not '$SOURCES'."
[[ "$SIZE" =~ ^[0-9]+(\.[0-9]+)?([KkMmGgTt]([Ii]?[Bb])?)?$ ]] || die "SIZE must look like 300MB or 1GB, not '$SIZE'."

if [[ -n "${BENCH_TMP:-}" ]]; then
  work="$BENCH_TMP"
  mkdir -p "$work"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")"
  if [[ "${KEEP_TMP:-0}" != 1 ]]; then
    trap 'rm -rf "$work"' EXIT
  fi
fi
say "scratch: $work"

now_ns() { date +%s%N; }

# ---- peak memory ------------------------------------------------------------------------
# GNU time reports the peak RSS of the largest process it waited for; without it we poll /proc.
gnu_time=""
if /usr/bin/time -f %M true >/dev/null 2>&1; then
  gnu_time=/usr/bin/time
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  say "installing GNU time (Debian package 'time') for peak-memory figures..."
  if { apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; }; } \
     && /usr/bin/time -f %M true >/dev/null 2>&1; then
    gnu_time=/usr/bin/time
  fi
fi
if [[ -z "$gnu_time" ]]; then
  say "GNU time not found: peak memory comes from polling /proc/<pid>/status (VmHWM) every 10 ms."
fi

# run_measured OUT ERR CMD... : runs CMD with stdout/stderr to files; sets LAST_S, LAST_KB, LAST_RC.
run_measured() {
  local out="$1" err="$2"; shift 2
  local t0 t1 rss_file="$work/.rss"
  LAST_RC=0
  if [[ -n "$gnu_time" ]]; then
    t0=$(now_ns)
    "$gnu_time" -f %M -o "$rss_file" "$@" >"$out" 2>"$err" || LAST_RC=$?
    t1=$(now_ns)
    LAST_KB=$(tail -n 1 "$rss_file" 2>/dev/null || echo 0)
    [[ "$LAST_KB" =~ ^[0-9]+$ ]] || LAST_KB=0
  else
    local pid peak=0 key val _
    t0=$(now_ns)
    "$@" >"$out" 2>"$err" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      while read -r key val _; do
        if [[ "$key" == VmHWM: ]] && (( val > peak )); then peak=$val; fi
      done < "/proc/$pid/status" 2>/dev/null || true
      sleep 0.01
    done
    wait "$pid" || LAST_RC=$?
    t1=$(now_ns)
    LAST_KB=$peak
  fi
  LAST_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan" } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }
maxof() { sort -g | tail -n 1; }

results="$work/results.tsv"   # name, median seconds, peak RSS KB (max over runs), runs, status, min seconds
: > "$results"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-nan}" >> "$results"; }
# record_runs NAME "SECONDS..." "RSS_KB..." : one row from the runs of one measurement.
record_runs() {
  local rss=""
  [[ -n "$3" ]] && rss=$(tr ' ' '\n' <<<"$3" | maxof)
  record "$1" "$(tr ' ' '\n' <<<"$2" | median)" "$rss" "$(wc -w <<<"$2" | tr -d ' ')" ok "$(tr ' ' '\n' <<<"$2" | sort -g | head -n 1)"
}

# Tools read only the corpus: drop variables that would point them at the user's own logs.
isolated_env=(env -u CLAUDE_CONFIG_DIR -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u CODEX_HOME
  -u OPENCODE_DATA_DIR -u TALLY_LEDGER -u TALLY_HOME)

# ---- 1. corpus ----------------------------------------------------------------------------
gen_dir="$here/Tally.Bench.Corpus"
if command -v sha256sum >/dev/null 2>&1; then hasher=(sha256sum); else hasher=(shasum -a 256); fi
gen_hash=$(cd "$gen_dir" && cat $(ls *.cs *.csproj | LC_ALL=C sort) | "${hasher[@]}" | cut -c1-16)
size_tag=$(printf '%s' "$SIZE" | tr '[:lower:]' '[:upper:]')
corpus="$here/out/$SOURCES-$size_tag-seed$SEED"
stamp="size=$size_tag seed=$SEED sources=$SOURCES generator=$gen_hash"
if [[ -f "$corpus/expected.json" && "$(cat "$corpus/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  say "corpus: reusing $corpus"
else
  say "corpus: generating $SIZE (seed $SEED) into $corpus ..."
  mkdir -p "$here/out"
  rm -f "$corpus/.stamp"
  dotnet build "$gen_dir" -c Release -nologo -v q >"$work/gen-build.log" 2>&1 \
    || { cat "$work/gen-build.log" >&2; die "the corpus generator did not build."; }
  dotnet run -c Release --no-build --project "$gen_dir" -- --out "$corpus" --size "$SIZE" --seed "$SEED" --sources "$SOURCES" | tee "$work/gen.log" >&2
  printf '%s' "$stamp" > "$corpus/.stamp"
fi
# The log folders of the corpus: Claude Code, and with SOURCES=mixed Codex and OpenCode too.
log_dirs() { local d; for d in "$1/.claude" "$1/.codex" "$1/.local/share/opencode"; do [[ -d "$d" ]] && printf '%s\0' "$d"; done; return 0; }
export -f log_dirs
corpus_bytes=$(log_dirs "$corpus" | xargs -0 -I{} find {} -type f \( -name '*.jsonl' -o -name '*.json' \) -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')

# ---- 2. Tally -----------------------------------------------------------------------------
tally_ok=1
if [[ "${SKIP_TALLY:-0}" == 1 ]]; then
  say "tally: skipped (SKIP_TALLY=1)."
  record "tally-cold" nan 0 0 "skipped (SKIP_TALLY=1)"
  tally_ok=0
elif [[ -n "${TALLY_BIN:-}" ]]; then
  tally="$TALLY_BIN"
  [[ -x "$tally" ]] || { say "TALLY_BIN=$tally is not executable."; record "tally-cold" nan 0 0 "TALLY_BIN is not executable"; tally_ok=0; }
else
  tally="$work/tally/tally"
  # Native AOT, as a release ships (see the README); where the machine lacks the native linker
  # that AOT needs, ReadyToRun, the next best for a run that lasts a second or two.
  rid=$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')
  say "tally: publishing src/Tally.Cli (Release, Native AOT for $rid)..."
  publish_mode=aot
  if ! dotnet publish "$repo/src/Tally.Cli" -c Release -r "$rid" -p:PublishAot=true \
      -o "$work/tally" -nologo -v q >"$work/tally-build.log" 2>&1; then
    say "tally: Native AOT publish failed (see $work/tally-build.log); publishing ReadyToRun instead..."
    publish_mode=readytorun
    rm -rf "$work/tally"
  fi
  if [ "$publish_mode" = readytorun ] && ! dotnet publish "$repo/src/Tally.Cli" -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true \
      -o "$work/tally" -nologo -v q >"$work/tally-build.log" 2>&1; then
    tail -n 30 "$work/tally-build.log" >&2
    say "TALLY: BUILD FAILED (log above); continuing with the other measurements."
    record "tally-cold" nan 0 0 "dotnet publish src/Tally.Cli failed"
    tally_ok=0
  elif [[ ! -x "$tally" ]]; then
    say "TALLY: published, but $tally is missing; continuing with the other measurements."
    record "tally-cold" nan 0 0 "no tally executable after publish"
    tally_ok=0
  fi
fi

# ---- 3. ccusage ---------------------------------------------------------------------------
say "ccusage: installing ccusage@$CCUSAGE_VERSION..."
ccusage_ok=1
if npm install --prefix "$work/ccusage" --no-audit --no-fund --loglevel=error "ccusage@$CCUSAGE_VERSION" >"$work/npm.log" 2>&1; then
  # The npm package is a small node launcher around a native binary: time the binary itself,
  # so node's start-up and memory are not charged to ccusage.
  ccusage=$(find "$work/ccusage/node_modules/@ccusage" -type f -path '*/bin/ccusage*' 2>/dev/null | head -n 1 || true)
  if [[ -n "$ccusage" ]]; then
    chmod +x "$ccusage"
    "$ccusage" --version >/dev/null 2>&1 || ccusage=""
  fi
  if [[ -z "$ccusage" ]]; then
    ccusage="$work/ccusage/node_modules/.bin/ccusage"
    say "ccusage: native binary not found; timing the npm launcher (includes node start-up)."
  fi
  say "ccusage: $("$ccusage" --version 2>/dev/null | head -n 1) ($ccusage)"
else
  cat "$work/npm.log" >&2
  say "CCUSAGE: INSTALL FAILED; continuing without it."
  ccusage_ok=0
fi

# ---- 4. measurements ----------------------------------------------------------------------
# Dropping the page cache needs root tools, so instead one cat pass warms it and every run
# below reads from memory. The figures are CPU-bound parse/aggregate times, not disk times.
say "warming the page cache with one cat pass..."
cat_all() { log_dirs "$1" | xargs -0 -I{} find {} -type f \( -name '*.jsonl' -o -name '*.json' \) -print0 | xargs -0 cat > /dev/null; }
export -f cat_all
cat_all "$corpus"

say "timing: read floor (cat) x$RUNS"
times=(); rss=()
for ((i = 0; i < RUNS; i++)); do
  run_measured /dev/null "$work/cat.err" bash -c 'cat_all "$1"' _ "$corpus"
  times+=("$LAST_S"); rss+=("$LAST_KB")
done
record_runs cat "${times[*]}" "${rss[*]}"

if (( ccusage_ok )); then
  say "timing: ccusage daily --json --offline x$RUNS"
  times=(); rss=(); status=ok
  for ((i = 0; i < RUNS; i++)); do
    run_measured "$work/ccusage.json" "$work/ccusage.err" "${isolated_env[@]}" HOME="$corpus" "$ccusage" daily --json --offline
    if (( LAST_RC != 0 )); then status="exit $LAST_RC"; say "ccusage failed (exit $LAST_RC):"; tail -n 5 "$work/ccusage.err" >&2; break; fi
    times+=("$LAST_S"); rss+=("$LAST_KB")
  done
  if [[ "$status" == ok ]]; then
    record_runs ccusage "${times[*]}" "${rss[*]}"
  else
    record "ccusage" nan 0 0 "$status"; ccusage_ok=0
  fi
fi

tally_failure=""
tally_fail() { # what, rc, stderr file
  say "TALLY: '$1' FAILED (exit $2); its figures are missing. Last lines of its stderr:"
  tail -n 10 "$3" >&2 || true
  tally_failure="$1 exited $2"
  tally_ok=0
}

if (( tally_ok )); then
  say "timing: tally cold (fresh TALLY_HOME: ingest + summary --json) x$COLD_RUNS"
  c_ing=(); c_sum=(); c_pair=(); c_ing_rss=(); c_sum_rss=()
  for ((i = 0; i < COLD_RUNS && tally_ok; i++)); do
    th="$work/tally-home"
    rm -rf "$th"; mkdir -p "$th"
    run_measured "$work/ingest.out" "$work/ingest.err" "${isolated_env[@]}" HOME="$corpus" TALLY_HOME="$th" "$tally" ingest
    (( LAST_RC == 0 )) || { tally_fail "tally ingest" "$LAST_RC" "$work/ingest.err"; break; }
    s1=$LAST_S; k1=$LAST_KB
    run_measured "$work/tally-summary.json" "$work/summary.err" "${isolated_env[@]}" HOME="$corpus" TALLY_HOME="$th" "$tally" summary --json
    (( LAST_RC == 0 )) || { tally_fail "tally summary --json" "$LAST_RC" "$work/summary.err"; break; }
    c_ing+=("$s1"); c_sum+=("$LAST_S")
    c_pair+=("$(awk -v a="$s1" -v b="$LAST_S" 'BEGIN { printf "%.4f", a + b }')")
    c_ing_rss+=("$k1"); c_sum_rss+=("$LAST_KB")
  done
  if (( tally_ok )); then
    record_runs tally-cold "${c_pair[*]}" "${c_ing_rss[*]} ${c_sum_rss[*]}"
    record_runs tally-cold-ingest "${c_ing[*]}" "${c_ing_rss[*]}"
    record_runs tally-cold-summary "${c_sum[*]}" "${c_sum_rss[*]}"
    # Untimed: the per-source rows the correctness check compares with expected.json's bySource.
    "${isolated_env[@]}" HOME="$corpus" TALLY_HOME="$th" "$tally" summary --by source --json >"$work/tally-by-source.json" 2>"$work/by-source.err" \
      || { say "tally summary --by source --json failed (exit $?); no per-source check."; rm -f "$work/tally-by-source.json"; }
    ledger_kb=$(du -sk "$th" | cut -f1)
    printf '%s\n' "$ledger_kb" > "$work/ledger.kb"
    grep -i -E 'warn|malformed|skipp' "$work/ingest.err" | head -n 5 > "$work/ingest.warnings" || true
  else
    record "tally-cold" nan 0 0 "$tally_failure"
  fi
fi

if (( tally_ok )); then
  say "timing: tally warm: summary --json x$RUNS, then 'tally --json' (ingest with nothing new + summary) x$RUNS"
  w_sum=(); w_sum_rss=(); w_all=(); w_all_rss=()
  for ((i = 0; i < RUNS && tally_ok; i++)); do
    run_measured "$work/tally-summary-warm.json" "$work/summary.err" "${isolated_env[@]}" HOME="$corpus" TALLY_HOME="$th" "$tally" summary --json
    (( LAST_RC == 0 )) || { tally_fail "tally summary --json (warm)" "$LAST_RC" "$work/summary.err"; break; }
    w_sum+=("$LAST_S"); w_sum_rss+=("$LAST_KB")
  done
  # Bare 'tally' ingests what is new, then prints the summary, in one process. Should it fail,
  # time the same work as two commands.
  warm_mode=one
  for ((i = 0; i < RUNS && tally_ok; i++)); do
    if [[ "$warm_mode" == one ]]; then
      run_measured "$work/tally-warm.json" "$work/tally-warm.err" "${isolated_env[@]}" HOME="$corpus" TALLY_HOME="$th" "$tally" --json
      if (( LAST_RC == 0 )); then
        w_all+=("$LAST_S"); w_all_rss+=("$LAST_KB")
        continue
      fi
      (( i == 0 )) || { tally_fail "tally --json (warm)" "$LAST_RC" "$work/tally-warm.err"; break; }
      say "bare 'tally --json' failed (exit $LAST_RC); timing 'tally ingest' + 'tally summary --json' instead."
      warm_mode=pair
    fi
    run_measured "$work/ingest.out" "$work/ingest.err" "${isolated_env[@]}" HOME="$corpus" TALLY_HOME="$th" "$tally" ingest
    (( LAST_RC == 0 )) || { tally_fail "tally ingest (warm)" "$LAST_RC" "$work/ingest.err"; break; }
    s1=$LAST_S; k1=$LAST_KB
    run_measured "$work/tally-summary-warm2.json" "$work/summary.err" "${isolated_env[@]}" HOME="$corpus" TALLY_HOME="$th" "$tally" summary --json
    (( LAST_RC == 0 )) || { tally_fail "tally summary --json (warm)" "$LAST_RC" "$work/summary.err"; break; }
    w_all+=("$(awk -v a="$s1" -v b="$LAST_S" 'BEGIN { printf "%.4f", a + b }')")
    w_all_rss+=("$k1" "$LAST_KB")
  done
  if (( ! tally_ok )); then
    record "tally-warm-summary" nan 0 0 "$tally_failure"
  else
    record_runs tally-warm-summary "${w_sum[*]}" "${w_sum_rss[*]}"
    record_runs "tally-warm-$warm_mode" "${w_all[*]}" "${w_all_rss[*]}"
  fi
fi

if (( tally_ok )); then
  # The reports that read single calls and tool results rather than sums (issue 4): warm,
  # on the ledger the cold runs left. The target is under a second for hotspots at 1 GiB.
  for report in hotspots blocks; do
    say "timing: tally warm: $report --json x$RUNS"
    times=(); rss=(); status=ok
    for ((i = 0; i < RUNS; i++)); do
      run_measured "$work/tally-$report.json" "$work/$report.err" "${isolated_env[@]}" HOME="$corpus" TALLY_HOME="$th" "$tally" "$report" --json
      if (( LAST_RC != 0 )); then status="exit $LAST_RC"; say "tally $report failed (exit $LAST_RC):"; tail -n 5 "$work/$report.err" >&2; break; fi
      times+=("$LAST_S"); rss+=("$LAST_KB")
    done
    if [[ "$status" == ok ]]; then
      record_runs "tally-warm-$report" "${times[*]}" "${rss[*]}"
      say "tally warm $report --json: median $(tr ' ' '\n' <<<"${times[*]}" | median) s over $RUNS runs"
    else
      record "tally-warm-$report" nan 0 0 "$status"
    fi
  done
fi

# ---- 5. report ----------------------------------------------------------------------------
report_args=(--results "$results" --expected "$corpus/expected.json" --corpus "$corpus" --corpus-bytes "$corpus_bytes" --runs "$RUNS")
(( ccusage_ok )) && report_args+=(--ccusage "$work/ccusage.json")
if [[ -s "$work/tally-summary.json" ]] || (( tally_ok )); then
  report_args+=(--tally "$work/tally-summary.json")
  [[ -f "$work/ledger.kb" ]] && report_args+=(--ledger-kb "$(cat "$work/ledger.kb")")
  [[ -s "$work/tally-by-source.json" ]] && report_args+=(--tally-by-source "$work/tally-by-source.json")
fi
[[ -n "$gnu_time" ]] && report_args+=(--rss-source "GNU time") || report_args+=(--rss-source "/proc polling")
[[ -f "$work/gen.log" ]] && report_args+=(--generator-log "$work/gen.log")
[[ -s "$work/ingest.warnings" ]] && report_args+=(--ingest-warnings "$work/ingest.warnings")

mkdir -p "$here/out"
node "$here/report.mjs" "${report_args[@]}" | tee "$here/out/last-run.txt"
say "(also written to bench/out/last-run.txt)"
