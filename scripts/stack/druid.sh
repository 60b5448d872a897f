# shellcheck shell=bash
# Druid (placeholder until the Druid part lands).
druid_up() { die "druid not implemented yet"; }
druid_down() { :; }
druid_status() { return 1; }
druid_env() { :; }
druid_smoke() { die "druid not implemented yet"; }
