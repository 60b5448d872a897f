# shellcheck shell=bash
# Assembles a Druid distribution (lib/ + extensions/) from Maven Central into
# $CACHE_DIR/druid-$DRUID_VERSION, once per machine (Maven's ~/.m2 is reused).
#
# Why 25.0.0: the Maven registry reachable here serves only part of Druid's
# artifacts. 25.0.0 is the newest release for which druid-services, druid-sql
# and the druid-s3-extensions and postgresql-metadata-storage extensions are
# all served (checked for 26..37: e.g. 37.0.0 lacks druid-sql and every
# extension). druid-parquet-extensions is not served for any recent version,
# so Druid here cannot read Parquet itself (see druid/README.md).

DRUID_VERSION=${DRUID_VERSION:-25.0.0}
DRUID_HOME="$CACHE_DIR/druid-$DRUID_VERSION"
# Maven's local repository (the usual one, so downloads are shared and kept).
DRUID_M2_REPO=${DRUID_M2_REPO:-$HOME/.m2/repository}
# Extensions fetched by pull-deps; keep in step with druid_extensions_loadList.
DRUID_EXTENSIONS=(druid-s3-extensions postgresql-metadata-storage)

# Flags Druid needs on Java 17 (docs/operations/java.md, "Strong encapsulation").
DRUID_JAVA17_FLAGS=(
  --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
)

druid_ensure_assembled() {
  [[ -f $DRUID_HOME/.complete ]] && return 0
  ensure_cmd java openjdk-17-jre-headless
  ensure_cmd mvn maven
  local t0 tmp; t0=$(now_s)
  tmp=$(mktemp -d "$CACHE_DIR/.druid-assemble.XXXXXX")
  log "assembling Druid $DRUID_VERSION into $DRUID_HOME (downloads ~150 MB once)"

  # 1. lib/: druid-services and its runtime dependencies.
  #    sigar (optional system metrics) is not on Maven Central: excluded.
  #    Druid's POMs declare extra repositories that cannot be reached from here;
  #    a blocked mirror makes Maven use only its default (central) repository
  #    instead of waiting for time-outs on each of them.
  cat >"$tmp/settings.xml" <<'XML'
<settings>
  <mirrors>
    <mirror><id>only-central</id><mirrorOf>*,!central</mirrorOf><url>http://0.0.0.0/</url><blocked>true</blocked></mirror>
  </mirrors>
</settings>
XML
  cat >"$tmp/pom.xml" <<XML
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.ingest</groupId><artifactId>druid-lib</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.druid</groupId><artifactId>druid-services</artifactId><version>$DRUID_VERSION</version>
      <exclusions><exclusion><groupId>org.hyperic</groupId><artifactId>sigar</artifactId></exclusion></exclusions>
    </dependency>
  </dependencies>
</project>
XML
  (cd "$tmp" && mvn -q -B -s settings.xml -Dmaven.repo.local="$DRUID_M2_REPO" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp/dist/lib") >"$tmp/mvn.log" 2>&1 ||
    { tail -20 "$tmp/mvn.log" >&2; die "Maven could not resolve druid-services $DRUID_VERSION"; }

  # 2. extensions/: Druid's own pull-deps tool resolves each extension and
  #    keeps only the jars not already in lib/ (default remote: Maven Central).
  local coords=() e
  for e in "${DRUID_EXTENSIONS[@]}"; do coords+=(-c "org.apache.druid.extensions:$e:$DRUID_VERSION"); done
  java "${DRUID_JAVA17_FLAGS[@]}" -cp "$tmp/dist/lib/*" \
    -Ddruid.extensions.directory="$tmp/dist/extensions" \
    -Ddruid.extensions.hadoopDependenciesDir="$tmp/dist/hadoop-dependencies" \
    org.apache.druid.cli.Main tools pull-deps --no-default-hadoop \
    -l "$DRUID_M2_REPO" "${coords[@]}" >"$tmp/pull-deps.log" 2>&1 ||
    { grep -v '^\s*at ' "$tmp/pull-deps.log" | tail -20 >&2; die "pull-deps failed"; }
  mkdir -p "$tmp/dist/hadoop-dependencies"

  rm -rf "$DRUID_HOME"
  mv "$tmp/dist" "$DRUID_HOME"
  rm -rf "$tmp"
  touch "$DRUID_HOME/.complete"
  log "Druid $DRUID_VERSION assembled in $(elapsed "$t0") ($(du -sh "$DRUID_HOME" | cut -f1))"
}
