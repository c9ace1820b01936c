#!/usr/bin/env bash
# Builds the self-contained kcert tarball, reproducibly:
#   make-dist.sh JDK_HOME KCERT_JAR APPROVER_JAR MAN_DIR TOP_DIR VERSION EPOCH OUT_DIR
# OUT_DIR gets kcert-VERSION/ (the unpacked tree), kcert-VERSION-linux-ARCH.tar.gz, and
# approver-runtime/ (a runtime for the approver's image). Every file carries EPOCH as its time,
# entries are sorted and owned by 0:0, and gzip stores no name or time, so one commit built twice
# gives the same entries with the same bytes, except lib/kcert.aot: JDK 25 writes its AOT cache
# differently on each run, even from one recorded training (ReproducibleIT checks the rest).
#
# Other architectures: jlink can only link a runtime for the platform of the JDK whose jmods it is
# given; building for arm64 means pointing JDK_HOME at an arm64 JDK 25 (its jmods) and running the
# training step on an arm64 machine, since the start-up cache is made by running the application.
set -euo pipefail
jdk="$1" jar="$2" approver_jar="$3" man="$4" top="$5" version="$6" out="$8"
epoch="$(date -u -d "$7" +%s)" # EPOCH may be given as ISO-8601 (Maven's outputTimestamp)

for f in "$jar" "$approver_jar" "$jdk/bin/jlink"; do
  [ -e "$f" ] || { echo "dist: $f is missing (build the other modules first)" >&2; exit 1; }
done
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
name="kcert-$version"
stage="$out/$name"
tarball="$out/$name-linux-$arch.tar.gz"
rm -rf "$stage" "$tarball" "$out/approver-runtime"
mkdir -p "$out"
mkdir -p "$stage/lib" "$stage/bin"

modules() { # the JDK modules a jar needs, from jdeps, plus the ones only reached by reflection
  local extra="$2"
  echo "$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$1"),$extra"
}
link() { # a runtime with only what is asked for; no debug data, man pages or headers
  "$jdk/bin/jlink" --add-modules "$1" --strip-debug --no-man-pages --no-header-files \
    --compress zip-6 --output "$2"
}
# kcert's modules are named, not taken from jdeps: jdeps also lists java.desktop and java.sql,
# which Jackson and picocli only reach for types kcert never reads (about 20 MB of runtime)
link java.base,java.logging,java.naming "$stage/runtime" & cli_link=$!
[ -n "${KCERT_DIST_SKIP_APPROVER:-}" ] || link "$(modules "$approver_jar" jdk.unsupported,java.naming,jdk.crypto.ec)" "$out/approver-runtime"
wait "$cli_link" # the approver runtime (for its image) is linked meanwhile; KCERT_DIST_SKIP_APPROVER=1 skips it

cp "$jar" "$stage/lib/kcert.jar"
install -m 0755 "$top/dist/src/main/dist/bin/kcert" "$stage/bin/kcert"
cp "$top/LICENSE" "$top/NOTICE" "$stage/"
mkdir -p "$stage/share/man/man1" "$stage/share/bash-completion/completions" \
  "$stage/share/zsh/site-functions" "$stage/share/fish/vendor_completions.d"
cp "$man"/*.1 "$stage/share/man/man1/"
java_run=("$stage/runtime/bin/java" -XX:+UseSerialGC -XX:-UsePerfData -Xss512k -jar "$stage/lib/kcert.jar")
"${java_run[@]}" completion bash >"$stage/share/bash-completion/completions/kcert"
"${java_run[@]}" completion zsh >"$stage/share/zsh/site-functions/_kcert"
"${java_run[@]}" completion fish >"$stage/share/fish/vendor_completions.d/kcert.fish"

# The start-up cache (JDK 25's AOT cache) from a training run: the demo makes, reports on and
# renews an RSA PKI, through picocli, in the runtime and with the jar it will be used with. The
# cache checks the jar's size and time, so the times are fixed before training.
chmod -R u+rwX,go+rX,go-w "$stage"
find "$stage" -exec touch -h -d "@$epoch" {} +
train="$(mktemp -d "${TMPDIR:-/tmp}/kcert-train.XXXXXX")"
trap 'rm -rf "$train"' EXIT
"$stage/runtime/bin/java" -XX:+UseSerialGC -XX:-UsePerfData -Xss512k \
  -XX:AOTCacheOutput="$stage/lib/kcert.aot" -Xlog:aot=error -Xlog:cds=error \
  -jar "$stage/lib/kcert.jar" demo --dir "$train/demo" --key-algorithm RSA-2048 >"$train/log" 2>&1 ||
  { cat "$train/log" >&2; echo "dist: the training run failed" >&2; exit 1; }
# the JVM's own log lines ("[0.369s][warning][aot,resolve] ...") may name exception classes it
# leaves out of the cache; only the program's output counts here
if grep -v '^\[[0-9.]*s\]\[' "$train/log" | grep -q 'Exception\|Error:'; then
  cat "$train/log" >&2; echo "dist: the training run failed (a class missing from the runtime?)" >&2; exit 1
fi
[ -s "$stage/lib/kcert.aot" ] || { cat "$train/log" >&2; echo "dist: no AOT cache was written" >&2; exit 1; }
chmod 0644 "$stage/lib/kcert.aot"
find "$stage" -exec touch -h -d "@$epoch" {} +

tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$out" -cf - "$name" | gzip -n -9 >"$tarball"
echo "dist: $tarball ($(du -sk "$stage" | cut -f1) KiB unpacked)"
