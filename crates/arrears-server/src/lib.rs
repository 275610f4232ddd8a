//! The HTTP server of Arrears (`arrears serve`): `/healthz`, Prometheus `/metrics`, the public
//! check of certificates (`/verify/CODE`, the address their QR code holds), and the versioned
//! JSON API under `/api/v1` with its OpenAPI document; staff login (`/login`) and the console
//! (`/console`).
//!
//! The store is blocking (SQLite or PostgreSQL through their own clients), so every handler
//! borrows a connection from a small pool and works on a blocking thread; the async runtime only
//! carries HTTP. Request logs name the route's pattern (`/verify/{code}`), never the path a
//! client sent, so no code, loan number or phone reaches a log. Ctrl-C or SIGTERM stops the
//! server after the requests in flight.

mod api;
mod console;
mod console_queues;
mod console_views;
mod dashboard;
mod hardship_form;
mod loan_actions;
mod loan_page;
mod metrics;
mod pages;
mod portal;
mod portal_requests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arrears_store::Store;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

/// What the server needs to run.
pub struct Options {
    /// The database, as the CLI's `--db`.
    pub db: String,
    pub listen: SocketAddr,
    /// The collection configuration (the lender, the policy packs calls are checked against,
    /// the templates), as the CLI loads it.
    pub config: arrears_app::collect::CollectConfig,
    /// Mark cookies Secure (the server is reached over TLS, through a proxy).
    pub secure_cookies: bool,
    /// The SMS channel the borrowers' login codes go by.
    pub sms: Box<dyn arrears_channels::Sender + Send>,
    /// Also print each login code in the server's log (the demo, whose SMS go to a file).
    pub echo_codes: bool,
    /// The address the public reaches the server at (`https://loans.example.cn`), which the
    /// certificates' QR codes point into; by default `http://` and the listening address.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("db", &arrears_store::conn::redact(&self.db))
            .field("listen", &self.listen)
            .field("sms", &self.sms.channel())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    App(#[from] arrears_app::AppError),
}

/// Shared by every request.
struct Shared {
    db: String,
    lender: arrears_collect::Lender,
    config: arrears_app::collect::CollectConfig,
    /// Idle connections, reused; a request that finds none opens one.
    pool: Mutex<Vec<Store>>,
    metrics: metrics::Metrics,
    limiter: console::Limiter,
    secure_cookies: bool,
    sms: Mutex<Box<dyn arrears_channels::Sender + Send>>,
    echo_codes: bool,
    public_url: String,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("db", &arrears_store::conn::redact(&self.db)).finish_non_exhaustive()
    }
}

/// At most this many idle connections are kept.
const POOL: usize = 8;

impl Shared {
    /// Runs `work` with a connection on a blocking thread.
    async fn with_store<T, F>(self: &Arc<Self>, work: F) -> Result<T, arrears_app::AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, arrears_app::AppError> + Send + 'static,
    {
        let shared = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let idle = shared.pool.lock().expect("pool").pop();
            let mut store = match idle {
                Some(store) => store,
                None => arrears_app::open(&shared.db)?,
            };
            let result = work(&mut store);
            // A connection whose work failed in the database or its connection may be broken
            // (a restarted server): it is closed rather than handed to the next request.
            let suspect = matches!(result, Err(arrears_app::AppError::Store(_) | arrears_app::AppError::Io(_)));
            let mut pool = shared.pool.lock().expect("pool");
            if pool.len() < POOL && !suspect {
                pool.push(store);
            }
            result
        })
        .await
        .unwrap_or_else(|e| Err(arrears_app::AppError::Io(format!("a request's work failed: {e}"))))
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/healthz", get(health))
        .route("/favicon.ico", get(|| async { axum::http::StatusCode::NO_CONTENT }))
        .route("/metrics", get(metrics::scrape))
        .route("/verify", get(pages::verify_form))
        .route("/verify/{code}", get(pages::verify))
        .route("/assets/style.css", get(pages::style))
        .route("/login", get(console::login_form).post(console::login))
        .route("/logout", axum::routing::post(console::logout))
        .route("/console", get(console::console))
        .route("/console/hardship", get(console_queues::hardship_desk))
        .route("/console/hardship/{id}/{what}", axum::routing::post(console_queues::decide))
        .route("/console/compliance", get(console_views::compliance))
        .route("/console/legal", get(console_views::legal))
        .route("/console/legal/{id}/advance", axum::routing::post(console_views::advance))
        .route("/console/staff", get(console_views::staff))
        .route("/console/staff/{what}", axum::routing::post(console_views::staff_change))
        .route("/console/loans", get(loan_page::find))
        .route("/console/loans/{loan}", get(loan_page::show))
        .route("/console/loans/{loan}/dial", axum::routing::post(loan_actions::dial))
        .route("/console/loans/{loan}/outcome", axum::routing::post(loan_actions::outcome))
        .route("/console/loans/{loan}/pay", axum::routing::post(loan_actions::pay))
        .route("/console/loans/{loan}/hardship", axum::routing::post(loan_actions::hardship))
        .route("/console/loans/{loan}/legal", axum::routing::post(loan_actions::legal))
        .merge(dashboard::routes())
        .route("/portal", get(portal::portal))
        .route("/portal/login", get(portal::login_form).post(portal::login))
        .route("/portal/code", axum::routing::post(portal::send_code))
        .route("/portal/certificate", axum::routing::post(portal::certificate))
        .route("/portal/explain", get(portal::explain))
        .route("/portal/whatif", get(portal::what_if))
        .route("/portal/credit", get(portal::credit))
        .route("/portal/dispute", axum::routing::post(portal::dispute))
        .route("/portal/pay", axum::routing::post(portal_requests::pay))
        .route("/portal/hardship", get(portal_requests::hardship_page).post(portal_requests::file_hardship))
        .route("/portal/hardship/accept", axum::routing::post(portal_requests::accept_hardship))
        .route("/api/docs", get(api::docs))
        .nest("/api/v1", api::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&shared), observe))
        .with_state(shared)
}

/// Counts and times every request by route and status, and logs it with the route's pattern.
async fn observe(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or("(unmatched)", |m| m.as_str()).to_owned();
    let mut response = next.run(request).await;
    let took = started.elapsed();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("content-security-policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    ] {
        headers.insert(name, axum::http::HeaderValue::from_static(value));
    }
    shared.metrics.record(&route, response.status().as_u16(), took);
    eprintln!("{method} {route} {} {:.1} ms", response.status().as_u16(), took.as_secs_f64() * 1000.0);
    response
}

/// 200 when the database answers at the schema this build knows.
async fn health(State(shared): State<Arc<Shared>>) -> (axum::http::StatusCode, &'static str) {
    match shared.with_store(|store| Ok(store.read(|tx| tx.business_date())?)).await {
        Ok(_) => (axum::http::StatusCode::OK, "ok\n"),
        Err(_) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "the database does not answer\n"),
    }
}

/// Sweeps expired sessions and old login codes every hour (besides at each login), so a quiet
/// server does not keep them; runs until the server stops.
async fn sweep_hourly(shared: Arc<Shared>) -> std::convert::Infallible {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let swept = shared.with_store(|store| Ok(store.transaction(|tx| tx.sweep_logins(console::now()))?)).await;
        if let Err(e) = swept {
            eprintln!("sweeping expired sessions failed: {e}");
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServerError>>>,
}

impl Server {
    /// Starts serving on its own threads (port 0 picks a free one: see `addr`). The database is
    /// opened once first, so a wrong URL or schema is an error here, not on the first request.
    pub fn start(options: Options) -> Result<Server, ServerError> {
        let store = arrears_app::open(&options.db)?;
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(options.listen))
            .map_err(|source| ServerError::Listen { addr: options.listen, source })?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            db: options.db,
            lender: options.config.lender.clone(),
            config: options.config,
            pool: Mutex::new(vec![store]),
            metrics: metrics::Metrics::default(),
            limiter: console::Limiter::default(),
            secure_cookies: options.secure_cookies,
            sms: Mutex::new(options.sms),
            echo_codes: options.echo_codes,
            public_url: options.public_url.map_or_else(|| format!("http://{addr}"), |u| u.trim_end_matches('/').to_owned()),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let kept = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            let served = runtime.block_on(async move {
                let sweeping = sweep_hourly(Arc::clone(&shared));
                let serving = axum::serve(listener, router(shared).into_make_service_with_connect_info::<SocketAddr>())
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    });
                tokio::select! {
                    served = serving => served.map_err(ServerError::Io),
                    never = sweeping => match never {},
                }
            });
            // The idle connections are closed here, outside the runtime: a PostgreSQL client
            // blocks on its own runtime to close, which tokio forbids inside another one.
            drop(std::mem::take(&mut *kept.pool.lock().expect("pool")));
            served
        });
        Ok(Server { addr, stop: Some(stop), thread: Some(thread) })
    }

    /// Stops taking connections, finishes the requests in flight, and returns.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or_else(|_| Err(ServerError::Io(std::io::Error::other("the server panicked")))),
            None => Ok(()),
        }
    }

    /// Serves until Ctrl-C or SIGTERM, then stops gracefully.
    pub fn run_until_signalled(self) -> Result<(), ServerError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            #[cfg(not(unix))]
            ctrl_c.await?;
            Ok::<_, std::io::Error>(())
        })?;
        eprintln!("stopping: finishing the requests in flight");
        self.stop()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
