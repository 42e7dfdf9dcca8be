# lib.sh - sourced by the command-line tests (cli_test.sh, mj_test.sh,
# primary_test.sh, backup_test.sh): one "ok - ..." or "FAIL - ..." line
# per check, the counts, and the exit status at the end. The caller sets
# T, a temporary folder that holds each command's output.
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1"; }
expect() { # expect CODE DESCRIPTION CMD...: output in $T/out, $T/err
	want=$1 what=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" = "$want" ]; then ok "$what"; else
		ko "$what (exit $got, wanted $want)"
		sed 's/^/  | /' "$T/err" "$T/out" | head -8
	fi
}
has() { # has FILE TEXT DESCRIPTION
	if grep -q -- "$2" "$1"; then ok "$3"; else
		ko "$3 (no '$2')"
		sed 's/^/  | /' "$1" | head -5
	fi
}
# json EXPR DESCRIPTION: a python expression over j, $T/out parsed (and r,
# its "results" when it has some)
json() {
	if python3 -c "import json,sys; j=json.load(open('$T/out')); r=j.get('results') if isinstance(j, dict) else None; sys.exit(0 if ($1) else 1)"; then
		ok "$2"
	else
		ko "$2"
		head -c 400 "$T/out" | sed 's/^/  | /'
	fi
}
finish() { # the counts, and exit 1 when a check failed
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}
