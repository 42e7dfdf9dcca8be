# tools/deps.sh - sourced by ./run and ./check: make sure the Debian 12
# packages agora needs are installed, installing them as root or through
# sudo, or printing the exact apt-get line to run.

# what building and running agora needs
AGORA_RUN_PACKAGES="meson ninja-build pkg-config gcc libc6-dev python3
 libsqlite3-dev libsodium-dev libstemmer-dev libxml2-dev libcmark-dev
 libjansson-dev libmicrohttpd-dev"
# what the tests add: headless Chromium for the browser test, whose
# driver (playwright-core, tests/browser/package-lock.json) comes from
# npm; Debian 12's nodejs and npm unless a node is already installed
AGORA_CHECK_PACKAGES="libcmocka-dev libxml2-utils chromium"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	AGORA_CHECK_PACKAGES="$AGORA_CHECK_PACKAGES nodejs npm"
fi

agora_missing_packages() {
	missing=
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$'; then
			missing="$missing $p"
		fi
	done
	printf '%s' "$missing"
}

agora_ensure_packages() {
	missing=$(agora_missing_packages "$@")
	[ -z "$missing" ] && return 0
	echo "agora needs these Debian packages:$missing"
	if [ "$(id -u)" = 0 ]; then
		SUDO=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=sudo
	else
		echo "run this as root (or with sudo), then run me again:"
		echo "  apt-get update && apt-get install -y$missing"
		exit 1
	fi
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086 # the list is meant to split
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
}
