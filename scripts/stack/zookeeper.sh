# shellcheck shell=bash
# ZooKeeper for Druid, from the zookeeper jar that ships in Druid's lib/
# (no separate download), standalone on 127.0.0.1:$ZK_PORT.

ZK_PORT=${ZK_PORT:-$((52181 + STACK_PORT_OFFSET))}
ZK_DIR="$STACK_DIR/zk"

# `ruok` is answered `imok` by a serving ZooKeeper.
zk_ruok() {
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" || return 1
  printf ruok >&3
  reply=$(timeout 3 cat <&3) || true
  exec 3<&- 3>&-
  [[ $reply == imok ]]
}

zookeeper_up() {
  druid_ensure_assembled
  if zk_ruok 2>/dev/null; then log "zookeeper already running on $ZK_PORT"; return 0; fi
  port_open "$ZK_PORT" && die "port $ZK_PORT is taken by another program"
  mkdir -p "$ZK_DIR/data" "$ZK_DIR/conf"
  cat >"$ZK_DIR/conf/zoo.cfg" <<EOT
tickTime=2000
dataDir=$ZK_DIR/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat
autopurge.purgeInterval=1
EOT
  druid_write_log4j "$ZK_DIR/conf"
  start_bg zookeeper "$STACK_DIR/logs/zookeeper.log" \
    java -Xms64m -Xmx128m -cp "$ZK_DIR/conf:$DRUID_HOME/lib/*" \
      -Dzookeeper.jmx.log4j.disable=true \
      org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_DIR/conf/zoo.cfg"
  wait_until 60 "zookeeper ruok" zk_ruok || die "zookeeper did not start, see $STACK_DIR/logs/zookeeper.log"
}

zookeeper_down() { stop_pid zookeeper; }
zookeeper_status() { zk_ruok 2>/dev/null; }
zookeeper_env() { :; }
