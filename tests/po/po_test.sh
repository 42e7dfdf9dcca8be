#!/bin/sh
# po_test.sh SRCDIR - the catalogs are complete and sound: every text the
# sources mark with tr()/tr_n() is translated in every po/LANG.po of
# po/LINGUAS (not missing, not empty, not fuzzy), and msgfmt --check
# accepts each catalog (formats that match their msgid's, a valid
# header). A text added to the pages without its translation fails here.
set -eu
src=$1
for tool in xgettext msgcmp msgfmt; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not found (Debian package gettext)"
		exit 77
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
# the same arguments as po/meson.build's
xgettext --from-code=UTF-8 --keyword=tr:2 --keyword=tr_n:2,3 \
	--add-comments=TRANSLATORS -f po/POTFILES.in -o "$tmp/agora.pot"
n=$(grep -c '^msgid ' "$tmp/agora.pot")
echo "ok - $((n - 1)) texts marked in the sources"
fail=0
for lang in $(grep -v '^#' po/LINGUAS); do
	if msgcmp "po/$lang.po" "$tmp/agora.pot"; then
		echo "ok - po/$lang.po translates every text"
	else
		echo "FAIL - po/$lang.po misses translations" \
			"(meson compile -C BUILD agora-update-po, then translate)"
		fail=1
	fi
	if msgfmt --check --statistics -o /dev/null "po/$lang.po" 2>"$tmp/err" &&
		! grep -q 'fuzzy\|untranslated' "$tmp/err"; then
		echo "ok - po/$lang.po: msgfmt --check, $(cat "$tmp/err")"
	else
		echo "FAIL - po/$lang.po: msgfmt --check"
		sed 's/^/  | /' "$tmp/err"
		fail=1
	fi
done
exit $fail
