#!/bin/sh
# Runs `tcpkeep check` on every fixture and holds it to the first line of the file:
#   # expect: LINE:COL: message          -> exit 1, first error line is "FILE:LINE:COL: error: message"
#   # expect: valid                      -> exit 0, no warning lines           (valid/ only)
#   # expect warning: LINE:COL: message  -> exit 0, the only warning is "FILE:LINE:COL: warning: message"
# Usage: check_fixtures.sh TCPKEEP_BINARY FIXTURES_DIR
set -u
tcpkeep=$1
dir=$2
failed=0
checked=0

fail() {
    echo "FAIL $1: $2"
    printf '%s\n' "$3" | sed 's/^/    | /'
    failed=$((failed + 1))
}

# "FILE:L:C: KIND: message" from "L:C: message"
expected_line() {
    pos=${2%%: *}
    printf '%s:%s: %s: %s' "$1" "$pos" "$3" "${2#*: }"
}

for f in "$dir"/*.toml; do
    checked=$((checked + 1))
    header=$(head -n 1 "$f")
    case $header in
        "# expect: "*) ;;
        *) fail "$f" "first line must be '# expect: LINE:COL: message'" "$header"; continue ;;
    esac
    want=$(expected_line "$f" "${header#\# expect: }" error)
    output=$("$tcpkeep" check "$f" 2>&1)
    status=$?
    [ "$status" -eq 1 ] || { fail "$f" "exit status $status, expected 1" "$output"; continue; }
    first=$(printf '%s\n' "$output" | grep -m 1 ': error: ')
    [ "$first" = "$want" ] || fail "$f" "first error differs; expected: $want" "$output"
done

for f in "$dir"/valid/*.toml; do
    checked=$((checked + 1))
    header=$(head -n 1 "$f")
    output=$("$tcpkeep" check "$f" 2>&1)
    status=$?
    [ "$status" -eq 0 ] || { fail "$f" "exit status $status, expected 0" "$output"; continue; }
    warnings=$(printf '%s\n' "$output" | grep ': warning: ')
    case $header in
        "# expect: valid") want="" ;;
        "# expect warning: "*) want=$(expected_line "$f" "${header#\# expect warning: }" warning) ;;
        *) fail "$f" "unknown first line" "$header"; continue ;;
    esac
    [ "$warnings" = "$want" ] || fail "$f" "warnings differ; expected: ${want:-none}" "$output"
    printf '%s\n' "$output" | grep -q "^$f: valid: version 1, " || fail "$f" "no 'valid' summary line" "$output"
done

if [ "$checked" -lt 30 ]; then
    echo "FAIL: only $checked fixtures found in $dir"
    failed=$((failed + 1))
fi
echo "$checked fixtures checked, $failed failed"
[ "$failed" -eq 0 ]
