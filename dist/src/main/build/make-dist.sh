#!/usr/bin/env bash
# Builds the self-contained kcert tarball, reproducibly:
#   make-dist.sh JDK_HOME KCERT_JAR APPROVER_JAR MAN_DIR TOP_DIR VERSION EPOCH OUT_DIR [AGENT_JAR]
# OUT_DIR gets kcert-VERSION/ (the unpacked tree), kcert-VERSION-linux-ARCH.tar.gz,
# approver-runtime/ (a runtime for the approver's image) and, given AGENT_JAR, agent-runtime/ (for
# the agent's image). Every file carries EPOCH as its time,
# entries are sorted and owned by 0:0, and gzip stores no name or time, so one commit built twice
# gives the same entries with the same bytes, except lib/kcert.aot: JDK 25 writes its AOT cache
# differently on each run, even from one recorded configuration with one CPU, no JIT and no address
# randomisation (bench/run counts the differing bytes; ReproducibleIT checks the rest).
#
# Other architectures: jlink links a runtime for the platform whose jmods it is given; an arm64
# runtime needs --module-path <arm64 JDK 25>/jmods (same release; a JDK built without jmods, as
# Temurin 25 is, links only its own platform). The start-up cache is made by running the
# application in that runtime, and strip must read arm64 files: so the tarball is built on an
# arm64 machine with an arm64 JDK 25 (JDK_HOME), and is then named linux-arm64 (README, Install).
set -euo pipefail
jdk="$1" jar="$2" approver_jar="$3" man="$4" top="$5" version="$6" out="$8" agent_jar="${9:-}"
epoch="$(date -u -d "$7" +%s)" # EPOCH may be given as ISO-8601 (Maven's outputTimestamp)

for f in "$jar" "$approver_jar" "$jdk/bin/jlink"; do
  [ -e "$f" ] || { echo "dist: $f is missing (build the other modules first)" >&2; exit 1; }
done
command -v strip >/dev/null 2>&1 ||
  { echo "dist: strip is missing (install binutils: apt-get install binutils)" >&2; exit 1; }
command -v zip >/dev/null 2>&1 ||
  { echo "dist: zip is missing (install it: apt-get install zip)" >&2; exit 1; }
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
name="kcert-$version"
stage="$out/$name"
tarball="$out/$name-linux-$arch.tar.gz"
rm -rf "$stage" "$tarball" "$out/approver-runtime" "$out/agent-runtime"
mkdir -p "$out"
mkdir -p "$stage/lib" "$stage/bin"

modules() { # the JDK modules a jar needs, from jdeps, plus the ones only reached by reflection
  local extra="$2"
  echo "$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$1"),$extra"
}
link() { # a runtime with only what is asked for; no debug data, man pages or headers. zip-9
  # rather than zip-6: 23 kB less of lib/modules, nothing slower measured. jlink writes no default
  # CDS archive (lib/server/classes*.jsa) unless --generate-cds-archive is given: the AOT cache
  # below holds the JDK classes kcert loads, so none is made (TarballIT checks there is none).
  # Left out, as no kcert program reads them (sizes from the 2026-11 build):
  # - lib/classlist (85 kB): the class list for making a default CDS archive, made by nobody;
  # - lib/jrt-fs.jar (110 kB): lets a *different* JDK's tools read this runtime's modules;
  # - bin/keytool (16 kB): kcert makes keys and keystores in code, never by running keytool (its
  #   classes stay: java.base's descriptor names their packages);
  # - lib/jexec (17 kB): runs jar files through binfmt_misc;
  # - lib/libjsig.so (17 kB): signal chaining for programs with their own native signal handlers;
  # - lib/libsyslookup.so (15 kB): the foreign function API's default library lookup;
  # - lib/libsimdsort.so (270 kB): AVX sorting of large primitive arrays; kcert sorts short lists
  #   of objects, and without it Arrays.sort runs its Java code;
  # - java/lang/uniName.dat (155 kB of modules): Unicode character names, for Character.getName
  #   and regex \N{...} only;
  # - the JDK's translated messages (launcher, keytool, security; 230 kB of modules): kcert and
  #   its output speak English, and the JDK falls back to its English messages.
  # With java.naming gone (below) and cacerts, the CLI's runtime went from 39.88 MB to 38.37 MB.
  local excl=/java.base/lib/classlist,/java.base/lib/jrt-fs.jar,/java.base/bin/keytool,/java.base/lib/jexec
  excl="$excl,/java.base/lib/libjsig.so,/java.base/lib/libsyslookup.so,/java.base/lib/libsimdsort.so"
  "$jdk/bin/jlink" --add-modules "$1" --strip-debug --no-man-pages --no-header-files \
    --compress zip-9 --exclude-files "$excl${3:+,$3}" \
    --exclude-resources '/java.base/java/lang/uniName.dat,regex:/java\.[a-z.]+/.*_(de|es|fr|it|ja|ko|pt_BR|sv|zh_CN|zh_HK|zh_TW)\.(class|properties)' \
    --output "$2"
  # The JDK's native libraries keep their symbol tables (libjvm.so: 29.8 MB, 24.8 MB without);
  # jlink's --strip-native-debug-symbols only removes debug sections, which these have none of.
  # Without .symtab a crash report still names every Java frame and gives the JVM's own frames as
  # libjvm.so+offset, which the same JDK release (same build id, kept) resolves.
  find "$2" -type f \( -name '*.so' -o -path "$2/bin/*" \) -exec strip --strip-unneeded {} +
}
# kcert's modules are named, not taken from jdeps (jdeps --multi-release 25 on kcert.jar lists
# java.base, java.desktop, java.logging, java.net.http, java.sql and java.xml):
# - java.base;
# - java.logging: Bouncy Castle's CryptoServicesRegistrar and provider log through it;
# - java.net.http: cert-core's kubeapi.ApiClient (kcert ca ... --kubeconfig, ca workloads, the
#   phases' cluster side, prepare --new-ca-hash) talks to the API server with its HttpClient;
# - not java.desktop (java.beans), java.sql or java.xml: SnakeYAML's bean introspection and
#   Jackson's date and DOM handlers reach them for types kcert never reads (about 20 MB of runtime);
# - not java.naming: nothing of kcert uses JNDI (distinguished names are read with Bouncy Castle);
#   without it and the java.security.sasl it pulls in, lib/modules is 0.42 MB smaller.
# The CLI's runtime also goes without lib/security/cacerts (165 kB): kcert trusts only the CA of
# the kubeconfig it is given and refuses a kubeconfig without one (ApiClient), so it never reads
# the JDK's default trust store. The approver's and agent's runtimes keep it.
cli_modules=java.base,java.logging,java.net.http
link "$cli_modules" "$stage/runtime" /java.base/lib/security/cacerts & cli_link=$!
# a module that kcert.jar comes to need (a new command, a new library) fails the build here, not a
# user's command with NoClassDefFoundError: jdeps may name only the linked modules and the three
# left out above (it names a module's requirements through it: java.desktop brings java.xml, ...)
for m in $("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$jar" | tr , ' '); do
  case ",$cli_modules,java.desktop,java.sql,java.xml," in
    *",$m,"*) ;;
    *) echo "dist: kcert.jar uses the JDK module $m, which its runtime does not link (make-dist.sh)" >&2; exit 1 ;;
  esac
done
[ -n "${KCERT_DIST_SKIP_APPROVER:-}" ] || link "$(modules "$approver_jar" jdk.unsupported,java.naming,jdk.crypto.ec)" "$out/approver-runtime"
wait "$cli_link" # the approver runtime (for its image) is linked meanwhile; KCERT_DIST_SKIP_APPROVER=1 skips it
if [ -n "$agent_jar" ]; then
  [ -e "$agent_jar" ] || { echo "dist: $agent_jar is missing (build cert-agent first)" >&2; exit 1; }
  link "$(modules "$agent_jar" jdk.unsupported,java.naming,jdk.crypto.ec)" "$out/agent-runtime"
fi

cp "$jar" "$stage/lib/kcert.jar"
# kcert.jar is a multi-release jar: Bouncy Castle ships about 700 of its classes twice, for Java 8
# (the base entry) and for Java 9 and later (META-INF/versions/9/...), a few again for 11, 15 and
# 21. The tarball runs the jar only on its own runtime (JDK 25), where `java -jar` reads a class
# from the highest META-INF/versions/N/ at most 25 that has it, so every other copy of that class
# is never read: they go (659 entries, 5.67 MB to 4.78 MB). The rule is applied to the jar's own listing, so it follows
# Bouncy Castle's updates; ./kcert (JDK 17 and later: also always the versioned copy) keeps the
# jar as built. TarballIT runs every command family from the result.
"$jdk/bin/jar" tf "$stage/lib/kcert.jar" | awk '
  !/\.class$/ { next }
  { v = 8; n = $0 }
  match($0, /^META-INF\/versions\/[0-9]+\//) { v = substr($0, 19, RLENGTH - 19) + 0; n = substr($0, RLENGTH + 1) }
  v <= 25 { entry[NR] = $0; ver[NR] = v; name[NR] = n; if (!(n in top) || v > top[n]) top[n] = v }
  END { for (i in entry) if (ver[i] < top[name[i]]) print entry[i] }' | LC_ALL=C sort >"$out/unread-entries"
if [ -s "$out/unread-entries" ]; then
  zip -q -nw -d "$stage/lib/kcert.jar" -@ <"$out/unread-entries"
fi
echo "dist: kcert.jar: $(wc -l <"$out/unread-entries") class entries the JDK 25 runtime never reads left out"
rm -f "$out/unread-entries"
install -m 0755 "$top/dist/src/main/dist/bin/kcert" "$stage/bin/kcert"
cp "$top/LICENSE" "$top/NOTICE" "$stage/"
mkdir -p "$stage/share/man/man1" "$stage/share/bash-completion/completions" \
  "$stage/share/zsh/site-functions" "$stage/share/fish/vendor_completions.d"
# man pages gzipped (man reads .gz; share/ 280 kB to 228 kB), no name or time in the gzip header
for page in "$man"/*.1; do gzip -n -9 -c "$page" >"$stage/share/man/man1/$(basename "$page").gz"; done
java_run=("$stage/runtime/bin/java" -XX:+UseSerialGC -XX:-UsePerfData -Xss512k -jar "$stage/lib/kcert.jar")
"${java_run[@]}" completion bash >"$stage/share/bash-completion/completions/kcert"
"${java_run[@]}" completion zsh >"$stage/share/zsh/site-functions/_kcert"
"${java_run[@]}" completion fish >"$stage/share/fish/vendor_completions.d/kcert.fish"

# The start-up cache (JDK 25's AOT cache) from a training run in the runtime and with the jar it
# will be used with. One JVM run is one training, so it is the command users run most and whose
# start-up matters: check-expiration on a kubeadm PKI, with the plain command line cron jobs use,
# which the picocli-free fast path reads. Measured on the 2-core build machine under load (CPU
# time, user + system, 12 runs each; bench/run prints the wall-time medians):
# - trained this way: 16.2 MB; check-expiration 0.34 s, through picocli 0.69 s, --help 1.14 s;
# - trained through picocli (--cert-dir=...): 17.3 MB; 0.34 s, 0.64 s, 1.02 s: 1.1 MB more for
#   7-10% on commands whose start-up is not what cron jobs wait for;
# - without the cache: check-expiration 0.91 s, so the cache pays (2.6 times less CPU);
# - without AOT class linking (-XX:-AOTClassLinking): 1.4 MB less, check-expiration 0.47 s;
# - renew all trained too (a cache from renew all alone is 21.6 MB, 4.3 MB more than this one's
#   classes could share): renew all on ECDSA-P256 took 2.14 s of CPU with this cache, 2.08 s with
#   its own and 3.10 s with none; on RSA-2048, 5.5 s, 5.6 s and 5.1 s (key generation is its
#   time). This cache gives renewals nearly all a cache can, so they stay out of the training.
# The PKI is made first, outside the training. The cache checks the jar's size and time, so those
# are fixed first.
chmod -R u+rwX,go+rX,go-w "$stage"
find "$stage" -exec touch -h -d "@$epoch" {} +
train="$(mktemp -d "${TMPDIR:-/tmp}/kcert-train.XXXXXX")"
trap 'rm -rf "$train"' EXIT
"${java_run[@]}" certs init --cert-dir "$train/etc/pki" --kubeconfig-dir "$train/etc" \
  --node-name training --apiserver-advertise-address 10.0.0.10 --key-algorithm RSA-2048 >"$train/log" 2>&1 ||
  { cat "$train/log" >&2; echo "dist: making the training PKI failed" >&2; exit 1; }
"$stage/runtime/bin/java" -XX:+UseSerialGC -XX:-UsePerfData -Xss512k -XX:TieredStopAtLevel=1 \
  -XX:AOTCacheOutput="$stage/lib/kcert.aot" -Xlog:aot=error -Xlog:cds=error \
  -jar "$stage/lib/kcert.jar" certs check-expiration --cert-dir "$train/etc/pki" \
  --kubeconfig-dir "$train/etc" >"$train/log" 2>&1 ||
  { cat "$train/log" >&2; echo "dist: the training run failed" >&2; exit 1; }
# the JVM's own log lines ("[0.369s][warning][aot,resolve] ...") may name exception classes it
# leaves out of the cache; only the program's output counts here
if grep -v '^\[[0-9.]*s\]\[' "$train/log" | grep -q 'Exception\|Error:'; then
  cat "$train/log" >&2; echo "dist: the training run failed (a class missing from the runtime?)" >&2; exit 1
fi
grep -q '^CERTIFICATE' "$train/log" ||
  { cat "$train/log" >&2; echo "dist: the training run printed no report" >&2; exit 1; }
[ -s "$stage/lib/kcert.aot" ] || { cat "$train/log" >&2; echo "dist: no AOT cache was written" >&2; exit 1; }
chmod 0644 "$stage/lib/kcert.aot"
find "$stage" -exec touch -h -d "@$epoch" {} +

tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$out" -cf - "$name" | gzip -n -9 >"$tarball"
# what the unpacked size is made of, in the build log (bench/run prints the same parts)
part() { echo "dist: size: $(du -sb "$1" | cut -f1) bytes $2"; }
part "$stage/runtime/lib/server/libjvm.so" "runtime/lib/server/libjvm.so (the JVM, stripped)"
part "$stage/runtime/lib/modules" "runtime/lib/modules (java.base, java.logging, java.net.http)"
echo "dist: size: $(($(du -sb "$stage/runtime" | cut -f1) - $(du -sb "$stage/runtime/lib/server/libjvm.so" "$stage/runtime/lib/modules" | awk '{ s += $1 } END { print s }'))) bytes runtime (the rest)"
part "$stage/lib/kcert.jar" "lib/kcert.jar"
part "$stage/lib/kcert.aot" "lib/kcert.aot (the start-up cache)"
part "$stage/share" "share (man pages, completions)"
echo "dist: $tarball ($(du -sb "$stage" | cut -f1) bytes unpacked, $(stat -c %s "$tarball") packed)"
