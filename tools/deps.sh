# tools/deps.sh - sourced by ./run and ./check: make sure the Debian 12
# packages agora needs are installed, and the locales its pages are
# rendered in are generated, doing it as root or through sudo, or
# printing the exact commands to run.

# what building and running agora needs
AGORA_RUN_PACKAGES="meson ninja-build pkg-config gcc libc6-dev python3
 libsqlite3-dev libsodium-dev libstemmer-dev libxml2-dev libcmark-dev
 libjansson-dev libmicrohttpd-dev libpoppler-glib-dev libcurl4-openssl-dev
 libssl-dev
 gettext locales"
# the locales the web pages use for dates, numbers and the catalogs
# (web/lang.c); without them the server still runs, in French, with ISO
# dates and ungrouped numbers
AGORA_LOCALES="fr_FR.UTF-8 en_GB.UTF-8"
# what the tests add: headless Chromium for the browser test, whose
# driver (playwright-core, tests/browser/package-lock.json) comes from
# npm; Debian 12's nodejs and npm unless a node is already installed
AGORA_CHECK_PACKAGES="libcmocka-dev libxml2-utils chromium python3-cryptography
 python3-aiosmtpd"
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

# Sets SUDO to "" (root) or "sudo", or returns 1 when neither works
agora_sudo() {
	if [ "$(id -u)" = 0 ]; then
		SUDO=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=sudo
	else
		return 1
	fi
}

agora_ensure_packages() {
	missing=$(agora_missing_packages "$@")
	if [ -z "$missing" ]; then
		agora_ensure_locales
		return
	fi
	echo "agora needs these Debian packages:$missing"
	if ! agora_sudo; then
		echo "run this as root (or with sudo), then run me again:"
		echo "  apt-get update && apt-get install -y$missing"
		exit 1
	fi
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086 # the list is meant to split
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
	agora_ensure_locales
}

# The locales of AGORA_LOCALES that `locale -a` does not list ("fr_FR.utf8")
agora_missing_locales() {
	missing=
	have=$(locale -a 2>/dev/null | tr 'A-Z' 'a-z' | sed 's/utf-8$/utf8/')
	for l in $AGORA_LOCALES; do
		want=$(printf '%s' "$l" | tr 'A-Z' 'a-z' | sed 's/utf-8$/utf8/')
		printf '%s\n' "$have" | grep -qx "$want" || missing="$missing $l"
	done
	printf '%s' "$missing"
}

# Enables the missing locales in /etc/locale.gen and runs locale-gen (the
# Debian way: locale-gen rebuilds the archive from that file when the
# locales package is upgraded, so a locale made with localedef alone
# would vanish then). A missing locale is not fatal: say how to add it.
agora_ensure_locales() {
	missing=$(agora_missing_locales)
	[ -z "$missing" ] && return 0
	echo "agora's pages use these locales, not generated yet:$missing"
	if ! agora_sudo || [ ! -f /etc/locale.gen ]; then
		echo "without them pages are in French with ISO dates; as root:"
		for l in $missing; do
			echo "  echo '$l UTF-8' >> /etc/locale.gen"
		done
		echo "  locale-gen"
		return 0
	fi
	for l in $missing; do
		if grep -q "^# *$l UTF-8" /etc/locale.gen; then
			$SUDO sed -i "s/^# *$l UTF-8/$l UTF-8/" /etc/locale.gen
		elif ! grep -q "^$l UTF-8" /etc/locale.gen; then
			echo "$l UTF-8" | $SUDO tee -a /etc/locale.gen >/dev/null
		fi
	done
	$SUDO locale-gen
}
