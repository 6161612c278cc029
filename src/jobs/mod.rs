//! Every background task of a process, spawned, supervised and joined in one place: periodic
//! jobs (one `run_once` each, at their interval) and long-running loops, all stopped by one
//! cancellation token and each seen to finish.
use std::{future::Future, time::Duration};

use futures_util::future::BoxFuture;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// A job that runs now and then every `interval` until the process stops.
pub trait Periodic: Send + Sync + 'static {
    /// As the logs name it: `alerts`, `retention`, `reconcile`, `heap-trim`.
    fn name(&self) -> &'static str;
    fn interval(&self) -> Duration;
    /// One run. Dropped mid-way when the process stops, so every step must be safe to
    /// cut short (each is its own transaction, or is retried by a later run).
    fn run_once(&self) -> BoxFuture<'_, ()>;
}

/// The background tasks of one process.
pub struct Jobs {
    tasks: JoinSet<&'static str>,
    cancel: CancellationToken,
}

impl Jobs {
    pub fn new(cancel: CancellationToken) -> Self {
        Self {
            tasks: JoinSet::new(),
            cancel,
        }
    }

    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Runs `job` at once, then every interval, until cancelled.
    pub fn periodic(&mut self, job: impl Periodic) {
        let cancel = self.cancel.clone();
        self.tasks.spawn(async move {
            while !cancel.is_cancelled() {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = job.run_once() => {}
                }
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = tokio::time::sleep(job.interval()) => {}
                }
            }
            job.name()
        });
    }

    /// A loop that watches the cancellation token (or another signal) itself.
    pub fn task(&mut self, name: &'static str, run: impl Future<Output = ()> + Send + 'static) {
        self.tasks.spawn(async move {
            run.await;
            name
        });
    }

    /// Cancels everything and waits for each task to finish, at most `grace`; what is
    /// still running then is aborted. Each finished task is logged by name.
    pub async fn stop(mut self, grace: Duration) {
        self.cancel.cancel();
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                next = self.tasks.join_next() => match next {
                    None => return,
                    Some(Ok(name)) => tracing::info!(job = name, "background job stopped"),
                    Some(Err(e)) if e.is_panic() => {
                        tracing::error!(error = %e, "a background job panicked")
                    }
                    Some(Err(_)) => {}
                },
                _ = &mut deadline => {
                    tracing::warn!(left = self.tasks.len(), "background jobs still running after the grace period; aborted");
                    self.tasks.abort_all();
                    while self.tasks.join_next().await.is_some() {}
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    struct Counting(Arc<AtomicUsize>);

    impl Periodic for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }

        fn interval(&self) -> Duration {
            Duration::from_secs(3600)
        }

        fn run_once(&self) -> BoxFuture<'_, ()> {
            Box::pin(async move {
                self.0.fetch_add(1, Ordering::SeqCst);
            })
        }
    }

    #[tokio::test]
    async fn a_periodic_job_runs_at_once_and_every_job_stops_when_cancelled() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut jobs = Jobs::new(CancellationToken::new());
        jobs.periodic(Counting(runs.clone()));
        let cancel = jobs.cancel_token();
        let (tx, rx) = tokio::sync::oneshot::channel();
        jobs.task("loop", async move {
            cancel.cancelled().await;
            let _ = tx.send(());
        });
        while runs.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        jobs.stop(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(rx.await.is_ok(), "the loop saw the cancellation");
    }

    #[tokio::test]
    async fn a_task_that_ignores_the_token_is_aborted_after_the_grace_period() {
        let mut jobs = Jobs::new(CancellationToken::new());
        jobs.task("stuck", std::future::pending());
        let started = std::time::Instant::now();
        jobs.stop(Duration::from_millis(50)).await;
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
