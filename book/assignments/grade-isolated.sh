#!/usr/bin/env bash
# Grade each student's submission on its own, as an unprivileged user, in throw-away Linux
# namespaces; then merge the scores and feedback into one output folder.
#
#   sudo ./grade-isolated.sh RETURNED ROSTER.csv OUT --assignments a1 [--timeout 300 ...]
#
# For each student of the roster: a copy of that student's folder only (not the others'), a
# roster of one, and `hlmtutor grade` run as GRADER_USER (default: nobody) with no capabilities,
# no network (its own network namespace), its own PID namespace (every process it started dies
# when it ends, whatever it did to detach) and its own /proc (it sees no other process). The
# student's outputs are handed back to root before the next student runs. Needs root (to switch
# users and create the namespaces), util-linux's unshare and setpriv, and hlmtutor importable by
# PYTHON (default: python3) for GRADER_USER. Keep the answer key and your files unreadable by
# GRADER_USER (chmod 600 answer_key.csv).
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: sudo $0 RETURNED ROSTER.csv OUT --assignments LIST [hlmtutor grade options]" >&2
    exit 2
fi
returned=$(realpath "$1")
roster=$(realpath "$2")
out=$3
shift 3
case " $* " in
*" --assignments "* | *" --assignments="*) ;;
*)
    echo "grade-isolated.sh: give --assignments, so that every student's row has the same columns" >&2
    exit 2
    ;;
esac
if [ "$(id -u)" != 0 ]; then
    echo "grade-isolated.sh: run it as root (sudo): it switches to another user per student" >&2
    exit 1
fi
python=${PYTHON:-python3}
user=${GRADER_USER:-nobody}
uid=$(id -u "$user")
gid=$(id -g "$user")

mkdir -p "$out"
out=$(realpath "$out")
if [ -e "$out/scores.csv" ] || [ -e "$out/feedback" ]; then
    echo "grade-isolated.sh: $out holds an earlier grading; choose another folder" >&2
    exit 1
fi
mkdir -p "$out/feedback" "$out/executed"
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# The roster's ids, read by hlmtutor's own strict roster reader.
ids=$("$python" -c '
import sys
from hlmtutor_instructor.instructor import read_roster
print("\n".join(read_roster(sys.argv[1])["student_id"]))
' "$roster")

failed=0
for id in $ids; do
    box="$work/$id"
    mkdir -p "$box/returned" "$box/home"
    if [ -d "$returned/$id" ] && [ ! -L "$returned/$id" ]; then
        cp -R -P "$returned/$id" "$box/returned/$id" # -P: links are copied as links, not followed
    fi
    printf 'student_id\n%s\n' "$id" >"$box/roster.csv"
    chown -R "$uid:$gid" "$box"
    cd "$box" # not the caller's folder: `python -m` would import a package found there
    if ! unshare --pid --fork --kill-child --mount-proc --net --ipc --uts \
        setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs --inh-caps=-all \
        env -i PATH="$PATH" HOME="$box/home" LANG=C.UTF-8 PYTHONPATH="${PYTHONPATH:-}" \
        "$python" -m hlmtutor grade "$box/returned" --roster "$box/roster.csv" \
        --out "$box/grades" "$@"; then
        echo "grade-isolated.sh: grading $id failed; see the messages above" >&2
        failed=1
    fi
    cd /
    # Everything the student's processes could touch is now root's, out of their reach.
    chown -R root:root "$box"
    # Only regular files are taken over (a link planted by a notebook is not followed).
    scores="$box/grades/scores.csv"
    feedback="$box/grades/feedback/$id.md"
    if [ -f "$scores" ] && [ ! -L "$scores" ] && [ -f "$feedback" ] && [ ! -L "$feedback" ]; then
        if [ ! -f "$out/scores.csv" ]; then
            head -n 1 "$scores" >"$out/scores.csv"
        fi
        tail -n +2 "$scores" >>"$out/scores.csv"
        cp "$feedback" "$out/feedback/$id.md"
        if [ -d "$box/grades/executed/$id" ] && [ ! -L "$box/grades/executed/$id" ]; then
            cp -R -P "$box/grades/executed/$id" "$out/executed/$id"
        fi
    else
        echo "grade-isolated.sh: no scores for $id" >&2
        failed=1
    fi
    rm -rf "$box"
done
exit "$failed"
