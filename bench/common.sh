# Sourced by bench/run and bench/run-messaging: builds the bench module when it is stale and
# reads the project's one list of JVM flags. Sets: root, jar, lib, java, flags (an array).
#
# The JVM flags come from the one list the parent pom keeps (filtered into core's jvm.options,
# read the same way as bin/pgshmem does).

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/bench/target/pgshmem-bench.jar"
lib="$root/bench/target/lib"
options="$root/core/target/classes/org/pgshmem/jvm.options"

# Build when anything is missing or any pom or source of the modules the benchmarks load is newer
# than the jar (the jar is touched after a build: Maven leaves an unchanged jar's time alone).
stale=0
if [[ ! -f "$jar" || ! -f "$options" || ! -d "$lib" ]]; then
  stale=1
elif [[ -n "$(find "$root/pom.xml" "$root"/{core,bgwriter,checkpointer,bench}/pom.xml \
                   "$root"/{core,bgwriter,checkpointer,bench}/src -newer "$jar" -print -quit 2>/dev/null)" ]]; then
  stale=1
fi
if [[ $stale -eq 1 ]]; then
  echo "$(basename "$0"): building the benchmarks ..." >&2
  (cd "$root" && mvn -q -B -DskipTests -pl bench -am package) >&2
  touch "$jar"
fi

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
read -r -a flags < "$options"
# JDK 24+ wants this for sun.misc.Unsafe; JDK 17 refuses to start with it
feature=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [[ "${feature:-17}" -ge 24 ]]; then
  flags+=(--sun-misc-unsafe-memory-access=allow)
fi
