# Sourced by scripts/build.sh and scripts/setup.sh: `step NAME COMMAND...` runs COMMAND and, when
# it is still running a second later, says `PROGRESS: NAME` once on stderr (PROGRESS: build by
# default), so that a build that has nothing to do stays quiet and a long one says what it does.
step() {
  local name=$1 rc=0 timer
  shift
  # the sleep does not hold stderr: only the subshell, which is killed when COMMAND ends
  (sleep 1 </dev/null >/dev/null 2>&1 && echo "${PROGRESS:-build}: $name" >&2) &
  timer=$!
  "$@" || rc=$?
  kill "$timer" 2>/dev/null || true
  wait "$timer" 2>/dev/null || true
  return "$rc"
}
