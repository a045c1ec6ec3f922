/**
 * Instances have no systemd, yet user data scripts install services the
 * systemd way (a unit in /etc/systemd/system, `systemctl daemon-reload`,
 * `enable`, `start`). This `systemctl`, put in each instance's
 * /usr/local/sbin, does what those scripts need with plain processes:
 *
 *  - start / stop / restart / status / is-active / is-enabled / enable
 *    [--now] / disable [--now] / daemon-reload, for `Type=simple` units:
 *    ExecStart (run by /bin/sh), WorkingDirectory, User, Environment=,
 *    EnvironmentFile=, Restart=always|on-failure (with RestartSec);
 *  - output to /var/log/<unit>.log (there is no journal);
 *  - `systemctl --boot` (the boot script) starts the enabled units.
 *
 * Anything else says that Stratus's systemctl does not do it, and fails.
 */
export const SYSTEMCTL = String.raw`#!/bin/bash
# systemctl for Stratus instances (no systemd): see src/runtime/systemctl.ts in Stratus.
state=/var/lib/stratus-systemctl
run=/run/stratus-systemctl
mkdir -p "$state/enabled" "$run"

unit_name() { case "$1" in *.*) echo "$1" ;; *) echo "$1.service" ;; esac; }
unit_file() {
  for dir in /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
    [ -f "$dir/$1" ] && { echo "$dir/$1"; return 0; }
  done
  return 1
}
# The value of a [Service] key (the last one set); "Environment" gathers every line.
key() { sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1; }
pid_of() { [ -f "$run/$1.pid" ] && cat "$run/$1.pid"; }
running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start_unit() {
  local name file exec dir user restart delay
  name=$(unit_name "$1")
  file=$(unit_file "$name") || { echo "Failed to start $name: Unit $name not found." >&2; return 5; }
  running "$name" && return 0
  exec=$(key "$file" ExecStart | sed 's/^[-@+!:]*//')
  [ -n "$exec" ] || { echo "Failed to start $name: no ExecStart= (Stratus's systemctl runs Type=simple units)" >&2; return 1; }
  dir=$(key "$file" WorkingDirectory); dir=$\{dir#-}
  user=$(key "$file" User)
  restart=$(key "$file" Restart)
  delay=$(key "$file" RestartSec | tr -dc '0-9.'); delay=$\{delay:-1}
  local envs=() line item
  while IFS= read -r line; do
    eval "set -- $line"
    for item in "$@"; do envs+=("$item"); done
  done < <(sed -n 's/^[[:space:]]*Environment[[:space:]]*=[[:space:]]*//p' "$file")
  while IFS= read -r line; do
    line=$\{line#-}
    [ -f "$line" ] && while IFS= read -r item; do case "$item" in ''|'#'*) ;; *) envs+=("$item") ;; esac; done < "$line"
  done < <(sed -n 's/^[[:space:]]*EnvironmentFile[[:space:]]*=[[:space:]]*//p' "$file")
  local as=()
  [ -n "$user" ] && [ "$user" != root ] && as=(/usr/sbin/runuser -u "$user" --)
  (
    cd "$\{dir:-/}" 2>/dev/null || cd /
    while :; do
      "$\{as[@]}" /usr/bin/env "$\{envs[@]}" /bin/sh -c "exec $exec"
      status=$?
      case "$restart" in always) ;; on-failure|on-abnormal|on-abort) [ $status -ne 0 ] || break ;; *) break ;; esac
      sleep "$delay"
    done
  ) >> "/var/log/$\{name%.service}.log" 2>&1 < /dev/null &
  echo $! > "$run/$name.pid"
}

stop_unit() {
  local name pid
  name=$(unit_name "$1")
  pid=$(pid_of "$name")
  if [ -n "$pid" ]; then
    pkill -TERM -P "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    sleep 0.2
    pkill -KILL -P "$pid" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$run/$name.pid"
}

now=0
args=()
for a in "$@"; do
  case "$a" in
    --now) now=1 ;;
    --boot) for f in "$state"/enabled/*; do [ -e "$f" ] && start_unit "$(basename "$f")"; done; exit 0 ;;
    -*) ;;
    *) args+=("$a") ;;
  esac
done
command=$\{args[0]}
units=("$\{args[@]:1}")
code=0
case "$command" in
  daemon-reload|daemon-reexec|reset-failed) ;;
  start) for u in "$\{units[@]}"; do start_unit "$u" || code=$?; done ;;
  stop) for u in "$\{units[@]}"; do stop_unit "$u"; done ;;
  restart|reload-or-restart|try-restart) for u in "$\{units[@]}"; do stop_unit "$u"; start_unit "$u" || code=$?; done ;;
  enable|disable)
    for u in "$\{units[@]}"; do
      name=$(unit_name "$u")
      unit_file "$name" >/dev/null || { echo "Failed to $command unit: Unit file $name does not exist." >&2; code=1; continue; }
      if [ "$command" = enable ]; then
        touch "$state/enabled/$name"
        [ $now = 1 ] && { start_unit "$name" || code=$?; }
      else
        rm -f "$state/enabled/$name"
        [ $now = 1 ] && stop_unit "$name"
      fi
    done ;;
  is-active) for u in "$\{units[@]}"; do if running "$(unit_name "$u")"; then echo active; else echo inactive; code=3; fi; done ;;
  is-enabled) for u in "$\{units[@]}"; do if [ -e "$state/enabled/$(unit_name "$u")" ]; then echo enabled; else echo disabled; code=1; fi; done ;;
  status)
    for u in "$\{units[@]}"; do
      name=$(unit_name "$u")
      echo "* $name"
      if running "$name"; then echo "     Active: active (running) (Stratus systemctl; main PID $(pid_of "$name"))"; else echo "     Active: inactive (dead)"; code=3; fi
      [ -f "/var/log/$\{name%.service}.log" ] && tail -n 10 "/var/log/$\{name%.service}.log"
    done ;;
  *) echo "systemctl $command: not supported by Stratus's systemctl (instances have no systemd)" >&2; code=1 ;;
esac
exit $code
`.replaceAll("$\\{", "${"); // The script's "${" is written "$\{" above, where "${" would open a template placeholder.
