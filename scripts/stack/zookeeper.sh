# shellcheck shell=bash
# ZooKeeper (placeholder until the Druid part lands).
zookeeper_up() { die "zookeeper not implemented yet"; }
zookeeper_down() { :; }
zookeeper_status() { return 1; }
zookeeper_env() { :; }
