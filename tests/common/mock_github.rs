//! A local mock of the GitHub REST endpoints the pull request client uses, speaking GitHub's JSON. It runs on
//! 127.0.0.1 (random port) on its own runtime thread, serves the API at `/` and, like GitHub Enterprise
//! Server, at `/api/v3`.
//!
//! It holds one repository (`owner/repo`) with pushed branches (name → sha), keeps pull requests in memory
//! and answers like GitHub does: 401 for a wrong token (echoing it, to prove clients scrub it), 404 for
//! another repository, 422 when the head or base branch does not exist or an open pull request for the
//! head already exists. Every request is checked — path, `Accept`, `X-GitHub-Api-Version`, `User-Agent`,
//! `Authorization`, a JSON object body with only the documented fields of the right types — and recorded;
//! a request that breaks the wire contract gets a 400 and a violation (tests assert there are none).
//!
//! Failures on demand ([`Failure`]) answer the next request (of a given method, if one is named) instead of
//! the normal handling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

const DOCS: &str = "https://docs.github.com/rest";

/// A failure the next matching request gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 401 Bad credentials (the body echoes the token received).
    Unauthorized,
    /// 403 without rate-limit headers: the token may not do this.
    Forbidden,
    /// 404 Not Found.
    NotFound,
    /// 422: a pull request already exists for the head.
    AlreadyExists,
    /// 422: the base is invalid.
    Validation,
    /// 429 with `Retry-After: N`.
    RateLimited { retry_after: u64 },
    /// 403 with `x-ratelimit-remaining: 0` and a reset N seconds from now.
    RateLimitExhausted { reset_in: u64 },
    /// 500.
    ServerError,
    /// A list answer that is empty although pull requests exist (a lagging read replica), to provoke the
    /// create/already-exists race.
    EmptyList,
}

/// One request the mock received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case header names.
    pub headers: HashMap<String, String>,
    pub body: Option<Value>,
}

#[derive(Clone, Debug)]
pub struct MockPull {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    pub draft: bool,
    pub state: String,
    pub merged: bool,
}

struct Shared {
    token: String,
    owner: String,
    repo: String,
    branches: Mutex<HashMap<String, String>>,
    pulls: Mutex<Vec<MockPull>>,
    checks: Mutex<HashMap<String, (Value, Value)>>,
    failures: Mutex<VecDeque<(Option<Method>, Failure)>>,
    requests: Mutex<Vec<Recorded>>,
    violations: Mutex<Vec<String>>,
}

pub struct MockGithub {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn api() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/repos/{owner}/{repo}/pulls",
            get(list_pulls).post(create_pull),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            get(get_pull).patch(update_pull),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/check-runs",
            get(check_runs),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/status",
            get(commit_status),
        )
}

impl MockGithub {
    /// Starts the server for `owner/repo`, accepting `token`, with a `main` branch pushed.
    pub fn start(token: &str, owner: &str, repo: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            branches: Mutex::new(HashMap::from([("main".to_owned(), sha_for("main"))])),
            pulls: Mutex::default(),
            checks: Mutex::default(),
            failures: Mutex::default(),
            requests: Mutex::default(),
            violations: Mutex::default(),
        });
        let app = api()
            .nest("/api/v3", api())
            .fallback(unexpected)
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mock-github".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    tokio::select! {
                        _ = stopped => {}
                        r = axum::serve(listener, app) => r.unwrap(),
                    }
                });
                rt.shutdown_background();
            })
            .unwrap();
        Self {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The API base as github.com serves it (what `GITHUB_API_URL` is set to).
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API base as GitHub Enterprise Server serves it.
    pub fn enterprise_base(&self) -> String {
        format!("http://{}/api/v3", self.addr)
    }

    /// Pushes `branch`; returns its head sha.
    pub fn push_branch(&self, branch: &str) -> String {
        let sha = sha_for(branch);
        self.shared
            .branches
            .lock()
            .unwrap()
            .insert(branch.to_owned(), sha.clone());
        sha
    }

    /// The checks commit `sha` reports: check runs and commit statuses, as GitHub lists them.
    pub fn set_checks(&self, sha: &str, check_runs: Value, statuses: Value) {
        self.shared
            .checks
            .lock()
            .unwrap()
            .insert(sha.to_owned(), (check_runs, statuses));
    }

    /// The next request (any method) gets `failure`.
    pub fn fail_next(&self, failure: Failure) {
        self.shared
            .failures
            .lock()
            .unwrap()
            .push_back((None, failure));
    }

    /// The next request with `method` gets `failure`.
    pub fn fail_next_on(&self, method: Method, failure: Failure) {
        self.shared
            .failures
            .lock()
            .unwrap()
            .push_back((Some(method), failure));
    }

    /// Marks pull request `number` merged.
    pub fn merge(&self, number: u64) {
        let mut pulls = self.shared.pulls.lock().unwrap();
        let pull = pulls.iter_mut().find(|p| p.number == number).unwrap();
        pull.state = "closed".into();
        pull.merged = true;
    }

    pub fn pulls(&self) -> Vec<MockPull> {
        self.shared.pulls.lock().unwrap().clone()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// `METHOD /path[?query]` of every request, in order.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| match &r.query {
                Some(q) => format!("{} {}?{q}", r.method, r.path),
                None => format!("{} {}", r.method, r.path),
            })
            .collect()
    }

    pub fn violations(&self) -> Vec<String> {
        self.shared.violations.lock().unwrap().clone()
    }

    /// Fails the test if any request broke the wire contract.
    pub fn assert_clean(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "wire contract violations: {violations:#?}"
        );
    }
}

impl Drop for MockGithub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A stable fake sha for a branch.
fn sha_for(branch: &str) -> String {
    let digest = blake3::hash(branch.as_bytes()).to_hex();
    digest.as_str()[..40].to_owned()
}

fn json_response(status: StatusCode, body: Value, headers: &[(&'static str, String)]) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

fn message(status: StatusCode, text: &str) -> Response {
    json_response(
        status,
        json!({"message": text, "documentation_url": DOCS, "status": status.as_u16().to_string()}),
        &[],
    )
}

fn validation_failed(errors: Value) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"message": "Validation Failed", "errors": errors, "documentation_url": DOCS, "status": "422"}),
        &[],
    )
}

fn failure_response(failure: &Failure, received_token: &str) -> Response {
    match failure {
        Failure::Unauthorized => message(
            StatusCode::UNAUTHORIZED,
            &format!("Bad credentials (token {received_token})"),
        ),
        Failure::Forbidden => message(
            StatusCode::FORBIDDEN,
            "Resource not accessible by personal access token",
        ),
        Failure::NotFound => message(StatusCode::NOT_FOUND, "Not Found"),
        Failure::AlreadyExists => validation_failed(json!([{
            "resource": "PullRequest", "code": "custom",
            "message": "A pull request already exists for octo:kata/s1."
        }])),
        Failure::Validation => validation_failed(json!([{
            "resource": "PullRequest", "field": "base", "code": "invalid"
        }])),
        Failure::RateLimited { retry_after } => json_response(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"message": "You have exceeded a secondary rate limit.", "documentation_url": DOCS}),
            &[("retry-after", retry_after.to_string())],
        ),
        Failure::RateLimitExhausted { reset_in } => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            json_response(
                StatusCode::FORBIDDEN,
                json!({"message": "API rate limit exceeded for user ID 1.", "documentation_url": DOCS}),
                &[
                    ("x-ratelimit-limit", "5000".into()),
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", (now + reset_in).to_string()),
                ],
            )
        }
        Failure::ServerError => message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error"),
        Failure::EmptyList => json_response(StatusCode::OK, json!([]), &[]),
    }
}

/// What a handler gets after the common checks.
struct Admitted {
    body: Option<Map<String, Value>>,
}

impl Shared {
    fn violation(&self, text: String) -> Response {
        self.violations.lock().unwrap().push(text.clone());
        message(StatusCode::BAD_REQUEST, &format!("mock: {text}"))
    }

    /// Records the request, checks its headers, repository and body, and applies a pending failure. `Err`
    /// is the answer to send instead of the normal one.
    #[allow(clippy::result_large_err)] // the answer is returned at once, never stored
    fn admit(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        owner_repo: (&str, &str),
        body: &Bytes,
        fields: Option<&[(&str, &str)]>,
    ) -> Result<Admitted, Response> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let parsed_body: Option<Value> = if body.is_empty() {
            None
        } else {
            serde_json::from_slice(body).ok()
        };
        self.requests.lock().unwrap().push(Recorded {
            method: method.to_string(),
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: parsed_body.clone(),
        });
        if header("accept") != "application/vnd.github+json" {
            return Err(self.violation(format!("{method} {uri}: Accept is {:?}", header("accept"))));
        }
        if header("x-github-api-version") != "2022-11-28" {
            return Err(self.violation(format!(
                "{method} {uri}: X-GitHub-Api-Version is {:?}",
                header("x-github-api-version")
            )));
        }
        if header("user-agent").is_empty() {
            return Err(self.violation(format!("{method} {uri}: no User-Agent")));
        }
        let authorization = header("authorization");
        let received = authorization
            .strip_prefix("Bearer ")
            .unwrap_or(&authorization);
        if authorization != format!("Bearer {}", self.token) {
            return Err(failure_response(&Failure::Unauthorized, received));
        }
        let body = match fields {
            None if !body.is_empty() => {
                return Err(self.violation(format!(
                    "{method} {uri}: a body on a request that takes none"
                )));
            }
            None => None,
            Some(allowed) => {
                if !header("content-type").starts_with("application/json") {
                    return Err(self.violation(format!(
                        "{method} {uri}: Content-Type is {:?}",
                        header("content-type")
                    )));
                }
                let Some(Value::Object(map)) = parsed_body else {
                    return Err(
                        self.violation(format!("{method} {uri}: the body is not a JSON object"))
                    );
                };
                for (key, value) in &map {
                    let Some((_, kind)) = allowed.iter().find(|(name, _)| name == key) else {
                        return Err(
                            self.violation(format!("{method} {uri}: unknown field {key:?}"))
                        );
                    };
                    let ok = match *kind {
                        "string" => value.is_string(),
                        "bool" => value.is_boolean(),
                        _ => false,
                    };
                    if !ok {
                        return Err(
                            self.violation(format!("{method} {uri}: {key} is not a {kind}"))
                        );
                    }
                }
                Some(map)
            }
        };
        let failure = {
            let mut failures = self.failures.lock().unwrap();
            let at = failures
                .iter()
                .position(|(m, _)| m.as_ref().is_none_or(|m| m == method));
            at.and_then(|i| failures.remove(i)).map(|(_, f)| f)
        };
        if let Some(failure) = failure {
            return Err(failure_response(&failure, received));
        }
        let (owner, repo) = owner_repo;
        if !owner.eq_ignore_ascii_case(&self.owner) || !repo.eq_ignore_ascii_case(&self.repo) {
            return Err(message(StatusCode::NOT_FOUND, "Not Found"));
        }
        Ok(Admitted { body })
    }

    fn pull_json(&self, pull: &MockPull, listed: bool) -> Value {
        let branches = self.branches.lock().unwrap();
        let sha = |b: &str| branches.get(b).cloned().unwrap_or_default();
        let mut value = json!({
            "url": format!("http://api/repos/{}/{}/pulls/{}", self.owner, self.repo, pull.number),
            "id": 1000 + pull.number,
            "number": pull.number,
            "html_url": format!("https://github.example/{}/{}/pull/{}", self.owner, self.repo, pull.number),
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "draft": pull.draft,
            "merged_at": if pull.merged { json!("2026-12-01T10:00:00Z") } else { Value::Null },
            "user": {"login": self.owner},
            "head": {"label": format!("{}:{}", self.owner, pull.head), "ref": pull.head, "sha": sha(&pull.head)},
            "base": {"label": format!("{}:{}", self.owner, pull.base), "ref": pull.base, "sha": sha(&pull.base)},
        });
        // Only the single pull request answer carries `merged`; lists have `merged_at` alone.
        if !listed {
            value["merged"] = json!(pull.merged);
        }
        value
    }
}

const CREATE_FIELDS: &[(&str, &str)] = &[
    ("title", "string"),
    ("head", "string"),
    ("base", "string"),
    ("body", "string"),
    ("draft", "bool"),
    ("maintainer_can_modify", "bool"),
];

const UPDATE_FIELDS: &[(&str, &str)] = &[
    ("title", "string"),
    ("body", "string"),
    ("state", "string"),
    ("base", "string"),
    ("maintainer_can_modify", "bool"),
];

fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

async fn create_pull(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admitted = match shared.admit(
        &Method::POST,
        &uri,
        &headers,
        (&owner, &repo),
        &body,
        Some(CREATE_FIELDS),
    ) {
        Ok(a) => a,
        Err(response) => return response,
    };
    let body = admitted.body.unwrap_or_default();
    let (Some(title), Some(head), Some(base)) = (
        field(&body, "title"),
        field(&body, "head"),
        field(&body, "base"),
    ) else {
        return shared.violation(format!("POST {uri}: title, head and base are required"));
    };
    let head = head.split_once(':').map_or(head, |(_, b)| b).to_owned();
    let missing = |field: &str| {
        validation_failed(json!([{"resource": "PullRequest", "field": field, "code": "invalid"}]))
    };
    {
        let branches = shared.branches.lock().unwrap();
        if !branches.contains_key(&head) {
            return missing("head");
        }
        if !branches.contains_key(base) {
            return missing("base");
        }
    }
    let mut pulls = shared.pulls.lock().unwrap();
    if pulls
        .iter()
        .any(|p| p.head == head && p.base == base && p.state == "open")
    {
        return validation_failed(json!([{
            "resource": "PullRequest", "code": "custom",
            "message": format!("A pull request already exists for {}:{head}.", shared.owner)
        }]));
    }
    let pull = MockPull {
        number: pulls.len() as u64 + 1,
        title: title.to_owned(),
        body: field(&body, "body").unwrap_or("").to_owned(),
        head,
        base: base.to_owned(),
        draft: body.get("draft").and_then(Value::as_bool).unwrap_or(false),
        state: "open".into(),
        merged: false,
    };
    pulls.push(pull.clone());
    drop(pulls);
    json_response(StatusCode::CREATED, shared.pull_json(&pull, false), &[])
}

async fn list_pulls(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = shared.admit(&Method::GET, &uri, &headers, (&owner, &repo), &body, None)
    {
        return response;
    }
    let query: HashMap<String, String> = uri.query().map(url_pairs).unwrap_or_default();
    let state = query.get("state").map_or("open", String::as_str);
    let head = match query.get("head") {
        Some(head) => match head.split_once(':') {
            Some((_, branch)) => Some(branch.to_owned()),
            None => return shared.violation(format!("GET {uri}: head must be owner:branch")),
        },
        None => None,
    };
    let pulls = shared.pulls.lock().unwrap().clone();
    let listed: Vec<Value> = pulls
        .iter()
        .filter(|p| state == "all" || p.state == state)
        .filter(|p| head.as_ref().is_none_or(|h| &p.head == h))
        .map(|p| shared.pull_json(p, true))
        .collect();
    json_response(StatusCode::OK, Value::Array(listed), &[])
}

/// Decodes `a=b&c=d` (with `+` and percent escapes).
fn url_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn get_pull(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = shared.admit(&Method::GET, &uri, &headers, (&owner, &repo), &body, None)
    {
        return response;
    }
    let pull = shared
        .pulls
        .lock()
        .unwrap()
        .iter()
        .find(|p| p.number == number)
        .cloned();
    match pull {
        Some(pull) => json_response(StatusCode::OK, shared.pull_json(&pull, false), &[]),
        None => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn update_pull(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admitted = match shared.admit(
        &Method::PATCH,
        &uri,
        &headers,
        (&owner, &repo),
        &body,
        Some(UPDATE_FIELDS),
    ) {
        Ok(a) => a,
        Err(response) => return response,
    };
    let body = admitted.body.unwrap_or_default();
    if let Some(base) = field(&body, "base")
        && !shared.branches.lock().unwrap().contains_key(base)
    {
        return validation_failed(
            json!([{"resource": "PullRequest", "field": "base", "code": "invalid"}]),
        );
    }
    let mut pulls = shared.pulls.lock().unwrap();
    let Some(pull) = pulls.iter_mut().find(|p| p.number == number) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    if let Some(title) = field(&body, "title") {
        pull.title = title.to_owned();
    }
    if let Some(text) = field(&body, "body") {
        pull.body = text.to_owned();
    }
    if let Some(base) = field(&body, "base") {
        pull.base = base.to_owned();
    }
    if let Some(state) = field(&body, "state") {
        pull.state = state.to_owned();
    }
    let pull = pull.clone();
    drop(pulls);
    json_response(StatusCode::OK, shared.pull_json(&pull, false), &[])
}

async fn check_runs(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = shared.admit(&Method::GET, &uri, &headers, (&owner, &repo), &body, None)
    {
        return response;
    }
    let runs = shared
        .checks
        .lock()
        .unwrap()
        .get(&sha)
        .map_or(json!([]), |(runs, _)| runs.clone());
    let count = runs.as_array().map_or(0, Vec::len);
    json_response(
        StatusCode::OK,
        json!({"total_count": count, "check_runs": runs}),
        &[],
    )
}

async fn commit_status(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = shared.admit(&Method::GET, &uri, &headers, (&owner, &repo), &body, None)
    {
        return response;
    }
    let statuses = shared
        .checks
        .lock()
        .unwrap()
        .get(&sha)
        .map_or(json!([]), |(_, statuses)| statuses.clone());
    let list = statuses.as_array().cloned().unwrap_or_default();
    let state_of = |s: &Value| {
        s.get("state")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    // GitHub's combined state: failure if any failed, pending if any pending or none at all, else success.
    let combined = if list
        .iter()
        .any(|s| matches!(state_of(s).as_str(), "failure" | "error"))
    {
        "failure"
    } else if list.is_empty() || list.iter().any(|s| state_of(s) == "pending") {
        "pending"
    } else {
        "success"
    };
    json_response(
        StatusCode::OK,
        json!({"state": combined, "sha": sha, "total_count": list.len(), "statuses": list}),
        &[],
    )
}

async fn unexpected(
    State(shared): State<Arc<Shared>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
) -> Response {
    shared.violation(format!("unexpected request {method} {uri}"));
    message(StatusCode::NOT_FOUND, "Not Found")
}
