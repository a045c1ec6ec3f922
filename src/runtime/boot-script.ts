/**
 * The shell an instance boots with. It runs as PID 1 of new mount, PID, UTS
 * and IPC namespaces inside the instance's network namespace:
 *
 *   1. the root: an overlay with the host's root file system below and the
 *      instance's own directory above (its root volume: writes stay there,
 *      across stops, until it is terminated), with its own /proc, /sys,
 *      /dev (a few device nodes, and its EBS volumes'), /tmp and /run, and
 *      /home and /root of its own;
 *   2. its hostname (ip-10-0-0-5, as EC2 names instances);
 *   3. inside that root, what cloud-init does: the image's default user, with
 *      the launch key pair's public key and sudo; an SSH server (when the
 *      host has openssh-server) with host keys of its own; its /etc/fstab
 *      entries for its EBS volumes mounted; the services enabled with
 *      systemctl (see systemctl.ts); scripts in
 *      /var/lib/cloud/scripts/per-boot at every boot, then the user data —
 *      a script starting with `#!` — on the first boot only, as root, its
 *      output in /var/log/cloud-init-output.log and on the console;
 *   4. then it stays up (processes the user data left running keep running)
 *      until the host kills it, which ends every process of the instance.
 *
 * Arguments: the instance's directory, its hostname, the image's default
 * user, its region, the URL at which it reaches Stratus's API (exported as
 * AWS_ENDPOINT_URL, with AWS_DEFAULT_REGION, to the user data and in
 * /etc/environment for logins), shell lines that make its EBS volumes'
 * device nodes in the /dev directory they get as $1, and the host's node and
 * Stratus installation to bind in (see workload-mount.ts).
 */
export const BOOT_SCRIPT = String.raw`
set -e
dir=$1; name=$2; user=$3; region=$4; endpoint=$5; devices=$6; nodebin=$7; home=$8
root=$dir/root
mkdir -p "$dir/upper" "$dir/work" "$root"
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$root"
# Home directories of its own, not the host's (nor the host's credentials in them).
mkdir -p "$dir/home" "$dir/root-home"
chmod 700 "$dir/root-home"
mount --bind "$dir/home" "$root/home"
mount --bind "$dir/root-home" "$root/root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=755,size=64m tmpfs "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs tmpfs "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
# The host's Stratus and node, read-only at /opt/stratus and /opt/stratus-node (for stratus-inference).
if [ -n "$nodebin" ] && [ -n "$home" ]; then
  mkdir -p "$root/opt/stratus" "$root/opt/stratus-node" && touch "$root/opt/stratus-node/node"
  mount --bind "$home" "$root/opt/stratus" && mount -o remount,bind,ro "$root/opt/stratus"
  mount --bind "$nodebin" "$root/opt/stratus-node/node" && mount -o remount,bind,ro "$root/opt/stratus-node/node"
fi
# Its EBS volumes' device nodes; then its host pid (this shell's, through the host's /proc, which
# is still mounted here), through which the host adds and removes nodes while it runs.
[ -z "$devices" ] || sh -c "$devices" sh "$root/dev"
read -r hostpid _ < /proc/self/stat
echo "$hostpid" > "$dir/init-pid.new" && mv "$dir/init-pid.new" "$dir/init-pid"
hostname "$name"
# Namespaces, not a VM: the instance shares the host's kernel, so it may not load modules,
# set the host's clock or reboot it.
drop=""
[ -x /usr/bin/setpriv ] && drop="/usr/bin/setpriv --bounding-set -sys_module,-sys_time,-sys_boot,-sys_rawio,-mac_admin,-mac_override,-syslog,-wake_alarm,-block_suspend --"
exec $drop /usr/sbin/chroot "$root" /bin/sh -c '
  set +e
  name=$1; user=$2; region=$3; endpoint=$4
  echo "$name" > /etc/hostname
  cd /
  export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  # AWS clients in the instance talk to Stratus, in its region (their credentials come from IMDS).
  export AWS_ENDPOINT_URL="$endpoint" AWS_DEFAULT_REGION="$region" AWS_REGION="$region"
  { grep -v "^AWS_ENDPOINT_URL=\|^AWS_DEFAULT_REGION=\|^AWS_REGION=" /etc/environment 2>/dev/null
    echo "AWS_ENDPOINT_URL=$endpoint"; echo "AWS_DEFAULT_REGION=$region"; echo "AWS_REGION=$region"; } > /etc/environment.new
  mv /etc/environment.new /etc/environment
  mkdir -p /var/lib/cloud/instance/scripts /var/lib/cloud/instance/sem /var/lib/cloud/scripts/per-boot /var/log
  echo "[stratus] $name: booted at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  if [ -n "$user" ] && ! id "$user" >/dev/null 2>&1; then
    useradd -m -s /bin/bash "$user" >/dev/null 2>&1 && usermod -p "*" "$user"
    [ -d /etc/sudoers.d ] && echo "$user ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-cloud-init-users
  fi
  keys=/var/lib/cloud/instance/authorized_keys
  home=$(getent passwd "$user" | cut -d: -f6)
  if [ -n "$home" ] && [ -s "$keys" ]; then
    mkdir -p "$home/.ssh" && cp "$keys" "$home/.ssh/authorized_keys"
    chmod 700 "$home/.ssh"; chmod 600 "$home/.ssh/authorized_keys"; chown -R "$user:" "$home/.ssh"
  fi
  if [ -x /usr/sbin/sshd ]; then
    if [ ! -e /var/lib/cloud/instance/sem/ssh-host-keys ]; then
      rm -f /etc/ssh/ssh_host_*
      ssh-keygen -A >/dev/null 2>&1
      touch /var/lib/cloud/instance/sem/ssh-host-keys
    fi
    mkdir -p /run/sshd
    /usr/sbin/sshd
    echo "-----BEGIN SSH HOST KEY FINGERPRINTS-----"
    for key in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -l -f "$key"; done
    echo "-----END SSH HOST KEY FINGERPRINTS-----"
  fi
  # Its /etc/fstab entries for its EBS volumes (by UUID=, LABEL= or device) are mounted, as at boot on EC2.
  for dev in /dev/nvme[1-9]*n1 /dev/xvd[b-z]*; do
    [ -b "$dev" ] || continue
    uuid=$(blkid -s UUID -o value "$dev" 2>/dev/null); label=$(blkid -s LABEL -o value "$dev" 2>/dev/null)
    grep -v "^[[:space:]]*#" /etc/fstab 2>/dev/null | while read -r spec mnt type opts rest; do
      case "$spec" in "UUID=$uuid"|"LABEL=$label"|"$dev") ;; *) continue ;; esac
      [ "$spec" = "UUID=" ] || [ "$spec" = "LABEL=" ] && continue
      mkdir -p "$mnt" && mount -t "$type" -o "$opts" "$dev" "$mnt" && echo "[stratus] mounted $dev on $mnt"
    done
  done
  # Services enabled with systemctl (the one Stratus puts in /usr/local/sbin) start at every boot.
  [ -x /usr/local/sbin/systemctl ] && /usr/local/sbin/systemctl --boot
  for script in /var/lib/cloud/scripts/per-boot/*; do
    [ -x "$script" ] && "$script" >> /var/log/cloud-init-output.log 2>&1
  done
  data=/var/lib/cloud/instance/user-data.txt
  if [ -s "$data" ] && [ ! -e /var/lib/cloud/instance/sem/user-scripts ]; then
    date -u +%s > /var/lib/cloud/instance/sem/user-scripts
    if [ "$(head -c 2 "$data")" = "#!" ]; then
      cp "$data" /var/lib/cloud/instance/scripts/part-001
      chmod 700 /var/lib/cloud/instance/scripts/part-001
      start=0; [ -f /var/log/cloud-init-output.log ] && start=$(wc -c < /var/log/cloud-init-output.log)
      /var/lib/cloud/instance/scripts/part-001 < /dev/null >> /var/log/cloud-init-output.log 2>&1
      status=$?
      tail -c +$((start + 1)) /var/log/cloud-init-output.log
      [ $status -eq 0 ] || echo "[stratus] user data exited with status $status"
    else
      echo "[stratus] user data is not a script (only #! scripts run; cloud-config is not supported)"
    fi
  fi
  echo "[stratus] $name: finished booting at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  exec sleep infinity
' sh "$name" "$user" "$region" "$endpoint"
`;
