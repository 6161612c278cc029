//! A small W3C WebDriver client over reqwest: one `chromedriver` process per browser, one
//! headless Chromium session in it, and only the commands the console's tests use.
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use reqwest::Method;
use serde_json::{Value, json};

use super::tools::Tools;
use crate::helpers::{free_port, temp_dir};

/// The key under which WebDriver names an element (W3C, section 12.1).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a navigation, a script or a wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(15);

/// Chromium's flags: headless, and with nothing that reaches out to the network (this
/// machine's network refuses it) or outlives the session (a fresh profile each time).
fn chromium_args(profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

/// A WebDriver command that failed: the protocol's error code and message.
#[derive(Debug)]
pub struct WebDriverError {
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

/// An element of the current page, as WebDriver refers to it.
#[derive(Debug, Clone)]
pub struct Element(String);

/// A headless Chromium driven through its own `chromedriver`. Dropping it ends both
/// (the driver's whole process group, Chromium's processes included) and its profile.
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:{port}/session/{id}`.
    session: String,
    /// Kept for its `Drop`: fields drop in order, so the driver and Chromium end before
    /// their profile is removed.
    _driver: Driver,
    _profile: Profile,
}

impl Browser {
    /// A new browser, JavaScript on or off (Chrome's content setting: the page's own
    /// scripts do not run; WebDriver's `execute` still does, for the test's own checks).
    pub async fn start(tools: &Tools, javascript: bool) -> Self {
        let http = esim_courier::tls::client_builder()
            .timeout(DEADLINE * 2)
            .build()
            .unwrap();
        let profile = Profile(temp_dir("chromium-profile"));
        let (driver, base) = start_driver(&tools.chromedriver, &http).await;
        let mut options = json!({
            "binary": tools.chromium,
            "args": chromium_args(&profile.0),
        });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "timeouts": { "pageLoad": DEADLINE.as_millis() as u64, "script": DEADLINE.as_millis() as u64 },
        }}});
        let mut browser = Self {
            http,
            session: String::new(),
            _driver: driver,
            _profile: profile,
        };
        let created = browser
            .send(Method::POST, &format!("{base}/session"), Some(capabilities))
            .await
            .unwrap_or_else(|e| panic!("chromedriver did not start Chromium: {e}"));
        let id = created["sessionId"].as_str().expect("a session id");
        browser.session = format!("{base}/session/{id}");
        browser
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        let mut request = self.http.request(method, url);
        // POST commands without parameters still take an empty JSON object.
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.map_err(|e| WebDriverError {
            error: "no answer".into(),
            message: e.to_string(),
        })?;
        let ok = answer.status().is_success();
        let mut json: Value = answer.json().await.map_err(|e| WebDriverError {
            error: "unreadable answer".into(),
            message: e.to_string(),
        })?;
        let value = json["value"].take();
        if ok {
            Ok(value)
        } else {
            Err(WebDriverError {
                error: value["error"].as_str().unwrap_or("unknown").into(),
                message: value["message"].as_str().unwrap_or_default().into(),
            })
        }
    }

    /// A command of this session (`path` after `/session/{id}`); fails the test on error.
    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.try_command(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"))
    }

    async fn try_command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        let body = body.or_else(|| (method == Method::POST).then(|| json!({})));
        self.send(method, &format!("{}{path}", self.session), body)
            .await
    }

    pub async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        let url = self.command(Method::GET, "/url", None).await;
        url.as_str().expect("a URL").to_owned()
    }

    /// The one element `css` finds now; fails the test when there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.find_all(css).await.into_iter().next() {
            Some(found) => found,
            None => panic!("no `{css}` on {}", self.url().await),
        }
    }

    /// Every element `css` finds now (none: an empty list).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let query = json!({ "using": "css selector", "value": css });
        let found = self.command(Method::POST, "/elements", Some(query)).await;
        found
            .as_array()
            .expect("a list of elements")
            .iter()
            .map(|e| Element(e[ELEMENT].as_str().expect("an element id").to_owned()))
            .collect()
    }

    pub async fn send_keys(&self, element: &Element, text: &str) {
        let path = format!("/element/{}/value", element.0);
        self.command(Method::POST, &path, Some(json!({ "text": text })))
            .await;
    }

    /// Empties a field.
    pub async fn clear(&self, element: &Element) {
        self.command(Method::POST, &format!("/element/{}/clear", element.0), None)
            .await;
    }

    pub async fn click(&self, element: &Element) {
        self.command(Method::POST, &format!("/element/{}/click", element.0), None)
            .await;
    }

    /// Submits the form `form_css` finds as a person does: by clicking its submit button
    /// (no script involved, so it works with JavaScript off too).
    pub async fn submit(&self, form_css: &str) {
        let button = self.find(&format!("{form_css} button[type=submit]")).await;
        self.click(&button).await;
    }

    /// The element's rendered text.
    pub async fn text(&self, element: &Element) -> String {
        let text = self
            .command(Method::GET, &format!("/element/{}/text", element.0), None)
            .await;
        text.as_str().unwrap_or_default().to_owned()
    }

    pub async fn source(&self) -> String {
        let source = self.command(Method::GET, "/source", None).await;
        source.as_str().expect("the page's source").to_owned()
    }

    /// Runs `script` as a function body with `args` (`arguments[0]`, …); its `return`.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.command(Method::POST, "/execute/sync", Some(body))
            .await
    }

    /// Runs `script`, which ends by calling its last argument with the answer.
    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.command(Method::POST, "/execute/async", Some(body))
            .await
    }

    /// Sets the window's size; headless, the viewport is the window.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        let rect = json!({ "width": width, "height": height });
        self.command(Method::POST, "/window/rect", Some(rect)).await;
    }

    /// The viewport as a PNG file.
    pub async fn screenshot(&self, file: &Path) {
        let png = self.command(Method::GET, "/screenshot", None).await;
        let bytes = B64.decode(png.as_str().expect("base64")).expect("a PNG");
        std::fs::write(file, bytes).unwrap();
    }

    /// The cookies the browser would send to the current page: `[{"name", "value", …}]`.
    pub async fn cookies(&self) -> Vec<Value> {
        let cookies = self.command(Method::GET, "/cookie", None).await;
        cookies.as_array().cloned().unwrap_or_default()
    }

    /// Polls `check` until it answers `Some`, or fails the test after the deadline with
    /// `what` and the page it stands on.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let until = Instant::now() + DEADLINE;
        loop {
            if let Some(done) = check().await {
                return done;
            }
            if Instant::now() > until {
                panic!("waited {DEADLINE:?} for {what}; at {}", self.url().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the address, without its origin, satisfies `test`; answers it.
    pub async fn wait_for_path(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        self.wait_for(what, || async {
            let url = self.url().await;
            let path = url::Url::parse(&url).ok().map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_owned(),
            })?;
            test(&path).then_some(path)
        })
        .await
    }

    /// Ends the session (Chromium quits); dropping the browser then stops the driver.
    pub async fn quit(self) {
        let _ = self.try_command(Method::DELETE, "", None).await;
    }
}

/// Chromium's fresh profile directory, removed after the browser ends.
struct Profile(PathBuf);

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `chromedriver` process, leader of its own process group, which Chromium's
/// processes join: one signal to that group ends them all, even when a failing test
/// never quit its session.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

/// Starts `chromedriver` on a free port in a process group of its own, and waits until
/// it is ready; answers the process and its base URL.
async fn start_driver(chromedriver: &Path, http: &reqwest::Client) -> (Driver, String) {
    use std::os::unix::process::CommandExt;

    let port = free_port();
    let driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} did not start: {e}", chromedriver.display()));
    let driver = Driver(driver);
    let base = format!("http://127.0.0.1:{port}");
    let until = Instant::now() + DEADLINE;
    loop {
        let status = http.get(format!("{base}/status")).send().await;
        if let Ok(answer) = status {
            let json: Value = answer.json().await.unwrap_or_default();
            if json["value"]["ready"] == true {
                return (driver, base);
            }
        }
        // Dropped with the panic: the driver does not outlive the test.
        assert!(Instant::now() < until, "chromedriver was not ready in time");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
