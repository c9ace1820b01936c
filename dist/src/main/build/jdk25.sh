#!/usr/bin/env bash
# Prints the home of a JDK 25 or later: the first argument when set (-Djdk25.home), else
# $JDK25_HOME, else the newest one under /usr/lib/jvm. Fails with one line naming what to set.
set -euo pipefail
feature() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null; }
ok() { [ -x "$1/bin/jlink" ] && [ -x "$1/bin/java" ] && [ "$(feature "$1")" -ge 25 ] 2>/dev/null; }
for c in "${1:-}" "${JDK25_HOME:-}"; do
  [ -n "$c" ] || continue
  if ok "$c"; then echo "$c"; exit 0; fi
  echo "dist: $c is not a JDK 25 or later (needs bin/jlink and a release file saying JAVA_VERSION=\"25...\")" >&2
  exit 1
done
best="" best_v=0
for c in /usr/lib/jvm/*; do
  if ok "$c" && [ "$(feature "$c")" -gt "$best_v" ]; then best="$c"; best_v="$(feature "$c")"; fi
done
if [ -z "$best" ]; then
  echo "dist: no JDK 25 found: install one (Temurin 25, or openjdk-25-jdk-headless where Debian has it) and pass -Djdk25.home=<its home> or set JDK25_HOME" >&2
  exit 1
fi
echo "$best"
