# Sourced (by run.sh) before the exercise's parts. It points the aws CLI at the
# Stratus under test and, when Stratus runs on a virtual clock, makes the
# exercise's waiting pass on that clock instead of the wall clock:
#
#   sleep N            moves the clock N seconds forward (`stratus clock advance Ns`):
#                      what Stratus would have done in those seconds is done on return
#   aws ... wait ...   moves the clock 15 s (one waiter delay) before the waiter polls
#   date ...           reads Stratus's clock, so `$(date -u -d '1 hour ago' ...)` is
#                      the hour before Stratus's now (GNU date's arguments otherwise)
#
# With the system clock all three are the real commands. Nothing else changes:
# the exercise's commands run as they are typed.
#
# Environment:
#   STRATUS_ENDPOINT  the Stratus to talk to (default http://127.0.0.1:4566)
#   EXERCISE_AWS      the aws CLI to run: a path (default: `aws` on PATH), or
#                     "stratus" for the wrapper `stratus aws ...` (bin/stratus.cjs)

set -eo pipefail

EXERCISE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STRATUS_BIN=${STRATUS_BIN:-$(cd "$EXERCISE_DIR/../.." && pwd)/bin/stratus.cjs}
export STRATUS_ENDPOINT=${STRATUS_ENDPOINT:-http://127.0.0.1:4566}
EXERCISE_AWS=${EXERCISE_AWS:-$(type -P aws)}

stratus() { node "$STRATUS_BIN" "$@"; }

case "$(stratus clock show)" in
  *"(virtual clock"*) EXERCISE_CLOCK=virtual ;;
  *) EXERCISE_CLOCK=system ;;
esac

aws() {
  if [ "$EXERCISE_CLOCK" = virtual ] && [ "$2" = wait ]; then stratus clock advance 15s >/dev/null; fi
  if [ "$EXERCISE_AWS" = stratus ]; then
    stratus aws "$@"
  else
    "$EXERCISE_AWS" --endpoint-url "$STRATUS_ENDPOINT" "$@"
  fi
}

if [ "$EXERCISE_CLOCK" = virtual ]; then
  sleep() { stratus clock advance "${1}s" >/dev/null; }

  date() {
    local now relative="" args=()
    now=$(stratus clock show)
    now=${now%% *}
    while [ $# -gt 0 ]; do
      case "$1" in
        -d) relative=$2; shift 2 ;;
        --date=*) relative=${1#--date=}; shift ;;
        *) args+=("$1"); shift ;;
      esac
    done
    command date -d "$now $relative" "${args[@]}"
  }
fi

# The exercise's variables, carried from one part to the next (run.sh saves them).
EXERCISE_VARS="AMI_ID VPC_ID SG_ID MY_IP INSTANCE_ID PUBLIC_IP INSTANCE_ID_V2 PUBLIC_IP_V2 PUBLIC_IP_NEW
  EIP_ALLOC_ID EIP_ADDRESS AZ VOLUME_ID SNAPSHOT_ID RESTORED_VOLUME_ID ACCOUNT_ID BUCKET_NAME BUCKET_REPLICA
  SPOT_REQUEST_ID SPOT_INSTANCE_ID SPOT_FLEET_REQUEST_ID"

save_vars() {
  local name
  for name in $EXERCISE_VARS; do
    if [ -n "${!name+set}" ]; then declare -p "$name"; fi
  done
}

# `fails CMD...` runs a command the exercise gives that AWS refuses, prints what
# it printed on stderr, and fails itself if the command succeeded.
fails() {
  local status=0
  "$@" 2> fails.err || status=$?
  cat fails.err
  if [ $status -eq 0 ]; then
    echo "expected this command to fail: $*" >&2
    return 1
  fi
}
