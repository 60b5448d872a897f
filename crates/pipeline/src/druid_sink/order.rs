//! Appends and replaces of one Druid datasource in a serial order (issue 8).
//!
//! An append checks its rows with Druid SQL after Druid's `SUCCESS`; a
//! replace whose `SUCCESS` lands in between drops the append's rows inside
//! its window, and the append would fail with a count mismatch although the
//! datasource holds one serial order (append, then replace) — found by
//! `druid_races::concurrent_replace_and_append_in_druid_end_in_a_serial_order`.
//! So within one server, appends to a datasource share its lock from submit
//! until counted, and a replace holds it alone. Across servers nothing
//! orders them yet.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// One lock per datasource name, made on first use (a few bytes each; the
/// names a server sees are few).
#[derive(Default)]
pub(super) struct DatasourceOrder(Mutex<HashMap<String, Arc<RwLock<()>>>>);

/// Held while an ingest is in Druid; dropping it lets the next one go.
pub(super) struct Turn {
    _shared: Option<OwnedRwLockReadGuard<()>>,
    _alone: Option<OwnedRwLockWriteGuard<()>>,
}

impl DatasourceOrder {
    fn lock(&self, datasource: &str) -> Arc<RwLock<()>> {
        let mut locks = self.0.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(datasource.to_owned()).or_default().clone()
    }

    /// This ingest's turn if it is free now (`None`: another upload to the
    /// datasource is in Druid, and the caller says that it waits).
    pub(super) fn try_turn(&self, datasource: &str, append: bool) -> Option<Turn> {
        let lock = self.lock(datasource);
        if append {
            Some(Turn {
                _shared: Some(lock.try_read_owned().ok()?),
                _alone: None,
            })
        } else {
            Some(Turn {
                _shared: None,
                _alone: Some(lock.try_write_owned().ok()?),
            })
        }
    }

    /// Waits for this ingest's turn: appends together, a replace alone.
    pub(super) async fn turn(&self, datasource: &str, append: bool) -> Turn {
        let lock = self.lock(datasource);
        if append {
            Turn {
                _shared: Some(lock.read_owned().await),
                _alone: None,
            }
        } else {
            Turn {
                _shared: None,
                _alone: Some(lock.write_owned().await),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn appends_share_a_datasource_and_a_replace_waits_for_them() {
        let order = DatasourceOrder::default();
        let first = order.turn("sales", true).await;
        let second = order.turn("sales", true).await;
        let _other = order.turn("other", false).await;
        assert!(order.try_turn("sales", true).is_some());
        assert!(order.try_turn("sales", false).is_none(), "appends hold it");
        let replace = order.turn("sales", false);
        tokio::pin!(replace);
        assert!(futures::poll!(replace.as_mut()).is_pending());
        drop(first);
        assert!(futures::poll!(replace.as_mut()).is_pending());
        drop(second);
        let _alone = replace.await;
    }
}
